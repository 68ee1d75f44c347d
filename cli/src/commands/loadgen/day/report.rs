//! The replay's figures: per simulated hour, what the issuer received by kind and what the
//! per-door-fetch design would have needed; the table, the summary lines and the JSON.

use std::fmt::Write;

use serde::Serialize;

use super::counting::KINDS;
use super::population::Renewals;
use super::profile::LUNCH_HOUR;

/// Which day is replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Everyone has a pass (issued over the previous 30 days); a few first enrolments.
    Steady = 1,
    /// Nobody has a pass yet; a third of the population enrols during the day.
    DayOne = 2,
}

impl Scenario {
    /// The words of the summary line.
    pub(super) fn words(self) -> &'static str {
        match self {
            Scenario::Steady => "steady state",
            Scenario::DayOne => "day one",
        }
    }
}

/// One simulated hour (local time).
#[derive(Default, Clone, Serialize)]
pub(super) struct HourRow {
    /// Requests the issuer received, by kind ([`KINDS`]), from its `/metrics`.
    pub(super) issuer: [u64; KINDS.len()],
    /// Requests the phones and doors sent, by kind, counted as they left.
    pub(super) sent: [u64; KINDS.len()],
    /// Of the issuer's, those answered 503 or 429.
    pub(super) shed: u64,
    /// Door devices' list fetches (status and trust lists) among them.
    pub(super) door_fetches: u64,
    /// Door visits this hour: one request each in the per-door-fetch design.
    pub(super) per_door_fetch: u64,
}

impl HourRow {
    /// Everything the issuer received this hour.
    pub(super) fn doorpass(&self) -> u64 {
        self.issuer.iter().sum()
    }

    /// What the phones caused (everything but the door devices' list fetches).
    pub(super) fn wallets_only(&self) -> u64 {
        self.doorpass().saturating_sub(self.door_fetches)
    }
}

/// A replayed day.
#[derive(Serialize)]
pub(super) struct DayResult {
    /// The scenario.
    pub(super) scenario: Scenario,
    /// Holders in the population.
    pub(super) holders: usize,
    /// Door devices.
    pub(super) doors: usize,
    /// The 24 local hours, 0:00–1:00 first.
    pub(super) hours: Vec<HourRow>,
    /// Enrolments completed before the day.
    pub(super) enrolled_before: u64,
    /// Renewals before the day.
    pub(super) renewed_before: u64,
    /// Enrolments completed in all.
    pub(super) enrolled: u64,
    /// Enrolment attempts shed with `Retry-After` (each tried again after it).
    pub(super) enrol_busy: u64,
    /// Enrolments still waiting at the end of the day.
    pub(super) unenrolled: u64,
    /// Renewals in all (renewed, deferred, re-authentication required).
    #[serde(skip)]
    pub(super) renewed: Renewals,
    /// Failures other than shedding, and the first one's words.
    pub(super) failures: u64,
    /// The first failure.
    pub(super) first_failure: Option<String>,
}

impl DayResult {
    /// An empty result.
    pub(super) fn new(scenario: Scenario, holders: usize, doors: usize) -> Self {
        DayResult {
            scenario,
            holders,
            doors,
            hours: vec![HourRow::default(); 24],
            enrolled_before: 0,
            renewed_before: 0,
            enrolled: 0,
            enrol_busy: 0,
            unenrolled: 0,
            renewed: Renewals::default(),
            failures: 0,
            first_failure: None,
        }
    }

    /// Counts a failure.
    pub(super) fn fail(&mut self, e: String) {
        self.failures += 1;
        self.first_failure.get_or_insert(e);
    }

    /// The per-hour table.
    pub(super) fn table(&self) -> String {
        let mut out = format!(
            "{} — {} holders, {} door devices\n",
            self.scenario.words(),
            self.holders,
            self.doors
        );
        let _ = writeln!(
            out,
            "| hour  | {} | shed | doors | Doorpass | per-door-fetch |",
            KINDS.join(" | ")
        );
        let _ = writeln!(out, "|{}", "---|".repeat(KINDS.len() + 5));
        for (h, row) in self.hours.iter().enumerate() {
            let kinds: Vec<String> = row.issuer.iter().map(u64::to_string).collect();
            let _ = writeln!(
                out,
                "| {h:02}:00 | {} | {} | {} | {} | {} |",
                kinds.join(" | "),
                row.shed,
                row.door_fetches,
                row.doorpass(),
                row.per_door_fetch
            );
        }
        out
    }

    /// `day replay (steady state): lunch hour Doorpass N req/s vs per-door-fetch M req/s = R×`,
    /// with everything the issuer received in the lunch hour.
    pub(super) fn summary(&self) -> String {
        let lunch = &self.hours[LUNCH_HOUR];
        summary_line(
            self.scenario.words(),
            lunch.doorpass(),
            lunch.per_door_fetch,
        )
    }

    /// The same without the door devices' list fetches (what an edge cache in front would answer).
    pub(super) fn summary_wallets_only(&self) -> String {
        let lunch = &self.hours[LUNCH_HOUR];
        let words = format!("{}, phones only", self.scenario.words());
        summary_line(&words, lunch.wallets_only(), lunch.per_door_fetch)
    }

    /// Renewals and enrolments, in words.
    pub(super) fn notes(&self) -> String {
        format!(
            "{}: enrolled {} before the day and {} during it ({} shed with Retry-After and tried \
             again, {} still waiting at midnight); renewals: {} before the day, {} during it ({} \
             deferred, {} re-authentication); {} other failures{}",
            self.scenario.words(),
            self.enrolled_before,
            self.enrolled.saturating_sub(self.enrolled_before),
            self.enrol_busy,
            self.unenrolled,
            self.renewed_before,
            self.renewed.renewed.saturating_sub(self.renewed_before),
            self.renewed.deferred,
            self.renewed.reauth,
            self.failures,
            self.first_failure
                .as_ref()
                .map_or(String::new(), |e| format!(" (first: {e})"))
        )
    }
}

/// A summary line from an hour's counts. The ratio has one decimal below 10; with no Doorpass
/// request at all it is written `>M×` (M requests against fewer than one).
pub(super) fn summary_line(words: &str, doorpass: u64, per_door_fetch: u64) -> String {
    let rate = |n: u64| n as f64 / 3600.0;
    let ratio = match doorpass {
        0 => format!(">{per_door_fetch}"),
        _ => {
            let r = per_door_fetch as f64 / doorpass as f64;
            if r < 10.0 {
                format!("{r:.1}")
            } else {
                format!("{r:.0}")
            }
        }
    };
    format!(
        "day replay ({words}): lunch hour Doorpass {} req/s vs per-door-fetch {} req/s = {ratio}×",
        fmt_rate(rate(doorpass)),
        fmt_rate(rate(per_door_fetch)),
    )
}

/// Three significant digits, without exponent.
fn fmt_rate(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let digits = (2 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_line_divides_the_lunch_hour_counts() {
        assert_eq!(
            summary_line("steady state", 36, 36_000),
            "day replay (steady state): lunch hour Doorpass 0.0100 req/s vs per-door-fetch 10.0 req/s = 1000×"
        );
        assert_eq!(
            summary_line("day one", 0, 7200),
            "day replay (day one): lunch hour Doorpass 0 req/s vs per-door-fetch 2.00 req/s = >7200×"
        );
        assert!(summary_line("x", 3600, 1800).ends_with("= 0.5×"));
    }
}
