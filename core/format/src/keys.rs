//! Ed25519 keys, DP1 key ids, and PEM key files (PKCS#8 private keys, SubjectPublicKeyInfo public keys).

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use sha2::{Digest, Sha256};

pub use ed25519_dalek::{Signature, SigningKey, VerifyingKey};

#[cfg(feature = "files")]
pub use crate::key_files::{
    KeyFileError, read_private_key, read_public_key, write_private_key, write_public_key,
};

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

/// What a private / public key file should hold, as `key_files` errors name it.
#[cfg(feature = "files")]
pub(crate) const PRIVATE_EXPECTED: &str = "private key (PKCS#8)";
#[cfg(feature = "files")]
pub(crate) const PUBLIC_EXPECTED: &str = "public key (SubjectPublicKeyInfo)";

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
}
