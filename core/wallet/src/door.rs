//! A door verifier on a device: the offline [`Verifier`] plus its own [`TrustListCache`], refreshed
//! from the issuer or from bytes (a bundled or scanned list) whenever the device has them. Checking a
//! code never touches the network.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use doorpass_format::StatusListUpdateError;
use doorpass_format::keys::VerifyingKey;
use doorpass_format::verifier::{Verdict, Verifier, VerifierPolicy};

use crate::issuer_client::{IssuerClient, IssuerError};
use crate::status_cache::{HeldStatusList, STATUS_LISTS_DIR, StatusListFiles};
use crate::trust_cache::{SetAside, TrustCacheError, TrustListCache, TrustListStatus};

/// File name of the door's cached trust list inside its folder.
pub const TRUST_LIST_FILE: &str = "trust-list.cose";
/// File name of the highest trust-list version this door accepted, kept apart from the cached list so
/// that a damaged (set-aside) cache does not let an older list back in.
pub const TRUST_FLOOR_FILE: &str = "trust-list.floor";
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
    /// An offered status list was refused; the held one (if any) stays.
    #[error(transparent)]
    StatusList(#[from] StatusListUpdateError),
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
    status_lists: StatusListFiles,
    /// Status-list URIs named by passes checked here for which no list is held yet.
    wanted: BTreeSet<String>,
    /// The floor as last written to [`TRUST_FLOOR_FILE`].
    saved_floor: u64,
}

/// An offline door verifier with a cached trust list.
pub struct DoorVerifier {
    policy: VerifierPolicy,
    floor_path: std::path::PathBuf,
    state: Mutex<DoorState>,
}

fn storage(e: std::io::Error) -> DoorError {
    DoorError::Storage {
        detail: e.to_string(),
    }
}

/// The floor kept in `path`: 0 when there is none or it is unreadable (the cached list's own
/// version still counts then).
fn read_floor(path: &Path) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(0)
}

impl DoorVerifier {
    /// Opens the door verifier kept in `dir` (created if missing) for the pinned `anchor`. A cached list
    /// that no longer checks is set aside and returned, so the app can say so.
    pub fn open(
        dir: &Path,
        anchor: VerifyingKey,
        policy: VerifierPolicy,
    ) -> Result<(Self, Option<SetAside>), DoorError> {
        doorpass_format::atomic_file::create_private_dir(dir).map_err(storage)?;
        let floor_path = dir.join(TRUST_FLOOR_FILE);
        let saved_floor = read_floor(&floor_path);
        let (cache, set_aside) =
            TrustListCache::open_with_floor(&dir.join(TRUST_LIST_FILE), anchor, saved_floor)
                .map_err(storage)?;
        let mut status_lists =
            StatusListFiles::open(&dir.join(STATUS_LISTS_DIR)).map_err(storage)?;
        let verifier = cache.list().map(|l| {
            let mut verifier = Verifier::new(l.clone(), policy);
            status_lists.offer_all(&mut verifier);
            verifier
        });
        let door = DoorVerifier {
            policy,
            floor_path,
            state: Mutex::new(DoorState {
                cache,
                verifier,
                status_lists,
                wanted: BTreeSet::new(),
                saved_floor,
            }),
        };
        door.save_floor(&mut door.lock())?;
        Ok((door, set_aside))
    }

    fn lock(&self) -> MutexGuard<'_, DoorState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes the cache's floor to [`TRUST_FLOOR_FILE`] when it has risen.
    fn save_floor(&self, state: &mut DoorState) -> Result<(), DoorError> {
        let floor = state.cache.floor();
        if floor > state.saved_floor {
            doorpass_format::atomic_file::write_atomic(
                &self.floor_path,
                format!("{floor}\n").as_bytes(),
                true,
            )
            .map_err(storage)?;
            state.saved_floor = floor;
        }
        Ok(())
    }

