//! The wallet's files under damage, crashes and a second process: whatever breaks on disk, the pass
//! in hand stays (or comes back without the network), and two processes never spend one token.

use std::path::Path;
use std::sync::Arc;

use doorpass_tests::{TestBootClock, TestIssuer, now};
use doorpass_wallet::secret_store::{MemorySecretStore, SecretStore};
use doorpass_wallet::wallet::{
    PassFiles, PassState, RenewalOutcome, Wallet, WalletError, WalletOptions, WalletSetup,
};

fn reopen(home: &Path, secrets: &Arc<dyn SecretStore>) -> Wallet {
    Wallet::open(home, secrets.clone(), None, WalletOptions::default()).unwrap()
}

fn memory() -> Arc<dyn SecretStore> {
    Arc::new(MemorySecretStore::default())
}

#[tokio::test]
async fn a_damaged_metadata_file_never_hides_the_pass() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let secrets = memory();
    let wallet = issuer.wallet(home.path(), secrets.clone(), WalletOptions::default());
    let enrolled = issuer.enrol(&wallet, "demo-kim").await;
    drop(wallet);
    let meta = home
        .path()
        .join("passes")
        .join(format!("{}.json", enrolled.id));
    std::fs::write(&meta, b"{ damaged").unwrap();

    let wallet = reopen(home.path(), &secrets);
    assert_eq!(wallet.problems().len(), 1, "{:?}", wallet.problems());
    assert_eq!(wallet.passes(now())[0].state, PassState::Active);
    drop(wallet);
    // Opened again: the pass is still there (its metadata was rebuilt), and nothing new is reported.
    let wallet = reopen(home.path(), &secrets);
    assert!(wallet.problems().is_empty(), "{:?}", wallet.problems());
    assert_eq!(wallet.passes(now()).len(), 1);
    assert!(wallet.current_qr(None, now(), false).is_ok());
    // With its metadata gone entirely, too.
    drop(wallet);
    std::fs::remove_file(&meta).unwrap();
    let wallet = reopen(home.path(), &secrets);
    assert_eq!(wallet.passes(now())[0].id, enrolled.id);
    assert!(wallet.current_qr(None, now(), false).is_ok());
}

#[tokio::test]
async fn a_damaged_identity_file_falls_back_to_its_copy_and_keeps_every_secret() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let secrets = memory();
    let wallet = issuer.wallet(home.path(), secrets.clone(), WalletOptions::default());
    issuer.enrol(&wallet, "demo-kim").await;
    drop(wallet);
    std::fs::write(home.path().join("identity.json"), b"\0\0\0").unwrap();

    let wallet = reopen(home.path(), &secrets);
    assert_eq!(wallet.problems().len(), 1, "{:?}", wallet.problems());
    // The same wallet id, so the holder key in secure storage is found and the code is made.
    assert!(wallet.current_qr(None, now(), false).is_ok());
    drop(wallet);
    let wallet = reopen(home.path(), &secrets);
    assert!(wallet.problems().is_empty(), "the first copy was restored");
    // Both copies damaged: a clear storage error, not a new empty wallet under another id.
    drop(wallet);
    for name in ["identity.json", "identity.backup.json"] {
        std::fs::write(home.path().join(name), b"{").unwrap();
    }
    let err = Wallet::open(home.path(), secrets, None, WalletOptions::default())
        .err()
        .unwrap();
    assert!(matches!(err, WalletError::Storage { .. }), "{err:?}");
}

#[tokio::test]
async fn a_damaged_pass_file_falls_back_to_the_previous_pass_offline() {
    let mut issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let secrets = memory();
    let wallet = issuer.wallet(home.path(), secrets.clone(), WalletOptions::default());
    let enrolled = issuer.enrol(&wallet, "demo-kim").await;
    let first_pass = enrolled.details.unwrap().pass_id;
    let renewed = wallet.renew_pass(&enrolled.id, now(), true).await.unwrap();
    assert!(
        matches!(renewed, RenewalOutcome::Renewed { .. }),
        "{renewed:?}"
    );
    drop(wallet);
    issuer.stop().await; // offline from here on

    let files = PassFiles::new(home.path());
    let current = files.pass_path(&enrolled.id);
    let bytes = std::fs::read(&current).unwrap();
    std::fs::write(&current, &bytes[..bytes.len() - 7]).unwrap();
    let wallet = reopen(home.path(), &secrets);
    assert_eq!(wallet.problems().len(), 1, "{:?}", wallet.problems());
    let held = &wallet.passes(now())[0];
    assert_eq!(held.state, PassState::Active, "{held:?}");
    assert_eq!(held.details.as_ref().unwrap().pass_id, first_pass);
    assert!(wallet.current_qr(None, now(), false).is_ok());
}

