//! One open log per file in a process: a door the app opens again on the same folder (a screen
//! rebuilt before the old handle is released) shares the log instead of waiting for its lock.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use super::CheckLog;

/// A check log shared by the handles of one process.
pub type SharedCheckLog = Arc<Mutex<CheckLog>>;

static OPEN: Mutex<Vec<(PathBuf, Weak<Mutex<CheckLog>>)>> = Mutex::new(Vec::new());

/// The log at `path`, shared with any other handle of this process on the same file, else opened
/// with [`CheckLog::open_or_in_memory`].
pub fn open_shared(path: &Path) -> SharedCheckLog {
    let key = path
        .parent()
        .and_then(|dir| dir.canonicalize().ok())
        .zip(path.file_name())
        .map(|(dir, name)| dir.join(name))
        .unwrap_or_else(|| path.to_owned());
    let mut open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
    open.retain(|(_, log)| log.strong_count() > 0);
    if let Some(log) = open
        .iter()
        .find(|(p, _)| *p == key)
        .and_then(|(_, log)| log.upgrade())
    {
        return log;
    }
    let log = Arc::new(Mutex::new(CheckLog::open_or_in_memory(path)));
    open.push((key, Arc::downgrade(&log)));
    log
}

/// The log behind `shared`, even if a panic poisoned its lock (its counts stay whole: every
/// change is a single update of one bucket).
pub fn lock(shared: &SharedCheckLog) -> MutexGuard<'_, CheckLog> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}
