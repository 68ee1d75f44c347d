//! The edge as shipped (deploy/nginx/, rendered by deploy/nginx/render.sh) in front of two
//! `doorpass issuer serve` nodes on one database (issue 21, part 3), all real processes on
//! 127.0.0.1: CLI wallets enrol and renew over HTTPS and HTTP/2 through nginx; nginx sheds a storm of
//! new enrolment starts with the issuer's own 503 and `Retry-After` while completions and renewals
//! pass; the nodes' per-address limit counts the client nginx names in `X-Forwarded-For`, not
//! nginx; a revocation reaches the door through nginx's cache within the list's max-age; a node
//! killed with SIGKILL mid-way through a batch of renewals costs no renewal.
//!
//! On PostgreSQL when `DOORPASS_TEST_POSTGRES` names a server (the test command starts one);
//! otherwise the nodes share the issuer folder's SQLite file. Skipped when nginx is missing, except
//! under the test command (`DOORPASS_REQUIRE_NGINX=1`), where that fails.

mod common;

use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::edge::{Edge, EdgeSettings, nginx_program};
use common::edge_client::{answer, get, loopback, negotiated_protocol, start_enrolment};
use common::issuer::IssuerProcess;
use common::{doorpass, doorpass_expect, doorpass_within, p};
use doorpass_format::api::b64;
use doorpass_issuer::test_certs::TestCa;
use doorpass_issuer::testing::{fresh_postgres_database, test_postgres_server};
use serde_json::{Value, json};

/// CLI wallets enrolled through the edge.
const WALLETS: usize = 4;
/// Renewals each wallet makes, one after another, in the batch a node dies in.
const RENEWALS_PER_WALLET: usize = 4;
/// The nodes' status-list max-age (`--status-list-ttl`), which nginx's cache honours.
const STATUS_LIST_TTL: Duration = Duration::from_secs(4);
/// The edge's new-enrolment-start rate (per second) and burst.
const EDGE_START_RATE: u32 = 10;
const EDGE_START_BURST: u32 = 20;
/// Enrolment starts sent at once to overflow the edge's start rate.
const STORM: usize = 80;
/// Enrolments a client address may leave owed at once on each node (`--max-owed-per-client`).
const OWED_PER_CLIENT: usize = 3;

/// The issuer folder, database, two nodes and the edge, and a client trusting the test CA.
struct Deployment {
    tmp: tempfile::TempDir,
    database: String,
    ca_file: String,
    ca_pem: String,
    nodes: Vec<IssuerProcess>,
    edge: Edge,
    runtime: tokio::runtime::Runtime,
}

impl Deployment {
    fn start(nginx: &Path) -> Deployment {
        let tmp = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let database = match test_postgres_server() {
            Some(server) => runtime.block_on(fresh_postgres_database(&server)),
            None => p(tmp.path(), "issuer/issuer.db"),
        };
        let dir = p(tmp.path(), "issuer");
        doorpass_expect(
            &["issuer", "init", "--dir", &dir, "--issuer-id", "KR-KDCA"],
            0,
        );
        let csv = p(tmp.path(), "holders.csv");
        let count = WALLETS.to_string();
        doorpass_expect(&["loadgen", "holders", "--count", &count, "--out", &csv], 0);
        let import = ["issuer", "holders", "import", "--dir", &dir];
        doorpass_expect(&[&import[..], &["--database", &database, &csv]].concat(), 0);

        let ca = TestCa::new("doorpass edge test CA");
        let tls = ca.localhost_cert().write_to(tmp.path());
        let ca_file = p(tmp.path(), "ca.pem");
        std::fs::write(&ca_file, ca.cert_pem()).unwrap();
        // The edge's port is known once it runs, and passes name their status list there: the
        // nodes start on ports chosen first, the edge next, and the nodes then.
        let listens: Vec<String> = (0..2)
            .map(|_| {
                let port = std::net::TcpListener::bind("127.0.0.1:0")
                    .unwrap()
                    .local_addr()
                    .unwrap()
                    .port();
                format!("127.0.0.1:{port}")
            })
            .collect();
        let edge = Edge::start(
            nginx,
            tmp.path(),
            &EdgeSettings {
                upstreams: &listens,
                cert: &tls.cert_chain,
                key: &tls.private_key,
                start_rate: EDGE_START_RATE,
                start_burst: EDGE_START_BURST,
                conns_per_client: 2 * STORM as u32,
                dev_paths: true,
            },
        );
        let mut deployment = Deployment {
            tmp,
            database,
            ca_file,
            ca_pem: ca.cert_pem().to_string(),
            nodes: Vec::new(),
            edge,
            runtime,
        };
        for (i, listen) in listens.iter().enumerate() {
            deployment.start_node(i, listen);
        }
        deployment
    }

