//! The holder key a wallet signs through: a software key in secure storage (Ed25519 or P-256), or a
//! key the platform keeps (Android Keystore / StrongBox, Secure Enclave) behind a
//! [`PlatformSigner`], whose private half the core never sees (issue 22 part 2,
//! docs/holder-keys.md).
//!
//! A platform's ECDSA signature may come as ASN.1 DER (Android's `SHA256withECDSA`, Apple's
//! `derRepresentation`) or raw, with S in either half; [`normalise_es256_signature`] turns it into
//! the 64-byte raw `r ‖ s` with low S that DP1 requires, and every platform signature is checked
//! against the key before it is used, so a signer that answers with another key's signature is
//! caught on the phone rather than at the door.

use std::sync::Arc;

use doorpass_format::holder_key::{
    HOLDER_SIGNATURE_LEN, HolderKeyKind, HolderPublicKey, HolderSigner as SoftwareSigner,
    P256SigningKey, P256VerifyingKey,
};
use doorpass_format::keys::SigningKey;
use serde::{Deserialize, Serialize};

/// Length of an uncompressed SEC1 P-256 point (`0x04` ‖ x ‖ y), as a platform may give its key.
pub const P256_UNCOMPRESSED_LEN: usize = 65;

/// Why a platform signer failed, as the app reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlatformSignerError {
    /// The key is gone or cannot be reached (deleted, invalidated, keystore locked).
    #[error("the platform key is not available: {0}")]
    KeyUnavailable(String),
    /// The key exists but signing failed.
    #[error("the platform key could not sign: {0}")]
    SigningFailed(String),
}

/// A platform's evidence that a key it just made lives in its secure hardware (issue 22 part 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformAttestation {
    /// Android Keystore key attestation: `getCertificateChain` of the new key, leaf first, each DER.
    /// The leaf's KeyDescription carries the attestation challenge the key was made with.
    AndroidKeystore {
        /// Certificates, leaf first, DER.
        chain: Vec<Vec<u8>>,
    },
    /// Apple App Attest: an App Attest key's id and the attestation object `attestKey` returned,
    /// made over the client data hash [`crate::key_attestation::app_attest_client_data_hash`] gives
    /// for the challenge and the new key.
    AppleAppAttest {
        /// The App Attest key id (as `generateKey` returned it, decoded from base64).
        key_id: Vec<u8>,
        /// The attestation object (CBOR).
        object: Vec<u8>,
    },
}

/// A key a platform signer just made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedPlatformKey {
    /// The app's name for the key (an Android Keystore alias, a Keychain item name): what the core
    /// records with each pass and passes back to sign and delete. Not secret.
    pub key_id: String,
    /// The public key: for P-256 a SEC1 point, compressed (33 bytes) or uncompressed (65 bytes);
    /// for Ed25519 the 32 raw bytes.
    pub public_key: Vec<u8>,
    /// The platform's attestation of the key, when it was made with a challenge and the platform
    /// can attest; `None` otherwise (no secure hardware, a simulator, an old phone).
    pub attestation: Option<PlatformAttestation>,
}

/// Holder keys kept by the platform (Android Keystore, Secure Enclave), addressed by the app's key
/// ids: the app implements this, the core asks it for new keys, signatures and deletions, and never
/// sees a private key. Several keys may live at once: a pass keeps signing with its key while a new
/// key is made and attested for its re-enrolment.
pub trait PlatformSigner: Send + Sync {
    /// Which algorithm the keys sign with (P-256 for hardware keys).
    fn algorithm(&self) -> HolderKeyKind;
    /// Makes a new key. With `attestation_challenge` (the issuer's, 32 bytes), the key is made bound
    /// to it (Android: `setAttestationChallenge`; iOS: App Attest over the client data hash) and
    /// its attestation returned when the platform can give one.
    fn create_key(
        &self,
        attestation_challenge: Option<&[u8]>,
    ) -> Result<CreatedPlatformKey, PlatformSignerError>;
    /// A signature by key `key_id` over `message` (the platform hashes it: ECDSA with SHA-256 for
    /// P-256). DER or raw `r ‖ s`, either S; the core normalises it.
    fn sign(&self, key_id: &str, message: &[u8]) -> Result<Vec<u8>, PlatformSignerError>;
    /// Deletes key `key_id` (the core calls it once no pass or enrolment uses the key). Deleting a
    /// key that is already gone succeeds.
    fn delete_key(&self, key_id: &str) -> Result<(), PlatformSignerError>;
}