    /// Offers a signed trust list (bundled with the app, or fetched by other means). A version
    /// below the highest this door ever accepted is refused, even after its cached copy was lost.
    pub fn update_trust_list(&self, bytes: &[u8], now: u64) -> Result<TrustListStatus, DoorError> {
        let mut state = self.lock();
        let before = state.cache.status(now).map(|s| s.version);
        let status = state.cache.offer(bytes, now)?;
        if before != Some(status.version) {
            let DoorState {
                cache,
                verifier,
                status_lists,
                ..
            } = &mut *state;
            *verifier = cache.list().map(|l| {
                let mut verifier = Verifier::new(l.clone(), self.policy);
                status_lists.offer_all(&mut verifier);
                verifier
            });
        }
        self.save_floor(&mut state)?;
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
        let verdict = verifier.verify_qr_text(qr_text, now);
        if let Verdict::Valid(pass) = &verdict
            && let Some(uri) = &pass.status_uri
            && state.status_lists.get(uri).is_none()
        {
            let uri = uri.clone();
            drop(state);
            self.lock().wanted.insert(uri);
        }
        Ok(verdict)
    }

    /// Offers a signed status list (fetched, bundled or copied) at `now`. It is kept if it verifies
    /// against the trust list and is not older than the one held for its URI.
    pub fn update_status_list(&self, bytes: &[u8], now: u64) -> Result<HeldStatusList, DoorError> {
        let mut state = self.lock();
        let DoorState {
            verifier,
            status_lists,
            wanted,
            ..
        } = &mut *state;
        let verifier = verifier.as_mut().ok_or(DoorError::NoTrustList)?;
        let uri = verifier.update_status_list(bytes)?;
        wanted.remove(&uri);
        status_lists
            .keep(&uri, bytes.to_vec(), now)
            .map_err(storage)
    }

    /// Fetches every list held whose `ttl` has passed, and every list named by a pass checked here
    /// that is not held yet. Each fetch stands alone: the lists that came are kept, and the first
    /// failure is returned after all were tried (a door with no network keeps its lists).
    pub async fn refresh_status_lists(
        &self,
        client: &IssuerClient,
        now: u64,
    ) -> Result<Vec<HeldStatusList>, DoorError> {
        let due: Vec<String> = {
            let state = self.lock();
            let held = state.status_lists.held();
            held.iter()
                .filter(|h| h.is_due(now))
                .map(|h| h.uri.clone())
                .chain(state.wanted.iter().cloned())
                .collect()
        };
        let mut first_error = None;
        for uri in due {
            let outcome = match client.status_list(&uri).await {
                Ok(answer) => self.update_status_list(&answer.value, now),
                Err(e) => Err(e.into()),
            };
            if let Err(e) = outcome {
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(self.status_lists()),
        }
    }

    /// The status lists held.
    pub fn status_lists(&self) -> Vec<HeldStatusList> {
        self.lock().status_lists.held()
    }

    /// The cached list's version and age, if one is cached.
    pub fn trust_list_status(&self, now: u64) -> Option<TrustListStatus> {
        self.lock().cache.status(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use doorpass_format::keys::generate_signing_key;
    use doorpass_format::trust_list::{TrustListContent, TrustedIssuer};

    fn signed(anchor: &doorpass_format::SigningKey, version: u64) -> Vec<u8> {
        TrustListContent {
            version,
            issued_at: 1_000 + version,
            next_update: 100_000,
            issuers: vec![TrustedIssuer::new(
                generate_signing_key().verifying_key(),
                "KR-TEST",
                0,
                u64::MAX,
            )],
        }
        .sign(anchor)
    }

    #[test]
    fn a_damaged_cache_never_lets_an_older_list_back_in() {
        let dir = tempfile::tempdir().unwrap();
        let anchor = generate_signing_key();
        let open = || DoorVerifier::open(dir.path(), anchor.verifying_key(), Default::default());
        let (door, _) = open().unwrap();
        door.update_trust_list(&signed(&anchor, 1), 2_000).unwrap();
        door.update_trust_list(&signed(&anchor, 2), 2_000).unwrap();
        drop(door);
        // The cached list is damaged (or deleted to clear the way for an older one).
        std::fs::write(dir.path().join(TRUST_LIST_FILE), b"garbage").unwrap();
        let (door, set_aside) = open().unwrap();
        assert!(set_aside.is_some() && door.trust_list_status(2_000).is_none());
        assert!(matches!(
            door.update_trust_list(&signed(&anchor, 1), 2_000),
            Err(DoorError::TrustList(TrustCacheError::Invalid { .. }))
        ));
        assert_eq!(
            door.update_trust_list(&signed(&anchor, 2), 2_000)
                .unwrap()
                .version,
            2
        );
    }
}
