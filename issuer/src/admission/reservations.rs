//! Completion capacity reserved for every enrolment started. A start sends a person a code; the
//! completion that code leads to must then be served. So a start is admitted only while fewer than
//! a bound of started enrolments are still owed a completion, and every one is released when its
//! challenge ends (completed, locked, replaced, or its subject is unknown and no code was sent) or
//! expires. The bound is the service's completion rate times how long a completion may have to wait;
//! past it, new starts are refused (503) before a code is sent. One client address (IPv6 by /64) may
//! hold only a share of the bound, so that a few addresses cannot take it all. Every start counts
//! against its client's share until its challenge ends or expires, code sent or not, so the share
//! cannot tell a registered subject from an unknown one.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Why a completion could not be reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shortage {
    /// Every completion the service can owe is reserved.
    Full,
    /// This client address holds its whole share; its oldest reservation ends at this time (Unix
    /// seconds) at the latest.
    ClientFull {
        /// When the client's oldest reservation expires.
        until: u64,
    },
}

/// One start's reservation.
struct Reservation {
    /// When its code expires, Unix seconds.
    expires_at: u64,
    /// The client that started it.
    client: IpAddr,
    /// Whether a completion is owed (it counts against the service's bound); a start that sent no
    /// code still counts against its client's share.
    owed: bool,
}

#[derive(Default)]
struct Held {
    /// Each start holding a reservation.
    by_challenge: HashMap<[u8; 16], Reservation>,
    /// Each client's reserved challenges with their expiry (no empty list is kept).
    by_client: HashMap<IpAddr, Vec<([u8; 16], u64)>>,
    /// How many of `by_challenge` are owed a completion.
    owed: usize,
}

impl Held {
    fn remove(&mut self, challenge: &[u8; 16]) {
        let Some(r) = self.by_challenge.remove(challenge) else {
            return;
        };
        if r.owed {
            self.owed -= 1;
        }
        if let Some(list) = self.by_client.get_mut(&r.client) {
            list.retain(|(id, _)| id != challenge);
            if list.is_empty() {
                self.by_client.remove(&r.client);
            }
        }
    }

    /// Drops every reservation whose code expired at `now`.
    fn drop_expired(&mut self, now: u64) {
        self.by_challenge.retain(|_, r| r.expires_at > now);
        self.owed = self.by_challenge.values().filter(|r| r.owed).count();
        self.by_client.retain(|_, list| {
            list.retain(|(_, expiry)| *expiry > now);
            !list.is_empty()
        });
    }

    /// Drops the expired reservations of `client` only.
    fn drop_expired_of(&mut self, client: &IpAddr, now: u64) {
        let Some(list) = self.by_client.get(client) else {
            return;
        };
        let expired: Vec<[u8; 16]> = list
            .iter()
            .filter(|(_, expiry)| *expiry <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            self.remove(&id);
        }
    }

    /// Forgets every start owed nothing.
    fn forget_not_owed(&mut self) {
        let forgotten: Vec<[u8; 16]> = self
            .by_challenge
            .iter()
            .filter(|(_, r)| !r.owed)
            .map(|(id, _)| *id)
            .collect();
        for id in forgotten {
            self.remove(&id);
        }
    }

    fn held_by(&self, client: &IpAddr) -> usize {
        self.by_client.get(client).map_or(0, Vec::len)
    }
}

/// Challenges owed a completion, with when each one's code expires and who started it.
pub(super) struct Reservations {
    limit: usize,
    per_client: Option<usize>,
    held: Mutex<Held>,
}

impl Reservations {
    /// At most `limit` owed at once, and at most `per_client` (if set) by one client address.
    pub(super) fn new(limit: usize, per_client: Option<usize>) -> Self {
        Reservations {
            limit,
            per_client: per_client.map(|n| n.max(1)),
            held: Mutex::new(Held::default()),
        }
    }

