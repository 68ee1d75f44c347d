//! One scenario's replay: the issuer started with its clock at the start of the simulated span,
//! the population enrolled (and renewing) over the previous weeks in hourly steps, then the day in
//! steps of `--step` simulated seconds, with the issuer's counts read at every hour.
//!
//! Time only moves between steps: everything a step does runs at the step's time, on the issuer
//! and on the phones alike, so the issuer's hourly counts are exact.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use doorpass_format::dates::unix_now;
use doorpass_wallet::issuer_client::IssuerClient;
use doorpass_wallet::reqwest_transport::ReqwestTransport;
use doorpass_wallet::transport::HttpTransport;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::task::JoinSet;

use super::counting::{Counters, CountingTransport};
use super::doors::Door;
use super::issuer::{self, ReplayIssuer};
use super::population::{Enrolled, Population, Renewals};
use super::profile::{self, ZONE_OFFSET_SECS};
use super::report::{DayResult, HourRow, Scenario};
use super::scrape::scrape;

const DAY: u64 = 86_400;
const HOUR: u64 = 3600;
/// The span before the day over which passes were issued: one pass lifetime (30 days), so the
/// day starts with passes of every age, renewing as in any later month.
const PRE_DAYS: u64 = 30;
/// Requests in flight at once (phones and doors together).
const IN_FLIGHT: usize = 32;

/// What the replay is asked for.
pub(super) struct Plan<'a> {
    /// Holders in the population.
    pub(super) holders: usize,
    /// Simulated seconds per step of the day.
    pub(super) step: u64,
    /// Seed of every random draw of the replay's own (the core and issuer draw their own).
    pub(super) seed: u64,
    /// The issuer's database, if not a fresh SQLite file.
    pub(super) db: Option<&'a str>,
}

/// One thing to do in a step.
#[derive(Clone, Copy)]
enum Job {
    Enrol(usize),
    Renew(usize),
    StatusList,
    TrustList,
}

/// What a job did.
enum Done {
    Enrol(usize, Enrolled),
    Renew(usize, Renewals, Option<u64>),
    Door(Result<(), String>),
}

struct Replay {
    issuer: ReplayIssuer,
    population: Arc<Population>,
    doors_client: IssuerClient,
    status_uri: String,
    enrolments: BinaryHeap<Reverse<(u64, usize)>>,
    renewals: BinaryHeap<Reverse<(u64, usize)>>,
    result: DayResult,
}

/// The first midnight in the issuer's time zone at or after `t`.
fn local_midnight_after(t: u64) -> u64 {
    let local = t + ZONE_OFFSET_SECS;
    local.div_ceil(DAY) * DAY - ZONE_OFFSET_SECS
}

/// Replays `scenario` for `plan`.
pub(super) async fn run(scenario: Scenario, plan: &Plan<'_>) -> Result<DayResult> {
    let mut rng = StdRng::seed_from_u64(plan.seed ^ scenario as u64);
    let day = local_midnight_after(unix_now() + (PRE_DAYS + 1) * DAY);
    let start = match scenario {
        Scenario::Steady => day - PRE_DAYS * DAY,
        Scenario::DayOne => day - HOUR,
    };
    let issuer = issuer::start(plan.holders, start - 60, plan.db).await?;
    let url = issuer.running.url();
    let counters = Arc::new(Counters::default());
    let inner = ReqwestTransport::new(Duration::from_secs(30))
        .map_err(|e| anyhow::anyhow!("building the HTTP client: {e}"))?;
    let transport: Arc<dyn HttpTransport> = Arc::new(CountingTransport {
        inner: Arc::new(inner),
        counters: counters.clone(),
    });
    let population = Population::new(plan.holders, &url, issuer.anchor, transport.clone())?;
    let doors_client = IssuerClient::new(&url, transport)
        .map_err(|e| anyhow::anyhow!("the issuer URL {url}: {e}"))?;

    let mut enrolments = BinaryHeap::new();
    let draw_in_day = |rng: &mut StdRng| day + profile::draw_second_of_day(rng);
    let (before, during) = match scenario {
        Scenario::Steady => {
            let firsts = ((plan.holders as f64 * profile::STEADY_FIRST_ENROL_SHARE).round()
                as usize)
                .clamp(1, plan.holders);
            (plan.holders - firsts, firsts)
        }
        Scenario::DayOne => (
            0,
            (plan.holders as f64 * profile::DAY_ONE_ENROL_SHARE).round() as usize,
        ),
    };
    for i in 0..before {
        enrolments.push(Reverse((
            start + rand::Rng::gen_range(&mut rng, 0..day - start),
            i,
        )));
    }
    for i in before..before + during {
        enrolments.push(Reverse((draw_in_day(&mut rng), i)));
    }
    let mut result = DayResult::new(scenario, plan.holders, profile::door_count(plan.holders));
    for _ in 0..plan.holders {
        for _ in 0..profile::draw_visits(&mut rng, profile::VISITS_PER_HOLDER) {
            let hour = (profile::draw_second_of_day(&mut rng) / HOUR) as usize;
            result.hours[hour].per_door_fetch += 1;
        }
    }
    let doors: Vec<Door> = (0..result.doors).map(|_| Door::new(&mut rng)).collect();
    let mut replay = Replay {
        status_uri: format!("{url}/v1/status/1"),
        issuer,
        population: Arc::new(population),
        doors_client,
        enrolments,
        renewals: BinaryHeap::new(),
        result,
    };

    let mut t = start;
    while t < day {
        replay.step(t, HOUR, &[]).await?;
        t += HOUR;
    }
    replay.result.enrolled_before = replay.result.enrolled;
    replay.result.renewed_before = replay.result.renewed.renewed;
    let http = reqwest::Client::new();
    let mut issuer_then = scrape(&http, &url).await?;
    let mut sent_then = counters.snapshot();
    let step = plan.step.clamp(1, HOUR);
    for hour in 0..24 {
        let mut door_fetches = 0;
        let mut s = 0;
        while s < HOUR {
            let from = hour * HOUR + s;
            let len = step.min(HOUR - s);
            let due: Vec<_> = doors.iter().map(|d| d.due(from, from + len)).collect();
            let jobs: Vec<Job> = due
                .iter()
                .flat_map(|f| {
                    (0..f.status)
                        .map(|_| Job::StatusList)
                        .chain((0..f.trust).map(|_| Job::TrustList))
                })
                .collect();
            door_fetches += jobs.len() as u64;
            replay.step(day + from, len, &jobs).await?;
            s += len;
        }
        let issuer_now = scrape(&http, &url).await?;
        let sent_now = counters.snapshot();
        let row: &mut HourRow = &mut replay.result.hours[hour as usize];
        row.issuer =
            std::array::from_fn(|k| issuer_now.by_kind[k].saturating_sub(issuer_then.by_kind[k]));
        row.sent = std::array::from_fn(|k| sent_now[k].saturating_sub(sent_then[k]));
        row.shed = issuer_now.shed.saturating_sub(issuer_then.shed);
        row.door_fetches = door_fetches;
        (issuer_then, sent_then) = (issuer_now, sent_now);
    }
    replay.result.unenrolled = replay.enrolments.len() as u64;
    replay
        .issuer
        .running
        .stop()
        .await
        .context("stopping the issuer")?;
    Ok(replay.result)
}

