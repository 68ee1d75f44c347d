//! A door verifier on a device: the offline [`Verifier`] plus its own [`TrustListCache`], refreshed
//! from the issuer or from bytes (a bundled or scanned list) whenever the device has them. Checking a
//! code never touches the network.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use doorpass_format::keys::VerifyingKey;
use doorpass_format::verifier::{Verdict, Verifier, VerifierPolicy};
use doorpass_format::{StatusListBinding, StatusListId, StatusListUpdateError};

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
        {
            let id = StatusListId {
                issuer_id: pass.issuer_id.clone(),
                uri: uri.clone(),
            };
            if state.status_lists.get(&id).is_none() {
                drop(state);
                self.lock().wanted.insert(id);
            }
        }
        Ok(verdict)
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

#[cfg(test)]
mod status_list_tests {
    use super::*;
    use doorpass_format::keys::generate_signing_key;
    use doorpass_format::pass::{Pass, PassClaims, PassKind};
    use doorpass_format::trust_list::{TrustListContent, TrustedIssuer};
    use doorpass_format::{
        Presentation, SigningKey, StatusList, StatusListError, StatusListToken, StatusReference,
    };

    const NOW: u64 = 1_800_000_000;
    const DAY: u64 = 86_400;
    const URI: &str = "https://kdca.kr/s/1";
    const INDEX: u64 = 7;

    struct Keys {
        anchor: SigningKey,
        kdca: SigningKey,
        retired: SigningKey,
        other: SigningKey,
        holder: SigningKey,
    }

    fn keys() -> Keys {
        Keys {
            anchor: generate_signing_key(),
            kdca: generate_signing_key(),
            retired: generate_signing_key(),
            other: generate_signing_key(),
            holder: generate_signing_key(),
        }
    }

    /// KR-TEST's key, its key retired 100 days ago, and XX-OTHER's key.
    fn trust(k: &Keys) -> Vec<u8> {
        TrustListContent {
            version: 1,
            issued_at: 1_000,
            next_update: 2_000,
            issuers: vec![
                TrustedIssuer::new(k.other.verifying_key(), "XX-OTHER", 0, u64::MAX),
                TrustedIssuer::new(k.retired.verifying_key(), "KR-TEST", 0, NOW - 100 * DAY),
                TrustedIssuer::new(k.kdca.verifying_key(), "KR-TEST", NOW - 100 * DAY, u64::MAX),
            ],
        }
        .sign(&k.anchor)
    }

    fn list(uri: &str, iat: u64, exp: u64, revoked: bool, key: &SigningKey) -> Vec<u8> {
        let mut list = StatusList::new(64);
        if revoked {
            list.revoke(INDEX);
        }
        StatusListToken {
            uri: uri.into(),
            issued_at: iat,
            expires_at: Some(exp),
            ttl: Some(300),
            list,
        }
        .sign(key)
    }

    /// A KR-TEST pass naming entry [`INDEX`] of [`URI`], shown at [`NOW`].
    fn code(k: &Keys) -> String {
        code_of(k, claims(k))
    }

    fn code_of(k: &Keys, claims: PassClaims) -> String {
        let pass = Pass::issue(&claims, &k.kdca).unwrap();
        Presentation::rotating(pass.bytes(), &k.holder, NOW).to_qr_text()
    }

    fn claims(k: &Keys) -> PassClaims {
        PassClaims {
            key_assurance: doorpass_format::KeyAssurance::Unattested,
            issuer_id: "KR-TEST".into(),
            issued_at: NOW - DAY,
            not_before: NOW - DAY,
            expires_at: NOW + 30 * DAY,
            pass_id: [5; 16],
            holder_key: k.holder.verifying_key().into(),
            display_name: "Kim".into(),
            birth_date: "1990".into(),
            kind: PassKind::Vaccination,
            renew_after: NOW + 20 * DAY,
            status: Some(StatusReference {
                index: INDEX,
                uri: URI.into(),
            }),
        }
    }

    #[test]
    fn door_staff_can_start_refusing_passes_that_cannot_be_revoked() {
        let k = keys();
        let dir = tempfile::tempdir().unwrap();
        let (door, _) =
            DoorVerifier::open(dir.path(), k.anchor.verifying_key(), Default::default()).unwrap();
        door.update_trust_list(&trust(&k), NOW).unwrap();
        let unrevocable = code_of(
            &k,
            PassClaims {
                key_assurance: doorpass_format::KeyAssurance::Unattested,
                status: None,
                ..claims(&k)
            },
        );
        assert!(door.verify(&unrevocable, NOW).unwrap().is_valid());
        door.set_policy(VerifierPolicy {
            refuse_unrevocable: true,
            ..door.policy()
        });
        assert_eq!(
            door.verify(&unrevocable, NOW).unwrap().code(),
            "not_revocable"
        );
        // A new trust list keeps the policy.
        let mut newer = doorpass_format::TrustList::verify(&trust(&k), &k.anchor.verifying_key())
            .unwrap()
            .content()
            .clone();
        newer.version = 2;
        door.update_trust_list(&newer.sign(&k.anchor), NOW).unwrap();
        assert_eq!(
            door.verify(&unrevocable, NOW).unwrap().code(),
            "not_revocable"
        );
    }

