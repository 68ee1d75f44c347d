//! Completion capacity cannot be taken by starts that will never complete (issue 20, item 3), over
//! real HTTP on 127.0.0.1 from several loopback addresses: an unknown subject's start and a replaced
//! challenge free their reservation at once, and one client address holds at most its share (which
//! every start counts against alike, registered subject or not).

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use common::{TestIssuer, error_of, futures_join_all};
use doorpass_format::api::{self, b64};
use doorpass_format::keys::generate_signing_key;
use serde_json::{Value, json};

/// The client address 127.0.0.`n`.
fn loopback(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

/// Starts an enrolment for `subject` with a fresh key; returns status, Retry-After and body.
async fn start(issuer: &TestIssuer, subject: &str) -> (u16, Option<u64>, Value) {
    let key = generate_signing_key();
    let body = json!({ "subject": subject, "holder_key": b64(key.verifying_key().as_bytes()) });
    issuer.post(api::ENROLMENT_START_PATH, &body).await
}

/// The `doorpass_owed_completions` gauge.
async fn owed(issuer: &TestIssuer) -> u64 {
    let metrics = issuer.get("/metrics").await.text().await.unwrap();
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("doorpass_owed_completions "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{metrics}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_starts_for_unknown_subjects_from_many_addresses_leaves_a_holder_served() {
    let issuer = common::start(|c| {
        c.admission.max_owed_completions = 5;
        c.admission.max_owed_per_client = Some(2);
        // A start holds its reservation while it runs, so at most 4 are held for the starts under
        // way, fewer than the 5 that can be owed; nothing waits long enough to be shed.
        c.admission.max_in_flight = 4;
        c.admission.queue_timeout = Duration::from_secs(5);
    })
    .await;
    // 20 addresses × 10 starts for subjects nobody registered: 40 times the capacity, and 10 times
    // each address's share, were their reservations kept. The holder starts in the middle of it.
    let attackers: Vec<TestIssuer> = (2..22).map(|n| issuer.seen_from(loopback(n))).collect();
    let holder = issuer.seen_from(loopback(22));
    let flood = futures_join_all(attackers.iter().map(|a| async move {
        let mut answers = Vec::new();
        for i in 0..10 {
            answers.push(start(a, &format!("nobody-{i}")).await);
        }
        answers
    }));
    let (answers, during) = tokio::join!(flood, start(&holder, "demo-kim"));
    // Each address gets at least its share (2) of starts answered 202, as it would for registered
    // subjects, and may then be told to wait (429); none is refused for the service's capacity.
    // (Past twice the bound held in all, starts owed nothing are forgotten: shares grow back.)
    for (address, answers) in answers.iter().enumerate() {
        let accepted = answers.iter().filter(|a| a.0 == 202).count();
        assert!(accepted >= 2, "address {address}: {answers:?}");
        assert!(
            answers
                .iter()
                .all(|a| a.0 == 202 || a.2["error"] == "rate_limited"),
            "address {address}: {answers:?}"
        );
    }
    assert_eq!(
        during.0, 202,
        "the holder is served during the flood: {during:?}"
    );
    assert_eq!(
        owed(&issuer).await,
        1,
        "only the holder is owed a completion"
    );
    let (status, _, body) = start(&holder, "demo-lee").await;
    assert_eq!(status, 202, "and after it: {body}");
    drop(attackers);
    drop(holder);
    issuer.stop().await;
}

#[tokio::test]
async fn replaced_challenges_free_their_completions() {
    let issuer = common::start(|c| c.admission.max_owed_completions = 2).await;
    // Starting again replaces the older challenge: only the newest is owed a completion.
    for _ in 0..5 {
        issuer
            .start_enrolment("demo-kim", &generate_signing_key())
            .await;
    }
    assert_eq!(owed(&issuer).await, 1);
    issuer
        .start_enrolment("demo-lee", &generate_signing_key())
        .await;
    // The bound still holds: two are owed.
    let (status, retry_after, body) = start(&issuer, "demo-park").await;
    assert_eq!((status, body["error"].as_str()), (503, Some("overloaded")));
    assert!(retry_after.is_some());
    issuer.stop().await;
}

#[tokio::test]
async fn one_address_holds_at_most_its_share_of_owed_completions() {
    let issuer = common::start(|c| c.admission.max_owed_per_client = Some(2)).await;
    let key = generate_signing_key();
    let first = issuer.start_enrolment("demo-kim", &key).await;
    issuer
        .start_enrolment("demo-lee", &generate_signing_key())
        .await;
    let refused = start(&issuer, "demo-park").await;
    let retry_after = refused.1.expect("Retry-After");
    assert_eq!(error_of(refused), (429, "rate_limited".into()));
    assert!((1..=300).contains(&retry_after), "{retry_after}");
    let sent = issuer.get("/dev/otp/demo-park").await.status().as_u16();
    assert_eq!(sent, 404, "no code was sent for the refused start");
    // Another address has its own share.
    let other = issuer.seen_from(loopback(2));
    assert_eq!(start(&other, "demo-park").await.0, 202);
    // A completed enrolment gives the first address its share back.
    let code = issuer.dev_code("demo-kim").await;
    assert_eq!(issuer.complete(&first, &code, &key).await.0, 200);
    assert_eq!(start(&issuer, "demo-choi").await.0, 202);
    drop(other);
    issuer.stop().await;
}

#[tokio::test]
async fn the_share_does_not_tell_registered_subjects_from_others() {
    let issuer = common::start(|c| c.admission.max_owed_per_client = Some(1)).await;
    // From one address an unknown subject, from another a registered one: the next start from
    // each is refused alike, although only the registered one is owed a completion.
    let (a, b) = (issuer.seen_from(loopback(2)), issuer.seen_from(loopback(3)));
    assert_eq!(start(&a, "nobody").await.0, 202);
    assert_eq!(start(&b, "demo-kim").await.0, 202);
    assert_eq!(owed(&issuer).await, 1);
    for (who, address) in [
        ("after an unknown subject", &a),
        ("after a registered one", &b),
    ] {
        let refused = start(address, "demo-lee").await;
        assert_eq!(error_of(refused), (429, "rate_limited".into()), "{who}");
    }
    drop((a, b));
    issuer.stop().await;
}
