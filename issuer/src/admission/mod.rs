//! Admission control by criticality. A bounded number of requests run at once; when all slots are
//! busy, requests wait in one of two short queues, and a freed slot goes to work that *finishes*
//! something (an enrolment completion, a renewal) before work that *starts* something (an enrolment
//! start, which sends a person a code). New work waits less and may queue less. A request that has
//! waited its class's deadline is refused (503 + `Retry-After`) before anything is done for it. A
//! start is admitted only while a completion can be reserved for it ([`Admission::reserve_completion`]),
//! and one client address may hold only a share of those reservations.
//! `Retry-After` is the time the service needs for what it refused over the last second (refused ÷
//! measured capacity), so refused clients come back spread over it. Nothing queues without bound.

mod gate;
mod load;
mod reservations;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::Rng;

use gate::{Gate, Refused, Slot};
use load::LoadWindow;
use reservations::{Reservations, Shortage};

/// Limits for admission control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionLimits {
    /// Requests handled at once.
    pub max_in_flight: usize,
    /// Finishing requests allowed to wait for a slot; new ones, half as many.
    pub max_queued: usize,
    /// Longest new work (an enrolment start) waits for a slot before it is refused.
    pub queue_timeout: Duration,
    /// Longest finishing work (a completion, a renewal) waits for a slot before it is refused.
    pub finishing_timeout: Duration,
    /// Least `Retry-After`, in seconds; the answer is drawn from `[floor, floor + needed]` where
    /// `needed` is the time needed for what was refused in the last second (at least the floor, at
    /// most [`AdmissionLimits::max_retry_after_secs`]).
    pub retry_after_secs: u64,
    /// Most `needed` for `Retry-After`, in seconds.
    pub max_retry_after_secs: u64,
    /// Started enrolments that may be owed a completion at once: about the completion rate times how
    /// long a completion may have to wait (3,000/s × 17 s for the default).
    pub max_owed_completions: usize,
    /// Of those, how many one client address (IPv6 by /64) may hold; `None`: no share.
    pub max_owed_per_client: Option<usize>,
}

impl Default for AdmissionLimits {
    fn default() -> Self {
        AdmissionLimits {
            max_in_flight: 64,
            max_queued: 256,
            queue_timeout: Duration::from_millis(250),
            finishing_timeout: Duration::from_secs(1),
            retry_after_secs: 2,
            max_retry_after_secs: 60,
            max_owed_completions: 50_000,
            max_owed_per_client: Some(DEFAULT_OWED_PER_CLIENT),
        }
    }
}

/// Default of [`AdmissionLimits::max_owed_per_client`]: enough for a large office or a carrier's NAT
/// enrolling at lunchtime (a completed enrolment frees its share at once), while 500 addresses
/// would be needed to hold the default 50,000.
pub const DEFAULT_OWED_PER_CLIENT: usize = 100;

/// Why no completion could be reserved for a start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReserved {
    /// The service owes as many completions as it can serve: 503 with this `Retry-After`.
    Overloaded(u64),
    /// The client address holds its whole share: 429 with this `Retry-After` (until its oldest
    /// reservation expires at the latest).
    ClientShareUsed(u64),
}

/// How much a request's work is worth finishing under overload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Starts new work (an enrolment start): shed first.
    New,
    /// Finishes work already begun (completion, renewal): served first.
    Finishing,
}

/// Why a request was shed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShedReason {
    /// Its queue was full.
    QueueFull,
    /// It waited its whole deadline for a slot.
    Deadline,
    /// A start, and no completion could be reserved for it.
    NoCompletionCapacity,
}

const REASONS: [ShedReason; 3] = [
    ShedReason::QueueFull,
    ShedReason::Deadline,
    ShedReason::NoCompletionCapacity,
];

impl ShedReason {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            ShedReason::QueueFull => "queue_full",
            ShedReason::Deadline => "deadline",
            ShedReason::NoCompletionCapacity => "no_completion_capacity",
        }
    }
}

impl Priority {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Priority::New => "new",
            Priority::Finishing => "finishing",
        }
    }

    fn index(self) -> usize {
        match self {
            Priority::New => 0,
            Priority::Finishing => 1,
        }
    }
}

/// The gate in front of the handlers.
pub struct Admission {
    limits: AdmissionLimits,
    gate: Arc<Gate>,
    load: Arc<LoadWindow>,
    reservations: Reservations,
    /// Shed requests by class ([`Priority::index`]) and reason (index in [`REASONS`]).
    shed: [[AtomicU64; 3]; 2],
}

