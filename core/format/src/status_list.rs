//! Revocation lists in the IETF Token Status List form (draft-ietf-oauth-status-list, CWT):
//! one bit per pass, 1 = revoked, ZLIB-compressed and signed by an issuer key of the trust list.
//!
//! Token: COSE_Sign1, protected header `{1: -8, 4: kid, 16: "application/statuslist+cwt"}`, claims
//! `{2: uri, 4: exp, 6: iat, 65533: {"bits": 1, "lst": zlib(bits)}, 65534: ttl}`. Entry `i` is bit
//! `i % 8`, counted from the least significant end, of byte `i / 8`. Reading is bounded: a list
//! may not inflate past [`MAX_STATUS_LIST_ENTRIES`] entries, so a small token cannot exhaust a
//! phone's memory.

use std::io::Read;

use ciborium::Value;
use flate2::Compression;
use flate2::read::{ZlibDecoder, ZlibEncoder};

use crate::cbor::{self, IntMap};
use crate::cose::Signed;
use crate::error::FormatError;
use crate::keys::{KeyId, SigningKey};

/// The media type in the token's `typ` header.
pub const STATUS_LIST_TYP: &str = "application/statuslist+cwt";
/// Entries in every list an issuer makes: one list says little about any one person.
pub const MIN_STATUS_LIST_ENTRIES: usize = 100_000;
/// Most entries a reader accepts (2 MiB inflated).
pub const MAX_STATUS_LIST_ENTRIES: usize = 1 << 24;
/// Largest token accepted, in bytes.
pub const MAX_STATUS_LIST_TOKEN_LEN: usize = 1 << 20;

/// The pass's status claim (CWT key 65535).
pub const STATUS_CLAIM: i64 = 65535;
/// Longest list URI a pass may name, in bytes: every byte costs the QR code 1.5 characters.
pub const MAX_STATUS_URI_LEN: usize = 64;

const SUB: i128 = 2;
const EXP: i128 = 4;
const IAT: i128 = 6;
const STATUS_LIST: i128 = 65533;
const TTL: i128 = 65534;

/// Where a pass's status is kept: entry `index` of the list served at `uri` (the pass's claim
/// `65535: {"status_list": {"idx": index, "uri": uri}}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatusReference {
    /// The entry in the list.
    pub index: u64,
    /// The list's URI (its token's `sub`).
    pub uri: String,
}

impl StatusReference {
    /// Checks the URI: not empty, at most [`MAX_STATUS_URI_LEN`] bytes, no control characters.
    pub fn validate(&self) -> Result<(), FormatError> {
        let invalid = |reason: &str| FormatError::InvalidClaim {
            claim: "status_list.uri",
            reason: reason.into(),
        };
        if self.uri.is_empty() {
            return Err(invalid("empty"));
        }
        if self.uri.len() > MAX_STATUS_URI_LEN {
            return Err(invalid(&format!("longer than {MAX_STATUS_URI_LEN} bytes")));
        }
        if self
            .uri
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(invalid("contains spaces or control characters"));
        }
        Ok(())
    }

    /// The claim's value, keys in deterministic order.
    pub(crate) fn to_cbor(&self) -> Value {
        Value::Map(vec![(
            Value::Text("status_list".into()),
            Value::Map(vec![
                (Value::Text("idx".into()), cbor::uint(self.index)),
                (Value::Text("uri".into()), Value::Text(self.uri.clone())),
            ]),
        )])
    }

    /// Reads the claim's value. Other status mechanisms beside `status_list` are ignored, as the
    /// draft allows; a claim without `status_list` is refused, since it names no list we can check.
    pub(crate) fn from_cbor(value: Value) -> Result<Self, FormatError> {
        let shape = |what: &str| FormatError::Shape(format!("status claim: {what}"));
        let Value::Map(mechanisms) = value else {
            return Err(shape("not a map"));
        };
        let mut list = None;
        for (key, value) in mechanisms {
            if key.as_text() == Some("status_list") && list.replace(value).is_some() {
                return Err(shape("status_list twice"));
            }
        }
        let Some(Value::Map(fields)) = list else {
            return Err(FormatError::MissingClaim("status_list"));
        };
        let (mut index, mut uri) = (None, None);
        for (key, value) in fields {
            match (key.as_text(), value) {
                (Some("idx"), value) if index.is_none() => {
                    index = Some(cbor::as_uint(value, "status_list.idx")?)
                }
                (Some("uri"), Value::Text(text)) if uri.is_none() => uri = Some(text),
                (Some("idx" | "uri"), _) => return Err(shape("idx or uri twice, or uri not text")),
                _ => {}
            }
        }
        let reference = StatusReference {
            index: index.ok_or(FormatError::MissingClaim("status_list.idx"))?,
            uri: uri.ok_or(FormatError::MissingClaim("status_list.uri"))?,
        };
        reference.validate()?;
        Ok(reference)
    }
}

