//! A completion whose answer was lost (issue 20, item 4): completing an enrolment revokes the
//! subject's older passes, so a retry of the same completion (same challenge, code and proof) must
//! get the very same answer, or a network blip would leave the holder with a revoked pass and no new
//! one. Against the real issuer on 127.0.0.1 and its database.

mod common;

use std::time::Duration;

use doorpass_format::keys::generate_signing_key;
use serde_json::Value;

/// Starts an enrolment for `subject`; returns the holder key, challenge and code.
async fn challenge(
    issuer: &common::TestIssuer,
    subject: &str,
) -> (doorpass_format::keys::SigningKey, String, String) {
    let key = generate_signing_key();
    let id = issuer.start_enrolment(subject, &key).await;
    let code = issuer.dev_code(subject).await;
    (key, id, code)
}

fn same_answer(a: &Value, b: &Value) {
    for field in [
        "pass",
        "refresh_token",
        "pass_id",
        "expires_at",
        "renew_after",
        "refresh_expires_at",
    ] {
        assert_eq!(a[field], b[field], "{field} differs");
    }
}

#[tokio::test]
async fn a_lost_completion_answer_is_given_again_unchanged_and_nothing_new_is_minted() {
    let issuer = common::start(|_| {}).await;
    // The holder re-authenticates: completing revokes the pass they had.
    let (_, old) = issuer.enrol("demo-kim").await;
    let (key, id, code) = challenge(&issuer, "demo-kim").await;
    let (status, _, first) = issuer.complete(&id, &code, &key).await;
    assert_eq!(status, 200, "{first}");
    let passes = issuer.inspect(|tx| tx.pass_count()).await;

    // The answer never reached the phone; it asks again with the same code and proof.
    let (status, _, again) = issuer.complete(&id, &code, &key).await;
    assert_eq!(status, 200, "{again}");
    same_answer(&first, &again);
    assert_eq!(issuer.inspect(|tx| tx.pass_count()).await, passes);
    assert_ne!(old["pass_id"], first["pass_id"]);

    // The answer works: its token renews (and a retry after that is no longer answered).
    let token = again["refresh_token"].as_str().unwrap();
    issuer.renew_ok(token, &key).await;
    let (status, _, body) = issuer.complete(&id, &code, &key).await;
    assert_eq!(status, 404, "the token it gave out is spent: {body}");
}

#[tokio::test]
async fn a_retry_needs_the_right_code_and_proof_and_comes_within_the_grace() {
    let issuer = common::start(|c| c.lifetimes.retry_grace = Duration::from_secs(1)).await;
    let (key, id, code) = challenge(&issuer, "demo-kim").await;
    let (status, _, _) = issuer.complete(&id, &code, &key).await;
    assert_eq!(status, 200);

    // Another code: not a retry, and not counted as a wrong code either.
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let (status, _, body) = issuer.complete(&id, wrong, &key).await;
    assert_eq!(status, 404, "{body}");
    // Another key's proof: refused.
    let (status, _, body) = issuer.complete(&id, &code, &generate_signing_key()).await;
    assert_eq!(status, 401, "{body}");
    let failures = issuer
        .inspect(|tx| tx.newest_failures("demo-kim", 0, 100))
        .await;
    assert!(failures.is_empty(), "{failures:?}");

    // Past the grace (1 s, counted in whole seconds from the completion): refused.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, _, body) = issuer.complete(&id, &code, &key).await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn a_retry_after_the_subject_re_enrolled_again_gets_nothing() {
    let issuer = common::start(|_| {}).await;
    let (key, id, code) = challenge(&issuer, "demo-kim").await;
    assert_eq!(issuer.complete(&id, &code, &key).await.0, 200);
    // A newer enrolment revoked the chain this completion gave out.
    issuer.enrol("demo-kim").await;
    let (status, _, body) = issuer.complete(&id, &code, &key).await;
    assert_eq!(status, 404, "{body}");
}
