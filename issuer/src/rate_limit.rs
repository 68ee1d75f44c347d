//! Token-bucket rate limits keyed by client address or subject.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Instant;

/// Entries kept before idle, full buckets are forgotten.
const MAX_KEYS: usize = 100_000;

/// A rate: `burst` requests at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Sustained requests per second.
    pub per_second: f64,
    /// Requests allowed at once.
    pub burst: f64,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// A set of token buckets, one per key.
pub struct RateLimiter<K> {
    rate: Option<Rate>,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// A limiter at `rate`; `None` lets everything through. A burst below one is raised to one (a
    /// bucket that cannot hold one token would refuse every request forever).
    pub fn new(rate: Option<Rate>) -> Self {
        RateLimiter {
            rate: rate.map(|r| Rate {
                burst: r.burst.max(1.0),
                ..r
            }),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`, or says how many seconds until one is available.
    pub fn check(&self, key: &K) -> Result<(), u64> {
        let Some(rate) = self.rate else { return Ok(()) };
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_KEYS {
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.at).as_secs_f64() * rate.per_second < rate.burst
            });
        }
        let bucket = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: rate.burst,
            at: now,
        });
        bucket.tokens = (bucket.tokens
            + now.duration_since(bucket.at).as_secs_f64() * rate.per_second)
            .min(rate.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / rate.per_second).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refusal_with_wait() {
        let limiter = RateLimiter::new(Some(Rate {
            per_second: 0.5,
            burst: 3.0,
        }));
        for _ in 0..3 {
            assert!(limiter.check(&"a").is_ok());
        }
        assert_eq!(limiter.check(&"a"), Err(2));
        assert!(limiter.check(&"b").is_ok(), "keys are independent");
        let slow = RateLimiter::new(Some(Rate {
            per_second: 0.1,
            burst: 0.3,
        }));
        assert!(
            slow.check(&"a").is_ok(),
            "a burst under one still admits one"
        );
        assert_eq!(slow.check(&"a"), Err(10));
        let open = RateLimiter::new(None);
        assert!((0..1000).all(|_| open.check(&"a").is_ok()));
    }
}
