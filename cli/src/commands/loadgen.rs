//! `doorpass loadgen`: simulated wallets enrolling against a running issuer on loopback, with bounded
//! request count and duration; prints throughput, latency percentiles and answers by status.
//!
//! Closed loop (`--concurrency C`): C wallets enrol back to back, as fast as the issuer answers.
//! Open loop (`--rate R`): new wallets arrive at R per second whatever the issuer does — the way a
//! lunchtime crowd arrives — which is what overload is measured with.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use doorpass_format::keys::SigningKey;
use doorpass_format::keys::generate_signing_key;
use doorpass_wallet::issuer_client::{IssuerClient, IssuerError};
use serde_json::json;

/// `doorpass loadgen …`
#[derive(Subcommand)]
pub enum LoadgenCommand {
    /// Drive simulated wallets through enrolment against a running `--dev` issuer.
    Run(RunArgs),
    /// Write a holders CSV with N load-test subjects, for `issuer holders import`.
    Holders {
        /// How many subjects.
        #[arg(long)]
        count: usize,
        /// Subject prefix.
        #[arg(long, default_value = "loadgen-")]
        prefix: String,
        /// Where to write the CSV.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check that every pass id in a record file is in the issuer's database.
    Check {
        /// The issuer database.
        #[arg(long)]
        db: PathBuf,
        /// Pass ids, one hex id per line (as written by `run --record`).
        #[arg(long)]
        record: PathBuf,
    },
}

/// Options of `loadgen run`.
#[derive(Args)]
pub struct RunArgs {
    /// Issuer base URL (loopback only).
    #[arg(long)]
    issuer: String,
    /// Wallets to enrol at most (each is start + dev code + complete).
    #[arg(long, default_value_t = 10_000)]
    wallets: usize,
    /// Closed loop: wallets enrolling at once.
    #[arg(long, default_value_t = 64, conflicts_with = "rate")]
    concurrency: usize,
    /// Open loop: new wallets per second.
    #[arg(long)]
    rate: Option<f64>,
    /// Open loop: most wallets in progress at once; arrivals beyond are counted as dropped. Each
    /// wallet in progress holds at most one connection, so keep this under the open-file limit of
    /// both processes (`ulimit -n`) and the ephemeral port range.
    #[arg(long, default_value_t = 5_000)]
    max_outstanding: usize,
    /// Stop starting wallets after this long.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// First subject number (subjects are PREFIX0, PREFIX1, …).
    #[arg(long, default_value_t = 0)]
    first: usize,
    /// Subject prefix.
    #[arg(long, default_value = "loadgen-")]
    prefix: String,
    /// Write the pass id of every pass received here, one per line.
    #[arg(long)]
    record: Option<PathBuf>,
    /// After the run, check every received pass is in this issuer database and that it records no
    /// other pass; exit 1 if not.
    #[arg(long)]
    db: Option<PathBuf>,
    /// The issuer's process id, to report its peak memory (VmHWM).
    #[arg(long)]
    issuer_pid: Option<u32>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs a loadgen subcommand.
pub fn run(command: &LoadgenCommand) -> Result<ExitCode> {
    match command {
        LoadgenCommand::Run(args) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(drive(args))
        }
        LoadgenCommand::Holders { count, prefix, out } => {
            let mut csv = String::from("subject,name,birth_date,kind,eligible_until\n");
            for i in 0..*count {
                csv.push_str(&format!(
                    "{prefix}{i},Load Tester {i},1990-01-01,vaccination,2099-12-31\n"
                ));
            }
            std::fs::write(out, csv).with_context(|| format!("writing {}", out.display()))?;
            eprintln!("wrote {count} holders to {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        LoadgenCommand::Check { db, record } => {
            let report = check_db(db, &read_record(record)?)?;
            println!("{}", report.line());
            Ok(if report.missing == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

/// The three requests of an enrolment, in order; indexes into [`Stats::routes`].
const ROUTES: [&str; 3] = ["start", "dev_otp", "complete"];
const START: usize = 0;
const DEV_OTP: usize = 1;
const COMPLETE: usize = 2;

/// One request as the wallet saw it. `status` 0 means no HTTP answer (connection error, timeout).
#[derive(Clone, Copy, Default)]
struct Call {
    route: usize,
    micros: u64,
    status: u16,
    accepted: bool,
    retry_after: bool,
}

/// What one wallet saw: its (up to three) requests and, if it got one, its pass. Returned by the
/// wallet's task and merged by whoever joins it, so no lock is taken per request.
#[derive(Default)]
struct Outcome {
    calls: [Call; 3],
    n: usize,
    enrolled: Option<(u64, String)>,
}

/// Latencies and answers for one route.
#[derive(Default)]
struct RouteStats {
    accepted_micros: Vec<u64>,
    all_micros: Vec<u64>,
    /// By HTTP status; 0 = no answer.
    by_status: BTreeMap<u16, u64>,
    with_retry_after: u64,
    refused: u64,
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

    fn by_status_json(&self) -> BTreeMap<String, u64> {
        self.by_status
            .iter()
            .map(|(s, n)| match s {
                0 => ("no answer".to_string(), *n),
                s => (s.to_string(), *n),
            })
            .collect()
    }
}

#[derive(Default)]
struct Stats {
    routes: [RouteStats; 3],
    enrolment_micros: Vec<u64>,
    pass_ids: Vec<String>,
}

impl Stats {
    fn add(&mut self, outcome: Outcome) {
        for call in &outcome.calls[..outcome.n] {
            self.routes[call.route].record(call);
        }
        if let Some((micros, pass_id)) = outcome.enrolled {
            self.enrolment_micros.push(micros);
            self.pass_ids.push(pass_id);
        }
    }

    fn merge(&mut self, other: Stats) {
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

async fn timed<T>(
    out: &mut Outcome,
    route: usize,
    f: impl std::future::Future<Output = Result<(T, u16), IssuerError>>,
) -> Option<T> {
    let started = Instant::now();
    let result = f.await;
    let micros = started.elapsed().as_micros() as u64;
    let (status, accepted, retry_after) = match &result {
        Ok((_, status)) => (*status, true, false),
        Err(e) => (
            e.status().unwrap_or(0),
            false,
            matches!(
                e,
                IssuerError::Busy {
                    retry_after: Some(_),
                    ..
                }
            ),
        ),
    };
    out.calls[out.n] = Call {
        route,
        micros,
        status,
        accepted,
        retry_after,
    };
    out.n += 1;
    result.ok().map(|(v, _)| v)
}

/// One simulated wallet: start (with its holder key), read the dev code, complete with a fresh
/// Ed25519 proof over the challenge. The key was generated before the clock started — a phone
/// makes its key on its own CPU, so key generation is not part of the load the issuer is offered.
async fn enrol_one(client: &IssuerClient, subject: String, key: &SigningKey) -> Outcome {
    let mut out = Outcome::default();
    let started = Instant::now();
    let Some(challenge) = timed(&mut out, START, async {
        client
            .start_enrolment(&subject, &key.verifying_key())
            .await
            .map(|a| (a.value, a.status))
    })
    .await
    else {
        return out;
    };
    let Some(code) = timed(&mut out, DEV_OTP, async {
        client.dev_code(&subject).await.map(|c| (c, 200))
    })
    .await
    else {
        return out;
    };
    let Some(issued) = timed(&mut out, COMPLETE, async {
        client
            .complete_enrolment(&challenge.challenge_id, &code, key)
            .await
            .map(|a| (a.value, a.status))
    })
    .await
    else {
        return out;
    };
    out.enrolled = Some((started.elapsed().as_micros() as u64, issued.pass_id));
    out
}

/// `n` holder keys, generated on every core before the clock starts.
fn holder_keys(n: usize) -> Vec<SigningKey> {
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    let per = n.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let parts: Vec<_> = (0..n)
            .step_by(per)
            .map(|from| {
                let count = per.min(n - from);
                s.spawn(move || {
                    (0..count)
                        .map(|_| generate_signing_key())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().expect("key generation thread"))
            .collect()
    })
}

/// CPU time (user + system) this process has used so far (Linux; `None` elsewhere).
fn own_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the
    // whole line, in USER_HZ (100 per second on Linux).
    let mut rest = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let utime: f64 = rest.next()?.parse().ok()?;
    let stime: f64 = rest.next()?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Requests the issuer says it has answered (its `/metrics` `doorpass_requests_total`, all routes
/// except `/metrics` and `/healthz`); `None` if it could not be read.
async fn issuer_requests_answered(http: &reqwest::Client, base: &str) -> Option<u64> {
    let url = format!("{}/metrics", base.trim_end_matches('/'));
    let text = http.get(url).send().await.ok()?.text().await.ok()?;
    let mut total = 0;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("doorpass_requests_total{") else {
            continue;
        };
        if rest.contains("route=\"/metrics\"") || rest.contains("route=\"/healthz\"") {
            continue;
        }
        total += rest.rsplit(' ').next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// What the open loop offered and what it actually launched.
struct Offered {
    rate: f64,
    window: Duration,
    /// Arrivals whose time came during the window (launched + dropped).
    due: u64,
    launched: u64,
    dropped: u64,
    max_outstanding: usize,
}

async fn drive(args: &RunArgs) -> Result<ExitCode> {
    if !IssuerClient::is_loopback_url(&args.issuer) {
        bail!("loadgen only targets loopback issuers (127.0.0.0/8, localhost, [::1])");
    }
    if args.rate.is_some_and(|r| r.is_nan() || r <= 0.0) {
        bail!("--rate must be positive");
    }
    let client = IssuerClient::over_https(&args.issuer, Duration::from_secs(10))?;
    let metrics_http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    // Never more wallets than can arrive in the window.
    let wallets = match args.rate {
        Some(rate) => args
            .wallets
            .min((rate * args.duration.as_secs_f64()).ceil() as usize + 1),
        None => args.wallets,
    };
    let keys: Arc<[SigningKey]> = holder_keys(wallets).into();
    let answered_before = issuer_requests_answered(&metrics_http, &args.issuer).await;
    let cpu_before = own_cpu_seconds();
    let mut stats = Stats::default();
    let mut offered = None;
    let started = Instant::now();
    let deadline = started + args.duration;
    match args.rate {
        None => {
            let next = Arc::new(AtomicUsize::new(0));
            let mut workers = Vec::new();
            for _ in 0..args.concurrency.max(1) {
                let (client, keys, next) = (client.clone(), keys.clone(), next.clone());
                let (first, prefix) = (args.first, args.prefix.clone());
                workers.push(tokio::spawn(async move {
                    let mut mine = Stats::default();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= wallets || Instant::now() >= deadline {
                            break;
                        }
                        let subject = format!("{prefix}{}", first + i);
                        mine.add(enrol_one(&client, subject, &keys[i]).await);
                    }
                    mine
                }));
            }
            for w in workers {
                stats.merge(w.await?);
            }
        }
        Some(rate) => {
            let outstanding = Arc::new(tokio::sync::Semaphore::new(args.max_outstanding.max(1)));
            let mut tasks = tokio::task::JoinSet::new();
            let mut tick = tokio::time::interval(Duration::from_millis(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let (mut due_so_far, mut launched, mut dropped) = (0usize, 0u64, 0u64);
            while due_so_far < wallets && Instant::now() < deadline {
                tick.tick().await;
                let due = ((started.elapsed().as_secs_f64() * rate) as usize).min(wallets);
                while due_so_far < due {
                    let i = due_so_far;
                    due_so_far += 1;
                    let Ok(permit) = outstanding.clone().try_acquire_owned() else {
                        dropped += 1;
                        continue;
                    };
                    launched += 1;
                    let (client, keys) = (client.clone(), keys.clone());
                    let subject = format!("{}{}", args.prefix, args.first + i);
                    tasks.spawn(async move {
                        let outcome = enrol_one(&client, subject, &keys[i]).await;
                        drop(permit);
                        outcome
                    });
                }
                while let Some(done) = tasks.try_join_next() {
                    stats.add(done?);
                }
            }
            let window = started.elapsed().min(args.duration);
            while let Some(done) = tasks.join_next().await {
                stats.add(done?);
            }
            offered = Some(Offered {
                rate,
                window,
                due: due_so_far as u64,
                launched,
                dropped,
                max_outstanding: args.max_outstanding.max(1),
            });
        }
    }
    let elapsed = started.elapsed();
    let cpu = own_cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let answered_after = issuer_requests_answered(&metrics_http, &args.issuer).await;
    let issuer_answered = answered_after
        .zip(answered_before)
        .map(|(after, before)| after.saturating_sub(before));
    if let Some(path) = &args.record {
        let mut text = stats.pass_ids.join("\n");
        text.push('\n');
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    let db_report = match &args.db {
        Some(db) => Some(check_db(db, &stats.pass_ids)?),
        None => None,
    };
    let memory = args.issuer_pid.and_then(peak_memory_kib);
    let report = report(
        &stats,
        elapsed,
        offered.as_ref(),
        cpu,
        issuer_answered,
        memory,
        db_report.as_ref(),
    );
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    if let Some(problems) = db_report.as_ref().map(DbReport::problems)
        && !problems.is_empty()
    {
        eprintln!("loadgen: database check failed: {}", problems.join("; "));
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

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

/// Result of checking received passes against the database.
pub struct DbReport {
    received: usize,
    unique: usize,
    present: usize,
    missing: usize,
    in_database: u64,
}

impl DbReport {
    /// What disagrees between the passes received and the database (empty when all is well): every
    /// pass received must be recorded, none twice, and nothing else recorded.
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.missing > 0 {
            problems.push(format!(
                "{} received pass(es) missing from the database",
                self.missing
            ));
        }
        if self.received != self.unique {
            problems.push(format!(
                "{} pass id(s) received more than once",
                self.received - self.unique
            ));
        }
        if self.in_database != self.unique as u64 {
            problems.push(format!(
                "the database records {} passes but {} unique passes were received",
                self.in_database, self.unique
            ));
        }
        problems
    }

    fn line(&self) -> String {
        format!(
            "database: {} passes recorded; received {} ({} unique), {} present, {} missing",
            self.in_database, self.received, self.unique, self.present, self.missing
        )
    }
}

fn read_record(path: &Path) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect())
}

fn check_db(db: &Path, pass_ids: &[String]) -> Result<DbReport> {
    use doorpass_issuer::store::{open_connection, pass_count, pass_exists};
    let conn = open_connection(db, Default::default())?;
    let unique: std::collections::BTreeSet<&String> = pass_ids.iter().collect();
    let mut present = 0;
    for id in &unique {
        let bytes = parse_pass_id(id);
        if let Some(bytes) = bytes
            && pass_exists(&conn, &bytes)?
        {
            present += 1;
        }
    }
    Ok(DbReport {
        received: pass_ids.len(),
        unique: unique.len(),
        present,
        missing: unique.len() - present,
        in_database: pass_count(&conn)?,
    })
}

/// A pass id from its 32 hex digits; `None` for anything else (a record file is user input).
fn parse_pass_id(id: &str) -> Option<[u8; 16]> {
    let digits = id.as_bytes();
    if digits.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in digits.chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

/// Peak resident memory of a process, in KiB (Linux).
fn peak_memory_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[allow(clippy::too_many_arguments)]
fn report(
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
        "seconds": secs,
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
            "present": d.present, "missing": d.missing,
        })),
    })
}

fn print_report(r: &serde_json::Value) {
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
        "enrolments: {} in {:.1} s = {:.0}/s ({} requests, {:.0}/s)",
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
        "enrolment latency (start→complete): p50 {} ms, p99 {} ms, max {} ms",
        l["p50_ms"], l["p99_ms"], l["max_ms"]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_ids_parse_without_panicking() {
        assert_eq!(
            parse_pass_id("000102030405060708090a0b0c0d0e0f").unwrap()[15],
            15
        );
        assert_eq!(parse_pass_id("zz0102030405060708090a0b0c0d0e0f"), None);
        assert_eq!(
            parse_pass_id("é000102030405060708090a0b0c0d0e"),
            None,
            "multi-byte text of the same length"
        );
        assert_eq!(parse_pass_id("00"), None);
    }

    #[test]
    fn database_disagreements_are_problems() {
        let report = |received, unique, present, in_database| DbReport {
            received,
            unique,
            present,
            missing: unique - present,
            in_database,
        };
        assert!(report(5, 5, 5, 5).problems().is_empty());
        assert_eq!(report(5, 5, 4, 5).problems().len(), 1, "one missing");
        assert_eq!(report(5, 5, 5, 6).problems().len(), 1, "one extra");
        assert_eq!(report(6, 5, 5, 5).problems().len(), 1, "one duplicate");
    }
}
