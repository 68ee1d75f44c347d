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
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use doorpass_core::issuer_client::{IssuerClient, IssuerError};
use doorpass_core::keys::generate_signing_key;
use serde_json::json;
use tokio::sync::Mutex;

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
    /// Open loop: most wallets in progress at once; arrivals beyond are counted as dropped.
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

/// Latencies and answers for one route.
#[derive(Default)]
struct RouteStats {
    accepted_micros: Vec<u64>,
    all_micros: Vec<u64>,
    by_status: BTreeMap<String, u64>,
    with_retry_after: u64,
    refused: u64,
}

impl RouteStats {
    fn record(&mut self, took: Duration, outcome: &Result<u16, IssuerError>) {
        let micros = took.as_micros() as u64;
        self.all_micros.push(micros);
        let key = match outcome {
            Ok(status) => {
                self.accepted_micros.push(micros);
                status.to_string()
            }
            Err(e) => {
                self.refused += 1;
                if let IssuerError::Busy {
                    retry_after: Some(_),
                    ..
                } = e
                {
                    self.with_retry_after += 1;
                }
                match e.status() {
                    Some(s) => s.to_string(),
                    None => "no answer".to_string(),
                }
            }
        };
        *self.by_status.entry(key).or_default() += 1;
    }
}

#[derive(Default)]
struct Stats {
    routes: BTreeMap<&'static str, RouteStats>,
    enrolment_micros: Vec<u64>,
    pass_ids: Vec<String>,
}

async fn timed<T>(
    stats: &Mutex<Stats>,
    route: &'static str,
    f: impl std::future::Future<Output = Result<(T, u16), IssuerError>>,
) -> Result<T, IssuerError> {
    let started = Instant::now();
    let result = f.await;
    let took = started.elapsed();
    let outcome = result
        .as_ref()
        .map(|(_, status)| *status)
        .map_err(Clone::clone);
    stats
        .lock()
        .await
        .routes
        .entry(route)
        .or_default()
        .record(took, &outcome);
    result.map(|(v, _)| v)
}

/// One simulated wallet: key, start, read the dev code, complete.
async fn enrol_one(client: &IssuerClient, subject: String, stats: &Mutex<Stats>) {
    let started = Instant::now();
    let key = generate_signing_key();
    let Ok(challenge) = timed(stats, "start", async {
        client
            .start_enrolment(&subject, &key.verifying_key())
            .await
            .map(|a| (a.value, a.status))
    })
    .await
    else {
        return;
    };
    let Ok(code) = timed(stats, "dev_otp", async {
        client.dev_code(&subject).await.map(|c| (c, 200))
    })
    .await
    else {
        return;
    };
    let Ok(issued) = timed(stats, "complete", async {
        client
            .complete_enrolment(&challenge.challenge_id, &code, &key)
            .await
            .map(|a| (a.value, a.status))
    })
    .await
    else {
        return;
    };
    let mut s = stats.lock().await;
    s.enrolment_micros
        .push(started.elapsed().as_micros() as u64);
    s.pass_ids.push(issued.pass_id);
}

async fn drive(args: &RunArgs) -> Result<ExitCode> {
    if !is_loopback(&args.issuer) {
        bail!("loadgen only targets loopback issuers (127.0.0.0/8, localhost, [::1])");
    }
    let client = IssuerClient::new(&args.issuer, Duration::from_secs(10))?;
    let stats = Arc::new(Mutex::new(Stats::default()));
    let next = Arc::new(AtomicUsize::new(0));
    let dropped = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + args.duration;
    match args.rate {
        None => {
            let mut workers = Vec::new();
            for _ in 0..args.concurrency.max(1) {
                let (client, stats, next) = (client.clone(), stats.clone(), next.clone());
                let (wallets, first, prefix) = (args.wallets, args.first, args.prefix.clone());
                workers.push(tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= wallets || Instant::now() >= deadline {
                            break;
                        }
                        enrol_one(&client, format!("{prefix}{}", first + i), &stats).await;
                    }
                }));
            }
            for w in workers {
                w.await?;
            }
        }
        Some(rate) => {
            if rate <= 0.0 {
                bail!("--rate must be positive");
            }
            let outstanding = Arc::new(tokio::sync::Semaphore::new(args.max_outstanding.max(1)));
            let mut tasks = tokio::task::JoinSet::new();
            let mut tick = tokio::time::interval(Duration::from_millis(2));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let mut launched = 0usize;
            while launched < args.wallets && Instant::now() < deadline {
                tick.tick().await;
                let due = ((started.elapsed().as_secs_f64() * rate) as usize).min(args.wallets);
                while launched < due {
                    let i = launched;
                    launched += 1;
                    let Ok(permit) = outstanding.clone().try_acquire_owned() else {
                        dropped.fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    let (client, stats) = (client.clone(), stats.clone());
                    let subject = format!("{}{}", args.prefix, args.first + i);
                    tasks.spawn(async move {
                        enrol_one(&client, subject, &stats).await;
                        drop(permit);
                    });
                }
                while tasks.try_join_next().is_some() {}
            }
            while tasks.join_next().await.is_some() {}
        }
    }
    let elapsed = started.elapsed();
    let stats = Arc::try_unwrap(stats)
        .map_err(|_| anyhow::anyhow!("tasks still running"))?
        .into_inner();
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
        dropped.load(Ordering::Relaxed),
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

