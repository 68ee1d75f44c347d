//! The wallet against an issuer on 127.0.0.1 that is down, slow, shedding load or rate limiting:
//! renewal backs off as told and the pass in hand is never lost.

use std::sync::Arc;
use std::time::Duration;

use doorpass_issuer::service::Faults;
use doorpass_tests::{TestIssuer, now};
use doorpass_wallet::retry::RetryPolicy;
use doorpass_wallet::secret_store::{FileSecretStore, SecretStore};
use doorpass_wallet::wallet::{PassState, RenewalOutcome, Wallet, WalletOptions, WalletSetup};

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
        replace_issuer: true, // restarted on another port
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
        replace_issuer: true, // restarted on another port
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
