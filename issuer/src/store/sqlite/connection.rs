//! Opening the database file: WAL mode, how durable commits are, and the schema migrations.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use super::StoreError;

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/sqlite/0001_init.sql"),
    include_str!("../../../migrations/sqlite/0002_renewal_retry.sql"),
    include_str!("../../../migrations/sqlite/0003_idempotent_renewal_and_code_failures.sql"),
    include_str!("../../../migrations/sqlite/0004_status_lists.sql"),
    include_str!("../../../migrations/sqlite/0005_status_blocks_and_published_tokens.sql"),
    include_str!("../../../migrations/sqlite/0006_list_keys_and_completion_retry.sql"),
    include_str!("../../../migrations/sqlite/0007_challenge_start_times.sql"),
    include_str!("../../../migrations/sqlite/0008_key_assurance.sql"),
];

/// How hard SQLite works to make commits durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// WAL with `synchronous=NORMAL`: a committed transaction survives a crash of the process
    /// (`kill -9`); the last few may be lost if the whole machine loses power.
    #[default]
    Process,
    /// WAL with `synchronous=FULL`: every commit is on disk before it is answered, at some cost.
    PowerLoss,
}

/// Opens (creating if needed, private to this user: mode 0600) the database at `path`, in WAL mode,
/// with the schema migrated. SQLite gives the `-wal` and `-shm` files the database's mode.
pub fn open_connection(path: &Path, durability: Durability) -> Result<Connection, StoreError> {
    crate::private_files::create_private_file(path)
        .map_err(|e| StoreError::Database(format!("cannot create {}: {e}", path.display())))?;
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    let sync = match durability {
        Durability::Process => "NORMAL",
        Durability::PowerLoss => "FULL",
    };
    conn.pragma_update(None, "synchronous", sync)?;
    migrate(&mut conn)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let done: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let done = usize::try_from(done).unwrap_or(usize::MAX);
    if done > MIGRATIONS.len() {
        return Err(StoreError::Database(format!(
            "the database schema (version {done}) is newer than this program ({})",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
