//! Renewal over real HTTP on 127.0.0.1: refresh-token rotation, reuse detection that revokes the
//! chain, retries of a lost answer, concurrent renewals, and what a renewed pass verifies as.

mod common;

use common::error_of;

use doorpass_format::api::{self, b64};
use doorpass_format::keys::generate_signing_key;
use doorpass_format::{Pass, Presentation, Verifier, VerifierPolicy};
use doorpass_issuer::codes::token_hash;
use doorpass_issuer::store::TokenState;
use doorpass_issuer::unix_now;
use std::time::{Duration, Instant};

#[tokio::test]
async fn renewal_rotates_the_refresh_token_and_reuse_revokes_the_chain() {
    let issuer = common::start(|_| {}).await;
    let (key, first) = issuer.enrol("demo-kim").await;
    let token_a = first["refresh_token"].as_str().unwrap().to_string();
    let (status, _, second) = issuer.renew(&token_a, &key).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["pass_id"], first["pass_id"], "a new pass");
    let token_b = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(token_a, token_b);
    // A proof by another key is refused and revokes nothing.
    assert_eq!(
        error_of(issuer.renew(&token_b, &generate_signing_key()).await),
        (401, "bad_proof".into())
    );
    let (_, token_c) = issuer.renew_ok(&token_b, &key).await;
    // A again, after its successor B was used: reuse. The whole chain is revoked, C too.
    assert_eq!(
        error_of(issuer.renew(&token_a, &key).await),
        (401, "refresh_token_reused".into())
    );
    assert_eq!(
        error_of(issuer.renew(&token_c, &key).await),
        (401, "invalid_refresh_token".into())
    );
    // An unknown token.
    let (status, _, body) = issuer.renew(&b64(&[9; 32]), &key).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (401, "invalid_refresh_token")
    );
    issuer.stop().await;
}

#[tokio::test]
async fn a_lost_renewal_answer_is_given_again_unchanged_and_nothing_new_is_minted() {
    let issuer = common::start(|_| {}).await;
    let (key, first) = issuer.enrol("demo-lee").await;
    let token_a = first["refresh_token"].as_str().unwrap().to_string();
    // The issuer commits A → B, but the answer never reaches the wallet.
    let (lost, token_b) = issuer.renew_ok(&token_a, &key).await;
    // The wallet retries with A, twice: the same answer each time, as with an idempotency key.
    for _ in 0..2 {
        let (retried, token) = issuer.renew_ok(&token_a, &key).await;
        assert_eq!(retried, lost, "the very same pass and successor token");
        assert_eq!(token, token_b);
    }
    assert_eq!(
        issuer.inspect(|tx| tx.pass_count()).await,
        2,
        "enrolment + one renewal"
    );
    assert_eq!(token_state(&issuer, &token_b).await, TokenState::Active);
    // The successor works…
    let (_, token_c) = issuer.renew_ok(&token_b, &key).await;
    // …and once it is used, A is reuse: the chain is revoked.
    assert_eq!(
        error_of(issuer.renew(&token_a, &key).await),
        (401, "refresh_token_reused".into())
    );
    assert_eq!(
        error_of(issuer.renew(&token_c, &key).await),
        (401, "invalid_refresh_token".into()),
        "the chain is revoked"
    );
    issuer.stop().await;
}

#[tokio::test]
async fn the_retry_grace_counts_from_the_renewal_and_retries_never_extend_it() {
    let issuer = common::start(|c| c.lifetimes.retry_grace = Duration::from_secs(2)).await;
    let (key, first) = issuer.enrol("demo-park").await;
    let token_a = first["refresh_token"].as_str().unwrap().to_string();
    // The issuer counts whole seconds: renew just after one starts, so that 1.2 s later is inside
    // the 2-s grace and 3.1 s later is past it, whatever the sub-second phase.
    let into_second = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_millis();
    tokio::time::sleep(Duration::from_millis(u64::from(1050 - into_second))).await;
    let renewed_at = Instant::now();
    let (lost, token_b) = issuer.renew_ok(&token_a, &key).await;
    // A copy of A and its proof replays the same answer inside the grace, and only then.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (status, _, again) = issuer.renew(&token_a, &key).await;
    assert_eq!((status, &again), (200, &lost));
    tokio::time::sleep(Duration::from_millis(3100).saturating_sub(renewed_at.elapsed())).await;
    assert_eq!(
        error_of(issuer.renew(&token_a, &key).await),
        (401, "refresh_token_reused".into()),
        "past the grace from the renewal, although a retry came 1.2 s in"
    );
    assert_eq!(
        error_of(issuer.renew(&token_b, &key).await),
        (401, "invalid_refresh_token".into())
    );
    issuer.stop().await;
}