/// Splits the status claim off a pass's claims map, since `coset` refuses claim keys IANA has not
/// registered: the claims without it (borrowed when there was none) and the claim's value.
pub(crate) fn split_status_claim(
    claims: &[u8],
) -> Result<(std::borrow::Cow<'_, [u8]>, Option<Value>), FormatError> {
    let Value::Map(mut pairs) = cbor::decode(claims)? else {
        // Not a map: let the CWT reader say so.
        return Ok((claims.into(), None));
    };
    let is_status = |k: &Value| {
        k.as_integer()
            .is_some_and(|i| i128::from(i) == i128::from(STATUS_CLAIM))
    };
    let Some(at) = pairs.iter().position(|(k, _)| is_status(k)) else {
        return Ok((claims.into(), None));
    };
    let (_, status) = pairs.remove(at);
    if pairs.iter().any(|(k, _)| is_status(k)) {
        return Err(FormatError::Shape("status claim twice".into()));
    }
    Ok((cbor::encode(&Value::Map(pairs)).into(), Some(status)))
}

/// One status bit per entry; 1 = revoked.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for StatusList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusList")
            .field("entries", &self.len())
            .field("revoked", &self.revoked_count())
            .finish()
    }
}

impl StatusList {
    /// A list of at least `entries` entries (rounded up to a whole byte), none revoked.
    pub fn new(entries: usize) -> Self {
        StatusList {
            bytes: vec![0; entries.div_ceil(8)],
        }
    }

    /// Entries in the list.
    pub fn len(&self) -> usize {
        self.bytes.len() * 8
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Whether entry `index` is revoked; `None` when the list has no such entry.
    pub fn is_revoked(&self, index: u64) -> Option<bool> {
        let byte = self.bytes.get(usize::try_from(index / 8).ok()?)?;
        Some(byte >> (index % 8) & 1 == 1)
    }

    /// Marks entry `index` revoked. Returns `false` (and changes nothing) when there is no such
    /// entry.
    pub fn revoke(&mut self, index: u64) -> bool {
        let Some(byte) = usize::try_from(index / 8)
            .ok()
            .and_then(|i| self.bytes.get_mut(i))
        else {
            return false;
        };
        *byte |= 1 << (index % 8);
        true
    }

    /// Entries revoked.
    pub fn revoked_count(&self) -> usize {
        self.bytes.iter().map(|b| b.count_ones() as usize).sum()
    }

    /// The bit string, ZLIB-compressed (the token's `lst`).
    pub fn compressed(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Reading from a byte slice into a Vec cannot fail.
        let _ = ZlibEncoder::new(self.bytes.as_slice(), Compression::best()).read_to_end(&mut out);
        out
    }

    /// Reads a ZLIB-compressed bit string, refusing anything that inflates past
    /// [`MAX_STATUS_LIST_ENTRIES`] entries or has bytes after the compressed stream.
    pub fn from_compressed(lst: &[u8]) -> Result<Self, FormatError> {
        let invalid = |reason: String| FormatError::InvalidClaim {
            claim: "status_list.lst",
            reason,
        };
        let max_bytes = MAX_STATUS_LIST_ENTRIES / 8;
        let mut decoder = ZlibDecoder::new(lst);
        let mut bytes = Vec::new();
        (&mut decoder)
            .take(max_bytes as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| invalid(format!("not a ZLIB stream: {e}")))?;
        if bytes.len() > max_bytes {
            return Err(invalid(format!(
                "inflates past {MAX_STATUS_LIST_ENTRIES} entries"
            )));
        }
        if decoder.total_in() != lst.len() as u64 {
            return Err(invalid("bytes left over after the ZLIB stream".into()));
        }
        Ok(StatusList { bytes })
    }
}

/// The claims of a status list token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListToken {
    /// Where the list is served; passes name it in their status claim (`sub`).
    pub uri: String,
    /// When the token was made (`iat`); a cache never replaces a list with an older one.
    pub issued_at: u64,
    /// After this the token should not be used (`exp`), if set.
    pub expires_at: Option<u64>,
    /// Seconds a reader may keep the token before fetching it again (`ttl`), if set.
    pub ttl: Option<u64>,
    /// The statuses.
    pub list: StatusList,
}

