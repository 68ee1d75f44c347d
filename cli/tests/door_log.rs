//! `doorpass verify --log FILE` and `doorpass door-log FILE`: the real binary counting checks in a
//! check log, summarising it and exporting it as CSV, and a log that cannot be written costing no
//! verdict.

mod common;

use std::process::Command;

use common::{doorpass, doorpass_expect, p, setup_issuer_holder_pass};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn present(dir: &std::path::Path, at: u64, extra: &[&str]) -> String {
    let mut args = vec![
        "present".to_string(),
        "--pass".into(),
        p(dir, "pass.cose"),
        "--holder-key".into(),
        p(dir, "holder.pem"),
        "--at".into(),
        at.to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    doorpass_expect(&refs, 0).trim_end().to_string()
}

fn verify_args(dir: &std::path::Path, log: &str, at: u64, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "verify".to_string(),
        "--anchor".into(),
        p(dir, "issuer/anchor.pub.pem"),
        "--trust-list".into(),
        p(dir, "issuer/trust-list.cose"),
        "--log".into(),
        log.into(),
        "--at".into(),
        at.to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn verify(dir: &std::path::Path, log: &str, at: u64, extra: &[&str], code: i32) -> String {
    let args = verify_args(dir, log, at, extra);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    doorpass_expect(&refs, code)
}

#[test]
fn verify_log_counts_each_check_and_door_log_prints_the_summary_and_the_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup_issuer_holder_pass(dir);
    let log = p(dir, "door/check-log");
    std::fs::create_dir(dir.join("door")).unwrap();
    let now = now();
    let code = present(dir, now, &[]);
    verify(dir, &log, now, &[&code], 0);
    let out = verify(dir, &log, now + 300, &[&code], 1);
    assert!(out.starts_with("REFUSED (stale_step)"), "{out}");
    verify(dir, &log, now + 301, &["DP1:not-a-code"], 1);
    let printed = present(dir, now, &["--static"]);
    verify(dir, &log, now + 302, &["--allow-static", &printed], 0);

    let at = (now + 302).to_string();
    let since = (now - 1).to_string();
    let summary = doorpass_expect(&["door-log", &log, "--at", &at, "--since", &since], 0);
    assert_eq!(
        summary.trim_end(),
        format!(
            "since {since}: 4 checked, 2 refused (1 malformed, 1 stale step), 1 check ID; lists 0 h old (no status list)"
        )
    );
    let today = doorpass_expect(&["door-log", &log, "--at", &at], 0);
    assert!(today.starts_with("today (UTC): "), "{today}");

    let csv = doorpass_expect(&["door-log", &log, "--csv", "--at", &at], 0);
    let rows: Vec<&str> = csv.lines().collect();
    assert!(
        rows[0].starts_with("bucket_start,bucket_start_unix,valid,check_id,refused,malformed,")
    );
    let totals = rows[1..].iter().fold([0u64; 3], |mut t, row| {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells.len(), 22, "{row}");
        assert!(
            cells[0].ends_with(":00Z") && cells[0].contains('T'),
            "{row}"
        );
        for (total, cell) in t.iter_mut().zip(&cells[2..5]) {
            *total += cell.parse::<u64>().unwrap();
        }
        t
    });
    assert_eq!(totals, [1, 1, 2]);
    // Nothing of the holder in the log or the export: the pass is in 이서연 Lee Seoyun's name.
    let file = std::fs::read_to_string(&log).unwrap();
    for text in [&file, &csv] {
        assert!(!text.contains("Lee") && !text.contains("이서연") && !text.contains("1990"));
    }
    // No log there: an error, not an empty summary.
    let missing = doorpass(&["door-log", &p(dir, "door/none")]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn a_log_on_a_full_disk_costs_no_verdict_and_says_the_check_was_not_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup_issuer_holder_pass(dir);
    let log = p(dir, "check-log");
    let now = now();
    let code = present(dir, now, &[]);
    // A file-size limit of 0 bytes: every write to a file fails as on a full disk (EFBIG), and
    // the signal that would kill the process is ignored.
    let out = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 0; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_doorpass"))
        .args(verify_args(dir, &log, now, &[&code]))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("VALID: "));
    assert!(
        stderr.contains("warning: this check was not counted"),
        "{stderr}"
    );
    // With room again, the next check is counted.
    verify(dir, &log, now + 1, &[&code], 0);
    let at = (now + 1).to_string();
    let since = (now - 1).to_string();
    let summary = doorpass_expect(&["door-log", &log, "--at", &at, "--since", &since], 0);
    assert!(summary.contains(": 1 checked, 0 refused"), "{summary}");
}
