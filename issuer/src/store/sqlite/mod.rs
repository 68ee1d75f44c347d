//! SQLite: one writer thread that commits in groups.
//!
//! Every database call is a closure sent to the writer thread. The thread runs all closures waiting at
//! that moment inside one transaction (each in its own savepoint, so one failure does not undo the
//! others), commits, and only then answers the callers. An HTTP handler therefore answers 200 only
//! once what it issued is committed: a crash (even `kill -9`) loses nothing that was answered. Grouping
//! makes one commit serve hundreds of requests under load. One writer also means every transaction
//! is serialized, which is what each decision needs (docs/issuer.md, "Isolation"); the `Tx` locks
//! are therefore no-ops here.
//!
//! A second, read-only connection answers health checks ([`SqliteStore::check`]) without queueing
//! behind the writer or taking the write lock. A third, on a thread of its own (`checkpoint`), copies
//! the write-ahead log back into the database file, so no commit waits for that.

mod checkpoint;
mod connection;
mod queries;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::{mpsc, oneshot};

pub use connection::{Durability, open_connection};
pub use queries::SqliteTx;

use super::tx::Tx;
use super::{MAX_FAILURE_WINDOW_SECS, StoreError, challenges};

/// Most closures run in one transaction.
const MAX_GROUP: usize = 512;
/// Waiting calls before callers wait for room (admission control keeps it far below this).
const QUEUE: usize = 4096;
/// How often expired challenges are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

type Reply = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// What the writer thread receives.
enum Msg {
    /// A database call.
    Job(Box<dyn Job>),
    /// Run what is queued, refuse anything later, and stop.
    Stop,
}

trait Job: Send {
    /// Runs against the connection. Returns whether it succeeded (so its savepoint is kept) and what
    /// to send once the commit outcome is known.
    fn run(self: Box<Self>, conn: &Connection) -> (bool, Reply);
    /// Answers without running (the transaction could not be opened).
    fn fail(self: Box<Self>, err: StoreError);
}

