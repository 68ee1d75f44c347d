//! Parsing what a wallet sends to prove it holds its key: the holder public key it enrols (Ed25519 or
//! P-256) and the signatures over a challenge or a refresh token. Below the handlers that use them,
//! so that neither handler depends on the other.

use axum::http::StatusCode;
use doorpass_format::api::{b64_fixed, b64_vec, error_code};
use doorpass_format::holder_key::{HOLDER_SIGNATURE_LEN, HolderPublicKey, P256_COMPRESSED_LEN};

use crate::error::ApiError;

/// Parses a base64url holder public key: 32 bytes for Ed25519, a 33-byte compressed SEC1 point for
/// P-256 (docs/holder-keys.md, "Issuer API"). A point off the curve is refused here.
pub fn parse_holder_key(text: &str) -> Result<HolderPublicKey, ApiError> {
    b64_vec(text, P256_COMPRESSED_LEN)
        .and_then(|b| HolderPublicKey::from_bytes(&b).ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "holder_key must be a base64url Ed25519 public key (32 bytes) \
                 or a compressed P-256 point (33 bytes)",
            )
        })
}

/// Reads back a holder key the store recorded (as [`HolderPublicKey::to_bytes`] wrote it).
pub fn stored_holder_key(bytes: &[u8]) -> Result<HolderPublicKey, ApiError> {
    HolderPublicKey::from_bytes(bytes).map_err(ApiError::internal)
}

/// Parses a base64url holder signature (64 bytes: Ed25519, or ES256 as raw `r ‖ s`).
pub fn parse_proof(text: &str) -> Result<[u8; HOLDER_SIGNATURE_LEN], ApiError> {
    b64_fixed::<HOLDER_SIGNATURE_LEN>(text).ok_or_else(|| {
        ApiError::bad_request("proof must be a base64url holder signature (64 bytes)")
    })
}

/// Checks `proof` over `message` by the holder key's algorithm (strict Ed25519, or ES256 with low
/// S); a refusal is `401 bad_proof` saying `what` the proof should have signed.
pub fn check_proof(
    key: &HolderPublicKey,
    message: &[u8],
    proof: &[u8; HOLDER_SIGNATURE_LEN],
    what: &str,
) -> Result<(), ApiError> {
    key.verify(message, proof).map_err(|_| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            error_code::BAD_PROOF,
            format!("the proof is not a signature by the holder key over {what}"),
        )
    })
}
