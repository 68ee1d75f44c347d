//! The run: holder keys made (or, for `--renewals`, a pool of wallets enrolled), then wallets driven
//! in a closed loop (`--concurrency`) or an open loop (`--rate`), then the report, the record file
//! and the database check.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use doorpass_format::keys::SigningKey;
use doorpass_wallet::issuer_client::IssuerClient;

use super::RunArgs;
use super::db_check::{DbReport, check_db};
use super::enrol::{enrol_one, holder_keys};
use super::probes::{issuer_requests_answered, own_cpu_seconds, peak_memory_kib};
use super::renew;
use super::report::{print_report, report};
use super::stats::{Offered, Stats};

/// Runs `loadgen run`.
pub(super) async fn drive(args: &RunArgs) -> Result<ExitCode> {
    if !args
        .issuer
        .iter()
        .all(|url| IssuerClient::is_loopback_url(url))
    {
        bail!("loadgen only targets loopback issuers (127.0.0.0/8, localhost, [::1])");
    }
    if args.rate.is_some_and(|r| r.is_nan() || r <= 0.0) {
        bail!("--rate must be positive");
    }
    let tls = crate::ca_certs::tls_trust(&args.ca_cert)?;
    let clients: Arc<[IssuerClient]> = args
        .issuer
        .iter()
        .map(|url| IssuerClient::over_https_trusting(url, Duration::from_secs(10), &tls))
        .collect::<Result<Vec<_>, _>>()?
        .into();
    // Renewal runs use the first issuer; enrolments are spread over all of them.
    let client = clients[0].clone();
    let metrics_http = crate::ca_certs::http_client(&tls)?
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
    // Renewal runs enrol their pool first, untimed; its passes count only for the database check.
    let mut pool = None;
    let mut pool_pass_ids = Vec::new();
    if args.renewals {
        let (wallets, pass_ids) = renew::enrol_pool(
            &client,
            holder_keys(args.pool.max(1)),
            &args.prefix,
            args.first,
        )
        .await?;
        eprintln!(
            "loadgen: {} wallets enrolled for the renewal run",
            wallets.len()
        );
        pool = Some(wallets);
        pool_pass_ids = pass_ids;
    }
    let keys: Arc<[SigningKey]> = if args.renewals {
        Arc::from(Vec::new())
    } else {
        holder_keys(wallets).into()
    };
    let metrics_url = args
        .metrics
        .clone()
        .unwrap_or_else(|| format!("{}/metrics", args.issuer[0].trim_end_matches('/')));
    let answered_before = issuer_requests_answered(&metrics_http, &metrics_url).await;
    let cpu_before = own_cpu_seconds();
    let mut stats = Stats::default();
    let mut offered = None;
    let started = Instant::now();
    let deadline = started + args.duration;
    match (pool, args.rate) {
        (Some(pool), None) => {
            stats = renew::renew_closed(&client, pool, args.concurrency, deadline).await?;
        }
        (Some(pool), Some(rate)) => {
            let (renewed, open) = renew::renew_open(&client, pool, rate, args.duration).await?;
            stats = renewed;
            offered = Some(open);
        }
        (None, None) => {
            let next = Arc::new(AtomicUsize::new(0));
            let mut workers = Vec::new();
            for _ in 0..args.concurrency.max(1) {
                let (clients, keys, next) = (clients.clone(), keys.clone(), next.clone());
                let (first, prefix) = (args.first, args.prefix.clone());
                workers.push(tokio::spawn(async move {
                    let mut mine = Stats::default();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= wallets || Instant::now() >= deadline {
                            break;
                        }
                        let subject = format!("{prefix}{}", first + i);
                        let client = &clients[i % clients.len()];
                        mine.add(enrol_one(client, subject, &keys[i]).await);
                    }
                    mine
                }));
            }
            for w in workers {
                stats.merge(w.await?);
            }
        }
        (None, Some(rate)) => {
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
                    let (client, keys) = (clients[i % clients.len()].clone(), keys.clone());
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
    stats.pass_ids.extend(pool_pass_ids);
    let cpu = own_cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let answered_after = issuer_requests_answered(&metrics_http, &metrics_url).await;
    let issuer_answered = answered_after
        .zip(answered_before)
        .map(|(after, before)| after.saturating_sub(before));
    if let Some(path) = &args.record {
        let mut text = stats.pass_ids.join("\n");
        text.push('\n');
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    let db_report = match &args.db {
        Some(db) => Some(check_db(db, &stats.pass_ids).await?),
        None => None,
    };
    let memory = args.issuer_pid.and_then(peak_memory_kib);
    let report = report(
        if args.renewals {
            "renewal"
        } else {
            "enrolment"
        },
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
