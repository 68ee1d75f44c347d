//! Holder keys the app keeps (Android Keystore / StrongBox, Secure Enclave), signing for the core
//! through a foreign trait, and a software P-256 signer for tests and phones without secure
//! hardware (Swift tests wrap it, since CryptoKit is not on Linux). The core never sees a platform
//! key's private half; it normalises the platform's signatures (DER or raw, either S).

use std::sync::Arc;

use doorpass_format::holder_key::{
    HolderKeyKind, HolderPublicKey, HolderSigner as _, P256SigningKey, generate_p256_signing_key,
};
use doorpass_wallet::holder_signer::{PlatformSigner, PlatformSignerError};

/// Which algorithm a holder key signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HolderKeyAlgorithm {
    /// Ed25519 (software keys).
    Ed25519,
    /// P-256 with SHA-256 (ES256): what the Secure Enclave and StrongBox hold.
    P256,
}

/// Why the app's holder signer failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum HolderSignerFailure {
    /// The key is gone or cannot be reached (deleted, invalidated, keystore locked).
    #[error("the holder key is not available: {detail}")]
    KeyUnavailable {
        /// What happened (never key material).
        detail: String,
    },
    /// The key exists but signing failed.
    #[error("the holder key could not sign: {detail}")]
    SigningFailed {
        /// What happened (never key material).
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for HolderSignerFailure {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        HolderSignerFailure::SigningFailed { detail: e.reason }
    }
}

/// A holder key the app keeps in the platform's secure hardware. The core asks it for its public key
/// and for signatures over the bytes DP1 signs (a code every 30 s, enrolment and renewal proofs), so
/// it must not ask the user to authenticate per use.
#[uniffi::export(with_foreign)]
pub trait HolderSigner: Send + Sync {
    /// The key's algorithm (P-256 for hardware keys).
    fn algorithm(&self) -> HolderKeyAlgorithm;
    /// The public key: for P-256 a SEC1 point, uncompressed (65 bytes: Android's
    /// `ECPublicKey` as `0x04 ‖ x ‖ y`, iOS `x963Representation`) or compressed (33 bytes).
    fn public_key(&self) -> Result<Vec<u8>, HolderSignerFailure>;
    /// A signature over `message` (ECDSA with SHA-256 over the message itself, e.g. Android's
    /// `SHA256withECDSA`): DER or raw `r ‖ s`, either S.
    fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, HolderSignerFailure>;
}

/// The app's signer, as the core's platform signer.
pub(crate) struct ForeignHolderSigner(pub(crate) Arc<dyn HolderSigner>);

impl PlatformSigner for ForeignHolderSigner {
    fn algorithm(&self) -> HolderKeyKind {
        match self.0.algorithm() {
            HolderKeyAlgorithm::Ed25519 => HolderKeyKind::Ed25519,
            HolderKeyAlgorithm::P256 => HolderKeyKind::P256,
        }
    }
    fn public_key(&self) -> Result<Vec<u8>, PlatformSignerError> {
        self.0.public_key().map_err(Into::into)
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, PlatformSignerError> {
        self.0.sign(message.to_vec()).map_err(Into::into)
    }
}

impl From<HolderSignerFailure> for PlatformSignerError {
    fn from(e: HolderSignerFailure) -> Self {
        match e {
            HolderSignerFailure::KeyUnavailable { detail } => {
                PlatformSignerError::KeyUnavailable(detail)
            }
            HolderSignerFailure::SigningFailed { detail } => {
                PlatformSignerError::SigningFailed(detail)
            }
        }
    }
}

/// A P-256 holder key in software (for tests, and for phones without secure hardware). Its public
/// key is the 33-byte compressed point; its signatures are raw `r ‖ s` with low S.
#[derive(uniffi::Object)]
pub struct SoftwareP256Signer {
    key: P256SigningKey,
}

#[uniffi::export]
impl SoftwareP256Signer {
    /// A fresh key from the operating system's random source.
    #[uniffi::constructor]
    pub fn generate() -> Arc<Self> {
        Arc::new(SoftwareP256Signer {
            key: generate_p256_signing_key(),
        })
    }

    /// The public key, a compressed SEC1 point (33 bytes).
    pub fn public_key(&self) -> Vec<u8> {
        HolderPublicKey::P256(*self.key.verifying_key()).to_bytes()
    }

    /// An ES256 signature over `message`: 64 bytes raw `r ‖ s`, low S.
    pub fn sign(&self, message: Vec<u8>) -> Vec<u8> {
        self.key.sign_holder_message(&message).to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use doorpass_wallet::holder_signer::PlatformKey;

    /// The exported software signer, wrapped as an app wraps it (here in Rust).
    struct Wrapped(Arc<SoftwareP256Signer>);

    impl HolderSigner for Wrapped {
        fn algorithm(&self) -> HolderKeyAlgorithm {
            HolderKeyAlgorithm::P256
        }
        fn public_key(&self) -> Result<Vec<u8>, HolderSignerFailure> {
            Ok(self.0.public_key())
        }
        fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, HolderSignerFailure> {
            Ok(self.0.sign(message))
        }
    }

    #[test]
    fn the_software_signer_wrapped_as_a_foreign_signer_makes_holder_proofs() {
        let signer = Arc::new(ForeignHolderSigner(Arc::new(Wrapped(
            SoftwareP256Signer::generate(),
        ))));
        let key = PlatformKey::new(signer).unwrap();
        let proof = key.sign(b"DP1-present").unwrap();
        key.public_key().verify(b"DP1-present", &proof).unwrap();
    }

    #[test]
    fn a_failing_signer_reaches_the_core_as_its_reason() {
        struct Locked;
        impl HolderSigner for Locked {
            fn algorithm(&self) -> HolderKeyAlgorithm {
                HolderKeyAlgorithm::P256
            }
            fn public_key(&self) -> Result<Vec<u8>, HolderSignerFailure> {
                Err(HolderSignerFailure::KeyUnavailable {
                    detail: "device locked".into(),
                })
            }
            fn sign(&self, _: Vec<u8>) -> Result<Vec<u8>, HolderSignerFailure> {
                unreachable!("no key")
            }
        }
        let err = PlatformKey::new(Arc::new(ForeignHolderSigner(Arc::new(Locked))))
            .err()
            .unwrap();
        let err = crate::DoorpassError::from(doorpass_wallet::wallet::WalletError::from(err));
        assert!(
            matches!(&err, crate::DoorpassError::KeystoreUnavailable { detail } if detail.contains("device locked")),
            "{err:?}"
        );
    }
}
