//! Admission control: a bounded number of requests run at once, a short queue waits briefly, and
//! everything beyond is refused at once with 503 and `Retry-After` — the service never queues without
//! bound, hangs or runs out of memory under a surge.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::Rng;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Limits for admission control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionLimits {
    /// Requests handled at once.
    pub max_in_flight: usize,
    /// Requests allowed to wait for a slot.
    pub max_queued: usize,
    /// Longest a queued request waits before it is refused.
    pub queue_timeout: Duration,
    /// Base of the `Retry-After` answer, in seconds; the answer is drawn from `[base, 2 × base]` so
    /// that refused clients come back spread out.
    pub retry_after_secs: u64,
}

impl Default for AdmissionLimits {
    fn default() -> Self {
        AdmissionLimits {
            max_in_flight: 64,
            max_queued: 256,
            queue_timeout: Duration::from_millis(250),
            retry_after_secs: 2,
        }
    }
}

/// How much a request's work is worth finishing under overload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Starts new work (an enrolment start): shed first.
    New,
    /// Finishes work already begun (completion, renewal): shed last.
    Finishing,
}

/// The gate in front of the handlers.
pub struct Admission {
    limits: AdmissionLimits,
    waiting_room: Arc<Semaphore>,
    /// New work may hold at most half of the waiting room, so that finishing work always finds room
    /// and a surge of new arrivals cannot starve the enrolments already under way.
    new_work: Arc<Semaphore>,
    workers: Arc<Semaphore>,
    shed: AtomicU64,
}

/// Proof of admission; the slot is freed when it is dropped.
pub struct Admitted {
    _worker: OwnedSemaphorePermit,
    _room: OwnedSemaphorePermit,
    _new_work: Option<OwnedSemaphorePermit>,
}

impl Admission {
    /// A gate with `limits`.
    pub fn new(limits: AdmissionLimits) -> Self {
        Admission {
            limits,
            waiting_room: Arc::new(Semaphore::new(limits.max_in_flight + limits.max_queued)),
            new_work: Arc::new(Semaphore::new(
                (limits.max_in_flight + limits.max_queued).div_ceil(2),
            )),
            workers: Arc::new(Semaphore::new(limits.max_in_flight)),
            shed: AtomicU64::new(0),
        }
    }

    /// Admits a request, or returns the `Retry-After` seconds to answer with. The tickets taken are
    /// held until the returned [`Admitted`] is dropped, i.e. for the whole request.
    pub async fn admit(&self, priority: Priority) -> Result<Admitted, u64> {
        let new_work = match priority {
            Priority::New => match self.new_work.clone().try_acquire_owned() {
                Ok(ticket) => Some(ticket),
                Err(_) => return Err(self.refuse()),
            },
            Priority::Finishing => None,
        };
        let Ok(room) = self.waiting_room.clone().try_acquire_owned() else {
            return Err(self.refuse());
        };
        let worker = tokio::time::timeout(
            self.limits.queue_timeout,
            self.workers.clone().acquire_owned(),
        )
        .await;
        match worker {
            Ok(Ok(worker)) => Ok(Admitted {
                _worker: worker,
                _room: room,
                _new_work: new_work,
            }),
            _ => Err(self.refuse()),
        }
    }

    fn refuse(&self) -> u64 {
        self.shed.fetch_add(1, Ordering::Relaxed);
        self.retry_after()
    }

    /// A `Retry-After` value in seconds, drawn from `[base, 2 × base]` so that refused clients come
    /// back spread out.
    pub fn retry_after(&self) -> u64 {
        let base = self.limits.retry_after_secs.max(1);
        rand::thread_rng().gen_range(base..=2 * base)
    }

    /// Requests refused so far.
    pub fn shed_count(&self) -> u64 {
        self.shed.load(Ordering::Relaxed)
    }

    /// Requests running now.
    pub fn in_flight(&self) -> usize {
        self.limits.max_in_flight - self.workers.available_permits()
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
            retry_after_secs: 3,
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
        }));
        // Two new requests hold half of the room (4 places); a third new one is refused at once…
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
