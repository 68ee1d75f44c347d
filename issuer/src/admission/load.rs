//! How long the service needs for the requests it just refused, for `Retry-After`: the requests
//! refused over the last second divided by the service's capacity — the requests it finished in the
//! last full second, or its slots divided by how long a request holds one (a moving average),
//! whichever is more. Coming back after that long spreads the refused
//! clients over the time the service needs to serve them, instead of bringing the surge back at
//! once. Lock-free: it is touched by every request, refused ones included.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Refusals in one-second windows, and the average time a slot is held.
pub(super) struct LoadWindow {
    origin: Instant,
    slots: u64,
    /// Which second (since `origin`) `refused` counts.
    second: AtomicU64,
    refused: AtomicU64,
    previous_refused: AtomicU64,
    finished: AtomicU64,
    previous_finished: AtomicU64,
    /// Moving average of the time a request holds its slot, in microseconds.
    hold_micros: AtomicU64,
}

/// Until a request has finished, a slot is presumed held this long.
const FIRST_HOLD_MICROS: u64 = 10_000;

impl LoadWindow {
    pub(super) fn new(slots: usize) -> Self {
        LoadWindow {
            origin: Instant::now(),
            slots: slots.max(1) as u64,
            second: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            previous_refused: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            previous_finished: AtomicU64::new(0),
            hold_micros: AtomicU64::new(FIRST_HOLD_MICROS),
        }
    }

    /// Starts a new window when the second has changed (one caller does it; a count racing with the
    /// switch may land in either window, which is fine for an estimate).
    fn roll(&self) {
        let now = self.origin.elapsed().as_secs();
        let current = self.second.load(Ordering::Relaxed);
        if now != current
            && self
                .second
                .compare_exchange(current, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            // A window with a gap after it reads as a quiet one.
            let contiguous = now == current + 1;
            let refused = self.refused.swap(0, Ordering::Relaxed);
            let finished = self.finished.swap(0, Ordering::Relaxed);
            self.previous_refused
                .store(if contiguous { refused } else { 0 }, Ordering::Relaxed);
            self.previous_finished
                .store(if contiguous { finished } else { 0 }, Ordering::Relaxed);
        }
    }

    /// Counts a refused request.
    pub(super) fn refused(&self) {
        self.roll();
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// Notes how long a finished request held its slot (an average over the last few dozen).
    pub(super) fn held(&self, hold: Duration) {
        self.roll();
        self.finished.fetch_add(1, Ordering::Relaxed);
        let sample = u64::try_from(hold.as_micros()).unwrap_or(u64::MAX).max(1);
        let average = self.hold_micros.load(Ordering::Relaxed);
        let next = average - average / 16 + sample / 16;
        self.hold_micros.store(next.max(1), Ordering::Relaxed);
    }

    /// Requests the service finishes per second: the most of what it finished in the last full
    /// second, what it is finishing in the current one (once a tenth of it has passed), and slots ÷
    /// average hold time.
    pub(super) fn capacity_per_second(&self) -> u64 {
        let by_hold = self.slots * 1_000_000 / self.hold_micros.load(Ordering::Relaxed).max(1);
        let into_window = self.origin.elapsed().as_micros() % 1_000_000;
        let current = if into_window >= 100_000 {
            self.finished.load(Ordering::Relaxed) * 1_000_000 / into_window as u64
        } else {
            0
        };
        by_hold
            .max(self.previous_finished.load(Ordering::Relaxed))
            .max(current)
            .max(1)
    }

    /// Seconds the service needs for what it refused over the last second (the last full window or
    /// the current one, whichever holds more), rounded up.
    pub(super) fn overload_seconds(&self) -> u64 {
        self.roll();
        let refused = self
            .previous_refused
            .load(Ordering::Relaxed)
            .max(self.refused.load(Ordering::Relaxed));
        refused.div_ceil(self.capacity_per_second())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refused_need_their_number_over_the_capacity() {
        // 4 slots held 20 ms each: 200 requests a second.
        let load = LoadWindow::new(4);
        for _ in 0..200 {
            load.held(Duration::from_millis(20));
        }
        assert!(
            (190..=210).contains(&load.capacity_per_second()),
            "{}",
            load.capacity_per_second()
        );
        for _ in 0..1_000 {
            load.refused();
        }
        assert!(
            (5..=6).contains(&load.overload_seconds()),
            "{}",
            load.overload_seconds()
        );
    }
}
