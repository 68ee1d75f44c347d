//! The issuer's SQLite database, behind one writer thread that commits in groups.
//!
//! Every database call is a closure sent to the writer thread. The thread runs all closures waiting at
//! that moment inside one transaction (each in its own savepoint, so one failure does not undo the
//! others), commits, and only then answers the callers. An HTTP handler therefore answers 200 only
//! once what it issued is committed: a crash (even `kill -9`) loses nothing that was answered. Grouping
//! makes one commit serve hundreds of requests under load.

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::{mpsc, oneshot};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_renewal_retry.sql"),
];
/// Most closures run in one transaction.
const MAX_GROUP: usize = 512;
/// Waiting calls before callers wait for room (admission control keeps it far below this).
const QUEUE: usize = 4096;
/// How often expired challenges are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

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

/// Why a database call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(String),
    /// The writer thread has stopped (the service is shutting down).
    #[error("the database is closed")]
    Closed,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e.to_string())
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
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send,
{
    fn run(self: Box<Self>, conn: &Connection) -> (bool, Reply) {
        let result = (self.f)(conn);
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

/// Opens (creating if needed) the database at `path`, in WAL mode, with the schema migrated.
pub fn open_connection(path: &Path, durability: Durability) -> Result<Connection, StoreError> {
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
        return Err(StoreError::Sqlite(format!(
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

/// Handle to the writer thread. Cloning is cheap; the thread stops when the last handle is dropped,
/// or earlier through [`StoreThread::join`].
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Msg>,
}

/// The writer thread.
pub struct StoreThread {
    handle: JoinHandle<()>,
    /// Does not keep the thread alive; used to stop it while some handles may still exist.
    jobs: mpsc::WeakSender<Msg>,
}

impl StoreThread {
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

impl Store {
    /// Opens the database and starts the writer thread.
    pub fn open(path: &Path, durability: Durability) -> Result<(Store, StoreThread), StoreError> {
        let conn = open_connection(path, durability)?;
        let (jobs, rx) = mpsc::channel(QUEUE);
        let path: PathBuf = path.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("doorpass-db".into())
            .spawn(move || writer(conn, rx, &path))
            .map_err(|e| StoreError::Sqlite(format!("cannot start the database thread: {e}")))?;
        let weak = jobs.downgrade();
        Ok((
            Store { jobs },
            StoreThread {
                handle: thread,
                jobs: weak,
            },
        ))
    }

    /// Runs `f` on the writer thread; answers once its group has committed.
    pub async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        self.jobs
            .send(Msg::Job(Box::new(Call { f, reply })))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

fn writer(mut conn: Connection, mut rx: mpsc::Receiver<Msg>, path: &Path) {
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
            if let Err(e) = sweep_expired_challenges(&conn, crate::unix_now()) {
                eprintln!(
                    "doorpass-issuer: sweeping challenges in {} failed: {e}",
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

/// Deletes challenges that expired more than an hour ago.
pub fn sweep_expired_challenges(conn: &Connection, now: u64) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "DELETE FROM challenges WHERE expires_at < ?1",
        params![now.saturating_sub(3600) as i64],
    )?)
}

/// A registered holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderRecord {
    /// Subject (e.g. phone number).
    pub subject: String,
    /// Name shown at the door.
    pub display_name: String,
    /// `YYYY-MM-DD` or `YYYY`.
    pub birth_date: String,
    /// DP1 pass kind code.
    pub kind: u64,
    /// Unix seconds after which no pass is issued and none outlives.
    pub eligible_until: u64,
}

/// Reads a holder.
pub fn holder(conn: &Connection, subject: &str) -> Result<Option<HolderRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT subject, display_name, birth_date, kind, eligible_until FROM holders WHERE subject = ?1",
    )?;
    Ok(stmt
        .query_row(params![subject], |r| {
            Ok(HolderRecord {
                subject: r.get(0)?,
                display_name: r.get(1)?,
                birth_date: r.get(2)?,
                kind: r.get::<_, i64>(3)? as u64,
                eligible_until: r.get::<_, i64>(4)? as u64,
            })
        })
        .optional()?)
}

/// Inserts or replaces a holder.
pub fn upsert_holder(conn: &Connection, h: &HolderRecord) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO holders (subject, display_name, birth_date, kind, eligible_until) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(subject) DO UPDATE SET display_name = excluded.display_name, birth_date = excluded.birth_date,
         kind = excluded.kind, eligible_until = excluded.eligible_until",
    )?
    .execute(params![h.subject, h.display_name, h.birth_date, h.kind as i64, h.eligible_until as i64])?;
    Ok(())
}

/// State of a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeState {
    /// Waiting for the code.
    Open,
    /// Completed; cannot be used again.
    Used,
    /// Closed after too many wrong codes.
    Locked,
}

impl ChallengeState {
    fn from_db(v: i64) -> Self {
        match v {
            0 => ChallengeState::Open,
            1 => ChallengeState::Used,
            _ => ChallengeState::Locked,
        }
    }
}

/// A stored challenge.
#[derive(Debug, Clone)]
pub struct ChallengeRecord {
    /// Subject the code was sent to.
    pub subject: String,
    /// Holder key the pass will be bound to.
    pub holder_key: [u8; 32],
    /// Keyed hash of the code.
    pub code_hash: [u8; 32],
    /// Unix seconds.
    pub expires_at: u64,
    /// Wrong codes so far.
    pub attempts: u32,
    /// Open, used or locked.
    pub state: ChallengeState,
}

/// Stores a new challenge.
pub fn insert_challenge(
    conn: &Connection,
    id: &[u8; 16],
    c: &ChallengeRecord,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO challenges (id, subject, holder_key, code_hash, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![&id[..], c.subject, &c.holder_key[..], &c.code_hash[..], c.expires_at as i64])?;
    Ok(())
}

/// Reads a challenge.
pub fn challenge(conn: &Connection, id: &[u8; 16]) -> Result<Option<ChallengeRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT subject, holder_key, code_hash, expires_at, attempts, state FROM challenges WHERE id = ?1",
    )?;
    Ok(stmt
        .query_row(params![&id[..]], |r| {
            Ok(ChallengeRecord {
                subject: r.get(0)?,
                holder_key: r.get(1)?,
                code_hash: r.get(2)?,
                expires_at: r.get::<_, i64>(3)? as u64,
                attempts: r.get::<_, i64>(4)? as u32,
                state: ChallengeState::from_db(r.get(5)?),
            })
        })
        .optional()?)
}

