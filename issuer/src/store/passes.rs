//! Issued passes: recording a pass with its refresh token, and looking passes up.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

/// A pass about to be recorded, with the refresh token that comes with it.
#[derive(Debug, Clone)]
pub struct IssuedRecord {
    /// Pass id (`cti`).
    pub pass_id: [u8; 16],
    /// Subject.
    pub subject: String,
    /// Holder key.
    pub holder_key: [u8; 32],
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
}

/// Records an issued pass and the refresh token that comes with it (enrolment and renewal both
/// end here).
pub(super) fn insert_issued(conn: &Connection, r: &IssuedRecord) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO passes (pass_id, subject, holder_key, family, issued_at, expires_at, renew_after, pass,
                             status_list, status_counter, status_idx)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        &r.pass_id[..],
        r.subject,
        &r.holder_key[..],
        &r.family[..],
        r.issued_at as i64,
        r.expires_at as i64,
        r.renew_after as i64,
        r.pass,
        r.status.map(|e| e.list as i64),
        r.status.map(|e| e.counter as i64),
        r.status.map(|e| e.index as i64),
    ])?;
    conn.prepare_cached(
        "INSERT INTO refresh_tokens (token_hash, family, subject, holder_key, expires_at, pass_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        &r.token_hash[..],
        &r.family[..],
        r.subject,
        &r.holder_key[..],
        r.token_expires_at as i64,
        &r.pass_id[..]
    ])?;
    if let Some(entry) = &r.status {
        super::status::record_list(conn, entry.list)?;
    }
    Ok(())
}

/// Number of passes recorded.
pub fn pass_count(conn: &Connection) -> Result<u64, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM passes", [], |r| r.get::<_, i64>(0))? as u64)
}

/// Whether a pass id is recorded.
pub fn pass_exists(conn: &Connection, pass_id: &[u8; 16]) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM passes WHERE pass_id = ?1")?
        .query_row(params![&pass_id[..]], |_| Ok(()))
        .optional()?
        .is_some())
}
