//! Stopping long work cleanly: a flag that the work checks before each step, so that what is
//! in flight finishes (and is recorded) and nothing new starts. The work can also be held
//! while a person decides whether to stop it, so that nothing starts during the question.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[derive(Debug, Default)]
struct Flags {
    cancelled: AtomicBool,
    held: AtomicBool,
}

/// Shared between whoever may stop the work and the work itself.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<Flags>);

impl Cancel {
    /// A flag not yet raised.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Asks the work to stop: nothing new starts.
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
    }

    /// Whether stopping was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// Holds the work before its next step (a person is being asked whether to stop).
    pub fn hold(&self) {
        self.0.held.store(true, Ordering::SeqCst);
    }

    /// Lets held work go on.
    pub fn release(&self) {
        self.0.held.store(false, Ordering::SeqCst);
    }

    /// Called before each step: waits while the work is held; `true` to go on, `false` once
    /// stopping was asked for.
    pub async fn proceed(&self) -> bool {
        while self.0.held.load(Ordering::SeqCst) && !self.is_cancelled() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        !self.is_cancelled()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn held_work_waits_and_cancelled_work_stops() {
        let cancel = Cancel::new();
        assert!(cancel.proceed().await);
        cancel.hold();
        let waiting = tokio::spawn({
            let c = cancel.clone();
            async move { c.proceed().await }
        });
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert!(!waiting.is_finished(), "held work does not start");
        cancel.release();
        assert!(waiting.await.unwrap(), "released work goes on");
        cancel.hold();
        let waiting = tokio::spawn({
            let c = cancel.clone();
            async move { c.proceed().await }
        });
        cancel.cancel();
        assert!(
            !waiting.await.unwrap(),
            "cancelling ends the wait, and the work"
        );
    }
}
