//! Holder keys: the key a pass's `cnf` names, and the holder signatures made with it.
//!
//! A holder key is Ed25519 (a software key, as before issue 22) or P-256 (what the Secure Enclave and
//! StrongBox can hold). The signature algorithm always follows the key: EdDSA for an Ed25519 key,
//! ES256 (ECDSA P-256 with SHA-256, raw `r ‖ s`, low S) for a P-256 key; nothing in a QR code
//! chooses it. Every holder signature is 64 bytes. See docs/holder-keys.md.

use ciborium::Value;
use ed25519_dalek::Signer as _;
use p256::elliptic_curve::sec1::{EncodedPoint, Tag};

use crate::cbor::{self, IntMap, invalid};
use crate::error::FormatError;
use crate::keys::{Signature, SigningKey, VerifyingKey};

pub use p256::ecdsa::{SigningKey as P256SigningKey, VerifyingKey as P256VerifyingKey};

/// Length of every holder signature: Ed25519, or ES256 as raw `r ‖ s`.
pub const HOLDER_SIGNATURE_LEN: usize = 64;
/// Length of a P-256 public key as a compressed SEC1 point (`0x02`/`0x03` ‖ x).
pub const P256_COMPRESSED_LEN: usize = 33;

/// COSE_Key parameters (RFC 9052 §7, RFC 9053 §7.1).
const KTY: i64 = 1;
const CRV: i64 = -1;
const X: i64 = -2;
const Y: i64 = -3;
const KTY_OKP: u64 = 1;
const KTY_EC2: u64 = 2;
const CRV_P256: i64 = 1;
const CRV_ED25519: i64 = 6;

/// Which algorithm a holder key signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HolderKeyKind {
    /// Ed25519, EdDSA signatures (software keys).
    Ed25519,
    /// P-256, ES256 signatures (hardware-bound keys: Secure Enclave, StrongBox).
    P256,
}

/// The holder's public key, as a pass's `cnf` claim names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolderPublicKey {
    /// An Ed25519 key (COSE_Key kty 1 OKP, crv 6).
    Ed25519(VerifyingKey),
    /// A P-256 key (COSE_Key kty 2 EC2, crv 1, compressed point).
    P256(P256VerifyingKey),
}

/// Why a `cnf` COSE_Key is not a holder key DP1 accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HolderKeyError {
    /// `kty` is neither OKP (1) nor EC2 (2).
    #[error("key type {kty} is neither OKP (1) nor EC2 (2)")]
    UnsupportedKeyType {
        /// The `kty` found.
        kty: u64,
    },
    /// The curve does not go with the key type (OKP needs Ed25519 (6), EC2 needs P-256 (1)).
    #[error("curve is not Ed25519 (6) for OKP or P-256 (1) for EC2")]
    UnsupportedCurve,
    /// The x coordinate of a P-256 key is not a 32-byte string.
    #[error("P-256 x is not a 32-byte string")]
    BadCoordinate,
    /// A P-256 key with `y` as a byte string (an uncompressed point): DP1 passes carry the compressed
    /// form only (`y` as a bool), one encoding per key.
    #[error(
        "P-256 point is uncompressed (y as bytes); DP1 requires the compressed form (y as a bool)"
    )]
    UncompressedPoint,
    /// The P-256 x coordinate names no point on the curve.
    #[error("P-256 point is not on the curve")]
    PointNotOnCurve,
    /// Bytes that are neither a 32-byte Ed25519 key nor a 33-byte compressed P-256 point.
    #[error("{len} bytes are neither an Ed25519 key (32) nor a compressed P-256 point (33)")]
    UnknownEncoding {
        /// Length of the bytes given.
        len: usize,
    },
}

/// Why a holder signature does not check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HolderSignatureError {
    /// Not 64 bytes (a DER-encoded ECDSA signature, for one).
    #[error("signature is {len} bytes, expected 64")]
    WrongLength {
        /// Length of the signature given.
        len: usize,
    },
    /// An ES256 signature whose S is in the upper half of the group order (the malleable twin of a
    /// valid one); DP1 signers normalise S.
    #[error("ES256 signature has a high S")]
    HighS,
    /// The signature is not by this key over this message.
    #[error("signature does not check against the holder key")]
    Invalid,
}

