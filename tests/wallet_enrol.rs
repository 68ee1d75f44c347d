//! The wallet against the real issuer on 127.0.0.1: enrolment, a wrong code, several passes, and
//! codes shown offline that verify at the door, also from a device whose clock is off; where the
//! wallet takes its time from, and what it refuses to do on a clock turned back.

use std::sync::Arc;
use std::time::Duration;

use doorpass_format::presentation::STEP_SECONDS;
use doorpass_format::verifier::VerifierPolicy;
use doorpass_format::{Pass, Verifier};
use doorpass_issuer::service::Faults;
use doorpass_tests::{TestIssuer, http_get, now, qr_pass_bytes, trust_list_of};
use doorpass_wallet::clock::MAX_CORRECTION_SECONDS;
use doorpass_wallet::secret_store::{MemorySecretStore, SecretStore};
use doorpass_wallet::wallet::{
    PassState, RenewalOutcome, Wallet, WalletError, WalletOptions, WalletState,
};

#[tokio::test]
async fn enrol_then_show_offline_and_verify() {
    let mut issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    assert_eq!(wallet.state(), WalletState::NotEnrolled);
    let pending = wallet
        .begin_authentication("demo-kim", now())
        .await
        .unwrap();
    assert_eq!((pending.code_length, pending.reauthentication), (6, false));
    assert!(matches!(wallet.state(), WalletState::AwaitingCode(_)));
    let code = issuer.dev_code("demo-kim").await;
    let pass = wallet.complete_authentication(&code, now()).await.unwrap();
    assert_eq!(pass.state, PassState::Active);
    assert_eq!(pass.details.as_ref().unwrap().display_name, "Kim Minji");
    assert_eq!(wallet.state(), WalletState::Ready { passes: 1 });
    assert_eq!(wallet.trust_list_status(now()).unwrap().version, 1);
    assert!(
        wallet.clock_status().offset_seconds.is_some(),
        "clock synced from the Date header"
    );

    issuer.stop().await; // no network from here on
    let t = now();
    let view = wallet.current_qr(None, t, false).unwrap();
    // Version 15 at most: the pass names its status list by a loopback URL of up to 34 bytes
    // (docs/qr-size.md: an issuer's short production URI keeps it at 14).
    assert!(view.qr_text.starts_with("DP1:") && view.matrix.version() <= 15);
    assert!((1..=STEP_SECONDS).contains(&view.seconds_until_rotation));
    assert!(
        view.accessible_label
            .starts_with("Vaccination pass for Kim Minji, born 1990-04-01. Valid until")
    );
    assert!(view.accessible_label.contains("The code changes in"));
    let verdict = Verifier::new(trust_list_of(&issuer), VerifierPolicy::default())
        .verify_qr_text(&view.qr_text, t);
    assert!(verdict.is_valid(), "{verdict:?}");
    assert!(
        wallet
            .verify_qr(&view.qr_text, t, VerifierPolicy::default())
            .unwrap()
            .is_valid()
    );
    // The next step gives a different code; a static code is refused by default and accepted when allowed.
    assert_ne!(
        wallet
            .current_qr(None, t + STEP_SECONDS, false)
            .unwrap()
            .qr_text,
        view.qr_text
    );
    let fixed = wallet.current_qr(None, t, true).unwrap();
    assert_eq!(
        wallet
            .verify_qr(&fixed.qr_text, t, VerifierPolicy::default())
            .unwrap()
            .code(),
        "static_refused"
    );

    // A new process: reopen from disk (memory secrets are gone, so use a file store in the next test).
    drop(wallet);
}

#[tokio::test]
async fn current_qr_never_touches_the_network() {
    let mut issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let (secrets, _) = issuer.enrolled_in_folder(home.path(), "demo-lee").await;

    // A counting issuer: its request counters do not move while codes are shown from a fresh open.
    let metrics = || async {
        let text = http_get(&format!("{}/metrics", issuer.url())).await;
        text.lines()
            .filter(|l| l.starts_with("doorpass_requests_total") && !l.contains("/metrics"))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
            .sum::<u64>()
    };
    let before = metrics().await;
    let wallet =
        Wallet::open(home.path(), secrets.clone(), None, WalletOptions::default()).unwrap();
    for i in 0..100 {
        wallet.current_qr(None, now() + i * 7, i % 2 == 0).unwrap();
    }
    assert_eq!(
        metrics().await,
        before,
        "showing codes made no request to the issuer"
    );

    // No issuer at all: the wallet opens and shows its code.
    issuer.stop().await;
    let wallet = Wallet::open(home.path(), secrets, None, WalletOptions::default()).unwrap();
    let view = wallet.current_qr(None, now(), false).unwrap();
    assert!(
        wallet
            .verify_qr(&view.qr_text, now(), VerifierPolicy::default())
            .unwrap()
            .is_valid()
    );
}

