//! Parsing what a wallet sends to prove it holds its key: the Ed25519 public key it enrols and the
//! signatures over a challenge or a refresh token. Below the handlers that use them, so that neither
//! handler depends on the other.

use doorpass_format::api::b64_fixed;
use doorpass_format::keys::{Signature, VerifyingKey};

use crate::error::ApiError;

/// Parses a base64url Ed25519 public key.
pub fn parse_holder_key(text: &str) -> Result<VerifyingKey, ApiError> {
    b64_fixed::<32>(text)
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
        .ok_or_else(|| {
            ApiError::bad_request("holder_key must be a base64url Ed25519 public key (32 bytes)")
        })
}

/// Parses a base64url Ed25519 signature.
pub fn parse_proof(text: &str) -> Result<Signature, ApiError> {
    b64_fixed::<64>(text)
        .map(|b| Signature::from_bytes(&b))
        .ok_or_else(|| {
            ApiError::bad_request("proof must be a base64url Ed25519 signature (64 bytes)")
        })
}
