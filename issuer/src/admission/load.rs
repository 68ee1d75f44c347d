//! How overloaded the service is right now, for `Retry-After`: the requests refused and admitted
//! over the last second. Coming back after `refused ÷ admitted` seconds spreads the refused clients
//! over the time the service needs to serve them, instead of bringing the surge back at once.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts in one-second windows; the previous full window is what [`LoadWindow::overload`] reads.
pub(super) struct LoadWindow {
    state: Mutex<Windows>,
}

struct Windows {
    started: Instant,
    current: (u64, u64),
    previous: (u64, u64),
}

const WINDOW: Duration = Duration::from_secs(1);

impl LoadWindow {
    pub(super) fn new() -> Self {
        LoadWindow {
            state: Mutex::new(Windows {
                started: Instant::now(),
                current: (0, 0),
                previous: (0, 0),
            }),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Windows) -> T) -> T {
        let mut w = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let elapsed = w.started.elapsed();
        if elapsed >= WINDOW {
            // A whole window passed with nothing counted reads as a quiet one.
            w.previous = if elapsed >= 2 * WINDOW {
                (0, 0)
            } else {
                w.current
            };
            w.current = (0, 0);
            w.started = Instant::now();
        }
        f(&mut w)
    }

    /// Counts an admitted request.
    pub(super) fn admitted(&self) {
        self.with(|w| w.current.0 += 1);
    }

    /// Counts a refused request.
    pub(super) fn refused(&self) {
        self.with(|w| w.current.1 += 1);
    }

    /// Seconds the requests refused in the last second would need, at the rate requests were
    /// admitted then: `refused ÷ admitted`, rounded up (of the last full window or the current one,
    /// whichever is worse, so that the first second of a surge already counts).
    pub(super) fn overload_seconds(&self) -> u64 {
        self.with(|w| {
            let ratio = |(admitted, refused): (u64, u64)| refused.div_ceil(admitted.max(1));
            ratio(w.previous).max(ratio(w.current))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_times_more_refused_than_admitted_reads_five_seconds() {
        let load = LoadWindow::new();
        for _ in 0..100 {
            load.admitted();
        }
        for _ in 0..500 {
            load.refused();
        }
        assert_eq!(load.overload_seconds(), 5);
    }
}