impl HolderPublicKey {
    /// Which algorithm this key signs with.
    pub fn kind(&self) -> HolderKeyKind {
        match self {
            HolderPublicKey::Ed25519(_) => HolderKeyKind::Ed25519,
            HolderPublicKey::P256(_) => HolderKeyKind::P256,
        }
    }

    /// Checks a holder signature over `message`: strict Ed25519, or ES256 as 64-byte raw `r ‖ s`
    /// with low S, by this key's kind.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), HolderSignatureError> {
        let raw: &[u8; HOLDER_SIGNATURE_LEN] =
            signature
                .try_into()
                .map_err(|_| HolderSignatureError::WrongLength {
                    len: signature.len(),
                })?;
        match self {
            HolderPublicKey::Ed25519(key) => key
                .verify_strict(message, &Signature::from_bytes(raw))
                .map_err(|_| HolderSignatureError::Invalid),
            HolderPublicKey::P256(key) => {
                // r and s in [1, n) (else no signature), and S in the lower half.
                let signature = p256::ecdsa::Signature::from_slice(raw)
                    .map_err(|_| HolderSignatureError::Invalid)?;
                if signature.normalize_s().is_some() {
                    return Err(HolderSignatureError::HighS);
                }
                // ring verifies 5 times faster than p256 (docs/holder-keys.md); it takes the
                // uncompressed point, which the key already holds decompressed and checked.
                let point = key.to_encoded_point(false);
                ring::signature::UnparsedPublicKey::new(
                    &ring::signature::ECDSA_P256_SHA256_FIXED,
                    point.as_bytes(),
                )
                .verify(message, raw)
                .map_err(|_| HolderSignatureError::Invalid)
            }
        }
    }

    /// The key as bytes: 32 raw bytes for Ed25519, the 33-byte compressed SEC1 point for P-256.
    /// The two lengths differ, so [`HolderPublicKey::from_bytes`] tells them apart.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            HolderPublicKey::Ed25519(key) => key.to_bytes().to_vec(),
            HolderPublicKey::P256(key) => key.to_encoded_point(true).as_bytes().to_vec(),
        }
    }

    /// Reads [`HolderPublicKey::to_bytes`] back.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, HolderKeyError> {
        match bytes.len() {
            32 => {
                let raw: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| HolderKeyError::UnknownEncoding { len: 32 })?;
                VerifyingKey::from_bytes(&raw)
                    .map(HolderPublicKey::Ed25519)
                    .map_err(|_| HolderKeyError::PointNotOnCurve)
            }
            P256_COMPRESSED_LEN if matches!(bytes[0], 0x02 | 0x03) => {
                P256VerifyingKey::from_sec1_bytes(bytes)
                    .map(HolderPublicKey::P256)
                    .map_err(|_| HolderKeyError::PointNotOnCurve)
            }
            len => Err(HolderKeyError::UnknownEncoding { len }),
        }
    }

    /// The COSE_Key a pass's `cnf` carries: `{1: 1, -1: 6, -2: x}` for Ed25519,
    /// `{1: 2, -1: 1, -2: x, -3: y-is-odd}` for P-256 (keys in deterministic order).
    pub(crate) fn to_cose_key(self) -> Value {
        match self {
            HolderPublicKey::Ed25519(key) => Value::Map(vec![
                (cbor::key(KTY), cbor::uint(KTY_OKP)),
                (cbor::key(CRV), cbor::key(CRV_ED25519)),
                (cbor::key(X), Value::Bytes(key.to_bytes().to_vec())),
            ]),
            HolderPublicKey::P256(key) => {
                let point = key.to_encoded_point(true);
                let bytes = point.as_bytes();
                Value::Map(vec![
                    (cbor::key(KTY), cbor::uint(KTY_EC2)),
                    (cbor::key(CRV), cbor::key(CRV_P256)),
                    (cbor::key(X), Value::Bytes(bytes[1..].to_vec())),
                    (cbor::key(Y), Value::Bool(bytes[0] == 0x03)),
                ])
            }
        }
    }

    /// Reads the COSE_Key of a pass's `cnf`. Parameters other than kty, crv, x (and y for P-256)
    /// are ignored, as COSE allows.
    pub(crate) fn from_cose_key(mut cose_key: IntMap) -> Result<Self, FormatError> {
        let what = cose_key.what();
        match cose_key.uint(KTY.into(), "kty")? {
            KTY_OKP => {
                if cose_key.take(CRV.into(), "crv")? != cbor::key(CRV_ED25519) {
                    return Err(invalid("crv", &format!("{what} curve is not Ed25519 (6)")));
                }
                let x: [u8; 32] = cose_key.bytes(X.into(), "x")?;
                VerifyingKey::from_bytes(&x)
                    .map(HolderPublicKey::Ed25519)
                    .map_err(|_| invalid("x", "not a valid Ed25519 public key"))
            }
            KTY_EC2 => {
                if cose_key.take(CRV.into(), "crv")? != cbor::key(CRV_P256) {
                    return Err(HolderKeyError::UnsupportedCurve.into());
                }
                let Value::Bytes(x) = cose_key.take(X.into(), "x")? else {
                    return Err(HolderKeyError::BadCoordinate.into());
                };
                if x.len() != 32 {
                    return Err(HolderKeyError::BadCoordinate.into());
                }
                let y_is_odd = match cose_key.take(Y.into(), "y")? {
                    Value::Bool(odd) => odd,
                    Value::Bytes(_) => return Err(HolderKeyError::UncompressedPoint.into()),
                    _ => return Err(invalid("y", "neither a bool nor a byte string")),
                };
                let tag = if y_is_odd {
                    Tag::CompressedOddY
                } else {
                    Tag::CompressedEvenY
                };
                let mut sec1 = vec![tag as u8];
                sec1.extend_from_slice(&x);
                let point = EncodedPoint::<p256::NistP256>::from_bytes(&sec1)
                    .map_err(|_| HolderKeyError::PointNotOnCurve)?;
                P256VerifyingKey::from_encoded_point(&point)
                    .map(HolderPublicKey::P256)
                    .map_err(|_| HolderKeyError::PointNotOnCurve.into())
            }
            kty => Err(HolderKeyError::UnsupportedKeyType { kty }.into()),
        }
    }
}

