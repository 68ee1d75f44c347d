//! The HTTP service on 127.0.0.1: malformed and oversized requests, dev routes, rate limits,
//! overload shedding, request and shutdown deadlines, and the in-flight gauge.

mod common;

use common::{error_of, futures_join_all};

use std::time::Duration;

use doorpass_format::api::{self, b64};
use doorpass_format::keys::generate_signing_key;
use serde_json::json;

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
        ("application/json", vec![b' '; 33 * 1024], 413),
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
        c.subject_starts = Some(doorpass_issuer::store::StartCap {
            max_starts: 5,
            window_secs: 900,
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
    // Retry-After grows with the overload: here at most 10 refused for 2 admitted, so at most
    // 5 s, spread over [5, 10]; never under the 2-s floor.
    for (_, retry, json) in &shed {
        assert!(matches!(retry, Some(2..=10)), "Retry-After {retry:?}");
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
