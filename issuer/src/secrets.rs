//! The issuer's own secrets, apart from its signing key: the key that hashes one-time codes and the
//! key that orders status-list entries. `doorpass issuer init` draws them at random into
//! `secrets.key` in the serving folder (mode 0600); every node serving the folder reads the same file.
//!
//! They must not follow the signing key. When they did (derived from it), `issuer rotate-key` changed
//! the order of status-list entries half-way through a list, so new passes landed on entries already
//! handed out, and revoking an old pass refused an innocent holder; and codes sent before a rotation
//! read as wrong codes afterwards. A folder made before this file existed is migrated on first load
//! with the values it has used so far (derived from the current signing key), so codes in flight and
//! the current lists carry on; whether its lists may carry on is decided by
//! [`IssuerSecrets::continues_unclaimed_lists`].

use std::path::Path;

use doorpass_format::keys::{KeyId, SigningKey, hex};
use doorpass_format::trust_list::TrustList;
use sha2::{Digest, Sha256};

use crate::keys::{IssuerKeysError, io_error};

/// File name of the secrets in the serving folder.
pub const SECRETS_FILE: &str = "secrets.key";
const HEADER: &str = "# Doorpass issuer secrets: the same file on every node of this issuer; keep it \
                      private and never change it (docs/security.md).";
const CODE_LINE: &str = "code-hash";
const STATUS_LINE: &str = "status-entries";

/// The issuer's secrets (never logged, never leave the process).
#[derive(Clone, PartialEq, Eq)]
pub struct IssuerSecrets {
    /// Key of the keyed hash one-time codes are stored as.
    pub code_hash: [u8; 32],
    /// Key of the permutation that orders each status list's entries.
    pub status_entries: [u8; 32],
}

impl std::fmt::Debug for IssuerSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IssuerSecrets(secret)")
    }
}

impl IssuerSecrets {
    /// Fresh random secrets, for a new issuer folder.
    pub fn generate() -> Self {
        IssuerSecrets {
            code_hash: rand::random(),
            status_entries: rand::random(),
        }
    }

    /// The values a folder made before `secrets.key` existed used, derived from its signing key.
    pub fn legacy(signing_key: &SigningKey) -> Self {
        let derived: [u8; 32] = Sha256::new()
            .chain_update(b"doorpass one-time code secret")
            .chain_update(signing_key.to_bytes())
            .finalize()
            .into();
        IssuerSecrets {
            code_hash: derived,
            status_entries: derived,
        }
    }

    /// Reads `DIR/secrets.key`; when it is missing, writes it with [`IssuerSecrets::legacy`] values
    /// (the same on every node, so nodes migrating at once agree).
    pub fn load_or_migrate(dir: &Path, signing_key: &SigningKey) -> Result<Self, IssuerKeysError> {
        let path = dir.join(SECRETS_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text).ok_or_else(|| IssuerKeysError::Io {
                path: path.display().to_string(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "not an issuer secrets file (two lines of 64 hex digits); restore it from \
                     another node or a backup",
                ),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let migrated = Self::legacy(signing_key);
                migrated.write(dir)?;
                Ok(migrated)
            }
            Err(e) => Err(io_error(&path)(e)),
        }
    }

    /// Writes `DIR/secrets.key` (mode 0600, atomically).
    pub fn write(&self, dir: &Path) -> Result<(), IssuerKeysError> {
        let path = dir.join(SECRETS_FILE);
        let text = format!(
            "{HEADER}\n{CODE_LINE} {}\n{STATUS_LINE} {}\n",
            hex(&self.code_hash),
            hex(&self.status_entries)
        );
        doorpass_format::atomic_file::write_atomic(&path, text.as_bytes(), true)
            .map_err(io_error(&path))
    }

    fn parse(text: &str) -> Option<Self> {
        let mut code_hash = None;
        let mut status_entries = None;
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, value) = line.split_once(' ')?;
            let value = parse_hex32(value.trim())?;
            match name {
                CODE_LINE => code_hash = Some(value),
                STATUS_LINE => status_entries = Some(value),
                _ => return None,
            }
        }
        Some(IssuerSecrets {
            code_hash: code_hash?,
            status_entries: status_entries?,
        })
    }

    /// Whether status lists started before lists recorded their key may carry on with these
    /// secrets: only when they are the legacy values of the current signing key and the trust list
    /// shows no earlier key of this issuer (a rotation before the migration ordered those lists'
    /// earlier entries with another key). Otherwise such lists are left, and the next pass starts a
    /// new list.
    pub fn continues_unclaimed_lists(
        &self,
        signing_key: &SigningKey,
        trust_list: &TrustList,
        issuer_id: &str,
    ) -> bool {
        let keys_of_issuer = trust_list
            .content()
            .issuers
            .iter()
            .filter(|e| e.issuer_id == issuer_id)
            .count();
        *self == Self::legacy(signing_key) && keys_of_issuer <= 1
    }
}

/// A short public name of a status-entries key, recorded with each list it orders: a list is only
/// continued by the key that started it.
pub fn status_key_id(status_entries: &[u8; 32]) -> KeyId {
    let digest = Sha256::new()
        .chain_update(b"doorpass status-entries key id")
        .chain_update(status_entries)
        .finalize();
    KeyId(std::array::from_fn(|i| digest[i]))
}

fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_and_damaged_files_are_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let key = doorpass_format::keys::generate_signing_key();
        let fresh = IssuerSecrets::generate();
        fresh.write(dir.path()).unwrap();
        assert_eq!(
            IssuerSecrets::load_or_migrate(dir.path(), &key).unwrap(),
            fresh
        );
        let path = dir.path().join(SECRETS_FILE);
        std::fs::write(&path, "code-hash 00\n").unwrap();
        assert!(IssuerSecrets::load_or_migrate(dir.path(), &key).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "code-hash 00\n");
    }

    #[test]
    fn a_folder_without_the_file_keeps_the_values_it_used() {
        let dir = tempfile::tempdir().unwrap();
        let key = doorpass_format::keys::generate_signing_key();
        let migrated = IssuerSecrets::load_or_migrate(dir.path(), &key).unwrap();
        assert_eq!(migrated, IssuerSecrets::legacy(&key));
        let other = doorpass_format::keys::generate_signing_key();
        assert_eq!(
            IssuerSecrets::load_or_migrate(dir.path(), &other).unwrap(),
            migrated,
            "once written, the file no longer follows the signing key"
        );
    }
}