impl StatusListToken {
    /// Signs the token with an issuer key, giving the COSE_Sign1 bytes to serve.
    pub fn sign(&self, issuer: &SigningKey) -> Vec<u8> {
        crate::cose::sign_typed(cbor::encode(&self.to_cbor()), issuer, Some(STATUS_LIST_TYP))
    }

    /// Claims in deterministic order (RFC 8949 §4.2.1: shorter encoded keys first).
    fn to_cbor(&self) -> Value {
        let mut claims = vec![(cbor::key(SUB as i64), Value::Text(self.uri.clone()))];
        if let Some(exp) = self.expires_at {
            claims.push((cbor::key(EXP as i64), cbor::uint(exp)));
        }
        claims.push((cbor::key(IAT as i64), cbor::uint(self.issued_at)));
        claims.push((
            cbor::key(STATUS_LIST as i64),
            Value::Map(vec![
                (
                    Value::Text("lst".into()),
                    Value::Bytes(self.list.compressed()),
                ),
                (Value::Text("bits".into()), cbor::uint(1)),
            ]),
        ));
        if let Some(ttl) = self.ttl {
            claims.push((cbor::key(TTL as i64), cbor::uint(ttl)));
        }
        Value::Map(claims)
    }

    /// Parses signed token bytes; the signature is checked by [`SignedStatusList::verify`].
    pub fn parse(bytes: &[u8]) -> Result<SignedStatusList, FormatError> {
        if bytes.len() > MAX_STATUS_LIST_TOKEN_LEN {
            return Err(FormatError::TooLong {
                len: bytes.len(),
                max: MAX_STATUS_LIST_TOKEN_LEN,
            });
        }
        let signed = Signed::parse_typed(bytes, Some(STATUS_LIST_TYP))?;
        let mut claims = IntMap::new(cbor::decode(&signed.payload)?, "status list claims")?;
        let uri = claims.text(SUB, "sub")?;
        let issued_at = claims.uint(IAT, "iat")?;
        let expires_at = optional_uint(&mut claims, EXP, "exp")?;
        let ttl = optional_uint(&mut claims, TTL, "ttl")?;
        let list = read_status_list(claims.take(STATUS_LIST, "status_list")?)?;
        // Other claims are allowed by the draft and ignored.
        Ok(SignedStatusList {
            token: StatusListToken {
                uri,
                issued_at,
                expires_at,
                ttl,
                list,
            },
            signed,
        })
    }
}

fn optional_uint(
    claims: &mut IntMap,
    key: i128,
    name: &'static str,
) -> Result<Option<u64>, FormatError> {
    match claims.take(key, name) {
        Ok(value) => cbor::as_uint(value, name).map(Some),
        Err(FormatError::MissingClaim(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads `{"bits": 1, "lst": bstr}`; other text keys (such as `aggregation_uri`) are ignored.
fn read_status_list(value: Value) -> Result<StatusList, FormatError> {
    let Value::Map(pairs) = value else {
        return Err(FormatError::Shape("status_list is not a map".into()));
    };
    let (mut bits, mut lst) = (None, None);
    for (key, value) in pairs {
        let slot = match key.as_text() {
            Some("bits") => &mut bits,
            Some("lst") => &mut lst,
            Some(_) => continue,
            None => {
                return Err(FormatError::Shape(
                    "status_list has a key that is not text".into(),
                ));
            }
        };
        if slot.replace(value).is_some() {
            return Err(FormatError::Shape("status_list has a key twice".into()));
        }
    }
    let bits = cbor::as_uint(
        bits.ok_or(FormatError::MissingClaim("status_list.bits"))?,
        "status_list.bits",
    )?;
    if bits != 1 {
        return Err(FormatError::InvalidClaim {
            claim: "status_list.bits",
            reason: format!("{bits} bits per entry; DP1 lists use 1 (valid or revoked)"),
        });
    }
    let Some(Value::Bytes(lst)) = lst else {
        return Err(FormatError::MissingClaim("status_list.lst"));
    };
    StatusList::from_compressed(&lst)
}

/// A parsed status list token and its signature, not yet checked: see
/// [`SignedStatusList::verify`] (in [`crate::status_list_binding`]).
#[derive(Debug, Clone)]
pub struct SignedStatusList {
    pub(crate) token: StatusListToken,
    pub(crate) signed: Signed,
}

impl SignedStatusList {
    /// The id of the key that signed it.
    pub fn key_id(&self) -> KeyId {
        self.signed.kid
    }

    /// The claims, unchecked: use them only after [`SignedStatusList::verify`].
    pub fn unverified(&self) -> &StatusListToken {
        &self.token
    }
}

#[cfg(test)]
#[path = "status_list_tests.rs"]
mod tests;
