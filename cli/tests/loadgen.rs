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
}
