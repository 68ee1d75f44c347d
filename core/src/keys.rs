//! Ed25519 keys, DP1 key ids, and PEM key files (PKCS#8 private keys, SubjectPublicKeyInfo public keys).

use std::fs;
use std::path::Path;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use sha2::{Digest, Sha256};

pub use ed25519_dalek::{Signature, SigningKey, VerifyingKey};

/// A DP1 key id: the first 8 bytes of SHA-256 of a raw 32-byte Ed25519 public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; 8]);

impl KeyId {
    /// The key id of `key`.
    pub fn of(key: &VerifyingKey) -> Self {
        let digest = Sha256::digest(key.as_bytes());
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        KeyId(id)
    }

    /// Lower-case hex, for display and logs (a key id is public).
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Lower-case hex of any bytes (public values only: ids and digests).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh signing key from the operating system's random source.
pub fn generate_signing_key() -> SigningKey {
    SigningKey::generate(&mut rand::rngs::OsRng)
}

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

const PRIVATE_EXPECTED: &str = "private key (PKCS#8)";
const PUBLIC_EXPECTED: &str = "public key (SubjectPublicKeyInfo)";

/// Encodes a private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
pub fn private_key_to_pem(key: &SigningKey) -> String {
    // Encoding a valid 32-byte Ed25519 key as PKCS#8 cannot fail.
    key.to_pkcs8_pem(LineEnding::LF)
        .map(|pem| pem.to_string())
        .unwrap_or_default()
}

/// Encodes a public key as SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
pub fn public_key_to_pem(key: &VerifyingKey) -> String {
    key.to_public_key_pem(LineEnding::LF).unwrap_or_default()
}

/// Parses a PKCS#8 PEM private key. The error text never echoes the input.
pub fn private_key_from_pem(pem: &str) -> Result<SigningKey, String> {
    SigningKey::from_pkcs8_pem(pem).map_err(|e| e.to_string())
}

/// Parses a SubjectPublicKeyInfo PEM public key.
pub fn public_key_from_pem(pem: &str) -> Result<VerifyingKey, String> {
    VerifyingKey::from_public_key_pem(pem).map_err(|e| e.to_string())
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

    #[test]
    fn pem_round_trip_and_openssl_headers() {
        let key = generate_signing_key();
        let pem = private_key_to_pem(&key);
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_eq!(
            private_key_from_pem(&pem).unwrap().to_bytes(),
            key.to_bytes()
        );
        let public = public_key_to_pem(&key.verifying_key());
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert_eq!(public_key_from_pem(&public).unwrap(), key.verifying_key());
        // A public key is not a private key and vice versa.
        assert!(private_key_from_pem(&public).is_err());
        assert!(public_key_from_pem(&pem).is_err());
        assert!(
            public_key_from_pem("-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----\n")
                .is_err()
        );
    }

    #[test]
    fn key_id_is_sha256_prefix() {
        let key = SigningKey::from_bytes(&[7u8; 32]).verifying_key();
        let digest = Sha256::digest(key.as_bytes());
        assert_eq!(KeyId::of(&key).0, digest[..8]);
    }

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
