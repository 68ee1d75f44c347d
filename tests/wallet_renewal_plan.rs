//! The background renewal's plan against the real issuer on 127.0.0.1: from when the wallet wants
//! a renewal on good conditions (unmetered network, charging, external power) and from when on any
//! network (docs/renewal-timing.md).

use std::time::Duration;

use doorpass_issuer::renew_timing::{HourRange, RenewTiming, TimeZone};
use doorpass_tests::{TestIssuer, now};
use doorpass_wallet::wallet::{PassDetails, RenewalPlan, Wallet};

const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

/// The wallet's device time of an issuer time.
fn device(wallet: &Wallet, issuer_time: u64) -> u64 {
    let offset = wallet.clock_status().offset_seconds.unwrap_or(0);
    issuer_time.saturating_add_signed(-offset)
}

/// A 30-day pass's deadline from this issuer (renew-after at 01-06 UTC, busy 11-14 UTC): 12 h
/// after renew-after, i.e. 13:00-18:00, moved out of the busy hours to 14:00 when it falls in them.
fn deadline(pass: &PassDetails) -> u64 {
    let two_pm = pass.renew_after - pass.renew_after % DAY + 14 * HOUR;
    (pass.renew_after + 12 * HOUR).max(two_pm)
}

#[tokio::test]
async fn the_plan_waits_for_good_conditions_twelve_hours_at_most_and_covers_every_pass() {
    let issuer = TestIssuer::start(|c| {
        c.lifetimes.pass = Duration::from_secs(30 * DAY);
        c.renew_timing = RenewTiming {
            off_peak: Some(HourRange { start: 1, end: 6 }),
            peak: vec![HourRange { start: 11, end: 14 }],
            zone: TimeZone::UTC,
        };
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    assert_eq!(wallet.renewal_plan(now()), None, "no pass: nothing planned");

    let kim = issuer.enrol(&wallet, "demo-kim").await.details.unwrap();
    let plan = wallet.renewal_plan(now()).unwrap();
    assert_eq!(
        plan,
        RenewalPlan {
            run_at: device(&wallet, kim.renew_after),
            relax_at: device(&wallet, deadline(&kim)),
        }
    );
    assert_eq!(wallet.next_renewal_at(), Some(plan.run_at));

    // Two passes: the earliest run and the earliest deadline of the two.
    let lee = issuer.enrol(&wallet, "demo-lee").await.details.unwrap();
    assert_eq!(wallet.passes(now()).len(), 2);
    let plan = wallet.renewal_plan(now()).unwrap();
    assert_eq!(
        plan,
        RenewalPlan {
            run_at: device(&wallet, kim.renew_after.min(lee.renew_after)),
            relax_at: device(&wallet, deadline(&kim).min(deadline(&lee))),
        }
    );

    // Past both deadlines (the phone was off): run now, on any network.
    let late = device(&wallet, deadline(&kim).max(deadline(&lee)) + HOUR);
    assert_eq!(
        wallet.renewal_plan(late),
        Some(RenewalPlan {
            run_at: late,
            relax_at: late
        })
    );
}

#[tokio::test]
async fn a_pass_too_close_to_expiry_to_wait_is_planned_on_any_network() {
    // A one-day pass renews at most 8 h before it expires: far less than the 36 h kept.
    let issuer = TestIssuer::start(|c| c.lifetimes.pass = Duration::from_secs(DAY)).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    let pass = issuer.enrol(&wallet, "demo-park").await.details.unwrap();
    let plan = wallet.renewal_plan(now()).unwrap();
    assert_eq!(plan.run_at, device(&wallet, pass.renew_after));
    assert_eq!(plan.relax_at, plan.run_at, "no wait for good conditions");
}
