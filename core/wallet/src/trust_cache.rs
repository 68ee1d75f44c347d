//! The trust list a device keeps: the last good copy on disk, checked against the pinned anchor when
//! read and when replaced, never rolled back to an older version, with its age for the screen. Wallets
//! and door verifiers share it.
//!
//! The cache refuses versions below its floor: the highest version it accepted, or a higher one the
//! owner kept elsewhere ([`TrustListCache::open_with_floor`]) so that losing the cached file does not
//! lose the floor with it.

use std::io;
use std::path::{Path, PathBuf};

use doorpass_format::keys::VerifyingKey;
use doorpass_format::trust_list::TrustList;

use doorpass_format::atomic_file::{Checked, read_checked, write_atomic};

/// The cached trust list, as shown in a status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustListStatus {
    /// Its version.
    pub version: u64,
    /// Seconds since it was issued.
    pub age_seconds: u64,
    /// Whether the anchor's planned update time has passed (refresh when online).
    pub update_due: bool,
}

/// Why an offered trust list was not kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustCacheError {
    /// The list is not signed by the pinned anchor, is malformed, conflicts with the cached one, or is
    /// older than a version already accepted on this device while no list is cached (a rollback).
    #[error("the trust list was refused: {detail}")]
    Invalid {
        /// What was wrong.
        detail: String,
    },
    /// The list could not be written to disk; the cached one stays.
    #[error("the trust list could not be saved: {detail}")]
    Storage {
        /// What failed.
        detail: String,
    },
}

/// A damaged cached list, moved aside when the cache was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    /// Where it was moved.
    pub moved_to: PathBuf,
    /// What was wrong.
    pub reason: String,
}

/// A trust list cached in one file.
#[derive(Debug, Clone)]
pub struct TrustListCache {
    path: PathBuf,
    anchor: VerifyingKey,
    list: Option<TrustList>,
    /// No list below this version is kept; at least the cached list's version.
    floor: u64,
}

impl TrustListCache {
    /// Reads the cached list at `path`, if any. A copy that no longer checks against `anchor` is set
    /// aside (and reported) rather than trusted.
    pub fn open(path: &Path, anchor: VerifyingKey) -> io::Result<(Self, Option<SetAside>)> {
        Self::open_with_floor(path, anchor, 0)
    }

    /// [`TrustListCache::open`], refusing every version below `floor` (the highest version accepted
    /// before, as the owner recorded it): a cached copy below it is set aside, and so are offered
    /// lists below it (ignored while a list is cached, refused while none is).
    pub fn open_with_floor(
        path: &Path,
        anchor: VerifyingKey,
        floor: u64,
    ) -> io::Result<(Self, Option<SetAside>)> {
        let checked = read_checked(path, |b| {
            let list = TrustList::verify(b, &anchor).map_err(|e| e.to_string())?;
            if list.version() < floor {
                return Err(format!(
                    "version {} is older than version {floor}, already accepted on this device",
                    list.version()
                ));
            }
            Ok(list)
        })?;
        let (list, set_aside) = match checked {
            Checked::Good(list) => (Some(list), None),
            Checked::Missing => (None, None),
            Checked::SetAside { moved_to, reason } => (None, Some(SetAside { moved_to, reason })),
        };
        let floor = list.as_ref().map_or(floor, |l| l.version().max(floor));
        let cache = TrustListCache {
            path: path.to_path_buf(),
            anchor,
            list,
            floor,
        };
        Ok((cache, set_aside))
    }

    /// The file the list is kept in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cached list, if any.
    pub fn list(&self) -> Option<&TrustList> {
        self.list.as_ref()
    }

    /// The lowest version this cache still accepts: the highest it accepted, or the floor it was
    /// opened with if that is higher.
    pub fn floor(&self) -> u64 {
        self.floor
    }

    /// The cached list's version and age as of `now`, if a list is cached.
    pub fn status(&self, now: u64) -> Option<TrustListStatus> {
        self.list.as_ref().map(|list| status_of(list, now))
    }