/// Why a platform's key or signature cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HolderSignerError {
    /// The platform signer failed.
    #[error(transparent)]
    Platform(#[from] PlatformSignerError),
    /// The platform's public key is not a key of the kind it names (wrong length, off the curve).
    #[error("the platform's public key is not a valid {kind:?} key: {detail}")]
    BadPublicKey {
        /// The kind the signer named.
        kind: HolderKeyKind,
        /// What is wrong.
        detail: String,
    },
    /// The platform's signature is neither 64-byte raw `r ‖ s` nor strict DER, or r or s is out
    /// of range.
    #[error("the platform's signature is not a DER or raw ECDSA signature: {0}")]
    BadSignature(String),
    /// The platform's signature does not check against its own public key (another key signed).
    #[error("the platform's signature does not match its public key")]
    SignatureMismatch,
    /// The platform's attestation of a new key cannot be sent (empty, or larger than any real one),
    /// or the key is not one an issuer attests (P-256).
    #[error("the platform's key attestation is not usable: {0}")]
    BadAttestation(String),
}

/// Which kind of key holds a pass's holder key: recorded in the wallet's files, per pass and per
/// pending enrolment. Files written before issue 22 have none: their keys are software Ed25519.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolderKeyStorage {
    /// An Ed25519 seed (32 bytes) in the wallet's secret store.
    #[default]
    SoftwareEd25519,
    /// A P-256 scalar (32 bytes) in the wallet's secret store.
    SoftwareP256,
    /// A key the platform keeps; nothing of it is in the secret store.
    Platform,
}

/// Which holder key a wallet makes for a new enrolment.
#[derive(Clone, Default)]
pub enum NewHolderKeys {
    /// A software Ed25519 key (the behaviour before issue 22).
    #[default]
    SoftwareEd25519,
    /// A software P-256 key (a phone without secure hardware that wants the hardware keys' format).
    SoftwareP256,
    /// Keys the platform makes, one per pass. An existing pass with a software key moves to a
    /// platform key at its next (re-)authentication.
    Platform(Arc<dyn PlatformSigner>),
}

impl std::fmt::Debug for NewHolderKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NewHolderKeys::SoftwareEd25519 => "SoftwareEd25519",
            NewHolderKeys::SoftwareP256 => "SoftwareP256",
            NewHolderKeys::Platform(_) => "Platform",
        })
    }
}

impl NewHolderKeys {
    /// How keys made under this choice are stored.
    pub fn storage(&self) -> HolderKeyStorage {
        match self {
            NewHolderKeys::SoftwareEd25519 => HolderKeyStorage::SoftwareEd25519,
            NewHolderKeys::SoftwareP256 => HolderKeyStorage::SoftwareP256,
            NewHolderKeys::Platform(_) => HolderKeyStorage::Platform,
        }
    }
}

/// A platform key as the wallet records it with a pass or a pending enrolment: the app's key id
/// and the public key (compressed SEC1 for P-256), base64url. Not secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformKeyRecord {
    /// The app's key id.
    pub key_id: String,
    /// The public key as [`HolderPublicKey::to_bytes`] gives it, base64url.
    pub public_key: String,
}

/// One key of a platform signer, with its public key checked.
#[derive(Clone)]
pub struct PlatformKey {
    signer: Arc<dyn PlatformSigner>,
    key_id: String,
    public_key: HolderPublicKey,
}

impl PlatformKey {
    /// Asks the signer for a new key (bound to `attestation_challenge` when given) and checks its
    /// public key; returns it with the platform's attestation, if any. A key whose public key is
    /// unusable is deleted again.
    pub fn create(
        signer: Arc<dyn PlatformSigner>,
        attestation_challenge: Option<&[u8]>,
    ) -> Result<(Self, Option<PlatformAttestation>), HolderSignerError> {
        let created = signer.create_key(attestation_challenge)?;
        let public_key = match platform_public_key(signer.algorithm(), &created.public_key) {
            Ok(key) => key,
            Err(e) => {
                let _ = signer.delete_key(&created.key_id);
                return Err(e);
            }
        };
        let key = PlatformKey {
            signer,
            key_id: created.key_id,
            public_key,
        };
        Ok((key, created.attestation))
    }

