//! Android Keystore key attestation.

use doorpass_format::KeyAssurance;

use crate::AttestationError;

/// What the issuer trusts and requires of Android attestations.
#[derive(Debug, Clone)]
pub struct AndroidPolicy {
    /// Trusted root certificates, DER (Google's hardware attestation roots in production).
    pub roots: Vec<Vec<u8>>,
    /// Revoked certificate serial numbers, lowercase hex without leading zeros (as Google's
    /// attestation status list names them).
    pub revoked_serials: Vec<String>,
}

/// Checks an Android Keystore attestation `chain` (DER, leaf first) for `holder_key` (a P-256
/// compressed SEC1 point, 33 bytes) and `challenge`, at `now` (Unix seconds). Returns the
/// attested security level.
pub fn verify_android_key_attestation(
    chain: &[Vec<u8>],
    holder_key: &[u8],
    challenge: &[u8],
    policy: &AndroidPolicy,
    now: u64,
) -> Result<KeyAssurance, AttestationError> {
    let _ = (chain, holder_key, challenge, policy, now);
    Err(AttestationError::Malformed("not implemented yet".into()))
}
