//! PostgreSQL: one database shared by every issuer node, through a bounded pool of connections.
//!
//! A call takes a connection from the pool, waiting at most [`PgOptions::pool_wait`]: past that
//! the pool is exhausted and the call fails with [`StoreError::Busy`], which the service answers 503
//! with `Retry-After` like any other overload — it never hangs. The call's closure runs on a
//! blocking thread, its statements driven through the runtime, inside one `READ COMMITTED`
//! transaction (read-only for [`super::Store::read`]). Decisions that read and then write take a
//! transaction-scoped advisory lock first (per subject, or for status-list allocation; see
//! [`super::Tx`]) and read again under it, so they run one after the other where they touch the
//! same subject and side by side everywhere else. (`SERIALIZABLE` was tried first: its predicate
//! locks on shared index pages failed about three transactions per enrolment, docs/issuer.md.) A
//! deadlock or serialization failure is retried, at most [`MAX_ATTEMPTS`] times in all, after a
//! short random pause. Nothing is answered before its commit, so a node killed mid-call loses
//! nothing it answered.

mod queries;

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use rand::Rng;
use tokio::runtime::Handle;
use tokio_postgres::error::SqlState;
use tokio_postgres::{IsolationLevel, NoTls};

pub use queries::PgTx;

use super::tx::Tx;
use super::{MAX_FAILURE_WINDOW_SECS, StoreError, challenges};

/// Schema migrations, applied in order; the table `doorpass_schema` records how many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/postgres/0001_schema.sql"),
    include_str!("../../../migrations/postgres/0002_list_keys_and_completion_retry.sql"),
    include_str!("../../../migrations/postgres/0003_challenge_start_times.sql"),
    include_str!("../../../migrations/postgres/0004_key_assurance.sql"),
];
/// Tries of one call in all, when it keeps meeting deadlocks or serialization failures.
pub const MAX_ATTEMPTS: u32 = 8;
/// Key of the advisory lock held while migrating, so nodes starting together migrate once.
const MIGRATION_LOCK: i64 = 0x646f_6f72_7061_7373;
/// How often one node sweeps expired challenges and old wrong codes (any node may; it is idempotent).
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Pool settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgOptions {
    /// Connections this node keeps at most.
    pub pool_size: usize,
    /// Longest a call waits for a free connection before it is refused as overload.
    pub pool_wait: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            pool_size: 16,
            pool_wait: Duration::from_millis(500),
        }
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.code() {
            Some(code)
                if *code == SqlState::T_R_SERIALIZATION_FAILURE
                    || *code == SqlState::T_R_DEADLOCK_DETECTED =>
            {
                StoreError::Conflict
            }
            // A closed connection, a server shutting down: the next call gets another connection.
            _ if e.is_closed() => StoreError::Unavailable(e.to_string()),
            _ => StoreError::Database(e.to_string()),
        }
    }
}

/// A handle to the pool; cloning is cheap.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    rt: Handle,
    /// Stops the sweeper when the last handle outside it is dropped.
    _sweeper: Option<Arc<AbortOnDrop>>,
}

/// A task aborted when this is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`), migrates the schema, and starts the
    /// sweeper. Must run inside a tokio runtime.
    pub async fn open(
        url: &str,
        options: PgOptions,
        clock: crate::clock::Clock,
    ) -> Result<PgStore, StoreError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Database(format!("the PostgreSQL URL is not valid: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.pool_wait))
            .create_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| StoreError::Database(format!("cannot build the pool: {e}")))?;
        let store = PgStore {
            pool,
            rt: Handle::current(),
            _sweeper: None,
        };
        store.migrate().await?;
        let sweeping = store.clone();
        let sweeper = tokio::spawn(async move {
            let mut every = tokio::time::interval(SWEEP_EVERY);
            every.tick().await;
            loop {
                every.tick().await;
                let now = clock.now();
                if let Err(e) = sweeping
                    .run(true, move |tx| {
                        challenges::sweep(tx, now, MAX_FAILURE_WINDOW_SECS)
                    })
                    .await
                {
                    eprintln!("doorpass-issuer: sweeping challenges and old failures failed: {e}");
                }
            }
        });
        Ok(PgStore {
            _sweeper: Some(Arc::new(AbortOnDrop(sweeper))),
            ..store
        })
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.connection().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS doorpass_schema (version bigint NOT NULL)")
            .await?;
        let done: Option<i64> = tx
            .query_opt("SELECT max(version) FROM doorpass_schema", &[])
            .await?
            .and_then(|r| r.get(0));
        let done = usize::try_from(done.unwrap_or(0)).unwrap_or(usize::MAX);
        if done > MIGRATIONS.len() {
            return Err(StoreError::Database(format!(
                "the database schema (version {done}) is newer than this program ({})",
                MIGRATIONS.len()
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(done) {
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO doorpass_schema (version) VALUES ($1)",
                &[&((i + 1) as i64)],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn connection(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Timeout(_) => StoreError::Busy,
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            e => StoreError::Unavailable(e.to_string()),
        })
    }

    /// Runs `f` in one `READ COMMITTED` transaction (read-only unless `writes`) and commits;
    /// retried on deadlocks and serialization failures, at most [`MAX_ATTEMPTS`] times.
    pub async fn run<T, F>(&self, writes: bool, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&mut dyn Tx) -> Result<T, StoreError> + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let mut attempt = 1;
        loop {
            let client = self.connection().await?;
            let (rt, f) = (self.rt.clone(), f.clone());
            let outcome = tokio::task::spawn_blocking(move || {
                let mut client = client;
                let tx = rt.block_on(
                    client
                        .build_transaction()
                        .isolation_level(IsolationLevel::ReadCommitted)
                        .read_only(!writes)
                        .start(),
                )?;
                let value = f(&mut PgTx {
                    tx: &tx,
                    rt: rt.clone(),
                })?;
                rt.block_on(tx.commit())?;
                Ok(value)
            })
            .await
            .map_err(|e| StoreError::Database(format!("a database call failed: {e}")))?;
            match outcome {
                Err(StoreError::Conflict) if attempt < MAX_ATTEMPTS => {
                    // A short random pause, growing with the tries, so the colliding calls part.
                    let pause = rand::thread_rng().gen_range(1..=4u64 << attempt.min(5));
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    /// Checks that the database answers a read.
    pub async fn check(&self) -> Result<(), StoreError> {
        let client = self.connection().await?;
        client.simple_query("SELECT 1").await?;
        Ok(())
    }
}