    /// Starts node `i` on `listen`: the per-address limits on, nginx (127.0.0.1) trusted to name
    /// the client, a short status-list max-age, passes naming their lists at the edge.
    fn start_node(&mut self, i: usize, listen: &str) {
        let base = format!("{}/v1/status/", self.edge.url);
        let ttl = format!("{}s", STATUS_LIST_TTL.as_secs());
        let owed = OWED_PER_CLIENT.to_string();
        let log = std::fs::File::create(self.tmp.path().join(format!("node{i}.log"))).unwrap();
        let args = [
            "--dev",
            "--database",
            &self.database,
            "--status-base-url",
            &base,
            "--trusted-proxy",
            "127.0.0.1/32",
            "--status-list-ttl",
            &ttl,
            "--max-owed-per-client",
            &owed,
        ];
        let node = IssuerProcess::start_with_limits(
            &self.tmp.path().join("issuer"),
            listen,
            &args,
            Stdio::from(log),
        );
        self.nodes.push(node);
    }

    /// An HTTP client trusting the test CA whose requests leave from `local`.
    fn client_from(&self, local: IpAddr) -> reqwest::Client {
        let root = reqwest::Certificate::from_pem(self.ca_pem.as_bytes()).unwrap();
        reqwest::Client::builder()
            .tls_certs_only([root])
            .local_address(local)
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    }

    fn path(&self, name: &str) -> String {
        p(self.tmp.path(), name)
    }
}

/// `doorpass wallet --secrets file --ca-cert CA` in `home`, with `args`.
fn wallet_args<'a>(home: &'a str, ca_file: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec![
        "wallet",
        "--home",
        home,
        "--secrets",
        "file",
        "--ca-cert",
        ca_file,
    ];
    all.extend_from_slice(args);
    all
}

