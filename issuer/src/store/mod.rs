//! The issuer's database: SQLite in the issuer folder (one node, the default) or PostgreSQL shared
//! by several stateless nodes (docs/issuer.md, "Several nodes").
//!
//! Callers hand [`Store::call`] (or [`Store::read`]) a closure over [`Tx`], the one storage
//! interface; every decision is written once, over `&mut dyn Tx`, in the modules below, and each
//! backend only translates `Tx` calls to its SQL:
//! - `challenges` (one-time codes and the per-subject cap), `tokens` (refresh-token rotation and
//!   retries), `status` (status-list entries and revocation), `passes`, `holders`: records and
//!   decisions;
//! - `tx`: the interface;
//! - `sqlite`: one writer thread committing in groups; `postgres`: a bounded pool, `READ COMMITTED`
//!   transactions with per-subject advisory locks, retried on deadlocks.

mod challenges;
mod postgres;
mod records;
mod sqlite;
mod status;
mod tokens;
mod tx;

use std::path::PathBuf;

pub use challenges::{
    FailureCap, MAX_START_WINDOW_SECS, Opened, PresentedCode, RedeemRules, Redemption, StartCap,
    SubjectFailures, open_challenge, redeem_challenge, subject_failures,
};
pub use postgres::{MAX_ATTEMPTS, PgOptions};
pub use records::{
    ChallengeRecord, ChallengeState, CompletionRetry, HolderRecord, IssuedRecord, ListRow,
    NewestList, PublishedToken, RetryRow, RevocablePass, RevokeSelector, StatusEntry, TokenRecord,
    TokenStamp, TokenState,
};
pub use sqlite::{Durability, SqliteTx, open_connection};
pub use status::{ListKey, Revoked, StatusBlock, reserve_status_block, revoke_passes};
pub use tokens::{Exchange, Renewal, StoredAnswer, renew_token};
pub use tx::Tx;

/// Wrong-code records older than this are swept (no [`FailureCap`] window may be longer).
pub const MAX_FAILURE_WINDOW_SECS: u64 = 7 * 86_400;

/// Which database to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (the issuer folder's `issuer.db` by default).
    Sqlite(PathBuf),
    /// A PostgreSQL URL, `postgres://user@host:port/db`, shared by every node.
    Postgres(String),
}

impl Database {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; anything else is a SQLite file path.
    pub fn parse(text: &str) -> Database {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Database::Postgres(text.to_string())
        } else {
            Database::Sqlite(PathBuf::from(text))
        }
    }

    /// For messages: the file, or the PostgreSQL server and database without the user or password.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(path) => path.display().to_string(),
            Database::Postgres(url) => {
                let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
                let at = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
                format!("postgres://{at}")
            }
        }
    }
}

/// Why a database call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(String),
    /// The database cannot be reached now (connection lost, server stopping).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// Every pooled connection stayed busy for the whole wait: overload, retry later.
    #[error("every database connection is busy")]
    Busy,
    /// A transaction kept colliding with concurrent ones (deadlocks, serialization failures)
    /// through every retry: overload, retry later.
    #[error("the transaction kept conflicting with concurrent ones")]
    Conflict,
    /// The store has stopped (the service is shutting down).
    #[error("the database is closed")]
    Closed,
}

impl StoreError {
    /// Whether the caller should be told to retry later (503 with `Retry-After`), not that
    /// something is broken.
    pub fn is_overload(&self) -> bool {
        matches!(
            self,
            StoreError::Busy | StoreError::Conflict | StoreError::Unavailable(_)
        )
    }
}

/// A handle to the database. Cloning is cheap.
#[derive(Clone)]
pub struct Store(Backend);

#[derive(Clone)]
enum Backend {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PgStore),
}

/// What must be stopped when the service stops: SQLite's writer thread (PostgreSQL needs nothing:
/// its pool closes with the last handle).
pub struct StoreThread(Option<sqlite::WriterThread>);

impl StoreThread {
    /// Stops the writer thread, if any, after every queued call is committed and answered. Blocks:
    /// call it outside the async runtime (e.g. in `spawn_blocking`).
    pub fn join(self) {
        if let Some(thread) = self.0 {
            thread.join();
        }
    }
}

impl Store {
    /// Opens (creating and migrating) the database; its sweeps of expired challenges read
    /// `clock`. Must run inside a tokio runtime.
    pub async fn open(
        database: &Database,
        durability: Durability,
        pg: PgOptions,
        clock: crate::clock::Clock,
    ) -> Result<(Store, StoreThread), StoreError> {
        match database {
            Database::Sqlite(path) => {
                let (store, thread) = sqlite::SqliteStore::open(path, durability, clock)?;
                Ok((Store(Backend::Sqlite(store)), StoreThread(Some(thread))))
            }
            Database::Postgres(url) => {
                let store = postgres::PgStore::open(url, pg, clock).await?;
                Ok((Store(Backend::Postgres(store)), StoreThread(None)))
            }
        }
    }

    /// Runs `f`, which may write, in one transaction (SQLite's one writer, committing in groups;
    /// PostgreSQL `READ COMMITTED`, where `f` takes the locks its decision needs through `tx`, and
    /// may run again after a deadlock, so it must only act through `tx`). Answers once the
    /// transaction has committed.
    pub async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&mut dyn Tx) -> Result<T, StoreError> + Send + Sync + 'static,
    {
        match &self.0 {
            Backend::Sqlite(store) => store.call(f).await,
            Backend::Postgres(store) => store.run(true, f).await,
        }
    }

    /// Runs `f`, which only reads, in a transaction that sees committed data (PostgreSQL
    /// `READ COMMITTED`, read-only; on SQLite through the writer, as every call).
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&mut dyn Tx) -> Result<T, StoreError> + Send + Sync + 'static,
    {
        match &self.0 {
            Backend::Sqlite(store) => store.call(f).await,
            Backend::Postgres(store) => store.run(false, f).await,
        }
    }

    /// Checks that the database answers a read, without waiting behind writes.
    pub async fn check(&self) -> Result<(), StoreError> {
        match &self.0 {
            Backend::Sqlite(store) => store.check().await,
            Backend::Postgres(store) => store.check().await,
        }
    }
}
