//! Holder keys the app keeps (Android Keystore / StrongBox, Secure Enclave), made, signing and
//! deleted for the core through a foreign trait (one key per pass; a new attested key when an
//! issuer asks for key attestation), the App Attest client data hash, and a software P-256 signer
//! for tests and phones without secure hardware (Swift tests wrap it, since CryptoKit is not on
//! Linux). The core never sees a platform key's private half; it normalises the platform's
//! signatures (DER or raw, either S).

use std::sync::Arc;

use doorpass_format::holder_key::{
    HolderKeyKind, HolderPublicKey, HolderSigner as _, P256SigningKey, generate_p256_signing_key,
};
use doorpass_wallet::holder_signer::{
    CreatedPlatformKey, PlatformAttestation as CoreAttestation, PlatformSigner, PlatformSignerError,
};
use doorpass_wallet::key_attestation;

use crate::error::DoorpassError;

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

/// The platform's evidence that a key it just made lives in its secure hardware.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum PlatformAttestation {
    /// Android: the new key's `KeyStore.getCertificateChain(alias)`, leaf first, each
    /// `certificate.encoded` (DER). The key was made with `setAttestationChallenge(challenge)`.
    AndroidKeystore {
        /// Certificates, leaf first, DER.
        chain: Vec<Vec<u8>>,
    },
    /// iOS: an App Attest key (`DCAppAttestService.generateKey`) and the object `attestKey`
    /// returned for the client data hash [`app_attest_client_data_hash`] gives.
    AppleAppAttest {
        /// The App Attest key id: the base64 string `generateKey` returned, decoded.
        key_id: Vec<u8>,
        /// The attestation object.
        object: Vec<u8>,
    },
}

/// A key the app just made for the core.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CreatedKey {
    /// The app's name for the key (an Android Keystore alias, a Keychain item name), unique among
    /// the app's holder keys: the core records it with the pass and passes it back to `sign` and
    /// `delete_key`. Not secret.
    pub key_id: String,
    /// The public key: for P-256 a SEC1 point, uncompressed (65 bytes: Android's `ECPublicKey` as
    /// `0x04 ‖ x ‖ y`, iOS `x963Representation`) or compressed (33 bytes).
    pub public_key: Vec<u8>,
    /// The key's attestation, when it was made with a challenge and the platform can attest;
    /// `None` otherwise (no secure hardware, a simulator): the enrolment then goes without one.
    pub attestation: Option<PlatformAttestation>,
}

/// Holder keys the app keeps in the platform's secure hardware, one per pass, named by key ids.
/// The core asks for new keys, for signatures over the bytes DP1 signs (a code every 30 s,
/// enrolment and renewal proofs) and for deletions; it never sees a private key. Keys must not ask
/// the user to authenticate per use.
#[uniffi::export(with_foreign)]
pub trait HolderSigner: Send + Sync {
    /// The keys' algorithm (P-256 for hardware keys).
    fn algorithm(&self) -> HolderKeyAlgorithm;
    /// Makes a new key under a new key id. With `attestation_challenge` (the issuer's, 32 bytes)
    /// the key is bound to it — Android: `setAttestationChallenge`; iOS: App Attest's `attestKey`
    /// with `appAttestClientDataHash(challenge, publicKey)` — and its attestation returned when
    /// the platform can give one. Keys made earlier stay and keep signing.
    fn create_key(
        &self,
        attestation_challenge: Option<Vec<u8>>,
    ) -> Result<CreatedKey, HolderSignerFailure>;
    /// A signature by key `key_id` over `message` (ECDSA with SHA-256 over the message itself,
    /// e.g. Android's `SHA256withECDSA`): DER or raw `r ‖ s`, either S. A key that is gone is
    /// `KeyUnavailable`.
    fn sign(&self, key_id: String, message: Vec<u8>) -> Result<Vec<u8>, HolderSignerFailure>;
    /// Deletes key `key_id`: no pass or enrolment uses it any more (also on wipe). A key already
    /// gone is not an error.
    fn delete_key(&self, key_id: String) -> Result<(), HolderSignerFailure>;
}

