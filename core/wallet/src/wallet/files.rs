//! The wallet folder on disk. Every write is atomic; every read is checked and a damaged file is set
//! aside.
//!
//! ```text
//! HOME/identity.json        wallet id, issuer URL, pinned anchor, highest trust-list version accepted
//! HOME/identity.backup.json the same, read when the first copy is missing or damaged
//! HOME/state.json           clock record, pending enrolment
//! HOME/lock                 locked while a process talks to the issuer for this wallet
//! HOME/trust-list.cose      cached trust list (checked against the anchor on load)
//! HOME/passes/SLOT.json     per-pass metadata: subject, renewal schedule, re-auth flag
//! HOME/passes/SLOT.cose     the current pass (checked against the trust list on load)
//! HOME/passes/SLOT.previous.cose  the pass before the last renewal, shown if the current one is damaged
//! ```

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::clock::ClockRecord;
use crate::holder_signer::{HolderKeyStorage, PlatformKeyRecord};
use doorpass_format::api::AttestationEvidence;
use doorpass_format::atomic_file::{Checked, read_checked, remove_stale_temp_files, write_atomic};

/// Version of the folder layout.
pub const FORMAT: u32 = 1;

/// The wallet's identity (written when the wallet is created; rewritten when the issuer URL is
/// replaced or the trust-list floor rises).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Identity {
    pub format: u32,
    /// Random id; namespaces this wallet's secrets in shared secure storage.
    pub wallet_id: String,
    pub issuer_url: String,
    /// Pinned trust anchor public key, base64url.
    pub anchor: String,
    pub created_at: u64,
    /// The highest trust-list version this wallet accepted: its rollback floor. Kept here (twice)
    /// rather than only in the cached list, so that a damaged or deleted `trust-list.cose` cannot
    /// open the way to an older list. Missing (0) in files written before it existed.
    #[serde(default)]
    pub trust_list_floor: u64,
}

/// State that changes often.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct StateFile {
    pub clock: ClockRecord,
    pub pending: Option<PendingRecord>,
}

/// An enrolment waiting for its code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PendingRecord {
    pub slot: String,
    pub subject: String,
    pub challenge_id: String,
    pub code_length: u32,
    pub expires_at: u64,
    pub reauth: bool,
    /// Which kind of key the enrolment proves (and the pass will bind). Missing (software Ed25519)
    /// in files written before issue 22.
    #[serde(default)]
    pub holder_key: HolderKeyStorage,
    /// The start key, when the platform keeps it (its id and public key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_key: Option<PlatformKeyRecord>,
    /// The issuer's key attestation challenge from the start answer (base64url), if it asked for
    /// one (issue 22 part 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_challenge: Option<String>,
    /// The platform key made for that challenge and its evidence, recorded before the completion
    /// is sent: retries of this enrolment send the same, and the key is deleted when unused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attested: Option<AttestedKeyRecord>,
    /// The platform signer made no attestation for the challenge: completions go without one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub attestation_unavailable: bool,
    /// The issuer's answer, once it came, until its pass is checked and stored (its refresh token is
    /// already in secure storage): a failure in between resumes from here instead of asking the
    /// issuer again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<ReceivedAnswer>,
}

impl PendingRecord {
    /// The ids of the platform keys this enrolment holds (its start key, its attested key).
    pub fn platform_key_ids(&self) -> impl Iterator<Item = &str> {
        self.platform_key
            .iter()
            .chain(self.attested.iter().map(|a| &a.key))
            .map(|k| k.key_id.as_str())
    }
}

/// A platform key made for an enrolment's attestation challenge, with the platform's evidence.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AttestedKeyRecord {
    pub key: PlatformKeyRecord,
    pub evidence: AttestationEvidence,
}

/// An enrolment answer as kept in the state file: everything but the refresh token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ReceivedAnswer {
    pub pass: String,
    pub pass_id: String,
    pub expires_at: u64,
    pub renew_after: u64,
    pub refresh_expires_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_hours: Option<Vec<doorpass_format::api::PeakWindow>>,
}

/// Per-pass metadata.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct SlotMeta {
    pub subject: String,
    pub created_at: u64,
    pub reauth_required: bool,
    pub reauth_reason: Option<String>,
    pub failures: u32,
    pub next_attempt_at: u64,
    pub last_error: Option<String>,
    /// Which kind of key holds this pass's holder key. Missing (software Ed25519) in files written
    /// before issue 22.
    #[serde(default)]
    pub holder_key: HolderKeyStorage,
    /// The platform key (its id and public key), when the platform keeps this pass's holder key.
    /// Missing in files written before issue 22 part 3, whose platform passes then need a new
    /// authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_key: Option<PlatformKeyRecord>,
    /// The issuer's busy hours as its last answer for this pass named them
    /// ([`crate::peak_hours`]); none in files written before issue 25.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peak_hours: Vec<doorpass_format::api::PeakWindow>,
}

