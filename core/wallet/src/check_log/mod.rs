//! The door's check log, for inspections: per 10-minute bucket, how many codes were checked, by
//! signal and refusal reason, and how old the trust and status lists were. No name, birth date,
//! pass id or anything else from a code is kept (docs/door-log.md).
//!
//! - [`bucket`]: one bucket's counts and its fixed-length line on disk.
//! - [`check`]: one check as counted.
//! - [`report`]: the summary of a period and the CSV export.
//! - [`shared`]: one open log per file in a process.
//!
//! The file is a header line and one line per bucket. Each check rewrites its bucket's line in
//! place before [`CheckLog::record`] returns, so an app crash loses no check; the file is
//! fsynced when checks move to another bucket (and when the log is closed), so a power loss loses
//! at most the bucket in progress. A torn or damaged line is skipped on open and the file
//! rewritten without it. Buckets older than [`RETENTION_SECONDS`] are dropped: from reports at
//! once, from the file when a new bucket finds one more than a day past that.

pub mod bucket;
pub mod check;
pub mod report;
pub mod shared;

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use bucket::{BUCKET_SECONDS, Bucket, RECORD_LEN, REFUSAL_CODES};
pub use check::Check;
pub use report::{CheckLogSummary, csv_header};
pub use shared::{SharedCheckLog, open_shared};

/// File name of the check log in a door's folder.
pub const CHECK_LOG_FILE: &str = "check-log";
/// Suffix of the lock file next to a log (`check-log.lock`): one writer at a time, across
/// processes.
pub const LOCK_SUFFIX: &str = ".lock";
/// How long checks are kept: 90 days.
pub const RETENTION_SECONDS: u64 = 90 * 86_400;
/// How far past [`RETENTION_SECONDS`] a bucket may stay in the file before it is rewritten
/// without it (so the file is rewritten about once a day, not at every bucket).
pub const COMPACTION_SLACK_SECONDS: u64 = 86_400;
/// The first line of a log file.
pub const HEADER: &str = "# doorpass check log v1\n";
/// How long opening waits for another process to close the same log.
pub const LOCK_WAIT: Duration = Duration::from_secs(2);
/// The most a log file is read (far above its bound, [`max_file_len`]).
const READ_LIMIT: u64 = 64 << 20;

/// The largest a log file grows: its header and one line per bucket of the retention period and
/// its slack (buckets, never checks).
pub fn max_file_len() -> u64 {
    let buckets = (RETENTION_SECONDS + COMPACTION_SLACK_SECONDS) / BUCKET_SECONDS + 1;
    HEADER.len() as u64 + buckets * RECORD_LEN as u64
}

/// Checks counted in memory that are not (yet) in the file: a read-only or full disk. The verdicts
/// were given all the same; every later check retries the writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFailure {
    /// Checks whose count may be missing from the file.
    pub checks: u64,
    /// The latest error.
    pub error: String,
}

struct Slot {
    bucket: Bucket,
    /// Where its line is in the file, once written there.
    offset: Option<u64>,
    /// Whether the file lacks its latest counts.
    dirty: bool,
}

/// An open check log. One per file at a time: a second opener waits up to [`LOCK_WAIT`].
pub struct CheckLog {
    path: PathBuf,
    slots: BTreeMap<u64, Slot>,
    /// The log file, or why it could not be opened.
    file: Result<File, String>,
    /// Held while the log is open: one writer per file across processes.
    _lock: Option<File>,
    /// Length of the file's valid content: where the next bucket goes.
    len: u64,
    /// Bucket of the latest check: the file is synced when checks move to another.
    latest_bucket: Option<u64>,
    failure: Option<LogFailure>,
}

fn lock(path: &Path) -> io::Result<File> {
    let mut name = path.as_os_str().to_owned();
    name.push(LOCK_SUFFIX);
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(PathBuf::from(name))?;
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(lock),
            Err(TryLockError::Error(e)) => return Err(e),
            Err(TryLockError::WouldBlock) if Instant::now() >= deadline => {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "the check log is open in another process",
                ));
            }
            Err(TryLockError::WouldBlock) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// The buckets in `bytes` with the offsets of their lines, and whether anything was skipped (a
/// torn or damaged line, a missing header).
fn parse(bytes: &[u8]) -> (BTreeMap<u64, Slot>, bool) {
    let mut slots = BTreeMap::new();
    let mut skipped = !bytes.starts_with(HEADER.as_bytes()) && !bytes.is_empty();
    let body = bytes.strip_prefix(HEADER.as_bytes()).unwrap_or(bytes);
    let mut offset = (bytes.len() - body.len()) as u64;
    let mut lines = body.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        if lines.peek().is_none() {
            // What follows the last newline: empty, or a torn line.
            skipped |= !line.is_empty();
            break;
        }
        match Bucket::from_line(line) {
            Some(bucket) if !slots.contains_key(&bucket.start) => {
                let slot = Slot {
                    bucket,
                    offset: Some(offset),
                    dirty: false,
                };
                slots.insert(slot.bucket.start, slot);
            }
            _ => skipped = true,
        }
        offset += line.len() as u64 + 1;
    }
    (slots, skipped)
}

