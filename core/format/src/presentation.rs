//! What the QR code carries: `DP1:` + Base45(CBOR array).
//!
//! A rotating presentation binds the pass to the current 30-second step with a signature by the holder
//! key, so a screenshot stops working at most 90 s after its step began
//! ([`crate::verifier::MAX_CODE_AGE_SECONDS`]). A static one carries the pass alone (paper
//! print-outs; a verifier may refuse it).

use ciborium::Value;
use sha2::{Digest, Sha256};

use crate::cbor::{self, as_fixed_bytes, as_uint};
use crate::error::FormatError;
use crate::holder_key::{HolderPublicKey, HolderSignatureError, HolderSigner};
use crate::pass::MAX_PASS_LEN;

/// Prefix of every DP1 QR text.
pub const QR_PREFIX: &str = "DP1:";
/// Length of one rotation step, in seconds.
pub const STEP_SECONDS: u64 = 30;
/// Domain separation for holder proofs.
pub const PROOF_DOMAIN: &[u8; 11] = b"DP1-present";
/// Longest QR text accepted: the most a QR code (version 40, ECC L, alphanumeric) can hold.
pub const MAX_QR_TEXT_LEN: usize = 4296;

/// The rotation step that contains `now` (seconds since the Unix epoch).
pub fn step_at(now: u64) -> u64 {
    now / STEP_SECONDS
}

/// Seconds from `now` until the next rotation (1 to 30).
pub fn seconds_until_rotation(now: u64) -> u64 {
    STEP_SECONDS - now % STEP_SECONDS
}

/// The bytes a holder signs for `step`: `"DP1-present" ‖ SHA-256(pass) ‖ step (8 bytes, big-endian)`.
pub fn proof_message(pass_digest: &[u8; 32], step: u64) -> [u8; 51] {
    let mut msg = [0u8; 51];
    msg[..11].copy_from_slice(PROOF_DOMAIN);
    msg[11..43].copy_from_slice(pass_digest);
    msg[43..].copy_from_slice(&step.to_be_bytes());
    msg
}

/// A decoded presentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presentation {
    /// Pass + step + holder proof.
    Rotating {
        /// The pass bytes (COSE_Sign1).
        pass: Vec<u8>,
        /// The 30-second step the proof is for.
        step: u64,
        /// Holder signature over [`proof_message`]: Ed25519, or ES256 as raw `r ‖ s`, by the pass's
        /// `cnf` key (a DER-encoded ECDSA signature is not 64 bytes and does not decode).
        proof: [u8; 64],
    },
    /// The pass alone.
    Static {
        /// The pass bytes (COSE_Sign1).
        pass: Vec<u8>,
    },
}

impl Presentation {
    /// A rotating presentation of `pass` for the step containing `now`, signed by the holder key
    /// (Ed25519 or P-256; the algorithm follows the key).
    pub fn rotating(pass: &[u8], holder_key: &impl HolderSigner, now: u64) -> Self {
        let step = step_at(now);
        let digest: [u8; 32] = Sha256::digest(pass).into();
        let proof = holder_key.sign_holder_message(&proof_message(&digest, step));
        Presentation::Rotating {
            pass: pass.to_vec(),
            step,
            proof,
        }
    }

    /// A static presentation of `pass`.
    pub fn fixed(pass: &[u8]) -> Self {
        Presentation::Static {
            pass: pass.to_vec(),
        }
    }

    /// The pass bytes carried.
    pub fn pass_bytes(&self) -> &[u8] {
        match self {
            Presentation::Rotating { pass, .. } | Presentation::Static { pass } => pass,
        }
    }

    /// Whether the holder proof checks against `holder_key` (always false for static ones).
    pub fn holder_proof_is_valid(
        &self,
        pass_digest: &[u8; 32],
        holder_key: &HolderPublicKey,
    ) -> bool {
        self.check_holder_proof(pass_digest, holder_key).is_ok()
    }

    /// Checks the holder proof against `holder_key`, by the key's algorithm, saying why it fails;
    /// a static presentation has no proof and fails as [`HolderSignatureError::WrongLength`] 0.
    pub fn check_holder_proof(
        &self,
        pass_digest: &[u8; 32],
        holder_key: &HolderPublicKey,
    ) -> Result<(), HolderSignatureError> {
        match self {
            Presentation::Rotating { step, proof, .. } => {
                holder_key.verify(&proof_message(pass_digest, *step), proof)
            }
            Presentation::Static { .. } => Err(HolderSignatureError::WrongLength { len: 0 }),
        }
    }

    /// The CBOR array this presentation encodes to.
    pub fn to_cbor(&self) -> Vec<u8> {
        let value = match self {
            Presentation::Rotating { pass, step, proof } => Value::Array(vec![
                Value::Bytes(pass.clone()),
                cbor::uint(*step),
                Value::Bytes(proof.to_vec()),
            ]),
            Presentation::Static { pass } => Value::Array(vec![Value::Bytes(pass.clone())]),
        };
        cbor::encode(&value)
    }

