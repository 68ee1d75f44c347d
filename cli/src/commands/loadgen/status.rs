//! `loadgen status`: many door devices fetching one status list at once (closed loop), to measure
//! the requests/s `GET /v1/status/{list}` takes, alone or beside an enrolment surge.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use doorpass_wallet::issuer_client::IssuerClient;

/// Fetches `{issuer}/v1/status/{list}` with `concurrency` fetchers for `duration`; prints the
/// requests/s answered 200 and the failures. Loopback issuers only.
pub(super) async fn run(
    issuer: &str,
    list: u64,
    concurrency: usize,
    duration: Duration,
    tls: &doorpass_wallet::tls::TlsTrust,
) -> Result<ExitCode> {
    if !IssuerClient::is_loopback_url(issuer) {
        bail!("loadgen only targets loopback issuers (127.0.0.0/8, localhost, [::1])");
    }
    let url = format!("{}/v1/status/{list}", issuer.trim_end_matches('/'));
    let http = crate::ca_certs::http_client(tls)?
        .timeout(Duration::from_secs(10))
        .build()?;
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (http, url, ok, failed) = (http.clone(), url.clone(), ok.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let answered = match http.get(&url).send().await {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                };
                let counter = if answered { &ok } else { &failed };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    println!(
        "status list {url}: {ok} answered 200 in {seconds:.1} s = {:.0}/s, {failed} failed",
        ok as f64 / seconds
    );
    Ok(if ok > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
