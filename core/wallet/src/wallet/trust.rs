//! The trust list: fetched from the issuer, checked against the pinned anchor, never rolled back —
//! not even after the cached copy was damaged, since the highest version accepted is also kept in the
//! wallet's identity (`identity.json` and its second copy).

use super::open::save_identity;
use super::*;

impl Wallet {
    /// Fetches the trust list and keeps it if it is newer (never older: no rollback). Refused with
    /// [`WalletError::InUse`] when another process holds the wallet past [`LOCK_WAIT`]. A list older
    /// than one this wallet already accepted is ignored, or refused with
    /// [`WalletError::InvalidFromIssuer`] when no list is cached (the cached copy was damaged).
    pub async fn refresh_trust_list(
        &self,
        device_now: u64,
    ) -> Result<TrustListStatus, WalletError> {
        let _net = self.network.lock().await;
        let _across_processes = self.exclusive().await?;
        self.fetch_trust_list(device_now).await
    }

    /// Fetches and offers the trust list; the caller holds the network and cross-process locks.
    ///
    /// The answer's `Date` header is not used to correct the clock: this is a GET, which a cache on
    /// the way may have answered minutes ago. Time comes from enrolment and renewal answers only.
    pub(super) async fn fetch_trust_list(
        &self,
        device_now: u64,
    ) -> Result<TrustListStatus, WalletError> {
        drop(self.live()?);
        let answer = self.client()?.trust_list().await?;
        let mut inner = self.live()?;
        let now = inner.state.clock.corrected(device_now);
        let status = inner.trust.offer(&answer.value, now).map_err(|e| match e {
            TrustCacheError::Invalid { detail } => WalletError::InvalidFromIssuer { detail },
            TrustCacheError::Storage { detail } => WalletError::Storage { detail },
        })?;
        self.record_trust_floor(&mut inner)?;
        Ok(status)
    }

    /// Records the version of the list now held as the wallet's rollback floor, in both copies of
    /// the identity, when it is higher than the one recorded.
    pub(super) fn record_trust_floor(&self, inner: &mut Inner) -> Result<(), WalletError> {
        let held = inner.trust.floor();
        if held > inner.trust_floor {
            let identity = Identity {
                trust_list_floor: held,
                ..self.identity.clone()
            };
            save_identity(&self.layout, &identity)?;
            inner.trust_floor = held;
        }
        Ok(())
    }
}
