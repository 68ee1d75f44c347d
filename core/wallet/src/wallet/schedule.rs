//! The background renewal's schedule: when the wallet next wants to renew, and until when that
//! renewal may wait for good conditions (unmetered network, charging, external power) before it
//! must run on any network ([`crate::renewal_plan`]).

use super::*;
use crate::peak_hours;
use crate::renewal_plan::{self, RenewalPlan};

impl Wallet {
    /// The plan for the shell's background scheduler at `device_now`: run the next renewal from
    /// `run_at` on good conditions, and from `relax_at` on any network. `None` when nothing is
    /// scheduled (no passes, or all need re-authentication). Times that have passed are given as
    /// `device_now`. Reads only what is in memory.
    pub fn renewal_plan(&self, device_now: u64) -> Option<RenewalPlan> {
        self.plan().map(|plan| plan.not_before(device_now))
    }

    /// The plan over every pass that can be renewed, in device time, as computed (times may have
    /// passed).
    pub(super) fn plan(&self) -> Option<RenewalPlan> {
        let inner = self.lock();
        let offset = inner.state.clock.offset_seconds.unwrap_or(0);
        inner
            .slots
            .values()
            .filter(|s| !s.meta.reauth_required)
            .map(|s| {
                let Some(claims) = s.pass.as_ref().map(|p| p.claims()) else {
                    // A damaged pass file: renew as soon as backoff allows, on any network.
                    let at = s.meta.next_attempt_at;
                    return RenewalPlan {
                        run_at: at,
                        relax_at: at,
                    };
                };
                // In the issuer's time: due, then past the busy hours it falls in.
                let due = claims
                    .renew_after
                    .max(s.meta.next_attempt_at.saturating_add_signed(offset));
                let run_at =
                    peak_hours::hold_renewal_until(&s.meta.peak_hours, due, claims.expires_at)
                        .unwrap_or(due);
                let relax_at = renewal_plan::relax_at(
                    claims.renew_after,
                    run_at,
                    claims.expires_at,
                    &s.meta.peak_hours,
                );
                RenewalPlan {
                    run_at: run_at.saturating_add_signed(-offset),
                    relax_at: relax_at.saturating_add_signed(-offset),
                }
            })
            .reduce(RenewalPlan::earliest)
    }
}
