//! Status lists in the database: each pass's entry, revocations, and what the serving process reads
//! to sign its lists (docs/revocation.md).

use rusqlite::{Connection, OptionalExtension, params};

use super::{StoreError, revoke_family};

/// A pass's entry in a status list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusEntry {
    /// The list's number.
    pub list: u64,
    /// How many passes were given entries in the list before this one (allocation order).
    pub counter: u64,
    /// The entry (a keyed permutation of `counter`).
    pub index: u64,
}

/// Makes sure list `list` has its row, so the serving process signs it (called with the insert of a
/// pass that has an entry in it; the entry itself is a column of the pass's row).
pub(super) fn record_list(conn: &Connection, list: u64) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT OR IGNORE INTO status_lists (list_id) VALUES (?1)")?
        .execute(params![list as i64])?;
    Ok(())
}

/// Where allocation resumes after a restart: the newest list and one past the highest counter
/// recorded in it (`(1, 0)` on a new database). Counters handed out but never recorded (a pass that
/// was not kept, a crash) are skipped, never reused.
pub fn next_status_entry(conn: &Connection) -> Result<(u64, u64), StoreError> {
    let list: Option<i64> =
        conn.query_row("SELECT max(list_id) FROM status_lists", [], |r| r.get(0))?;
    let Some(list) = list else {
        return Ok((1, 0));
    };
    let top: Option<i64> = conn.query_row(
        "SELECT max(status_counter) FROM passes WHERE status_list = ?1",
        params![list],
        |r| r.get(0),
    )?;
    Ok((list as u64, top.map_or(0, |t| t as u64 + 1)))
}

/// Which passes to revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeSelector {
    /// One pass, by id.
    Pass([u8; 16]),
    /// Every pass of a subject.
    Subject(String),
    /// Every pass of a subject but one (a re-enrolment keeps its new pass).
    SubjectExcept(String, [u8; 16]),
}

/// What a revocation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Revoked {
    /// Passes now revoked in their status lists.
    pub listed: usize,
    /// Passes issued before status lists existed: marked revoked and their renewal stopped, but
    /// doors cannot learn of it (they expire as before).
    pub unlisted: usize,
}

/// Revokes the selected passes that are still valid and not revoked yet: marks them, stops their
/// refresh-token chains (a revoked pass is never renewed), and raises the version of each list
/// touched so the serving process signs it again.
pub fn revoke_passes(
    conn: &Connection,
    selector: &RevokeSelector,
    reason: Option<&str>,
    now: u64,
) -> Result<Revoked, StoreError> {
    let (sql, subject, pass_id) = match selector {
        RevokeSelector::Pass(id) => ("pass_id = ?1", None, Some(id)),
        RevokeSelector::Subject(s) => ("subject = ?2", Some(s), None),
        RevokeSelector::SubjectExcept(s, keep) => {
            ("subject = ?2 AND pass_id != ?1", Some(s), Some(keep))
        }
    };
    let found: Vec<(Vec<u8>, Vec<u8>, Option<i64>)> = conn
        .prepare_cached(&format!(
            "SELECT pass_id, family, status_list FROM passes
             WHERE {sql} AND revoked_at IS NULL AND expires_at > ?3"
        ))?
        .query_map(params![pass_id.map(|p| &p[..]), subject, now as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut revoked = Revoked::default();
    for (pass_id, family, list) in found {
        conn.prepare_cached(
            "UPDATE passes SET revoked_at = ?2, revoked_reason = ?3 WHERE pass_id = ?1",
        )?
        .execute(params![pass_id, now as i64, reason])?;
        if let Ok(family) = <[u8; 16]>::try_from(family.as_slice()) {
            revoke_family(conn, &family)?;
        }
        match list {
            Some(list) => {
                conn.prepare_cached(
                    "INSERT INTO status_lists (list_id, version) VALUES (?1, 1)
                     ON CONFLICT(list_id) DO UPDATE SET version = version + 1",
                )?
                .execute(params![list])?;
                revoked.listed += 1;
            }
            None => revoked.unlisted += 1,
        }
    }
    Ok(revoked)
}

/// Every list and its version (which rises with each revocation in it).
pub fn status_list_versions(conn: &Connection) -> Result<Vec<(u64, u64)>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT list_id, version FROM status_lists ORDER BY list_id")?
        .query_map([], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
        })?
        .collect::<Result<_, _>>()?)
}

/// The revoked entries of `list`.
pub fn revoked_entries(conn: &Connection, list: u64) -> Result<Vec<u64>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT status_idx FROM passes WHERE status_list = ?1 AND revoked_at IS NOT NULL",
        )?
        .query_map(params![list as i64], |r| r.get::<_, i64>(0))?
        .map(|r| r.map(|i| i as u64))
        .collect::<Result<_, _>>()?)
}

/// The status entry recorded for a pass, if it has one.
pub fn pass_status_entry(
    conn: &Connection,
    pass_id: &[u8; 16],
) -> Result<Option<StatusEntry>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT status_list, status_counter, status_idx FROM passes
             WHERE pass_id = ?1 AND status_list IS NOT NULL",
        )?
        .query_row(params![&pass_id[..]], |r| {
            Ok(StatusEntry {
                list: r.get::<_, i64>(0)? as u64,
                counter: r.get::<_, i64>(1)? as u64,
                index: r.get::<_, i64>(2)? as u64,
            })
        })
        .optional()?)
}
