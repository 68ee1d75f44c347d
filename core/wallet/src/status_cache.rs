//! Status lists kept on a device: the newest verified token per issuer and list URI, one file each
//! in a folder of their own, offered again to the verifier after a restart or a trust-list change. Works with
//! whatever was fetched last; says how old it is.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use doorpass_format::verifier::Verifier;
use doorpass_format::{StatusListId, StatusListToken};
use sha2::{Digest, Sha256};

/// Folder (inside the door's or wallet's folder) holding the status lists.
pub const STATUS_LISTS_DIR: &str = "status-lists";

/// What a device holds for one list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldStatusList {
    /// The issuer whose passes the list speaks for (the one its key is listed for).
    pub issuer_id: String,
    /// The list's URI.
    pub uri: String,
    /// When it was signed (`iat`).
    pub issued_at: u64,
    /// How long it may be kept before fetching it again (`ttl`), if it says.
    pub ttl: Option<u64>,
    /// When this device got it (0 for a list read from disk: fetched again at the next chance).
    pub fetched_at: u64,
}

impl HeldStatusList {
    /// Which list this is.
    pub fn id(&self) -> StatusListId {
        StatusListId {
            issuer_id: self.issuer_id.clone(),
            uri: self.uri.clone(),
        }
    }

    /// Seconds since it was signed.
    pub fn age_seconds(&self, now: u64) -> u64 {
        now.saturating_sub(self.issued_at)
    }

    /// Whether its `ttl` has passed since this device got it (a list without one is fetched again
    /// after 5 minutes). The `ttl` counts from the fetch, as the draft says, not from `iat`: an
    /// issuer re-signs unchanged lists only hourly.
    pub fn is_due(&self, now: u64) -> bool {
        now.saturating_sub(self.fetched_at) >= self.ttl.unwrap_or(300)
    }
}

/// The status-list files of one device folder. Which issuer a list speaks for is known only once a
/// verifier has checked it against the trust list, so lists read from disk wait, unchecked, until
/// they are offered ([`StatusListFiles::offer_all_to`]).
#[derive(Debug, Default)]
pub struct StatusListFiles {
    dir: PathBuf,
    /// Lists read from disk and not offered to a verifier yet.
    unchecked: Vec<Vec<u8>>,
    held: HashMap<StatusListId, (HeldStatusList, Vec<u8>)>,
}

impl StatusListFiles {
    /// Reads the lists in `dir` (made when the first list is kept). Files that are not status lists
    /// are ignored; whether a list is trusted, and for which issuer, is decided when it is offered
    /// to a verifier.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        let mut files = StatusListFiles {
            dir: dir.to_path_buf(),
            ..StatusListFiles::default()
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(files),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_none_or(|e| e != "cose") {
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            if StatusListToken::parse(&bytes).is_ok() {
                files.unchecked.push(bytes);
            }
        }
        // Oldest first, so that each list's newest copy is the one kept.
        files.unchecked.sort_by_key(|bytes| {
            StatusListToken::parse(bytes).map_or(0, |s| s.unverified().issued_at)
        });
        Ok(files)
    }

    /// Offers every list held or read from disk to `verifier` (after a restart or a new trust list);
    /// lists it refuses (signed by a key no longer trusted) are forgotten.
    pub fn offer_all(&mut self, verifier: &mut Verifier) {
        self.offer_all_to(|bytes| verifier.restore_status_list(bytes).ok());
    }

    /// Offers every list held or read from disk to `accept`, which says which list it is or refuses
    /// it; the lists it refuses are forgotten.
    pub fn offer_all_to(&mut self, mut accept: impl FnMut(&[u8]) -> Option<StatusListId>) {
        let mut offered: Vec<(Vec<u8>, u64)> =
            self.unchecked.drain(..).map(|bytes| (bytes, 0)).collect();
        let mut held: Vec<_> = self
            .held
            .drain()
            .map(|(_, (h, bytes))| (h, bytes))
            .collect();
        held.sort_by_key(|(h, _)| h.issued_at);
        offered.extend(held.into_iter().map(|(h, bytes)| (bytes, h.fetched_at)));
        for (bytes, fetched_at) in offered {
            let Some(id) = accept(&bytes) else { continue };
            if let Ok(signed) = StatusListToken::parse(&bytes) {
                let held = held_of(&id, signed.unverified(), fetched_at);
                self.held.insert(id, (held, bytes));
            }
        }
    }

    /// Keeps `bytes`, which a verifier has just accepted as the list `id`, got at `now`.
    pub fn keep(
        &mut self,
        id: &StatusListId,
        bytes: Vec<u8>,
        now: u64,
    ) -> std::io::Result<HeldStatusList> {
        let signed = StatusListToken::parse(&bytes)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let held = held_of(id, signed.unverified(), now);
        doorpass_format::atomic_file::create_private_dir(&self.dir)?;
        doorpass_format::atomic_file::write_atomic(&self.file_for(id), &bytes, false)?;
        self.held.insert(id.clone(), (held.clone(), bytes));
        Ok(held)
    }

    /// The lists held (checked against a trust list), by issuer and URI.
    pub fn held(&self) -> Vec<HeldStatusList> {
        let mut held: Vec<_> = self.held.values().map(|(h, _)| h.clone()).collect();
        held.sort_by(|a, b| (&a.uri, &a.issuer_id).cmp(&(&b.uri, &b.issuer_id)));
        held
    }

    /// The list held as `id`.
    pub fn get(&self, id: &StatusListId) -> Option<&HeldStatusList> {
        self.held.get(id).map(|(h, _)| h)
    }

    /// `DIR/<first 16 bytes of SHA-256(issuer id, NUL, uri), hex>.cose`: one file per issuer and
    /// URI, whatever they hold, under a safe name.
    fn file_for(&self, id: &StatusListId) -> PathBuf {
        let mut hash = Sha256::new();
        hash.update(id.issuer_id.as_bytes());
        hash.update([0]);
        hash.update(id.uri.as_bytes());
        let digest = hash.finalize();
        let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{name}.cose"))
    }
}

fn held_of(id: &StatusListId, token: &StatusListToken, fetched_at: u64) -> HeldStatusList {
    HeldStatusList {
        issuer_id: id.issuer_id.clone(),
        uri: id.uri.clone(),
        issued_at: token.issued_at,
        ttl: token.ttl,
        fetched_at,
    }
}
