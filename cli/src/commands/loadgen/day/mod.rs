//! `doorpass loadgen day`: one day of a scaled population replayed against a real issuer on
//! 127.0.0.1 in simulated time, counting per hour what the issuer received and what the
//! per-door-fetch design (a QR fetched from a server at every door visit) would have needed.
//!
//! The parts: `profile` (the day's stated assumptions), `issuer` (the in-process issuer on a
//! simulated clock), `population` (one real wallet core per holder), `doors` (door devices'
//! list refreshes), `counting` (what left the phones and doors), `scrape` (what the issuer
//! counted), `replay` (the time loop), `report` (table and summary lines) and `chart` (the PNG).

mod chart;
mod counting;
mod doors;
mod issuer;
mod population;
mod profile;
mod replay;
mod report;
mod scrape;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};

pub use report::Scenario;

/// Which scenarios `loadgen day` replays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenarios {
    /// Everyone has a pass; a few first enrolments.
    Steady,
    /// Nobody has a pass yet; a third of the population enrols during the day.
    DayOne,
    /// Both, steady state first.
    Both,
}

/// Options of `loadgen day`.
#[derive(Args)]
pub struct DayArgs {
    /// Holders in the population (each a real wallet with its folder under TMPDIR).
    #[arg(long, default_value_t = 1_000)]
    holders: usize,
    /// The day to replay.
    #[arg(long, value_enum, default_value_t = Scenarios::Both)]
    scenario: Scenarios,
    /// Simulated seconds per step of the day: time moves only between steps, and the replay runs
    /// as fast as the issuer answers (no pacing), so this sets the resolution, not the speed.
    #[arg(long, default_value_t = 60)]
    step: u64,
    /// Seed of the replay's draws (enrolment times, visits, door schedules).
    #[arg(long, default_value_t = 25)]
    seed: u64,
    /// Draw requests per hour (steady state, or the only scenario) as a PNG here; with `both`,
    /// day one goes beside it as NAME-day-one.png.
    #[arg(long, value_name = "FILE.png")]
    chart: Option<PathBuf>,
    /// Write the figures as JSON here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// The issuer's database: a SQLite file (fresh) or a postgres:// URL (an empty database);
    /// default a fresh SQLite file in the issuer's temporary folder.
    #[arg(long, value_name = "FILE|URL")]
    db: Option<String>,
}

/// Runs `loadgen day`.
pub fn run(args: &DayArgs) -> Result<ExitCode> {
    if args.holders == 0 || args.holders > 10_000_000 {
        bail!("--holders must be between 1 and 10,000,000");
    }
    if args.step == 0 {
        bail!("--step must be at least 1 second");
    }
    let scenarios: &[Scenario] = match args.scenario {
        Scenarios::Steady => &[Scenario::Steady],
        Scenarios::DayOne => &[Scenario::DayOne],
        Scenarios::Both => &[Scenario::Steady, Scenario::DayOne],
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let plan = replay::Plan {
        holders: args.holders,
        step: args.step,
        seed: args.seed,
        db: args.db.as_deref(),
    };
    let mut results = Vec::new();
    for scenario in scenarios {
        let started = std::time::Instant::now();
        let result = runtime.block_on(replay::run(*scenario, &plan))?;
        println!("{}", result.table());
        println!("{}", result.notes());
        eprintln!(
            "{} replayed in {:.0} s",
            scenario.words(),
            started.elapsed().as_secs_f64()
        );
        results.push(result);
    }
    for result in &results {
        println!("{}", result.summary());
        println!("{}", result.summary_wallets_only());
    }
    if let Some(path) = &args.chart {
        for (i, result) in results.iter().enumerate() {
            let file = if i == 0 {
                path.clone()
            } else {
                let stem = path
                    .file_stem()
                    .map_or("chart".into(), |s| s.to_string_lossy());
                path.with_file_name(format!("{stem}-day-one.png"))
            };
            chart::write(&result.hours, &file)?;
            eprintln!("chart written to {}", file.display());
        }
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&results)?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    let failed = results.iter().any(|r| r.failures > 0);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
