//! Codes for the future: someone holding the unlocked phone sets its clock ahead (or back) to
//! photograph codes for later. The wallet keeps the issuer's time of its last answer with a boot
//! clock reading (which counts sleep and which nobody sets), and draws codes for "issuer time then +
//! elapsed since" whenever the device clock disagrees by more than the doors' tolerance; after a
//! restart the device clock is used again. Everything here runs offline after the first answer.

use std::sync::Arc;

use doorpass_format::Verifier;
use doorpass_format::presentation::STEP_SECONDS;
use doorpass_format::verifier::VerifierPolicy;
use doorpass_tests::{TestBootClock, TestIssuer, now, trust_list_of};
use doorpass_wallet::secret_store::{MemorySecretStore, SecretStore};
use doorpass_wallet::wallet::{PassState, RenewalOutcome, Wallet, WalletOptions};

fn options(boot: &Arc<TestBootClock>) -> WalletOptions {
    WalletOptions {
        boot_clock: Some(boot.clone()),
        ..WalletOptions::default()
    }
}

/// Whether a door whose clock reads `at` accepts `code`.
fn door_accepts(issuer: &TestIssuer, code: &str, at: u64) -> bool {
    Verifier::new(trust_list_of(issuer), VerifierPolicy::default())
        .verify_qr_text(code, at)
        .is_valid()
}

/// Whether `seconds` is `expected` give or take a few seconds of test run time.
fn about(seconds: Option<i64>, expected: i64) -> bool {
    seconds.is_some_and(|s| (expected - 5..=expected + 5).contains(&s))
}

#[tokio::test]
async fn a_clock_set_ahead_after_an_answer_draws_codes_for_the_true_time() {
    let mut issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::default());
    let boot = TestBootClock::new(50_000, "boot-1");
    let wallet = issuer.wallet(home.path(), secrets.clone(), options(&boot));
    issuer.enrol(&wallet, "demo-kim").await;
    issuer.stop().await; // offline from here on

    for ahead in [3_600, 86_400] {
        let view = wallet.current_qr(None, now() + ahead, false).unwrap();
        assert!(
            door_accepts(&issuer, &view.qr_text, now()),
            "a door at the true time accepts the code"
        );
        assert!(
            !door_accepts(&issuer, &view.qr_text, now() + ahead),
            "a door at the time the clock was set to refuses it: nothing to photograph for later"
        );
        assert_eq!(view.state, PassState::Active);
        let ignored = wallet.clock_status().device_clock_ignored_seconds;
        assert!(about(ignored, ahead as i64), "{ignored:?}");
    }

    // A day passes by the boot clock (the phone slept), and the clock is now a day and an hour
    // ahead: the code is for a day later, not for the hour beyond.
    boot.advance(86_400);
    let view = wallet
        .current_qr(None, now() + 86_400 + 3_600, false)
        .unwrap();
    assert!(door_accepts(&issuer, &view.qr_text, now() + 86_400));
    assert!(!door_accepts(
        &issuer,
        &view.qr_text,
        now() + 86_400 + 3_600
    ));

    // What is needed is kept with the wallet: a new process draws the same way.
    drop(wallet);
    let wallet = Wallet::open(home.path(), secrets, None, options(&boot)).unwrap();
    let view = wallet
        .current_qr(None, now() + 86_400 + 3_600, false)
        .unwrap();
    assert!(door_accepts(&issuer, &view.qr_text, now() + 86_400));
    assert!(!door_accepts(
        &issuer,
        &view.qr_text,
        now() + 86_400 + 3_600
    ));
}

#[tokio::test]
async fn a_clock_set_back_after_an_answer_draws_codes_for_the_true_time() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let boot = TestBootClock::new(50_000, "boot-1");
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::default());
    let wallet = issuer.wallet(home.path(), secrets, options(&boot));
    issuer.enrol(&wallet, "demo-kim").await;
    for back in [3_600, 86_400] {
        let view = wallet.current_qr(None, now() - back, false).unwrap();
        assert!(door_accepts(&issuer, &view.qr_text, now()));
        assert!(!door_accepts(&issuer, &view.qr_text, now() - back));
        let ignored = wallet.clock_status().device_clock_ignored_seconds;
        assert!(about(ignored, -(back as i64)), "{ignored:?}");
    }
}

