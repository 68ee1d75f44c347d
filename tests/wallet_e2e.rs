//! The wallet against the real issuer on 127.0.0.1: enrolment, offline codes, renewal,
//! re-authentication, several passes, an issuer that is down, slow or shedding, and damaged files.

use std::sync::Arc;
use std::time::Duration;

use doorpass_format::presentation::STEP_SECONDS;
use doorpass_format::verifier::VerifierPolicy;
use doorpass_format::{Pass, TrustList, Verifier, keys};
use doorpass_issuer::service::Faults;
use doorpass_tests::{TestIssuer, http_get, now};
use doorpass_wallet::keyring_store::KeyringSecretStore;
use doorpass_wallet::retry::RetryPolicy;
use doorpass_wallet::secret_store::{FileSecretStore, SecretStore, SecretStoreError};
use doorpass_wallet::wallet::{
    PassState, RenewalOutcome, Wallet, WalletError, WalletOptions, WalletSetup, WalletState,
};

fn trust_list_of(issuer: &TestIssuer) -> TrustList {
    TrustList::verify(
        &std::fs::read(issuer.dir.path().join("trust-list.cose")).unwrap(),
        &issuer.anchor,
    )
    .unwrap()
}

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
    assert!(view.qr_text.starts_with("DP1:") && view.matrix.version() <= 13);
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
    let secrets: Arc<dyn SecretStore> =
        Arc::new(FileSecretStore::new(home.path().join("secrets.json")));
    let wallet = issuer.wallet(home.path(), secrets.clone(), WalletOptions::default());
    issuer.enrol(&wallet, "demo-lee").await;
    drop(wallet);

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
async fn renewal_after_renew_after_replaces_the_pass() {
    let issuer = TestIssuer::start(|c| c.lifetimes.pass = Duration::from_secs(120)).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    let first = issuer.enrol(&wallet, "demo-choi").await;
    let d = first.details.clone().unwrap();
    assert!(
        d.renew_after >= d.expires_at - 40 && d.renew_after < d.expires_at,
        "last third of 120 s"
    );
    assert!(
        wallet.renew_due(now()).await.is_empty(),
        "nothing is due yet"
    );
    // The device clock moves past renew-after (no need to wait: the issuer renews whenever asked).
    let later = d.renew_after + 1 - (wallet.clock_status().offset_seconds.unwrap_or(0)) as u64;
    assert_eq!(wallet.passes(later)[0].state, PassState::RenewDue);
    let outcomes = wallet.renew_due(later).await;
    assert_eq!(outcomes.len(), 1);
    assert!(
        matches!(outcomes[0].outcome, RenewalOutcome::Renewed { .. }),
        "{outcomes:?}"
    );
    let second = wallet.passes(now())[0].clone();
    assert_eq!(second.state, PassState::Active);
    assert_eq!(second.id, first.id, "same pass slot");
    assert_ne!(second.details.unwrap().pass_id, d.pass_id, "a new pass");
    let view = wallet.current_qr(None, now(), false).unwrap();
    let pass = Pass::parse(&qr_pass_bytes(&view.qr_text)).unwrap();
    assert_ne!(
        pass.claims().pass_id_hex(),
        d.pass_id,
        "the code shows the renewed pass"
    );
}

fn qr_pass_bytes(text: &str) -> Vec<u8> {
    doorpass_format::Presentation::from_qr_text(text)
        .unwrap()
        .pass_bytes()
        .to_vec()
}

