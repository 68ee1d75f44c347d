//! The trust list a device keeps: the last good copy on disk, checked against the pinned anchor when
//! read and when replaced, never rolled back to an older version, with its age for the screen. Wallets
//! and door verifiers share it.

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
    /// The list is not signed by the pinned anchor, is malformed, or conflicts with the cached one.
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
}

impl TrustListCache {
    /// Reads the cached list at `path`, if any. A copy that no longer checks against `anchor` is set
    /// aside (and reported) rather than trusted.
    pub fn open(path: &Path, anchor: VerifyingKey) -> io::Result<(Self, Option<SetAside>)> {
        let checked = read_checked(path, |b| {
            TrustList::verify(b, &anchor).map_err(|e| e.to_string())
        })?;
        let (list, set_aside) = match checked {
            Checked::Good(list) => (Some(list), None),
            Checked::Missing => (None, None),
            Checked::SetAside { moved_to, reason } => (None, Some(SetAside { moved_to, reason })),
        };
        let cache = TrustListCache {
            path: path.to_path_buf(),
            anchor,
            list,
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

    /// The cached list's version and age as of `now`, if a list is cached.
    pub fn status(&self, now: u64) -> Option<TrustListStatus> {
        self.list.as_ref().map(|list| status_of(list, now))
    }

    /// Offers a signed list (fetched, scanned or bundled). It is kept when the anchor signed it and it
    /// is newer than the cached one; an older one is ignored (a stale cache or a rollback attempt) and
    /// the cached list's status is returned. Either way the answer is the status of the list now held.
    pub fn offer(&mut self, bytes: &[u8], now: u64) -> Result<TrustListStatus, TrustCacheError> {
        let invalid = |e: doorpass_format::TrustListError| TrustCacheError::Invalid {
            detail: e.to_string(),
        };
        let list = TrustList::verify(bytes, &self.anchor).map_err(invalid)?;
        if let Some(cached) = &self.list {
            if list.version() < cached.version() {
                log::info!(
                    "trust list version {} ignored: version {} is cached",
                    list.version(),
                    cached.version()
                );
                return Ok(status_of(cached, now));
            }
            list.may_replace(cached).map_err(invalid)?;
        }
        write_atomic(&self.path, list.bytes(), false).map_err(|e| TrustCacheError::Storage {
            detail: e.to_string(),
        })?;
        let status = status_of(&list, now);
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
