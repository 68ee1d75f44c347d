//! 1,000 wallets due for renewal at once against an issuer held at capacity: none loses its pass, and
//! no wallet comes back sooner than the issuer's Retry-After told it to.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use doorpass_issuer::admission::AdmissionLimits;
use doorpass_issuer::service::Faults;
use doorpass_tests::{TestIssuer, now, renew_requests_seen};
use doorpass_wallet::retry::RetryPolicy;
use doorpass_wallet::secret_store::MemorySecretStore;
use doorpass_wallet::wallet::{PassState, RenewalOutcome, Wallet, WalletOptions, WalletSetup};

const WALLETS: usize = 1_000;
const DEADLINE: Duration = Duration::from_secs(120);

/// One request a wallet made: when it was sent and answered (seconds since the surge began), the
/// Retry-After it was told, and whether it renewed the pass.
#[derive(Debug, Clone, Copy)]
struct Attempt {
    sent: f64,
    answered: f64,
    retry_after: Option<u64>,
    renewed: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_wallets_renew_through_a_saturated_issuer() {
    let mut issuer = TestIssuer::start(|_| {}).await;
    issuer.add_holders("surge-", WALLETS).await;
    let options = WalletOptions {
        http_timeout: Duration::from_secs(10),
        retry: RetryPolicy {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(16),
        },
        ..WalletOptions::default()
    };
    // Enrol everyone (unconstrained issuer).
    let homes = tempfile::tempdir().unwrap();
    let secrets: Vec<Arc<MemorySecretStore>> = (0..WALLETS)
        .map(|_| Arc::new(MemorySecretStore::default()))
        .collect();
    let mut ids = Vec::new();
    let mut enrolments = tokio::task::JoinSet::new();
    let setup_slots = Arc::new(tokio::sync::Semaphore::new(32)); // setup, not the surge: keep it gentle
    for (i, store) in secrets.iter().enumerate() {
        let wallet = issuer.wallet(
            &homes.path().join(i.to_string()),
            store.clone(),
            options.clone(),
        );
        let (url, subject) = (issuer.url(), format!("surge-{i}"));
        let slots = setup_slots.clone();
        enrolments.spawn(async move {
            let _slot = slots.acquire().await.unwrap();
            wallet.begin_authentication(&subject, now()).await.unwrap();
            let client = doorpass_wallet::issuer_client::IssuerClient::over_https(
                &url,
                Duration::from_secs(10),
            )
            .unwrap();
            let code = client.dev_code(&subject).await.unwrap();
            (
                i,
                wallet.complete_authentication(&code, now()).await.unwrap(),
            )
        });
    }
    while let Some(done) = enrolments.join_next().await {
        ids.push(done.unwrap());
    }
    ids.sort_by_key(|(i, _)| *i);

    // Now hold the issuer at capacity: 4 requests at once, each 20 ms, a short queue.
    issuer
        .restart(|c| {
            c.admission = AdmissionLimits {
                max_in_flight: 4,
                max_queued: 8,
                queue_timeout: Duration::from_millis(50),
                finishing_timeout: Duration::from_millis(50),
                retry_after_secs: 1,
                ..AdmissionLimits::default()
            };
            c.dev = Some(Faults {
                latency: Duration::from_millis(20),
                failure_rate: 0.0,
            });
        })
        .await;
    // The restarted issuer listens on another port: the wallets follow it.
    let setup = WalletSetup {
        issuer_url: issuer.url(),
        anchor: issuer.anchor,
        replace_issuer: true,
    };
    // Open every wallet first, then release them all at the same instant.
    let wallets: Vec<_> = ids
        .into_iter()
        .map(|(i, summary)| {
            let home = homes.path().join(i.to_string());
            (
                i,
                summary,
                Wallet::open(
                    &home,
                    secrets[i].clone(),
                    Some(setup.clone()),
                    options.clone(),
                )
                .unwrap(),
            )
        })
        .collect();
    // Everyone is due: the device clock is set to just after the last wallet's renew-after (the
    // wallet API takes device time, as a phone left in a drawer for weeks would report it).
    let last_due = wallets
        .iter()
        .map(|(_, s, _)| s.details.as_ref().unwrap().renew_after)
        .max()
        .unwrap();
    let shift = last_due + 1 - now();
    let device = move || now() + shift;
    let go = Arc::new(tokio::sync::Barrier::new(WALLETS + 1));
    let start = Instant::now();
    // What the issuer itself sees: renew requests it answered, sampled every 100 ms.
    let stop_sampling = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let url = issuer.url();
        let stop = stop_sampling.clone();
        tokio::spawn(async move {
            let mut samples = vec![(0.0, renew_requests_seen(&url).await)];
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && start.elapsed() < DEADLINE {
                tokio::time::sleep(Duration::from_millis(100)).await;
                samples.push((
                    start.elapsed().as_secs_f64(),
                    renew_requests_seen(&url).await,
                ));
            }
            samples
        })
    };
    let mut tasks = tokio::task::JoinSet::new();
    for (i, summary, wallet) in wallets {
        let old_pass = summary.details.unwrap().pass_id;
        let go = go.clone();
        tasks.spawn(async move {
            go.wait().await;
            let mut attempts = Vec::new();
            loop {
                assert!(
                    start.elapsed() < DEADLINE,
                    "wallet {i} did not renew in time"
                );
                let sent = start.elapsed().as_secs_f64();
                // Not forced: the wallet renews because the pass is due.
                let outcome = wallet
                    .renew_pass(&summary.id, device(), false)
                    .await
                    .unwrap();
                let answered = start.elapsed().as_secs_f64();
                // The pass in hand is there after every attempt.
                let held = wallet.passes(device())[0].clone();
                assert!(held.details.is_some() && held.state != PassState::Missing);
                assert!(wallet.current_qr(None, device(), false).is_ok());
                match outcome {
                    RenewalOutcome::Renewed { .. } => {
                        attempts.push(Attempt {
                            sent,
                            answered,
                            retry_after: None,
                            renewed: true,
                        });
                        assert_ne!(held.details.unwrap().pass_id, old_pass);
                        return attempts;
                    }
                    RenewalOutcome::Deferred {
                        retry_at,
                        retry_after,
                        ..
                    } => {
                        attempts.push(Attempt {
                            sent,
                            answered,
                            retry_after,
                            renewed: false,
                        });
                        sleep_until_unix(retry_at - shift).await;
                    }
                    RenewalOutcome::Waiting { retry_at } => {
                        sleep_until_unix(retry_at - shift).await
                    }
                    other => panic!("wallet {i}: {other:?}"),
                }
            }
        });
    }
    go.wait().await;
    let mut all: Vec<Vec<Attempt>> = Vec::new();
    while let Some(done) = tasks.join_next().await {
        all.push(done.unwrap());
    }
    let took = start.elapsed();
    assert_eq!(all.len(), WALLETS, "every wallet renewed");
    stop_sampling.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut samples = sampler.await.unwrap();
    samples.push((took.as_secs_f64(), renew_requests_seen(&issuer.url()).await));

