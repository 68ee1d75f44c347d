//! Prometheus metrics: requests by route and status, requests in flight, requests shed, how long
//! issuing a pass takes, and key attestations accepted and refused.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the issuance latency histogram, in seconds.
const BUCKETS: [f64; 11] = [
    0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// A latency histogram with fixed buckets.
#[derive(Default)]
struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.counts[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }
}

/// All counters of the service.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    in_flight: AtomicU64,
    rate_limited: AtomicU64,
    enrolments: Histogram,
    renewals: Histogram,
    /// Key attestations by (platform, outcome): `accepted`, or the refusal's reason.
    attestations: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
}

/// A request in flight; see [`Metrics::track_in_flight`].
#[must_use = "the request counts as in flight until this is dropped"]
pub struct InFlight<'a>(&'a AtomicU64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Which kind of issuance a latency belongs to.
#[derive(Debug, Clone, Copy)]
pub enum Issuance {
    /// Enrolment completion.
    Enrolment,
    /// Renewal.
    Renewal,
}

impl Metrics {
    /// Counts a finished request.
    pub fn record_request(&self, route: &'static str, status: u16) {
        let mut map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry((route, status)).or_default() += 1;
    }

    /// Counts a request as in flight until the returned guard is dropped — also when the request's
    /// future is dropped before it finishes (the client went away, a deadline passed).
    pub fn track_in_flight(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(&self.in_flight)
    }

    /// Counts a request refused by a rate limit.
    pub fn record_rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// Records how long issuing a pass took.
    pub fn record_issuance(&self, kind: Issuance, took: Duration) {
        match kind {
            Issuance::Enrolment => self.enrolments.observe(took),
            Issuance::Renewal => self.renewals.observe(took),
        }
    }

    /// Counts a key attestation that checked, by platform (`android_keystore`, `apple_app_attest`).
    pub fn record_attestation_accepted(&self, platform: &'static str) {
        self.count_attestation(platform, "accepted");
    }

    /// Counts a key attestation refused (or missing where required), by platform and reason
    /// ([`crate::attestation::AttestationRefusal::label`], or `missing`).
    pub fn record_attestation_refused(&self, platform: &'static str, reason: &'static str) {
        self.count_attestation(platform, reason);
    }

    fn count_attestation(&self, platform: &'static str, outcome: &'static str) {
        let mut map = self.attestations.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry((platform, outcome)).or_default() += 1;
    }

