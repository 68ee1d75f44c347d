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

/// The answer a renewal gave, kept so that a retry of the same renewal gets it again.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    /// The signed pass.
    pub pass: Vec<u8>,
    /// Its id.
    pub pass_id: [u8; 16],
    /// When it expires, Unix seconds.
    pub expires_at: u64,
    /// When its wallet should renew, Unix seconds.
    pub renew_after: u64,
    /// The successor refresh token (a secret: never log it).
    pub refresh_token: [u8; 32],
    /// When the successor token expires, Unix seconds.
    pub refresh_expires_at: u64,
}

impl std::fmt::Debug for StoredAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredAnswer")
            .field("pass_id", &self.pass_id)
            .field("expires_at", &self.expires_at)
            .field("refresh_token", &"(secret)")
            .finish_non_exhaustive()
    }
}

/// What [`renew_token`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The token was exchanged for the new pass and token.
    Renewed,
    /// The token had been exchanged moments ago and its successor is still unused: the answer was
    /// lost on its way, and here it is again, unchanged. Nothing new was issued.
    Repeated(Box<StoredAnswer>),
}

/// A pass to record in exchange for a token, with the successor token in clear (to seal it for a
/// retry; it is not stored in clear).
#[derive(Clone, Copy)]
pub struct Exchange<'a> {
    /// The pass and the successor token's hash.
    pub record: &'a IssuedRecord,
    /// The successor token.
    pub successor: &'a [u8; 32],
}

/// Exchanges `old_token` for the new pass and token in `issued`, in one database call (so two
/// concurrent uses of one token are decided one after the other).
///
/// - An active, unexpired token is marked used, remembering when, its successor's hash, and the
///   successor sealed under `old_token` ([`crate::codes::seal_successor`]).
/// - A used token whose successor is still unused, within `retry_grace` seconds of the exchange, is
///   a retry of a lost answer: the same answer is given again ([`Renewal::Repeated`]). The grace
///   counts from the exchange and never moves.
/// - Any other used token, and any superseded token, is reuse: the whole chain is revoked.
///
/// With `issued` `None` (no pass could be made), an exchange changes nothing; reuse still revokes.
pub fn renew_token(
    conn: &Connection,
    old_token: &[u8; 32],
    now: u64,
    retry_grace: u64,
    issued: Option<Exchange<'_>>,
) -> Result<Renewal, StoreError> {
    let old_hash = crate::codes::token_hash(old_token);
    let Some(token) = refresh_token(conn, &old_hash)? else {
        return Ok(Renewal::Unknown);
    };
    match token.state {
        TokenState::Revoked => return Ok(Renewal::Revoked),
        TokenState::Superseded => {
            revoke_family(conn, &token.family)?;
            return Ok(Renewal::Reused);
        }
        TokenState::Used => {
            return match stored_answer(conn, &token, old_token, now, retry_grace)? {
                Some(answer) => Ok(Renewal::Repeated(Box::new(answer))),
                None => {
                    revoke_family(conn, &token.family)?;
                    Ok(Renewal::Reused)
                }
            };
        }
        TokenState::Active => {}
    }
    if now >= token.expires_at {
        return Ok(Renewal::Expired);
    }
    let Some(Exchange { record, successor }) = issued else {
        return Ok(Renewal::NotIssuable);
    };
    let sealed = crate::codes::seal_successor(old_token, successor);
    conn.prepare_cached(
        "UPDATE refresh_tokens SET state = 1, successor_hash = ?2, used_at = ?3, successor_sealed = ?4
         WHERE token_hash = ?1",
    )?
    .execute(params![
        &old_hash[..],
        &record.token_hash[..],
        now as i64,
        &sealed[..]
    ])?;
    insert_issued(conn, record)?;
    Ok(Renewal::Renewed)
}

/// The answer `token` (used, presented again as `presented`) was exchanged for, if giving it again
/// is still allowed: within the grace from the exchange, with the successor unused.
fn stored_answer(
    conn: &Connection,
    token: &TokenRecord,
    presented: &[u8; 32],
    now: u64,
    retry_grace: u64,
) -> Result<Option<StoredAnswer>, StoreError> {
    let (Some(successor_hash), Some(used_at)) = (token.successor_hash, token.used_at) else {
        return Ok(None);
    };
    if now >= used_at.saturating_add(retry_grace) {
        return Ok(None);
    }
    let row = conn
        .prepare_cached(
            "SELECT s.successor_sealed, n.state, n.family, n.expires_at, p.pass_id, p.pass,
                    p.expires_at, p.renew_after
             FROM refresh_tokens s
             JOIN refresh_tokens n ON n.token_hash = s.successor_hash
             JOIN passes p ON p.pass_id = n.pass_id
             WHERE s.token_hash = ?1",
        )?
        .query_row(params![&crate::codes::token_hash(presented)[..]], |r| {
            Ok((
                r.get::<_, Option<[u8; 32]>>(0)?,
                TokenState::from_db(r.get(1)?),
                r.get::<_, [u8; 16]>(2)?,
                r.get::<_, i64>(3)? as u64,
                r.get::<_, [u8; 16]>(4)?,
                r.get::<_, Vec<u8>>(5)?,
                r.get::<_, i64>(6)? as u64,
                r.get::<_, i64>(7)? as u64,
            ))
        })
        .optional()?;
    let Some((
        Some(sealed),
        state,
        family,
        refresh_expires_at,
        pass_id,
        pass,
        expires_at,
        renew_after,
    )) = row
    else {
        return Ok(None);
    };
    let successor = crate::codes::seal_successor(presented, &sealed);
    if state != TokenState::Active
        || family != token.family
        || !crate::codes::same(&crate::codes::token_hash(&successor), &successor_hash)
    {
        return Ok(None);
    }
    Ok(Some(StoredAnswer {
        pass,
        pass_id,
        expires_at,
        renew_after,
        refresh_token: successor,
        refresh_expires_at,
    }))
}