#[tokio::test]
async fn two_passes_side_by_side_each_with_its_own_key() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    let kim = issuer.enrol(&wallet, "demo-kim").await;
    let lee = issuer.enrol(&wallet, "demo-lee").await;
    assert_ne!(kim.id, lee.id);
    assert_eq!(wallet.passes(now()).len(), 2);
    assert_eq!(
        wallet.current_qr(None, now(), false).unwrap_err(),
        WalletError::PassNotChosen
    );
    let t = now();
    let a = wallet.current_qr(Some(&kim.id), t, false).unwrap();
    let b = wallet.current_qr(Some(&lee.id), t, false).unwrap();
    let key = |text: &str| {
        Pass::parse(&qr_pass_bytes(text))
            .unwrap()
            .claims()
            .holder_key
    };
    assert_ne!(key(&a.qr_text), key(&b.qr_text));
    let verifier = Verifier::new(trust_list_of(&issuer), VerifierPolicy::default());
    for (view, name) in [(a, "Kim Minji"), (b, "이서연 Lee Seoyun")] {
        match verifier.verify_qr_text(&view.qr_text, t) {
            doorpass_format::Verdict::Valid(p) => assert_eq!(p.display_name, name),
            other => panic!("{other:?}"),
        }
    }
    wallet.remove_pass(&kim.id).unwrap();
    assert_eq!(wallet.passes(now()).len(), 1);
    assert!(matches!(
        wallet.current_qr(Some(&kim.id), now(), false),
        Err(WalletError::UnknownPass { .. })
    ));
}

#[tokio::test]
async fn wrong_code_keeps_the_enrolment_waiting() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    wallet
        .begin_authentication("demo-kim", now())
        .await
        .unwrap();
    let code = issuer.dev_code("demo-kim").await;
    let wrong = if code == "111111" { "222222" } else { "111111" };
    assert_eq!(
        wallet
            .complete_authentication(wrong, now())
            .await
            .unwrap_err(),
        WalletError::WrongCode { attempts_left: 4 }
    );
    assert!(matches!(
        wallet.complete_authentication("12", now()).await,
        Err(WalletError::InvalidInput { .. })
    ));
    assert!(matches!(wallet.state(), WalletState::AwaitingCode(_)));
    wallet
        .complete_authentication(&format!(" {code} "), now())
        .await
        .unwrap();
    assert_eq!(
        wallet
            .complete_authentication(&code, now())
            .await
            .unwrap_err(),
        WalletError::NoPendingEnrolment
    );
}

#[tokio::test]
async fn a_skewed_device_clock_is_corrected_and_a_clock_turned_back_is_flagged() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    let ahead = 3_600; // this phone's clock is an hour fast
    wallet
        .begin_authentication("demo-kim", now() + ahead)
        .await
        .unwrap();
    let code = issuer.dev_code("demo-kim").await;
    wallet
        .complete_authentication(&code, now() + ahead)
        .await
        .unwrap();
    let clock = wallet.clock_status();
    assert!(clock.skewed, "{clock:?}");
    assert!((-(ahead as i64) - 2..=-(ahead as i64) + 2).contains(&clock.offset_seconds.unwrap()));
    // The code is made for the issuer's (true) time, so a door with a correct clock accepts it.
    let view = wallet.current_qr(None, now() + ahead, false).unwrap();
    let verdict = Verifier::new(trust_list_of(&issuer), VerifierPolicy::default())
        .verify_qr_text(&view.qr_text, now());
    assert!(verdict.is_valid(), "{verdict:?}");
    assert_eq!(wallet.passes(now() + ahead)[0].state, PassState::Active);
    // The clock is then turned back by two hours: flagged.
    assert!(!wallet.clock_status().turned_back);
    wallet
        .current_qr(None, now() + ahead - 7_200, false)
        .unwrap();
    assert!(wallet.clock_status().turned_back);
}

