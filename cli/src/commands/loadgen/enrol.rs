//! One simulated wallet: its enrolment (start, dev code, complete), each request timed, and the
//! holder keys made for the wallets before the clock starts.

use std::time::Instant;

use doorpass_format::keys::{SigningKey, generate_signing_key};
use doorpass_wallet::issuer_client::{IssuerClient, IssuerError};

/// The three requests of an enrolment, in order, then the renewal; indexes into
/// [`Stats::routes`](super::stats::Stats::routes).
pub(super) const ROUTES: [&str; 4] = ["start", "dev_otp", "complete", "renew"];
const START: usize = 0;
const DEV_OTP: usize = 1;
const COMPLETE: usize = 2;
/// The index of the renewal route.
pub(super) const RENEW: usize = 3;

/// One request as the wallet saw it. `status` 0 means no HTTP answer (connection error, timeout).
#[derive(Clone, Copy, Default)]
pub(super) struct Call {
    pub(super) route: usize,
    pub(super) micros: u64,
    pub(super) status: u16,
    pub(super) accepted: bool,
    pub(super) retry_after: bool,
}

/// What one wallet saw: its (up to three) requests and, if it got one, its pass with the time from
/// its first request. Returned by the wallet's task and merged by whoever joins it, so no lock is
/// taken per request.
#[derive(Default)]
pub(super) struct Outcome {
    pub(super) calls: [Call; 3],
    pub(super) n: usize,
    pub(super) issued: Option<(u64, String)>,
}

/// Awaits one request of the wallet and notes it in `out`: its route, time, status and whether it
/// was refused with `Retry-After`.
pub(super) async fn timed<T>(
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
pub(super) async fn enrol_one(client: &IssuerClient, subject: String, key: &SigningKey) -> Outcome {
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
    out.issued = Some((started.elapsed().as_micros() as u64, issued.pass_id));
    out
}

/// `n` holder keys, generated on every core before the clock starts.
pub(super) fn holder_keys(n: usize) -> Vec<SigningKey> {
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
