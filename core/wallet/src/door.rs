//! A door verifier on a device: the offline [`Verifier`] plus its own [`TrustListCache`], refreshed
//! from the issuer or from bytes (a bundled or scanned list) whenever the device has them. Checking a
//! code never touches the network.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use doorpass_format::keys::VerifyingKey;
use doorpass_format::verifier::{Verdict, Verifier, VerifierPolicy};
use doorpass_format::{StatusListBinding, StatusListId, StatusListUpdateError};

use crate::check_log::{CHECK_LOG_FILE, Check, CheckLogSummary, SharedCheckLog, open_shared};
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
    /// What the door accepts (door staff may change it).
    policy: VerifierPolicy,
    cache: TrustListCache,
    verifier: Option<Verifier>,
    status_lists: StatusListFiles,
    /// Status lists (issuer and URI) named by passes checked here for which no list is held yet.
    wanted: BTreeSet<StatusListId>,
    /// The floor as last written to [`TRUST_FLOOR_FILE`].
    saved_floor: u64,
    /// Every check made here, counted (docs/door-log.md); shared with other handles of this
    /// process on the same folder.
    check_log: SharedCheckLog,
}

/// An offline door verifier with a cached trust list.
pub struct DoorVerifier {
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
            floor_path,
            state: Mutex::new(DoorState {
                policy,
                cache,
                verifier,
                status_lists,
                wanted: BTreeSet::new(),
                saved_floor,
                check_log: open_shared(&dir.join(CHECK_LOG_FILE)),
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
                policy,
                cache,
                verifier,
                status_lists,
                ..
            } = &mut *state;
            *verifier = cache.list().map(|l| {
                let mut verifier = Verifier::new(l.clone(), *policy);
                status_lists.offer_all(&mut verifier);
                verifier
            });
        }
        self.save_floor(&mut state)?;
        Ok(status)
    }

    /// Changes what the door accepts from the next code on (door staff turning on "refuse passes
    /// that cannot be revoked", say); the trust list and status lists held stay.
    pub fn set_policy(&self, policy: VerifierPolicy) {
        let mut state = self.lock();
        state.policy = policy;
        if let Some(verifier) = state.verifier.as_mut() {
            verifier.set_policy(policy);
        }
    }

    /// What the door accepts.
    pub fn policy(&self) -> VerifierPolicy {
        self.lock().policy
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

    /// Checks a scanned code at `now` (this device's clock, in Unix seconds), and counts the check
    /// in the door's check log before returning. A clock well before the trust list's signing time
    /// is refused as [`DoorError::ClockBehind`] rather than trusted (and is no check). A log that
    /// cannot be written costs no verdict: see [`DoorVerifier::check_log_summary`].
    pub fn verify(&self, qr_text: &str, now: u64) -> Result<Verdict, DoorError> {
        let mut state = self.lock();
        let DoorState {
            verifier,
            status_lists,
            wanted,
            check_log,
            ..
        } = &mut *state;
        let verifier = verifier.as_ref().ok_or(DoorError::NoTrustList)?;
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
        if let Err(failure) =
            crate::check_log::shared::lock(check_log).record(&Check::of(&verdict, verifier, now))
        {
            log::warn!("{} (checks not saved: {})", failure.error, failure.checks);
        }
        if let Verdict::Valid(pass) = &verdict
            && let Some(uri) = &pass.status_uri
        {
            let id = StatusListId {
                issuer_id: pass.issuer_id.clone(),
                uri: uri.clone(),
            };
            if status_lists.get(&id).is_none() {
                wanted.insert(id);
            }
        }
        Ok(verdict)
    }

    /// Counts of the checks from `since` (local midnight for "today") to `now`. When checks
    /// counted in memory could not all be written to the log file (a read-only or full disk), this
    /// is [`DoorError::Storage`] saying how many: the door keeps checking, and every check retries.
    pub fn check_log_summary(&self, since: u64, now: u64) -> Result<CheckLogSummary, DoorError> {
        let summary = crate::check_log::shared::lock(&self.lock().check_log).summary(since, now);
        match &summary.failure {
            Some(failure) => Err(DoorError::Storage {
                detail: format!(
                    "{}; {} checks counted here may be missing from the log file",
                    failure.error, failure.checks
                ),
            }),
            None => Ok(summary),
        }
    }

    /// The check log of the last 90 days at `now` as CSV, one row per 10-minute bucket, header
    /// first (docs/door-log.md). It holds every check counted, saved or not.
    pub fn check_log_csv(&self, now: u64) -> String {
        crate::check_log::shared::lock(&self.lock().check_log).csv(now)
    }

    /// Offers a signed status list given as bytes (bundled, or copied from another device) at
    /// `now`. With nothing known of where it came from, it is kept as the list its `sub` names, for
    /// the issuer the trust list holds its key for, if it verifies against the trust list (key
    /// window, `iat`, `exp`) and is not older than the one held for that issuer and URI.
    pub fn update_status_list(&self, bytes: &[u8], now: u64) -> Result<HeldStatusList, DoorError> {
        self.take_status_list(bytes, StatusListBinding::given(), now)
    }

    /// Offers a status list fetched from `id.uri` for passes of `id.issuer_id` at `now`: kept only
    /// if its `sub` is that URI and its key is listed for that issuer (see
    /// [`DoorVerifier::update_status_list`] for the other checks).
    pub fn update_fetched_status_list(
        &self,
        bytes: &[u8],
        id: &StatusListId,
        now: u64,
    ) -> Result<HeldStatusList, DoorError> {
        self.take_status_list(bytes, id.binding(), now)
    }

    fn take_status_list(
        &self,
        bytes: &[u8],
        binding: StatusListBinding<'_>,
        now: u64,
    ) -> Result<HeldStatusList, DoorError> {
        let mut state = self.lock();
        let DoorState {
            verifier,
            status_lists,
            wanted,
            ..
        } = &mut *state;
        let verifier = verifier.as_mut().ok_or(DoorError::NoTrustList)?;
        let id = verifier.update_status_list(bytes, binding, now)?;
        wanted.remove(&id);
        status_lists.keep(&id, bytes.to_vec(), now).map_err(storage)
    }

    /// Fetches every list held whose `ttl` has passed, and every list named by a pass checked here
    /// that is not held yet, each bound to the URI fetched and the issuer whose passes name it. Each fetch stands alone: the lists that came are kept, and the first
    /// failure is returned after all were tried (a door with no network keeps its lists).
    pub async fn refresh_status_lists(
        &self,
        client: &IssuerClient,
        now: u64,
    ) -> Result<Vec<HeldStatusList>, DoorError> {
        let due: Vec<StatusListId> = {
            let state = self.lock();
            let held = state.status_lists.held();
            held.iter()
                .filter(|h| h.is_due(now))
                .map(HeldStatusList::id)
                .chain(state.wanted.iter().cloned())
                .collect()
        };
        let mut first_error = None;
        for id in due {
            let outcome = match client.status_list(&id.uri).await {
                Ok(answer) => self.update_fetched_status_list(&answer.value, &id, now),
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
#[path = "door_tests.rs"]
mod tests;
