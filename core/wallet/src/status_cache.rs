//! Status lists kept on a device: the newest verified token per list URI, one file each in a folder
//! of their own, offered again to the verifier after a restart or a trust-list change. Works with
//! whatever was fetched last; says how old it is.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use doorpass_format::StatusListToken;
use doorpass_format::verifier::Verifier;
use sha2::{Digest, Sha256};

/// Folder (inside the door's or wallet's folder) holding the status lists.
pub const STATUS_LISTS_DIR: &str = "status-lists";

/// What a device holds for one list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldStatusList {
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

/// The status-list files of one device folder.
#[derive(Debug, Default)]
pub struct StatusListFiles {
    dir: PathBuf,
    held: HashMap<String, (HeldStatusList, Vec<u8>)>,
}

impl StatusListFiles {
    /// Reads the lists in `dir` (made when the first list is kept). Files that are not status lists
    /// are ignored; whether a list is trusted is decided when it is offered to a verifier.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        let mut files = StatusListFiles {
            dir: dir.to_path_buf(),
            held: HashMap::new(),
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
            if let Ok(signed) = StatusListToken::parse(&bytes) {
                let held = held_of(signed.unverified(), 0);
                let newer = files
                    .held
                    .get(&held.uri)
                    .is_none_or(|(h, _)| h.issued_at < held.issued_at);
                if newer {
                    files.held.insert(held.uri.clone(), (held, bytes));
                }
            }
        }
        Ok(files)
    }

    /// Offers every held list to `verifier` (after a restart or a new trust list); lists it
    /// refuses (signed by a key no longer trusted) are forgotten.
    pub fn offer_all(&mut self, verifier: &mut Verifier) {
        self.offer_all_to(|bytes| verifier.update_status_list(bytes).is_ok());
    }

    /// Offers every held list to `accept`; the lists it refuses are forgotten.
    pub fn offer_all_to(&mut self, mut accept: impl FnMut(&[u8]) -> bool) {
        self.held.retain(|_, (_, bytes)| accept(bytes));
    }

    /// Keeps `bytes`, which a verifier has just accepted as the list at `uri`, got at `now`.
    pub fn keep(&mut self, uri: &str, bytes: Vec<u8>, now: u64) -> std::io::Result<HeldStatusList> {
        let signed = StatusListToken::parse(&bytes)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let held = held_of(signed.unverified(), now);
        doorpass_format::atomic_file::create_private_dir(&self.dir)?;
        doorpass_format::atomic_file::write_atomic(&self.file_for(uri), &bytes, false)?;
        self.held.insert(uri.to_string(), (held.clone(), bytes));
        Ok(held)
    }

    /// The lists held.
    pub fn held(&self) -> Vec<HeldStatusList> {
        let mut held: Vec<_> = self.held.values().map(|(h, _)| h.clone()).collect();
        held.sort_by(|a, b| a.uri.cmp(&b.uri));
        held
    }

    /// The list held for `uri`.
    pub fn get(&self, uri: &str) -> Option<&HeldStatusList> {
        self.held.get(uri).map(|(h, _)| h)
    }

    /// `DIR/<first 16 bytes of SHA-256(uri), hex>.cose`: any URI, a safe file name.
    fn file_for(&self, uri: &str) -> PathBuf {
        let digest = Sha256::digest(uri.as_bytes());
        let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{name}.cose"))
    }
}

fn held_of(token: &StatusListToken, fetched_at: u64) -> HeldStatusList {
    HeldStatusList {
        uri: token.uri.clone(),
        issued_at: token.issued_at,
        ttl: token.ttl,
        fetched_at,
    }
}
