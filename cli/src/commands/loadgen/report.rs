//! The report: latency percentiles, the JSON document, and its text form.

use std::time::Duration;

use serde_json::json;

use super::db_check::DbReport;
use super::enrol::ROUTES;
use super::stats::{Offered, Stats};

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

fn latency_json(micros: &[u64]) -> serde_json::Value {
    let mut v = micros.to_vec();
    v.sort_unstable();
    json!({ "count": v.len(), "p50_ms": percentile(&v, 0.5), "p99_ms": percentile(&v, 0.99), "max_ms": percentile(&v, 1.0) })
}

/// The report as JSON: throughput, latencies, answers by route and status, and what was measured.
#[allow(clippy::too_many_arguments)]
pub(super) fn report(
    work: &str,
    stats: &Stats,
    elapsed: Duration,
    offered: Option<&Offered>,
    loadgen_cpu_seconds: Option<f64>,
    issuer_answered: Option<u64>,
    memory_kib: Option<u64>,
    db: Option<&DbReport>,
) -> serde_json::Value {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let enrolled = stats.enrolment_micros.len();
    let routes: serde_json::Map<String, serde_json::Value> = ROUTES
        .iter()
        .zip(&stats.routes)
        .filter(|(_, r)| !r.all_micros.is_empty())
        .map(|(name, r)| {
            (
                name.to_string(),
                json!({
                    "by_status": r.by_status_json(),
                    "accepted_latency": latency_json(&r.accepted_micros),
                    "all_latency": latency_json(&r.all_micros),
                    "refused": r.refused,
                    "refused_with_retry_after": r.with_retry_after,
                }),
            )
        })
        .collect();
    let requests: usize = stats.routes.iter().map(|r| r.all_micros.len()).sum();
    let open_loop = offered.map(|o| {
        let window = o.window.as_secs_f64().max(1e-9);
        json!({
            "offered_arrivals_per_second": o.rate,
            "window_seconds": window,
            "arrivals_due": o.due,
            "arrivals_launched": o.launched,
            "arrivals_launched_per_second": o.launched as f64 / window,
            "arrivals_dropped": o.dropped,
            "max_outstanding": o.max_outstanding,
        })
    });
    json!({
        "work": work,
        "seconds": secs,
        "passes": enrolled,
        "passes_per_second": enrolled as f64 / secs,
        "enrolments": enrolled,
        "enrolments_per_second": enrolled as f64 / secs,
        "requests": requests,
        "requests_per_second": requests as f64 / secs,
        "enrolment_latency": latency_json(&stats.enrolment_micros),
        "routes": routes,
        "open_loop": open_loop,
        "dropped_by_loadgen": offered.map_or(0, |o| o.dropped),
        "issuer_requests_answered": issuer_answered,
        "issuer_requests_per_second": issuer_answered.map(|n| n as f64 / secs),
        "loadgen_cpu_seconds": loadgen_cpu_seconds,
        "loadgen_cpu_us_per_request": loadgen_cpu_seconds
            .filter(|_| requests > 0)
            .map(|c| c * 1e6 / requests as f64),
        "issuer_peak_memory_mib": memory_kib.map(|k| k as f64 / 1024.0),
        "database": db.map(|d| json!({
            "passes_in_database": d.in_database, "received": d.received, "unique": d.unique,
            "present": d.present, "missing": d.missing, "forked_chains": d.forked_chains,
        })),
    })
}

/// Prints the report as text.
pub(super) fn print_report(r: &serde_json::Value) {
    let f = |v: &serde_json::Value| v.as_f64().unwrap_or(0.0);
    if let Some(o) = r["open_loop"].as_object() {
        println!(
            "offered: {:.0} arrivals/s for {:.1} s = {} arrivals; launched {} ({:.0}/s); dropped by the load generator (over {} outstanding): {}",
            f(&o["offered_arrivals_per_second"]),
            f(&o["window_seconds"]),
            o["arrivals_due"],
            o["arrivals_launched"],
            f(&o["arrivals_launched_per_second"]),
            o["max_outstanding"],
            o["arrivals_dropped"]
        );
    }
    println!(
        "{}s: {} in {:.1} s = {:.0}/s ({} requests, {:.0}/s)",
        r["work"].as_str().unwrap_or("enrolment"),
        r["enrolments"],
        f(&r["seconds"]),
        f(&r["enrolments_per_second"]),
        r["requests"],
        f(&r["requests_per_second"])
    );
    if let Some(n) = r["issuer_requests_answered"].as_u64() {
        println!(
            "issuer received (its /metrics doorpass_requests_total, before→after): {n} requests = {:.0}/s",
            f(&r["issuer_requests_per_second"])
        );
    }
    let l = &r["enrolment_latency"];
    println!(
        "{} latency (first request → pass): p50 {} ms, p99 {} ms, max {} ms",
        r["work"].as_str().unwrap_or("enrolment"),
        l["p50_ms"],
        l["p99_ms"],
        l["max_ms"]
    );
    if let Some(routes) = r["routes"].as_object() {
        for (name, s) in routes {
            let a = &s["accepted_latency"];
            println!(
                "  {name:<9} by status {}; accepted p50 {} ms, p99 {} ms; refused {} ({} with Retry-After)",
                s["by_status"],
                a["p50_ms"],
                a["p99_ms"],
                s["refused"],
                s["refused_with_retry_after"]
            );
        }
    }
    if let Some(c) = r["loadgen_cpu_seconds"].as_f64() {
        println!(
            "load generator CPU: {c:.2} s ({:.1} µs per request)",
            f(&r["loadgen_cpu_us_per_request"])
        );
    }
    if let Some(m) = r["issuer_peak_memory_mib"].as_f64() {
        println!("issuer peak memory (VmHWM): {m:.1} MiB");
    }
    if let Some(d) = r["database"].as_object() {
        println!(
            "database: {} passes recorded; received {} ({} unique), {} present, {} missing",
            d["passes_in_database"], d["received"], d["unique"], d["present"], d["missing"]
        );
    }
}