#[tokio::test]
async fn refused_refresh_leads_to_reauthentication_with_the_same_holder_key() {
    let issuer = TestIssuer::start(|c| {
        c.lifetimes.pass = Duration::from_secs(2);
        c.lifetimes.refresh_grace = Duration::ZERO;
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    let first = issuer.enrol(&wallet, "demo-park").await;
    let old_code = wallet.current_qr(None, now(), false).unwrap();
    let old_holder = Pass::parse(&qr_pass_bytes(&old_code.qr_text))
        .unwrap()
        .claims()
        .holder_key;
    tokio::time::sleep(Duration::from_millis(3100)).await; // the pass and its refresh token expire
    let outcomes = wallet.renew_due(now()).await;
    assert!(
        matches!(&outcomes[0].outcome, RenewalOutcome::ReauthRequired { reason } if reason.contains("expired")),
        "{outcomes:?}"
    );
    let summary = wallet.passes(now())[0].clone();
    assert_eq!(summary.state, PassState::ReauthRequired);
    assert!(summary.details.is_some(), "the pass in hand is kept");
    assert!(
        wallet.current_qr(None, now(), false).is_ok(),
        "and can still be shown (the door will say expired)"
    );

    let pending = wallet
        .begin_authentication("demo-park", now())
        .await
        .unwrap();
    assert!(pending.reauthentication);
    let code = issuer.dev_code("demo-park").await;
    let renewed = wallet.complete_authentication(&code, now()).await.unwrap();
    assert_eq!(renewed.id, first.id);
    assert_eq!(renewed.state, PassState::Active);
    let view = wallet.current_qr(None, now(), false).unwrap();
    assert_eq!(
        Pass::parse(&qr_pass_bytes(&view.qr_text))
            .unwrap()
            .claims()
            .holder_key,
        old_holder,
        "same holder key"
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
async fn issuer_down_slow_or_shedding_never_costs_the_pass() {
    let mut issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let options = WalletOptions {
        http_timeout: Duration::from_millis(500),
        retry: RetryPolicy {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(60),
        },
        ..WalletOptions::default()
    };
    let secrets: Arc<dyn SecretStore> =
        Arc::new(FileSecretStore::new(home.path().join("secrets.json")));
    let wallet = issuer.wallet(home.path(), secrets.clone(), options.clone());
    let pass = issuer.enrol(&wallet, "demo-kim").await;
    let pass_id = pass.details.clone().unwrap().pass_id;

    // Down.
    let url = issuer.url();
    issuer.stop().await;
    let t = now();
    let outcome = wallet.renew_pass(&pass.id, t, true).await.unwrap();
    let RenewalOutcome::Deferred {
        retry_at,
        reason,
        retry_after: None,
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert!(reason.contains("could not be reached"), "{reason}");
    assert!(
        retry_at <= t + 3,
        "first backoff is at most the base (2 s) plus rounding"
    );
    assert!(matches!(
        wallet.renew_pass(&pass.id, t, true).await.unwrap(),
        RenewalOutcome::Waiting { .. }
    ));
    assert_eq!(
        wallet.passes(t)[0].details.as_ref().unwrap().pass_id,
        pass_id,
        "pass kept"
    );
    assert!(wallet.current_qr(None, t, false).is_ok());
    drop(wallet);

    // Slow: the issuer answers after 2 s, the wallet gives up after 0.5 s.
    issuer
        .restart(|c| {
            c.dev = Some(Faults {
                latency: Duration::from_secs(2),
                failure_rate: 0.0,
            })
        })
        .await;
    let setup = WalletSetup {
        issuer_url: issuer.url(),
        anchor: issuer.anchor,
    };
    assert_ne!(setup.issuer_url, url);
    let wallet = Wallet::open(
        home.path(),
        secrets.clone(),
        Some(setup.clone()),
        options.clone(),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let outcome = wallet.renew_pass(&pass.id, now() + 10, true).await.unwrap();
    assert!(
        matches!(&outcome, RenewalOutcome::Deferred { reason, .. } if reason.contains("timed out")),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert!(wallet.current_qr(None, now(), false).is_ok());
    drop(wallet);

    // A 503 storm with Retry-After: the wallet waits as told.
    issuer
        .restart(|c| {
            c.dev = Some(Faults {
                latency: Duration::ZERO,
                failure_rate: 1.0,
            })
        })
        .await;
    let setup = WalletSetup {
        issuer_url: issuer.url(),
        anchor: issuer.anchor,
    };
    let wallet = Wallet::open(home.path(), secrets, Some(setup), options).unwrap();
    let t = now() + 100;
    let outcome = wallet.renew_pass(&pass.id, t, true).await.unwrap();
    let RenewalOutcome::Deferred {
        retry_at,
        retry_after: Some(ra),
        ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(ra, 1, "injected failures say Retry-After: 1");
    assert!(retry_at >= t + ra, "never sooner than Retry-After");
    assert_eq!(
        wallet
            .renew_pass(&pass.id, retry_at - 1, true)
            .await
            .unwrap(),
        RenewalOutcome::Waiting { retry_at }
    );
    assert!(matches!(
        wallet.renew_pass(&pass.id, retry_at, true).await.unwrap(),
        RenewalOutcome::Deferred { .. }
    ));
    let summary = &wallet.passes(t)[0];
    assert_eq!(
        summary.details.as_ref().unwrap().pass_id,
        pass_id,
        "the pass in hand stays"
    );
    assert!(
        summary
            .last_renewal_error
            .as_deref()
            .unwrap()
            .contains("busy")
    );
    assert!(wallet.next_renewal_at().unwrap() > t);
    assert!(wallet.current_qr(None, now(), false).is_ok());
}

#[tokio::test]
async fn damaged_files_are_set_aside_reported_and_recovered() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let secrets: Arc<dyn SecretStore> =
        Arc::new(FileSecretStore::new(home.path().join("secrets.json")));
    let wallet = issuer.wallet(home.path(), secrets.clone(), WalletOptions::default());
    let pass = issuer.enrol(&wallet, "demo-kim").await;
    drop(wallet);
    let pass_file = home.path().join("passes").join(format!("{}.cose", pass.id));
    let bytes = std::fs::read(&pass_file).unwrap();
    std::fs::write(&pass_file, &bytes[..bytes.len() / 2]).unwrap(); // truncated
    std::fs::write(home.path().join("state.json"), b"{ not json").unwrap();
    std::fs::write(home.path().join("trust-list.cose"), b"\xd2\x84garbage").unwrap();
    let leftover = home.path().join("passes").join("leftover.cose.tmp");
    std::fs::write(&leftover, b"half-written").unwrap();
    // Left by a crash a while ago (a fresh one could be another process's write under way).
    std::fs::File::options()
        .write(true)
        .open(&leftover)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();

    let wallet = Wallet::open(home.path(), secrets, None, WalletOptions::default()).unwrap();
    let problems = wallet.problems();
    assert_eq!(problems.len(), 3, "{problems:?}");
    for p in &problems {
        assert!(
            std::path::Path::new(&p.moved_to).exists(),
            "kept for inspection: {p:?}"
        );
        assert!(!std::path::Path::new(&p.file).exists());
    }
    assert!(
        !home
            .path()
            .join("passes")
            .join("leftover.cose.tmp")
            .exists(),
        "stale temp file removed"
    );
    assert_eq!(wallet.passes(now())[0].state, PassState::Missing);
    assert_eq!(
        wallet.current_qr(None, now(), false).unwrap_err(),
        WalletError::PassMissing
    );
    // Online again: renewal fetches the trust list and a new pass with the stored refresh token.
    let outcomes = wallet.renew_due(now()).await;
    assert!(
        matches!(outcomes[0].outcome, RenewalOutcome::Renewed { .. }),
        "{outcomes:?}"
    );
    assert_eq!(wallet.passes(now())[0].state, PassState::Active);
    assert!(wallet.trust_list_status(now()).is_some());
    assert!(wallet.current_qr(None, now(), false).is_ok());
}

#[tokio::test]
async fn the_pinned_anchor_cannot_change_and_wipe_removes_everything() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let secrets: Arc<dyn SecretStore> =
        Arc::new(FileSecretStore::new(home.path().join("secrets.json")));
    let wallet = issuer.wallet(home.path(), secrets.clone(), WalletOptions::default());
    issuer.enrol(&wallet, "demo-kim").await;
    drop(wallet);
    let other = WalletSetup {
        issuer_url: issuer.url(),
        anchor: keys::generate_signing_key().verifying_key(),
    };
    assert!(matches!(
        Wallet::open(
            home.path(),
            secrets.clone(),
            Some(other),
            WalletOptions::default()
        ),
        Err(WalletError::AnchorMismatch)
    ));
    assert!(matches!(
        Wallet::open(
            &home.path().join("nowhere"),
            secrets.clone(),
            None,
            WalletOptions::default()
        ),
        Err(WalletError::NotSetUp)
    ));
    let wallet =
        Wallet::open(home.path(), secrets.clone(), None, WalletOptions::default()).unwrap();
    wallet.wipe().await.unwrap();
    assert!(
        !home.path().exists() || std::fs::read_dir(home.path()).unwrap().next().is_none(),
        "folder emptied"
    );
}

/// The real kernel keyring (inside `keyctl session -`, as scripts/test.sh runs the tests): secrets
/// survive a reopen of the wallet and are gone after a wipe.
#[tokio::test]
async fn keyring_store_holds_the_secrets() {
    let store = match KeyringSecretStore::connect("doorpass-e2e-test") {
        Ok(store) => Arc::new(store) as Arc<dyn SecretStore>,
        Err(SecretStoreError::Unavailable(reason)) => {
            assert!(
                std::env::var_os("DOORPASS_REQUIRE_KEYRING").is_none(),
                "keyring required: {reason}"
            );
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.wallet(home.path(), store.clone(), WalletOptions::default());
    issuer.enrol(&wallet, "demo-lee").await;
    drop(wallet);
    assert!(
        !home.path().join("secrets.json").exists(),
        "no secret touched the disk"
    );
    let wallet = Wallet::open(home.path(), store.clone(), None, WalletOptions::default()).unwrap();
    let view = wallet.current_qr(None, now(), false).unwrap();
    assert!(
        wallet
            .verify_qr(&view.qr_text, now(), VerifierPolicy::default())
            .unwrap()
            .is_valid()
    );
    wallet.wipe().await.unwrap();
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
async fn the_trust_list_is_refreshed_to_newer_versions_and_never_rolled_back() {
    let mut issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    issuer.enrol(&wallet, "demo-kim").await;
    assert_eq!(wallet.trust_list_status(now()).unwrap().version, 1);
    // The anchor publishes version 2 (same issuer key); the issuer serves it after a restart.
    let dir = issuer.dir.path().to_path_buf();
    let anchor = keys::read_private_key(&dir.join("anchor.key")).unwrap();
    let v1 = std::fs::read(dir.join("trust-list.cose")).unwrap();
    let mut content = trust_list_of(&issuer).content().clone();
    content.version = 2;
    content.issued_at = now();
    std::fs::write(dir.join("trust-list.cose"), content.sign(&anchor)).unwrap();
    issuer.restart(|_| {}).await;
    let setup = WalletSetup {
        issuer_url: issuer.url(),
        anchor: issuer.anchor,
    };
    drop(wallet);
    let secrets: Arc<dyn SecretStore> =
        Arc::new(doorpass_wallet::secret_store::MemorySecretStore::default());
    let wallet = Wallet::open(
        home.path(),
        secrets.clone(),
        Some(setup),
        WalletOptions::default(),
    )
    .unwrap();
    assert_eq!(wallet.refresh_trust_list(now()).await.unwrap().version, 2);
    // An issuer (or an attacker) serving the old list again does not roll the wallet back.
    std::fs::write(dir.join("trust-list.cose"), &v1).unwrap();
    issuer.restart(|_| {}).await;
    let setup = WalletSetup {
        issuer_url: issuer.url(),
        anchor: issuer.anchor,
    };
    drop(wallet);
    let wallet = Wallet::open(home.path(), secrets, Some(setup), WalletOptions::default()).unwrap();
    assert_eq!(wallet.refresh_trust_list(now()).await.unwrap().version, 2);
    assert_eq!(
        wallet.trust_list_status(now()).unwrap().version,
        2,
        "still version 2 after reopening"
    );
    assert_eq!(
        TrustList::verify(
            &std::fs::read(home.path().join("trust-list.cose")).unwrap(),
            &issuer.anchor
        )
        .unwrap()
        .version(),
        2
    );
}

#[tokio::test]
async fn reauthentication_makes_a_new_key_when_secure_storage_lost_it() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let store = Arc::new(doorpass_wallet::secret_store::MemorySecretStore::default());
    let wallet = issuer.wallet(home.path(), store.clone(), WalletOptions::default());
    let first = issuer.enrol(&wallet, "demo-choi").await;
    drop(wallet);
    // A fresh (empty) store: what a kernel keyring looks like after a reboot.
    let wallet = issuer.wallet(
        home.path(),
        Arc::new(doorpass_wallet::secret_store::MemorySecretStore::default()),
        WalletOptions::default(),
    );
    assert!(matches!(
        wallet.current_qr(None, now(), false),
        Err(WalletError::SecretStore { .. })
    ));
    let pending = wallet
        .begin_authentication("demo-choi", now())
        .await
        .unwrap();
    assert!(pending.reauthentication);
    let code = issuer.dev_code("demo-choi").await;
    let again = wallet.complete_authentication(&code, now()).await.unwrap();
    assert_eq!(again.id, first.id, "same pass slot");
    assert!(
        wallet.current_qr(None, now(), false).is_ok(),
        "shown again with the new key"
    );
    drop(store);
}

#[tokio::test]
async fn a_rate_limited_renewal_waits_out_retry_after_and_sends_nothing_meanwhile() {
    // Two issuance requests (start + complete) fit the burst; the renewal after them is over it.
    let issuer = TestIssuer::start(|c| {
        c.client_rate = Some(doorpass_issuer::rate_limit::Rate {
            per_second: 0.05,
            burst: 2.0,
        })
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    let enrolled = issuer.enrol(&wallet, "demo-kim").await;
    let t = now();
    let outcome = wallet.renew_pass(&enrolled.id, t, true).await.unwrap();
    let RenewalOutcome::Deferred {
        retry_at,
        retry_after: Some(retry_after),
        ref reason,
    } = outcome
    else {
        panic!("expected a 429 with Retry-After: {outcome:?}");
    };
    assert!(
        reason.contains("429") || reason.contains("rate"),
        "{reason}"
    );
    assert!(retry_after >= 1, "{retry_after}");
    assert!(
        retry_at >= t + retry_after,
        "{retry_at} vs {t} + {retry_after}"
    );
    let seen = doorpass_tests::renew_requests_seen(&issuer.url()).await;
    // Asked again before that time, the wallet does not send anything.
    let again = wallet.renew_pass(&enrolled.id, t + 1, true).await.unwrap();
    assert_eq!(again, RenewalOutcome::Waiting { retry_at });
    assert_eq!(
        doorpass_tests::renew_requests_seen(&issuer.url()).await,
        seen
    );
    // The background scheduler is not woken before then either (here: the pass's own renew-after).
    assert!(wallet.next_renewal_at().unwrap() >= retry_at);
    // And the pass in hand is untouched.
    assert_eq!(wallet.passes(t)[0].state, PassState::Active);
    assert!(wallet.current_qr(None, t, false).is_ok());
}

#[tokio::test]
async fn a_stolen_and_reused_refresh_token_ends_in_reauthentication_not_a_lost_pass() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let secrets_file = home.path().join("secrets.json");
    let secrets: Arc<dyn SecretStore> = Arc::new(FileSecretStore::new(secrets_file.clone()));
    let wallet = issuer.wallet(home.path(), secrets, WalletOptions::default());
    let enrolled = issuer.enrol(&wallet, "demo-kim").await;
    // A copy of the first refresh token, as a thief (or a restored backup) would hold it.
    let stolen = std::fs::read(&secrets_file).unwrap();
    for _ in 0..2 {
        let renewed = wallet.renew_pass(&enrolled.id, now(), true).await.unwrap();
        assert!(
            matches!(renewed, RenewalOutcome::Renewed { .. }),
            "{renewed:?}"
        );
    }
    let shown = wallet.passes(now())[0].details.clone().unwrap().pass_id;
    drop(wallet);
    // The old token comes back: the issuer sees reuse and revokes the whole chain.
    std::fs::write(&secrets_file, &stolen).unwrap();
    let secrets: Arc<dyn SecretStore> = Arc::new(FileSecretStore::new(secrets_file.clone()));
    let wallet = Wallet::open(home.path(), secrets, None, WalletOptions::default()).unwrap();
    let outcome = wallet.renew_pass(&enrolled.id, now(), true).await.unwrap();
    assert!(
        matches!(&outcome, RenewalOutcome::ReauthRequired { reason } if reason.contains("used")),
        "{outcome:?}"
    );
    let held = wallet.passes(now())[0].clone();
    assert_eq!(held.state, PassState::ReauthRequired);
    assert_eq!(
        held.details.unwrap().pass_id,
        shown,
        "the pass in hand stays"
    );
    assert!(wallet.current_qr(None, now(), false).is_ok());
    // One short code flow, same holder key, and renewal works again.
    issuer.enrol(&wallet, "demo-kim").await;
    let renewed = wallet.renew_pass(&enrolled.id, now(), true).await.unwrap();
    assert!(
        matches!(renewed, RenewalOutcome::Renewed { .. }),
        "{renewed:?}"
    );
}