#[tokio::test]
async fn wallet_files_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let issuer = TestIssuer::start(|_| {}).await;
    let parent = tempfile::tempdir().unwrap();
    let home = parent.path().join("wallet");
    let wallet = issuer.memory_wallet(&home);
    let enrolled = issuer.enrol(&wallet, "demo-kim").await;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&home), 0o700);
    assert_eq!(mode(&home.join("passes")), 0o700);
    let files = PassFiles::new(&home);
    // Names and birth dates live in these.
    assert_eq!(mode(&files.pass_path(&enrolled.id)), 0o600);
    assert_eq!(
        mode(&home.join("passes").join(format!("{}.json", enrolled.id))),
        0o600
    );
    assert_eq!(mode(&home.join("identity.json")), 0o600);
}

#[tokio::test]
async fn a_second_process_never_talks_to_the_issuer_for_the_same_wallet_at_once() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    let enrolled = issuer.enrol(&wallet, "demo-kim").await;
    // Another process holds the wallet's lock (a background renewal, say).
    let other = std::fs::File::options()
        .write(true)
        .open(home.path().join("lock"))
        .unwrap();
    other.lock().unwrap();
    let busy = wallet.renew_pass(&enrolled.id, now(), true).await;
    assert_eq!(busy.unwrap_err(), WalletError::InUse);
    // Showing the code needs no lock.
    assert!(wallet.current_qr(None, now(), false).is_ok());
    other.unlock().unwrap();
    let renewed = wallet.renew_pass(&enrolled.id, now(), true).await.unwrap();
    assert!(
        matches!(renewed, RenewalOutcome::Renewed { .. }),
        "{renewed:?}"
    );
}

#[tokio::test]
async fn a_trust_list_refresh_waits_for_another_process_holding_the_wallet() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    let other = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(home.path().join("lock"))
        .unwrap();
    other.lock().unwrap();
    assert_eq!(
        wallet.refresh_trust_list(now()).await.unwrap_err(),
        WalletError::InUse
    );
    assert!(wallet.trust_list_status(now()).is_none(), "nothing fetched");
    other.unlock().unwrap();
    assert_eq!(wallet.refresh_trust_list(now()).await.unwrap().version, 1);
}

#[tokio::test]
async fn plain_http_to_another_machine_needs_the_callers_consent() {
    let issuer = TestIssuer::start(|_| {}).await;
    let setup = |url: &str| WalletSetup {
        issuer_url: url.into(),
        anchor: issuer.anchor,
        replace_issuer: false,
    };
    let home = tempfile::tempdir().unwrap();
    let refused = Wallet::open(
        home.path(),
        memory(),
        Some(setup("http://192.0.2.10:8080")),
        WalletOptions::default(),
    );
    assert!(matches!(refused, Err(WalletError::InvalidInput { .. })));
    assert!(
        !home.path().join("identity.json").exists(),
        "nothing written"
    );
    let allowed = WalletOptions {
        allow_plain_http: true,
        ..WalletOptions::default()
    };
    assert!(
        Wallet::open(
            home.path(),
            memory(),
            Some(setup("http://192.0.2.10:8080")),
            allowed
        )
        .is_ok()
    );
    let home = tempfile::tempdir().unwrap();
    assert!(
        Wallet::open(
            home.path(),
            memory(),
            Some(setup("https://issuer.example")),
            WalletOptions::default()
        )
        .is_ok()
    );
}

#[tokio::test]
async fn a_cached_code_never_outlives_what_it_says_about_the_pass() {
    let issuer =
        TestIssuer::start(|c| c.lifetimes.pass = std::time::Duration::from_secs(120)).await;
    let home = tempfile::tempdir().unwrap();
    let boot = TestBootClock::new(10_000, "boot-1");
    let options = WalletOptions {
        boot_clock: Some(boot.clone()),
        ..WalletOptions::default()
    };
    let wallet = issuer.wallet(home.path(), memory(), options);
    let enrolled = issuer.enrol(&wallet, "demo-kim").await;
    let expires_at = enrolled.details.unwrap().expires_at;
    let printed = wallet.current_qr(None, now(), true).unwrap();
    assert_eq!(printed.state, PassState::Active);
    assert!(
        printed.accessible_label.contains("Valid until"),
        "{}",
        printed.accessible_label
    );
    // The same (cached) static code, shown after the pass expired (time passed: the boot clock
    // counted it too, so the device clock is believed).
    boot.advance(expires_at + 1 - now());
    let later = wallet.current_qr(None, expires_at + 1, true).unwrap();
    assert_eq!(later.qr_text, printed.qr_text);
    assert_eq!(later.state, PassState::Expired);
    assert!(
        later.accessible_label.contains("Expired on"),
        "{}",
        later.accessible_label
    );
}
