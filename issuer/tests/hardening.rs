//! Security hardening: a private issuer folder and database, `/metrics` only where asked, and a
//! `/healthz` that reads without writing.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use doorpass_issuer::keys::{AnchorDir, IssuerDir, init_dir};
use doorpass_issuer::store::open_connection;
use doorpass_issuer::testing::{ISSUER_ID, dev_config};
use doorpass_issuer::{Issuer, IssuerConfig, MetricsExposure, StartError, unix_now};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Runs `init_dir` on `dir`, the anchor in the default `DIR.anchor`.
fn init(dir: &Path) {
    let anchor = AnchorDir::for_issuer(dir, None);
    init_dir(dir, &anchor, ISSUER_ID, unix_now(), false).unwrap();
}

/// An issuer folder made by `init_dir` in a fresh temporary directory.
fn init_folder() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("issuer");
    init(&dir);
    (tmp, dir)
}

#[test]
fn init_makes_an_existing_folder_private() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("issuer");
    std::fs::create_dir(&dir).unwrap();
    chmod(&dir, 0o755);
    init(&dir);
    assert_eq!(mode(&dir), 0o700);
}

async fn open_err(dir: &Path) -> StartError {
    match Issuer::open(&dev_config(dir)).await {
        Ok(_) => panic!("the issuer started on {}", dir.display()),
        Err(e) => e,
    }
}

#[tokio::test]
async fn the_issuer_folder_keys_and_database_are_private() {
    let (_tmp, dir) = init_folder();
    let files = IssuerDir::at(&dir);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&files.issuer_key), 0o600);
    let anchor = AnchorDir::for_issuer(&dir, None);
    assert_eq!(mode(&anchor.dir), 0o700);
    assert_eq!(mode(&anchor.key), 0o600);
    assert!(
        !files.legacy_anchor_key.exists(),
        "no anchor private key in the serving folder"
    );
    let running = Issuer::open(&dev_config(&dir))
        .await
        .unwrap()
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(mode(&files.database), 0o600);
    for suffix in ["-wal", "-shm"] {
        let path = dir.join(format!("issuer.db{suffix}"));
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    running.stop().await.unwrap();
}

#[tokio::test]
async fn the_issuer_refuses_to_start_on_files_open_to_others() {
    let (_tmp, dir) = init_folder();
    let files = IssuerDir::at(&dir);
    drop(Issuer::open(&dev_config(&dir)).await.unwrap());

    let cases = [
        (files.database.clone(), 0o644, 0o600),
        (files.database.clone(), 0o660, 0o600),
        (dir.clone(), 0o755, 0o700),
        (files.issuer_key.clone(), 0o640, 0o600),
    ];
    for (path, loose, fix_mode) in cases {
        let before = mode(&path);
        chmod(&path, loose);
        let err = open_err(&dir).await;
        match &err {
            StartError::OpenToOthers {
                path: p,
                mode: m,
                fix,
            } => {
                assert_eq!(Path::new(p), path.as_path());
                assert_eq!((*m, *fix), (loose, fix_mode));
            }
            other => panic!("{}: {other:?}", path.display()),
        }
        let message = err.to_string();
        let fix = format!("chmod {fix_mode:o} {}", path.display());
        assert!(message.contains(&fix), "{message}");
        chmod(&path, before);
    }
    // Back to private: it starts again.
    drop(Issuer::open(&dev_config(&dir)).await.unwrap());
}

#[tokio::test]
async fn metrics_are_not_public_by_default() {
    assert_eq!(IssuerConfig::new("d".into()).metrics, MetricsExposure::Off);
    let issuer = common::start(|c| c.metrics = MetricsExposure::Off).await;
    assert_eq!(issuer.get("/metrics").await.status(), 404);
    assert_eq!(issuer.metrics_addr(), None);
    assert_eq!(issuer.get("/healthz").await.status(), 200);
    issuer.stop().await;
}

