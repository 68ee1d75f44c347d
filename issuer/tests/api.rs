//! The issuer over real HTTP on 127.0.0.1: enrolment, renewal, refresh-token rotation and reuse
//! detection, code rules, bad input, dev routes, and what the passes it issues verify as.

mod common;

use common::error_of;

use std::time::Duration;

use doorpass_format::api::{self, b64};
use doorpass_format::keys::{generate_signing_key, read_public_key};
use doorpass_format::{Pass, Presentation, TrustList, Verifier, VerifierPolicy};
use doorpass_issuer::codes::token_hash;
use doorpass_issuer::renewal::RETRY_GRACE_SECS;
use doorpass_issuer::store::{self, ChallengeState, HolderRecord, TokenState, open_connection};
use doorpass_issuer::unix_now;
use serde_json::json;

#[tokio::test]
async fn enrolled_pass_verifies_against_the_served_trust_list() {
    let issuer = common::start(|_| {}).await;
    let (key, issued) = issuer.enrol("demo-lee").await;
    let r = issuer.get(api::TRUST_LIST_PATH).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/cose");
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let anchor = read_public_key(&issuer.dir.path().join("anchor.pub.pem")).unwrap();
    let trust_list = TrustList::verify(&r.bytes().await.unwrap(), &anchor).unwrap();
    // A cached copy is confirmed with 304.
    let r = issuer
        .http
        .get(issuer.url(api::TRUST_LIST_PATH))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);

    let pass = Pass::parse(&api::b64_vec(issued["pass"].as_str().unwrap(), 4096).unwrap()).unwrap();
    assert_eq!(pass.claims().display_name, "이서연 Lee Seoyun");
    assert_eq!(pass.claims().holder_key, key.verifying_key());
    assert_eq!(
        pass.claims().pass_id_hex(),
        issued["pass_id"].as_str().unwrap()
    );
    let c = pass.claims();
    let third = (c.expires_at - c.not_before) / 3;
    assert!(
        c.renew_after >= c.expires_at - third && c.renew_after < c.expires_at,
        "renew-after in the last third"
    );
    assert_eq!(issued["renew_after"].as_u64().unwrap(), c.renew_after);
    let now = unix_now();
    let text = Presentation::rotating(pass.bytes(), &key, now).to_qr_text();
    let verdict = Verifier::new(trust_list, VerifierPolicy::default()).verify_qr_text(&text, now);
    assert!(verdict.is_valid(), "{verdict:?}");
    issuer.stop().await;
}

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
async fn a_lost_renewal_answer_is_retried_with_the_old_token_without_revoking() {
    let issuer = common::start(|_| {}).await;
    let (key, first) = issuer.enrol("demo-lee").await;
    let token_a = first["refresh_token"].as_str().unwrap().to_string();
    // The issuer commits A → B, but the answer never reaches the wallet.
    let (lost, token_b) = issuer.renew_ok(&token_a, &key).await;
    // The wallet retries with A: a retry, not reuse.
    let (retried, token_c) = issuer.renew_ok(&token_a, &key).await;
    assert_ne!(token_c, token_b);
    assert_ne!(retried["pass_id"], lost["pass_id"]);
    // Retrying once more is still fine while the newest successor is unused.
    let (_, token_c) = issuer.renew_ok(&token_a, &key).await;
    let conn = open_connection(&issuer.db(), Default::default()).unwrap();
    let state = |token: &str| {
        let raw: [u8; 32] = api::b64_fixed(token).unwrap();
        store::refresh_token(&conn, &token_hash(&raw))
            .unwrap()
            .unwrap()
            .state
    };
    assert_eq!(state(&token_b), TokenState::Superseded);
    assert_eq!(state(&token_c), TokenState::Active);
    // The new token works…
    let (_, token_d) = issuer.renew_ok(&token_c, &key).await;
    // …and A can no longer be retried, since its successor has been used.
    // The discarded successor B is refused, and presenting it revokes the chain.
    assert_eq!(
        error_of(issuer.renew(&token_b, &key).await),
        (401, "refresh_token_reused".into())
    );
    assert_eq!(
        error_of(issuer.renew(&token_d, &key).await),
        (401, "invalid_refresh_token".into()),
        "the chain is revoked"
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
    let issuer = common::start(|_| {}).await;
    let (key, first) = issuer.enrol("demo-choi").await;
    let token_a = first["refresh_token"].as_str().unwrap().to_string();
    let (_, _, second) = issuer.renew(&token_a, &key).await;
    let token_b = second["refresh_token"].as_str().unwrap().to_string();
    // Age the exchange past the grace period.
    let raw: [u8; 32] = api::b64_fixed(&token_a).unwrap();
    let conn = open_connection(&issuer.db(), Default::default()).unwrap();
    conn.execute(
        "UPDATE refresh_tokens SET used_at = ?2 WHERE token_hash = ?1",
        rusqlite::params![
            &token_hash(&raw)[..],
            (unix_now() - RETRY_GRACE_SECS - 1) as i64
        ],
    )
    .unwrap();
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
        let answers = futures_join_all((0..2).map(|_| issuer.renew(&token_a, &key))).await;
        let successors: Vec<String> = answers
            .iter()
            .filter(|a| a.0 == 200)
            .map(|a| a.2["refresh_token"].as_str().unwrap().to_string())
            .collect();
        for (status, _, body) in &answers {
            assert!(
                *status == 200 || body["error"] == "refresh_token_reused",
                "round {round}: {status} {body}"
            );
        }
        let conn = open_connection(&issuer.db(), Default::default()).unwrap();
        let active = successors
            .iter()
            .filter(|t| {
                let raw: [u8; 32] = api::b64_fixed(t).unwrap();
                store::refresh_token(&conn, &token_hash(&raw))
                    .unwrap()
                    .unwrap()
                    .state
                    == TokenState::Active
            })
            .count();
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
    let anchor = read_public_key(&issuer.dir.path().join("anchor.pub.pem")).unwrap();
    let served = issuer
        .get(api::TRUST_LIST_PATH)
        .await
        .bytes()
        .await
        .unwrap();
    let trust_list = TrustList::verify(&served, &anchor).unwrap();
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

#[tokio::test]
async fn five_wrong_codes_lock_the_challenge() {
    let issuer = common::start(|_| {}).await;
    let key = generate_signing_key();
    let id = issuer.start_enrolment("demo-park", &key).await;
    let code = issuer.dev_code("demo-park").await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for left in (1..=4).rev() {
        let (status, _, body) = issuer.complete(&id, wrong, &key).await;
        assert_eq!(
            (status, body["error"].as_str().unwrap()),
            (401, "invalid_code")
        );
        assert_eq!(body["attempts_left"], left);
    }
    assert_eq!(
        error_of(issuer.complete(&id, wrong, &key).await),
        (403, "challenge_locked".into())
    );
    // Even the right code no longer works on this challenge.
    let (status, _, body) = issuer.complete(&id, &code, &key).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (403, "challenge_locked")
    );
    issuer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_wrong_codes_get_five_tries_at_most() {
    let issuer = common::start(|_| {}).await;
    for round in 0..5 {
        let key = generate_signing_key();
        let id = issuer.start_enrolment("demo-park", &key).await;
        let code = issuer.dev_code("demo-park").await;
        let right: u32 = code.parse().unwrap();
        // 20 distinct wrong codes, with the right one in the middle, all at once.
        let mut codes: Vec<String> = (1..=20)
            .map(|k| format!("{:06}", (right + k) % 1_000_000))
            .collect();
        let middle = 2 * round + 5;
        codes.insert(middle, code.clone());
        let answers = futures_join_all(codes.iter().map(|c| issuer.complete(&id, c, &key))).await;
        let conn = open_connection(&issuer.db(), Default::default()).unwrap();
        let id_bytes: [u8; 16] = api::b64_fixed(&id).unwrap();
        let record = store::challenge(&conn, &id_bytes).unwrap().unwrap();
        assert!(
            record.attempts <= 5,
            "round {round}: {} tries counted",
            record.attempts
        );
        let mut tries_left = Vec::new();
        let mut locked = 0;
        for (i, (status, _, body)) in answers.iter().enumerate() {
            let error = body["error"].as_str().unwrap_or("");
            if i == middle {
                continue;
            }
            match (status, error) {
                (401, "invalid_code") => tries_left.push(body["attempts_left"].as_u64().unwrap()),
                (403, "challenge_locked") => locked += 1,
                (404, "unknown_challenge") => {}
                other => panic!("round {round}: wrong code answered {other:?}: {body}"),
            }
        }
        // Every "N tries left" is a try that was counted, each one once.
        assert!(tries_left.len() <= 5, "round {round}: {tries_left:?}");
        tries_left.sort_unstable();
        let counted: Vec<u64> = (5 - tries_left.len() as u64..5).rev().collect();
        tries_left.reverse();
        assert_eq!(tries_left, counted, "round {round}");
        let (status, _, body) = &answers[middle];
        match record.state {
            ChallengeState::Used => {
                // The right code came before the lock: every wrong code counted before it got
                // "tries left", every later one `unknown_challenge`, none `challenge_locked`.
                assert_eq!(*status, 200, "round {round}: {body}");
                assert!(record.attempts < 5 && locked == 0, "round {round}");
                assert_eq!(tries_left.len() as u32, record.attempts, "round {round}");
            }
            ChallengeState::Locked => {
                // The fifth wrong code locked it; the right code, and all later wrong ones, were
                // refused as locked.
                assert_eq!(
                    (*status, body["error"].as_str().unwrap()),
                    (403, "challenge_locked"),
                    "round {round}"
                );
                assert_eq!(record.attempts, 5, "round {round}");
                assert_eq!(tries_left.len(), 4, "round {round}");
                assert_eq!(locked, 20 - 4, "round {round}");
            }
            ChallengeState::Open => panic!("round {round}: the challenge is still open"),
        }
    }
    issuer.stop().await;
}

#[tokio::test]
async fn codes_are_single_use_and_a_bad_proof_costs_no_try() {
    let issuer = common::start(|_| {}).await;
    let key = generate_signing_key();
    let id = issuer.start_enrolment("demo-choi", &key).await;
    let code = issuer.dev_code("demo-choi").await;
    assert_eq!(
        error_of(issuer.complete(&id, &code, &generate_signing_key()).await),
        (401, "bad_proof".into())
    );
    let (status, _, body) = issuer.complete(&id, &code, &key).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        error_of(issuer.complete(&id, &code, &key).await),
        (404, "unknown_challenge".into())
    );
    // A wrong code on a used challenge says so, not "N tries left".
    let wrong = if code == "000000" { "000001" } else { "000000" };
    assert_eq!(
        error_of(issuer.complete(&id, wrong, &key).await),
        (404, "unknown_challenge".into())
    );
    issuer.stop().await;
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let issuer = common::start(|c| c.lifetimes.code = Duration::from_secs(1)).await;
    let key = generate_signing_key();
    let id = issuer.start_enrolment("demo-kim", &key).await;
    let code = issuer.dev_code("demo-kim").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        error_of(issuer.complete(&id, &code, &key).await),
        (410, "challenge_expired".into())
    );
    issuer.stop().await;
}

