//! The `doorpass` program end to end: issuer, holder, presenter and verifier, through real files and
//! real QR pictures read back by independent decoders (zbarimg and rqrr).

mod common;

use std::process::Command;

use common::{doorpass, doorpass_expect, mint_pass, p, setup_issuer_holder_pass};

fn verify_args<'a>(dir: &'a str, extra: &[&'a str]) -> Vec<String> {
    let mut v = vec![
        "verify".to_string(),
        "--anchor".into(),
        format!("{dir}/issuer/anchor.pub.pem"),
        "--trust-list".into(),
        format!("{dir}/issuer/trust-list.cose"),
    ];
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn run_verify(dir: &str, extra: &[&str], code: i32) -> String {
    let args = verify_args(dir, extra);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    doorpass_expect(&refs, code)
}

/// Decodes a PNG with zbarimg, the independent decoder from Debian's zbar-tools.
fn zbarimg(path: &str) -> String {
    let out = Command::new("zbarimg")
        .args(["--raw", "-q", path])
        .output()
        .expect("zbarimg must be installed (scripts/test.sh installs zbar-tools)");
    assert!(
        out.status.success(),
        "zbarimg failed on {path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string()
}

#[test]
fn rotating_png_decodes_with_zbarimg_and_rqrr_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup_issuer_holder_pass(dir);
    let d = dir.display().to_string();
    // Mint happened "now" (real time); present and verify at the real time too.
    let text = doorpass_expect(
        &[
            "present",
            "--pass",
            &p(dir, "pass.cose"),
            "--holder-key",
            &p(dir, "holder.pem"),
        ],
        0,
    );
    let text = text.trim_end();
    assert!(text.starts_with("DP1:") && !text.contains('\n'));
    let out = run_verify(&d, &["--json", text], 0);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["verdict"], "valid");
    assert_eq!(json["display_name"], "이서연 Lee Seoyun");
    assert_eq!(json["kind"], "vaccination");

    doorpass_expect(
        &[
            "present",
            "--pass",
            &p(dir, "pass.cose"),
            "--holder-key",
            &p(dir, "holder.pem"),
            "--format",
            "png",
            "--out",
            &p(dir, "r.png"),
        ],
        0,
    );
    let decoded = zbarimg(&p(dir, "r.png"));
    assert!(decoded.starts_with("DP1:"));
    run_verify(&d, &[&decoded], 0);
    // rqrr, inside `verify --image`.
    let out = run_verify(&d, &["--image", &p(dir, "r.png")], 0);
    assert!(out.starts_with("VALID: 이서연 Lee Seoyun"), "{out}");
    // A code made for a far-off time (a phone clock an hour ahead) is refused by the real-time
    // verifier.
    let ahead = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600)
        .to_string();
    let late = doorpass_expect(
        &[
            "present",
            "--pass",
            &p(dir, "pass.cose"),
            "--holder-key",
            &p(dir, "holder.pem"),
            "--at",
            &ahead,
        ],
        0,
    );
    let out = run_verify(&d, &["--json", late.trim_end()], 1);
    assert!(out.contains("\"reason\":\"future_step\""), "{out}");
}

#[test]
fn screenshot_replayed_later_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup_issuer_holder_pass(dir);
    let d = dir.display().to_string();
    let now: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let shot = doorpass_expect(
        &[
            "present",
            "--pass",
            &p(dir, "pass.cose"),
            "--holder-key",
            &p(dir, "holder.pem"),
            "--at",
            &(now + 60).to_string(),
        ],
        0,
    );
    run_verify(&d, &["--at", &(now + 60).to_string(), shot.trim_end()], 0);
    let out = run_verify(&d, &["--at", &(now + 300).to_string(), shot.trim_end()], 1);
    assert!(out.starts_with("REFUSED (stale_step)"), "{out}");
    // A wider tolerance accepts it.
    run_verify(
        &d,
        &[
            "--at",
            &(now + 300).to_string(),
            "--tolerance",
            "300",
            shot.trim_end(),
        ],
        0,
    );
}

#[test]
fn static_png_decodes_and_is_refused_unless_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup_issuer_holder_pass(dir);
    let d = dir.display().to_string();
    doorpass_expect(
        &[
            "present",
            "--static",
            "--pass",
            &p(dir, "pass.cose"),
            "--holder-key",
            &p(dir, "holder.pem"),
            "--format",
            "png",
            "--out",
            &p(dir, "s.png"),
        ],
        0,
    );
    let decoded = zbarimg(&p(dir, "s.png"));
    let out = run_verify(&d, &[&decoded], 1);
    assert!(out.starts_with("REFUSED (static_refused)"), "{out}");
    run_verify(&d, &["--allow-static", &decoded], 0);
    run_verify(&d, &["--allow-static", "--image", &p(dir, "s.png")], 0);
}