#[tokio::test]
async fn metrics_are_served_on_their_own_listener_when_configured() {
    let addr = "127.0.0.1:0".parse().unwrap();
    let issuer = common::start(|c| c.metrics = MetricsExposure::Listen(addr)).await;
    assert_eq!(issuer.get("/healthz").await.status(), 200);
    let metrics_addr = issuer.metrics_addr().expect("a metrics listener");
    assert_ne!(metrics_addr, issuer.addr);
    let r = issuer
        .http
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
    assert_eq!(issuer.get("/metrics").await.status(), 404, "not public");
    let other = issuer
        .http
        .get(format!("http://{metrics_addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404, "only /metrics on the metrics listener");
    issuer.stop().await;
    assert!(
        tokio::net::TcpStream::connect(metrics_addr).await.is_err(),
        "the metrics listener closes with the issuer"
    );
}

#[tokio::test]
async fn healthz_answers_while_another_writer_holds_the_database_and_writes_nothing() {
    let issuer = common::start(|_| {}).await;
    if issuer.on_postgres() {
        // SQLite's write lock and read-only connection; PostgreSQL readers never wait for writers.
        eprintln!("SQLite only: skipped on PostgreSQL");
        issuer.stop().await;
        return;
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let healthz = issuer.url("/healthz");

    // Another connection holds the write lock: a health check that needs a write transaction waits
    // for it (and fails after the busy timeout); a read-only one does not.
    let holder = open_connection(&issuer.db(), Default::default()).unwrap();
    let version = |c: &rusqlite::Connection| -> i64 {
        c.pragma_query_value(None, "data_version", |r| r.get(0))
            .unwrap()
    };
    let before = version(&holder);
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    for _ in 0..20 {
        let r = http.get(&healthz).send().await.expect("healthz answered");
        assert_eq!(r.status(), 200);
    }
    holder.execute_batch("COMMIT").unwrap();
    assert_eq!(version(&holder), before, "healthz wrote to the database");
    issuer.stop().await;
}

/// Sends an endless chunked body (it never ends) and returns the answer's status line and how
/// many body bytes had been sent when it came.
async fn post_endless_chunked_body(addr: std::net::SocketAddr, path: &str) -> (String, usize) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    writer.write_all(head.as_bytes()).await.unwrap();
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = sent.clone();
    let feeding = tokio::spawn(async move {
        let chunk = format!("1000\r\n{}\r\n", " ".repeat(0x1000));
        // 64 MiB at most; the terminating chunk is never sent.
        while counter.load(std::sync::atomic::Ordering::Relaxed) < 64 << 20 {
            if writer.write_all(chunk.as_bytes()).await.is_err() {
                break;
            }
            counter.fetch_add(0x1000, std::sync::atomic::Ordering::Relaxed);
        }
        // Keep the connection open (the body stays unfinished) until the test is done.
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    let status = tokio::time::timeout(Duration::from_secs(10), async {
        while !answer.windows(2).any(|w| w == b"\r\n") {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
        String::from_utf8_lossy(&answer)
            .lines()
            .next()
            .unwrap_or("")
            .to_string()
    })
    .await
    .unwrap_or_else(|_| "no answer in 10 s".into());
    let sent_then = sent.load(std::sync::atomic::Ordering::Relaxed);
    feeding.abort();
    (status, sent_then)
}

#[tokio::test]
async fn an_endless_chunked_body_is_refused_while_it_streams() {
    let issuer = common::start(|_| {}).await;
    for path in [
        doorpass_format::api::ENROLMENT_START_PATH,
        doorpass_format::api::RENEW_PATH,
    ] {
        let (status, sent) = post_endless_chunked_body(issuer.addr, path).await;
        assert!(status.starts_with("HTTP/1.1 413"), "{path}: {status}");
        assert!(
            sent < 64 << 20,
            "{path}: answered only after the whole 64 MiB ({sent} bytes sent)"
        );
    }
    issuer.stop().await;
}
