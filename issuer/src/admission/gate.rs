//! The worker slots and their two queues. A freed slot goes to the oldest waiting request that
//! finishes work (a completion, a renewal) before any that starts new work; a request waits at most
//! its class's deadline and is then refused before any work is done for it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

use super::Priority;

/// The slots and queues, shared by every [`Slot`].
pub(super) struct Gate {
    state: Mutex<GateState>,
}

struct GateState {
    free: usize,
    finishing: VecDeque<oneshot::Sender<Slot>>,
    new: VecDeque<oneshot::Sender<Slot>>,
}

/// One worker slot, held for a request's whole handling; freeing it hands it to the next waiter.
pub(super) struct Slot {
    gate: Arc<Gate>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.gate.release();
    }
}

/// Why a request was not given a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refused {
    /// Its queue was full.
    QueueFull,
    /// It waited its whole deadline.
    Deadline,
}

/// Whether `queue` holds `limit` live waiters. Only a full queue is worth cleaning of waiters that
/// gave up.
fn is_full(queue: &mut VecDeque<oneshot::Sender<Slot>>, limit: usize) -> bool {
    if queue.len() < limit {
        return false;
    }
    queue.retain(|w| !w.is_closed());
    queue.len() >= limit
}

impl Gate {
    /// A gate with `slots` workers.
    pub(super) fn new(slots: usize) -> Arc<Gate> {
        Arc::new(Gate {
            state: Mutex::new(GateState {
                free: slots,
                finishing: VecDeque::new(),
                new: VecDeque::new(),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot for a request of `priority`: at once if one is free (and, for new work, no finishing
    /// work is waiting), else after waiting in its queue (at most `queue_limit` long) for at most
    /// `deadline`.
    pub(super) async fn acquire(
        self: &Arc<Self>,
        priority: Priority,
        queue_limit: usize,
        deadline: Duration,
    ) -> Result<Slot, Refused> {
        let waiting = {
            let mut state = self.lock();
            // Forget finishing waiters at the front that gave up, so that they do not hold back new
            // work (the oldest give up first).
            while state.finishing.front().is_some_and(|w| w.is_closed()) {
                state.finishing.pop_front();
            }
            let may_take = match priority {
                Priority::Finishing => true,
                Priority::New => state.finishing.is_empty(),
            };
            if may_take && state.free > 0 {
                state.free -= 1;
                return Ok(Slot { gate: self.clone() });
            }
            let queue = match priority {
                Priority::Finishing => &mut state.finishing,
                Priority::New => &mut state.new,
            };
            if is_full(queue, queue_limit) {
                return Err(Refused::QueueFull);
            }
            let (tx, rx) = oneshot::channel();
            queue.push_back(tx);
            rx
        };
        // A slot handed over just as the deadline passes is dropped with the channel, which frees it
        // again: no slot is ever lost.
        match tokio::time::timeout(deadline, waiting).await {
            Ok(Ok(slot)) => Ok(slot),
            _ => Err(Refused::Deadline),
        }
    }

    /// Hands a freed slot to the next waiter: finishing work first, oldest first.
    fn release(self: &Arc<Self>) {
        let mut state = self.lock();
        loop {
            let next = match state.finishing.pop_front() {
                Some(waiter) => waiter,
                None => match state.new.pop_front() {
                    Some(waiter) => waiter,
                    None => {
                        state.free += 1;
                        return;
                    }
                },
            };
            match next.send(Slot { gate: self.clone() }) {
                Ok(()) => return,
                // That waiter gave up; its slot must not run `release` again under the lock.
                Err(unused) => std::mem::forget(unused),
            }
        }
    }

    /// Slots free now.
    pub(super) fn free(&self) -> usize {
        self.lock().free
    }

    /// Whether work of `priority` would be refused at once now (its queue full of live waiters): a
    /// cheap check to shed a request before anything else is spent on it.
    pub(super) fn queue_is_full(&self, priority: Priority, queue_limit: usize) -> bool {
        let mut state = self.lock();
        if state.free > 0 {
            return false;
        }
        let queue = match priority {
            Priority::Finishing => &mut state.finishing,
            Priority::New => &mut state.new,
        };
        is_full(queue, queue_limit)
    }

    /// Requests waiting now, finishing and new.
    pub(super) fn waiting(&self) -> (usize, usize) {
        let state = self.lock();
        (state.finishing.len(), state.new.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_freed_slot_goes_to_finishing_work_before_new_work_that_waited_longer() {
        let gate = Gate::new(1);
        let held = gate
            .acquire(Priority::Finishing, 8, Duration::from_secs(1))
            .await
            .unwrap();
        let g = gate.clone();
        let new = tokio::spawn(async move {
            g.acquire(Priority::New, 8, Duration::from_secs(1))
                .await
                .map(|_| std::time::Instant::now())
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let g = gate.clone();
        let finishing = tokio::spawn(async move {
            let slot = g
                .acquire(Priority::Finishing, 8, Duration::from_secs(1))
                .await;
            let at = std::time::Instant::now();
            tokio::time::sleep(Duration::from_millis(20)).await;
            drop(slot);
            at
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(gate.waiting(), (1, 1));
        drop(held);
        let (finishing_at, new_at) = (finishing.await.unwrap(), new.await.unwrap().unwrap());
        assert!(finishing_at < new_at, "the completion went first");
        assert_eq!(gate.free(), 1, "every slot came back");
    }

    #[tokio::test]
    async fn waiters_past_their_deadline_are_refused_and_no_slot_is_lost() {
        let gate = Gate::new(1);
        let held = gate
            .acquire(Priority::Finishing, 8, Duration::from_secs(1))
            .await
            .unwrap();
        for _ in 0..3 {
            let refused = gate
                .acquire(Priority::New, 8, Duration::from_millis(10))
                .await;
            assert_eq!(refused.err(), Some(Refused::Deadline));
        }
        assert_eq!(
            gate.acquire(Priority::New, 0, Duration::from_millis(10))
                .await
                .err(),
            Some(Refused::QueueFull)
        );
        drop(held);
        assert_eq!(gate.free(), 1);
        assert!(
            gate.acquire(Priority::New, 8, Duration::from_millis(10))
                .await
                .is_ok()
        );
    }
}