    fn refusal(result: Result<HeldStatusList, DoorError>) -> StatusListError {
        match result {
            Err(DoorError::StatusList(StatusListUpdateError::Invalid(e))) => e,
            other => panic!("expected a refused list, got {other:?}"),
        }
    }

    #[test]
    fn a_fetched_list_is_taken_only_for_its_uri_and_issuer_and_a_refusal_keeps_the_held_one() {
        let k = keys();
        let dir = tempfile::tempdir().unwrap();
        let open = || DoorVerifier::open(dir.path(), k.anchor.verifying_key(), Default::default());
        let (door, _) = open().unwrap();
        door.update_trust_list(&trust(&k), NOW).unwrap();
        // A pass checked here puts its issuer's list on the wanted list.
        assert!(door.verify(&code(&k), NOW).unwrap().is_valid());
        let id = door.lock().wanted.iter().next().cloned().unwrap();
        assert_eq!(
            id,
            StatusListId {
                issuer_id: "KR-TEST".into(),
                uri: URI.into()
            }
        );
        let genuine = list(URI, NOW - 60, NOW + DAY, true, &k.kdca);
        door.update_fetched_status_list(&genuine, &id, NOW).unwrap();
        assert_eq!(door.verify(&code(&k), NOW).unwrap().code(), "revoked");

        let fetch = |bytes: Vec<u8>| door.update_fetched_status_list(&bytes, &id, NOW);
        assert!(matches!(
            refusal(fetch(list(URI, NOW, NOW + DAY, false, &k.other))),
            StatusListError::WrongIssuer { expected } if expected == "KR-TEST"
        ));
        assert_eq!(
            refusal(fetch(list(URI, NOW, NOW + DAY, false, &k.retired))),
            StatusListError::KeyNotValidAtIssuance { issued_at: NOW }
        );
        assert!(matches!(
            refusal(fetch(list(
                "https://kdca.kr/s/2",
                NOW,
                NOW + DAY,
                false,
                &k.kdca
            ))),
            StatusListError::WrongUri { .. }
        ));
        assert!(matches!(
            refusal(fetch(list(URI, NOW + DAY, NOW + 2 * DAY, false, &k.kdca))),
            StatusListError::IssuedInFuture { .. }
        ));
        assert_eq!(
            refusal(fetch(list(URI, NOW - 2 * DAY, NOW - DAY, false, &k.kdca))),
            StatusListError::Expired {
                expired_at: NOW - DAY
            }
        );
        // The genuine list stays, in memory and on disk.
        let held = door.status_lists();
        assert_eq!(held.len(), 1);
        assert_eq!(
            (held[0].issued_at, &*held[0].issuer_id),
            (NOW - 60, "KR-TEST")
        );
        drop(door);
        let (door, _) = open().unwrap();
        assert_eq!(door.status_lists().len(), 1);
        assert_eq!(door.verify(&code(&k), NOW).unwrap().code(), "revoked");
    }

    #[test]
    fn another_issuers_list_given_under_a_real_uri_is_kept_apart_and_undoes_nothing() {
        let k = keys();
        let dir = tempfile::tempdir().unwrap();
        let open = || DoorVerifier::open(dir.path(), k.anchor.verifying_key(), Default::default());
        let (door, _) = open().unwrap();
        door.update_trust_list(&trust(&k), NOW).unwrap();
        let genuine = list(URI, NOW - 60, NOW + DAY, true, &k.kdca);
        assert_eq!(
            door.update_status_list(&genuine, NOW).unwrap().issuer_id,
            "KR-TEST"
        );
        // XX-OTHER's key signs a list under KR-TEST's URI, dated as late as the clock allows and
        // revoking nothing: it is kept as XX-OTHER's list, in a file of its own.
        let hostile = list(URI, NOW + 600, NOW + DAY, false, &k.other);
        let taken = door.update_status_list(&hostile, NOW).unwrap();
        assert_eq!((&*taken.issuer_id, &*taken.uri), ("XX-OTHER", URI));
        assert_eq!(door.verify(&code(&k), NOW).unwrap().code(), "revoked");
        // KR-TEST's next list is not refused as older than XX-OTHER's.
        let next = list(URI, NOW, NOW + DAY, true, &k.kdca);
        door.update_status_list(&next, NOW).unwrap();
        drop(door);
        let (door, _) = open().unwrap();
        let held = door.status_lists();
        assert_eq!(held.len(), 2, "{held:?}");
        assert!(
            held.iter()
                .any(|h| h.issuer_id == "KR-TEST" && h.issued_at == NOW)
        );
        assert_eq!(door.verify(&code(&k), NOW).unwrap().code(), "revoked");
    }
}
