//! Refresh tokens: rotating them on renewal, answering a retried renewal again, and revoking a chain
//! on reuse.

use super::StoreError;
use super::records::{IssuedRecord, RetryRow, TokenRecord, TokenState};
use super::tx::Tx;

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

/// Exchanges `old_token` for the new pass and token in `issued`, in one transaction holding the
/// subject's lock (the token is read again under it), so two concurrent uses of one token, on one
/// node or several, are decided one after the other.
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
    tx: &mut dyn Tx,
    old_token: &[u8; 32],
    now: u64,
    retry_grace: u64,
    issued: Option<Exchange<'_>>,
) -> Result<Renewal, StoreError> {
    let old_hash = crate::codes::token_hash(old_token);
    let Some(subject) = tx.refresh_token(&old_hash)?.map(|t| t.subject) else {
        return Ok(Renewal::Unknown);
    };
    tx.lock_subject(&subject)?;
    let Some(token) = tx.refresh_token(&old_hash)? else {
        return Ok(Renewal::Unknown);
    };
    match token.state {
        TokenState::Revoked => return Ok(Renewal::Revoked),
        TokenState::Superseded => {
            tx.revoke_family(&token.family)?;
            return Ok(Renewal::Reused);
        }
        TokenState::Used => {
            return match stored_answer(tx, &token, old_token, now, retry_grace)? {
                Some(answer) => Ok(Renewal::Repeated(Box::new(answer))),
                None => {
                    tx.revoke_family(&token.family)?;
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
    tx.mark_token_used(&old_hash, &record.token_hash, now, &sealed)?;
    tx.insert_issued(record)?;
    Ok(Renewal::Renewed)
}

/// The answer `token` (used, presented again as `presented`) was exchanged for, if giving it again
/// is still allowed: within the grace from the exchange, with the successor unused.
fn stored_answer(
    tx: &mut dyn Tx,
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
    let Some(row) = tx.retry_row(&crate::codes::token_hash(presented))? else {
        return Ok(None);
    };
    if row.successor_family != token.family {
        return Ok(None);
    }
    Ok(open_stored_answer(row, presented, &successor_hash))
}

/// Opens the answer in `row` with `seal_key` (what the token it gave out was sealed under): the
/// answer, if that token is still unused and opens to the hash `token_hash` recorded for it.
pub(super) fn open_stored_answer(
    row: RetryRow,
    seal_key: &[u8; 32],
    token_hash: &[u8; 32],
) -> Option<StoredAnswer> {
    let sealed = row.sealed?;
    let token = crate::codes::seal_successor(seal_key, &sealed);
    if row.successor_state != TokenState::Active
        || !crate::codes::same(&crate::codes::token_hash(&token), token_hash)
    {
        return None;
    }
    Some(StoredAnswer {
        pass: row.pass,
        pass_id: row.pass_id,
        expires_at: row.pass_expires_at,
        renew_after: row.renew_after,
        refresh_token: token,
        refresh_expires_at: row.successor_expires_at,
    })
}

impl StoredAnswer {
    /// The answer as the wallet gets it (contains the refresh token: never log it).
    pub fn into_issued_pass(self) -> doorpass_format::api::IssuedPass {
        use doorpass_format::api::b64;
        doorpass_format::api::IssuedPass {
            pass: b64(&self.pass),
            refresh_token: b64(&self.refresh_token),
            pass_id: doorpass_format::keys::hex(&self.pass_id),
            expires_at: self.expires_at,
            renew_after: self.renew_after,
            refresh_expires_at: self.refresh_expires_at,
        }
    }
}
