//! Copying the write-ahead log back into the database file on a thread of its own, so that commits
//! never wait for a checkpoint's writes and `fsync`.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold: under a surge the
//! writer thread, and every request waiting on its group, stalled for the copy and the `fsync`. Here
//! the writer's automatic checkpoint is off, and this thread runs a passive checkpoint every
//! [`EVERY`] (it copies what it can without blocking the writer). Under constant writes a passive
//! checkpoint never catches up with the tail, so the log would only grow: past [`RESTART_AT`] frames
//! a restarting checkpoint waits for a moment between two groups and lets the next one start the
//! log from the beginning. Durability is unchanged: a commit is durable in the log either way.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use super::{Durability, StoreError, open_connection};

/// How often the log is copied back.
const EVERY: Duration = Duration::from_millis(500);
/// Log frames (pages, 4 KiB each) past which the log is restarted: about 40 MiB.
const RESTART_AT: i64 = 10_000;

/// The checkpoint thread; stopped by [`Checkpointer::stop`].
pub(super) struct Checkpointer {
    stop: mpsc::Sender<()>,
    handle: JoinHandle<()>,
}

impl Checkpointer {
    /// Opens a connection of its own to `path` and starts the thread.
    pub(super) fn start(path: &Path, durability: Durability) -> Result<Checkpointer, StoreError> {
        let conn = open_connection(path, durability)?;
        disable_automatic_checkpoints(&conn)?;
        let (stop, stopped) = mpsc::channel();
        let path = path.to_path_buf();
        let handle = std::thread::Builder::new()
            .name("doorpass-checkpoint".into())
            .spawn(move || {
                super::yield_to_requests();
                run(&conn, &stopped, &path);
            })
            .map_err(|e| {
                StoreError::Database(format!("cannot start the checkpoint thread: {e}"))
            })?;
        Ok(Checkpointer { stop, handle })
    }

    /// Stops the thread and waits for it (a checkpoint under way finishes first).
    pub(super) fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.handle.join();
    }
}

/// Turns off the checkpoint SQLite would otherwise run inside a commit on `conn`.
pub(super) fn disable_automatic_checkpoints(conn: &Connection) -> Result<(), StoreError> {
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    Ok(())
}

fn run(conn: &Connection, stopped: &mpsc::Receiver<()>, path: &Path) {
    let mut failing = false;
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
        match checkpoint(conn, RESTART_AT) {
            Ok(()) => failing = false,
            // Said once per run of failures, not every half second.
            Err(e) if !failing => {
                failing = true;
                eprintln!(
                    "doorpass-issuer: checkpointing {} failed (the log grows until it works): {e}",
                    path.display()
                );
            }
            Err(_) => {}
        }
    }
}

/// One passive checkpoint, then a restarting one if the log has grown past `restart_at` frames.
fn checkpoint(conn: &Connection, restart_at: i64) -> Result<(), StoreError> {
    let log_frames = wal_checkpoint(conn, "PASSIVE")?;
    if log_frames > restart_at {
        wal_checkpoint(conn, "RESTART")?;
    }
    Ok(())
}

/// Runs `PRAGMA wal_checkpoint(MODE)` and returns the frames in the log.
fn wal_checkpoint(conn: &Connection, mode: &str) -> Result<i64, StoreError> {
    let log_frames = conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
        row.get::<_, i64>(1)
    })?;
    Ok(log_frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frames in the log of `conn`'s database (read by running a passive checkpoint).
    fn log_frames(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
            .unwrap()
    }

    #[test]
    fn commits_leave_the_log_to_the_checkpointer_and_it_copies_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let writer = open_connection(&path, Durability::Process).unwrap();
        disable_automatic_checkpoints(&writer).unwrap();
        writer
            .execute_batch("CREATE TABLE t (v BLOB NOT NULL)")
            .unwrap();
        let insert = |n: usize| {
            for _ in 0..n {
                writer
                    .execute("INSERT INTO t (v) VALUES (randomblob(3000))", [])
                    .unwrap();
            }
        };
        // 1,200 commits of about a page each: SQLite's own checkpoint (at 1,000 frames) would have
        // restarted the log; with it off, every frame is still there.
        insert(1_200);
        let checkpointer = open_connection(&path, Durability::Process).unwrap();
        disable_automatic_checkpoints(&checkpointer).unwrap();
        assert!(log_frames(&checkpointer) > 1_200);

        checkpoint(&checkpointer, 100).unwrap();
        insert(1);
        assert!(
            log_frames(&checkpointer) < 10,
            "the next commit starts the log again"
        );
        let rows: i64 = checkpointer
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1_201);
    }
}