/// A pass about to be recorded, with the refresh token that comes with it.
#[derive(Debug, Clone)]
pub struct IssuedRecord {
    /// Pass id (`cti`).
    pub pass_id: [u8; 16],
    /// Subject.
    pub subject: String,
    /// Holder key.
    pub holder_key: [u8; 32],
    /// Refresh-token family.
    pub family: [u8; 16],
    /// Unix seconds.
    pub issued_at: u64,
    /// Unix seconds.
    pub expires_at: u64,
    /// Unix seconds.
    pub renew_after: u64,
    /// The signed pass.
    pub pass: Vec<u8>,
    /// SHA-256 of the new refresh token.
    pub token_hash: [u8; 32],
    /// When the new refresh token expires.
    pub token_expires_at: u64,
}

fn insert_issued(conn: &Connection, r: &IssuedRecord) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO passes (pass_id, subject, holder_key, family, issued_at, expires_at, renew_after, pass)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        &r.pass_id[..],
        r.subject,
        &r.holder_key[..],
        &r.family[..],
        r.issued_at as i64,
        r.expires_at as i64,
        r.renew_after as i64,
        r.pass
    ])?;
    conn.prepare_cached(
        "INSERT INTO refresh_tokens (token_hash, family, subject, holder_key, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![&r.token_hash[..], &r.family[..], r.subject, &r.holder_key[..], r.token_expires_at as i64])?;
    Ok(())
}

/// What [`redeem_challenge`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redemption {
    /// No such challenge, or it was already used.
    Unknown,
    /// Closed after too many wrong codes.
    Locked,
    /// The code is too old.
    Expired,
    /// A wrong code, counted; this many tries are left (0: this one locked the challenge).
    WrongCode {
        /// Tries left.
        attempts_left: u32,
    },
    /// The right code, but no pass could be issued; nothing changed.
    NotIssuable,
    /// The right code: the challenge is used and the pass and its refresh token are recorded.
    Issued,
}

/// Checks a presented code against a challenge and acts on it, in one database call — the writer
/// thread runs calls one at a time, so concurrent guesses are counted one by one and can never
/// exceed `max_attempts` between them.
///
/// `presented` is the keyed hash of the presented code ([`crate::codes::code_hash`]); it is compared
/// in constant time. A wrong code is counted (the `max_attempts`-th locks the challenge). The right
/// code marks the challenge used and records `issued`, all or nothing; with `issued` `None` (no pass
/// could be made) nothing changes.
pub fn redeem_challenge(
    conn: &Connection,
    id: &[u8; 16],
    now: u64,
    max_attempts: u32,
    presented: &[u8; 32],
    issued: Option<&IssuedRecord>,
) -> Result<Redemption, StoreError> {
    let Some(c) = challenge(conn, id)? else {
        return Ok(Redemption::Unknown);
    };
    match c.state {
        ChallengeState::Used => return Ok(Redemption::Unknown),
        ChallengeState::Locked => return Ok(Redemption::Locked),
        ChallengeState::Open if c.attempts >= max_attempts => return Ok(Redemption::Locked),
        ChallengeState::Open => {}
    }
    if now >= c.expires_at {
        return Ok(Redemption::Expired);
    }
    if !crate::codes::same(presented, &c.code_hash) {
        let attempts = c.attempts + 1;
        let state = if attempts >= max_attempts { 2 } else { 0 };
        conn.prepare_cached("UPDATE challenges SET attempts = ?2, state = ?3 WHERE id = ?1")?
            .execute(params![&id[..], i64::from(attempts), state])?;
        return Ok(Redemption::WrongCode {
            attempts_left: max_attempts.saturating_sub(attempts),
        });
    }
    let Some(record) = issued else {
        return Ok(Redemption::NotIssuable);
    };
    conn.prepare_cached("UPDATE challenges SET state = 1 WHERE id = ?1")?
        .execute(params![&id[..]])?;
    insert_issued(conn, record)?;
    Ok(Redemption::Issued)
}

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

/// Number of passes recorded.
pub fn pass_count(conn: &Connection) -> Result<u64, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM passes", [], |r| r.get::<_, i64>(0))? as u64)
}

/// Whether a pass id is recorded.
pub fn pass_exists(conn: &Connection, pass_id: &[u8; 16]) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM passes WHERE pass_id = ?1")?
        .query_row(params![&pass_id[..]], |_| Ok(()))
        .optional()?
        .is_some())
}