#[tokio::test]
async fn unknown_subjects_look_the_same_but_get_no_code() {
    let issuer = common::start(|_| {}).await;
    let key = generate_signing_key();
    let id = issuer.start_enrolment("+82-10-0000-0000", &key).await;
    assert_eq!(
        issuer.get("/dev/otp/+82-10-0000-0000").await.status(),
        404,
        "no code was sent"
    );
    assert_eq!(
        error_of(issuer.complete(&id, "123456", &key).await),
        (401, "invalid_code".into())
    );
    issuer.stop().await;
}

#[tokio::test]
async fn ineligible_holders_get_no_pass() {
    let issuer = common::start(|_| {}).await;
    let record = HolderRecord {
        subject: "lapsed".into(),
        display_name: "Lapsed Holder".into(),
        birth_date: "1970".into(),
        kind: 4,
        eligible_until: unix_now() - 1,
    };
    doorpass_issuer::holders::import(&issuer.db(), &[record]).unwrap();
    let key = generate_signing_key();
    let id = issuer.start_enrolment("lapsed", &key).await;
    let code = issuer.dev_code("lapsed").await;
    let (status, _, body) = issuer.complete(&id, &code, &key).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (403, "not_eligible")
    );
    issuer.stop().await;
}

#[tokio::test]
async fn malformed_and_oversized_requests_get_clear_json_errors() {
    let issuer = common::start(|_| {}).await;
    let start = api::ENROLMENT_START_PATH;
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("application/json", b"{not json".to_vec(), 400),
        ("application/json", b"[]".to_vec(), 422),
        (
            "application/json",
            br#"{"subject": 5, "holder_key": "x"}"#.to_vec(),
            422,
        ),
        (
            "application/json",
            br#"{"subject": "a", "holder_key": "!!"}"#.to_vec(),
            400,
        ),
        (
            "application/json",
            br#"{"subject": "a", "holder_key": "AAAA", "extra": 1}"#.to_vec(),
            422,
        ),
        (
            "application/json",
            format!(
                r#"{{"subject": "{}", "holder_key": "AAAA"}}"#,
                "s".repeat(129)
            )
            .into_bytes(),
            400,
        ),
        ("text/plain", br#"{"subject": "a"}"#.to_vec(), 415),
        ("application/json", vec![b' '; 9 * 1024], 413),
    ];
    for (content_type, body, expected) in cases {
        let (status, _, json) = issuer.post_raw(start, content_type, body).await;
        assert_eq!(status, expected, "{json}");
        assert!(
            json["error"].is_string() && json["message"].is_string(),
            "JSON error body: {json}"
        );
    }
    assert_eq!(
        error_of(
            issuer
                .post(
                    api::ENROLMENT_COMPLETE_PATH,
                    &json!({ "challenge_id": "short", "code": "123456", "proof": "x" }),
                )
                .await
        ),
        (400, "bad_request".into())
    );
    let key = generate_signing_key();
    let id = issuer.start_enrolment("demo-kim", &key).await;
    assert_eq!(
        error_of(issuer.complete(&id, "12ab56", &key).await),
        (400, "bad_request".into()),
        "a malformed code costs no try"
    );
    let r = issuer
        .http
        .delete(issuer.url(api::RENEW_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(issuer.get("/v2/nothing").await.status(), 404);
    // The service is still healthy after all that.
    assert_eq!(issuer.get("/healthz").await.status(), 200);
    issuer.stop().await;
}

#[tokio::test]
async fn dev_routes_do_not_exist_without_dev() {
    let issuer = common::start(|c| c.dev = None).await;
    let key = generate_signing_key();
    let (status, _, _) = issuer
        .post(
            api::ENROLMENT_START_PATH,
            &json!({ "subject": "demo-kim", "holder_key": b64(key.verifying_key().as_bytes()) }),
        )
        .await;
    assert_eq!(status, 202);
    let r = issuer.get("/dev/otp/demo-kim").await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"],
        "not_found"
    );
    issuer.stop().await;
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let issuer = common::start(|c| {
        c.subject_rate = Some(doorpass_issuer::rate_limit::Rate {
            per_second: 5.0 / 900.0,
            burst: 5.0,
        });
    })
    .await;
    let key = generate_signing_key();
    for _ in 0..5 {
        issuer.start_enrolment("demo-kim", &key).await;
    }
    let body = json!({ "subject": "demo-kim", "holder_key": b64(key.verifying_key().as_bytes()) });
    let (status, retry, json) = issuer.post(api::ENROLMENT_START_PATH, &body).await;
    assert_eq!(
        (status, json["error"].as_str().unwrap()),
        (429, "rate_limited")
    );
    assert!(retry.unwrap() >= 1);
    // Another subject is not affected.
    issuer.start_enrolment("demo-lee", &key).await;
    let metrics = issuer.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("doorpass_shed_total{reason=\"rate_limit\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("doorpass_requests_total{route=\"/v1/enrolment/start\",status=\"429\"} 1")
    );
    issuer.stop().await;
}

#[tokio::test]
async fn overload_is_shed_with_503_and_retry_after_and_in_flight_requests_finish_on_shutdown() {
    let issuer = common::start(|c| {
        c.admission.max_in_flight = 2;
        c.admission.max_queued = 2;
        c.admission.queue_timeout = Duration::from_millis(100);
        c.dev = Some(doorpass_issuer::service::Faults {
            latency: Duration::from_millis(400),
            failure_rate: 0.0,
        });
    })
    .await;
    let key = generate_signing_key();
    let body = json!({ "subject": "demo-kim", "holder_key": b64(key.verifying_key().as_bytes()) });
    let started = std::time::Instant::now();
    let answers =
        futures_join_all((0..12).map(|_| issuer.post(api::ENROLMENT_START_PATH, &body))).await;
    let ok = answers.iter().filter(|a| a.0 == 202).count();
    let shed: Vec<_> = answers.iter().filter(|a| a.0 == 503).collect();
    assert_eq!(ok + shed.len(), 12, "only 202 or 503: {answers:?}");
    assert!(ok >= 2 && shed.len() >= 6, "ok {ok}, shed {}", shed.len());
    for (_, retry, json) in &shed {
        assert!(matches!(retry, Some(2..=4)), "Retry-After {retry:?}");
        assert_eq!(json["error"], "overloaded");
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "shedding is immediate, not queueing"
    );
    let metrics = issuer.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(&format!(
            "doorpass_shed_total{{reason=\"overload\"}} {}",
            shed.len()
        )),
        "{metrics}"
    );

    // Graceful shutdown: a request in flight when the stop comes still gets its answer.
    let (http, url) = (issuer.http.clone(), issuer.url(api::ENROLMENT_START_PATH));
    let in_flight = tokio::spawn(async move {
        http.post(url)
            .json(&body)
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    issuer.stop().await;
    assert_eq!(in_flight.await.unwrap().unwrap(), 202);
}

#[tokio::test]
async fn slow_bodies_are_cut_off_at_the_request_deadline_and_free_their_slots() {
    let issuer = common::start(|c| {
        c.request_timeout = Duration::from_millis(800);
        c.admission.max_in_flight = 2;
        c.admission.max_queued = 1;
        c.admission.queue_timeout = Duration::from_millis(100);
    })
    .await;
    // Four clients send headers announcing 200 bytes, then one byte, then nothing.
    let slow: Vec<_> = (0..4)
        .map(|_| {
            tokio::spawn(common::post_partial_body(
                issuer.addr,
                api::ENROLMENT_START_PATH,
                200,
                b"{",
                Duration::from_secs(5),
            ))
        })
        .collect();
    let mut timed_out = 0;
    for task in slow {
        let answer = task.await.unwrap();
        assert!(
            answer.took < Duration::from_millis(2500),
            "answered within the deadline: {:?}, {:?}",
            answer.took,
            answer.text
        );
        let body = answer.json().unwrap_or_default();
        match answer.status() {
            Some(408) => {
                timed_out += 1;
                assert_eq!(body["error"], "request_timeout", "{}", answer.text);
                assert!(body["message"].is_string());
            }
            Some(503) => assert_eq!(body["error"], "overloaded", "{}", answer.text),
            other => panic!("unexpected answer {other:?}: {}", answer.text),
        }
    }
    assert!(timed_out >= 2, "the admitted slow clients got 408");
    // The slots are free again: a normal request goes through.
    let key = generate_signing_key();
    issuer.start_enrolment("demo-kim", &key).await;
    let metrics = issuer.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(&format!(
            "doorpass_requests_total{{route=\"/v1/enrolment/start\",status=\"408\"}} {timed_out}"
        )),
        "{metrics}"
    );
    issuer.stop().await;
}

#[tokio::test]
async fn a_stop_cuts_off_requests_still_running_after_the_shutdown_deadline() {
    let issuer = common::start(|c| {
        c.request_timeout = Duration::from_secs(60);
        c.shutdown_timeout = Duration::from_millis(500);
    })
    .await;
    let stuck = tokio::spawn(common::post_partial_body(
        issuer.addr,
        api::ENROLMENT_START_PATH,
        200,
        b"{",
        Duration::from_secs(8),
    ));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    issuer.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "stopped {:?} after the signal",
        started.elapsed()
    );
    let answer = stuck.await.unwrap();
    assert_eq!(answer.status(), Some(503), "{}", answer.text);
    let body = answer.json().unwrap();
    assert_eq!(body["error"], "overloaded");
    assert!(body["message"].as_str().unwrap().contains("stopping"));
}

