//! The load generator against a real issuer process: bounded, and its report adds up.

mod common;

use common::doorpass_expect;
use common::issuer::{IssuerProcess, issuer_dir_with_holders};

#[test]
fn loadgen_enrols_every_wallet_and_the_database_agrees() {
    let tmp = tempfile::tempdir().unwrap();
    issuer_dir_with_holders(tmp.path(), 300);
    let issuer = IssuerProcess::start(tmp.path(), &[]);
    let db = tmp.path().join("issuer.db").display().to_string();
    let pid = issuer.child.id().to_string();
    let record = tmp.path().join("received.txt").display().to_string();
    let out = doorpass_expect(
        &[
            "loadgen",
            "run",
            "--issuer",
            &issuer.url,
            "--wallets",
            "300",
            "--concurrency",
            "8",
            "--duration",
            "60s",
            "--db",
            &db,
            "--issuer-pid",
            &pid,
            "--record",
            &record,
            "--json",
        ],
        0,
    );
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["enrolments"], 300, "{report}");
    assert_eq!(report["requests"], 900);
    assert_eq!(report["routes"]["complete"]["by_status"]["200"], 300);
    assert_eq!(report["database"]["passes_in_database"], 300);
    assert_eq!(report["database"]["missing"], 0);
    assert!(report["issuer_peak_memory_mib"].as_f64().unwrap() > 1.0);
    assert!(report["enrolment_latency"]["p99_ms"].as_f64().unwrap() > 0.0);
    // The separate check command agrees.
    let check = doorpass_expect(&["loadgen", "check", "--db", &db, "--record", &record], 0);
    assert!(check.contains("300 present, 0 missing"), "{check}");
    // Only loopback targets.
    let out = common::doorpass(&[
        "loadgen",
        "run",
        "--issuer",
        "http://192.0.2.1:80",
        "--wallets",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    // Not even when the URL only looks like loopback to a naive parser.
    let out = common::doorpass(&[
        "loadgen",
        "run",
        "--issuer",
        "http://127.0.0.1:80@192.0.2.1",
        "--wallets",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}

#[test]
fn loadgen_fails_when_the_database_disagrees() {
    let tmp = tempfile::tempdir().unwrap();
    issuer_dir_with_holders(tmp.path(), 10);
    let issuer = IssuerProcess::start(tmp.path(), &[]);
    let db = tmp.path().join("issuer.db").display().to_string();
    let run = |first: &str, wallets: &str, db: Option<&str>| {
        let mut args = vec![
            "loadgen",
            "run",
            "--issuer",
            &issuer.url,
            "--first",
            first,
            "--wallets",
            wallets,
            "--concurrency",
            "2",
            "--duration",
            "30s",
        ];
        if let Some(db) = db {
            args.extend(["--db", db]);
        }
        common::doorpass(&args)
    };
    // Two passes issued without being checked…
    assert_eq!(run("0", "2", None).status.code(), Some(0));
    // …so the database records more passes than this run received: exit 1.
    let out = run("2", "3", Some(&db));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the database records 5 passes but 3 unique passes were received"),
        "{stderr}"
    );
    // A database that lacks the passes received: exit 1.
    let other = tmp.path().join("other.db").display().to_string();
    doorpass_expect(
        &[
            "issuer",
            "holders",
            "import",
            "--dir",
            &tmp.path().display().to_string(),
            "--db",
            &other,
            &tmp.path().join("holders.csv").display().to_string(),
        ],
        0,
    );
    let out = run("5", "2", Some(&other));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("2 received pass(es) missing from the database"),
        "{stderr}"
    );
}

#[test]
fn loadgen_renews_a_pool_of_wallets_over_and_over_and_the_database_agrees() {
    let tmp = tempfile::tempdir().unwrap();
    issuer_dir_with_holders(tmp.path(), 50);
    let issuer = IssuerProcess::start(tmp.path(), &[]);
    let db = tmp.path().join("issuer.db").display().to_string();
    let out = doorpass_expect(
        &[
            "loadgen",
            "run",
            "--issuer",
            &issuer.url,
            "--renewals",
            "--pool",
            "50",
            "--rate",
            "200",
            "--duration",
            "2s",
            "--db",
            &db,
            "--json",
        ],
        0,
    );
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["work"], "renewal");
    let renewed = report["passes"].as_u64().unwrap();
    assert!(renewed > 50, "each wallet renewed more than once: {report}");
    assert_eq!(report["routes"]["renew"]["by_status"]["200"], renewed);
    assert!(
        report["routes"]["start"].is_null(),
        "the pool's enrolment is not timed"
    );
    // The pool's 50 enrolments and every renewal are in the database, nothing else.
    assert_eq!(report["database"]["passes_in_database"], renewed + 50);
    assert_eq!(report["database"]["missing"], 0);
}
