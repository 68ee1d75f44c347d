//! What the log tells: the summary of a period (the door screen's "today: 214 checked, 3
//! refused; lists 2 h old") and the CSV export for an inspector.

use std::fmt::Write;

use super::bucket::{BUCKET_SECONDS, Bucket, REFUSAL_CODES};
use super::{CheckLog, LogFailure};

/// Counts of the door's checks over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckLogSummary {
    /// Start of the period, Unix seconds.
    pub since: u64,
    /// Checks in the period.
    pub checked: u64,
    /// Of which valid.
    pub valid: u64,
    /// Of which valid with "check ID".
    pub check_id: u64,
    /// Of which refused.
    pub refused: u64,
    /// Refusals by reason, in [`REFUSAL_CODES`] order.
    pub refusals: [u64; 15],
    /// Age of the trust list at the latest check in the period, seconds.
    pub trust_list_age_seconds: Option<u64>,
    /// Age of the oldest status list at the latest check in the period, seconds; `None` if none
    /// was held (or there was no check).
    pub status_list_age_seconds: Option<u64>,
    /// Checks counted that may be missing from the file, and why.
    pub failure: Option<LogFailure>,
}

impl CheckLogSummary {
    /// The refusal reasons that occurred, by stable name, most frequent first.
    pub fn refusal_reasons(&self) -> Vec<(&'static str, u64)> {
        let mut reasons: Vec<_> = REFUSAL_CODES
            .iter()
            .zip(self.refusals)
            .filter(|(_, n)| *n > 0)
            .map(|(code, n)| (*code, n))
            .collect();
        reasons.sort_by_key(|r| std::cmp::Reverse(r.1));
        reasons
    }
}

impl CheckLog {
    /// The checks of every bucket that overlaps `since..=now` (and is within the last 90 days).
    /// The lists' ages are those of the latest bucket with checks.
    pub fn summary(&self, since: u64, now: u64) -> CheckLogSummary {
        let mut summary = CheckLogSummary {
            since,
            checked: 0,
            valid: 0,
            check_id: 0,
            refused: 0,
            refusals: [0; 15],
            trust_list_age_seconds: None,
            status_list_age_seconds: None,
            failure: self.failure().cloned(),
        };
        for bucket in self
            .buckets(now)
            .filter(|b| b.start.saturating_add(BUCKET_SECONDS) > since)
        {
            summary.checked += bucket.checked();
            summary.valid += bucket.valid;
            summary.check_id += bucket.check_id;
            summary.refused += bucket.refused;
            for (total, n) in summary.refusals.iter_mut().zip(bucket.refusals) {
                *total += n;
            }
            summary.trust_list_age_seconds = bucket.trust_list_age_seconds;
            summary.status_list_age_seconds = bucket.status_list_age_seconds;
        }
        summary
    }

    /// The log at `now` as CSV: [`csv_header`], then one row per bucket of the last 90 days,
    /// oldest first.
    pub fn csv(&self, now: u64) -> String {
        let mut out = csv_header();
        for bucket in self.buckets(now) {
            csv_row(&mut out, bucket);
        }
        out
    }
}

/// The CSV header row: `bucket_start,bucket_start_unix,valid,check_id,refused`, one column per
/// refusal reason ([`REFUSAL_CODES`]), `trust_list_age_s,status_list_age_s`.
pub fn csv_header() -> String {
    let mut header = String::from("bucket_start,bucket_start_unix,valid,check_id,refused");
    for code in REFUSAL_CODES {
        header.push(',');
        header.push_str(code);
    }
    header.push_str(",trust_list_age_s,status_list_age_s\n");
    header
}

fn csv_row(out: &mut String, b: &Bucket) {
    let _ = write!(
        out,
        "{},{},{},{},{}",
        rfc3339_utc(b.start),
        b.start,
        b.valid,
        b.check_id,
        b.refused
    );
    for n in b.refusals {
        let _ = write!(out, ",{n}");
    }
    let age = |a: Option<u64>| a.map(|a| a.to_string()).unwrap_or_default();
    let _ = writeln!(
        out,
        ",{},{}",
        age(b.trust_list_age_seconds),
        age(b.status_list_age_seconds)
    );
}

/// `unix` as an RFC 3339 UTC time, e.g. `2026-12-03T18:50:00Z`.
pub fn rfc3339_utc(unix: u64) -> String {
    let days = unix / 86_400;
    let seconds = unix % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// The Gregorian date `days` after 1970-01-01 (H. Hinnant's `civil_from_days`, for days ≥ 0).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}