struct Call<T, F> {
    f: F,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for Call<T, F>
where
    T: Send + 'static,
    F: FnOnce(&mut dyn Tx) -> Result<T, StoreError> + Send,
{
    fn run(self: Box<Self>, conn: &Connection) -> (bool, Reply) {
        let result = (self.f)(&mut SqliteTx(conn));
        let ok = result.is_ok();
        let reply = self.reply;
        (
            ok,
            Box::new(move |commit| drop(reply.send(commit.and(result)))),
        )
    }

    fn fail(self: Box<Self>, err: StoreError) {
        let _ = self.reply.send(Err(err));
    }
}

/// Handle to the writer thread. Cloning is cheap; the thread stops when the last handle is dropped,
/// or earlier through [`WriterThread::join`].
#[derive(Clone)]
pub struct SqliteStore {
    jobs: mpsc::Sender<Msg>,
    /// Read-only connection for [`SqliteStore::check`].
    reader: Arc<Mutex<Connection>>,
}

/// The writer thread.
pub struct WriterThread {
    handle: JoinHandle<()>,
    /// Does not keep the thread alive; used to stop it while some handles may still exist.
    jobs: mpsc::WeakSender<Msg>,
}

impl WriterThread {
    /// Stops the writer thread and waits for it: every call queued so far is run, committed and
    /// answered; calls made afterwards fail with [`StoreError::Closed`]. Blocks: call it outside the
    /// async runtime (e.g. in `spawn_blocking`).
    pub fn join(self) {
        if let Some(jobs) = self.jobs.upgrade() {
            let mut stop = Msg::Stop;
            loop {
                match jobs.try_send(stop) {
                    Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => break,
                    Err(mpsc::error::TrySendError::Full(back)) => {
                        stop = back;
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            }
        }
        let _ = self.handle.join();
    }
}

impl SqliteStore {
    /// Opens the database and starts the writer thread.
    pub fn open(
        path: &Path,
        durability: Durability,
        clock: crate::clock::Clock,
    ) -> Result<(SqliteStore, WriterThread), StoreError> {
        let conn = open_connection(path, durability)?;
        checkpoint::disable_automatic_checkpoints(&conn)?;
        let checkpointer = checkpoint::Checkpointer::start(path, durability)?;
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        reader.busy_timeout(Duration::from_secs(5))?;
        let (jobs, rx) = mpsc::channel(QUEUE);
        let path: PathBuf = path.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("doorpass-db".into())
            .spawn(move || {
                yield_to_requests();
                writer(conn, rx, &path, &clock);
                checkpointer.stop();
            })
            .map_err(|e| StoreError::Database(format!("cannot start the database thread: {e}")))?;
        let weak = jobs.downgrade();
        Ok((
            SqliteStore {
                jobs,
                reader: Arc::new(Mutex::new(reader)),
            },
            WriterThread {
                handle: thread,
                jobs: weak,
            },
        ))
    }

    /// Checks that the database answers a read, on the read-only connection: never waits for the
    /// writer thread nor takes the write lock, and writes nothing. Fails with
    /// [`StoreError::Closed`] once the writer thread has stopped.
    pub async fn check(&self) -> Result<(), StoreError> {
        if self.jobs.is_closed() {
            return Err(StoreError::Closed);
        }
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || {
            let conn = reader.lock().unwrap_or_else(PoisonError::into_inner);
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })?;
            Ok(())
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` on the writer thread; answers once its group has committed.
    pub async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        self.jobs
            .send(Msg::Job(Box::new(Call { f, reply })))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

/// Marks the calling thread as batch work (Linux `SCHED_BATCH`): it gets its full share of the CPU
/// but never preempts a request-handling thread when it wakes up. On a core shared with the HTTP
/// workers, the writer then gathers what arrived while they ran into one bigger group, instead of
/// switching threads for every call (measured in docs/issuer.md). Elsewhere, or if refused, nothing
/// changes.
pub(crate) fn yield_to_requests() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: `param` is a valid `sched_param` for the duration of the call; pid 0 is this thread.
        let _ = unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) };
    }
}

fn writer(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Msg>,
    path: &Path,
    clock: &crate::clock::Clock,
) {
    let mut last_sweep = Instant::now();
    // After a stop, the channel is closed: new calls are refused, the queued ones still arrive here,
    // and then `blocking_recv` returns `None`.
    while let Some(first) = rx.blocking_recv() {
        let mut group = Vec::new();
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Job(job) => group.push(job),
                Msg::Stop => rx.close(),
            }
            if group.len() < MAX_GROUP {
                next = rx.try_recv().ok();
            }
        }
        if !group.is_empty() {
            run_group(&mut conn, group);
        }
        if last_sweep.elapsed() >= SWEEP_EVERY {
            last_sweep = Instant::now();
            let now = clock.now();
            if let Err(e) = challenges::sweep(&mut SqliteTx(&conn), now, MAX_FAILURE_WINDOW_SECS) {
                eprintln!(
                    "doorpass-issuer: sweeping challenges and old failures in {} failed: {e}",
                    path.display()
                );
            }
        }
    }
}

/// Runs a group of calls in one transaction, each in its own savepoint, then answers them all with
/// the commit's outcome.
fn run_group(conn: &mut Connection, group: Vec<Box<dyn Job>>) {
    let mut tx = match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            let err = StoreError::from(e);
            group.into_iter().for_each(|job| job.fail(err.clone()));
            return;
        }
    };
    let mut replies: Vec<Reply> = Vec::with_capacity(group.len());
    for job in group {
        let sp = match tx.savepoint() {
            Ok(sp) => sp,
            Err(e) => {
                job.fail(e.into());
                continue;
            }
        };
        let (ok, reply) = job.run(&sp);
        // A failed job's savepoint is dropped, which rolls it back.
        if ok && let Err(e) = sp.commit() {
            reply(Err(e.into()));
            continue;
        }
        replies.push(reply);
    }
    let outcome = tx.commit().map_err(StoreError::from);
    for reply in replies {
        reply(outcome.clone());
    }
}