    // No wallet came back before its Retry-After.
    let mut early = 0;
    let mut per_second: BTreeMap<u64, (u64, u64)> = BTreeMap::new(); // second -> (requests, retries)
    let mut refused = 0;
    for attempts in &all {
        for (k, a) in attempts.iter().enumerate() {
            let slot = per_second.entry(a.sent as u64).or_default();
            slot.0 += 1;
            if k > 0 {
                slot.1 += 1;
            }
            if let Some(ra) = a.retry_after {
                refused += 1;
                if let Some(next) = attempts.get(k + 1)
                    && next.sent < a.answered + ra as f64
                {
                    early += 1;
                }
            }
        }
    }
    let peak_requests = per_second.values().map(|(r, _)| *r).max().unwrap_or(0);
    let (peak_retry_second, peak_retries) = per_second
        .iter()
        .map(|(s, (_, retries))| (*s, *retries))
        .max_by_key(|(_, r)| *r)
        .unwrap_or((0, 0));
    let total: usize = all.iter().map(Vec::len).sum();
    // The issuer's own count: every request the issuer answered (a renewal, or 503 + Retry-After,
    // all it sends here) reached it, and it saw no more than the wallets sent. An attempt that got no
    // HTTP answer (a connection error or client timeout on a loaded machine) may or may not have
    // reached it.
    let unanswered = all
        .iter()
        .flatten()
        .filter(|a| a.retry_after.is_none() && !a.renewed)
        .count();
    let (_, seen_at_start) = samples[0];
    let (_, seen_at_end) = *samples.last().unwrap();
    let seen = (seen_at_end - seen_at_start) as usize;
    assert!(
        (total - unanswered..=total).contains(&seen),
        "the issuer answered {seen} requests; the wallets made {total}, {unanswered} of them unanswered"
    );
    // Its peak one-second rate after the first wave (from then on, every request is a retry).
    let issuer_peak_retries = samples
        .windows(11)
        .filter(|w| w[0].0 >= 1.0)
        .map(|w| w[10].1 - w[0].1)
        .max()
        .unwrap_or(0);
    println!(
        "surge: {WALLETS} wallets renewed in {:.1} s with {total} requests ({refused} answered 503 + Retry-After); \
         peak {peak_requests} requests/s (the first wave); peak retries {peak_retries}/s (second {peak_retry_second}); \
         retries sooner than Retry-After: {early}; unanswered (transport): {unanswered}; the issuer saw at most {issuer_peak_retries} renew requests \
         in any one second after the first wave",
        took.as_secs_f64()
    );
    assert!(refused > 0, "the issuer really was saturated");
    assert_eq!(early, 0, "no retry came sooner than Retry-After");
}

/// Sleeps until `at` plus a random fraction of a second, as shells do (see `RenewalOutcome`), so that
/// wallets told the same second do not all arrive at its first millisecond.
async fn sleep_until_unix(at: u64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let target = Duration::from_secs(at) + Duration::from_millis(rand::random::<u64>() % 1000);
    if target > now {
        tokio::time::sleep(target - now).await;
    }
}
