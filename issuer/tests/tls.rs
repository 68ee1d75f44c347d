//! The issuer over HTTPS: HTTP/2 and HTTP/1.1 by ALPN, and a certificate replaced on SIGHUP or when
//! its files change, with the connections already open still answered.

use std::sync::Arc;
use std::time::{Duration, Instant};

use doorpass_issuer::test_certs::{ServerCert, TestCa};
use doorpass_issuer::testing::DevIssuer;
use doorpass_issuer::tls::{ReloadingCertificate, TlsConfig};
use doorpass_issuer::{Issuer, StartError};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A reqwest client trusting only `ca`.
fn client_trusting(ca: &TestCa, http1_only: bool) -> reqwest::Client {
    let root = reqwest::Certificate::from_pem(ca.cert_pem().as_bytes()).unwrap();
    let builder = reqwest::Client::builder()
        .tls_certs_only([root])
        .timeout(Duration::from_secs(10));
    let builder = if http1_only {
        builder.http1_only()
    } else {
        builder
    };
    builder.build().unwrap()
}

/// A TLS connection to the issuer at `port` by the name `localhost`, trusting only `ca`; with the
/// certificate the server showed.
async fn connect(
    ca: &TestCa,
    port: u16,
) -> (
    tokio_rustls::client::TlsStream<TcpStream>,
    CertificateDer<'static>,
) {
    let config = ca.client_config(&[b"http/1.1"]);
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let shown = tls.get_ref().1.peer_certificates().unwrap()[0].clone();
    (tls, shown)
}

fn leaf(cert: &ServerCert) -> CertificateDer<'static> {
    CertificateDer::pem_slice_iter(cert.chain_pem.as_bytes())
        .next()
        .unwrap()
        .unwrap()
}

/// Opens new connections until the server shows `expected` (at most 30 s).
async fn wait_for_certificate(ca: &TestCa, port: u16, expected: &CertificateDer<'static>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, shown) = connect(ca, port).await;
        if &shown == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate was not served within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn https_serves_http2_and_http1_as_the_client_asks_by_alpn() {
    let ca = TestCa::new("doorpass test CA");
    let issuer = DevIssuer::start_tls(&ca.localhost_cert(), |_| {}).await;
    assert!(issuer.url().starts_with("https://127.0.0.1:"));
    for (url, http1_only, version) in [
        (issuer.url(), false, reqwest::Version::HTTP_2),
        (issuer.localhost_url(), true, reqwest::Version::HTTP_11),
    ] {
        let answer = client_trusting(&ca, http1_only)
            .get(format!("{url}/v1/trust-list"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.version(), version);
    }
    // Plain HTTP to the TLS port gets no answer.
    let plain = reqwest::Client::new()
        .get(format!("http://{}/v1/trust-list", issuer.addr()))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    assert!(plain.is_err(), "{plain:?}");
}

#[tokio::test]
async fn a_certificate_replaced_on_disk_is_served_after_sighup_and_open_connections_keep_answering()
{
    let ca = TestCa::new("doorpass test CA");
    let first = ca.localhost_cert();
    let files = tempfile::tempdir().unwrap();
    let tls = first.write_to(files.path());
    // Files are checked rarely: only the signal can explain a quick reload.
    let issuer = DevIssuer::start(|config| {
        config.tls = Some(TlsConfig {
            reload_check: Duration::from_secs(3600),
            ..tls
        })
    })
    .await;
    let port = issuer.addr().port();
    let (mut open, shown) = connect(&ca, port).await;
    assert_eq!(shown, leaf(&first));

    let second = ca.localhost_cert();
    second.write_to(files.path());
    // SAFETY: kill(2) on this process with a signal the issuer handles (registered at start).
    assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGHUP) }, 0);
    wait_for_certificate(&ca, port, &leaf(&second)).await;

    // The connection opened before the reload still answers.
    open.write_all(b"GET /v1/trust-list HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = open.read_to_end(&mut answer).await;
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer[..answer.len().min(200)])
    );
}

#[tokio::test]
async fn a_certificate_replaced_on_disk_is_served_without_a_signal() {
    let ca = TestCa::new("doorpass test CA");
    let files = tempfile::tempdir().unwrap();
    let tls = ca.localhost_cert().write_to(files.path());
    let issuer = DevIssuer::start(|config| {
        config.tls = Some(TlsConfig {
            reload_check: Duration::from_millis(100),
            ..tls
        })
    })
    .await;
    let second = ca.localhost_cert();
    second.write_to(files.path());
    wait_for_certificate(&ca, issuer.addr().port(), &leaf(&second)).await;
}

#[test]
fn a_replacement_that_cannot_serve_keeps_the_previous_certificate() {
    let ca = TestCa::new("doorpass test CA");
    let files = tempfile::tempdir().unwrap();
    let first = ca.localhost_cert();
    let config = first.write_to(files.path());
    let certificate = ReloadingCertificate::load(&config).unwrap();
    let before = certificate.current();

    // A key of another certificate, as when only one of the two files was copied yet.
    let other = ca.localhost_cert();
    std::fs::write(&config.private_key, &other.key_pem).unwrap();
    assert!(!certificate.reload(true));
    // A truncated certificate file.
    std::fs::write(&config.private_key, &first.key_pem).unwrap();
    std::fs::write(&config.cert_chain, &first.chain_pem[..40]).unwrap();
    assert!(!certificate.reload(false));
    assert!(Arc::ptr_eq(&before, &certificate.current()));

    // Once both files fit again, the change is taken.
    other.write_to(files.path());
    assert!(certificate.reload(false));
    assert_eq!(certificate.current().cert[0], leaf(&other));
}

#[tokio::test]
async fn an_issuer_whose_key_does_not_match_its_certificate_does_not_start() {
    let ca = TestCa::new("doorpass test CA");
    let files = tempfile::tempdir().unwrap();
    let config = ca.localhost_cert().write_to(files.path());
    std::fs::write(&config.private_key, ca.localhost_cert().key_pem).unwrap();
    let issuer = DevIssuer::start(|_| {}).await;
    let mut settings = doorpass_issuer::testing::dev_config(issuer.dir.path());
    settings.database = Some(issuer.database().clone());
    settings.tls = Some(config);
    let refused = Issuer::open(&settings).await;
    assert!(
        matches!(refused, Err(StartError::Tls(_))),
        "{:?}",
        refused.err()
    );
}
