//! Door devices: each keeps the issuer's status list fresh, fetching it again whenever the copy it
//! holds is older than the list's time to live (as the core's `Door::refresh_status_lists` does),
//! and its trust list once a day. These fetches do reach the issuer (unless an edge cache in front
//! answers them; the replay has none, so it counts them all).

use rand::Rng;

/// Seconds a door keeps a status list before fetching it again: the issuer's status-list time to
/// live (`issuer serve --status-list-ttl`, 5 minutes by default).
pub(super) const STATUS_REFRESH_SECS: u64 =
    doorpass_issuer::status_lists::STATUS_LIST_TTL.as_secs();

/// One door device's schedule, in seconds after the start of the day.
pub(super) struct Door {
    /// Its first status-list fetch (then every [`STATUS_REFRESH_SECS`]).
    first_status: u64,
    /// Its daily trust-list fetch.
    trust_at: u64,
}

/// What a door fetches in a step.
#[derive(Default, Debug, PartialEq, Eq)]
pub(super) struct Fetches {
    /// Status-list fetches.
    pub(super) status: u64,
    /// Trust-list fetches.
    pub(super) trust: u64,
}

impl Door {
    /// A door whose refreshes fall at random times, so that doors do not fetch in step.
    pub(super) fn new(rng: &mut impl Rng) -> Door {
        Door {
            first_status: rng.gen_range(0..STATUS_REFRESH_SECS),
            trust_at: rng.gen_range(0..86_400),
        }
    }

    /// Its fetches due in `[from, to)` (seconds after the start of the day).
    pub(super) fn due(&self, from: u64, to: u64) -> Fetches {
        let before = |t: u64| {
            if t <= self.first_status {
                0
            } else {
                (t - self.first_status).div_ceil(STATUS_REFRESH_SECS)
            }
        };
        Fetches {
            status: before(to) - before(from),
            trust: u64::from((from..to).contains(&self.trust_at)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_door_fetches_its_status_list_every_ttl_and_its_trust_list_once_a_day() {
        let door = Door {
            first_status: 10,
            trust_at: 500,
        };
        let (mut status, mut trust) = (0, 0);
        for minute in 0..1440 {
            let f = door.due(minute * 60, minute * 60 + 60);
            status += f.status;
            trust += f.trust;
        }
        assert_eq!(status, 86_400 / STATUS_REFRESH_SECS);
        assert_eq!(trust, 1);
        assert_eq!(
            door.due(0, 11),
            Fetches {
                status: 1,
                trust: 0
            }
        );
        assert_eq!(door.due(11, 10 + STATUS_REFRESH_SECS), Fetches::default());
    }
}