/// The client data hash an iOS app gives App Attest's `attestKey` for a new holder key:
/// SHA-256 of `"DP1-app-attest" ‖ challenge ‖ the key as a compressed point`, so that the
/// attestation binds both the issuer's challenge and the key. `public_key` as `create_key` returns
/// it (65 or 33 bytes). Fails with `InvalidInput` when it is not a P-256 point.
#[uniffi::export]
pub fn app_attest_client_data_hash(
    attestation_challenge: Vec<u8>,
    public_key: Vec<u8>,
) -> Result<Vec<u8>, DoorpassError> {
    key_attestation::app_attest_client_data_hash(&attestation_challenge, &public_key)
        .map(|hash| hash.to_vec())
        .map_err(|e| DoorpassError::InvalidInput {
            detail: e.to_string(),
        })
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
    fn create_key(
        &self,
        attestation_challenge: Option<&[u8]>,
    ) -> Result<CreatedPlatformKey, PlatformSignerError> {
        let created = self
            .0
            .create_key(attestation_challenge.map(<[u8]>::to_vec))?;
        Ok(CreatedPlatformKey {
            key_id: created.key_id,
            public_key: created.public_key,
            attestation: created.attestation.map(|a| match a {
                PlatformAttestation::AndroidKeystore { chain } => {
                    CoreAttestation::AndroidKeystore { chain }
                }
                PlatformAttestation::AppleAppAttest { key_id, object } => {
                    CoreAttestation::AppleAppAttest { key_id, object }
                }
            }),
        })
    }
    fn sign(&self, key_id: &str, message: &[u8]) -> Result<Vec<u8>, PlatformSignerError> {
        self.0
            .sign(key_id.to_string(), message.to_vec())
            .map_err(Into::into)
    }
    fn delete_key(&self, key_id: &str) -> Result<(), PlatformSignerError> {
        self.0.delete_key(key_id.to_string()).map_err(Into::into)
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

    /// The exported software signer, wrapped as an app wraps it (here in Rust): one key.
    struct Wrapped(Arc<SoftwareP256Signer>);

    impl HolderSigner for Wrapped {
        fn algorithm(&self) -> HolderKeyAlgorithm {
            HolderKeyAlgorithm::P256
        }
        fn create_key(
            &self,
            challenge: Option<Vec<u8>>,
        ) -> Result<CreatedKey, HolderSignerFailure> {
            Ok(CreatedKey {
                key_id: "only".into(),
                public_key: self.0.public_key(),
                attestation: challenge.map(|c| PlatformAttestation::AppleAppAttest {
                    key_id: vec![1; 32],
                    object: c,
                }),
            })
        }
        fn sign(&self, key_id: String, message: Vec<u8>) -> Result<Vec<u8>, HolderSignerFailure> {
            assert_eq!(key_id, "only");
            Ok(self.0.sign(message))
        }
        fn delete_key(&self, _: String) -> Result<(), HolderSignerFailure> {
            Ok(())
        }
    }

    #[test]
    fn the_software_signer_wrapped_as_a_foreign_signer_makes_holder_proofs_and_attestations() {
        let signer = Arc::new(ForeignHolderSigner(Arc::new(Wrapped(
            SoftwareP256Signer::generate(),
        ))));
        let (key, attestation) = PlatformKey::create(signer, Some(&[5; 32])).unwrap();
        let proof = key.sign(b"DP1-present").unwrap();
        key.public_key().verify(b"DP1-present", &proof).unwrap();
        assert_eq!(
            attestation,
            Some(CoreAttestation::AppleAppAttest {
                key_id: vec![1; 32],
                object: vec![5; 32]
            })
        );
    }

    #[test]
    fn the_exported_client_data_hash_is_the_cores_and_refuses_a_non_key() {
        let signer = SoftwareP256Signer::generate();
        let hash = app_attest_client_data_hash(vec![2; 32], signer.public_key()).unwrap();
        assert_eq!(
            hash,
            key_attestation::app_attest_client_data_hash(&[2; 32], &signer.public_key())
                .unwrap()
                .to_vec()
        );
        assert!(matches!(
            app_attest_client_data_hash(vec![2; 32], vec![1, 2, 3]),
            Err(DoorpassError::InvalidInput { .. })
        ));
    }

    #[test]
    fn a_failing_signer_reaches_the_core_as_its_reason() {
        struct Locked;
        impl HolderSigner for Locked {
            fn algorithm(&self) -> HolderKeyAlgorithm {
                HolderKeyAlgorithm::P256
            }
            fn create_key(&self, _: Option<Vec<u8>>) -> Result<CreatedKey, HolderSignerFailure> {
                Err(HolderSignerFailure::KeyUnavailable {
                    detail: "device locked".into(),
                })
            }
            fn sign(&self, _: String, _: Vec<u8>) -> Result<Vec<u8>, HolderSignerFailure> {
                unreachable!("no key")
            }
            fn delete_key(&self, _: String) -> Result<(), HolderSignerFailure> {
                Ok(())
            }
        }
        let err = PlatformKey::create(Arc::new(ForeignHolderSigner(Arc::new(Locked))), None)
            .err()
            .unwrap();
        let err = crate::DoorpassError::from(doorpass_wallet::wallet::WalletError::from(err));
        assert!(
            matches!(&err, crate::DoorpassError::KeystoreUnavailable { detail } if detail.contains("device locked")),
            "{err:?}"
        );
    }
}