    /// Prometheus text exposition; `shed_overload` comes from admission control.
    pub fn render(&self, shed_overload: u64) -> String {
        let mut out = String::new();
        out.push_str("# HELP doorpass_requests_total Requests answered, by route and status.\n");
        out.push_str("# TYPE doorpass_requests_total counter\n");
        for ((route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "doorpass_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP doorpass_in_flight Requests being handled now.\n# TYPE doorpass_in_flight gauge\n");
        let _ = writeln!(
            out,
            "doorpass_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        out.push_str(
            "# HELP doorpass_shed_total Requests refused to protect the service, by reason.\n",
        );
        out.push_str("# TYPE doorpass_shed_total counter\n");
        let _ = writeln!(
            out,
            "doorpass_shed_total{{reason=\"overload\"}} {shed_overload}"
        );
        let _ = writeln!(
            out,
            "doorpass_shed_total{{reason=\"rate_limit\"}} {}",
            self.rate_limited.load(Ordering::Relaxed)
        );
        out.push_str("# HELP doorpass_issuance_seconds Time to issue a pass, from request to durable record.\n");
        out.push_str("# TYPE doorpass_issuance_seconds histogram\n");
        for (kind, h) in [("enrolment", &self.enrolments), ("renewal", &self.renewals)] {
            for (bound, count) in BUCKETS.iter().zip(&h.counts) {
                let _ = writeln!(
                    out,
                    "doorpass_issuance_seconds_bucket{{kind=\"{kind}\",le=\"{bound}\"}} {}",
                    count.load(Ordering::Relaxed)
                );
            }
            let total = h.count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "doorpass_issuance_seconds_bucket{{kind=\"{kind}\",le=\"+Inf\"}} {total}"
            );
            let sum = h.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(
                out,
                "doorpass_issuance_seconds_sum{{kind=\"{kind}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "doorpass_issuance_seconds_count{{kind=\"{kind}\"}} {total}"
            );
        }
        out.push_str("# HELP doorpass_goodput_total Work finished: passes issued by enrolment and by renewal.\n");
        out.push_str("# TYPE doorpass_goodput_total counter\n");
        for (kind, h) in [("enrolment", &self.enrolments), ("renewal", &self.renewals)] {
            let _ = writeln!(
                out,
                "doorpass_goodput_total{{kind=\"{kind}\"}} {}",
                h.count.load(Ordering::Relaxed)
            );
        }
        self.render_attestations(&mut out);
        out
    }

    fn render_attestations(&self, out: &mut String) {
        let counts = self
            .attestations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        out.push_str("# HELP doorpass_attestations_checked_total Key attestations checked at enrolment, by platform and result (accepted or refused).\n");
        out.push_str("# TYPE doorpass_attestations_checked_total counter\n");
        let mut checked: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for ((platform, outcome), n) in &counts {
            if *outcome == "missing" {
                continue;
            }
            let result = if *outcome == "accepted" {
                "accepted"
            } else {
                "refused"
            };
            *checked.entry((platform, result)).or_default() += n;
        }
        for ((platform, result), n) in checked {
            let _ = writeln!(
                out,
                "doorpass_attestations_checked_total{{platform=\"{platform}\",result=\"{result}\"}} {n}"
            );
        }
        out.push_str("# HELP doorpass_attestations_refused_total Key attestations not accepted (or missing where required), by platform and reason.\n");
        out.push_str("# TYPE doorpass_attestations_refused_total counter\n");
        for ((platform, reason), n) in counts.iter().filter(|(k, _)| k.1 != "accepted") {
            let _ = writeln!(
                out,
                "doorpass_attestations_refused_total{{platform=\"{platform}\",reason=\"{reason}\"}} {n}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.record_request("/v1/renew", 200);
        m.record_request("/v1/renew", 200);
        m.record_issuance(Issuance::Renewal, Duration::from_millis(3));
        let text = m.render(7);
        {
            let _a = m.track_in_flight();
            let _b = m.track_in_flight();
            assert!(m.render(0).contains("doorpass_in_flight 2\n"));
        }
        assert!(m.render(0).contains("doorpass_in_flight 0\n"));
        assert!(text.contains("doorpass_requests_total{route=\"/v1/renew\",status=\"200\"} 2"));
        assert!(text.contains("doorpass_shed_total{reason=\"overload\"} 7"));
        assert!(text.contains("doorpass_issuance_seconds_bucket{kind=\"renewal\",le=\"0.002\"} 0"));
        assert!(text.contains("doorpass_issuance_seconds_bucket{kind=\"renewal\",le=\"0.005\"} 1"));
        assert!(text.contains("doorpass_issuance_seconds_count{kind=\"renewal\"} 1"));
        assert!(text.contains("doorpass_goodput_total{kind=\"renewal\"} 1"));
    }

    #[test]
    fn attestations_are_counted_by_platform_and_reason() {
        let m = Metrics::default();
        m.record_attestation_accepted("android_keystore");
        m.record_attestation_refused("android_keystore", "challenge_mismatch");
        m.record_attestation_refused("android_keystore", "challenge_mismatch");
        m.record_attestation_refused("none", "missing");
        let text = m.render(0);
        for line in [
            "doorpass_attestations_checked_total{platform=\"android_keystore\",result=\"accepted\"} 1",
            "doorpass_attestations_checked_total{platform=\"android_keystore\",result=\"refused\"} 2",
            "doorpass_attestations_refused_total{platform=\"android_keystore\",reason=\"challenge_mismatch\"} 2",
            "doorpass_attestations_refused_total{platform=\"none\",reason=\"missing\"} 1",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
        assert!(
            !text.contains("platform=\"none\",result"),
            "a missing one was not checked"
        );
    }
}
