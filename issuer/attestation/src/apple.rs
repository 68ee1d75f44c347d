//! Apple App Attest attestation objects.

use doorpass_format::KeyAssurance;

use crate::AttestationError;

/// App Attest's two environments: the aaguid in an attestation says which made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppAttestEnvironment {
    /// Apps run from Xcode or TestFlight-style development builds (`appattestdevelop`).
    Development,
    /// App Store builds (`appattest` followed by seven zero bytes).
    Production,
}

/// What the issuer trusts and requires of App Attest attestations.
#[derive(Debug, Clone)]
pub struct ApplePolicy {
    /// The App Attestation root certificate, DER (Apple's in production).
    pub root: Vec<u8>,
    /// The app id: team id, a dot, and bundle id (`TEAMID1234.org.doorpass.app`).
    pub app_id: String,
    /// The environment attestations must come from.
    pub environment: AppAttestEnvironment,
}

/// Checks an App Attest attestation `object` (CBOR) made by the App Attest key `key_id` over
/// `client_data_hash` (SHA-256 of [`doorpass_format::api::attestation_client_data`]), at `now`
/// (Unix seconds).
pub fn verify_app_attest(
    object: &[u8],
    key_id: &[u8],
    client_data_hash: &[u8; 32],
    policy: &ApplePolicy,
    now: u64,
) -> Result<KeyAssurance, AttestationError> {
    let _ = (object, key_id, client_data_hash, policy, now);
    Err(AttestationError::Malformed("not implemented yet".into()))
}
