//! Helpers for running the real `doorpass` binary in tests.

#![allow(dead_code)]

pub mod edge;
pub mod edge_client;
pub mod issuer;

use std::path::Path;
use std::process::{Command, Output};

/// Runs `doorpass` with `args`; asserts it did not panic.
pub fn doorpass(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_doorpass"))
        .args(args)
        .output()
        .expect("run doorpass");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "doorpass {args:?} panicked: {stderr}"
    );
    out
}

/// Runs `doorpass` with `args` for at most `limit` (killing it if it is still running then); returns
/// its output, or `None` if it had to be killed. Asserts it did not panic.
pub fn doorpass_within(args: &[&str], limit: std::time::Duration) -> Option<Output> {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_doorpass"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run doorpass");
    let deadline = std::time::Instant::now() + limit;
    while child.try_wait().expect("wait for doorpass").is_none() {
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("doorpass output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "doorpass {args:?} panicked: {stderr}"
    );
    Some(out)
}

/// Runs `doorpass` and asserts exit status `code`; returns stdout.
pub fn doorpass_expect(args: &[&str], code: i32) -> String {
    let out = doorpass(args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "doorpass {args:?}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// A path inside `dir`, as a string for command lines.
pub fn p(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

/// An issuer folder, a holder key and a minted pass inside `dir`.
pub fn setup_issuer_holder_pass(dir: &Path) {
    doorpass_expect(
        &[
            "issuer",
            "init",
            "--dir",
            &p(dir, "issuer"),
            "--issuer-id",
            "KR-KDCA",
        ],
        0,
    );
    doorpass_expect(&["holder", "keygen", "--out", &p(dir, "holder.pem")], 0);
    mint_pass(dir, "holder.pub.pem", "이서연 Lee Seoyun");
}

/// Mints `dir/pass.cose` from the issuer folder `dir/issuer` for the holder public key file
/// `holder_pub` (inside `dir`), in `name`'s name.
pub fn mint_pass(dir: &Path, holder_pub: &str, name: &str) {
    doorpass_expect(
        &[
            "issuer",
            "mint",
            "--dir",
            &p(dir, "issuer"),
            "--holder-pub",
            &p(dir, holder_pub),
            "--name",
            name,
            "--birth-date",
            "1990-04-01",
            "--kind",
            "vaccination",
            "--valid-days",
            "30",
            "--out",
            &p(dir, "pass.cose"),
        ],
        0,
    );
}
