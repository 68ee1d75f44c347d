//! `doorpass loadgen`: simulated wallets enrolling against a running issuer on loopback, with bounded
//! request count and duration; prints throughput, latency percentiles and answers by status.
//!
//! Closed loop (`--concurrency C`): C wallets enrol back to back, as fast as the issuer answers.
//! Open loop (`--rate R`): new wallets arrive at R per second whatever the issuer does — the way a
//! lunchtime crowd arrives — which is what overload is measured with.
//!
//! The parts: `enrol` (one simulated wallet and its timed requests), `drive` (the closed and open
//! loops), `stats` (what the wallets saw, merged), `probes` (CPU, the issuer's request counter and
//! memory), `report` (percentiles, JSON and text) and `db_check` (received passes against the
//! issuer's database).
//!
//! `loadgen day` (module `day`) is apart: it starts its own issuer in-process on a simulated clock
//! and replays one day of a population, hour by hour.

mod day;
mod db_check;
mod drive;
mod enrol;
mod probes;
mod renew;
mod report;
mod stats;
mod status;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use db_check::{check_db, read_record};

/// `doorpass loadgen …`
#[derive(Subcommand)]
pub enum LoadgenCommand {
    /// Drive simulated wallets through enrolment against a running `--dev` issuer.
    Run(RunArgs),
    /// Replay one day of a population against an in-process issuer on 127.0.0.1 in simulated time,
    /// and compare the issuer's requests per hour with the per-door-fetch design's.
    Day(day::DayArgs),
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
    /// Fetch one status list with many door devices at once (closed loop) and print requests/s.
    Status {
        /// Base URL of the issuer (loopback only).
        #[arg(long)]
        issuer: String,
        /// The list's number.
        #[arg(long, default_value_t = 1)]
        list: u64,
        /// Fetches in flight at once.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// How long to run.
        #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
        duration: std::time::Duration,
        /// A CA certificate (PEM) to trust beside the system's, for an issuer over https.
        #[arg(long, value_name = "FILE")]
        ca_cert: Vec<PathBuf>,
    },
    /// Check that every pass id in a record file is in the issuer's database and that no refresh-token
    /// chain has forked (exit 1 if either fails; passes recorded but never received are allowed).
    Check {
        /// The issuer database: a SQLite file or a postgres:// URL.
        #[arg(long, alias = "database", value_name = "FILE|URL")]
        db: String,
        /// Pass ids, one hex id per line (as written by `run --record`).
        #[arg(long)]
        record: PathBuf,
    },
}

/// Options of `loadgen run`.
#[derive(Args)]
pub struct RunArgs {
    /// Issuer base URL (loopback only); several, comma-separated, spread the wallets over them as a
    /// load balancer would (wallet i goes to URL i mod N; renewals use the first).
    #[arg(
        long,
        value_delimiter = ',',
        required = true,
        value_name = "URL[,URL…]"
    )]
    issuer: Vec<String>,
    /// The issuer's metrics page, for its request count (as served with `issuer serve
    /// --metrics-listen`); default ISSUER/metrics. The count is left out when it cannot be read.
    #[arg(long, value_name = "URL")]
    metrics: Option<String>,
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
    /// After the run, check every received pass is in this issuer database (a SQLite file or a
    /// postgres:// URL) and that it records no other pass; exit 1 if not.
    #[arg(long, alias = "database", value_name = "FILE|URL")]
    db: Option<String>,
    /// The issuer's process id, to report its peak memory (VmHWM).
    #[arg(long)]
    issuer_pid: Option<u32>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Renew instead of enrol: enrol a pool of `--pool` wallets first (untimed), then renew them over
    /// and over with their newest refresh tokens (closed loop, or `--rate` renewals a second).
    #[arg(long)]
    renewals: bool,
    /// Wallets in the renewal pool.
    #[arg(long, default_value_t = 5_000, requires = "renewals")]
    pool: usize,
    /// A CA certificate (PEM) to trust beside the system's, for an issuer over https.
    #[arg(long, value_name = "FILE")]
    ca_cert: Vec<PathBuf>,
}

/// Runs a loadgen subcommand.
pub fn run(command: &LoadgenCommand) -> Result<ExitCode> {
    match command {
        LoadgenCommand::Run(args) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(drive::drive(args))
        }
        LoadgenCommand::Day(args) => day::run(args),
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
        LoadgenCommand::Status {
            issuer,
            list,
            concurrency,
            duration,
            ca_cert,
        } => {
            let tls = crate::ca_certs::tls_trust(ca_cert)?;
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(status::run(issuer, *list, *concurrency, *duration, &tls))
        }
        LoadgenCommand::Check { db, record } => {
            let ids = read_record(record)?;
            let report = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(check_db(db, &ids))?;
            println!("{}", report.line());
            Ok(if report.missing == 0 && report.forked_chains == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}