#[tokio::test]
async fn a_retry_after_the_successor_was_used_is_reuse() {
    let issuer = common::start(|_| {}).await;
    let (key, first) = issuer.enrol("demo-park").await;
    let token_a = first["refresh_token"].as_str().unwrap().to_string();
    let (_, _, second) = issuer.renew(&token_a, &key).await;
    let token_b = second["refresh_token"].as_str().unwrap().to_string();
    let (_, token_c) = issuer.renew_ok(&token_b, &key).await;
    assert_eq!(
        error_of(issuer.renew(&token_a, &key).await),
        (401, "refresh_token_reused".into())
    );
    assert_eq!(
        error_of(issuer.renew(&token_c, &key).await),
        (401, "invalid_refresh_token".into())
    );
    issuer.stop().await;
}

#[tokio::test]
async fn a_retry_after_the_grace_period_is_reuse() {
    let issuer = common::start(|c| c.lifetimes.retry_grace = Duration::from_secs(1)).await;
    let (key, first) = issuer.enrol("demo-choi").await;
    let token_a = first["refresh_token"].as_str().unwrap().to_string();
    let (_, _, second) = issuer.renew(&token_a, &key).await;
    let token_b = second["refresh_token"].as_str().unwrap().to_string();
    // Let the exchange age past the grace period (whole seconds: 1 s grace, 2.1 s later).
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        error_of(issuer.renew(&token_a, &key).await),
        (401, "refresh_token_reused".into())
    );
    let (status, _, body) = issuer.renew(&token_b, &key).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (401, "invalid_refresh_token")
    );
    issuer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_renewals_with_one_token_never_leave_two_usable_successors() {
    let issuer = common::start(|_| {}).await;
    for round in 0..6 {
        let (key, first) = issuer.enrol("demo-kim").await;
        let token_a = first["refresh_token"].as_str().unwrap().to_string();
        let (_, successors) = common::renew_at_once(&[&issuer, &issuer], &token_a, &key).await;
        assert!(successors.len() <= 1, "round {round}: {successors:?}");
        let mut active = 0;
        for token in &successors {
            if token_state(&issuer, token).await == TokenState::Active {
                active += 1;
            }
        }
        assert!(active <= 1, "round {round}: {active} live successors");
        // Over HTTP too: at most one of the tokens handed out renews.
        let mut renewed = 0;
        for token in &successors {
            if issuer.renew(token, &key).await.0 == 200 {
                renewed += 1;
            }
        }
        assert!(renewed <= 1, "round {round}: {renewed} successors renewed");
    }
    issuer.stop().await;
}

#[tokio::test]
async fn a_renewed_pass_verifies_against_the_served_trust_list() {
    let issuer = common::start(|_| {}).await;
    let (key, first) = issuer.enrol("demo-kim").await;
    let token = first["refresh_token"].as_str().unwrap();
    let (status, _, renewed) = issuer.renew(token, &key).await;
    assert_eq!(status, 200, "{renewed}");
    let trust_list = issuer.served_trust_list().await;
    let pass =
        Pass::parse(&api::b64_vec(renewed["pass"].as_str().unwrap(), 4096).unwrap()).unwrap();
    assert_eq!(
        pass.claims().pass_id_hex(),
        renewed["pass_id"].as_str().unwrap()
    );
    assert_ne!(renewed["pass_id"], first["pass_id"]);
    assert_eq!(pass.claims().holder_key, key.verifying_key());
    let now = unix_now();
    let text = Presentation::rotating(pass.bytes(), &key, now).to_qr_text();
    let verdict = Verifier::new(trust_list, VerifierPolicy::default()).verify_qr_text(&text, now);
    assert!(verdict.is_valid(), "{verdict:?}");
    issuer.stop().await;
}

/// The stored state of refresh token `token` (base64url), read from the issuer's database.
async fn token_state(issuer: &common::TestIssuer, token: &str) -> TokenState {
    let hash = token_hash(&api::b64_fixed::<32>(token).unwrap());
    issuer
        .inspect(move |tx| tx.refresh_token(&hash))
        .await
        .unwrap()
        .state
}
