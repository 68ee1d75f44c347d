//! Issued passes: what is recorded of a pass and the refresh token that comes with it.

/// A pass about to be recorded, with the refresh token that comes with it.
#[derive(Debug, Clone)]
pub struct IssuedRecord {
    /// Pass id (`cti`).
    pub pass_id: [u8; 16],
    /// Subject.
    pub subject: String,
    /// Holder key.
    /// (`HolderPublicKey::to_bytes`: 32 bytes for Ed25519, the 33-byte compressed point for P-256.)
    pub holder_key: Vec<u8>,
    /// Refresh-token family.
    pub family: [u8; 16],
    /// Unix seconds.
    pub issued_at: u64,
    /// Unix seconds.
    pub expires_at: u64,
    /// Unix seconds.
    pub renew_after: u64,
    /// The signed pass.
    pub pass: Vec<u8>,
    /// SHA-256 of the new refresh token.
    pub token_hash: [u8; 32],
    /// When the new refresh token expires.
    pub token_expires_at: u64,
    /// The pass's entry in a status list, if it has one.
    pub status: Option<super::StatusEntry>,
    /// What an attestation showed of the holder key; kept with the refresh token, so that
    /// renewals carry it on.
    pub key_assurance: doorpass_format::KeyAssurance,
}
