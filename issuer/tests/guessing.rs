//! One-time-code guessing, played as an attacker would over real HTTP on 127.0.0.1: a new challenge
//! ends the older ones, and wrong codes are capped per subject across all its challenges.

mod common;

use std::time::Instant;

use common::{error_of, futures_join_all};
use doorpass_format::keys::generate_signing_key;
use doorpass_issuer::enrolment::DEFAULT_FAILURE_CAP;
use serde_json::Value;

#[tokio::test]
async fn a_new_challenge_ends_the_older_ones() {
    let issuer = common::start(|_| {}).await;
    let key = generate_signing_key();
    let older = issuer.start_enrolment("demo-kim", &key).await;
    let older_code = issuer.dev_code("demo-kim").await;
    let newer = issuer.start_enrolment("demo-kim", &key).await;
    let newer_code = issuer.dev_code("demo-kim").await;
    let (status, _, body) = issuer.complete(&older, &older_code, &key).await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("newer code"),
        "{body}"
    );
    let (status, _, body) = issuer.complete(&newer, &newer_code, &key).await;
    assert_eq!(status, 200, "{body}");
    issuer.stop().await;
}

/// The attacker's best play: start a challenge, spend its five tries at once, start the next, for as
/// long as the issuer lets them. Counts the guesses the issuer actually checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_codes_are_capped_per_subject_across_challenges() {
    let issuer = common::start(|_| {}).await;
    let subject = "demo-lee";
    let attacker = generate_signing_key();
    let started = Instant::now();
    let (mut sent, mut challenges) = (0u32, 0u32);
    let mut refused_start: Option<(u16, Option<u64>, Value)> = None;
    for _ in 0..40 {
        let (status, retry_after, body) = issuer
            .post(
                doorpass_format::api::ENROLMENT_START_PATH,
                &serde_json::json!({
                    "subject": subject,
                    "holder_key": doorpass_format::api::b64(attacker.verifying_key().as_bytes()),
                }),
            )
            .await;
        if status != 202 {
            refused_start = Some((status, retry_after, body));
            break;
        }
        challenges += 1;
        let id = body["challenge_id"].as_str().unwrap().to_string();
        // Guesses that cannot be right: the dev code is known here, the attacker's guesses avoid it.
        let right: u32 = issuer.dev_code(subject).await.parse().unwrap();
        let guesses: Vec<String> = (1..=5)
            .map(|k| format!("{:06}", (right + k) % 1_000_000))
            .collect();
        let answers =
            futures_join_all(guesses.iter().map(|g| issuer.complete(&id, g, &attacker))).await;
        for (status, _, body) in &answers {
            sent += 1;
            match (status, body["error"].as_str().unwrap_or("")) {
                (401, "invalid_code") | (403, "challenge_locked") | (429, "rate_limited") => {}
                other => panic!("unexpected answer {other:?}: {body}"),
            }
        }
    }
    let cap = DEFAULT_FAILURE_CAP.max_failures;
    // Every wrong code that was checked is recorded against the subject.
    let counted = subject.to_string();
    let checked = issuer
        .inspect(move |tx| tx.newest_failures(&counted, 0, u32::MAX))
        .await
        .len() as u32;
    eprintln!(
        "code guessing: {checked} of {sent} guesses checked over {challenges} challenges in {:.1} s; \
         then starts refused for a day",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(checked, cap, "guesses checked for the subject");
    // The next start is refused with a time to come back, a day after the first failure.
    let (status, retry_after, body) = refused_start.expect("starts are refused at the cap");
    assert_eq!(status, 429, "{body}");
    let wait = retry_after.expect("Retry-After");
    assert!(
        (86_400 - 120..=86_400).contains(&wait),
        "Retry-After {wait} s"
    );
    assert!(
        body["message"].as_str().unwrap().contains("try again at"),
        "{body}"
    );
    issuer.stop().await;
}

#[tokio::test]
async fn the_right_code_is_not_checked_once_the_subject_is_capped() {
    let issuer = common::start(|c| c.code_failure_cap.max_failures = 3).await;
    let key = generate_signing_key();
    let id = issuer.start_enrolment("demo-choi", &key).await;
    let code = issuer.dev_code("demo-choi").await;
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let mut left = Vec::new();
    for _ in 0..2 {
        let (status, _, body) = issuer.complete(&id, &wrong, &key).await;
        assert_eq!(status, 401, "{body}");
        left.push(body["attempts_left"].as_u64().unwrap());
    }
    assert_eq!(left, [2, 1], "the subject's budget is the tighter one");
    let (status, retry_after, body) = issuer.complete(&id, &wrong, &key).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (429, "rate_limited")
    );
    assert!(retry_after.unwrap() > 86_000);
    assert_eq!(
        error_of(issuer.complete(&id, &code, &key).await),
        (429, "rate_limited".into()),
        "the right code waits too"
    );
    issuer.stop().await;
}