    /// Offers a signed list (fetched, scanned or bundled). It is kept when the anchor signed it and it
    /// is not older than the floor (the cached one, or one accepted before); an older one is ignored
    /// (a stale cache or a rollback attempt) and the cached list's status is returned. The answer is
    /// the status of the list now held; with no list held, an older one is refused as
    /// [`TrustCacheError::Invalid`].
    pub fn offer(&mut self, bytes: &[u8], now: u64) -> Result<TrustListStatus, TrustCacheError> {
        let invalid = |e: doorpass_format::TrustListError| TrustCacheError::Invalid {
            detail: e.to_string(),
        };
        let list = TrustList::verify(bytes, &self.anchor).map_err(invalid)?;
        if list.version() < self.floor {
            return match &self.list {
                Some(cached) => {
                    log::info!(
                        "trust list version {} ignored: version {} is cached",
                        list.version(),
                        cached.version()
                    );
                    Ok(status_of(cached, now))
                }
                None => Err(TrustCacheError::Invalid {
                    detail: format!(
                        "trust list version {} is older than version {}, already accepted on this \
                         device (a rollback)",
                        list.version(),
                        self.floor
                    ),
                }),
            };
        }
        if let Some(cached) = &self.list {
            list.may_replace(cached).map_err(invalid)?;
        }
        write_atomic(&self.path, list.bytes(), false).map_err(|e| TrustCacheError::Storage {
            detail: e.to_string(),
        })?;
        let status = status_of(&list, now);
        self.floor = self.floor.max(list.version());
        self.list = Some(list);
        Ok(status)
    }
}

fn status_of(list: &TrustList, now: u64) -> TrustListStatus {
    TrustListStatus {
        version: list.version(),
        age_seconds: list.age_seconds(now),
        update_due: list.is_due_for_update(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use doorpass_format::keys::generate_signing_key;
    use doorpass_format::trust_list::{TrustListContent, TrustedIssuer};

    fn signed(anchor: &doorpass_format::SigningKey, version: u64, issued_at: u64) -> Vec<u8> {
        let issuer = generate_signing_key().verifying_key();
        TrustListContent {
            version,
            issued_at,
            next_update: issued_at + 3600,
            issuers: vec![TrustedIssuer::new(issuer, "KR-TEST", 0, u64::MAX)],
        }
        .sign(anchor)
    }

    #[test]
    fn keeps_newer_lists_ignores_older_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trust-list.cose");
        let anchor = generate_signing_key();
        let (mut cache, set_aside) = TrustListCache::open(&path, anchor.verifying_key()).unwrap();
        assert!(set_aside.is_none() && cache.status(0).is_none());

        let v2 = signed(&anchor, 2, 1_000);
        assert_eq!(cache.offer(&v2, 1_600).unwrap().version, 2);
        let old = cache.offer(&signed(&anchor, 1, 900), 1_600).unwrap();
        assert_eq!((old.version, old.age_seconds), (2, 600));
        let status = cache.offer(&signed(&anchor, 3, 5_000), 9_000).unwrap();
        assert_eq!((status.version, status.update_due), (3, true));

        let (reopened, _) = TrustListCache::open(&path, anchor.verifying_key()).unwrap();
        assert_eq!(reopened.status(5_000).unwrap().version, 3);
    }

    #[test]
    fn the_floor_outlives_the_cached_copy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trust-list.cose");
        let anchor = generate_signing_key();
        let v1 = signed(&anchor, 1, 1_000);
        let v2 = signed(&anchor, 2, 2_000);
        let (mut cache, _) = TrustListCache::open(&path, anchor.verifying_key()).unwrap();
        cache.offer(&v2, 2_000).unwrap();
        assert_eq!(cache.floor(), 2);

        // The cached file is lost; the owner's floor still refuses version 1 and takes version 2.
        std::fs::remove_file(&path).unwrap();
        let (mut cache, _) =
            TrustListCache::open_with_floor(&path, anchor.verifying_key(), 2).unwrap();
        assert!(matches!(
            cache.offer(&v1, 2_000),
            Err(TrustCacheError::Invalid { .. })
        ));
        assert!(cache.list().is_none() && !path.exists());
        assert_eq!(cache.offer(&v2, 2_000).unwrap().version, 2);

        // A genuine but older copy planted in the cache's place is set aside on opening.
        std::fs::write(&path, &v1).unwrap();
        let (cache, set_aside) =
            TrustListCache::open_with_floor(&path, anchor.verifying_key(), 2).unwrap();
        assert!(cache.list().is_none());
        assert!(set_aside.unwrap().reason.contains("older than version 2"));
    }

    #[test]
    fn refuses_lists_from_another_anchor_and_sets_aside_a_damaged_copy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trust-list.cose");
        let anchor = generate_signing_key();
        let (mut cache, _) = TrustListCache::open(&path, anchor.verifying_key()).unwrap();
        let forged = signed(&generate_signing_key(), 9, 0);
        assert!(matches!(
            cache.offer(&forged, 0),
            Err(TrustCacheError::Invalid { .. })
        ));
        assert!(cache.list().is_none());

        std::fs::write(&path, b"damaged").unwrap();
        let (cache, set_aside) = TrustListCache::open(&path, anchor.verifying_key()).unwrap();
        assert!(cache.list().is_none());
        assert!(set_aside.unwrap().moved_to.exists());
    }
}
