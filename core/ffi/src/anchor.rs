//! The trust anchor an app pins: its public key, as raw bytes or PEM.

use doorpass_format::keys::{VerifyingKey, public_key_from_pem};

use crate::error::DoorpassError;

/// The trust anchor's public key, pinned in the app at build time.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum Anchor {
    /// The 32-byte Ed25519 public key.
    Key {
        /// The key's bytes.
        bytes: Vec<u8>,
    },
    /// The key as a PEM `PUBLIC KEY` (SubjectPublicKeyInfo), as `doorpass issuer init` writes it.
    Pem {
        /// The PEM text.
        text: String,
    },
}

impl Anchor {
    /// The key, or a clear error when it is not an Ed25519 public key.
    pub(crate) fn key(&self) -> Result<VerifyingKey, DoorpassError> {
        let invalid = |detail: String| DoorpassError::InvalidInput {
            detail: format!("the trust anchor is not an Ed25519 public key: {detail}"),
        };
        match self {
            Anchor::Key { bytes } => {
                let bytes: [u8; 32] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| invalid(format!("{} bytes, not 32", bytes.len())))?;
                VerifyingKey::from_bytes(&bytes).map_err(|e| invalid(e.to_string()))
            }
            Anchor::Pem { text } => public_key_from_pem(text).map_err(invalid),
        }
    }
}