#[tokio::test]
async fn after_a_restart_the_device_clock_is_used_until_the_next_answer() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let boot = TestBootClock::new(50_000, "boot-1");
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::default());
    let wallet = issuer.wallet(home.path(), secrets, options(&boot));
    let pass = issuer.enrol(&wallet, "demo-kim").await;
    let ahead = 3_600;

    // A restart seen by a smaller reading (the same boot id: a shell that knows none passes "").
    boot.restart(30, "boot-1");
    let view = wallet.current_qr(None, now() + ahead, false).unwrap();
    assert!(door_accepts(&issuer, &view.qr_text, now() + ahead));
    assert!(!door_accepts(&issuer, &view.qr_text, now()));
    assert_eq!(wallet.clock_status().device_clock_ignored_seconds, None);

    // A restart seen by another boot id, though the reading is larger than the one kept.
    boot.restart(500_000, "boot-2");
    let view = wallet.current_qr(None, now() + 2 * ahead, false).unwrap();
    assert!(door_accepts(&issuer, &view.qr_text, now() + 2 * ahead));

    // The next issuer answer anchors the boot clock again.
    let renewed = wallet.renew_pass(&pass.id, now(), true).await.unwrap();
    assert!(
        matches!(renewed, RenewalOutcome::Renewed { .. }),
        "{renewed:?}"
    );
    let view = wallet.current_qr(None, now() + ahead, false).unwrap();
    assert!(door_accepts(&issuer, &view.qr_text, now()));
    assert!(!door_accepts(&issuer, &view.qr_text, now() + ahead));
}

#[tokio::test]
async fn a_device_clock_within_the_door_tolerance_is_used() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let boot = TestBootClock::new(50_000, "boot-1");
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::default());
    let wallet = issuer.wallet(home.path(), secrets, options(&boot));
    issuer.enrol(&wallet, "demo-kim").await;
    for off in [30_i64, -30] {
        let device = now().saturating_add_signed(off);
        let view = wallet.current_qr(None, device, false).unwrap();
        assert_eq!(
            view.step,
            device / STEP_SECONDS,
            "drawn for the device clock"
        );
        assert_eq!(wallet.clock_status().device_clock_ignored_seconds, None);
    }
}

#[tokio::test]
async fn a_state_file_from_before_the_boot_anchor_still_opens() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let boot = TestBootClock::new(50_000, "boot-1");
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::default());
    let wallet = issuer.wallet(home.path(), secrets.clone(), options(&boot));
    let pass = issuer.enrol(&wallet, "demo-kim").await;
    let clock = wallet.clock_status();
    assert!(wallet.clock_record().boot_anchor.is_some());
    drop(wallet);

    // state.json as an older wallet wrote it: no boot anchor.
    let path = home.path().join("state.json");
    let mut state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let removed = state["clock"]
        .as_object_mut()
        .unwrap()
        .remove("boot_anchor");
    assert!(removed.is_some());
    std::fs::write(&path, serde_json::to_vec(&state).unwrap()).unwrap();

    let wallet = Wallet::open(home.path(), secrets, None, options(&boot)).unwrap();
    assert!(wallet.problems().is_empty(), "{:?}", wallet.problems());
    assert_eq!(
        wallet.clock_status(),
        clock,
        "the clock record loads as it was"
    );
    assert_eq!(wallet.clock_record().boot_anchor, None);
    // Nothing to measure elapsed time from yet: the device clock is used, as before.
    let view = wallet.current_qr(None, now() + 3_600, false).unwrap();
    assert!(door_accepts(&issuer, &view.qr_text, now() + 3_600));
    // The next answer anchors it.
    wallet.renew_pass(&pass.id, now(), true).await.unwrap();
    assert!(wallet.clock_record().boot_anchor.is_some());
    let view = wallet.current_qr(None, now() + 3_600, false).unwrap();
    assert!(door_accepts(&issuer, &view.qr_text, now()));
}
