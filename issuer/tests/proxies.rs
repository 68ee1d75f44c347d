//! Behind a reverse proxy (issue 20, item 5c), over real HTTP on 127.0.0.1: `X-Forwarded-For`
//! names the client only when the TCP peer is a trusted proxy, and the client it names is the one
//! the per-address limits count.

mod common;

use std::net::{IpAddr, Ipv4Addr};

use common::{TestIssuer, error_of};
use doorpass_format::api::{self, b64};
use doorpass_format::keys::generate_signing_key;
use doorpass_issuer::rate_limit::Rate;
use serde_json::{Value, json};

/// The client address 127.0.0.`n`.
fn loopback(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

/// Starts an enrolment for `subject`, the request carrying `X-Forwarded-For: forwarded`.
async fn start_forwarded(
    issuer: &TestIssuer,
    subject: &str,
    forwarded: &str,
) -> (u16, Option<u64>, Value) {
    let key = generate_signing_key();
    let body = json!({ "subject": subject, "holder_key": b64(key.verifying_key().as_bytes()) });
    let r = issuer
        .http
        .post(issuer.url(api::ENROLMENT_START_PATH))
        .header("x-forwarded-for", forwarded)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let retry_after = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    (status, retry_after, r.json().await.unwrap_or(Value::Null))
}

/// Two issuance requests per address, then one per 100 s; 127.0.0.1 is the trusted proxy.
fn behind_a_proxy(c: &mut doorpass_issuer::IssuerConfig) {
    c.client_rate = Some(Rate {
        per_second: 0.01,
        burst: 2.0,
    });
    c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
}

#[tokio::test]
async fn a_forwarded_for_header_from_an_untrusted_peer_is_ignored() {
    let issuer = common::start(behind_a_proxy).await;
    // 127.0.0.2 is not a trusted proxy: naming a new client in each request does not give it a new
    // budget.
    let direct = issuer.seen_from(loopback(2));
    for i in 0..2 {
        let answer = start_forwarded(&direct, "nobody", &format!("198.51.100.{i}")).await;
        assert_eq!(answer.0, 202, "{answer:?}");
    }
    let refused = start_forwarded(&direct, "nobody", "198.51.100.9").await;
    assert_eq!(error_of(refused), (429, "rate_limited".into()));
    // A malformed header from the trusted proxy never fails the request: the proxy itself is the
    // client, whose budget the third one finds spent.
    for bad in ["not-an-address", "203.0.113.9, , ?"] {
        assert_eq!(
            start_forwarded(&issuer, "nobody", bad).await.0,
            202,
            "{bad}"
        );
    }
    let refused = start_forwarded(&issuer, "nobody", "203.0.113.9:99999").await;
    assert_eq!(error_of(refused), (429, "rate_limited".into()));
    drop(direct);
    issuer.stop().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_right_most_untrusted_address_is_limited() {
    let issuer = common::start(behind_a_proxy).await;
    // The proxy (127.0.0.1) forwards three clients' requests. The first client prepends a new
    // address of its choosing each time: only the address the proxy appended counts.
    for i in 0..2 {
        let forwarded = format!("198.51.100.{i}, 203.0.113.9");
        assert_eq!(start_forwarded(&issuer, "nobody", &forwarded).await.0, 202);
    }
    let refused = start_forwarded(&issuer, "nobody", "198.51.100.7, 203.0.113.9").await;
    assert_eq!(error_of(refused), (429, "rate_limited".into()));
    // Another client behind the same proxy has its own budget, and so does one behind a second,
    // trusted hop (the proxy itself, appended last, is skipped).
    assert_eq!(
        start_forwarded(&issuer, "nobody", "203.0.113.10").await.0,
        202
    );
    assert_eq!(
        start_forwarded(&issuer, "nobody", "203.0.113.11, 127.0.0.1")
            .await
            .0,
        202
    );
    issuer.stop().await;
}

#[tokio::test]
async fn the_share_of_owed_completions_counts_the_forwarded_client() {
    let issuer = common::start(|c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.admission.max_owed_per_client = Some(1);
    })
    .await;
    assert_eq!(
        start_forwarded(&issuer, "demo-kim", "203.0.113.9").await.0,
        202
    );
    let refused = start_forwarded(&issuer, "demo-lee", "203.0.113.9").await;
    assert_eq!(error_of(refused), (429, "rate_limited".into()));
    assert_eq!(
        start_forwarded(&issuer, "demo-lee", "203.0.113.10").await.0,
        202,
        "another client behind the same proxy"
    );
    issuer.stop().await;
}
