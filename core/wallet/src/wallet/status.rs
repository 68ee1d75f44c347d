//! Revocation on the holder's side: the status lists the wallet's passes name, fetched when missing
//! or past their `ttl`, kept on disk and checked against the trust list. A pass its list revokes is
//! shown as [`PassState::Revoked`] and shows no code.

use super::*;

impl Wallet {
    /// Fetches the status list of each pass that has none yet or whose list's `ttl` has passed, and
    /// keeps each that verifies against the trust list and is not older than the one held. Never
    /// needed to show a code: call it opportunistically (e.g. with background renewal). Returns how
    /// many lists were updated; on the first failure the lists fetched so far are kept and the error
    /// is returned.
    pub async fn refresh_status_lists(&self, device_now: u64) -> Result<usize, WalletError> {
        let due: Vec<String> = {
            let inner = self.live()?;
            let now = inner.state.clock.corrected(device_now);
            let mut uris: Vec<String> = inner
                .slots
                .values()
                .filter_map(|slot| slot.pass.as_ref()?.claims().status.as_ref())
                .map(|status| status.uri.clone())
                .filter(|uri| inner.status_files.get(uri).is_none_or(|h| h.is_due(now)))
                .collect();
            uris.sort();
            uris.dedup();
            uris
        };
        let mut updated = 0;
        for uri in due {
            let answer = self.client()?.status_list(&uri).await?;
            let mut inner = self.live()?;
            let trusted = inner
                .trust
                .list()
                .map(|l| l.content().clone())
                .ok_or_else(|| WalletError::InvalidFromIssuer {
                    detail: "no trust list is held to check the status list against".into(),
                })?;
            let now = inner.state.clock.corrected(device_now);
            let Inner {
                revocations,
                status_files,
                qr_cache,
                ..
            } = &mut *inner;
            let kept_uri = revocations.update(&answer.value, &trusted).map_err(|e| {
                WalletError::InvalidFromIssuer {
                    detail: e.to_string(),
                }
            })?;
            status_files
                .keep(&kept_uri, answer.value, now)
                .map_err(|e| WalletError::storage("status list", e))?;
            // Codes drawn before are not shown again without the new list's say.
            qr_cache.clear();
            updated += 1;
        }
        Ok(updated)
    }
}