/// Proof of admission; the slot goes to the next waiter when this is dropped.
pub struct Admitted {
    _slot: Slot,
    since: std::time::Instant,
    load: Arc<LoadWindow>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.load.held(self.since.elapsed());
    }
}

impl Admission {
    /// A gate with `limits`.
    pub fn new(limits: AdmissionLimits) -> Self {
        Admission {
            limits,
            gate: Gate::new(limits.max_in_flight.max(1)),
            load: Arc::new(LoadWindow::new(limits.max_in_flight)),
            reservations: Reservations::new(
                limits.max_owed_completions,
                limits.max_owed_per_client,
            ),
            shed: Default::default(),
        }
    }

    /// Admits a request, or returns the `Retry-After` seconds to answer with. The slot is held
    /// until the returned [`Admitted`] is dropped, i.e. for the whole request.
    pub async fn admit(&self, priority: Priority) -> Result<Admitted, u64> {
        let queue_limit = self.queue_limit(priority);
        let deadline = match priority {
            Priority::Finishing => self.limits.finishing_timeout,
            Priority::New => self.limits.queue_timeout,
        };
        match self.gate.acquire(priority, queue_limit, deadline).await {
            Ok(slot) => Ok(Admitted {
                _slot: slot,
                since: std::time::Instant::now(),
                load: self.load.clone(),
            }),
            Err(Refused::QueueFull) => Err(self.refuse(priority, ShedReason::QueueFull)),
            Err(Refused::Deadline) => Err(self.refuse(priority, ShedReason::Deadline)),
        }
    }

    /// Before anything else is spent on a request: the `Retry-After` to refuse it with when its
    /// class's queue is already full (a cheap check; the full admission still follows otherwise).
    pub fn shed_early(&self, priority: Priority) -> Option<u64> {
        self.gate
            .queue_is_full(priority, self.queue_limit(priority))
            .then(|| self.refuse(priority, ShedReason::QueueFull))
    }

    fn queue_limit(&self, priority: Priority) -> usize {
        match priority {
            Priority::Finishing => self.limits.max_queued,
            Priority::New => self.limits.max_queued / 2,
        }
    }

    /// Reserves the completion of the enrolment `challenge` starts (its code expiring at
    /// `expires_at`, Unix seconds) for `client` (a [`crate::rate_limit::client_key`]), or says how
    /// to refuse the start.
    pub fn reserve_completion(
        &self,
        challenge: [u8; 16],
        client: std::net::IpAddr,
        expires_at: u64,
        now: u64,
    ) -> Result<(), NotReserved> {
        match self
            .reservations
            .reserve(challenge, client, expires_at, now)
        {
            Ok(()) => Ok(()),
            Err(Shortage::Full) => Err(NotReserved::Overloaded(
                self.refuse(Priority::New, ShedReason::NoCompletionCapacity),
            )),
            Err(Shortage::ClientFull { until }) => Err(NotReserved::ClientShareUsed(
                until.saturating_sub(now).max(1),
            )),
        }
    }

    /// No completion is owed for the enrolment `challenge` (its subject is unknown, no code was
    /// sent): the service's capacity is free again at once, while the start keeps counting against
    /// its client's share until it ends or expires, as a registered subject's would.
    pub fn completion_not_owed(&self, challenge: &[u8; 16]) {
        self.reservations.not_owed(challenge);
    }

    /// The enrolment `challenge` is over (completed, locked, replaced, or its start failed): its
    /// reserved completion is free again.
    pub fn completion_ended(&self, challenge: &[u8; 16]) {
        self.reservations.release(challenge);
    }

    fn refuse(&self, priority: Priority, reason: ShedReason) -> u64 {
        let r = REASONS.iter().position(|x| *x == reason).unwrap_or(0);
        self.shed[priority.index()][r].fetch_add(1, Ordering::Relaxed);
        self.load.refused();
        self.retry_after()
    }

    /// A `Retry-After` value in seconds, drawn from `[floor, floor + needed]`: `needed` is the time
    /// the service needs for what it refused over the last second (refused ÷ measured capacity, at
    /// least the floor, at most the cap), so that the refused clients come back spread over that
    /// time, at about the rate the service can take them.
    pub fn retry_after(&self) -> u64 {
        let floor = self.limits.retry_after_secs.max(1);
        let needed = self
            .load
            .overload_seconds()
            .clamp(floor, self.limits.max_retry_after_secs.max(floor));
        rand::thread_rng().gen_range(floor..=floor + needed)
    }

