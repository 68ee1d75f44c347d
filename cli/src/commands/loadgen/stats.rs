//! What the wallets saw, counted: latencies and answers by route, enrolment times, pass ids, and
//! what the open loop offered.

use std::collections::BTreeMap;
use std::time::Duration;

use super::enrol::{Call, Outcome};

/// Latencies and answers for one route.
#[derive(Default)]
pub(super) struct RouteStats {
    pub(super) accepted_micros: Vec<u64>,
    pub(super) all_micros: Vec<u64>,
    /// By HTTP status; 0 = no answer.
    pub(super) by_status: BTreeMap<u16, u64>,
    pub(super) with_retry_after: u64,
    pub(super) refused: u64,
}

impl RouteStats {
    fn record(&mut self, call: &Call) {
        self.all_micros.push(call.micros);
        if call.accepted {
            self.accepted_micros.push(call.micros);
        } else {
            self.refused += 1;
            self.with_retry_after += u64::from(call.retry_after);
        }
        *self.by_status.entry(call.status).or_default() += 1;
    }

    pub(super) fn by_status_json(&self) -> BTreeMap<String, u64> {
        self.by_status
            .iter()
            .map(|(s, n)| match s {
                0 => ("no answer".to_string(), *n),
                s => (s.to_string(), *n),
            })
            .collect()
    }
}

/// Everything the wallets of a run saw, merged.
#[derive(Default)]
pub(super) struct Stats {
    pub(super) routes: [RouteStats; 4],
    /// Per pass received: the time from the wallet's first request to it.
    pub(super) enrolment_micros: Vec<u64>,
    pub(super) pass_ids: Vec<String>,
}

impl Stats {
    pub(super) fn add(&mut self, outcome: Outcome) {
        for call in &outcome.calls[..outcome.n] {
            self.routes[call.route].record(call);
        }
        if let Some((micros, pass_id)) = outcome.issued {
            self.enrolment_micros.push(micros);
            self.pass_ids.push(pass_id);
        }
    }

    pub(super) fn merge(&mut self, other: Stats) {
        for (mine, theirs) in self.routes.iter_mut().zip(other.routes) {
            mine.accepted_micros.extend(theirs.accepted_micros);
            mine.all_micros.extend(theirs.all_micros);
            for (s, n) in theirs.by_status {
                *mine.by_status.entry(s).or_default() += n;
            }
            mine.with_retry_after += theirs.with_retry_after;
            mine.refused += theirs.refused;
        }
        self.enrolment_micros.extend(other.enrolment_micros);
        self.pass_ids.extend(other.pass_ids);
    }
}

/// What the open loop offered and what it actually launched.
pub(super) struct Offered {
    pub(super) rate: f64,
    pub(super) window: Duration,
    /// Arrivals whose time came during the window (launched + dropped).
    pub(super) due: u64,
    pub(super) launched: u64,
    pub(super) dropped: u64,
    pub(super) max_outstanding: usize,
}