/// Whether `url` is an `http(s)` URL whose host is a loopback address or `localhost`, without user
/// name or password. Parsed with the same URL semantics the HTTP client uses, so that e.g.
/// `http://127.0.0.1:80@example.com` (user `127.0.0.1`, host `example.com`) is refused.
fn is_loopback(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    if !matches!(url.scheme(), "http" | "https")
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return false;
    }
    // `host_str` is the parsed host: a domain, a normalised IPv4 address, or `[IPv6]`.
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
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

fn report(
    stats: &Stats,
    elapsed: Duration,
    dropped: u64,
    memory_kib: Option<u64>,
    db: Option<&DbReport>,
) -> serde_json::Value {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let enrolled = stats.enrolment_micros.len();
    let routes: serde_json::Map<String, serde_json::Value> = stats
        .routes
        .iter()
        .map(|(name, r)| {
            (
                name.to_string(),
                json!({
                    "by_status": r.by_status,
                    "accepted_latency": latency_json(&r.accepted_micros),
                    "all_latency": latency_json(&r.all_micros),
                    "refused": r.refused,
                    "refused_with_retry_after": r.with_retry_after,
                }),
            )
        })
        .collect();
    let requests: usize = stats.routes.values().map(|r| r.all_micros.len()).sum();
    json!({
        "seconds": secs,
        "enrolments": enrolled,
        "enrolments_per_second": enrolled as f64 / secs,
        "requests": requests,
        "requests_per_second": requests as f64 / secs,
        "enrolment_latency": latency_json(&stats.enrolment_micros),
        "routes": routes,
        "dropped_by_loadgen": dropped,
        "issuer_peak_memory_mib": memory_kib.map(|k| k as f64 / 1024.0),
        "database": db.map(|d| json!({
            "passes_in_database": d.in_database, "received": d.received, "unique": d.unique,
            "present": d.present, "missing": d.missing,
        })),
    })
}

fn print_report(r: &serde_json::Value) {
    println!(
        "enrolments: {} in {:.1} s = {:.0}/s ({} requests, {:.0}/s)",
        r["enrolments"],
        r["seconds"].as_f64().unwrap_or(0.0),
        r["enrolments_per_second"].as_f64().unwrap_or(0.0),
        r["requests"],
        r["requests_per_second"].as_f64().unwrap_or(0.0)
    );
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
    if r["dropped_by_loadgen"].as_u64().unwrap_or(0) > 0 {
        println!(
            "arrivals dropped by the load generator (too many outstanding): {}",
            r["dropped_by_loadgen"]
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

    #[test]
    fn only_loopback_targets() {
        assert!(is_loopback("http://127.0.0.1:8080"));
        assert!(is_loopback("http://127.3.4.5/x"));
        assert!(is_loopback("http://localhost:1"));
        assert!(is_loopback("http://[::1]:80"));
        assert!(is_loopback("http://LOCALHOST:1"));
        assert!(!is_loopback("http://10.0.0.1:80"));
        assert!(!is_loopback("http://example.com"));
        // The host is what the HTTP client will connect to, not what a naive split sees.
        assert!(!is_loopback("http://127.0.0.1:80@example.com"));
        assert!(!is_loopback("http://127.0.0.1@example.com/"));
        assert!(!is_loopback("http://localhost@example.com"));
        assert!(!is_loopback("http://example.com#@127.0.0.1"));
        assert!(!is_loopback("http://example.com\\@127.0.0.1/"));
        assert!(!is_loopback("http://localhost.example.com"));
        assert!(!is_loopback("http://127.0.0.1.example.com"));
        // Credentials are refused even with a loopback host.
        assert!(!is_loopback("http://user:pw@127.0.0.1:80"));
        assert!(!is_loopback("http://user@localhost"));
        // Other schemes and garbage.
        assert!(!is_loopback("ftp://127.0.0.1"));
        assert!(!is_loopback("127.0.0.1:8080"));
        assert!(!is_loopback(""));
    }
}