/// Enrols wallet `i` (subject `loadgen-i`) through the edge, reading its code from the edge's
/// /dev/otp (passed on to the nodes, which run with --dev).
fn enrol_wallet(d: &Deployment, i: usize) {
    let home = d.path(&format!("wallet{i}"));
    let subject = format!("loadgen-{i}");
    let anchor = d.path("issuer/anchor.pub.pem");
    let args = wallet_args(
        &home,
        &d.ca_file,
        &[
            "enrol",
            "--issuer",
            &d.edge.url,
            "--anchor",
            &anchor,
            "--subject",
            &subject,
        ],
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_doorpass"))
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = d.client_from(loopback(1));
    let deadline = Instant::now() + Duration::from_secs(15);
    let code = loop {
        let url = format!("{}/dev/otp/{subject}", d.edge.url);
        let got = d.runtime.block_on(get(&client, url));
        if got.status == 200 {
            break got.json["code"].as_str().unwrap().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no code for {subject}: {}",
            got.json
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    writeln!(child.stdin.take().unwrap(), "{code}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "enrolling {subject} through the edge: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_edge_in_front_of_two_nodes() {
    let Some(nginx) = nginx_program() else {
        return;
    };
    let mut d = Deployment::start(&nginx);
    let alpn = d
        .runtime
        .block_on(negotiated_protocol(&d.ca_pem, d.edge.port));
    assert_eq!(alpn.as_deref(), Some(&b"h2"[..]), "HTTP/2 to clients");
    for i in 0..WALLETS {
        enrol_wallet(&d, i);
    }
    per_address_limit_counts_the_client_not_the_edge(&d);
    edge_sheds_starts_while_completions_and_renewals_pass(&d);
    bodies_over_32_kib_stop_at_the_edge(&d);
    renewals_survive_a_node_killed_mid_batch(&mut d);
    revocation_reaches_the_door_through_the_cache(&d);
}

/// One client address (127.0.0.2) leaves enrolments owed until the nodes refuse it (429, their
/// per-address share); another (127.0.0.3) through the same nginx still gets in. Were the nodes
/// counting nginx's address, the second would be refused too.
fn per_address_limit_counts_the_client_not_the_edge(d: &Deployment) {
    let first = d.client_from(loopback(2));
    let (mut accepted, mut refused) = (0, Vec::new());
    for n in 0..2 * OWED_PER_CLIENT + 2 {
        let subject = format!("edge-a-{n}");
        let got = d
            .runtime
            .block_on(start_enrolment(&first, &d.edge.url, &subject));
        match got.status {
            202 => accepted += 1,
            429 => refused.push(got),
            other => panic!("start {n} from 127.0.0.2: {other} {}", got.json),
        }
    }
    assert!(accepted <= 2 * OWED_PER_CLIENT, "{accepted} accepted");
    assert!(
        !refused.is_empty(),
        "the nodes' per-address share refused 127.0.0.2"
    );
    for got in &refused {
        assert_eq!(got.json["error"], "rate_limited", "{}", got.json);
        let message = got.json["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("not completed"),
            "the nodes' share: {message}"
        );
        assert!(got.retry_after.is_some(), "429 carries Retry-After");
    }
    let second = d.client_from(loopback(3));
    let got = d
        .runtime
        .block_on(start_enrolment(&second, &d.edge.url, "edge-b-0"));
    assert_eq!(got.status, 202, "127.0.0.3 is not 127.0.0.2: {}", got.json);
}

/// `STORM` starts at once from one client: nginx admits at most its burst plus its rate, and
/// refuses the rest with the issuer's 503 `overloaded` and `Retry-After`; a completion and a
/// renewal sent right after reach a node (answered by it, not shed).
fn edge_sheds_starts_while_completions_and_renewals_pass(d: &Deployment) {
    let client = d.client_from(loopback(4));
    let began = Instant::now();
    let answers = d.runtime.block_on(async {
        let mut storm = tokio::task::JoinSet::new();
        for n in 0..STORM {
            let (client, edge) = (client.clone(), d.edge.url.clone());
            storm.spawn(
                async move { start_enrolment(&client, &edge, &format!("edge-c-{n}")).await },
            );
        }
        storm.join_all().await
    });
    let elapsed = began.elapsed().as_secs_f64();
    let post = |path: &str, body: Value| {
        let url = format!("{}{path}", d.edge.url);
        d.runtime
            .block_on(async { answer(client.post(url).json(&body).send().await.unwrap()).await })
    };
    let complete = post(
        "/v1/enrolment/complete",
        json!({ "challenge_id": b64(&[7u8; 16]), "code": "000000", "proof": b64(&[0u8; 64]) }),
    );
    let renew = post("/v1/renew", json!({ "refresh_token": b64(&[0u8; 32]) }));
    for (route, got) in [("completion", &complete), ("renewal", &renew)] {
        assert!(
            (400..500).contains(&got.status) && got.status != 429,
            "a {route} after the storm is answered by a node: {} {}",
            got.status,
            got.json
        );
    }

    let shed = answers.iter().filter(|a| a.status == 503).count();
    for a in &answers {
        assert!(
            matches!(a.status, 202 | 429 | 503),
            "{} {}",
            a.status,
            a.json
        );
        if a.status == 503 {
            assert_eq!(a.json["error"], "overloaded", "{}", a.json);
        }
        if a.status != 202 {
            assert!(
                a.retry_after.is_some_and(|s| (1..=900).contains(&s)),
                "a refusal with Retry-After: {} {:?} {}",
                a.status,
                a.retry_after,
                a.json
            );
        }
    }
    let passed = (STORM - shed) as f64;
    let allowed = f64::from(EDGE_START_BURST) + f64::from(EDGE_START_RATE) * elapsed + 1.0;
    assert!(
        passed <= allowed,
        "{passed} starts passed the edge in {elapsed:.1} s"
    );
    assert!(shed > 0, "the edge shed starts");
    assert!(
        d.edge.error_log().contains("limiting requests"),
        "nginx's limit_req refused them"
    );
}

/// A body over the nodes' 32 KiB limit gets 413 `payload_too_large` from nginx; one under it is
/// passed on.
fn bodies_over_32_kib_stop_at_the_edge(d: &Deployment) {
    let client = d.client_from(loopback(5));
    let url = format!("{}/v1/renew", d.edge.url);
    let send = |size: usize| {
        let body = format!("{{\"refresh_token\":\"{}\"}}", "a".repeat(size));
        d.runtime.block_on(async {
            let request = client
                .post(&url)
                .header("content-type", "application/json")
                .body(body);
            answer(request.send().await.unwrap()).await
        })
    };
    let large = send(33 * 1024);
    assert_eq!(large.status, 413);
    assert_eq!(large.json["error"], "payload_too_large", "{}", large.json);
    let small = send(31 * 1024);
    assert!(
        (400..500).contains(&small.status) && small.status != 413,
        "{} {}",
        small.status,
        small.json
    );
}

/// Every wallet renews `RENEWALS_PER_WALLET` times through the edge, all at once; once a round
/// is done node 1 dies (SIGKILL). Every renewal succeeds: nginx routes around the dead node, and
/// passes a renewal it had sent there to the other node (retry-safe).
fn renewals_survive_a_node_killed_mid_batch(d: &mut Deployment) {
    let done = AtomicUsize::new(0);
    let victim = d.nodes[1].child.id().to_string();
    let shared: &Deployment = d;
    let results: Vec<(bool, String)> = std::thread::scope(|s| {
        let renewing: Vec<_> = (0..WALLETS)
            .map(|i| {
                let done = &done;
                s.spawn(move || {
                    let home = shared.path(&format!("wallet{i}"));
                    let args = wallet_args(&home, &shared.ca_file, &["renew", "--force"]);
                    (0..RENEWALS_PER_WALLET)
                        .map(|_| {
                            let out = doorpass_within(&args, Duration::from_secs(30))
                                .expect("a renewal ends within 30 s");
                            done.fetch_add(1, Ordering::SeqCst);
                            let said = String::from_utf8_lossy(&out.stdout).into_owned()
                                + &String::from_utf8_lossy(&out.stderr);
                            (
                                out.status.success() && said.contains("renewed; valid until"),
                                said,
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(30);
        while done.load(Ordering::SeqCst) < WALLETS && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let killed = Command::new("kill").args(["-KILL", &victim]).status();
        assert!(killed.unwrap().success(), "SIGKILL node 1");
        renewing
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let renewed_after_kill = results.len() - WALLETS;
    for (ok, said) in &results {
        assert!(ok, "a renewal failed: {said}");
    }
    assert!(renewed_after_kill >= WALLETS, "renewals ran after the kill");
    let status = d.nodes[1].child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(9), "node 1 died of SIGKILL");
    let log = d.edge.error_log();
    assert!(
        log.contains("while connecting to upstream")
            || log.contains("upstream prematurely closed")
            || log.contains("reset by peer"),
        "nginx tried the dead node and routed around it: {log}"
    );
}

/// The door checks wallet 0's pass against the status list fetched through nginx. Right after
/// nginx fetched a fresh copy, the subject is revoked: nginx keeps serving its cached copy (HIT,
/// the same ETag) until the max-age passes, and the door refuses the pass within max-age (plus the
/// nodes' one second to publish).
fn revocation_reaches_the_door_through_the_cache(d: &Deployment) {
    let client = d.client_from(loopback(1));
    let list = format!("{}/v1/status/1", d.edge.url);
    let home = d.path("wallet0");
    let qr = doorpass_expect(
        &wallet_args(&home, &d.ca_file, &["qr", "--format", "text"]),
        0,
    );
    let (anchor, trust_list) = (
        d.path("issuer/anchor.pub.pem"),
        d.path("issuer/trust-list.cose"),
    );
    let verify = || {
        doorpass(&[
            "verify",
            "--anchor",
            &anchor,
            "--trust-list",
            &trust_list,
            "--status-list",
            &list,
            "--ca-cert",
            &d.ca_file,
            "--require-revocation-check",
            qr.trim(),
        ])
    };
    let before = verify();
    assert_eq!(
        before.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&before.stderr)
    );
    // Until nginx fetches the list afresh (its copy's age is then known: zero).
    let deadline = Instant::now() + STATUS_LIST_TTL + Duration::from_secs(10);
    let fresh = loop {
        let got = d.runtime.block_on(get(&client, list.clone()));
        assert_eq!(got.status, 200);
        if got.cache.as_deref() != Some("HIT") {
            break got;
        }
        assert!(
            Instant::now() < deadline,
            "nginx never fetched the list again"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let refreshed = Instant::now();
    let dir = d.path("issuer");
    doorpass_expect(
        &[
            "issuer",
            "revoke",
            "--dir",
            &dir,
            "--database",
            &d.database,
            "--subject",
            "loadgen-0",
        ],
        0,
    );
    let cached = d.runtime.block_on(get(&client, list.clone()));
    assert!(
        refreshed.elapsed() < STATUS_LIST_TTL,
        "revoking took the whole max-age"
    );
    assert_eq!(
        cached.cache.as_deref(),
        Some("HIT"),
        "served from nginx's cache"
    );
    assert_eq!(
        cached.etag, fresh.etag,
        "the copy from before the revocation"
    );
    let limit = STATUS_LIST_TTL + Duration::from_secs(3);
    loop {
        let out = verify();
        let said = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        if out.status.code() == Some(1) {
            assert!(said.contains("revoked"), "{said}");
            break;
        }
        assert_eq!(out.status.code(), Some(0), "{said}");
        assert!(
            refreshed.elapsed() < limit,
            "the door still accepts the revoked pass {:?} after nginx's copy was fresh",
            refreshed.elapsed()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
