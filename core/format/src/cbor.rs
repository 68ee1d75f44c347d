//! Small helpers over `ciborium` values: strict decoding and typed reads of integer-keyed maps.

use ciborium::Value;

use crate::error::FormatError;

/// Encodes a value. Maps keep the order they were built in, so callers build them in
/// deterministic (RFC 8949 §4.2.1) key order.
pub(crate) fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = ciborium::into_writer(value, &mut out);
    out
}

/// Decodes exactly one CBOR item, refusing bytes left over after it.
pub(crate) fn decode(bytes: &[u8]) -> Result<Value, FormatError> {
    let mut cursor = std::io::Cursor::new(bytes);
    let value: Value =
        ciborium::from_reader(&mut cursor).map_err(|e| FormatError::Cbor(e.to_string()))?;
    if cursor.position() as usize != bytes.len() {
        return Err(FormatError::Cbor("bytes left over after the item".into()));
    }
    Ok(value)
}

/// A CBOR map with integer keys, each key at most once.
pub(crate) struct IntMap {
    entries: Vec<(i128, Value)>,
    what: &'static str,
}

impl IntMap {
    /// Reads `value` as a map with integer keys; `what` names it in errors.
    pub fn new(value: Value, what: &'static str) -> Result<Self, FormatError> {
        let Value::Map(pairs) = value else {
            return Err(FormatError::Shape(format!("{what} is not a map")));
        };
        let mut entries: Vec<(i128, Value)> = Vec::with_capacity(pairs.len());
        for (key, value) in pairs {
            let Value::Integer(key) = key else {
                return Err(FormatError::Shape(format!(
                    "{what} has a key that is not an integer"
                )));
            };
            let key = i128::from(key);
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(FormatError::Shape(format!("{what} has key {key} twice")));
            }
            entries.push((key, value));
        }
        Ok(IntMap { entries, what })
    }

    /// Takes the value at `key`, failing with [`FormatError::MissingClaim`] when absent.
    pub fn take(&mut self, key: i128, name: &'static str) -> Result<Value, FormatError> {
        match self.entries.iter().position(|(k, _)| *k == key) {
            Some(i) => Ok(self.entries.swap_remove(i).1),
            None => Err(FormatError::MissingClaim(name)),
        }
    }

    /// Takes the unsigned integer at `key`.
    pub fn uint(&mut self, key: i128, name: &'static str) -> Result<u64, FormatError> {
        as_uint(self.take(key, name)?, name)
    }

    /// Takes the unsigned integer at `key` if there is one.
    pub fn optional_uint(
        &mut self,
        key: i128,
        name: &'static str,
    ) -> Result<Option<u64>, FormatError> {
        if !self.entries.iter().any(|(k, _)| *k == key) {
            return Ok(None);
        }
        self.uint(key, name).map(Some)
    }

    /// Takes the text string at `key`.
    pub fn text(&mut self, key: i128, name: &'static str) -> Result<String, FormatError> {
        match self.take(key, name)? {
            Value::Text(s) => Ok(s),
            _ => Err(invalid(name, "not a text string")),
        }
    }

    /// Takes the byte string at `key`, which must be exactly `N` bytes long.
    pub fn bytes<const N: usize>(
        &mut self,
        key: i128,
        name: &'static str,
    ) -> Result<[u8; N], FormatError> {
        as_fixed_bytes(self.take(key, name)?, name)
    }

    /// Takes the nested map at `key`.
    pub fn map(&mut self, key: i128, name: &'static str) -> Result<IntMap, FormatError> {
        let value = self.take(key, name)?;
        IntMap::new(value, name)
    }

    /// Name of this map, for error messages.
    pub fn what(&self) -> &'static str {
        self.what
    }
}

/// Reads an unsigned integer that fits in 64 bits.
pub(crate) fn as_uint(value: Value, name: &'static str) -> Result<u64, FormatError> {
    match value {
        Value::Integer(i) => {
            u64::try_from(i128::from(i)).map_err(|_| invalid(name, "not an unsigned integer"))
        }
        _ => Err(invalid(name, "not an integer")),
    }
}

/// Reads a byte string of exactly `N` bytes.
pub(crate) fn as_fixed_bytes<const N: usize>(
    value: Value,
    name: &'static str,
) -> Result<[u8; N], FormatError> {
    match value {
        Value::Bytes(b) => b
            .as_slice()
            .try_into()
            .map_err(|_| invalid(name, &format!("{} bytes, expected {N}", b.len()))),
        _ => Err(invalid(name, "not a byte string")),
    }
}

/// An [`FormatError::InvalidClaim`].
pub(crate) fn invalid(claim: &'static str, reason: &str) -> FormatError {
    FormatError::InvalidClaim {
        claim,
        reason: reason.to_string(),
    }
}

/// An unsigned integer value.
pub(crate) fn uint(n: u64) -> Value {
    Value::Integer(n.into())
}

/// An integer map key.
pub(crate) fn key(n: i64) -> Value {
    Value::Integer(n.into())
}
