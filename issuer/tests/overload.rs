//! Admission by criticality over real HTTP on 127.0.0.1: under overload a completion is served
//! before new starts, and a start is refused (before a code is sent) when no completion can be
//! reserved for it.

mod common;

use std::time::Duration;

use common::futures_join_all;
use doorpass_format::api::{self, b64};
use doorpass_format::keys::generate_signing_key;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completion_is_served_while_a_flood_of_starts_is_shed() {
    let issuer = common::start(|c| {
        c.admission.max_in_flight = 1;
        c.admission.max_queued = 4;
        c.admission.queue_timeout = Duration::from_millis(50);
        c.admission.finishing_timeout = Duration::from_secs(2);
        c.dev = Some(doorpass_issuer::service::Faults {
            latency: Duration::from_millis(100),
            failure_rate: 0.0,
        });
    })
    .await;
    let key = generate_signing_key();
    let id = issuer.start_enrolment("demo-kim", &key).await;
    let code = issuer.dev_code("demo-kim").await;
    // 30 starts for other subjects keep the one slot busy; the completion joins them a moment later.
    let server = &issuer;
    let flood = futures_join_all((0..30).map(|i| {
        let body = json!({
            "subject": format!("demo-flood-{i}"),
            "holder_key": b64(generate_signing_key().verifying_key().as_bytes()),
        });
        async move { server.post(api::ENROLMENT_START_PATH, &body).await }
    }));
    let completion = async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        issuer.complete(&id, &code, &key).await
    };
    let (starts, (status, _, body)) = tokio::join!(flood, completion);
    assert_eq!(status, 200, "the completion was served: {body}");
    let shed = starts.iter().filter(|a| a.0 == 503).count();
    assert!(shed >= 20, "most starts were shed: {shed} of 30");
    let metrics = issuer.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("doorpass_shed_by_class_total{class=\"finishing\",reason=\"deadline\"} 0")
            && metrics.contains(
                "doorpass_shed_by_class_total{class=\"finishing\",reason=\"queue_full\"} 0"
            ),
        "{metrics}"
    );
    issuer.stop().await;
}

#[tokio::test]
async fn a_start_is_refused_before_its_code_is_sent_when_no_completion_can_be_reserved() {
    let issuer = common::start(|c| c.admission.max_owed_completions = 2).await;
    let keys = [
        generate_signing_key(),
        generate_signing_key(),
        generate_signing_key(),
    ];
    let first = issuer.start_enrolment("demo-kim", &keys[0]).await;
    issuer.start_enrolment("demo-lee", &keys[1]).await;
    let body =
        json!({ "subject": "demo-park", "holder_key": b64(keys[2].verifying_key().as_bytes()) });
    let (status, retry_after, answer) = issuer.post(api::ENROLMENT_START_PATH, &body).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (503, Some("overloaded")),
        "{answer}"
    );
    assert!(retry_after.is_some());
    let sent = issuer.get("/dev/otp/demo-park").await.status().as_u16();
    assert_eq!(sent, 404, "no code was sent for the refused start");
    // A completion frees its reservation: the next start is admitted.
    let code = issuer.dev_code("demo-kim").await;
    assert_eq!(issuer.complete(&first, &code, &keys[0]).await.0, 200);
    issuer.start_enrolment("demo-park", &keys[2]).await;
    issuer.stop().await;
}