    /// The key recorded as `record`, signing through `signer`.
    pub fn from_record(
        signer: Arc<dyn PlatformSigner>,
        record: &PlatformKeyRecord,
    ) -> Result<Self, HolderSignerError> {
        let bad = |detail: &str| HolderSignerError::BadPublicKey {
            kind: signer.algorithm(),
            detail: detail.to_string(),
        };
        let bytes = doorpass_format::api::b64_vec(&record.public_key, P256_UNCOMPRESSED_LEN)
            .ok_or_else(|| bad("the recorded public key is not base64url"))?;
        let public_key =
            HolderPublicKey::from_bytes(&bytes).map_err(|e| bad(&format!("recorded: {e}")))?;
        Ok(PlatformKey {
            signer,
            key_id: record.key_id.clone(),
            public_key,
        })
    }

    /// What the wallet records of this key.
    pub fn record(&self) -> PlatformKeyRecord {
        PlatformKeyRecord {
            key_id: self.key_id.clone(),
            public_key: doorpass_format::api::b64(&self.public_key.to_bytes()),
        }
    }

    /// The app's id of this key.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The key's public half.
    pub fn public_key(&self) -> HolderPublicKey {
        self.public_key
    }

    /// A DP1 holder signature over `message`: the platform's, normalised (raw, low S) and checked.
    pub fn sign(&self, message: &[u8]) -> Result<[u8; HOLDER_SIGNATURE_LEN], HolderSignerError> {
        let signature = self.signer.sign(&self.key_id, message)?;
        let raw = match self.public_key.kind() {
            HolderKeyKind::P256 => normalise_es256_signature(&signature)?,
            HolderKeyKind::Ed25519 => signature.try_into().map_err(|s: Vec<u8>| {
                HolderSignerError::BadSignature(format!(
                    "an Ed25519 signature is 64 bytes, not {}",
                    s.len()
                ))
            })?,
        };
        self.public_key
            .verify(message, &raw)
            .map_err(|_| HolderSignerError::SignatureMismatch)?;
        Ok(raw)
    }
}

/// The holder key of one pass, ready to sign.
#[derive(Clone)]
pub enum HolderKey {
    /// A software Ed25519 key.
    Ed25519(SigningKey),
    /// A software P-256 key.
    P256(P256SigningKey),
    /// A key the platform keeps.
    Platform(PlatformKey),
}

impl HolderKey {
    /// The public half, as the pass's `cnf` names it.
    pub fn public_key(&self) -> HolderPublicKey {
        match self {
            HolderKey::Ed25519(key) => key.holder_public_key(),
            HolderKey::P256(key) => key.holder_public_key(),
            HolderKey::Platform(key) => key.public_key(),
        }
    }

    /// How this key is stored.
    pub fn storage(&self) -> HolderKeyStorage {
        match self {
            HolderKey::Ed25519(_) => HolderKeyStorage::SoftwareEd25519,
            HolderKey::P256(_) => HolderKeyStorage::SoftwareP256,
            HolderKey::Platform(_) => HolderKeyStorage::Platform,
        }
    }

    /// A 64-byte holder signature over `message`, by the key's algorithm (ES256 raw with low S).
    pub fn sign(&self, message: &[u8]) -> Result<[u8; HOLDER_SIGNATURE_LEN], HolderSignerError> {
        match self {
            HolderKey::Ed25519(key) => Ok(key.sign_holder_message(message)),
            HolderKey::P256(key) => Ok(key.sign_holder_message(message)),
            HolderKey::Platform(key) => key.sign(message),
        }
    }

    /// What the wallet records of a platform key (`None` for a software key).
    pub fn platform_record(&self) -> Option<PlatformKeyRecord> {
        match self {
            HolderKey::Platform(key) => Some(key.record()),
            _ => None,
        }
    }

    /// The bytes kept in the secret store for a software key (`None` for a platform key).
    pub fn secret_bytes(&self) -> Option<[u8; 32]> {
        match self {
            HolderKey::Ed25519(key) => Some(key.to_bytes()),
            HolderKey::P256(key) => Some(key.to_bytes().into()),
            HolderKey::Platform(_) => None,
        }
    }