impl CheckLog {
    /// Opens (or creates) the log at `path`. A torn or damaged line is skipped and the file
    /// rewritten without it; nothing else is lost.
    pub fn open(path: &Path) -> io::Result<Self> {
        let lock = lock(path)?;
        let mut bytes = Vec::new();
        match File::open(path) {
            Ok(f) => {
                f.take(READ_LIMIT).read_to_end(&mut bytes)?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let (slots, skipped) = parse(&bytes);
        let mut log = CheckLog {
            path: path.to_owned(),
            slots,
            file: Err("not open".into()),
            _lock: Some(lock),
            len: bytes.len() as u64,
            latest_bucket: None,
            failure: None,
        };
        if skipped || bytes.is_empty() {
            log.rewrite()?;
        } else {
            log.file = Ok(OpenOptions::new().read(true).write(true).open(path)?);
        }
        Ok(log)
    }

    /// Opens the log at `path`, or a log that counts in memory only and reports why
    /// ([`CheckLog::failure`]) when the file cannot be opened: a door checks codes all the same.
    pub fn open_or_in_memory(path: &Path) -> Self {
        CheckLog::open(path).unwrap_or_else(|e| {
            let error = format!("the check log {} cannot be opened: {e}", path.display());
            CheckLog {
                path: path.to_owned(),
                slots: BTreeMap::new(),
                file: Err(error.clone()),
                _lock: None,
                len: 0,
                latest_bucket: None,
                failure: Some(LogFailure { checks: 0, error }),
            }
        })
    }

    /// Writes the buckets in memory anew (temporary file, fsync, rename). On failure the file
    /// and the lines' offsets stay as they were.
    fn rewrite(&mut self) -> io::Result<()> {
        let mut content = HEADER.as_bytes().to_vec();
        let mut offsets = Vec::with_capacity(self.slots.len());
        for slot in self.slots.values() {
            offsets.push(content.len() as u64);
            content.extend_from_slice(slot.bucket.to_line().as_bytes());
        }
        doorpass_format::atomic_file::write_atomic(&self.path, &content, true)?;
        self.file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.path)
            .map_err(|e| e.to_string());
        for (slot, offset) in self.slots.values_mut().zip(offsets) {
            slot.offset = Some(offset);
            slot.dirty = false;
        }
        self.len = content.len() as u64;
        self.file
            .as_ref()
            .map(|_| ())
            .map_err(|e| io::Error::other(e.clone()))
    }

    /// Counts `check`, in the file before this returns. A write that fails leaves the count in
    /// memory, reported by [`CheckLog::failure`] and retried at the next check; the error is
    /// returned too.
    pub fn record(&mut self, check: &Check) -> Result<(), LogFailure> {
        let start = Bucket::start_of(check.at);
        let slot = self.slots.entry(start).or_insert_with(|| Slot {
            bucket: Bucket::empty(start),
            offset: None,
            dirty: false,
        });
        slot.bucket.add(check);
        slot.dirty = true;
        let moved_on = self.latest_bucket.is_some_and(|b| b != start);
        self.latest_bucket = Some(start);
        let written = self.write(check.at, moved_on);
        match (written, &mut self.failure) {
            (Ok(()), _) => {
                self.failure = None;
                Ok(())
            }
            (Err(e), Some(failure)) => {
                failure.checks += 1;
                failure.error = e;
                Err(failure.clone())
            }
            (Err(error), None) => {
                let failure = LogFailure { checks: 1, error };
                self.failure = Some(failure.clone());
                Err(failure)
            }
        }
    }

    /// Brings the file up to date: syncs it first when checks moved to another bucket (the one
    /// before is then durable), drops expired buckets, and writes every dirty bucket's line.
    fn write(&mut self, now: u64, moved_on: bool) -> Result<(), String> {
        let describe = |e: io::Error| format!("the check log cannot be written: {e}");
        let file = self.file.as_mut().map_err(|e| e.clone())?;
        if moved_on {
            file.sync_data().map_err(describe)?;
        }
        let horizon = now.saturating_sub(RETENTION_SECONDS);
        let expired = self
            .slots
            .first_key_value()
            .is_some_and(|(&start, _)| start.saturating_add(COMPACTION_SLACK_SECONDS) < horizon);
        if expired {
            self.slots = self.slots.split_off(&Bucket::start_of(horizon));
            return self.rewrite().map_err(describe);
        }
        let file = self.file.as_mut().map_err(|e| e.clone())?;
        for slot in self.slots.values_mut().filter(|s| s.dirty) {
            let offset = slot.offset.unwrap_or(self.len);
            file.seek(SeekFrom::Start(offset)).map_err(describe)?;
            file.write_all(slot.bucket.to_line().as_bytes())
                .map_err(describe)?;
            if slot.offset.is_none() {
                slot.offset = Some(offset);
                self.len += RECORD_LEN as u64;
            }
            slot.dirty = false;
        }
        Ok(())
    }

    /// Why checks counted in memory may be missing from the file, if they may.
    pub fn failure(&self) -> Option<&LogFailure> {
        self.failure.as_ref()
    }

    /// The buckets kept at `now` (the last [`RETENTION_SECONDS`]), oldest first.
    pub fn buckets(&self, now: u64) -> impl Iterator<Item = &Bucket> {
        let horizon = Bucket::start_of(now.saturating_sub(RETENTION_SECONDS));
        self.slots
            .range(horizon..=now)
            .map(|(_, slot)| &slot.bucket)
    }

    /// Where the log is kept.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for CheckLog {
    fn drop(&mut self) {
        if let Ok(file) = &self.file {
            let _ = file.sync_data();
        }
    }
}

#[cfg(test)]
mod tests;
