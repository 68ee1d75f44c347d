//! The trust list: fetched from the issuer, checked against the pinned anchor, never rolled back.

use super::*;

impl Wallet {
    /// Fetches the trust list and keeps it if it is newer (never older: no rollback).
    pub async fn refresh_trust_list(
        &self,
        device_now: u64,
    ) -> Result<TrustListStatus, WalletError> {
        let _net = self.network.lock().await;
        self.fetch_trust_list(device_now).await
    }

    pub(super) async fn fetch_trust_list(
        &self,
        device_now: u64,
    ) -> Result<TrustListStatus, WalletError> {
        drop(self.live()?);
        let answer = self.client()?.trust_list().await?;
        let mut inner = self.live()?;
        if let Some(t) = answer.server_time {
            inner.state.clock.sync(t, device_now);
        }
        let now = inner.state.clock.corrected(device_now);
        inner.trust.offer(&answer.value, now).map_err(|e| match e {
            TrustCacheError::Invalid { detail } => WalletError::InvalidFromIssuer { detail },
            TrustCacheError::Storage { detail } => WalletError::Storage { detail },
        })
    }
}
