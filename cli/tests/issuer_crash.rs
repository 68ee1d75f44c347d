//! `doorpass issuer serve` as a real process: `kill -9` in the middle of enrolments, then a restart
//! (the database opens cleanly and every pass that was answered 200 is in it); SIGTERM; and the
//! command-line flags that only make sense in dev mode or on loopback; a folder or database open to
//! other users is refused; `/metrics` only on `--metrics-listen`; a revocation made with `issuer
//! revoke` is served within seconds and still after a `kill -9`; `--attestation require` offers a
//! challenge and refuses completions without an attestation.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::issuer::{IssuerProcess, issuer_dir_with_holders};
use doorpass_format::keys::generate_signing_key;
use doorpass_issuer::store::{SqliteTx, Tx, open_connection};
use doorpass_wallet::issuer_client::{IssuerClient, IssuerError};

const ROUNDS: usize = 3;
const WALLETS_PER_ROUND: usize = 20_000;
const CONCURRENCY: usize = 16;

/// Enrols wallets `first..first+count` until the issuer stops answering; returns the pass ids answered 200.
async fn enrol_until_dead(url: &str, first: usize, count: usize) -> Vec<[u8; 16]> {
    let client = IssuerClient::over_https(url, Duration::from_secs(5)).unwrap();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(first));
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, next) = (client.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut issued: Vec<[u8; 16]> = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= first + count {
                    return issued;
                }
                let subject = format!("loadgen-{i}");
                let key = generate_signing_key();
                let Ok(start) = client.start_enrolment(&subject, &key.verifying_key()).await else {
                    return issued;
                };
                let Ok(code) = client.dev_code(&subject).await else {
                    return issued;
                };
                match client
                    .complete_enrolment(&start.value.challenge_id, &code, &key)
                    .await
                {
                    Ok(answer) => {
                        let id = &answer.value.pass_id;
                        let bytes: Vec<u8> = (0..16)
                            .map(|k| u8::from_str_radix(&id[2 * k..2 * k + 2], 16).unwrap())
                            .collect();
                        issued.push(bytes.try_into().unwrap());
                    }
                    Err(_) => return issued,
                }
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_enrolments_loses_no_answered_pass() {
    let tmp = tempfile::tempdir().unwrap();
    issuer_dir_with_holders(tmp.path(), ROUNDS * WALLETS_PER_ROUND);
    let db = tmp.path().join("issuer.db");
    let mut answered = Vec::new();
    for round in 0..ROUNDS {
        let mut issuer = IssuerProcess::start(tmp.path(), &[]);
        let url = issuer.url.clone();
        let load = tokio::spawn(async move {
            enrol_until_dead(&url, round * WALLETS_PER_ROUND, WALLETS_PER_ROUND).await
        });
        // Kill at a different moment each round, while enrolments are in full flow.
        tokio::time::sleep(Duration::from_millis(400 + 250 * round as u64)).await;
        issuer.kill9();
        let issued = tokio::time::timeout(Duration::from_secs(30), load)
            .await
            .unwrap()
            .unwrap();
        assert!(
            issued.len() >= 20,
            "round {round}: the kill came after real traffic ({} passes)",
            issued.len()
        );
        assert!(
            issued.len() < WALLETS_PER_ROUND,
            "round {round}: the kill came before the load ended"
        );
        answered.extend(issued);
    }
    // Restart: the service comes up on the same database and answers.
    let issuer = IssuerProcess::start(tmp.path(), &[]);
    let health = reqwest::get(format!("{}/healthz", issuer.url))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    drop(issuer);
    let conn = open_connection(&db, Default::default()).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let missing: Vec<_> = answered
        .iter()
        .filter(|id| !SqliteTx(&conn).pass_exists(id).unwrap())
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} answered passes lost",
        missing.len(),
        answered.len()
    );
    // At most one in-flight completion per worker per round may be recorded without its answer arriving.
    let recorded = SqliteTx(&conn).pass_count().unwrap() as usize;
    assert!(
        recorded >= answered.len() && recorded <= answered.len() + ROUNDS * CONCURRENCY,
        "{recorded} vs {}",
        answered.len()
    );
}

#[test]
fn sigterm_stops_the_issuer_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    issuer_dir_with_holders(tmp.path(), 1);
    let mut issuer = IssuerProcess::start(tmp.path(), &[]);
    let pid = issuer.child.id().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = issuer.child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the issuer did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "clean exit after SIGTERM: {exit:?}");
    // The database is intact and reopens.
    let conn = open_connection(&tmp.path().join("issuer.db"), Default::default()).unwrap();
    assert_eq!(SqliteTx(&conn).pass_count().unwrap(), 0);
}

