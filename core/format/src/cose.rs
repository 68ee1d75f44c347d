//! COSE_Sign1 with the DP1 header rules, shared by passes and trust lists.
//!
//! Protected header `{1: -8 (EdDSA), 4: kid}`, empty unprotected header, no external AAD, tagged with
//! CBOR tag 18 when encoded; decoding accepts the untagged form too. A status list adds one more
//! protected parameter, its media type as `typ` (16, RFC 9596), and nothing else.

use coset::{
    CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder, RegisteredLabelWithPrivate,
    TaggedCborSerializable, iana,
};
use ed25519_dalek::{Signature, Signer};

use crate::error::FormatError;
use crate::keys::{KeyId, SigningKey, VerifyingKey};

/// CBOR tag 18 (COSE_Sign1) as its one-byte encoding.
const COSE_SIGN1_TAG_BYTE: u8 = 0xd2;
/// The `typ` header parameter (RFC 9596).
const TYP: i64 = 16;

/// Signs `payload` with `key`, returning the tagged COSE_Sign1 encoding.
pub(crate) fn sign(payload: Vec<u8>, key: &SigningKey) -> Vec<u8> {
    sign_typed(payload, key, None)
}

/// Signs `payload` with `key`, with `typ` in the protected header when given.
pub(crate) fn sign_typed(payload: Vec<u8>, key: &SigningKey, typ: Option<&str>) -> Vec<u8> {
    let mut protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::EdDSA)
        .key_id(KeyId::of(&key.verifying_key()).0.to_vec());
    if let Some(typ) = typ {
        protected = protected.value(TYP, ciborium::Value::Text(typ.into()));
    }
    let protected = protected.build();
    let sign1 = CoseSign1Builder::new()
        .protected(protected)
        .payload(payload)
        .create_signature(b"", |tbs| key.sign(tbs).to_bytes().to_vec())
        .build();
    // Serialising a COSE_Sign1 we just built from plain values cannot fail.
    sign1.to_tagged_vec().unwrap_or_default()
}

/// A parsed COSE_Sign1 whose header follows the DP1 rules; its signature is not yet checked.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    /// The key id from the protected header.
    pub kid: KeyId,
    /// The payload bytes.
    pub payload: Vec<u8>,
    /// The bytes the signature covers (the COSE `Sig_structure`).
    tbs: Vec<u8>,
    signature: Signature,
}

impl Signed {
    /// Parses a COSE_Sign1 (tagged or untagged) and checks its header: alg and kid only.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        Self::parse_typed(bytes, None)
    }

    /// Parses a COSE_Sign1 whose protected header is alg, kid and, when `typ` is given, exactly
    /// that `typ`.
    pub fn parse_typed(bytes: &[u8], typ: Option<&str>) -> Result<Self, FormatError> {
        let sign1 = if bytes.first() == Some(&COSE_SIGN1_TAG_BYTE) {
            CoseSign1::from_tagged_slice(bytes)?
        } else {
            CoseSign1::from_slice(bytes)?
        };
        let header = &sign1.protected.header;
        if header.alg != Some(RegisteredLabelWithPrivate::Assigned(iana::Algorithm::EdDSA)) {
            return Err(FormatError::Header("algorithm is not EdDSA (-8)".into()));
        }
        let kid: [u8; 8] = header.key_id.as_slice().try_into().map_err(|_| {
            FormatError::Header(format!(
                "key id is {} bytes, expected 8",
                header.key_id.len()
            ))
        })?;
        // DP1 allows exactly {alg, kid} protected and nothing unprotected: no `crit` a verifier
        // would have to honour, nothing outside the signature that could be mistaken for signed.
        // (Checked field by field: alg and kid are checked above, nothing else may be set.)
        let only_alg_and_kid = header.crit.is_empty()
            && header.content_type.is_none()
            && header.iv.is_empty()
            && header.partial_iv.is_empty()
            && header.counter_signatures.is_empty();
        let rest_is_typ = match typ {
            None => header.rest.is_empty(),
            Some(typ) => matches!(
                header.rest.as_slice(),
                [(coset::Label::Int(TYP), ciborium::Value::Text(t))] if t == typ
            ),
        };
        if !only_alg_and_kid || !rest_is_typ {
            return Err(FormatError::Header(match typ {
                None => "protected header has parameters other than alg and kid".into(),
                Some(typ) => format!("protected header is not alg, kid and typ \"{typ}\""),
            }));
        }
        if !sign1.unprotected.is_empty() {
            return Err(FormatError::Header(
                "unprotected header is not empty".into(),
            ));
        }
        let payload = sign1
            .payload
            .clone()
            .ok_or_else(|| FormatError::Shape("COSE_Sign1 has no payload".into()))?;
        let signature = Signature::from_slice(&sign1.signature).map_err(|_| {
            FormatError::Shape(format!(
                "signature is {} bytes, expected 64",
                sign1.signature.len()
            ))
        })?;
        let tbs = sign1.tbs_data(b"");
        Ok(Signed {
            kid: KeyId(kid),
            payload,
            tbs,
            signature,
        })
    }

    /// Whether the signature checks against `key` (strict Ed25519: no malleable or weak-key forms).
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        key.verify_strict(&self.tbs, &self.signature).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed_with(protected: coset::Header, unprotected: coset::Header) -> Vec<u8> {
        let key = SigningKey::from_bytes(&[5; 32]);
        CoseSign1Builder::new()
            .protected(protected)
            .unprotected(unprotected)
            .payload(b"payload".to_vec())
            .create_signature(b"", |tbs| key.sign(tbs).to_bytes().to_vec())
            .build()
            .to_tagged_vec()
            .unwrap()
    }

    fn dp1_protected() -> HeaderBuilder {
        let key = SigningKey::from_bytes(&[5; 32]);
        HeaderBuilder::new()
            .algorithm(iana::Algorithm::EdDSA)
            .key_id(KeyId::of(&key.verifying_key()).0.to_vec())
    }

    #[test]
    fn the_header_is_exactly_alg_and_kid_byte_for_byte() {
        let key = SigningKey::from_bytes(&[5; 32]);
        let bytes = sign(b"payload".to_vec(), &key);
        let kid = KeyId::of(&key.verifying_key()).0;
        // d2 (tag 18), 84 (array of 4), 4d (bstr 13) a2 01 27 04 48 <kid>, a0 (empty map).
        let mut expected = vec![0xd2, 0x84, 0x4d, 0xa2, 0x01, 0x27, 0x04, 0x48];
        expected.extend_from_slice(&kid);
        expected.push(0xa0);
        assert_eq!(&bytes[..expected.len()], &expected[..]);
        let parsed = Signed::parse(&bytes).unwrap();
        assert!(parsed.verify(&key.verifying_key()));
        assert_eq!(parsed.kid.0, kid);
    }

    #[test]
    fn extra_header_parameters_are_refused() {
        let critical = dp1_protected()
            .add_critical(iana::HeaderParameter::ContentType)
            .content_format(iana::CoapContentFormat::Cbor)
            .build();
        assert!(matches!(
            Signed::parse(&signed_with(critical, coset::Header::default())),
            Err(FormatError::Header(_))
        ));
        let unprotected = HeaderBuilder::new().key_id(vec![1; 8]).build();
        assert!(matches!(
            Signed::parse(&signed_with(dp1_protected().build(), unprotected)),
            Err(FormatError::Header(_))
        ));
        assert!(
            Signed::parse(&signed_with(
                dp1_protected().build(),
                coset::Header::default()
            ))
            .is_ok()
        );
    }
}
