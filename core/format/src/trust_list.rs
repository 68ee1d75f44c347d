//! The trust list: issuer keys a verifier accepts, signed by the trust anchor pinned in the app.

use ciborium::Value;

use crate::cbor::{self, IntMap, as_fixed_bytes, as_uint, invalid};
use crate::cose::Signed;
use crate::error::FormatError;
use crate::keys::{KeyId, SigningKey, VerifyingKey};

/// Largest trust list accepted, in bytes.
pub const MAX_TRUST_LIST_LEN: usize = 1 << 20;

/// One issuer key a verifier accepts, and for which issuance times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedIssuer {
    /// Key id of `public_key` (checked when the list is read).
    pub key_id: KeyId,
    /// The issuer's Ed25519 public key.
    pub public_key: VerifyingKey,
    /// The issuer id that passes signed by this key must carry in `iss`.
    pub issuer_id: String,
    /// Passes issued (`iat`) before this moment are not accepted under this key.
    pub not_before: u64,
    /// Passes issued (`iat`) after this moment are not accepted under this key.
    pub not_after: u64,
}

impl TrustedIssuer {
    /// An entry for `public_key`, with its key id computed.
    pub fn new(
        public_key: VerifyingKey,
        issuer_id: impl Into<String>,
        not_before: u64,
        not_after: u64,
    ) -> Self {
        TrustedIssuer {
            key_id: KeyId::of(&public_key),
            public_key,
            issuer_id: issuer_id.into(),
            not_before,
            not_after,
        }
    }

    /// Whether a pass issued at `issued_at` falls in this key's validity window.
    pub fn covers(&self, issued_at: u64) -> bool {
        self.not_before <= issued_at && issued_at <= self.not_after
    }
}

/// The content of a trust list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustListContent {
    /// Increases with every new list; a verifier never goes back to a lower one.
    pub version: u64,
    /// When the list was made.
    pub issued_at: u64,
    /// When the anchor plans to publish the next list (verifiers keep working after it).
    pub next_update: u64,
    /// The accepted issuer keys.
    pub issuers: Vec<TrustedIssuer>,
}

impl TrustListContent {
    /// Signs the list with the trust anchor key, giving the COSE_Sign1 bytes to publish.
    pub fn sign(&self, anchor: &SigningKey) -> Vec<u8> {
        crate::cose::sign(cbor::encode(&self.to_cbor()), anchor)
    }

    fn to_cbor(&self) -> Value {
        let entries = self
            .issuers
            .iter()
            .map(|i| {
                Value::Map(vec![
                    (cbor::key(1), Value::Bytes(i.key_id.0.to_vec())),
                    (cbor::key(2), Value::Bytes(i.public_key.to_bytes().to_vec())),
                    (cbor::key(3), Value::Text(i.issuer_id.clone())),
                    (cbor::key(4), cbor::uint(i.not_before)),
                    (cbor::key(5), cbor::uint(i.not_after)),
                ])
            })
            .collect();
        Value::Map(vec![
            (cbor::key(1), cbor::uint(self.version)),
            (cbor::key(2), cbor::uint(self.issued_at)),
            (cbor::key(3), cbor::uint(self.next_update)),
            (cbor::key(4), Value::Array(entries)),
        ])
    }

    fn from_cbor(bytes: &[u8]) -> Result<Self, FormatError> {
        let mut map = IntMap::new(cbor::decode(bytes)?, "trust list")?;
        let version = map.uint(1, "version")?;
        let issued_at = map.uint(2, "issued_at")?;
        let next_update = map.uint(3, "next_update")?;
        let Value::Array(entries) = map.take(4, "issuers")? else {
            return Err(invalid("issuers", "not an array"));
        };
        let issuers = entries
            .into_iter()
            .map(issuer_from_cbor)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustListContent {
            version,
            issued_at,
            next_update,
            issuers,
        })
    }
}

fn issuer_from_cbor(value: Value) -> Result<TrustedIssuer, FormatError> {
    let mut entry = IntMap::new(value, "trust list entry")?;
    let kid: [u8; 8] = as_fixed_bytes(entry.take(1, "kid")?, "kid")?;
    let key: [u8; 32] = entry.bytes(2, "issuer public key")?;
    let public_key = VerifyingKey::from_bytes(&key)
        .map_err(|_| invalid("issuer public key", "not a valid Ed25519 key"))?;
    if KeyId::of(&public_key).0 != kid {
        return Err(invalid("kid", "does not match the issuer public key"));
    }
    let issuer_id = entry.text(3, "issuer id")?;
    let not_before = as_uint(entry.take(4, "not_before")?, "not_before")?;
    let not_after = entry.uint(5, "not_after")?;
    Ok(TrustedIssuer {
        key_id: KeyId(kid),
        public_key,
        issuer_id,
        not_before,
        not_after,
    })
}

/// Why a trust list was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustListError {
    /// The bytes are not a DP1 trust list.
    #[error("malformed trust list: {0}")]
    Malformed(#[from] FormatError),
    /// The list is not signed by the pinned trust anchor.
    #[error("the trust list is not signed by the pinned trust anchor")]
    NotSignedByAnchor,
    /// The list is older than the one already held (rollback refused).
    #[error("trust list version {offered} is older than the cached version {cached}")]
    Rollback {
        /// Version already held.
        cached: u64,
        /// Version offered.
        offered: u64,
    },
    /// The list has the same version as the one held but different content.
    #[error("trust list version {version} differs from the cached list of the same version")]
    VersionConflict {
        /// The shared version number.
        version: u64,
    },
}

