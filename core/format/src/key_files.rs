//! Ed25519 keys in PEM files: private keys owner-only, written atomically (feature `files`).

use std::fs;
use std::path::Path;

use crate::keys::{
    PRIVATE_EXPECTED, PUBLIC_EXPECTED, SigningKey, VerifyingKey, private_key_from_pem,
    private_key_to_pem, public_key_from_pem, public_key_to_pem,
};

/// Why a key file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is not a PEM Ed25519 key of the expected kind.
    #[error("{path}: not an Ed25519 {expected} in PEM form ({detail})")]
    NotAKey {
        /// The file.
        path: String,
        /// What was expected: "private key (PKCS#8)" or "public key (SubjectPublicKeyInfo)".
        expected: &'static str,
        /// What the parser said (never contains key material).
        detail: String,
    },
}

fn io_err(path: &Path, source: std::io::Error) -> KeyFileError {
    KeyFileError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn read_text(path: &Path, expected: &'static str) -> Result<String, KeyFileError> {
    let bytes = fs::read(path).map_err(|e| io_err(path, e))?;
    String::from_utf8(bytes).map_err(|_| KeyFileError::NotAKey {
        path: path.display().to_string(),
        expected,
        detail: "not text".into(),
    })
}

/// Reads a PKCS#8 PEM private key file.
pub fn read_private_key(path: &Path) -> Result<SigningKey, KeyFileError> {
    let text = read_text(path, PRIVATE_EXPECTED)?;
    private_key_from_pem(&text).map_err(|detail| KeyFileError::NotAKey {
        path: path.display().to_string(),
        expected: PRIVATE_EXPECTED,
        detail,
    })
}

/// Reads a SubjectPublicKeyInfo PEM public key file.
pub fn read_public_key(path: &Path) -> Result<VerifyingKey, KeyFileError> {
    let text = read_text(path, PUBLIC_EXPECTED)?;
    public_key_from_pem(&text).map_err(|detail| KeyFileError::NotAKey {
        path: path.display().to_string(),
        expected: PUBLIC_EXPECTED,
        detail,
    })
}

/// Writes a private key as PKCS#8 PEM, readable only by its owner (mode 0600 on Unix).
pub fn write_private_key(path: &Path, key: &SigningKey) -> Result<(), KeyFileError> {
    write_file(path, private_key_to_pem(key).as_bytes(), true)
}

/// Writes a public key as SubjectPublicKeyInfo PEM.
pub fn write_public_key(path: &Path, key: &VerifyingKey) -> Result<(), KeyFileError> {
    write_file(path, public_key_to_pem(key).as_bytes(), false)
}

fn write_file(path: &Path, contents: &[u8], private: bool) -> Result<(), KeyFileError> {
    crate::atomic_file::write_atomic(path, contents, private).map_err(|e| io_err(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::generate_signing_key;

    #[cfg(unix)]
    #[test]
    fn private_key_file_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.pem");
        let key = generate_signing_key();
        write_private_key(&path, &key).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(read_private_key(&path).unwrap().to_bytes(), key.to_bytes());
        let err = read_public_key(&path).unwrap_err().to_string();
        assert!(err.contains("public key"), "{err}");
        assert!(
            !err.contains("BEGIN"),
            "error must not echo key material: {err}"
        );
    }
}