/// Paths of a wallet folder.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub home: PathBuf,
}

impl Layout {
    pub fn identity(&self) -> PathBuf {
        self.home.join("identity.json")
    }
    /// Second copy of the identity, read when the first is missing or damaged.
    pub fn identity_backup(&self) -> PathBuf {
        self.home.join("identity.backup.json")
    }
    /// Held (an advisory file lock) while a process talks to the issuer for this wallet.
    pub fn lock(&self) -> PathBuf {
        self.home.join("lock")
    }
    pub fn state(&self) -> PathBuf {
        self.home.join("state.json")
    }
    pub fn trust_list(&self) -> PathBuf {
        self.home.join("trust-list.cose")
    }
    pub fn status_lists(&self) -> PathBuf {
        self.home.join(crate::status_cache::STATUS_LISTS_DIR)
    }
    pub fn passes(&self) -> PathBuf {
        self.home.join("passes")
    }
}

/// The pass files of a wallet: `passes/SLOT.cose` and `passes/SLOT.json`. Saving a renewed pass goes
/// through [`PassFiles::save_pass`], which replaces the file atomically: at every instant the file
/// holds the whole old pass or the whole new one.
#[derive(Debug, Clone)]
pub struct PassFiles {
    dir: PathBuf,
}

impl PassFiles {
    /// The pass files of the wallet in `home`.
    pub fn new(home: &Path) -> Self {
        PassFiles {
            dir: home.join("passes"),
        }
    }

    /// Creates the folder if needed and removes temporary files a crash left behind.
    pub fn prepare(&self) -> io::Result<()> {
        doorpass_format::atomic_file::create_private_dir(&self.dir)?;
        remove_stale_temp_files(&self.dir).map(|_| ())
    }

    /// Path of a slot's pass.
    pub fn pass_path(&self, slot: &str) -> PathBuf {
        self.dir.join(format!("{slot}.cose"))
    }

    /// Path of the pass a slot held before its last renewal: shown if the current one is damaged.
    pub fn previous_pass_path(&self, slot: &str) -> PathBuf {
        self.dir.join(format!("{slot}.previous.cose"))
    }

    pub(crate) fn meta_path(&self, slot: &str) -> PathBuf {
        self.dir.join(format!("{slot}.json"))
    }

    /// Replaces a slot's pass atomically and durably.
    pub fn save_pass(&self, slot: &str, pass: &[u8]) -> io::Result<()> {
        write_atomic(&self.pass_path(slot), pass, true)
    }

    /// Keeps `pass` (the slot's good pass, about to be replaced) as its previous pass.
    pub fn save_previous_pass(&self, slot: &str, pass: &[u8]) -> io::Result<()> {
        write_atomic(&self.previous_pass_path(slot), pass, true)
    }

    /// Reads a slot's previous pass, running `check` on it; one that fails is set aside.
    pub fn load_previous_pass<T>(
        &self,
        slot: &str,
        check: impl FnOnce(&[u8]) -> Result<T, String>,
    ) -> io::Result<Checked<T>> {
        read_checked(&self.previous_pass_path(slot), check)
    }

    /// Reads a slot's pass, running `check` on it; a pass that fails is set aside.
    pub fn load_pass<T>(
        &self,
        slot: &str,
        check: impl FnOnce(&[u8]) -> Result<T, String>,
    ) -> io::Result<Checked<T>> {
        read_checked(&self.pass_path(slot), check)
    }

    pub(crate) fn save_meta(&self, slot: &str, meta: &SlotMeta) -> io::Result<()> {
        write_json(&self.meta_path(slot), meta)
    }

    /// Ids of the slots present: those with a pass file or a metadata file (either may have been
    /// set aside, or lost to a crash between the two writes; the other still names the slot).
    pub fn slots(&self) -> io::Result<Vec<String>> {
        let mut slots = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if let Some(slot) = name
                .strip_suffix(".json")
                .or_else(|| name.strip_suffix(".cose"))
                && is_slot_id(slot)
            {
                slots.insert(slot.to_string());
            }
        }
        Ok(slots.into_iter().collect())
    }

    /// Deletes a slot's files.
    pub(crate) fn remove(&self, slot: &str) -> io::Result<()> {
        for path in [
            self.pass_path(slot),
            self.previous_pass_path(slot),
            self.meta_path(slot),
        ] {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// Whether `s` looks like a slot id (8 lower-case hex digits).
pub(crate) fn is_slot_id(s: &str) -> bool {
    s.len() == 8
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Writes a value as JSON, atomically, readable only by the owner.
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> io::Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    write_atomic(path, &bytes, true)
}

/// Reads a JSON file, setting it aside when it does not parse.
pub(crate) fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> io::Result<Checked<T>> {
    read_checked(path, |bytes| {
        serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))
    })
}
