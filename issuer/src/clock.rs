//! The issuer's clock: the system clock, or — for in-process replays only — a simulated clock that
//! the code which started the issuer moves by hand.
//!
//! A simulated clock can only be made in-process (it is an [`IssuerConfig`](crate::IssuerConfig)
//! field, never read from a flag, a file or a request), so a deployed issuer always runs on the
//! system clock and nobody can move its time over the network.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where the issuer reads the time (Unix seconds) for its decisions: code and challenge expiry,
/// issuance and expiry times, refresh-token expiry, status-list signing and sweeps.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The system clock (the default, and the only one a deployed issuer has).
    #[default]
    System,
    /// A clock moved by the in-process code that holds the same [`SimulatedClock`].
    Simulated(SimulatedClock),
}

impl Clock {
    /// The time now, in Unix seconds.
    pub fn now(&self) -> u64 {
        match self {
            Clock::System => doorpass_format::dates::unix_now(),
            Clock::Simulated(sim) => sim.now(),
        }
    }

    /// Whether this is a simulated clock (the service then also dates its answers by it).
    pub fn is_simulated(&self) -> bool {
        matches!(self, Clock::Simulated(_))
    }
}

/// A shared, hand-moved clock: every clone reads and moves the same time.
#[derive(Debug, Clone)]
pub struct SimulatedClock(Arc<AtomicU64>);

impl SimulatedClock {
    /// A clock reading `start` (Unix seconds).
    pub fn new(start: u64) -> Self {
        SimulatedClock(Arc::new(AtomicU64::new(start)))
    }

    /// The time it reads.
    pub fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    /// Sets it to `t` (forward or back).
    pub fn set(&self, t: u64) {
        self.0.store(t, Ordering::SeqCst);
    }

    /// Moves it forward by `seconds`.
    pub fn advance(&self, seconds: u64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_simulated_clock_is_shared_by_its_clones_and_moves_only_when_told() {
        let sim = SimulatedClock::new(1_000);
        let clock = Clock::Simulated(sim.clone());
        assert_eq!(clock.now(), 1_000);
        sim.advance(60);
        assert_eq!(clock.now(), 1_060);
        sim.set(500);
        assert_eq!(clock.now(), 500);
        assert!(clock.is_simulated());
    }

    #[test]
    fn the_default_is_the_system_clock() {
        let clock = Clock::default();
        assert!(!clock.is_simulated());
        let system = doorpass_format::dates::unix_now();
        assert!(clock.now().abs_diff(system) <= 1);
    }
}
