//! The shipped edge (deploy/nginx/) rendered for production, in front of a node that accepts
//! connections and never answers (so requests stay in flight): /dev/ is answered 404 by nginx
//! itself, never passed on; one client address holding its share of connections is refused more
//! (429 `rate_limited` + `Retry-After`) while another address still gets through. Skipped when nginx
//! is missing, except under the test command (`DOORPASS_REQUIRE_NGINX=1`).

mod common;

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::edge::{Edge, EdgeSettings, nginx_program};
use common::edge_client::{answer, loopback};
use doorpass_issuer::test_certs::TestCa;

/// Connections (requests in flight) allowed per client address.
const CONNS_PER_CLIENT: u32 = 2;

/// A client trusting `ca_pem` whose requests leave from 127.0.0.`n`, giving up after `timeout`.
fn client(ca_pem: &str, n: u8, timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
        .local_address(loopback(n))
        .timeout(timeout)
        .build()
        .unwrap()
}

#[test]
fn the_production_edge_hides_dev_paths_and_caps_connections_per_client() {
    let Some(nginx) = nginx_program() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // The "node": accepts and holds every connection, answers nothing.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = silent.local_addr().unwrap().to_string();
    let held = Arc::new(Mutex::new(Vec::new()));
    let holder = held.clone();
    std::thread::spawn(move || {
        for stream in silent.incoming().flatten() {
            holder.lock().unwrap().push(stream);
        }
    });
    let reached = || held.lock().unwrap().len();
    let ca = TestCa::new("doorpass edge limits CA");
    let tls = ca.localhost_cert().write_to(tmp.path());
    let edge = Edge::start(
        &nginx,
        tmp.path(),
        &EdgeSettings {
            upstreams: &[upstream],
            cert: &tls.cert_chain,
            key: &tls.private_key,
            start_rate: 10,
            start_burst: 10,
            conns_per_client: CONNS_PER_CLIENT,
            dev_paths: false,
        },
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let first = client(ca.cert_pem(), 2, Duration::from_secs(30));

    let dev = runtime.block_on(async {
        let url = format!("{}/dev/otp/demo-kim", edge.url);
        answer(first.get(url).send().await.unwrap()).await
    });
    assert_eq!(dev.status, 404, "/dev/ is not served in production");
    assert_eq!(reached(), 0, "nor passed to a node");

    // The first address fills its share with requests the node never answers.
    let renew = format!("{}/v1/renew", edge.url);
    let in_flight: Vec<_> = (0..CONNS_PER_CLIENT)
        .map(|_| {
            let (client, url) = (first.clone(), renew.clone());
            runtime.spawn(async move { client.post(url).body("{}").send().await })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while reached() < CONNS_PER_CLIENT as usize {
        assert!(
            Instant::now() < deadline,
            "the held requests reached the node"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let refused = runtime
        .block_on(async { answer(first.post(&renew).body("{}").send().await.unwrap()).await });
    assert_eq!(refused.status, 429, "{}", refused.json);
    assert_eq!(refused.json["error"], "rate_limited", "{}", refused.json);
    assert!(refused.retry_after.is_some(), "429 carries Retry-After");
    assert_eq!(reached(), CONNS_PER_CLIENT as usize, "refused at the edge");

    // Another address is not limited by the first one's connections: its request reaches the node
    // (which never answers it; the client stops waiting).
    let second = client(ca.cert_pem(), 3, Duration::from_secs(2));
    let other = runtime.block_on(async { second.post(&renew).body("{}").send().await });
    assert!(
        other.is_err_and(|e| e.is_timeout()),
        "passed on, not refused"
    );
    assert_eq!(reached(), CONNS_PER_CLIENT as usize + 1);
    for request in in_flight {
        request.abort();
    }
    assert!(
        edge.error_log().contains("limiting connections"),
        "{}",
        edge.error_log()
    );
}
