//! When to try the issuer again: exponential backoff with full jitter, never sooner than the issuer's
//! `Retry-After`.

use std::time::Duration;

use rand::Rng;

/// Backoff settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Upper bound of the first random wait.
    pub base: Duration,
    /// Largest upper bound, however many failures.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(30),
            cap: Duration::from_secs(6 * 3600),
        }
    }
}

impl RetryPolicy {
    /// The wait after `failures` consecutive failures (1 for the first): uniform in
    /// `[0, min(cap, base × 2^(failures−1))]`, and at least `retry_after` when the issuer gave one.
    pub fn delay(
        &self,
        failures: u32,
        retry_after: Option<Duration>,
        rng: &mut impl Rng,
    ) -> Duration {
        let exp = failures.saturating_sub(1).min(30);
        let ceiling = self.base.saturating_mul(1u32 << exp).min(self.cap);
        let jittered = Duration::from_millis(rng.gen_range(0..=ceiling.as_millis() as u64));
        jittered.max(retry_after.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_jitter_grows_caps_and_honours_retry_after() {
        let policy = RetryPolicy {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(8),
        };
        let mut rng = rand::thread_rng();
        for failures in 1..10 {
            let d = policy.delay(failures, None, &mut rng);
            assert!(
                d <= Duration::from_secs(1 << (failures - 1).min(3)),
                "{failures}: {d:?}"
            );
        }
        for _ in 0..100 {
            assert!(
                policy.delay(1, Some(Duration::from_secs(5)), &mut rng) >= Duration::from_secs(5)
            );
        }
        // Jitter spreads waits: many draws are not all equal.
        let draws: std::collections::BTreeSet<_> =
            (0..50).map(|_| policy.delay(4, None, &mut rng)).collect();
        assert!(draws.len() > 10);
    }
}
