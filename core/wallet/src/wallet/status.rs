//! Revocation on the holder's side: the status lists the wallet's passes name, fetched when missing
//! or past their `ttl`, kept on disk and checked against the trust list. A pass its list revokes is
//! shown as [`PassState::Revoked`] and shows no code.

use super::*;
use doorpass_format::StatusListId;

impl Wallet {
    /// Fetches the status list of each pass that has none yet or whose list's `ttl` has passed, and
    /// keeps each that verifies against the trust list — signed by a key listed for the pass's
    /// issuer, naming the URI fetched, made no later than now and not expired — and is not older
    /// than the one held. A refused list is [`WalletError::StatusListRefused`]. Never
    /// needed to show a code: call it opportunistically (e.g. with background renewal). Returns how
    /// many lists were updated; on the first failure the lists fetched so far are kept and the error
    /// is returned.
    pub async fn refresh_status_lists(&self, device_now: u64) -> Result<usize, WalletError> {
        let due: Vec<StatusListId> = {
            let inner = self.live()?;
            let now = inner.state.clock.corrected(device_now);
            let mut ids: Vec<StatusListId> = inner
                .slots
                .values()
                .filter_map(|slot| StatusListId::of_pass(slot.pass.as_ref()?.claims()))
                .filter(|id| inner.status_files.get(id).is_none_or(|h| h.is_due(now)))
                .collect();
            ids.sort();
            ids.dedup();
            ids
        };
        let mut updated = 0;
        for id in due {
            let answer = self.client()?.status_list(&id.uri).await?;
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
            let kept = revocations
                .update(&answer.value, &trusted, id.binding(), now)
                .map_err(WalletError::StatusListRefused)?;
            status_files
                .keep(&kept, answer.value, now)
                .map_err(|e| WalletError::storage("status list", e))?;
            // Codes drawn before are not shown again without the new list's say.
            qr_cache.clear();
            updated += 1;
        }
        Ok(updated)
    }
}
