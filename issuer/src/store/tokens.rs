//! Refresh tokens: reading them, rotating them on renewal, and revoking a chain on reuse.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;
use super::passes::{IssuedRecord, insert_issued};

/// State of a refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// Usable once.
    Active,
    /// Already exchanged for a newer token.
    Used,
    /// Revoked (its chain was reused).
    Revoked,
    /// Never used, but replaced: the answer that carried it was presumed lost and its predecessor was
    /// presented again. Presenting it is reuse.
    Superseded,
}

impl TokenState {
    fn from_db(v: i64) -> Self {
        match v {
            0 => TokenState::Active,
            1 => TokenState::Used,
            3 => TokenState::Superseded,
            _ => TokenState::Revoked,
        }
    }
}

/// A stored refresh token.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// Chain id.
    pub family: [u8; 16],
    /// Subject.
    pub subject: String,
    /// Holder key the chain is bound to.
    pub holder_key: [u8; 32],
    /// Unix seconds.
    pub expires_at: u64,
    /// Active, used, revoked or superseded.
    pub state: TokenState,
    /// For a used token: the hash of the token it was last exchanged for.
    pub successor_hash: Option<[u8; 32]>,
    /// For a used token: when it was last exchanged (= when its successor was issued), Unix seconds.
    pub used_at: Option<u64>,
}

/// Reads a refresh token by hash.
pub fn refresh_token(
    conn: &Connection,
    hash: &[u8; 32],
) -> Result<Option<TokenRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT family, subject, holder_key, expires_at, state, successor_hash, used_at
         FROM refresh_tokens WHERE token_hash = ?1",
    )?;
    Ok(stmt
        .query_row(params![&hash[..]], |r| {
            Ok(TokenRecord {
                family: r.get(0)?,
                subject: r.get(1)?,
                holder_key: r.get(2)?,
                expires_at: r.get::<_, i64>(3)? as u64,
                state: TokenState::from_db(r.get(4)?),
                successor_hash: r.get(5)?,
                used_at: r.get::<_, Option<i64>>(6)?.map(|t| t as u64),
            })
        })
        .optional()?)
}

/// Revokes every token of a chain (after reuse of an old token was detected).
pub fn revoke_family(conn: &Connection, family: &[u8; 16]) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached("UPDATE refresh_tokens SET state = 2 WHERE family = ?1")?
        .execute(params![&family[..]])?)
}

/// What [`renew_token`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// No such token.
    Unknown,
    /// The token's chain was revoked.
    Revoked,
    /// The token has expired; nothing changed.
    Expired,
    /// The token was reused: its whole chain is now revoked.
    Reused,
    /// The token may be exchanged, but no pass could be issued; nothing changed.
    NotIssuable,
    /// The token was exchanged for the new pass and token. `retry` when it had been exchanged
    /// before and that answer is presumed lost (its successor is now superseded).
    Renewed {
        /// Whether this was a retry of a lost answer.
        retry: bool,
    },
}

/// Exchanges the token with hash `old_hash` for the new pass and token in `issued`, in one database
/// call (so two concurrent uses of one token are decided one after the other).
///
/// - An active, unexpired token is marked used, remembering its successor and `now`.
/// - A used token whose successor is still active (never used) and was issued less than
///   `retry_grace` seconds ago is a retry of a lost answer: the successor becomes superseded and the
///   token is exchanged again.
/// - Any other used token, and any superseded token, is reuse: the whole chain is revoked.
///
/// With `issued` `None` (no pass could be made), an exchange changes nothing; reuse still revokes.
pub fn renew_token(
    conn: &Connection,
    old_hash: &[u8; 32],
    now: u64,
    retry_grace: u64,
    issued: Option<&IssuedRecord>,
) -> Result<Renewal, StoreError> {
    let Some(token) = refresh_token(conn, old_hash)? else {
        return Ok(Renewal::Unknown);
    };
    let retry = match token.state {
        TokenState::Revoked => return Ok(Renewal::Revoked),
        TokenState::Superseded => {
            revoke_family(conn, &token.family)?;
            return Ok(Renewal::Reused);
        }
        TokenState::Active => None,
        TokenState::Used => {
            let successor = match (token.successor_hash, token.used_at) {
                (Some(successor), Some(used_at)) if now < used_at.saturating_add(retry_grace) => {
                    refresh_token(conn, &successor)?
                        .filter(|s| s.state == TokenState::Active && s.family == token.family)
                        .map(|_| successor)
                }
                _ => None,
            };
            let Some(successor) = successor else {
                revoke_family(conn, &token.family)?;
                return Ok(Renewal::Reused);
            };
            Some(successor)
        }
    };
    if now >= token.expires_at {
        return Ok(Renewal::Expired);
    }
    let Some(record) = issued else {
        return Ok(Renewal::NotIssuable);
    };
    if let Some(successor) = retry {
        conn.prepare_cached(
            "UPDATE refresh_tokens SET state = 3 WHERE token_hash = ?1 AND state = 0",
        )?
        .execute(params![&successor[..]])?;
    }
    conn.prepare_cached(
        "UPDATE refresh_tokens SET state = 1, successor_hash = ?2, used_at = ?3 WHERE token_hash = ?1",
    )?
    .execute(params![&old_hash[..], &record.token_hash[..], now as i64])?;
    insert_issued(conn, record)?;
    Ok(Renewal::Renewed {
        retry: retry.is_some(),
    })
}
