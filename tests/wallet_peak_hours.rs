//! Renewals off the issuer's peak, against the real issuer on 127.0.0.1: the issuer draws
//! renew-after in its off-peak hours and names its busy hours in every answer; the wallet starts no
//! renewal in them unless its pass would otherwise expire within a day (docs/renewal-timing.md).

use std::time::Duration;

use doorpass_issuer::renew_timing::{HourRange, RenewTiming, TimeZone};
use doorpass_tests::{TestIssuer, now, renew_requests_seen};
use doorpass_wallet::wallet::{PassState, RenewalOutcome};

const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

/// An issuer of 30-day passes that draws renew-after between 01:00 and 06:00 UTC (keeping the last
/// three days for retries) and is busy from 00:00 to 23:00 UTC: only 23:00–24:00 is free for
/// renewals.
async fn issuer() -> TestIssuer {
    TestIssuer::start(|c| {
        c.lifetimes.pass = Duration::from_secs(30 * DAY);
        c.renew_timing = RenewTiming {
            off_peak: Some(HourRange { start: 1, end: 6 }),
            peak: vec![HourRange { start: 0, end: 23 }],
            zone: TimeZone::UTC,
        };
    })
    .await
}

/// The first `hour` o'clock (UTC) at or after `t`.
fn next_at_hour(t: u64, hour: u64) -> u64 {
    let at = t - t % DAY + hour * HOUR;
    if at >= t { at } else { at + DAY }
}

#[tokio::test]
async fn a_due_renewal_waits_out_the_busy_hours_unless_the_pass_is_about_to_expire() {
    let issuer = issuer().await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    let pass = issuer.enrol(&wallet, "demo-choi").await;
    let d = pass.details.unwrap();
    let hour = (d.renew_after % DAY) / HOUR;
    assert!(
        (1..6).contains(&hour),
        "renew-after drawn at {hour} o'clock UTC"
    );
    assert!(
        d.renew_after >= d.expires_at - 10 * DAY,
        "in the last third"
    );
    assert!(
        d.renew_after < d.expires_at - 3 * DAY,
        "three days kept for retries"
    );

    // Due, but in the busy hours: no request, and the wallet waits until 23:00.
    let offset = wallet.clock_status().offset_seconds.unwrap_or(0);
    let device = |issuer_time: u64| issuer_time.saturating_add_signed(-offset);
    let free_at = next_at_hour(d.renew_after, 23);
    assert_eq!(wallet.next_renewal_at(), Some(device(free_at)));
    let due = d.renew_after + 60;
    assert_eq!(wallet.passes(device(due))[0].state, PassState::RenewDue);
    let before = renew_requests_seen(&issuer.url()).await;
    let outcomes = wallet.renew_due(device(due)).await;
    assert_eq!(
        outcomes[0].outcome,
        RenewalOutcome::Waiting {
            retry_at: device(free_at)
        }
    );
    assert_eq!(
        renew_requests_seen(&issuer.url()).await,
        before,
        "no request in the busy hours"
    );

    // At 23:30 it renews.
    let outcomes = wallet.renew_due(device(free_at + 30 * 60)).await;
    let RenewalOutcome::Renewed {
        expires_at,
        renew_after,
    } = outcomes[0].outcome
    else {
        panic!("{outcomes:?}");
    };
    assert_eq!(renew_requests_seen(&issuer.url()).await, before + 1);
    assert!(
        (1..6).contains(&((renew_after % DAY) / HOUR)),
        "the renewed pass too"
    );

    // A pass expiring within a day renews in the busy hours. (The renewal synced the wallet's clock
    // to the issuer's again, from the device time this test gave it.)
    let offset = wallet.clock_status().offset_seconds.unwrap_or(0);
    let device = |issuer_time: u64| issuer_time.saturating_add_signed(-offset);
    let last_day = next_at_hour(expires_at - DAY + 1, 12);
    assert!(last_day < expires_at && expires_at - last_day <= DAY);
    let outcomes = wallet.renew_due(device(last_day)).await;
    assert!(
        matches!(outcomes[0].outcome, RenewalOutcome::Renewed { .. }),
        "{outcomes:?}"
    );
    assert_eq!(renew_requests_seen(&issuer.url()).await, before + 2);
}

#[tokio::test]
async fn a_renew_now_from_the_user_is_not_held_by_the_busy_hours() {
    let issuer = issuer().await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    let pass = issuer.enrol(&wallet, "demo-park").await;
    let d = pass.details.unwrap();
    let offset = wallet.clock_status().offset_seconds.unwrap_or(0);
    let busy = next_at_hour(d.renew_after, 12).saturating_add_signed(-offset);
    let outcome = wallet.renew_pass(&pass.id, busy, true).await.unwrap();
    assert!(
        matches!(outcome, RenewalOutcome::Renewed { .. }),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn an_issuer_without_busy_hours_holds_nothing_and_draws_as_before() {
    let issuer = TestIssuer::start(|c| c.lifetimes.pass = Duration::from_secs(10 * DAY)).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    let pass = issuer.enrol(&wallet, "demo-kim").await;
    let d = pass.details.unwrap();
    let offset = wallet.clock_status().offset_seconds.unwrap_or(0);
    assert_eq!(
        wallet.next_renewal_at(),
        Some(d.renew_after.saturating_add_signed(-offset))
    );
    let due = (d.renew_after + 60).saturating_add_signed(-offset);
    let outcomes = wallet.renew_due(due.max(now())).await;
    assert!(
        matches!(outcomes[0].outcome, RenewalOutcome::Renewed { .. }),
        "{outcomes:?}"
    );
}