#[tokio::test]
async fn only_enrolment_and_renewal_answers_set_the_clock_and_never_by_years() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::default());
    let wallet = issuer.wallet(home.path(), secrets.clone(), WalletOptions::default());
    let ahead = 3_600; // this phone's clock is an hour fast
    // The trust list is a GET, which a cache may have answered minutes ago: its Date sets nothing.
    wallet.refresh_trust_list(now() + ahead).await.unwrap();
    let clock = wallet.clock_status();
    assert_eq!(
        (clock.offset_seconds, clock.synced_at),
        (None, None),
        "{clock:?}"
    );

    // Starting an enrolment is a POST, answered by the issuer itself: it sets the clock.
    let device = now() + ahead;
    wallet
        .begin_authentication("demo-kim", device)
        .await
        .unwrap();
    let clock = wallet.clock_status();
    assert_eq!(clock.synced_at, Some(device));
    let offset = clock.offset_seconds.unwrap();
    assert!(
        (-(ahead as i64) - 2..=-(ahead as i64) + 2).contains(&offset),
        "{offset}"
    );
    assert_eq!(clock.rejected_offset_seconds, None);

    // A device more than 400 days off: the issuer's time is reported, not used.
    let far = now() + MAX_CORRECTION_SECONDS + 86_400;
    wallet.begin_authentication("demo-kim", far).await.unwrap();
    let clock = wallet.clock_status();
    let rejected = clock
        .rejected_offset_seconds
        .expect("the ignored answer is reported");
    assert!(rejected < -(MAX_CORRECTION_SECONDS as i64), "{rejected}");
    assert_eq!(
        clock.offset_seconds,
        Some(offset),
        "the last accepted offset stays"
    );
    assert_eq!(clock.synced_at, Some(device));
    drop(wallet);
    let wallet = Wallet::open(home.path(), secrets, None, WalletOptions::default()).unwrap();
    assert_eq!(wallet.clock_status(), clock, "kept with the wallet");

    // An answer within the bound is used again and clears the report.
    let code = issuer.dev_code("demo-kim").await;
    wallet.complete_authentication(&code, now()).await.unwrap();
    let clock = wallet.clock_status();
    assert_eq!(clock.rejected_offset_seconds, None);
    assert!(
        clock.offset_seconds.unwrap().abs() <= 2 && !clock.skewed,
        "{clock:?}"
    );
}

#[tokio::test]
async fn a_door_check_on_a_clock_turned_back_is_refused_until_the_issuer_sets_it() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::default());
    let wallet = issuer.wallet(home.path(), secrets.clone(), WalletOptions::default());
    let enrolled = issuer.enrol(&wallet, "demo-kim").await;
    let policy = VerifierPolicy::default;
    let t = now();
    let code = wallet.current_qr(None, t, false).unwrap().qr_text;
    assert!(wallet.verify_qr(&code, t, policy()).unwrap().is_valid());

    // The clock is turned back two hours: the check refuses to judge rather than give a verdict.
    let refused = wallet.verify_qr(&code, t - 7_200, policy()).unwrap_err();
    assert!(
        matches!(refused, WalletError::ClockUntrustworthy { .. }),
        "{refused:?}"
    );
    assert!(wallet.clock_status().turned_back);
    // The clock set forward again does not undo what was seen, nor does reopening the wallet.
    assert!(matches!(
        wallet.verify_qr(&code, t, policy()),
        Err(WalletError::ClockUntrustworthy { .. })
    ));
    drop(wallet);
    let wallet = Wallet::open(home.path(), secrets, None, WalletOptions::default()).unwrap();
    assert!(matches!(
        wallet.verify_qr(&code, t, policy()),
        Err(WalletError::ClockUntrustworthy { .. })
    ));
    // A renewal answer sets the clock against the issuer's again: checks resume.
    let renewed = wallet.renew_pass(&enrolled.id, now(), true).await.unwrap();
    assert!(
        matches!(renewed, RenewalOutcome::Renewed { .. }),
        "{renewed:?}"
    );
    assert!(!wallet.clock_status().turned_back);
    let code = wallet.current_qr(None, now(), false).unwrap().qr_text;
    assert!(wallet.verify_qr(&code, now(), policy()).unwrap().is_valid());
}

#[tokio::test]
async fn cancelling_never_races_a_code_being_traded_for_a_pass() {
    // Every issuance call takes a second: long enough to try cancelling in the middle of one.
    let issuer = TestIssuer::start(|c| {
        c.dev = Some(Faults {
            latency: Duration::from_secs(1),
            failure_rate: 0.0,
        })
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    let wallet = Arc::new(issuer.memory_wallet(home.path()));
    wallet
        .begin_authentication("demo-kim", now())
        .await
        .unwrap();
    let code = issuer.dev_code("demo-kim").await;
    let trading = tokio::spawn({
        let wallet = wallet.clone();
        async move { wallet.complete_authentication(&code, now()).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(wallet.cancel_authentication(), Err(WalletError::InUse));
    assert!(matches!(wallet.state(), WalletState::AwaitingCode(_)));
    // The code goes through, with the holder key made for it.
    let pass = trading.await.unwrap().unwrap();
    assert_eq!(pass.state, PassState::Active);
    assert!(wallet.current_qr(None, now(), false).is_ok());

    // Another process holding the wallet (a background renewal, say) also keeps it waiting.
    wallet
        .begin_authentication("demo-lee", now())
        .await
        .unwrap();
    let other = std::fs::File::options()
        .write(true)
        .open(home.path().join("lock"))
        .unwrap();
    other.lock().unwrap();
    assert_eq!(wallet.cancel_authentication(), Err(WalletError::InUse));
    assert!(matches!(wallet.state(), WalletState::AwaitingCode(_)));
    other.unlock().unwrap();
    wallet.cancel_authentication().unwrap();
    assert_eq!(wallet.state(), WalletState::Ready { passes: 1 });
}