#[tokio::test]
async fn the_in_flight_gauge_recovers_when_a_client_disconnects_mid_request() {
    use tokio::io::AsyncWriteExt;
    let issuer = common::start(|c| {
        c.dev = Some(doorpass_issuer::service::Faults {
            latency: Duration::from_secs(5),
            failure_rate: 0.0,
        });
    })
    .await;
    let in_flight = |metrics: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix("doorpass_in_flight "))
            .unwrap()
            .parse()
            .unwrap()
    };
    let key = generate_signing_key();
    let body = json!({ "subject": "demo-kim", "holder_key": b64(key.verifying_key().as_bytes()) })
        .to_string();
    let mut stream = tokio::net::TcpStream::connect(issuer.addr).await.unwrap();
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        api::ENROLMENT_START_PATH,
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // This request and the metrics request itself.
    let metrics = issuer.get("/metrics").await.text().await.unwrap();
    assert_eq!(in_flight(&metrics), 2, "{metrics}");
    drop(stream);
    // Well before the injected latency ends, the dropped request no longer counts.
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    loop {
        let metrics = issuer.get("/metrics").await.text().await.unwrap();
        if in_flight(&metrics) == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "in flight stays up after the disconnect: {metrics}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    issuer.stop().await;
}

/// Runs futures concurrently on this task (avoids a dependency for one helper).
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let futures: Vec<_> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    let mut futures: Vec<Option<_>> = futures.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, slot) in futures.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        outputs[i] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(|o| o.unwrap()).collect()
}
