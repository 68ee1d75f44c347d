//! The wallet's cross-process lock waits a bounded time: a call that finds it held by another
//! handle or process gets in once it is let go (within [`LOCK_WAIT`]), and answers `InUse` only
//! when it stays held past that.

use std::fs::File;
use std::sync::Arc;
use std::time::{Duration, Instant};

use doorpass_tests::{TestIssuer, now};
use doorpass_wallet::secret_store::{FileSecretStore, SecretStore};
use doorpass_wallet::wallet::{LOCK_WAIT, RenewalOutcome, WalletError, WalletOptions};

/// The wallet's lock file, locked through a description of its own: another process's hold.
fn hold_lock(home: &std::path::Path) -> File {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(home.join("lock"))
        .unwrap();
    file.lock().unwrap();
    file
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_waits_for_a_lock_held_briefly_elsewhere() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let (secrets, pass) = issuer.enrolled_in_folder(home.path(), "demo-kim").await;
    let wallet = issuer.wallet(home.path(), secrets, WalletOptions::default());

    // Another process holds the lock for half a second (well inside the bound of two).
    let held = hold_lock(home.path());
    let holder = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        let releasing = Instant::now();
        held.unlock().unwrap();
        releasing
    });
    let outcome = wallet.renew_pass(&pass.id, now(), true).await;
    let done = Instant::now();
    let released = holder.join().unwrap();
    assert!(
        matches!(outcome, Ok(RenewalOutcome::Renewed { .. })),
        "the renewal waited for the lock instead of answering InUse: {outcome:?}"
    );
    assert!(
        done >= released,
        "it got in only after the other hold ended"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_held_past_the_bound_answers_in_use_and_frees_after() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let secrets: Arc<dyn SecretStore> =
        Arc::new(FileSecretStore::new(home.path().join("secrets.json")));
    let wallet = issuer.wallet(home.path(), secrets, WalletOptions::default());
    let pass = issuer.enrol(&wallet, "demo-lee").await;

    let held = hold_lock(home.path());
    let started = Instant::now();
    let outcome = wallet.renew_pass(&pass.id, now(), true).await;
    let waited = started.elapsed();
    assert!(
        matches!(outcome, Err(WalletError::InUse)),
        "a lock held throughout answers InUse: {outcome:?}"
    );
    assert!(
        waited >= LOCK_WAIT,
        "InUse came only after the bounded wait ({waited:?})"
    );
    // The refusal sent nothing and spent no token: once the hold ends, the renewal goes through.
    drop(held);
    assert!(matches!(
        wallet.renew_pass(&pass.id, now(), true).await,
        Ok(RenewalOutcome::Renewed { .. })
    ));
}
