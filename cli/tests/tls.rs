//! `doorpass issuer serve --tls-cert --tls-key` as a real process, and the commands that fetch from
//! it (`verify --status-list`, `loadgen status`) trusting a test CA with `--ca-cert`, and only then.

mod common;

use common::issuer::IssuerProcess;
use common::{doorpass, doorpass_expect, p};
use doorpass_issuer::test_certs::TestCa;

#[test]
fn commands_reach_an_https_issuer_with_ca_cert_and_refuse_it_without() {
    let tmp = tempfile::tempdir().unwrap();
    common::setup_issuer_holder_pass(tmp.path());
    let ca = TestCa::new("doorpass test CA");
    let tls = ca.localhost_cert().write_to(tmp.path());
    let ca_file = p(tmp.path(), "ca.pem");
    std::fs::write(&ca_file, ca.cert_pem()).unwrap();
    let (cert, key) = (
        tls.cert_chain.display().to_string(),
        tls.private_key.display().to_string(),
    );
    let issuer = IssuerProcess::start(
        &tmp.path().join("issuer"),
        &["--tls-cert", &cert, "--tls-key", &key],
    );
    assert!(issuer.url.starts_with("https://"), "{}", issuer.url);

    let qr = doorpass_expect(
        &[
            "present",
            "--pass",
            &p(tmp.path(), "pass.cose"),
            "--holder-key",
            &p(tmp.path(), "holder.pem"),
        ],
        0,
    );
    let list = format!("{}/v1/status/1", issuer.url);
    let (anchor, trust_list) = (
        p(tmp.path(), "issuer/anchor.pub.pem"),
        p(tmp.path(), "issuer/trust-list.cose"),
    );
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "--anchor",
            &anchor,
            "--trust-list",
            &trust_list,
            "--status-list",
            &list,
        ];
        args.extend_from_slice(extra);
        args.push(qr.trim());
        doorpass(&args)
    };
    let trusted = verify(&["--ca-cert", &ca_file]);
    assert_eq!(
        trusted.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&trusted.stderr)
    );
    let untrusted = verify(&[]);
    assert_eq!(untrusted.status.code(), Some(2));
    let said = String::from_utf8_lossy(&untrusted.stderr);
    assert!(said.contains("certificate is not trusted"), "{said}");

    let load = |extra: &[&str]| {
        let mut args = vec![
            "loadgen",
            "status",
            "--issuer",
            &issuer.url,
            "--duration",
            "1s",
            "--concurrency",
            "2",
        ];
        args.extend_from_slice(extra);
        doorpass(&args)
    };
    let loaded = load(&["--ca-cert", &ca_file]);
    assert_eq!(
        loaded.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&loaded.stdout)
    );
    assert_eq!(load(&[]).status.code(), Some(1), "no fetch succeeds");
}
