//! Registered holders: who may be issued a pass, with what name, kind and eligibility.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

/// A registered holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderRecord {
    /// Subject (e.g. phone number).
    pub subject: String,
    /// Name shown at the door.
    pub display_name: String,
    /// `YYYY-MM-DD` or `YYYY`.
    pub birth_date: String,
    /// DP1 pass kind code.
    pub kind: u64,
    /// Unix seconds after which no pass is issued and none outlives.
    pub eligible_until: u64,
}

/// Reads a holder.
pub fn holder(conn: &Connection, subject: &str) -> Result<Option<HolderRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT subject, display_name, birth_date, kind, eligible_until FROM holders WHERE subject = ?1",
    )?;
    Ok(stmt
        .query_row(params![subject], |r| {
            Ok(HolderRecord {
                subject: r.get(0)?,
                display_name: r.get(1)?,
                birth_date: r.get(2)?,
                kind: r.get::<_, i64>(3)? as u64,
                eligible_until: r.get::<_, i64>(4)? as u64,
            })
        })
        .optional()?)
}

/// Inserts or replaces a holder.
pub fn upsert_holder(conn: &Connection, h: &HolderRecord) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO holders (subject, display_name, birth_date, kind, eligible_until) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(subject) DO UPDATE SET display_name = excluded.display_name, birth_date = excluded.birth_date,
         kind = excluded.kind, eligible_until = excluded.eligible_until",
    )?
    .execute(params![h.subject, h.display_name, h.birth_date, h.kind as i64, h.eligible_until as i64])?;
    Ok(())
}
