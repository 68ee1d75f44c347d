//! The one storage interface: what the issuer reads and writes inside a database transaction.
//!
//! Each method is one statement (or two that always go together) with no decision in it; every
//! decision — is this code right, is this token a retry or reuse, which passes does a revocation
//! reach — is taken once, in the modules beside this one, over `&mut dyn Tx`. SQLite
//! (`sqlite::SqliteTx`) and PostgreSQL (`postgres::PgTx`) only translate these calls to SQL.

use super::StoreError;
use super::challenges::{ChallengeRecord, ChallengeState};
use super::holders::HolderRecord;
use super::passes::IssuedRecord;
use super::status::{RevokeSelector, StatusEntry};
use super::tokens::{TokenRecord, TokenState};

/// A time, count or index as both databases store it (`i64`; past `i64::MAX` it saturates).
pub(super) fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A stored `i64` read back (a negative one, which the issuer never writes, reads as 0).
pub(super) fn uint(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A stored key assurance read back ([`doorpass_format::KeyAssurance::code`]); a number this
/// version does not know reads as unattested, as in a pass.
pub(super) fn key_assurance(code: i64) -> doorpass_format::KeyAssurance {
    u64::try_from(code)
        .ok()
        .and_then(doorpass_format::KeyAssurance::from_code)
        .unwrap_or(doorpass_format::KeyAssurance::Unattested)
}

/// What a used token's row leads to when it is presented again: its sealed successor, and the
/// successor's token and pass (for [`super::renew_token`]'s retry check).
#[derive(Debug, Clone)]
pub struct RetryRow {
    /// The successor token sealed under the used one (absent for tokens used before sealing).
    pub sealed: Option<[u8; 32]>,
    /// The successor token's state.
    pub successor_state: TokenState,
    /// The successor token's chain.
    pub successor_family: [u8; 16],
    /// When the successor token expires, Unix seconds.
    pub successor_expires_at: u64,
    /// The pass issued with the successor.
    pub pass_id: [u8; 16],
    /// Its bytes.
    pub pass: Vec<u8>,
    /// When it expires, Unix seconds.
    pub pass_expires_at: u64,
    /// When its wallet should renew, Unix seconds.
    pub renew_after: u64,
}

/// What a completed challenge leads to when its code is presented again: when it was used, the hash
/// of the refresh token it gave out, and that token's row and pass (its `sealed` is the token sealed
/// for a retry; for [`super::redeem_challenge`]'s retry check).
#[derive(Debug, Clone)]
pub struct CompletionRetry {
    /// When the challenge was used, Unix seconds.
    pub used_at: u64,
    /// Hash of the refresh token the completion gave out.
    pub token_hash: [u8; 32],
    /// That token (as a successor) and its pass.
    pub row: RetryRow,
}

/// The newest status list: its number, how far its entries are handed out, and the key that
/// orders them (`None` for a list from before lists recorded it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewestList {
    /// The list's number.
    pub list: u64,
    /// One past the highest counter reserved.
    pub next_counter: u64,
    /// Id of the ordering key that started it ([`crate::secrets::status_key_id`]).
    pub key_id: Option<[u8; 8]>,
}

/// A pass a revocation reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocablePass {
    /// Its id.
    pub pass_id: [u8; 16],
    /// Its refresh-token chain.
    pub family: [u8; 16],
    /// Its holder.
    pub subject: String,
    /// Its status list, if it has an entry in one.
    pub list: Option<u64>,
}

/// A status list's row: its version, and what was signed last for it (every node serves those same
/// bytes, read with [`Tx::published_token`] only when this stamp changes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    /// The list's number.
    pub list: u64,
    /// Rises with every revocation in the list.
    pub version: u64,
    /// The token stored for it, if one was signed.
    pub published: Option<TokenStamp>,
}

/// What identifies a stored status-list token, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenStamp {
    /// The list version it was signed for.
    pub version: u64,
    /// Its `iat`, Unix seconds.
    pub issued_at: u64,
    /// Its `sub`: the URI passes name the list by.
    pub uri: String,
}

impl TokenStamp {
    /// The stamp from its three nullable columns (version, `iat`, URI): `None` unless all are set.
    pub fn from_columns(
        version: Option<i64>,
        issued_at: Option<i64>,
        uri: Option<String>,
    ) -> Option<TokenStamp> {
        Some(TokenStamp {
            version: u64::try_from(version?).ok()?,
            issued_at: u64::try_from(issued_at?).ok()?,
            uri: uri?,
        })
    }
}

/// A signed status-list token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedToken {
    /// What identifies it.
    pub stamp: TokenStamp,
    /// The token's bytes.
    pub bytes: Vec<u8>,
}

/// The statements the issuer runs inside one transaction.
///
/// Decisions that read and then write take a lock first ([`Tx::lock_subject`],
/// [`Tx::lock_status_allocation`]) and read again under it: whatever another transaction holding
/// the same lock committed is then visible. SQLite runs one transaction at a time, so its locks do
/// nothing; PostgreSQL's are transaction-scoped advisory locks.
pub trait Tx {
    /// Waits until no other transaction holds `subject`'s lock, and holds it until this one ends.
    fn lock_subject(&mut self, subject: &str) -> Result<(), StoreError>;
    /// The same for handing out status-list counters.
    fn lock_status_allocation(&mut self) -> Result<(), StoreError>;

    /// A registered holder.
    fn holder(&mut self, subject: &str) -> Result<Option<HolderRecord>, StoreError>;
    /// Inserts or replaces a holder.
    fn upsert_holder(&mut self, holder: &HolderRecord) -> Result<(), StoreError>;

