//! The wallet's cross-process lock (`HOME/lock`): held while a handle talks to the issuer for the
//! wallet, so a refresh token is never spent twice, whether by two processes (the app and its
//! background task) or by two handles in one process.
//!
//! A call that finds the lock held waits for it a bounded time ([`LOCK_WAIT`], trying again every
//! [`LOCK_RETRY_STEP`]) before answering [`WalletError::InUse`]: a renewal in another process
//! usually ends within that. The lock is released by an explicit unlock, not only by closing the
//! file: a child process spawned by any thread of this process (a test harness, an app's helper)
//! holds a copy of every open file description between its fork and its exec, and an advisory
//! lock belongs to the description, so closing our copy alone would leave the lock held until the
//! child execs.

use std::fs::{File, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use super::{Wallet, WalletError};

/// How long a call waits for another handle or process to let go of the wallet lock before it
/// answers [`WalletError::InUse`].
pub const LOCK_WAIT: Duration = Duration::from_secs(2);

/// How long a waiting call sleeps between two tries of the lock.
pub const LOCK_RETRY_STEP: Duration = Duration::from_millis(25);

/// The wallet lock, held; unlocked when dropped.
pub(crate) struct HeldLock(File);

impl Drop for HeldLock {
    fn drop(&mut self) {
        // Unlock the description itself: a copy a child inherited must not keep it locked.
        if let Err(e) = self.0.unlock() {
            log::warn!("could not unlock the wallet lock: {e}");
        }
    }
}

/// The lock file, opened (and created if missing), not yet locked.
fn open_lock_file(path: &Path) -> Result<File, WalletError> {
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| WalletError::storage("the wallet lock", e))
}

/// One try: the lock, or `None` while someone else holds it.
fn try_lock(file: &File) -> Result<bool, WalletError> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(TryLockError::WouldBlock) => Ok(false),
        Err(TryLockError::Error(e)) => Err(WalletError::storage("the wallet lock", e)),
    }
}

impl Wallet {
    /// Holds this wallet's issuer conversation against other processes and handles, waiting for
    /// it up to [`LOCK_WAIT`] (without blocking the async thread); [`WalletError::InUse`] after
    /// that. Released when the returned guard is dropped.
    pub(super) async fn exclusive(&self) -> Result<HeldLock, WalletError> {
        let deadline = Instant::now() + LOCK_WAIT;
        let file = self.lock_file()?;
        loop {
            // A wiped wallet has no folder to lock, and must not get one back; a closed handle
            // never talks to the issuer again.
            drop(self.live()?);
            if try_lock(&file)? {
                return Ok(HeldLock(file));
            }
            if Instant::now() >= deadline {
                return Err(WalletError::InUse);
            }
            tokio::time::sleep(LOCK_RETRY_STEP).await;
        }
    }

    /// The same for calls that are not async (removing a pass, cancelling an enrolment): waits on
    /// the calling thread.
    pub(super) fn exclusive_blocking(&self) -> Result<HeldLock, WalletError> {
        let deadline = Instant::now() + LOCK_WAIT;
        let file = self.lock_file()?;
        loop {
            drop(self.live()?);
            if try_lock(&file)? {
                return Ok(HeldLock(file));
            }
            if Instant::now() >= deadline {
                return Err(WalletError::InUse);
            }
            std::thread::sleep(LOCK_RETRY_STEP);
        }
    }

    fn lock_file(&self) -> Result<File, WalletError> {
        drop(self.live()?);
        open_lock_file(&self.layout.lock())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy of the locked description (what a child process holds between fork and exec) does
    /// not keep the lock once its holder let go.
    #[test]
    fn a_copy_inherited_by_a_child_does_not_keep_the_lock_held() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        let file = open_lock_file(&path).unwrap();
        assert!(try_lock(&file).unwrap());
        let held = HeldLock(file);
        let inherited = held.0.try_clone().unwrap();
        drop(held);
        let other = open_lock_file(&path).unwrap();
        assert!(
            try_lock(&other).unwrap(),
            "the lock was left held by a copy of its file description"
        );
        drop(inherited);
    }

    /// While another description holds the lock, a try says so instead of failing.
    #[test]
    fn a_held_lock_is_reported_as_held() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        let first = open_lock_file(&path).unwrap();
        assert!(try_lock(&first).unwrap());
        let second = open_lock_file(&path).unwrap();
        assert!(!try_lock(&second).unwrap());
    }
}
