//! Enrolment challenges: the one-time code sent to a subject, its tries, and redeeming it.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;
use super::passes::{IssuedRecord, insert_issued};

/// State of a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeState {
    /// Waiting for the code.
    Open,
    /// Completed; cannot be used again.
    Used,
    /// Closed after too many wrong codes.
    Locked,
}

impl ChallengeState {
    fn from_db(v: i64) -> Self {
        match v {
            0 => ChallengeState::Open,
            1 => ChallengeState::Used,
            _ => ChallengeState::Locked,
        }
    }
}

/// A stored challenge.
#[derive(Debug, Clone)]
pub struct ChallengeRecord {
    /// Subject the code was sent to.
    pub subject: String,
    /// Holder key the pass will be bound to.
    pub holder_key: [u8; 32],
    /// Keyed hash of the code.
    pub code_hash: [u8; 32],
    /// Unix seconds.
    pub expires_at: u64,
    /// Wrong codes so far.
    pub attempts: u32,
    /// Open, used or locked.
    pub state: ChallengeState,
}

/// Stores a new challenge.
pub fn insert_challenge(
    conn: &Connection,
    id: &[u8; 16],
    c: &ChallengeRecord,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO challenges (id, subject, holder_key, code_hash, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![&id[..], c.subject, &c.holder_key[..], &c.code_hash[..], c.expires_at as i64])?;
    Ok(())
}

/// Reads a challenge.
pub fn challenge(conn: &Connection, id: &[u8; 16]) -> Result<Option<ChallengeRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT subject, holder_key, code_hash, expires_at, attempts, state FROM challenges WHERE id = ?1",
    )?;
    Ok(stmt
        .query_row(params![&id[..]], |r| {
            Ok(ChallengeRecord {
                subject: r.get(0)?,
                holder_key: r.get(1)?,
                code_hash: r.get(2)?,
                expires_at: r.get::<_, i64>(3)? as u64,
                attempts: r.get::<_, i64>(4)? as u32,
                state: ChallengeState::from_db(r.get(5)?),
            })
        })
        .optional()?)
}

/// Deletes challenges that expired more than an hour ago.
pub fn sweep_expired_challenges(conn: &Connection, now: u64) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "DELETE FROM challenges WHERE expires_at < ?1",
        params![now.saturating_sub(3600) as i64],
    )?)
}

/// What [`redeem_challenge`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redemption {
    /// No such challenge, or it was already used.
    Unknown,
    /// Closed after too many wrong codes.
    Locked,
    /// The code is too old.
    Expired,
    /// A wrong code, counted; this many tries are left (0: this one locked the challenge).
    WrongCode {
        /// Tries left.
        attempts_left: u32,
    },
    /// The right code, but no pass could be issued; nothing changed.
    NotIssuable,
    /// The right code: the challenge is used and the pass and its refresh token are recorded.
    Issued,
}

/// Checks a presented code against a challenge and acts on it, in one database call — the writer
/// thread runs calls one at a time, so concurrent guesses are counted one by one and can never
/// exceed `max_attempts` between them.
///
/// `presented` is the keyed hash of the presented code ([`crate::codes::code_hash`]); it is compared
/// in constant time. A wrong code is counted (the `max_attempts`-th locks the challenge). The right
/// code marks the challenge used and records `issued`, all or nothing; with `issued` `None` (no pass
/// could be made) nothing changes.
pub fn redeem_challenge(
    conn: &Connection,
    id: &[u8; 16],
    now: u64,
    max_attempts: u32,
    presented: &[u8; 32],
    issued: Option<&IssuedRecord>,
) -> Result<Redemption, StoreError> {
    let Some(c) = challenge(conn, id)? else {
        return Ok(Redemption::Unknown);
    };
    match c.state {
        ChallengeState::Used => return Ok(Redemption::Unknown),
        ChallengeState::Locked => return Ok(Redemption::Locked),
        ChallengeState::Open if c.attempts >= max_attempts => return Ok(Redemption::Locked),
        ChallengeState::Open => {}
    }
    if now >= c.expires_at {
        return Ok(Redemption::Expired);
    }
    if !crate::codes::same(presented, &c.code_hash) {
        let attempts = c.attempts + 1;
        let state = if attempts >= max_attempts { 2 } else { 0 };
        conn.prepare_cached("UPDATE challenges SET attempts = ?2, state = ?3 WHERE id = ?1")?
            .execute(params![&id[..], i64::from(attempts), state])?;
        return Ok(Redemption::WrongCode {
            attempts_left: max_attempts.saturating_sub(attempts),
        });
    }
    let Some(record) = issued else {
        return Ok(Redemption::NotIssuable);
    };
    conn.prepare_cached("UPDATE challenges SET state = 1 WHERE id = ?1")?
        .execute(params![&id[..]])?;
    insert_issued(conn, record)?;
    Ok(Redemption::Issued)
}