impl From<VerifyingKey> for HolderPublicKey {
    fn from(key: VerifyingKey) -> Self {
        HolderPublicKey::Ed25519(key)
    }
}

impl From<P256VerifyingKey> for HolderPublicKey {
    fn from(key: P256VerifyingKey) -> Self {
        HolderPublicKey::P256(key)
    }
}

impl PartialEq<VerifyingKey> for HolderPublicKey {
    fn eq(&self, other: &VerifyingKey) -> bool {
        matches!(self, HolderPublicKey::Ed25519(key) if key == other)
    }
}

impl PartialEq<HolderPublicKey> for VerifyingKey {
    fn eq(&self, other: &HolderPublicKey) -> bool {
        other == self
    }
}

/// A private holder key that signs in software: what tests, vectors, benchmarks and the CLI use.
/// (A phone's hardware key signs through the platform instead, over the same bytes.)
pub trait HolderSigner {
    /// The public half, as a pass's `cnf` names it.
    fn holder_public_key(&self) -> HolderPublicKey;
    /// A 64-byte holder signature over `message`, by the key's algorithm (ES256 with low S).
    fn sign_holder_message(&self, message: &[u8]) -> [u8; HOLDER_SIGNATURE_LEN];
}

impl HolderSigner for SigningKey {
    fn holder_public_key(&self) -> HolderPublicKey {
        HolderPublicKey::Ed25519(self.verifying_key())
    }

    fn sign_holder_message(&self, message: &[u8]) -> [u8; HOLDER_SIGNATURE_LEN] {
        self.sign(message).to_bytes()
    }
}

impl HolderSigner for P256SigningKey {
    fn holder_public_key(&self) -> HolderPublicKey {
        HolderPublicKey::P256(*self.verifying_key())
    }

    fn sign_holder_message(&self, message: &[u8]) -> [u8; HOLDER_SIGNATURE_LEN] {
        // RFC 6979 deterministic nonces, so fixed keys give fixed vectors; S normalised to the
        // lower half, which verifiers require.
        let signature: p256::ecdsa::Signature = self.sign(message);
        let signature = signature.normalize_s().unwrap_or(signature);
        signature.to_bytes().into()
    }
}

/// A fresh P-256 holder key from the operating system's random source (software; tests and tools).
pub fn generate_p256_signing_key() -> P256SigningKey {
    P256SigningKey::random(&mut rand::rngs::OsRng)
}

#[cfg(test)]
#[path = "holder_key_tests.rs"]
mod tests;
