//! `doorpass door-log`: the summary of a check log (`doorpass verify --log`, or a door's
//! `check-log` file) or its buckets as CSV (docs/door-log.md).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use doorpass_wallet::check_log::{Check, CheckLog, CheckLogSummary};
use doorpass_wallet::format::{Verdict, Verifier};

use crate::DoorLogArgs;
use crate::output::now_or;

/// Counts the check that gave `verdict` in the log at `path`. A log that cannot be written is
/// a warning: the verdict stands.
pub fn record(path: &Path, verdict: &Verdict, verifier: &Verifier, now: u64) {
    let check = Check::of(verdict, verifier, now);
    let outcome = CheckLog::open(path)
        .map_err(|e| format!("the check log {} cannot be opened: {e}", path.display()))
        .and_then(|mut log| log.record(&check).map_err(|f| f.error));
    if let Err(e) = outcome {
        eprintln!("doorpass: warning: this check was not counted: {e}");
    }
}

/// Prints the summary since `--since` (default: UTC midnight of `--at`), or the CSV.
pub fn run(args: &DoorLogArgs) -> Result<ExitCode> {
    if !args.file.is_file() {
        bail!("no check log at {}", args.file.display());
    }
    let log = CheckLog::open(&args.file)
        .with_context(|| format!("opening the check log {}", args.file.display()))?;
    let now = now_or(args.at);
    if args.csv {
        print!("{}", log.csv(now));
        return Ok(ExitCode::SUCCESS);
    }
    let (label, since) = match args.since {
        Some(since) => (format!("since {since}"), since),
        None => ("today (UTC)".to_string(), now - now % 86_400),
    };
    println!("{label}: {}", summary_line(&log.summary(since, now)));
    Ok(ExitCode::SUCCESS)
}

/// "214 checked, 3 refused (2 expired, 1 revoked), 1 check ID; lists 2 h old".
pub fn summary_line(s: &CheckLogSummary) -> String {
    let mut line = format!("{} checked, {} refused", s.checked, s.refused);
    let reasons = s.refusal_reasons();
    if !reasons.is_empty() {
        let parts: Vec<String> = reasons
            .iter()
            .map(|(code, n)| format!("{n} {}", code.replace('_', " ")))
            .collect();
        line.push_str(&format!(" ({})", parts.join(", ")));
    }
    if s.check_id > 0 {
        line.push_str(&format!(", {} check ID", s.check_id));
    }
    let oldest = s.trust_list_age_seconds.max(s.status_list_age_seconds);
    if let Some(age) = oldest {
        line.push_str(&format!("; lists {} h old", age / 3600));
    }
    if s.status_list_age_seconds.is_none() && s.checked > 0 {
        line.push_str(" (no status list)");
    }
    line
}
