//! Completion capacity reserved for every enrolment started. A start sends a person a code; the
//! completion that code leads to must then be served. So a start is admitted only while fewer than
//! a bound of started enrolments are still owed a completion, and every one is released when its
//! challenge ends (completed, locked, replaced) or expires. The bound is the service's completion
//! rate times how long a completion may have to wait; past it, new starts are refused (503) before a
//! code is sent.

use std::collections::HashMap;
use std::sync::Mutex;

/// Challenges owed a completion, with when each one's code expires.
pub(super) struct Reservations {
    limit: usize,
    held: Mutex<HashMap<[u8; 16], u64>>,
}

impl Reservations {
    pub(super) fn new(limit: usize) -> Self {
        Reservations {
            limit,
            held: Mutex::new(HashMap::new()),
        }
    }

    /// Reserves a completion for `challenge` (whose code expires at `expires_at`, Unix seconds), if
    /// fewer than the limit are owed at `now`; expired reservations are dropped first when full.
    pub(super) fn reserve(&self, challenge: [u8; 16], expires_at: u64, now: u64) -> bool {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if held.len() >= self.limit {
            held.retain(|_, expiry| *expiry > now);
        }
        if held.len() >= self.limit {
            return false;
        }
        held.insert(challenge, expires_at);
        true
    }

    /// Releases the reservation of `challenge`, if it has one.
    pub(super) fn release(&self, challenge: &[u8; 16]) {
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(challenge);
    }

    /// Completions owed now (expired ones included until they are dropped).
    pub(super) fn owed(&self) -> usize {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_beyond_the_owed_completions_are_refused_until_one_ends_or_expires() {
        let r = Reservations::new(2);
        assert!(r.reserve([1; 16], 100, 10) && r.reserve([2; 16], 200, 10));
        assert!(!r.reserve([3; 16], 300, 10), "two are owed");
        r.release(&[1; 16]);
        assert!(r.reserve([3; 16], 300, 10), "a completion ended");
        assert!(!r.reserve([4; 16], 400, 150));
        assert!(
            r.reserve([4; 16], 400, 250),
            "the first code expired at 200"
        );
        assert_eq!(r.owed(), 2);
    }
}