    /// Reserves a completion for `challenge`, started by `client` (a
    /// [`crate::rate_limit::client_key`]), whose code expires at `expires_at` (Unix seconds), if
    /// fewer than the limits are owed at `now`; expired reservations are dropped first when full.
    pub(super) fn reserve(
        &self,
        challenge: [u8; 16],
        client: IpAddr,
        expires_at: u64,
        now: u64,
    ) -> Result<(), Shortage> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(share) = self.per_client {
            if held.held_by(&client) >= share {
                held.drop_expired_of(&client, now);
            }
            if held.held_by(&client) >= share {
                let until = held
                    .by_client
                    .get(&client)
                    .and_then(|list| list.iter().map(|(_, expiry)| *expiry).min());
                return Err(Shortage::ClientFull {
                    until: until.unwrap_or(now),
                });
            }
        }
        if held.owed >= self.limit || held.by_challenge.len() >= self.limit.saturating_mul(2) {
            held.drop_expired(now);
        }
        if held.by_challenge.len() >= self.limit.saturating_mul(2) {
            // Memory stays bounded: starts owed nothing are forgotten first (their clients' shares
            // only grow back sooner).
            held.forget_not_owed();
        }
        if held.owed >= self.limit {
            return Err(Shortage::Full);
        }
        held.remove(&challenge);
        held.by_challenge.insert(
            challenge,
            Reservation {
                expires_at,
                client,
                owed: true,
            },
        );
        held.owed += 1;
        held.by_client
            .entry(client)
            .or_default()
            .push((challenge, expires_at));
        Ok(())
    }

    /// Releases the reservation of `challenge`, if it has one.
    pub(super) fn release(&self, challenge: &[u8; 16]) {
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(challenge);
    }

    /// No completion is owed for `challenge` (no code was sent): the service's capacity is free
    /// again, while the start still counts against its client's share until it ends or expires.
    pub(super) fn not_owed(&self, challenge: &[u8; 16]) {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = held.by_challenge.get_mut(challenge)
            && r.owed
        {
            r.owed = false;
            held.owed -= 1;
        }
    }

    /// Completions owed now (expired ones included until they are dropped).
    pub(super) fn owed(&self) -> usize {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).owed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn starts_beyond_the_owed_completions_are_refused_until_one_ends_or_expires() {
        let r = Reservations::new(2, None);
        assert!(r.reserve([1; 16], A, 100, 10).is_ok() && r.reserve([2; 16], B, 200, 10).is_ok());
        assert_eq!(r.reserve([3; 16], A, 300, 10), Err(Shortage::Full));
        r.release(&[1; 16]);
        assert!(r.reserve([3; 16], A, 300, 10).is_ok(), "a completion ended");
        assert_eq!(r.reserve([4; 16], B, 400, 150), Err(Shortage::Full));
        assert!(
            r.reserve([4; 16], B, 400, 250).is_ok(),
            "the first code expired at 200"
        );
        assert_eq!(r.owed(), 2);
    }

    #[test]
    fn one_client_holds_at_most_its_share_and_gets_it_back_as_its_reservations_end() {
        let r = Reservations::new(10, Some(2));
        assert!(r.reserve([1; 16], A, 100, 10).is_ok());
        assert!(r.reserve([2; 16], A, 200, 10).is_ok());
        assert_eq!(
            r.reserve([3; 16], A, 300, 10),
            Err(Shortage::ClientFull { until: 100 })
        );
        assert!(r.reserve([3; 16], B, 300, 10).is_ok(), "another client");
        r.release(&[2; 16]);
        assert!(r.reserve([4; 16], A, 400, 10).is_ok(), "one ended");
        assert!(r.reserve([5; 16], A, 500, 50).is_err());
        assert!(
            r.reserve([5; 16], A, 500, 150).is_ok(),
            "one expired at 100"
        );
        assert_eq!(r.owed(), 3);
        // A start owed nothing frees the service's capacity, not its client's share.
        r.not_owed(&[4; 16]);
        assert_eq!(r.owed(), 2);
        assert!(
            r.reserve([6; 16], A, 600, 150).is_err(),
            "A's share is used"
        );
        assert!(r.reserve([6; 16], B, 600, 150).is_ok());
        r.release(&[6; 16]);
        for id in [[3; 16], [4; 16], [5; 16]] {
            r.release(&id);
        }
        assert_eq!(r.owed(), 0);
        let held = r.held.lock().unwrap();
        assert!(held.by_client.is_empty(), "no empty list is kept");
    }

    #[test]
    fn starts_owed_nothing_are_forgotten_first_when_memory_is_full() {
        let r = Reservations::new(2, Some(10));
        assert!(r.reserve([1; 16], A, 100, 10).is_ok());
        for i in 2..=4u8 {
            assert!(r.reserve([i; 16], B, 100, 10).is_ok());
            r.not_owed(&[i; 16]);
        }
        // Four held (twice the bound): the three owed nothing are forgotten, the owed one stays.
        assert!(r.reserve([5; 16], B, 100, 10).is_ok());
        let held = r.held.lock().unwrap();
        assert_eq!(held.by_challenge.len(), 2);
        assert_eq!(held.owed, 2);
        assert_eq!(held.by_client.get(&B).map(Vec::len), Some(1));
    }
}
