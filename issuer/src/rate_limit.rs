//! Token-bucket rate limits keyed by client address or subject, in bounded memory.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Most keys a limiter remembers. When it is full, buckets that have refilled are forgotten first;
/// if that is not enough (keys rotated faster than buckets refill), the tenth of the keys seen
/// longest ago is forgotten, so memory stays bounded whatever the callers send.
const MAX_KEYS: usize = 100_000;

/// The key a client address is limited under: an IPv4 address as it is (IPv4-mapped IPv6 included),
/// an IPv6 address by its /64 network, the block a single customer usually holds, so that rotating
/// addresses inside it does not multiply the budget.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(network.into())
            }
        },
    }
}

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
    max_keys: usize,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// A limiter at `rate`; `None` lets everything through. A burst below one is raised to one (a
    /// bucket that cannot hold one token would refuse every request forever).
    pub fn new(rate: Option<Rate>) -> Self {
        Self::with_max_keys(rate, MAX_KEYS)
    }

    /// A limiter at `rate` remembering at most `max_keys` keys (at least 10).
    pub fn with_max_keys(rate: Option<Rate>, max_keys: usize) -> Self {
        RateLimiter {
            rate: rate.map(|r| Rate {
                burst: r.burst.max(1.0),
                ..r
            }),
            max_keys: max_keys.max(10),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// How many keys are remembered now.
    pub fn len(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes one token for `key`, or says how many seconds until one is available.
    pub fn check(&self, key: &K) -> Result<(), u64> {
        let Some(rate) = self.rate else { return Ok(()) };
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= self.max_keys && !buckets.contains_key(key) {
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.at).as_secs_f64() * rate.per_second < rate.burst
            });
            if buckets.len() >= self.max_keys {
                let mut seen: Vec<Instant> = buckets.values().map(|b| b.at).collect();
                let cut = seen.len() / 10;
                let (_, oldest_kept, _) = seen.select_nth_unstable(cut);
                let oldest_kept = *oldest_kept;
                buckets.retain(|_, b| b.at >= oldest_kept);
                // Equal times can keep more than planned; never more than the bound.
                if buckets.len() >= self.max_keys {
                    let drop: Vec<K> = buckets.keys().take(cut.max(1)).cloned().collect();
                    for k in drop {
                        buckets.remove(&k);
                    }
                }
            }
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

    #[test]
    fn memory_stays_bounded_when_keys_rotate_faster_than_buckets_refill() {
        // One request per key, refilled after an hour: no bucket is ever full again.
        let rate = Some(Rate {
            per_second: 1.0 / 3600.0,
            burst: 2.0,
        });
        let limiter = RateLimiter::with_max_keys(rate, 1_000);
        for i in 0..10_000u32 {
            assert!(limiter.check(&i).is_ok());
            assert!(limiter.len() <= 1_000, "{} keys after {i}", limiter.len());
        }
        // The newest keys are still limited: their budget was not reset.
        assert!(limiter.check(&9_999).is_ok());
        assert!(limiter.check(&9_999).is_err());
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64_block() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(other));
        assert_eq!(client_key(a), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(client_key(v4), v4);

        let limiter = RateLimiter::new(Some(Rate {
            per_second: 0.01,
            burst: 2.0,
        }));
        assert!(limiter.check(&client_key(a)).is_ok());
        assert!(limiter.check(&client_key(b)).is_ok());
        assert!(
            limiter
                .check(&client_key("2001:db8:1:2::77".parse().unwrap()))
                .is_err(),
            "a third address in the same /64 shares the budget"
        );
        assert!(limiter.check(&client_key(other)).is_ok());
    }
}