impl Replay {
    /// Moves the issuer's clock to `t`, then enrols whoever enrols in `[t, t + len)`, renews the
    /// wallets whose own plan says they are due by `t`, and runs the door fetches `doors`.
    async fn step(&mut self, t: u64, len: u64, doors: &[Job]) -> Result<()> {
        self.issuer.clock.set(t);
        let mut jobs = Vec::new();
        while let Some(Reverse((at, i))) = self.enrolments.peek().copied()
            && at < t + len
        {
            self.enrolments.pop();
            jobs.push(Job::Enrol(i));
        }
        while let Some(Reverse((at, i))) = self.renewals.peek().copied()
            && at <= t
        {
            self.renewals.pop();
            jobs.push(Job::Renew(i));
        }
        let gate = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
        let mut running = JoinSet::new();
        for job in jobs.into_iter().chain(doors.iter().copied()) {
            let permit = gate.clone().acquire_owned().await?;
            let (population, client, uri) = (
                self.population.clone(),
                self.doors_client.clone(),
                self.status_uri.clone(),
            );
            running.spawn(async move {
                let done = match job {
                    Job::Enrol(i) => Done::Enrol(i, population.enrol(i, t).await),
                    Job::Renew(i) => {
                        let (renewals, next) = population.renew(i, t).await;
                        Done::Renew(i, renewals, next)
                    }
                    Job::StatusList => Done::Door(
                        client
                            .status_list(&uri)
                            .await
                            .map(drop)
                            .map_err(|e| e.to_string()),
                    ),
                    Job::TrustList => Done::Door(
                        client
                            .trust_list()
                            .await
                            .map(drop)
                            .map_err(|e| e.to_string()),
                    ),
                };
                drop(permit);
                done
            });
            while let Some(done) = running.try_join_next() {
                self.record(done?, t);
            }
        }
        while let Some(done) = running.join_next().await {
            self.record(done?, t);
        }
        Ok(())
    }

    fn record(&mut self, done: Done, t: u64) {
        let r = &mut self.result;
        match done {
            Done::Enrol(i, Enrolled::Done(next)) => {
                r.enrolled += 1;
                if let Some(next) = next {
                    self.renewals.push(Reverse((next.max(t + 1), i)));
                }
            }
            Done::Enrol(i, Enrolled::Busy(secs)) => {
                r.enrol_busy += 1;
                self.enrolments.push(Reverse((t + secs.max(1), i)));
            }
            Done::Enrol(_, Enrolled::Failed(e)) => r.fail(e),
            Done::Renew(i, renewals, next) => {
                r.renewed.renewed += renewals.renewed;
                r.renewed.deferred += renewals.deferred;
                r.renewed.reauth += renewals.reauth;
                if let Some(next) = next {
                    self.renewals.push(Reverse((next.max(t + 1), i)));
                }
            }
            Done::Door(Ok(())) => {}
            Done::Door(Err(e)) => r.fail(format!("door fetch: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_starts_at_midnight_in_seoul() {
        // 2026-12-03 00:00 KST is 2026-12-02 15:00 UTC.
        let kst_midnight = 1_796_223_600;
        assert_eq!(local_midnight_after(kst_midnight), kst_midnight);
        assert_eq!(local_midnight_after(kst_midnight + 1), kst_midnight + DAY);
        assert_eq!(local_midnight_after(kst_midnight - 3600), kst_midnight);
    }
}
