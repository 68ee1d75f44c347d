//! The issuer over real HTTP on 127.0.0.1: enrolment, renewal, refresh-token rotation and reuse
//! detection, code rules, bad input, dev routes, and what the passes it issues verify as.

mod common;

use std::time::Duration;

use doorpass_core::api::{self, b64};
use doorpass_core::keys::{generate_signing_key, read_public_key};
use doorpass_core::{Pass, Presentation, TrustList, Verifier, VerifierPolicy};
use doorpass_issuer::store::HolderRecord;
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
    let token1 = first["refresh_token"].as_str().unwrap().to_string();
    let (status, _, second) = issuer.renew(&token1, &key).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["pass_id"], first["pass_id"], "a new pass");
    let token2 = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(token1, token2);
    // A proof by another key is refused and revokes nothing.
    let (status, _, body) = issuer.renew(&token2, &generate_signing_key()).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (401, "bad_proof")
    );
    // The old token again: reuse. The whole chain is revoked, so token2 stops working too.
    let (status, _, body) = issuer.renew(&token1, &key).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (401, "refresh_token_reused")
    );
    let (status, _, body) = issuer.renew(&token2, &key).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (401, "invalid_refresh_token")
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
    let (status, _, body) = issuer.complete(&id, wrong, &key).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (403, "challenge_locked")
    );
    // Even the right code no longer works on this challenge.
    let (status, _, body) = issuer.complete(&id, &code, &key).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (403, "challenge_locked")
    );
    issuer.stop().await;
}

#[tokio::test]
async fn codes_are_single_use_and_a_bad_proof_costs_no_try() {
    let issuer = common::start(|_| {}).await;
    let key = generate_signing_key();
    let id = issuer.start_enrolment("demo-choi", &key).await;
    let code = issuer.dev_code("demo-choi").await;
    let (status, _, body) = issuer.complete(&id, &code, &generate_signing_key()).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (401, "bad_proof")
    );
    let (status, _, body) = issuer.complete(&id, &code, &key).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = issuer.complete(&id, &code, &key).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (404, "unknown_challenge")
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
    let (status, _, body) = issuer.complete(&id, &code, &key).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (410, "challenge_expired")
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
    let (status, _, body) = issuer.complete(&id, "123456", &key).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (401, "invalid_code")
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
    let (status, _, body) = issuer
        .post(
            api::ENROLMENT_COMPLETE_PATH,
            &json!({ "challenge_id": "short", "code": "123456", "proof": "x" }),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (400, "bad_request")
    );
    let key = generate_signing_key();
    let id = issuer.start_enrolment("demo-kim", &key).await;
    let (status, _, body) = issuer.complete(&id, "12ab56", &key).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (400, "bad_request"),
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
