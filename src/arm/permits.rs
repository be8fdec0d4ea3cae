//! The client's bound on requests in flight, with priorities: a request that continues work
//! already under way (the next page of a list) goes before one that starts new work, so that
//! long chains of pages are not starved behind hundreds of short lists and the last responses
//! do not trickle in at a fraction of the allowed concurrency.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use tokio::sync::oneshot;

/// Which queue a waiting request joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Priority {
    /// Continues something started (a list's next page).
    Continue,
    /// Starts something new.
    Start,
    /// Starts something short that nothing else waits on: served after the rest, so that
    /// long chains start first (the longest work first packs the bound tightest), and among
    /// themselves by their rank (then in arrival order). A reading ranks a lab's lists by the
    /// lab's place in its output, so that labs finish in the order they are shown and printed.
    Later(String),
}

#[derive(Debug, Default)]
struct Queues {
    free: usize,
    continuing: VecDeque<oneshot::Sender<()>>,
    starting: VecDeque<oneshot::Sender<()>>,
    later: BTreeMap<(String, u64), oneshot::Sender<()>>,
    /// Arrivals so far, to keep the order of equal ranks.
    arrivals: u64,
}

/// A pool of permits; each request holds one while it is in flight.
#[derive(Debug)]
pub struct Permits {
    queues: Mutex<Queues>,
}

/// A permit, given back when dropped.
#[derive(Debug)]
pub struct Permit<'a> {
    pool: &'a Permits,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.pool.release();
    }
}

/// A waiter that gives back a permit handed to it after it stopped waiting (cancelled).
struct Waiting<'a> {
    pool: &'a Permits,
    rx: Option<oneshot::Receiver<()>>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Some(mut rx) = self.rx.take() {
            rx.close();
            if rx.try_recv().is_ok() {
                self.pool.release();
            }
        }
    }
}

impl Permits {
    /// A pool of `n` permits (at least one).
    pub fn new(n: usize) -> Permits {
        Permits {
            queues: Mutex::new(Queues {
                free: n.max(1),
                ..Queues::default()
            }),
        }
    }

    /// Waits for a permit: continuing work first, then new work in arrival order, then later
    /// work by rank (see `Priority`).
    pub async fn acquire(&self, priority: Priority) -> Permit<'_> {
        let rx = {
            let mut q = self.queues.lock().expect("permits lock");
            if q.free > 0 {
                q.free -= 1;
                return Permit { pool: self };
            }
            let (tx, rx) = oneshot::channel();
            match priority {
                Priority::Continue => q.continuing.push_back(tx),
                Priority::Start => q.starting.push_back(tx),
                Priority::Later(rank) => {
                    q.arrivals += 1;
                    let arrival = q.arrivals;
                    q.later.insert((rank, arrival), tx);
                }
            }
            rx
        };
        let mut waiting = Waiting {
            pool: self,
            rx: Some(rx),
        };
        if let Some(rx) = waiting.rx.as_mut() {
            // The sender is only dropped after a send (see `release`), so this cannot fail.
            let _ = rx.await;
        }
        waiting.rx = None;
        Permit { pool: self }
    }

    /// Hands a permit to the next waiter (continuing ones first), or back to the pool.
    fn release(&self) {
        let mut q = self.queues.lock().expect("permits lock");
        loop {
            let next = q
                .continuing
                .pop_front()
                .or_else(|| q.starting.pop_front())
                .or_else(|| q.later.pop_first().map(|(_, tx)| tx));
            match next {
                Some(tx) => {
                    if tx.send(()).is_ok() {
                        return;
                    }
                    // That waiter gave up; try the next one.
                }
                None => {
                    q.free += 1;
                    return;
                }
            }
        }
    }

    /// Permits not in use.
    #[cfg(test)]
    fn available(&self) -> usize {
        self.queues.lock().expect("permits lock").free
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn continuing_work_is_served_before_new_work_and_later_work_by_rank() {
        let pool = Arc::new(Permits::new(1));
        let held = pool.acquire(Priority::Start).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        for (name, priority) in [
            ("later-b", Priority::Later("b".into())),
            ("later-a-1", Priority::Later("a".into())),
            ("start-1", Priority::Start),
            ("later-a-2", Priority::Later("a".into())),
            ("start-2", Priority::Start),
            ("continue", Priority::Continue),
        ] {
            let pool = pool.clone();
            let order = order.clone();
            waiters.push(tokio::spawn(async move {
                let _permit = pool.acquire(priority).await;
                order.lock().unwrap().push(name);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        drop(held);
        for w in waiters {
            w.await.unwrap();
        }
        assert_eq!(
            *order.lock().unwrap(),
            [
                "continue",
                "start-1",
                "start-2",
                "later-a-1",
                "later-a-2",
                "later-b"
            ]
        );
        assert_eq!(pool.available(), 1);
    }

    #[tokio::test]
    async fn a_permit_handed_to_a_waiter_that_then_gives_up_comes_back() {
        let pool = Permits::new(1);
        let held = pool.acquire(Priority::Start).await;
        let mut waiting = Box::pin(pool.acquire(Priority::Later("a".into())));
        assert!(futures::poll!(waiting.as_mut()).is_pending(), "queued");
        // Handed to the waiter, which gives up before it looks.
        drop(held);
        assert_eq!(pool.available(), 0, "the permit went to the waiter");
        drop(waiting);
        assert_eq!(pool.available(), 1, "and came back");
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_does_not_lose_the_permit() {
        let pool = Arc::new(Permits::new(1));
        let held = pool.acquire(Priority::Start).await;
        let gave_up =
            tokio::time::timeout(Duration::from_millis(20), pool.acquire(Priority::Continue)).await;
        assert!(gave_up.is_err());
        drop(held);
        assert_eq!(pool.available(), 1, "the permit came back");
        let _again = pool.acquire(Priority::Start).await;
        assert_eq!(pool.available(), 0);
    }
}
