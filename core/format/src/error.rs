//! Errors for input that cannot be understood as DP1.

/// Why bytes or text could not be read as a DP1 object.
///
/// Every variant means "malformed": the input is not something a DP1 issuer produced. A verifier
/// shows these as a refusal; a wallet never stores such data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The QR text does not start with `DP1:`.
    #[error("not a Doorpass code (expected the prefix \"DP1:\")")]
    WrongPrefix,
    /// The input is longer than any DP1 object can be.
    #[error("input is {len} bytes long, more than the {max} a DP1 object can be")]
    TooLong {
        /// Length of the input.
        len: usize,
        /// Largest accepted length.
        max: usize,
    },
    /// The text after the prefix is not valid Base45.
    #[error("the code's text is not valid Base45")]
    Base45,
    /// The bytes are not well-formed CBOR, or have bytes left over after the CBOR item.
    #[error("not well-formed CBOR: {0}")]
    Cbor(String),
    /// Well-formed CBOR, but not the structure DP1 expects here.
    #[error("unexpected structure: {0}")]
    Shape(String),
    /// The COSE header names an algorithm other than EdDSA, or a key id of the wrong length.
    #[error("unsupported COSE header: {0}")]
    Header(String),
    /// A required claim is missing.
    #[error("missing claim: {0}")]
    MissingClaim(&'static str),
    /// The `cnf` claim's COSE_Key is not a holder key DP1 accepts (e.g. a P-256 point not on the curve).
    #[error("holder key (cnf): {0}")]
    HolderKey(#[from] crate::holder_key::HolderKeyError),
    /// A claim is present but its value is not allowed.
    #[error("invalid claim {claim}: {reason}")]
    InvalidClaim {
        /// The claim's name.
        claim: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl From<coset::CoseError> for FormatError {
    fn from(e: coset::CoseError) -> Self {
        match e {
            coset::CoseError::DecodeFailed(inner) => FormatError::Cbor(inner.to_string()),
            coset::CoseError::ExtraneousData => {
                FormatError::Cbor("bytes left over after the item".into())
            }
            other => FormatError::Shape(other.to_string()),
        }
    }
}
