//! How long a background renewal may wait for good conditions before it must run on any network.
//!
//! A shell's scheduler runs the renewal at `run_at` only on good conditions (Android: unmetered
//! network and charging; iOS: external power), and from `relax_at` on any network
//! (docs/renewal-timing.md). The wait is bounded twice:
//! - at most [`MAX_WAIT_FOR_CONDITIONS_SECONDS`] after the pass's renew-after, so a phone that is
//!   never charged on Wi-Fi still renews the same day;
//! - never later than [`RELAX_BEFORE_EXPIRY_SECONDS`] before the pass expires, which leaves half a
//!   day of retries on any network before the last day, when the busy hours stop holding it too.
//!
//! A deadline that falls in the issuer's busy hours moves to their end (as a due renewal would). A
//! pass already closer to expiry than that has no wait: `relax_at` equals `run_at`.

use doorpass_format::api::PeakWindow;

use crate::peak_hours;

/// A background renewal waits for good conditions at most this long after renew-after (12 h).
pub const MAX_WAIT_FOR_CONDITIONS_SECONDS: u64 = 12 * 3600;
/// A background renewal runs on any network from this long before its pass expires (36 h).
pub const RELAX_BEFORE_EXPIRY_SECONDS: u64 = 36 * 3600;

/// When a shell's background scheduler should run the next renewal, and from when it runs it on
/// any network. Times are device seconds; `run_at <= relax_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewalPlan {
    /// The earliest moment a renewal is wanted: [`crate::wallet::Wallet::next_renewal_at`], or
    /// the device's now when that has passed. Before `relax_at`, wait for good conditions.
    pub run_at: u64,
    /// The deadline: from then the renewal runs on any network, without waiting for good
    /// conditions. Equal to `run_at` when a pass is too close to expiry to wait.
    pub relax_at: u64,
}

impl RenewalPlan {
    /// The plan that needs both times first: the earliest run and the earliest deadline of the
    /// two (so several passes are planned for the one that is most pressing on each count).
    pub fn earliest(self, other: RenewalPlan) -> RenewalPlan {
        RenewalPlan {
            run_at: self.run_at.min(other.run_at),
            relax_at: self.relax_at.min(other.relax_at),
        }
    }

    /// The same plan no earlier than `now` (a time that has passed means "now").
    pub fn not_before(self, now: u64) -> RenewalPlan {
        RenewalPlan {
            run_at: self.run_at.max(now),
            relax_at: self.relax_at.max(now),
        }
    }
}

/// The deadline of one pass, in the issuer's time: [`MAX_WAIT_FOR_CONDITIONS_SECONDS`] after
/// `renew_after`, at the latest [`RELAX_BEFORE_EXPIRY_SECONDS`] before `expires_at`, moved out of
/// the busy hours `windows`, and never before `run_at` (when the pass would next be tried).
pub fn relax_at(renew_after: u64, run_at: u64, expires_at: u64, windows: &[PeakWindow]) -> u64 {
    let deadline = renew_after
        .saturating_add(MAX_WAIT_FOR_CONDITIONS_SECONDS)
        .min(expires_at.saturating_sub(RELAX_BEFORE_EXPIRY_SECONDS));
    let deadline =
        peak_hours::hold_renewal_until(windows, deadline, expires_at).unwrap_or(deadline);
    deadline.max(run_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIDNIGHT: u64 = 1_796_083_200; // 2026-12-01 00:00 UTC
    const HOUR: u64 = 3600;
    const DAY: u64 = 86_400;

    fn w(start_hour: u16, end_hour: u16) -> PeakWindow {
        PeakWindow {
            start_minute: start_hour * 60,
            end_minute: end_hour * 60,
        }
    }

    #[test]
    fn a_pass_far_from_expiry_waits_twelve_hours_after_renew_after() {
        let renew_after = MIDNIGHT + 3 * HOUR;
        let expires_at = renew_after + 3 * DAY;
        assert_eq!(
            relax_at(renew_after, renew_after, expires_at, &[]),
            renew_after + 12 * HOUR
        );
        // Retries after failures do not push the deadline on: it stays 12 h after renew-after...
        assert_eq!(
            relax_at(renew_after, renew_after + 2 * HOUR, expires_at, &[]),
            renew_after + 12 * HOUR
        );
        // ...and once it has passed, every retry runs on any network.
        assert_eq!(
            relax_at(renew_after, renew_after + 13 * HOUR, expires_at, &[]),
            renew_after + 13 * HOUR
        );
    }

    #[test]
    fn near_expiry_the_deadline_is_a_day_and_a_half_before_it_or_there_is_no_wait() {
        let renew_after = MIDNIGHT + 3 * HOUR;
        // Expires 40 h after renew-after: the deadline is 36 h before expiry, 4 h after renew-after.
        let expires_at = renew_after + 40 * HOUR;
        assert_eq!(
            relax_at(renew_after, renew_after, expires_at, &[]),
            renew_after + 4 * HOUR
        );
        // Exactly 36 h: no wait.
        let expires_at = renew_after + 36 * HOUR;
        assert_eq!(
            relax_at(renew_after, renew_after, expires_at, &[]),
            renew_after
        );
        // Closer, and already expired: no wait, and never before the run.
        for expires_at in [renew_after + HOUR, renew_after, MIDNIGHT] {
            assert_eq!(
                relax_at(renew_after, renew_after, expires_at, &[]),
                renew_after,
                "{expires_at}"
            );
        }
        // A pass whose whole life is shorter than the margin (a QA pass of minutes).
        assert_eq!(relax_at(100, 100, 200, &[]), 100);
    }

    #[test]
    fn a_deadline_in_the_busy_hours_moves_to_their_end_unless_the_pass_is_about_to_expire() {
        let lunch = [w(11, 14)];
        let renew_after = MIDNIGHT + HOUR; // 01:00 + 12 h = 13:00, in the window
        let far = renew_after + 10 * DAY;
        assert_eq!(
            relax_at(renew_after, renew_after, far, &lunch),
            MIDNIGHT + 14 * HOUR
        );
        // 36 h before expiry is 12:00, in the window; expiry is more than a day after its end, so
        // the deadline still moves, to 14:00.
        let expires_at = MIDNIGHT + 2 * DAY;
        assert_eq!(
            relax_at(renew_after, renew_after, expires_at, &lunch),
            MIDNIGHT + 14 * HOUR
        );
        // A window ending within a day of expiry holds nothing: the deadline stays where it fell
        // (10:00, 36 h before expiry; the window ends at 23:00, 23 h before it).
        let long_day = [w(0, 23)];
        let expires_at = MIDNIGHT + 46 * HOUR;
        assert_eq!(
            relax_at(
                MIDNIGHT + 6 * HOUR,
                MIDNIGHT + 6 * HOUR,
                expires_at,
                &long_day
            ),
            MIDNIGHT + 10 * HOUR
        );
    }

    #[test]
    fn several_passes_are_planned_for_the_earliest_run_and_the_earliest_deadline() {
        let a = RenewalPlan {
            run_at: 100,
            relax_at: 900,
        };
        let b = RenewalPlan {
            run_at: 300,
            relax_at: 400,
        };
        let both = a.earliest(b);
        assert_eq!(
            both,
            RenewalPlan {
                run_at: 100,
                relax_at: 400
            }
        );
        assert_eq!(both, b.earliest(a));
        assert_eq!(
            both.not_before(200),
            RenewalPlan {
                run_at: 200,
                relax_at: 400
            }
        );
        assert_eq!(
            both.not_before(1000),
            RenewalPlan {
                run_at: 1000,
                relax_at: 1000
            }
        );
    }
}
