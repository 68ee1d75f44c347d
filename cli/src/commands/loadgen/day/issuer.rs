//! The real issuer the day is replayed against: a fresh issuer folder, SQLite in it (or the
//! PostgreSQL database named), on 127.0.0.1 in this process, reading a simulated clock this
//! process moves, with the off-peak renewal timing of `issuer serve --renew-hours 01-06
//! --peak-hours 11-14,17-20 --timezone Asia/Seoul` and the serve defaults' admission control.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use doorpass_format::keys::{VerifyingKey, read_public_key};
use doorpass_issuer::clock::{Clock, SimulatedClock};
use doorpass_issuer::keys::{AnchorDir, IssuerDir, init_dir};
use doorpass_issuer::renew_timing::{RenewTiming, parse_hour_ranges, time_zone};
use doorpass_issuer::service::Faults;
use doorpass_issuer::store::{Database, HolderRecord, Store};
use doorpass_issuer::{Issuer, IssuerConfig, MetricsExposure, RunningIssuer};

use super::profile::{PEAK_HOURS, RENEW_HOURS, TIME_ZONE};

/// A running replay issuer and what it needs kept alive.
pub(super) struct ReplayIssuer {
    /// The service on 127.0.0.1.
    pub(super) running: RunningIssuer,
    /// The anchor wallets pin.
    pub(super) anchor: VerifyingKey,
    /// The issuer's clock, moved by the replay.
    pub(super) clock: SimulatedClock,
    _dir: tempfile::TempDir,
    _anchor_dir: tempfile::TempDir,
}

/// The subject of holder `i`.
pub(super) fn subject(i: usize) -> String {
    format!("day-{i}")
}

/// Makes an issuer folder (keys and trust list signed at `start`), registers `holders` subjects
/// eligible for a year past `start`, and serves in dev mode (codes readable at `/dev/otp`, as a
/// stand-in for the text message) with `/metrics` on the public loopback listener.
pub(super) async fn start(holders: usize, start: u64, db: Option<&str>) -> Result<ReplayIssuer> {
    let dir = tempfile::tempdir().context("making the issuer folder")?;
    let anchor_dir = tempfile::tempdir().context("making the anchor folder")?;
    init_dir(
        dir.path(),
        &AnchorDir::at(anchor_dir.path()),
        "KR-KDCA",
        start,
        false,
    )
    .context("initialising the issuer folder")?;
    let anchor = read_public_key(&IssuerDir::at(dir.path()).anchor_pub)
        .context("reading the anchor's public key")?;
    let clock = SimulatedClock::new(start);
    let mut config = IssuerConfig::new(dir.path().to_path_buf());
    config.database = db.map(Database::parse);
    config.clock = Clock::Simulated(clock.clone());
    config.metrics = MetricsExposure::Public;
    config.dev = Some(Faults::default());
    // Every simulated phone connects from 127.0.0.1: per-address limits would see one client.
    config.client_rate = None;
    config.admission.max_owed_per_client = None;
    config.renew_timing = RenewTiming {
        off_peak: parse_hour_ranges(RENEW_HOURS)?.first().copied(),
        peak: parse_hour_ranges(PEAK_HOURS)?,
        zone: time_zone(TIME_ZONE)?,
    };
    let records: Vec<HolderRecord> = (0..holders)
        .map(|i| HolderRecord {
            subject: subject(i),
            display_name: format!("Day Holder {i}"),
            birth_date: "1990-01-01".into(),
            kind: 1,
            eligible_until: start + 400 * 86_400,
        })
        .collect();
    let database = config.database();
    let (store, thread) = Store::open(
        &database,
        config.durability,
        config.postgres,
        config.clock.clone(),
    )
    .await
    .with_context(|| format!("opening {}", database.describe()))?;
    doorpass_issuer::holders::import(&store, records)
        .await
        .context("registering the holders")?;
    drop(store);
    tokio::task::spawn_blocking(move || thread.join()).await?;
    let issuer = Issuer::open(&config).await.context("opening the issuer")?;
    let running = issuer
        .spawn(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .context("starting the issuer on 127.0.0.1")?;
    Ok(ReplayIssuer {
        running,
        anchor,
        clock,
        _dir: dir,
        _anchor_dir: anchor_dir,
    })
}
