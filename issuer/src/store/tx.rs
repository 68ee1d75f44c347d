//! The one storage interface: what the issuer reads and writes inside a database transaction.
//!
//! Each method is one statement (or two that always go together) with no decision in it; every
//! decision — is this code right, is this token a retry or reuse, which passes does a revocation
//! reach — is taken once, in the modules beside this one, over `&mut dyn Tx`. SQLite
//! (`sqlite::SqliteTx`) and PostgreSQL (`postgres::PgTx`) only translate these calls to SQL.

use super::StoreError;
use super::records::{
    ChallengeRecord, ChallengeState, CompletionRetry, HolderRecord, IssuedRecord, ListRow,
    NewestList, PublishedToken, RetryRow, RevocablePass, RevokeSelector, StatusEntry, TokenRecord,
};

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
