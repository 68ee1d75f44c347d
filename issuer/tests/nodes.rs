//! Several issuer nodes on one database behave as one issuer: races between nodes over real HTTP on
//! 127.0.0.1. On PostgreSQL when `DOORPASS_TEST_DATABASE=postgres` (the test command runs them so,
//! on a private server); otherwise the nodes share the SQLite file, each with its own writer.

mod common;

use common::{TestIssuer, error_of, futures_join_all};
use doorpass_format::api::{self, b64};
use doorpass_format::keys::generate_signing_key;
use doorpass_issuer::enrolment::DEFAULT_FAILURE_CAP;
use doorpass_issuer::store::{StartCap, TokenState};
use doorpass_issuer::testing::DevIssuer;
use doorpass_issuer::testing::tests_on_postgres;
use serde_json::json;

#[tokio::test]
async fn the_nodes_run_on_the_database_the_test_command_asked_for() {
    let issuer = common::start(|_| {}).await;
    assert_eq!(issuer.on_postgres(), tests_on_postgres());
    issuer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_challenge_started_on_one_node_completes_on_another() {
    let issuer = common::start(|_| {}).await;
    let node = issuer.add_node().await;
    let b = issuer.on(&node);
    let key = generate_signing_key();
    let id = issuer.start_enrolment("demo-kim", &key).await;
    // Codes are read back from the node that sent them (dev delivery is per node).
    let code = issuer.dev_code("demo-kim").await;
    let (status, _, body) = b.complete(&id, &code, &key).await;
    assert_eq!(status, 200, "{body}");
    // And the pass renews on the first node.
    let token = body["refresh_token"].as_str().unwrap();
    assert_eq!(issuer.renew(token, &key).await.0, 200);
    drop(b);
    node.stop().await.unwrap();
    issuer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_challenge_completed_on_two_nodes_at_once_issues_one_pass() {
    let issuer = common::start(|_| {}).await;
    let node = issuer.add_node().await;
    let b = issuer.on(&node);
    for round in 0..6u64 {
        let key = generate_signing_key();
        let id = issuer.start_enrolment("demo-lee", &key).await;
        let code = issuer.dev_code("demo-lee").await;
        let answers = futures_join_all(
            [&issuer, &b]
                .into_iter()
                .map(|n| n.complete(&id, &code, &key)),
        )
        .await;
        // One of them completes it; the other, decided after it under the subject's lock, is a
        // retry of the same completion and gets the very same answer (issue 20), never a second pass.
        assert!(
            answers.iter().all(|a| a.0 == 200),
            "round {round}: {answers:?}"
        );
        assert_eq!(
            answers[0].2["pass_id"], answers[1].2["pass_id"],
            "round {round}"
        );
        assert_eq!(
            answers[0].2["refresh_token"], answers[1].2["refresh_token"],
            "round {round}"
        );
        assert_eq!(
            issuer.inspect(|tx| tx.pass_count()).await,
            round + 1,
            "round {round}: one pass recorded per challenge"
        );
    }
    drop(b);
    node.stop().await.unwrap();
    issuer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_refresh_token_renewed_on_two_nodes_at_once_leaves_one_usable_successor() {
    let issuer = common::start(|_| {}).await;
    let node = issuer.add_node().await;
    let b = issuer.on(&node);
    for round in 0..6 {
        let (key, first) = issuer.enrol("demo-park").await;
        let token = first["refresh_token"].as_str().unwrap().to_string();
        let (answers, successors) = common::renew_at_once(&[&issuer, &b], &token, &key).await;
        assert_eq!(successors.len(), 1, "round {round}: {answers:?}");
        let hash = doorpass_issuer::codes::token_hash(&api::b64_fixed(&successors[0]).unwrap());
        let state = issuer
            .inspect(move |tx| tx.refresh_token(&hash))
            .await
            .map(|t| t.state);
        // Reuse revokes the chain; otherwise the one successor is usable, on either node.
        if answers.iter().all(|a| a.0 == 200) {
            assert_eq!(state, Some(TokenState::Active), "round {round}");
            assert_eq!(b.renew(&successors[0], &key).await.0, 200, "round {round}");
        } else {
            assert_eq!(state, Some(TokenState::Revoked), "round {round}");
        }
    }
    drop(b);
    node.stop().await.unwrap();
    issuer.stop().await;
}

/// An attacker spreads wrong codes over three nodes at once, challenge after challenge: the subject's
/// cap (10 a day) still holds across them, and each code is checked once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_guessed_on_three_nodes_stay_within_the_subject_cap() {
    let issuer = common::start(|_| {}).await;
    let (n2, n3) = (issuer.add_node().await, issuer.add_node().await);
    let nodes = [issuer.on(&n2), issuer.on(&n3)];
    let all: [&TestIssuer; 3] = [&issuer, &nodes[0], &nodes[1]];
    let subject = "demo-choi";
    let attacker = generate_signing_key();
    let cap = DEFAULT_FAILURE_CAP.max_failures;
    let mut refused_start = None;
    for round in 0..10 {
        let (status, retry_after, body) = all[round % 3]
            .post(
                api::ENROLMENT_START_PATH,
                &json!({ "subject": subject, "holder_key": b64(attacker.verifying_key().as_bytes()) }),
            )
            .await;
        if status != 202 {
            refused_start = Some((status, retry_after, body));
            break;
        }
        let id = body["challenge_id"].as_str().unwrap().to_string();
        let right: u32 = all[round % 3].dev_code(subject).await.parse().unwrap();
        // Six wrong guesses at once, two per node.
        let guesses: Vec<(usize, String)> = (1..=6)
            .map(|k| (k % 3, format!("{:06}", (right + k as u32) % 1_000_000)))
            .collect();
        let answers = futures_join_all(
            guesses
                .iter()
                .map(|(n, code)| all[*n].complete(&id, code, &attacker)),
        )
        .await;
        for (status, _, body) in &answers {
            let error = body["error"].as_str().unwrap_or("");
            assert!(
                matches!(
                    (status, error),
                    (401, "invalid_code") | (403, "challenge_locked") | (429, "rate_limited")
                ),
                "round {round}: {status} {body}"
            );
        }
    }
    let counted = issuer
        .inspect(move |tx| tx.newest_failures(subject, 0, u32::MAX))
        .await
        .len() as u32;
    assert_eq!(counted, cap, "wrong codes checked across the nodes");
    let (status, retry_after, body) = refused_start.expect("starts are refused at the cap");
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("rate_limited"))
    );
    assert!(retry_after.is_some_and(|s| s > 3600), "{retry_after:?}");
    drop(nodes);
    n2.stop().await.unwrap();
    n3.stop().await.unwrap();
    issuer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_give_a_subject_no_more_starts_than_one() {
    let three_per_window = |c: &mut doorpass_issuer::IssuerConfig| {
        c.subject_starts = Some(StartCap {
            max_starts: 3,
            window_secs: 900,
        });
    };
    let issuer = common::start(three_per_window).await;
    let node = DevIssuer::add_node(&issuer, three_per_window).await;
    let b = issuer.on(&node);
    let body = |subject: &str| {
        let key = generate_signing_key();
        json!({ "subject": subject, "holder_key": b64(key.verifying_key().as_bytes()) })
    };
    // Starts alternate between the nodes: three in all, whichever node sends them.
    for (i, n) in [&issuer, &b, &issuer].into_iter().enumerate() {
        let (status, _, answer) = n.post(api::ENROLMENT_START_PATH, &body("demo-kim")).await;
        assert_eq!(status, 202, "start {i}: {answer}");
    }
    for n in [&b, &issuer] {
        let refused = n.post(api::ENROLMENT_START_PATH, &body("demo-kim")).await;
        let retry_after = refused.1.expect("Retry-After");
        assert!((1..=900).contains(&retry_after), "{retry_after}");
        assert_eq!(error_of(refused), (429, "rate_limited".into()));
    }
    // Unknown subjects are counted the same way (the answer does not tell them apart), and other
    // subjects are not affected.
    for _ in 0..3 {
        assert_eq!(
            b.post(api::ENROLMENT_START_PATH, &body("nobody")).await.0,
            202
        );
    }
    assert_eq!(
        error_of(
            issuer
                .post(api::ENROLMENT_START_PATH, &body("nobody"))
                .await
        ),
        (429, "rate_limited".into())
    );
    assert_eq!(
        b.post(api::ENROLMENT_START_PATH, &body("demo-lee")).await.0,
        202
    );
    drop(b);
    node.stop().await.unwrap();
    issuer.stop().await;
}