#[test]
fn terminal_and_svg_formats_render() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup_issuer_holder_pass(dir);
    let term = doorpass_expect(
        &[
            "present",
            "--pass",
            &p(dir, "pass.cose"),
            "--holder-key",
            &p(dir, "holder.pem"),
            "--format",
            "terminal",
        ],
        0,
    );
    // Version 13 is 69 modules + 8 quiet-zone modules = 77 rows, two per line.
    assert_eq!(term.lines().count(), 39);
    assert!(term.contains('▀') && term.contains('▄'));
    doorpass_expect(
        &[
            "present",
            "--pass",
            &p(dir, "pass.cose"),
            "--holder-key",
            &p(dir, "holder.pem"),
            "--format",
            "svg",
            "--out",
            &p(dir, "q.svg"),
        ],
        0,
    );
    let svg = std::fs::read_to_string(dir.join("q.svg")).unwrap();
    assert!(svg.contains("viewBox=\"0 0 77 77\""), "{}", &svg[..120]);
    let out = doorpass(&[
        "present",
        "--pass",
        &p(dir, "pass.cose"),
        "--holder-key",
        &p(dir, "holder.pem"),
        "--format",
        "png",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "png without --out is a usage error"
    );
}

#[test]
fn bad_input_gives_clear_errors_and_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup_issuer_holder_pass(dir);
    let d = dir.display().to_string();
    // Garbage codes are refused as malformed (exit 1), never a crash.
    for junk in [
        "",
        "DP1:",
        "DP1:!!",
        "HC1:NCFOXN",
        "DP1:0000",
        &"DP1:".repeat(2000),
    ] {
        let out = run_verify(&d, &["--json", junk], 1);
        assert!(
            out.contains("\"reason\":\"malformed\""),
            "{junk:.20}: {out}"
        );
    }
    // A missing file or a wrong key type is an I/O or usage error (exit 2) with a message.
    let out = doorpass(&[
        "verify",
        "--anchor",
        &p(dir, "nope.pem"),
        "--trust-list",
        &p(dir, "issuer/trust-list.cose"),
        "DP1:",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.pem"));
    let out = doorpass(&[
        "verify",
        "--anchor",
        &p(dir, "holder.pem"),
        "--trust-list",
        &p(dir, "issuer/trust-list.cose"),
        "DP1:",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("BEGIN"),
        "never echo key material"
    );
    // A trust list signed by someone else.
    doorpass_expect(&["issuer", "init", "--dir", &p(dir, "other")], 0);
    let out = doorpass(&[
        "verify",
        "--anchor",
        &p(dir, "other/anchor.pub.pem"),
        "--trust-list",
        &p(dir, "issuer/trust-list.cose"),
        "DP1:",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not signed by the pinned trust anchor"));
    // A corrupt pass file, a wrong holder key, bad mint details, a non-picture.
    std::fs::write(dir.join("bad.cose"), b"\xd2\x84garbage").unwrap();
    let out = doorpass(&[
        "present",
        "--pass",
        &p(dir, "bad.cose"),
        "--holder-key",
        &p(dir, "holder.pem"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a DP1 pass"));
    doorpass_expect(&["holder", "keygen", "--out", &p(dir, "other.pem")], 0);
    let out = doorpass(&[
        "present",
        "--pass",
        &p(dir, "pass.cose"),
        "--holder-key",
        &p(dir, "other.pem"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not the holder key"));
    let out = doorpass(&[
        "issuer",
        "mint",
        "--dir",
        &p(dir, "issuer"),
        "--holder-pub",
        &p(dir, "holder.pub.pem"),
        "--name",
        "X",
        "--birth-date",
        "1990-02-30",
        "--kind",
        "test",
        "--out",
        &p(dir, "x.cose"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("birth date"));
    std::fs::write(dir.join("not.png"), b"hello").unwrap();
    let out = doorpass(&[
        "verify",
        "--anchor",
        &p(dir, "issuer/anchor.pub.pem"),
        "--trust-list",
        &p(dir, "issuer/trust-list.cose"),
        "--image",
        &p(dir, "not.png"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    // Keys are never overwritten silently.
    let out = doorpass(&["holder", "keygen", "--out", &p(dir, "holder.pem")]);
    assert_eq!(out.status.code(), Some(2));
    let out = doorpass(&["issuer", "init", "--dir", &p(dir, "issuer")]);
    assert_eq!(out.status.code(), Some(2));
}

/// The committed vectors: the QR text and time of the case `name`, and the vectors' folder.
fn vector_case(name: &str) -> (String, String, String) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("cases.json")).unwrap()).unwrap();
    let case = manifest["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap();
    (
        case["qr_text"].as_str().unwrap().to_string(),
        case["at"].as_u64().unwrap().to_string(),
        dir.display().to_string(),
    )
}

fn verify_vector(dir: &str, extra: &[&str], code: i32) -> std::process::Output {
    let anchor = format!("{dir}/anchor.pub.pem");
    let trust = format!("{dir}/trust-list.cose");
    let mut args = vec!["verify", "--anchor", &anchor, "--trust-list", &trust];
    args.extend_from_slice(extra);
    let out = doorpass(&args);
    assert_eq!(out.status.code(), Some(code), "doorpass {args:?}: {out:?}");
    out
}

#[test]
fn refuse_unrevocable_refuses_a_pass_naming_no_status_list_and_only_that() {
    let (qr, at, dir) = vector_case("valid_rotating");
    let out = verify_vector(&dir, &["--at", &at, &qr], 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("names no status list"));
    let out = verify_vector(&dir, &["--at", &at, "--refuse-unrevocable", &qr], 1);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("REFUSED (not_revocable)"), "{said}");
    let out = verify_vector(
        &dir,
        &["--json", "--at", &at, "--refuse-unrevocable", &qr],
        1,
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"reason\":\"not_revocable\""));
    // A revocable pass whose list is given and clear is accepted under the same flags.
    let (revocable, at, _) = vector_case("valid_not_revoked_in_status_list");
    let list = format!("{dir}/status-list.cose");
    let strict = [
        "--at",
        &at,
        "--status-list",
        &list,
        "--refuse-unrevocable",
        "--require-revocation-check",
    ];
    verify_vector(&dir, &[&strict[..], &[revocable.as_str()]].concat(), 0);
}

#[test]
fn a_status_list_expired_or_dated_ahead_of_the_verify_time_is_refused_by_name() {
    let (qr, _, dir) = vector_case("valid_not_revoked_in_status_list");
    let list = format!("{dir}/status-list.cose");
    // The vectors' list is made at 1800000000 and expires 31 days later.
    for (at, reason) in [
        ("1802678400", "expired at 1802678400"),
        ("1799990000", "after now"),
    ] {
        let out = verify_vector(&dir, &["--at", at, "--status-list", &list, &qr], 2);
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains(reason), "{said}");
    }
}

#[test]
fn an_es256_holder_key_is_minted_into_a_pass_presented_and_verified() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let d = dir.display().to_string();
    doorpass_expect(&["issuer", "init", "--dir", &p(dir, "issuer")], 0);
    let key = p(dir, "p256.pem");
    doorpass_expect(&["holder", "keygen", "--alg", "es256", "--out", &key], 0);
    let private = std::fs::read_to_string(&key).unwrap();
    assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
    mint_pass(dir, "p256.pub.pem", "Kim Minji");
    let pass = std::fs::read(p(dir, "pass.cose")).unwrap();
    let claims = doorpass_format::Pass::parse(&pass)
        .unwrap()
        .claims()
        .clone();
    assert_eq!(
        claims.holder_key.kind(),
        doorpass_format::holder_key::HolderKeyKind::P256
    );
    let text = doorpass_expect(
        &[
            "present",
            "--pass",
            &p(dir, "pass.cose"),
            "--holder-key",
            &key,
        ],
        0,
    );
    let out = run_verify(&d, &["--json", text.trim_end()], 0);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["verdict"], "valid");
    // Another kind's key does not present this pass.
    doorpass_expect(&["holder", "keygen", "--out", &p(dir, "ed.pem")], 0);
    doorpass_expect(
        &[
            "present",
            "--pass",
            &p(dir, "pass.cose"),
            "--holder-key",
            &p(dir, "ed.pem"),
        ],
        2,
    );
}

/// Mints `dir/pass.cose` for `dir/holder.pub.pem` claiming `assurance` (`issuer mint
/// --key-assurance`), and presents it: the rotating code's text.
fn mint_and_present_with_assurance(dir: &std::path::Path, assurance: &str) -> String {
    doorpass_expect(
        &[
            "issuer",
            "mint",
            "--dir",
            &p(dir, "issuer"),
            "--holder-pub",
            &p(dir, "holder.pub.pem"),
            "--name",
            "Kim Minji",
            "--birth-date",
            "1990-04-01",
            "--kind",
            "vaccination",
            "--key-assurance",
            assurance,
            "--out",
            &p(dir, "pass.cose"),
        ],
        0,
    );
    let text = doorpass_expect(
        &[
            "present",
            "--pass",
            &p(dir, "pass.cose"),
            "--holder-key",
            &p(dir, "holder.pem"),
        ],
        0,
    );
    text.trim_end().to_string()
}

#[test]
fn require_hardware_key_refuses_an_unattested_pass_and_verify_shows_the_key_assurance() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let d = dir.display().to_string();
    setup_issuer_holder_pass(dir);
    let unattested = mint_and_present_with_assurance(dir, "unattested");
    let said = run_verify(&d, &[&unattested], 0);
    assert!(said.contains("key: not attested"), "{said}");
    let said = run_verify(&d, &["--require-hardware-key", &unattested], 1);
    assert!(
        said.starts_with("REFUSED (key_not_hardware_bound)"),
        "{said}"
    );

    let strongbox = mint_and_present_with_assurance(dir, "android-strongbox");
    let said = run_verify(&d, &["--require-hardware-key", &strongbox], 0);
    assert!(said.contains("key: Android StrongBox, attested"), "{said}");
    let json: serde_json::Value =
        serde_json::from_str(&run_verify(&d, &["--json", &strongbox], 0)).unwrap();
    assert_eq!(json["key_assurance"], "android_strong_box");
}
