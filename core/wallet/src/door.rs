//! A door verifier on a device: the offline [`Verifier`] plus its own [`TrustListCache`], refreshed
//! from the issuer or from bytes (a bundled or scanned list) whenever the device has them. Checking a
//! code never touches the network.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use doorpass_format::keys::VerifyingKey;
use doorpass_format::verifier::{Verdict, Verifier, VerifierPolicy};

use crate::issuer_client::{IssuerClient, IssuerError};
use crate::trust_cache::{SetAside, TrustCacheError, TrustListCache, TrustListStatus};

/// File name of the door's cached trust list inside its folder.
pub const TRUST_LIST_FILE: &str = "trust-list.cose";
/// How far the door's clock may be behind the signing time of its trust list before its verdicts
/// cannot be trusted (the list cannot have been signed in the future).
pub const CLOCK_BEHIND_LIMIT_SECONDS: u64 = 600;

/// Why a door operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DoorError {
    /// No trust list is cached yet: fetch one (or load a bundled one) before checking codes.
    #[error("no trust list is cached yet; connect once or load one")]
    NoTrustList,
    /// An offered trust list was refused; the cached one stays.
    #[error(transparent)]
    TrustList(#[from] TrustCacheError),
    /// The issuer could not give the trust list.
    #[error(transparent)]
    Issuer(#[from] IssuerError),
    /// The device clock is before the time the cached trust list was signed: it is wrong, and every
    /// verdict would be too. Set the clock.
    #[error("the device clock is wrong: {detail}")]
    ClockBehind {
        /// How far behind.
        detail: String,
    },
    /// The door's folder could not be read or created.
    #[error("door storage failed: {detail}")]
    Storage {
        /// What failed.
        detail: String,
    },
}

struct DoorState {
    cache: TrustListCache,
    verifier: Option<Verifier>,
}

/// An offline door verifier with a cached trust list.
pub struct DoorVerifier {
    policy: VerifierPolicy,
    state: Mutex<DoorState>,
}

impl DoorVerifier {
    /// Opens the door verifier kept in `dir` (created if missing) for the pinned `anchor`. A cached list
    /// that no longer checks is set aside and returned, so the app can say so.
    pub fn open(
        dir: &Path,
        anchor: VerifyingKey,
        policy: VerifierPolicy,
    ) -> Result<(Self, Option<SetAside>), DoorError> {
        let storage = |e: std::io::Error| DoorError::Storage {
            detail: e.to_string(),
        };
        doorpass_format::atomic_file::create_private_dir(dir).map_err(storage)?;
        let (cache, set_aside) =
            TrustListCache::open(&dir.join(TRUST_LIST_FILE), anchor).map_err(storage)?;
        let verifier = cache.list().map(|l| Verifier::new(l.clone(), policy));
        let state = Mutex::new(DoorState { cache, verifier });
        Ok((DoorVerifier { policy, state }, set_aside))
    }

    fn lock(&self) -> MutexGuard<'_, DoorState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Offers a signed trust list (bundled with the app, or fetched by other means).
    pub fn update_trust_list(&self, bytes: &[u8], now: u64) -> Result<TrustListStatus, DoorError> {
        let mut state = self.lock();
        let before = state.cache.status(now).map(|s| s.version);
        let status = state.cache.offer(bytes, now)?;
        if before != Some(status.version) {
            state.verifier = state
                .cache
                .list()
                .map(|l| Verifier::new(l.clone(), self.policy));
        }
        Ok(status)
    }

    /// Fetches the trust list from the issuer and offers it.
    pub async fn refresh_trust_list(
        &self,
        client: &IssuerClient,
        now: u64,
    ) -> Result<TrustListStatus, DoorError> {
        let answer = client.trust_list().await?;
        self.update_trust_list(&answer.value, now)
    }

    /// Checks a scanned code at `now` (this device's clock, in Unix seconds). A clock well before the
    /// trust list's signing time is refused as [`DoorError::ClockBehind`] rather than trusted.
    pub fn verify(&self, qr_text: &str, now: u64) -> Result<Verdict, DoorError> {
        let state = self.lock();
        let verifier = state.verifier.as_ref().ok_or(DoorError::NoTrustList)?;
        let signed_at = verifier.trust_list().content().issued_at;
        if now.saturating_add(CLOCK_BEHIND_LIMIT_SECONDS) < signed_at {
            return Err(DoorError::ClockBehind {
                detail: format!(
                    "it is {} s before the trust list in use was signed",
                    signed_at - now
                ),
            });
        }
        Ok(verifier.verify_qr_text(qr_text, now))
    }

    /// The cached list's version and age, if one is cached.
    pub fn trust_list_status(&self, now: u64) -> Option<TrustListStatus> {
        self.lock().cache.status(now)
    }
}
