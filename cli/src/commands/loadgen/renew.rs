//! The renewal runs (`loadgen run --renewals`): a pool of wallets is enrolled first, untimed; then
//! the timed run renews them over and over, each renewal with the wallet's newest refresh token, in a
//! closed loop (`--concurrency` wallets at once) or an open loop (`--rate` renewals a second, each
//! taken by an idle wallet of the pool; with none idle, the arrival is dropped and counted).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use doorpass_format::api::{REFRESH_TOKEN_LEN, b64_fixed};
use doorpass_format::keys::SigningKey;
use doorpass_wallet::issuer_client::{IssuerClient, IssuerError};

use super::enrol::{Outcome, RENEW, timed};
use super::stats::{Offered, Stats};

/// A wallet of the pool: its holder key and newest refresh token.
pub(super) struct PoolWallet {
    key: SigningKey,
    token: [u8; REFRESH_TOKEN_LEN],
}

/// Enrols `keys.len()` wallets (subjects `prefix + first + i`), 64 at a time, waiting out any
/// `Retry-After`; returns them with the pass ids received (for the database check).
pub(super) async fn enrol_pool(
    client: &IssuerClient,
    keys: Vec<SigningKey>,
    prefix: &str,
    first: usize,
) -> Result<(Vec<PoolWallet>, Vec<String>)> {
    let keys = Arc::new(Mutex::new(keys.into_iter().enumerate().collect::<Vec<_>>()));
    let mut workers = Vec::new();
    for _ in 0..64 {
        let (client, keys, prefix) = (client.clone(), keys.clone(), prefix.to_string());
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let next = keys.lock().unwrap_or_else(|p| p.into_inner()).pop();
                let Some((i, key)) = next else {
                    return mine;
                };
                let subject = format!("{prefix}{}", first + i);
                if let Some(enrolled) = enrol_patiently(&client, &subject, key).await {
                    mine.push(enrolled);
                }
            }
        }));
    }
    let (mut pool, mut pass_ids) = (Vec::new(), Vec::new());
    for w in workers {
        for (wallet, pass_id) in w.await? {
            pool.push(wallet);
            pass_ids.push(pass_id);
        }
    }
    if pool.is_empty() {
        bail!("no wallet of the pool could enrol");
    }
    Ok((pool, pass_ids))
}

async fn enrol_patiently(
    client: &IssuerClient,
    subject: &str,
    key: SigningKey,
) -> Option<(PoolWallet, String)> {
    for _ in 0..20 {
        let attempt = async {
            let challenge = client
                .start_enrolment(subject, &key.verifying_key())
                .await?;
            let code = client.dev_code(subject).await?;
            client
                .complete_enrolment(&challenge.value.challenge_id, &code, &key)
                .await
        };
        match attempt.await {
            Ok(issued) => {
                let token = b64_fixed::<REFRESH_TOKEN_LEN>(&issued.value.refresh_token)?;
                return Some((PoolWallet { key, token }, issued.value.pass_id));
            }
            Err(IssuerError::Busy { retry_after, .. }) => {
                tokio::time::sleep(retry_after.unwrap_or(Duration::from_secs(1))).await;
            }
            Err(_) => return None,
        }
    }
    None
}

/// One renewal of `wallet`, timed; on success the wallet keeps the new token.
async fn renew_one(client: &IssuerClient, wallet: &mut PoolWallet) -> Outcome {
    let mut out = Outcome::default();
    let started = Instant::now();
    let answer = timed(&mut out, RENEW, async {
        client
            .renew(&wallet.token, &wallet.key)
            .await
            .map(|a| (a.value, a.status))
    })
    .await;
    if let Some(issued) = answer
        && let Some(token) = b64_fixed::<REFRESH_TOKEN_LEN>(&issued.refresh_token)
    {
        wallet.token = token;
        out.issued = Some((started.elapsed().as_micros() as u64, issued.pass_id));
    }
    out
}

/// Closed loop: `concurrency` workers, each renewing its share of the pool in turn until `deadline`.
pub(super) async fn renew_closed(
    client: &IssuerClient,
    pool: Vec<PoolWallet>,
    concurrency: usize,
    deadline: Instant,
) -> Result<Stats> {
    let mut shares: Vec<Vec<PoolWallet>> = (0..concurrency.max(1)).map(|_| Vec::new()).collect();
    let n = shares.len();
    for (i, wallet) in pool.into_iter().enumerate() {
        shares[i % n].push(wallet);
    }
    let mut workers = Vec::new();
    for mut share in shares.into_iter().filter(|s| !s.is_empty()) {
        let client = client.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Stats::default();
            'run: loop {
                for wallet in &mut share {
                    if Instant::now() >= deadline {
                        break 'run;
                    }
                    mine.add(renew_one(&client, wallet).await);
                }
            }
            mine
        }));
    }
    let mut stats = Stats::default();
    for w in workers {
        stats.merge(w.await?);
    }
    Ok(stats)
}

/// Open loop: `rate` renewals a second until `deadline`, each by an idle wallet of the pool.
pub(super) async fn renew_open(
    client: &IssuerClient,
    pool: Vec<PoolWallet>,
    rate: f64,
    duration: Duration,
) -> Result<(Stats, Offered)> {
    let idle = Arc::new(Mutex::new(pool));
    let pool_size = idle.lock().unwrap_or_else(|p| p.into_inner()).len();
    let mut tasks = tokio::task::JoinSet::new();
    let mut stats = Stats::default();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let started = Instant::now();
    let (mut due_so_far, mut launched, mut dropped) = (0u64, 0u64, 0u64);
    while started.elapsed() < duration {
        tick.tick().await;
        let due = (started.elapsed().as_secs_f64() * rate) as u64;
        while due_so_far < due {
            due_so_far += 1;
            let wallet = idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let Some(mut wallet) = wallet else {
                dropped += 1;
                continue;
            };
            launched += 1;
            let (client, idle) = (client.clone(), idle.clone());
            tasks.spawn(async move {
                let outcome = renew_one(&client, &mut wallet).await;
                idle.lock().unwrap_or_else(|p| p.into_inner()).push(wallet);
                outcome
            });
        }
        while let Some(done) = tasks.try_join_next() {
            stats.add(done?);
        }
    }
    let window = started.elapsed().min(duration);
    while let Some(done) = tasks.join_next().await {
        stats.add(done?);
    }
    let offered = Offered {
        rate,
        window,
        due: due_so_far,
        launched,
        dropped,
        max_outstanding: pool_size,
    };
    Ok((stats, offered))
}