    /// The QR text: `DP1:` + Base45 of the CBOR array.
    pub fn to_qr_text(&self) -> String {
        let mut text = String::from(QR_PREFIX);
        text.push_str(&base45::encode(self.to_cbor()));
        text
    }

    /// Reads a presentation from QR text. Never panics; any defect is a [`FormatError`].
    pub fn from_qr_text(text: &str) -> Result<Self, FormatError> {
        if text.len() > MAX_QR_TEXT_LEN {
            return Err(FormatError::TooLong {
                len: text.len(),
                max: MAX_QR_TEXT_LEN,
            });
        }
        // Scanners sometimes hand over a trailing newline; nothing else is forgiven.
        let text = text.trim_end_matches(['\r', '\n']);
        let body = text
            .strip_prefix(QR_PREFIX)
            .ok_or(FormatError::WrongPrefix)?;
        let bytes = base45::decode(body).map_err(|_| FormatError::Base45)?;
        Self::from_cbor(&bytes)
    }

    /// Reads a presentation from its CBOR array.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, FormatError> {
        let Value::Array(items) = cbor::decode(bytes)? else {
            return Err(FormatError::Shape("presentation is not an array".into()));
        };
        let mut items = items.into_iter();
        let pass = match items.next() {
            Some(Value::Bytes(pass)) if pass.len() <= MAX_PASS_LEN => pass,
            Some(Value::Bytes(pass)) => {
                return Err(FormatError::TooLong {
                    len: pass.len(),
                    max: MAX_PASS_LEN,
                });
            }
            _ => {
                return Err(FormatError::Shape(
                    "presentation does not start with the pass bytes".into(),
                ));
            }
        };
        match (items.next(), items.next(), items.next()) {
            (None, None, None) => Ok(Presentation::Static { pass }),
            (Some(step), Some(proof), None) => Ok(Presentation::Rotating {
                pass,
                step: as_uint(step, "step")?,
                proof: as_fixed_bytes(proof, "proof")?,
            }),
            _ => Err(FormatError::Shape(
                "presentation must have 1 or 3 elements".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::generate_signing_key;

    #[test]
    fn steps_and_countdown() {
        assert_eq!(step_at(59), 1);
        assert_eq!(step_at(60), 2);
        assert_eq!(seconds_until_rotation(60), 30);
        assert_eq!(seconds_until_rotation(89), 1);
    }

    #[test]
    fn qr_text_round_trip_and_proof() {
        let holder = generate_signing_key();
        let pass = b"not really a pass".to_vec();
        let p = Presentation::rotating(&pass, &holder, 1_000_000);
        let text = p.to_qr_text();
        assert!(text.starts_with("DP1:"));
        let back = Presentation::from_qr_text(&text).unwrap();
        assert_eq!(back, p);
        let digest: [u8; 32] = Sha256::digest(&pass).into();
        assert!(back.holder_proof_is_valid(&digest, &holder.verifying_key().into()));
        assert!(
            !back.holder_proof_is_valid(&digest, &generate_signing_key().verifying_key().into())
        );
        let s = Presentation::fixed(&pass);
        assert_eq!(Presentation::from_qr_text(&s.to_qr_text()).unwrap(), s);
        assert!(!s.holder_proof_is_valid(&digest, &holder.verifying_key().into()));
    }

    #[test]
    fn malformed_inputs_are_errors() {
        assert_eq!(
            Presentation::from_qr_text("HC1:ABC"),
            Err(FormatError::WrongPrefix)
        );
        assert_eq!(
            Presentation::from_qr_text("DP1:a~"),
            Err(FormatError::Base45)
        );
        assert!(matches!(
            Presentation::from_qr_text(&"D".repeat(5000)),
            Err(FormatError::TooLong { .. })
        ));
        // A CBOR map instead of an array.
        let text = format!("DP1:{}", base45::encode([0xa0]));
        assert!(matches!(
            Presentation::from_qr_text(&text),
            Err(FormatError::Shape(_))
        ));
        // Two elements.
        let two = cbor::encode(&Value::Array(vec![Value::Bytes(vec![1]), cbor::uint(1)]));
        assert!(matches!(
            Presentation::from_cbor(&two),
            Err(FormatError::Shape(_))
        ));
        // Byte string claiming 4 GiB but carrying nothing.
        assert!(matches!(
            Presentation::from_cbor(&[0x81, 0x5a, 0xff, 0xff, 0xff, 0xff]),
            Err(FormatError::Cbor(_))
        ));
        // Trailing bytes.
        let mut extra = Presentation::fixed(b"x").to_cbor();
        extra.push(0);
        assert!(matches!(
            Presentation::from_cbor(&extra),
            Err(FormatError::Cbor(_))
        ));
    }
}