    /// A challenge.
    fn challenge(&mut self, id: &[u8; 16]) -> Result<Option<ChallengeRecord>, StoreError>;
    /// Marks the subject's open challenges replaced; returns their ids.
    fn replace_open_challenges(&mut self, subject: &str) -> Result<Vec<[u8; 16]>, StoreError>;
    /// Inserts a new open challenge, started at `created_at` (Unix seconds).
    fn insert_challenge(
        &mut self,
        id: &[u8; 16],
        record: &ChallengeRecord,
        created_at: u64,
    ) -> Result<(), StoreError>;
    /// When the subject's newest `limit` challenges started after `since` were started, newest
    /// first.
    fn newest_starts(
        &mut self,
        subject: &str,
        since: u64,
        limit: u32,
    ) -> Result<Vec<u64>, StoreError>;
    /// Sets a challenge's wrong-code count and state.
    fn set_challenge(
        &mut self,
        id: &[u8; 16],
        attempts: u32,
        state: ChallengeState,
    ) -> Result<(), StoreError>;
    /// The times of the subject's newest `limit` wrong codes after `since`, newest first.
    fn newest_failures(
        &mut self,
        subject: &str,
        since: u64,
        limit: u32,
    ) -> Result<Vec<u64>, StoreError>;
    /// Records a wrong code for the subject.
    fn record_failure(&mut self, subject: &str, at: u64) -> Result<(), StoreError>;
    /// Marks a challenge used at `used_at`, remembering the refresh token it gave out (its hash, and
    /// the token sealed for a retry).
    fn mark_challenge_used(
        &mut self,
        id: &[u8; 16],
        used_at: u64,
        token_hash: &[u8; 32],
        sealed: &[u8; 32],
    ) -> Result<(), StoreError>;
    /// What a used challenge gave out, if it remembers it.
    fn completion_retry(&mut self, id: &[u8; 16]) -> Result<Option<CompletionRetry>, StoreError>;
    /// Deletes challenges that expired before `challenges_before` and failures at or before
    /// `failures_until`.
    fn sweep(&mut self, challenges_before: u64, failures_until: u64) -> Result<(), StoreError>;

    /// A refresh token, by hash.
    fn refresh_token(&mut self, hash: &[u8; 32]) -> Result<Option<TokenRecord>, StoreError>;
    /// Marks a token used: exchanged at `used_at` for `successor_hash`, the successor sealed.
    fn mark_token_used(
        &mut self,
        hash: &[u8; 32],
        successor_hash: &[u8; 32],
        used_at: u64,
        sealed: &[u8; 32],
    ) -> Result<(), StoreError>;
    /// Revokes every token of a chain; returns how many rows changed.
    fn revoke_family(&mut self, family: &[u8; 16]) -> Result<usize, StoreError>;
    /// Revokes every token of a subject that is not revoked yet.
    fn revoke_subject_tokens(&mut self, subject: &str) -> Result<(), StoreError>;
    /// What the used token with this hash was exchanged for.
    fn retry_row(&mut self, used_hash: &[u8; 32]) -> Result<Option<RetryRow>, StoreError>;

    /// Records a pass and the refresh token that comes with it.
    fn insert_issued(&mut self, record: &IssuedRecord) -> Result<(), StoreError>;
    /// Number of passes recorded.
    fn pass_count(&mut self) -> Result<u64, StoreError>;
    /// Whether a pass id is recorded.
    fn pass_exists(&mut self, pass_id: &[u8; 16]) -> Result<bool, StoreError>;
    /// Refresh-token chains with more than one usable token (a fork; there must be none).
    fn forked_chains(&mut self) -> Result<u64, StoreError>;

    /// The passes `selector` names that are unexpired at `now` and not revoked yet.
    fn revocable_passes(
        &mut self,
        selector: &RevokeSelector,
        now: u64,
    ) -> Result<Vec<RevocablePass>, StoreError>;
    /// Marks a pass revoked.
    fn mark_pass_revoked(
        &mut self,
        pass_id: &[u8; 16],
        at: u64,
        reason: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Raises a list's version (creating its row if needed).
    fn bump_list_version(&mut self, list: u64) -> Result<(), StoreError>;
    /// Every list's row, by number.
    fn status_lists(&mut self) -> Result<Vec<ListRow>, StoreError>;
    /// The token stored for a list, with its bytes.
    fn published_token(&mut self, list: u64) -> Result<Option<PublishedToken>, StoreError>;
    /// The newest list.
    fn newest_list(&mut self) -> Result<Option<NewestList>, StoreError>;
    /// Creates list `list`, ordered by key `key_id`, with no entries handed out.
    fn create_list(&mut self, list: u64, key_id: &[u8; 8]) -> Result<(), StoreError>;
    /// Records `key_id` as the ordering key of a list that had none.
    fn claim_list(&mut self, list: u64, key_id: &[u8; 8]) -> Result<(), StoreError>;
    /// Sets how far `list`'s entries have been handed out.
    fn set_next_counter(&mut self, list: u64, next: u64) -> Result<(), StoreError>;
    /// The revoked entries of a list.
    fn revoked_entries(&mut self, list: u64) -> Result<Vec<u64>, StoreError>;
    /// A pass's status entry, if it has one.
    fn pass_status_entry(&mut self, pass_id: &[u8; 16]) -> Result<Option<StatusEntry>, StoreError>;
    /// Stores a signed token for `list` unless another was stored since the one read as
    /// `replacing` (its `iat`, or `None` for none); returns whether it was stored.
    fn publish_token(
        &mut self,
        list: u64,
        token: &PublishedToken,
        replacing: Option<u64>,
    ) -> Result<bool, StoreError>;
}
