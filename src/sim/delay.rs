//! Delays as long as asked. tokio's timer rounds a deadline up to its next millisecond tick and
//! then wakes within another millisecond, so a 30 ms `--latency` took 31 to 32 ms: 5% on every
//! request, which the inventory benchmark then charged to the client it measures. One thread
//! keeps the deadlines and waits on a condition variable, whose timeout the kernel keeps to
//! tens of microseconds.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

/// Waits until `how_long` after `from` (a request's arrival, so that the time its work took
/// counts towards its latency).
pub async fn after(from: Instant, how_long: Duration) {
    let at = from + how_long;
    if at <= Instant::now() {
        return;
    }
    let (wake, woken) = oneshot::channel();
    let timer = timer();
    {
        let mut queue = timer.queue.lock().expect("timer lock");
        // The thread sleeps until the earliest deadline: a new earliest one must wake it.
        let earlier = queue.peek().is_none_or(|first| at < first.at);
        queue.push(Deadline { at, wake });
        if earlier {
            timer.changed.notify_one();
        }
    }
    // A sender dropped without sending cannot happen while the thread runs; either way the
    // wait is over.
    let _ = woken.await;
}

struct Timer {
    queue: Mutex<BinaryHeap<Deadline>>,
    changed: Condvar,
}

struct Deadline {
    at: Instant,
    wake: oneshot::Sender<()>,
}

// Ordered so that the heap's top is the earliest deadline.
impl Ord for Deadline {
    fn cmp(&self, other: &Self) -> Ordering {
        other.at.cmp(&self.at)
    }
}

impl PartialOrd for Deadline {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Deadline {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Deadline {}

fn timer() -> &'static Timer {
    static TIMER: OnceLock<&'static Timer> = OnceLock::new();
    TIMER.get_or_init(|| {
        let timer: &'static Timer = Box::leak(Box::new(Timer {
            queue: Mutex::new(BinaryHeap::new()),
            changed: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("sim-latency".into())
            .spawn(move || run(timer))
            .expect("the emulator's timer thread starts");
        timer
    })
}

fn run(timer: &Timer) {
    let mut queue = timer.queue.lock().expect("timer lock");
    loop {
        let now = Instant::now();
        while queue.peek().is_some_and(|first| first.at <= now) {
            let due = queue.pop().expect("peeked");
            // The request may have gone (its client hung up): nothing to wake then.
            let _ = due.wake.send(());
        }
        queue = match queue.peek() {
            None => timer.changed.wait(queue).expect("timer lock"),
            Some(first) => {
                let wait = first.at - now;
                timer
                    .changed
                    .wait_timeout(queue, wait)
                    .expect("timer lock")
                    .0
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waits_at_least_as_long_as_asked_and_wakes_in_deadline_order() {
        let start = Instant::now();
        let order = std::sync::Arc::new(Mutex::new(Vec::new()));
        let waits = [30u64, 10, 20].map(|ms| {
            let order = order.clone();
            tokio::spawn(async move {
                after(start, Duration::from_millis(ms)).await;
                let woke = start.elapsed();
                order.lock().unwrap().push(ms);
                woke
            })
        });
        for (ms, wait) in [30u64, 10, 20].into_iter().zip(waits) {
            let woke = wait.await.unwrap();
            assert!(
                woke >= Duration::from_millis(ms),
                "{ms} ms woke at {woke:?}"
            );
        }
        assert_eq!(*order.lock().unwrap(), vec![10, 20, 30]);
        // A deadline already past returns at once.
        after(start, Duration::ZERO).await;
    }
}
