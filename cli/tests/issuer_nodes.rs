//! Three `doorpass issuer serve` processes on one database, behind the load generator acting as a
//! load balancer: a surge spread over the three, one node killed with SIGKILL mid-surge and started
//! again on its port. Every pass answered 200 is in the database, no refresh-token chain forks, and
//! every answer was 2xx, or 429/503 with `Retry-After`, or a refused connection (the dead node).
//!
//! On PostgreSQL when `DOORPASS_TEST_POSTGRES` names a server (the test command starts a private
//! one); otherwise the three processes share the issuer folder's SQLite file.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::doorpass_expect;
use common::issuer::IssuerProcess;
use doorpass_issuer::testing::{fresh_postgres_database, test_postgres_server};

const WALLETS: usize = 10_000;

/// A free port on 127.0.0.1 (bound, then released for the node to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_take_a_surge_and_a_sigkill_without_losing_a_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().display().to_string();
    let database = match test_postgres_server() {
        Some(server) => fresh_postgres_database(&server).await,
        None => tmp.path().join("issuer.db").display().to_string(),
    };
    eprintln!(
        "database: {}",
        if database.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    doorpass_expect(
        &["issuer", "init", "--dir", &dir, "--issuer-id", "KR-KDCA"],
        0,
    );
    let csv = tmp.path().join("holders.csv").display().to_string();
    let count = WALLETS.to_string();
    doorpass_expect(&["loadgen", "holders", "--count", &count, "--out", &csv], 0);
    doorpass_expect(
        &[
            "issuer",
            "holders",
            "import",
            "--dir",
            &dir,
            "--database",
            &database,
            &csv,
        ],
        0,
    );
    let listens: Vec<String> = (0..3)
        .map(|_| format!("127.0.0.1:{}", free_port()))
        .collect();
    // One status-list URI prefix for all nodes, as behind a load balancer.
    let base = format!("http://{}/v1/status/", listens[0]);
    let extra = ["--dev", "--database", &database, "--status-base-url", &base];
    let mut nodes: Vec<IssuerProcess> = listens
        .iter()
        .map(|listen| IssuerProcess::start_on(tmp.path(), listen, &extra))
        .collect();
    let urls: Vec<String> = nodes.iter().map(|n| n.url.clone()).collect();

    let record = tmp.path().join("received.txt").display().to_string();
    let loadgen = Command::new(env!("CARGO_BIN_EXE_doorpass"))
        .args([
            "loadgen",
            "run",
            "--issuer",
            &urls.join(","),
            "--rate",
            "2500",
        ])
        .args([
            "--wallets",
            &count,
            "--duration",
            "4s",
            "--max-outstanding",
            "1500",
        ])
        .args(["--record", &record, "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Mid-surge: the second node dies without a word, and comes back a second later.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    nodes[1].kill9();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    nodes[1] = IssuerProcess::start_on(tmp.path(), &listens[1], &extra);
    let out = tokio::task::spawn_blocking(move || loadgen.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(out.status.success(), "loadgen failed: {:?}", out.status);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("{report}");

    let mut transport_errors = 0;
    for (route, stats) in report["routes"].as_object().unwrap() {
        let mut unanswered = 0;
        for (status, n) in stats["by_status"].as_object().unwrap() {
            let n = n.as_u64().unwrap();
            match status.as_str() {
                "200" | "202" | "429" | "503" => {}
                // A refused or cut connection: only the dead node's.
                "no answer" => unanswered += n,
                other => panic!("{route}: {n} answers {other}: {report}"),
            }
        }
        transport_errors += unanswered;
        assert_eq!(
            stats["refused"].as_u64().unwrap() - unanswered,
            stats["refused_with_retry_after"].as_u64().unwrap(),
            "{route}: every 429/503 carries Retry-After"
        );
    }
    let issued = report["enrolments"].as_u64().unwrap();
    assert!(issued >= 500, "real traffic went through: {issued}");
    assert!(
        transport_errors < WALLETS as u64 / 3,
        "only the dead node's wallets saw no answer: {transport_errors}"
    );
    // The restarted node serves again.
    let health = reqwest::get(format!("{}/healthz", nodes[1].url))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    drop(nodes);
    // Every pass answered 200 is in the database, and no chain forked.
    let check = doorpass_expect(
        &[
            "loadgen",
            "check",
            "--database",
            &database,
            "--record",
            &record,
        ],
        0,
    );
    assert!(
        check.contains(&format!("{issued} present, 0 missing; 0 forked")),
        "{check}"
    );
}