    /// A software key read back from the secret store, by its recorded kind.
    pub fn from_secret(storage: HolderKeyStorage, bytes: &[u8]) -> Option<HolderKey> {
        let bytes: [u8; 32] = bytes.try_into().ok()?;
        match storage {
            HolderKeyStorage::SoftwareEd25519 => {
                Some(HolderKey::Ed25519(SigningKey::from_bytes(&bytes)))
            }
            HolderKeyStorage::SoftwareP256 => P256SigningKey::from_bytes(&bytes.into())
                .ok()
                .map(HolderKey::P256),
            HolderKeyStorage::Platform => None,
        }
    }
}

/// A platform's public key of `kind` as a [`HolderPublicKey`]: P-256 as a compressed (33-byte) or
/// uncompressed (65-byte) SEC1 point on the curve, Ed25519 as 32 bytes.
pub fn platform_public_key(
    kind: HolderKeyKind,
    bytes: &[u8],
) -> Result<HolderPublicKey, HolderSignerError> {
    let bad = |detail: String| HolderSignerError::BadPublicKey { kind, detail };
    match kind {
        HolderKeyKind::Ed25519 if bytes.len() == 32 => {
            HolderPublicKey::from_bytes(bytes).map_err(|e| bad(e.to_string()))
        }
        HolderKeyKind::P256
            if bytes.len() == P256_UNCOMPRESSED_LEN
                || bytes.len() == doorpass_format::holder_key::P256_COMPRESSED_LEN =>
        {
            P256VerifyingKey::from_sec1_bytes(bytes)
                .map(HolderPublicKey::P256)
                .map_err(|_| bad("the point is not on the curve".into()))
        }
        _ => Err(bad(format!("{} bytes", bytes.len()))),
    }
}

/// Turns a platform's ES256 signature into DP1's form: 64-byte raw `r ‖ s` with S in the lower
/// half (replaced by n − s when above n/2). Takes strict DER (`SEQUENCE { INTEGER r, INTEGER s }`)
/// or 64 raw bytes; refuses anything else, and r or s outside [1, n).
pub fn normalise_es256_signature(
    signature: &[u8],
) -> Result<[u8; HOLDER_SIGNATURE_LEN], HolderSignerError> {
    let raw: [u8; HOLDER_SIGNATURE_LEN] = match signature.try_into() {
        Ok(raw) => raw,
        Err(_) => der_to_raw(signature)?,
    };
    let parsed = p256::ecdsa::Signature::from_slice(&raw)
        .map_err(|_| HolderSignerError::BadSignature("r or s is out of range".into()))?;
    Ok(parsed.normalize_s().unwrap_or(parsed).to_bytes().into())
}

/// Strict DER `SEQUENCE { INTEGER r, INTEGER s }` (short-form lengths, minimal positive integers of
/// at most 32 significant bytes) to raw `r ‖ s`.
fn der_to_raw(der: &[u8]) -> Result<[u8; HOLDER_SIGNATURE_LEN], HolderSignerError> {
    let bad = |why: &str| HolderSignerError::BadSignature(format!("{} bytes: {why}", der.len()));
    let body = match der {
        [0x30, len, body @ ..] if usize::from(*len) == body.len() && *len < 0x80 => body,
        _ => return Err(bad("not a DER SEQUENCE")),
    };
    let (r, rest) = der_integer(body).ok_or_else(|| bad("r is not a DER INTEGER"))?;
    let (s, rest) = der_integer(rest).ok_or_else(|| bad("s is not a DER INTEGER"))?;
    if !rest.is_empty() {
        return Err(bad("bytes after the SEQUENCE's two INTEGERs"));
    }
    let mut raw = [0u8; HOLDER_SIGNATURE_LEN];
    raw[32 - r.len()..32].copy_from_slice(r);
    raw[64 - s.len()..].copy_from_slice(s);
    Ok(raw)
}

/// One minimal, positive DER INTEGER of at most 32 significant bytes: its magnitude and the rest.
fn der_integer(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let [0x02, len, rest @ ..] = input else {
        return None;
    };
    let len = usize::from(*len);
    if len == 0 || len > 33 || rest.len() < len {
        return None;
    }
    let (value, rest) = rest.split_at(len);
    let magnitude = match value {
        // A leading zero only when the next byte's high bit is set (else not minimal).
        [0x00, next, ..] if next & 0x80 != 0 => &value[1..],
        [0x00, ..] => return None,
        // The high bit set would make it negative.
        [first, ..] if first & 0x80 != 0 => return None,
        _ => value,
    };
    (magnitude.len() <= 32).then_some((magnitude, rest))
}

#[cfg(test)]
#[path = "holder_signer_tests.rs"]
mod tests;
