//! `doorpass wallet` and `doorpass demo` for people and QA, against a real issuer process.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::issuer::{IssuerProcess, issuer_dir_with_holders};
use common::{doorpass, doorpass_expect, p};

/// Reads the last code the dev issuer sent to `subject`, waiting for it to appear.
fn dev_code(url: &str, subject: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client =
            doorpass_wallet::issuer_client::IssuerClient::over_https(url, Duration::from_secs(5))
                .unwrap();
        if let Ok(code) = runtime.block_on(client.dev_code(subject)) {
            return code;
        }
        assert!(Instant::now() < deadline, "no code was sent to {subject}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `wallet enrol`, answering the code prompt through a pipe: `CODE` stands for the code the issuer
/// sent, `WRONG` for a code that is surely not it.
fn enrol(
    home: &str,
    issuer: &IssuerProcess,
    anchor: &str,
    subject: &str,
    codes: &[&str],
) -> std::process::Output {
    enrol_via(&[], "file", home, issuer, anchor, subject, codes, &[])
}

/// [`enrol`], run through `wrapper` (a program and its arguments that end by running the rest), with
/// `--secrets secrets` and `extra` arguments to `enrol`.
#[allow(clippy::too_many_arguments)]
fn enrol_via(
    wrapper: &[&str],
    secrets: &str,
    home: &str,
    issuer: &IssuerProcess,
    anchor: &str,
    subject: &str,
    codes: &[&str],
    extra: &[&str],
) -> std::process::Output {
    let doorpass = env!("CARGO_BIN_EXE_doorpass");
    let (program, first_args) = match wrapper.split_first() {
        Some((program, args)) => (*program, [args, &[doorpass]].concat()),
        None => (doorpass, Vec::new()),
    };
    let mut child = Command::new(program)
        .args(first_args)
        .args([
            "wallet",
            "--home",
            home,
            "--secrets",
            secrets,
            "enrol",
            "--issuer",
            &issuer.url,
            "--anchor",
            anchor,
        ])
        .args(["--subject", subject])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let code = dev_code(&issuer.url, subject);
    // Surely wrong: the right code with its last digit changed.
    let wrong: String = code
        .char_indices()
        .map(|(i, c)| match (i + 1 == code.len(), c) {
            (true, '9') => '0',
            (true, d) => char::from(d as u8 + 1),
            (false, d) => d,
        })
        .collect();
    let mut stdin = child.stdin.take().unwrap();
    for c in codes {
        let line = match *c {
            "CODE" => code.as_str(),
            "WRONG" => wrong.as_str(),
            other => other,
        };
        writeln!(stdin, "{line}").unwrap();
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn enrol_show_offline_verify_renew_remove_wipe() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("issuer");
    issuer_dir_with_holders(&dir, 1);
    let mut issuer = IssuerProcess::start(&dir, &[]);
    let home = p(tmp.path(), "wallet");
    let anchor = p(&dir, "anchor.pub.pem");
    let tl = p(&dir, "trust-list.cose");

    // A wrong code first, then the right one, both read from a pipe.
    let out = enrol(
        &home,
        &issuer,
        &anchor,
        "demo-lee",
        &["000000x", "WRONG", "CODE"],
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("enrolled: pass") && stdout.contains("이서연 Lee Seoyun"),
        "{stdout}"
    );
    assert!(
        stderr.contains("the code is 6 digits") || stderr.contains("not right"),
        "{stderr}"
    );
    // The wallet folder holds names and birth dates: only its owner may enter it.
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&home).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{mode:o}");
    }

    let list = doorpass_expect(&["wallet", "--home", &home, "list"], 0);
    assert!(
        list.contains("valid;") && list.contains("trust list version 1"),
        "{list}"
    );
    let id = list.split_whitespace().nth(1).unwrap().to_string();

    // Text: the QR text alone; the offline verifier accepts it.
    let text = doorpass_expect(&["wallet", "--home", &home, "qr", "--format", "text"], 0);
    assert_eq!(text.lines().count(), 1);
    doorpass_expect(
        &[
            "verify",
            "--anchor",
            &anchor,
            "--trust-list",
            &tl,
            text.trim(),
        ],
        0,
    );

    // The issuer goes away (kill -9): everything needed to show and check the code is local.
    issuer.kill9();
    let png = p(tmp.path(), "qr.png");
    doorpass_expect(
        &[
            "wallet", "--home", &home, "qr", "--pass", &id, "--format", "png", "--out", &png,
        ],
        0,
    );
    let zbar = Command::new("zbarimg")
        .args(["--raw", "-q", &png])
        .output()
        .expect("zbarimg (zbar-tools)");
    let decoded = String::from_utf8(zbar.stdout).unwrap();
    doorpass_expect(
        &[
            "verify",
            "--anchor",
            &anchor,
            "--trust-list",
            &tl,
            decoded.trim(),
        ],
        0,
    );
    let svg = p(tmp.path(), "qr.svg");
    doorpass_expect(
        &[
            "wallet", "--home", &home, "qr", "--format", "svg", "--out", &svg,
        ],
        0,
    );
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
    let term = doorpass_expect(&["wallet", "--home", &home, "qr"], 0);
    assert!(term.contains('▀'));
    let live = doorpass_expect(
        &[
            "wallet", "--home", &home, "qr", "--format", "live", "--frames", "2",
        ],
        0,
    );
    assert_eq!(live.matches("\x1b[2J").count(), 2, "two redraws");
    assert!(live.contains("new code in") && live.contains("works offline"));
    let fixed = doorpass_expect(
        &[
            "wallet", "--home", &home, "qr", "--static", "--format", "text",
        ],
        0,
    );
    doorpass_expect(
        &[
            "verify",
            "--anchor",
            &anchor,
            "--trust-list",
            &tl,
            "--allow-static",
            fixed.trim(),
        ],
        0,
    );

    // Renewal with the issuer down: a clear message, exit 1, the pass kept.
    let out = doorpass(&["wallet", "--home", &home, "renew", "--force"]);
    assert_eq!(out.status.code(), Some(1));
    let msg = String::from_utf8_lossy(&out.stdout);
    assert!(
        msg.contains("could not be reached") && msg.contains("the current pass is kept"),
        "{msg}"
    );
    doorpass_expect(&["wallet", "--home", &home, "qr", "--format", "text"], 0);

    // The secret store recorded at enrolment is the one used; asking for another is refused.
    let out = doorpass(&["wallet", "--home", &home, "--secrets", "keyring", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("keeps its secrets in its file store"));

    doorpass_expect(&["wallet", "--home", &home, "remove", "--pass", &id], 0);
    assert!(doorpass_expect(&["wallet", "--home", &home, "list"], 0).contains("no passes yet"));
    doorpass_expect(&["wallet", "--home", &home, "wipe"], 0);
    assert!(!std::path::Path::new(&home).exists());
    let out = doorpass(&["wallet", "--home", &home, "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("enrol first"));
}

#[test]
fn enrol_with_no_code_on_stdin_fails_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("issuer");
    issuer_dir_with_holders(&dir, 1);
    let issuer = IssuerProcess::start(&dir, &[]);
    let home = p(tmp.path(), "wallet");
    let out = enrol(&home, &issuer, &p(&dir, "anchor.pub.pem"), "demo-kim", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no code given"));
}

#[test]
fn enrol_against_another_issuer_url_needs_replace_issuer() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("issuer");
    issuer_dir_with_holders(&dir, 1);
    let home = p(tmp.path(), "wallet");
    let anchor = p(&dir, "anchor.pub.pem");
    let first = IssuerProcess::start(&dir, &[]);
    let out = enrol(&home, &first, &anchor, "demo-kim", &["CODE"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first_url = first.url.clone();
    drop(first);
    // The same issuer folder served from another address.
    let moved = IssuerProcess::start(&dir, &[]);
    assert_ne!(moved.url, first_url);
    let out = doorpass(&[
        "wallet",
        "--home",
        &home,
        "enrol",
        "--issuer",
        &moved.url,
        "--anchor",
        &anchor,
        "--subject",
        "demo-kim",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&first_url) && stderr.contains("--replace-issuer"),
        "{stderr}"
    );
    let identity = std::fs::read_to_string(p(tmp.path(), "wallet/identity.json")).unwrap();
    assert!(identity.contains(&first_url), "the recorded issuer stays");
    // Asked for: the wallet follows the issuer and re-authenticates its pass there.
    let out = enrol_via(
        &[],
        "file",
        &home,
        &moved,
        &anchor,
        "demo-kim",
        &["CODE"],
        &["--replace-issuer"],
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Re-authenticating"), "{stderr}");
    assert!(stdout.contains("enrolled: pass"), "{stdout}");
    let identity = std::fs::read_to_string(p(tmp.path(), "wallet/identity.json")).unwrap();
    assert!(identity.contains(&moved.url), "{identity}");
}

#[test]
fn demo_runs_the_whole_story_and_exits_zero() {
    let out = doorpass_expect(&["demo"], 0);
    for n in 1..=6 {
        assert!(
            out.contains(&format!("[{n}/6]")),
            "step {n} missing:\n{out}"
        );
    }
    assert!(out.contains("stopping the issuer"));
    assert!(out.contains("VALID: Kim Minji"));
    assert!(out.contains("REFUSED (stale_step)"));
    assert_eq!(
        out.matches("works offline").count(),
        2,
        "the code is shown before and after the issuer stops"
    );
}

#[test]
fn with_no_os_keystore_the_cli_says_so_once_and_keeps_secrets_in_a_private_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("issuer");
    issuer_dir_with_holders(&dir, 1);
    let issuer = IssuerProcess::start(&dir, &[]);
    let home = p(tmp.path(), "wallet");
    let anchor = p(&dir, "anchor.pub.pem");
    // A session keyring nobody may write to: the kernel keystore is there but unusable, as on a
    // machine without one.
    let no_keystore = [
        "keyctl",
        "session",
        "-",
        "sh",
        "-c",
        "keyctl setperm @s 0 >/dev/null && exec \"$@\"",
        "sh",
    ];
    let out = enrol_via(
        &no_keystore,
        "auto",
        &home,
        &issuer,
        &anchor,
        "demo-lee",
        &["CODE"],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let notices: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("no OS keystore reachable"))
        .collect();
    assert_eq!(notices.len(), 1, "{stderr}");
    assert!(notices[0].contains("secrets.json") && notices[0].contains("readable only by you"));
    let home = std::path::Path::new(&home);
    assert_eq!(
        std::fs::read_to_string(home.join("secret-store"))
            .unwrap()
            .trim(),
        "file"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.join("secrets.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    // Later, with a keystore reachable, the wallet keeps using the store it recorded: the pass is
    // shown, nothing is looked for elsewhere, and nothing is said about it.
    let home = home.display().to_string();
    let qr = Command::new(env!("CARGO_BIN_EXE_doorpass"))
        .args(["wallet", "--home", &home, "qr", "--format", "text"])
        .output()
        .unwrap();
    assert!(
        qr.status.success(),
        "{}",
        String::from_utf8_lossy(&qr.stderr)
    );
    assert!(String::from_utf8_lossy(&qr.stdout).starts_with("DP1:"));
    assert!(!String::from_utf8_lossy(&qr.stderr).contains("keystore"));
}