    /// Requests refused so far, all classes and reasons.
    pub fn shed_count(&self) -> u64 {
        self.shed
            .iter()
            .flatten()
            .map(|n| n.load(Ordering::Relaxed))
            .sum()
    }

    /// Requests refused so far, by class and reason (metric labels).
    pub fn shed_counts(&self) -> Vec<(&'static str, &'static str, u64)> {
        [Priority::New, Priority::Finishing]
            .iter()
            .flat_map(|p| {
                REASONS.iter().enumerate().map(move |(i, reason)| {
                    (
                        p.label(),
                        reason.label(),
                        self.shed[p.index()][i].load(Ordering::Relaxed),
                    )
                })
            })
            .collect()
    }

    /// Requests running now.
    pub fn in_flight(&self) -> usize {
        self.limits.max_in_flight.max(1) - self.gate.free()
    }

    /// Started enrolments owed a completion now.
    pub fn owed_completions(&self) -> usize {
        self.reservations.owed()
    }

    /// Prometheus lines: shed requests by class and reason, completions owed, requests waiting.
    pub fn render_metrics(&self) -> String {
        use std::fmt::Write;
        let mut out = String::from(
            "# HELP doorpass_shed_by_class_total Requests refused by admission control, by class and reason.\n\
             # TYPE doorpass_shed_by_class_total counter\n",
        );
        for (class, reason, n) in self.shed_counts() {
            let _ = writeln!(
                out,
                "doorpass_shed_by_class_total{{class=\"{class}\",reason=\"{reason}\"}} {n}"
            );
        }
        let (finishing, new) = self.gate.waiting();
        let _ = write!(
            out,
            "# HELP doorpass_owed_completions Started enrolments whose completion is reserved.\n\
             # TYPE doorpass_owed_completions gauge\ndoorpass_owed_completions {}\n\
             # HELP doorpass_waiting Requests waiting for a slot, by class.\n\
             # TYPE doorpass_waiting gauge\ndoorpass_waiting{{class=\"finishing\"}} {finishing}\n\
             doorpass_waiting{{class=\"new\"}} {new}\n",
            self.owed_completions()
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn full_gate_refuses_at_once_with_retry_after() {
        let gate = Admission::new(AdmissionLimits {
            max_in_flight: 2,
            max_queued: 1,
            queue_timeout: Duration::from_millis(50),
            finishing_timeout: Duration::from_millis(50),
            retry_after_secs: 3,
            ..AdmissionLimits::default()
        });
        let a = gate.admit(Priority::Finishing).await.unwrap();
        let _b = gate.admit(Priority::Finishing).await.unwrap();
        assert_eq!(gate.in_flight(), 2);
        // The third waits in the queue and times out; meanwhile a fourth finds the room full.
        let started = std::time::Instant::now();
        let (third, fourth) = tokio::join!(gate.admit(Priority::Finishing), async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            gate.admit(Priority::Finishing).await
        });
        let retry = fourth.err().unwrap();
        assert!((3..=6).contains(&retry), "{retry}");
        assert!(third.is_err());
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(gate.shed_count(), 2);
        drop(a);
        assert!(
            gate.admit(Priority::Finishing).await.is_ok(),
            "a freed slot admits again"
        );
    }

    #[tokio::test]
    async fn new_work_cannot_take_the_room_finishing_work_needs() {
        let gate = Arc::new(Admission::new(AdmissionLimits {
            max_in_flight: 2,
            max_queued: 2,
            queue_timeout: Duration::from_millis(200),
            retry_after_secs: 1,
            ..AdmissionLimits::default()
        }));
        // Two new requests hold both slots; a third new one waits its 200 ms and is refused…
        let n1 = gate.admit(Priority::New).await.unwrap();
        let n2 = gate.admit(Priority::New).await.unwrap();
        assert!(gate.admit(Priority::New).await.is_err());
        // …while finishing work still queues for a slot and gets it when one frees.
        let g = gate.clone();
        let waiting = tokio::spawn(async move { g.admit(Priority::Finishing).await.is_ok() });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(n1);
        assert!(waiting.await.unwrap());
        drop(n2);
    }
}