/// A trust list whose anchor signature has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustList {
    bytes: Vec<u8>,
    content: TrustListContent,
}

impl TrustList {
    /// Reads a trust list and checks that the pinned `anchor` signed it.
    pub fn verify(bytes: &[u8], anchor: &VerifyingKey) -> Result<TrustList, TrustListError> {
        if bytes.len() > MAX_TRUST_LIST_LEN {
            return Err(FormatError::TooLong {
                len: bytes.len(),
                max: MAX_TRUST_LIST_LEN,
            }
            .into());
        }
        let signed = Signed::parse(bytes)?;
        if signed.kid != KeyId::of(anchor) || !signed.verify(anchor) {
            return Err(TrustListError::NotSignedByAnchor);
        }
        let content = TrustListContent::from_cbor(&signed.payload)?;
        Ok(TrustList {
            bytes: bytes.to_vec(),
            content,
        })
    }

    /// Checks that this list may replace `cached`: never an older version (no rollback).
    /// Offering the very same list again is fine.
    pub fn may_replace(&self, cached: &TrustList) -> Result<(), TrustListError> {
        let (offered, held) = (self.content.version, cached.content.version);
        if offered < held {
            return Err(TrustListError::Rollback {
                cached: held,
                offered,
            });
        }
        if offered == held && self.bytes != cached.bytes {
            return Err(TrustListError::VersionConflict { version: offered });
        }
        Ok(())
    }

    /// The signed bytes, for caching.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The decoded content.
    pub fn content(&self) -> &TrustListContent {
        &self.content
    }

    /// The list's version.
    pub fn version(&self) -> u64 {
        self.content.version
    }

    /// The first entry for issuer key `kid`, if listed (for any issuer).
    pub fn issuer(&self, kid: KeyId) -> Option<&TrustedIssuer> {
        self.content.issuers.iter().find(|i| i.key_id == kid)
    }

    /// The entries for issuer key `kid` listed for `issuer_id` (usually one; a key listed again
    /// with another window gives several). Only a hostile or broken list holds one key for several
    /// issuers, but the entries of the right issuer are the ones found.
    pub fn issuer_entries<'a>(
        &'a self,
        kid: KeyId,
        issuer_id: &'a str,
    ) -> impl Iterator<Item = &'a TrustedIssuer> + 'a {
        self.content
            .issuers
            .iter()
            .filter(move |i| i.key_id == kid && i.issuer_id == issuer_id)
    }

    /// Seconds since the list was issued, as of `now` (0 if the clock is behind it).
    pub fn age_seconds(&self, now: u64) -> u64 {
        now.saturating_sub(self.content.issued_at)
    }

    /// Whether the anchor's planned next update time has passed.
    pub fn is_due_for_update(&self, now: u64) -> bool {
        now >= self.content.next_update
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::generate_signing_key;

    fn list(version: u64, anchor: &SigningKey, issuer: &VerifyingKey) -> Vec<u8> {
        TrustListContent {
            version,
            issued_at: 100,
            next_update: 200,
            issuers: vec![TrustedIssuer::new(*issuer, "KR-KDCA", 0, u64::MAX)],
        }
        .sign(anchor)
    }

    #[test]
    fn signed_by_anchor_round_trips() {
        let anchor = generate_signing_key();
        let issuer = generate_signing_key().verifying_key();
        let tl = TrustList::verify(&list(3, &anchor, &issuer), &anchor.verifying_key()).unwrap();
        assert_eq!(tl.version(), 3);
        assert_eq!(tl.issuer(KeyId::of(&issuer)).unwrap().issuer_id, "KR-KDCA");
        assert_eq!(tl.age_seconds(150), 50);
        assert!(!tl.is_due_for_update(150));
        assert!(tl.is_due_for_update(200));
    }

    #[test]
    fn other_signer_is_refused() {
        let anchor = generate_signing_key();
        let impostor = generate_signing_key();
        let issuer = generate_signing_key().verifying_key();
        let err =
            TrustList::verify(&list(1, &impostor, &issuer), &anchor.verifying_key()).unwrap_err();
        assert_eq!(err, TrustListError::NotSignedByAnchor);
    }

    #[test]
    fn rollback_is_refused() {
        let anchor = generate_signing_key();
        let issuer = generate_signing_key().verifying_key();
        let a = anchor.verifying_key();
        let v2 = TrustList::verify(&list(2, &anchor, &issuer), &a).unwrap();
        let v1 = TrustList::verify(&list(1, &anchor, &issuer), &a).unwrap();
        let other_issuer = generate_signing_key().verifying_key();
        let v2b = TrustList::verify(&list(2, &anchor, &other_issuer), &a).unwrap();
        assert_eq!(
            v1.may_replace(&v2),
            Err(TrustListError::Rollback {
                cached: 2,
                offered: 1
            })
        );
        assert_eq!(
            v2b.may_replace(&v2),
            Err(TrustListError::VersionConflict { version: 2 })
        );
        assert!(v2.may_replace(&v1).is_ok());
        assert!(v2.may_replace(&v2.clone()).is_ok());
    }
}