#[tokio::test]
async fn pass_ttl_sets_the_pass_lifetime() {
    let tmp = tempfile::tempdir().unwrap();
    issuer_dir_with_holders(tmp.path(), 1);
    let issuer = IssuerProcess::start(tmp.path(), &["--pass-ttl", "120s"]);
    let client = IssuerClient::over_https(&issuer.url, Duration::from_secs(10)).unwrap();
    let (issued, _) = enrol(&client, "loadgen-0").await;
    let bytes = doorpass_format::api::b64_vec(&issued.pass, 4096).unwrap();
    let pass = doorpass_format::Pass::parse(&bytes).unwrap();
    let claims = pass.claims();
    assert_eq!(claims.expires_at - claims.issued_at, 120);
    assert_eq!(issued.expires_at, claims.expires_at);
    assert!(claims.renew_after >= claims.expires_at - 40 && claims.renew_after < claims.expires_at);
}

#[tokio::test]
async fn inject_failure_one_answers_every_issuance_request_503_with_retry_after() {
    let tmp = tempfile::tempdir().unwrap();
    issuer_dir_with_holders(tmp.path(), 1);
    let issuer = IssuerProcess::start(tmp.path(), &["--inject-failure", "1.0"]);
    let client = IssuerClient::over_https(&issuer.url, Duration::from_secs(10)).unwrap();
    let key = generate_signing_key();
    let err = client
        .start_enrolment("loadgen-0", &key.verifying_key())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            IssuerError::Busy {
                status: 503,
                retry_after: Some(_)
            }
        ),
        "{err:?}"
    );
    let http = reqwest::Client::new();
    let paths = [
        doorpass_format::api::ENROLMENT_START_PATH,
        doorpass_format::api::ENROLMENT_COMPLETE_PATH,
        doorpass_format::api::RENEW_PATH,
    ];
    for path in paths {
        let r = http
            .post(format!("{}{path}", issuer.url))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 503, "{path}");
        assert_eq!(r.headers()["retry-after"], "1", "{path}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"], "injected_failure", "{path}");
        assert!(body["message"].is_string());
    }
    // Only issuance routes fail.
    for path in ["/healthz", doorpass_format::api::TRUST_LIST_PATH] {
        let r = http
            .get(format!("{}{path}", issuer.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
}

#[test]
fn dev_flags_are_refused_without_dev() {
    let tmp = tempfile::tempdir().unwrap();
    issuer_dir_with_holders(tmp.path(), 1);
    let dir = tmp.path().display().to_string();
    let flags: [&[&str]; 6] = [
        &["--pass-ttl", "120s"],
        &["--code-ttl", "2s"],
        &["--refresh-grace", "0s"],
        &["--inject-latency", "200ms"],
        &["--inject-failure", "0.5"],
        &["--dev-any-address"],
    ];
    for flag in flags {
        let mut args = vec!["issuer", "serve", "--dir", &dir, "--listen", "127.0.0.1:0"];
        args.extend_from_slice(flag);
        let out = common::doorpass_within(&args, Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{flag:?} without --dev: the issuer started"));
        assert_eq!(out.status.code(), Some(2), "{flag:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--dev"), "{flag:?}: {stderr}");
    }
}

#[test]
fn dev_mode_is_refused_on_a_non_loopback_address() {
    let tmp = tempfile::tempdir().unwrap();
    issuer_dir_with_holders(tmp.path(), 1);
    let dir = tmp.path().display().to_string();
    for listen in ["0.0.0.0:0", "[::]:0", "192.0.2.1:0"] {
        let out = common::doorpass_within(
            &[
                "issuer", "serve", "--dir", &dir, "--listen", listen, "--dev",
            ],
            Duration::from_secs(10),
        )
        .unwrap_or_else(|| panic!("--dev on {listen}: the issuer started"));
        assert_eq!(out.status.code(), Some(2), "{listen}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("loopback") && stderr.contains("--dev-any-address"),
            "{listen}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "nothing was served on {listen}");
    }
}

#[test]
fn serving_off_loopback_needs_a_public_https_status_url() {
    let tmp = tempfile::tempdir().unwrap();
    issuer_dir_with_holders(tmp.path(), 1);
    let dir = tmp.path().display().to_string();
    for listen in ["0.0.0.0:0", "[::]:0", "192.0.2.1:0"] {
        for extra in [&[][..], &["--status-base-url", "http://kdca.kr/s/"][..]] {
            let mut args = vec!["issuer", "serve", "--dir", &dir, "--listen", listen];
            args.extend_from_slice(extra);
            let out = common::doorpass_within(&args, Duration::from_secs(10))
                .unwrap_or_else(|| panic!("{listen} {extra:?}: the issuer started"));
            assert_eq!(out.status.code(), Some(2), "{listen} {extra:?}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("--status-base-url"), "{listen}: {stderr}");
            assert!(out.stdout.is_empty(), "nothing was served on {listen}");
        }
    }
}

#[test]
fn holders_import_accepts_a_byte_order_mark() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().display().to_string();
    common::doorpass_expect(
        &["issuer", "init", "--dir", &dir, "--issuer-id", "KR-KDCA"],
        0,
    );
    let csv = tmp.path().join("excel.csv");
    std::fs::write(
        &csv,
        "\u{FEFF}subject,name,birth_date,kind,eligible_until\r\n+821012345678,Kim Minji,1990-04-01,vaccination,2030-12-31\r\n",
    )
    .unwrap();
    common::doorpass_expect(
        &[
            "issuer",
            "holders",
            "import",
            "--dir",
            &dir,
            &csv.display().to_string(),
        ],
        0,
    );
    let conn = open_connection(&tmp.path().join("issuer.db"), Default::default()).unwrap();
    assert!(SqliteTx(&conn).holder("+821012345678").unwrap().is_some());
}

#[test]
fn serve_refuses_a_folder_or_database_open_to_others() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    issuer_dir_with_holders(tmp.path(), 1);
    let dir = tmp.path().display().to_string();
    let db = tmp.path().join("issuer.db");
    let chmod = |path: &std::path::Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    for (path, loose, fix) in [(db.as_path(), 0o644, "600"), (tmp.path(), 0o755, "700")] {
        chmod(path, loose);
        let out = common::doorpass_within(
            &["issuer", "serve", "--dir", &dir, "--listen", "127.0.0.1:0"],
            Duration::from_secs(10),
        )
        .unwrap_or_else(|| panic!("{} mode {loose:o}: the issuer started", path.display()));
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        let advice = format!("chmod {fix} {}", path.display());
        assert!(stderr.contains(&advice), "{stderr}");
        assert!(out.stdout.is_empty(), "nothing was served");
        chmod(path, if fix == "600" { 0o600 } else { 0o700 });
    }
}

#[tokio::test]
async fn metrics_are_served_only_on_the_metrics_listener() {
    let tmp = tempfile::tempdir().unwrap();
    issuer_dir_with_holders(tmp.path(), 1);
    let http = reqwest::Client::new();

    let issuer = IssuerProcess::start(tmp.path(), &[]);
    let r = http.get(format!("{}/metrics", issuer.url)).send().await;
    assert_eq!(r.unwrap().status(), 404, "no public /metrics by default");
    drop(issuer);

    // A free port for the metrics listener.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let metrics_addr = format!("127.0.0.1:{port}");
    let issuer = IssuerProcess::start(tmp.path(), &["--metrics-listen", &metrics_addr]);
    let health = http.get(format!("{}/healthz", issuer.url)).send().await;
    assert_eq!(health.unwrap().status(), 200);
    let public = http.get(format!("{}/metrics", issuer.url)).send().await;
    assert_eq!(public.unwrap().status(), 404);
    let r = http
        .get(format!("http://{metrics_addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("doorpass_requests_total{route=\"/healthz\",status=\"200\"} 1"),
        "{text}"
    );
}

/// Enrols `subject` through `client` with a new holder key (a dev issuer reads out the code):
/// the issued pass and that key.
async fn enrol(
    client: &IssuerClient,
    subject: &str,
) -> (
    doorpass_format::api::IssuedPass,
    doorpass_format::SigningKey,
) {
    let key = generate_signing_key();
    let start = client
        .start_enrolment(subject, &key.verifying_key())
        .await
        .unwrap();
    let code = client.dev_code(subject).await.unwrap();
    let issued = client
        .complete_enrolment(&start.value.challenge_id, &code, &key)
        .await
        .unwrap()
        .value;
    (issued, key)
}

/// Fetches `uri` until its entry `index` is revoked (at most 30 fetches, 100 ms apart).
async fn fetch_until_revoked(client: &IssuerClient, uri: &str, index: u64) -> Vec<u8> {
    for _ in 0..30 {
        let bytes = client.status_list(uri).await.unwrap().value;
        let token = doorpass_format::StatusListToken::parse(&bytes).unwrap();
        if token.unverified().list.is_revoked(index) == Some(true) {
            return bytes;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("entry {index} of {uri} was not served revoked within 3 s");
}

#[tokio::test]
async fn a_revocation_made_with_the_command_survives_kill_9() {
    let tmp = tempfile::tempdir().unwrap();
    issuer_dir_with_holders(tmp.path(), 2);
    // A fixed public prefix, as in production: the URI in the pass outlives the process's port.
    let base = ["--status-base-url", "https://kdca.kr/s/"];
    let mut issuer = IssuerProcess::start(tmp.path(), &base);
    let client = IssuerClient::over_https(&issuer.url, Duration::from_secs(5)).unwrap();
    let (answer, key) = enrol(&client, "loadgen-0").await;
    let pass_bytes = doorpass_format::api::b64_vec(&answer.pass, 4096).unwrap();
    let pass = doorpass_format::Pass::parse(&pass_bytes).unwrap();
    let status = pass.claims().status.clone().unwrap();
    assert_eq!(status.uri, "https://kdca.kr/s/1");
    // What the prefix stands for on this machine.
    let served_at = |issuer: &IssuerProcess| format!("{}/v1/status/1", issuer.url);
    let dir = tmp.path().display().to_string();
    // `doorpass verify` with the list: by URL before the revocation, by URL and by file after it.
    let now = doorpass_format::dates::unix_now();
    let qr = doorpass_format::Presentation::rotating(&pass_bytes, &key, now).to_qr_text();
    let (anchor_pem, trust_file) = (
        common::p(tmp.path(), "anchor.pub.pem"),
        common::p(tmp.path(), "trust-list.cose"),
    );
    let verify = |list: &str, code: i32| {
        let at = now.to_string();
        common::doorpass_expect(
            &[
                "verify",
                "--anchor",
                &anchor_pem,
                "--trust-list",
                &trust_file,
                "--at",
                &at,
                "--status-list",
                list,
                &qr,
            ],
            code,
        )
    };
    let said = verify(&served_at(&issuer), 0);
    assert!(said.contains("revocation: not revoked"), "{said}");
    common::doorpass_expect(
        &["issuer", "revoke", "--dir", &dir, "--subject", "nobody"],
        1,
    );
    common::doorpass_expect(
        &[
            "issuer",
            "revoke",
            "--dir",
            &dir,
            "--pass-id",
            &answer.pass_id,
            "--reason",
            "test",
        ],
        0,
    );
    fetch_until_revoked(&client, &served_at(&issuer), status.index).await;
    issuer.kill9();
    let issuer = IssuerProcess::start(tmp.path(), &base);
    let client = IssuerClient::over_https(&issuer.url, Duration::from_secs(5)).unwrap();
    let served = client.status_list(&served_at(&issuer)).await.unwrap().value;
    let anchor =
        doorpass_format::keys::read_public_key(&tmp.path().join("anchor.pub.pem")).unwrap();
    let trust = doorpass_format::TrustList::verify(
        &std::fs::read(tmp.path().join("trust-list.cose")).unwrap(),
        &anchor,
    )
    .unwrap();
    let token = doorpass_format::StatusListToken::parse(&served)
        .unwrap()
        .verify(
            trust.content(),
            doorpass_format::StatusListBinding::given(),
            None,
        )
        .unwrap()
        .token;
    assert_eq!(token.list.is_revoked(status.index), Some(true));
    assert_eq!(token.list.revoked_count(), 1);
    assert!(verify(&served_at(&issuer), 1).starts_with("REFUSED (revoked)"));
    let file = tmp.path().join("list.cose");
    std::fs::write(&file, &served).unwrap();
    assert!(verify(&file.display().to_string(), 1).starts_with("REFUSED (revoked)"));
}

/// `issuer serve --attestation require` (as the bindings' test issuers run it): the start answer
/// carries a 32-byte challenge, and a completion without an attestation gets 403
/// `attestation_required`.
#[tokio::test]
async fn serve_with_attestation_required_offers_a_challenge_and_refuses_completions_without_one() {
    use doorpass_format::api::{self, b64};
    use doorpass_format::holder_key::{HolderSigner, generate_p256_signing_key};
    let tmp = tempfile::tempdir().unwrap();
    issuer_dir_with_holders(tmp.path(), 1);
    let issuer = IssuerProcess::start(tmp.path(), &["--attestation", "require"]);
    let http = reqwest::Client::new();
    let key = generate_p256_signing_key();
    let holder_key = key.holder_public_key().to_bytes();
    let start: serde_json::Value = http
        .post(format!("{}{}", issuer.url, api::ENROLMENT_START_PATH))
        .json(&serde_json::json!({ "subject": "demo-kim", "holder_key": b64(&holder_key) }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let challenge = api::b64_vec(start["attestation_challenge"].as_str().unwrap(), 64).unwrap();
    assert_eq!(challenge.len(), api::ATTESTATION_CHALLENGE_LEN);
    let id = start["challenge_id"].as_str().unwrap();
    let code: serde_json::Value = http
        .get(format!("{}/dev/otp/demo-kim", issuer.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let challenge_id: [u8; 16] = api::b64_fixed(id).unwrap();
    let proof = key.sign_holder_message(&api::enrolment_proof_message(&challenge_id, &holder_key));
    let answer = http
        .post(format!("{}{}", issuer.url, api::ENROLMENT_COMPLETE_PATH))
        .json(
            &serde_json::json!({ "challenge_id": id, "code": code["code"], "proof": b64(&proof) }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "attestation_required", "{body}");
}
