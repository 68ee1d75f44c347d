//! One check as the log keeps it: when, its signal, the refusal reason, and the lists' ages.
//! Nothing from the code (no name, birth date or pass id) ever gets in.

use doorpass_format::verifier::{Verdict, Verifier};

use super::bucket::refusal_index;
use crate::door_display::DoorSignal;

/// A check to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    /// When it was made, Unix seconds by the door's clock.
    pub at: u64,
    /// What the door signalled.
    pub signal: DoorSignal,
    /// The refusal reason's column ([`super::REFUSAL_CODES`]), for a refusal.
    pub refusal: Option<usize>,
    /// Age of the trust list in use, seconds.
    pub trust_list_age_seconds: u64,
    /// Age of the oldest status list held, seconds; `None` if none is held.
    pub status_list_age_seconds: Option<u64>,
}

impl Check {
    /// The check that gave `verdict` from `verifier` at `now`.
    pub fn of(verdict: &Verdict, verifier: &Verifier, now: u64) -> Self {
        let lists = verifier.status_lists();
        Check {
            at: now,
            signal: DoorSignal::of(verdict),
            refusal: match verdict {
                Verdict::Refused(r) => Some(refusal_index(r)),
                Verdict::Valid(_) => None,
            },
            trust_list_age_seconds: verifier.trust_list().age_seconds(now),
            status_list_age_seconds: lists
                .ids()
                .filter_map(|id| lists.get(id))
                .map(|token| now.saturating_sub(token.issued_at))
                .max(),
        }
    }
}
