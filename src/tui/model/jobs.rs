//! Work this console started and follows without blocking the screen: retirements, pins, and
//! the starting, stopping and resuming of runs (the runs themselves report through their
//! journals, in `runs`). Each job collects its results as they settle; a job's window can be
//! closed while it works and opened again from the Jobs view.

use time::OffsetDateTime;

use super::ReqId;
use crate::arm::ResourceId;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Retire,
    Pin,
    /// Starts a build or distribution run in the background.
    StartRun,
    CancelRun,
    ResumeRun,
}

impl JobKind {
    pub fn label(self) -> &'static str {
        match self {
            JobKind::Retire => "retire",
            JobKind::Pin => "pin",
            JobKind::StartRun => "start run",
            JobKind::CancelRun => "cancel run",
            JobKind::ResumeRun => "resume run",
        }
    }

    /// The job as a noun in a sentence: "Stop the retirement?".
    pub fn noun(self) -> &'static str {
        match self {
            JobKind::Retire => "retirement",
            JobKind::Pin => "pin change",
            JobKind::StartRun => "run's start",
            JobKind::CancelRun => "cancel",
            JobKind::ResumeRun => "resume",
        }
    }

    /// Whether the job can be stopped part way (the others are one call).
    pub fn stoppable(self) -> bool {
        self == JobKind::Retire
    }
}

/// How one item of a job settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemOutcome {
    Done,
    Skipped,
    Failed,
}

impl ItemOutcome {
    pub fn label(self, kind: JobKind) -> &'static str {
        match (self, kind) {
            (ItemOutcome::Done, JobKind::Retire) => "retired",
            (ItemOutcome::Done, JobKind::StartRun) => "started",
            (ItemOutcome::Done, JobKind::CancelRun) => "asked",
            (ItemOutcome::Done, JobKind::ResumeRun) => "resumed",
            (ItemOutcome::Done, _) => "done",
            (ItemOutcome::Skipped, _) => "skipped",
            (ItemOutcome::Failed, _) => "failed",
        }
    }
}

/// One settled item: what it was about, how it went, and the words that say why.
#[derive(Debug, Clone)]
pub struct JobItem {
    pub subject: String,
    pub outcome: ItemOutcome,
    pub detail: String,
}

/// A piece of work and its results so far.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: ReqId,
    pub kind: JobKind,
    pub title: String,
    pub started: OffsetDateTime,
    /// Items it will settle.
    pub total: usize,
    pub items: Vec<JobItem>,
    pub ended: Option<OffsetDateTime>,
    /// Stopping was confirmed: nothing new starts, what is in flight finishes.
    pub stopping: bool,
    /// Images a retirement deleted: they leave the local data in one go when it ends.
    pub retired: Vec<ResourceId>,
    /// The run it is about, once known.
    pub run: Option<String>,
}

impl Job {
    pub fn is_running(&self) -> bool {
        self.ended.is_none()
    }

    /// Items that settled as `outcome`.
    pub fn count(&self, outcome: ItemOutcome) -> usize {
        self.items.iter().filter(|i| i.outcome == outcome).count()
    }

    /// One line on where it stands: `running: 3 of 10`, `done: 10 of 10`, `stopped: 3 of 10`.
    pub fn progress(&self) -> String {
        let state = match (self.ended.is_some(), self.stopping) {
            (false, false) => "running",
            (false, true) => "stopping",
            (true, true) => "stopped",
            (true, false) if self.count(ItemOutcome::Failed) > 0 => "failed",
            // A run's start says it was handed over, not how the run went (the Builds view).
            (true, false) => match self.kind {
                JobKind::StartRun | JobKind::ResumeRun => "handed over",
                JobKind::CancelRun => "asked to stop",
                _ => "done",
            },
        };
        format!("{state}: {} of {}", self.items.len(), self.total)
    }
}

/// The console's jobs, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Jobs {
    pub list: Vec<Job>,
}

/// How many ended jobs are kept.
const JOBS_KEPT: usize = 100;

impl Jobs {
    /// Starts a job with request id `id`.
    pub fn start(
        &mut self,
        id: ReqId,
        kind: JobKind,
        title: impl Into<String>,
        total: usize,
        now: OffsetDateTime,
    ) {
        if self.list.len() >= JOBS_KEPT
            && let Some(old) = self.list.iter().position(|j| !j.is_running())
        {
            self.list.remove(old);
        }
        self.list.push(Job {
            id,
            kind,
            title: title.into(),
            started: now,
            total,
            items: Vec::new(),
            ended: None,
            stopping: false,
            retired: Vec::new(),
            run: None,
        });
    }

    pub fn get(&self, id: ReqId) -> Option<&Job> {
        self.list.iter().find(|j| j.id == id)
    }

    pub fn get_mut(&mut self, id: ReqId) -> Option<&mut Job> {
        self.list.iter_mut().find(|j| j.id == id)
    }

    /// Records one settled item of job `id` (an item of a job that is gone is dropped).
    pub fn settle(&mut self, id: ReqId, item: JobItem) -> bool {
        match self.get_mut(id) {
            Some(job) if job.is_running() => {
                job.items.push(item);
                true
            }
            _ => false,
        }
    }

    /// Jobs still working.
    pub fn running(&self) -> impl Iterator<Item = &Job> {
        self.list.iter().filter(|j| j.is_running())
    }

    /// The first running job that can be stopped part way.
    pub fn stoppable(&self) -> Option<&Job> {
        self.running().find(|j| j.kind.stoppable())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(outcome: ItemOutcome) -> JobItem {
        JobItem {
            subject: "lab / image".into(),
            outcome,
            detail: String::new(),
        }
    }

    fn job(kind: JobKind, total: usize, items: &[ItemOutcome]) -> Jobs {
        let mut jobs = Jobs::default();
        jobs.start(7, kind, "t", total, OffsetDateTime::UNIX_EPOCH);
        for outcome in items {
            assert!(jobs.settle(7, item(*outcome)));
        }
        jobs
    }

    #[test]
    fn a_job_says_where_it_stands_in_its_own_words() {
        let running = job(JobKind::Retire, 3, &[ItemOutcome::Done]);
        assert_eq!(running.get(7).unwrap().progress(), "running: 1 of 3");
        let mut jobs = job(
            JobKind::Retire,
            3,
            &[ItemOutcome::Done, ItemOutcome::Skipped, ItemOutcome::Done],
        );
        let j = jobs.get_mut(7).unwrap();
        assert_eq!(j.count(ItemOutcome::Done), 2);
        assert_eq!(j.count(ItemOutcome::Skipped), 1);
        assert_eq!(j.count(ItemOutcome::Failed), 0);
        j.ended = Some(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(j.progress(), "done: 3 of 3");
        j.stopping = true;
        assert_eq!(j.progress(), "stopped: 3 of 3");
        j.ended = None;
        assert_eq!(j.progress(), "stopping: 3 of 3");
        let mut failed = job(
            JobKind::Retire,
            2,
            &[ItemOutcome::Done, ItemOutcome::Failed],
        );
        failed.get_mut(7).unwrap().ended = Some(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(failed.get(7).unwrap().progress(), "failed: 2 of 2");
        for (kind, word) in [
            (JobKind::StartRun, "handed over"),
            (JobKind::ResumeRun, "handed over"),
            (JobKind::CancelRun, "asked to stop"),
            (JobKind::Pin, "done"),
        ] {
            let mut jobs = job(kind, 1, &[ItemOutcome::Done]);
            jobs.get_mut(7).unwrap().ended = Some(OffsetDateTime::UNIX_EPOCH);
            assert_eq!(jobs.get(7).unwrap().progress(), format!("{word}: 1 of 1"));
        }
    }

    #[test]
    fn kinds_and_outcomes_read_as_words() {
        let kinds = [
            (JobKind::Retire, "retire", "retired"),
            (JobKind::Pin, "pin", "done"),
            (JobKind::StartRun, "start run", "started"),
            (JobKind::CancelRun, "cancel run", "asked"),
            (JobKind::ResumeRun, "resume run", "resumed"),
        ];
        for (kind, label, done) in kinds {
            assert_eq!(kind.label(), label);
            assert_eq!(ItemOutcome::Done.label(kind), done);
            assert_eq!(ItemOutcome::Skipped.label(kind), "skipped");
            assert_eq!(ItemOutcome::Failed.label(kind), "failed");
            assert_eq!(kind.stoppable(), kind == JobKind::Retire);
        }
    }

    #[test]
    fn an_item_of_an_ended_or_unknown_job_is_dropped_and_old_jobs_make_room() {
        let mut jobs = job(JobKind::Pin, 1, &[]);
        assert!(!jobs.settle(8, item(ItemOutcome::Done)), "no job 8");
        jobs.get_mut(7).unwrap().ended = Some(OffsetDateTime::UNIX_EPOCH);
        assert!(!jobs.settle(7, item(ItemOutcome::Done)), "job 7 has ended");
        assert_eq!(jobs.running().count(), 0);
        for id in 100..(100 + JOBS_KEPT as u64) {
            jobs.start(id, JobKind::Retire, "r", 1, OffsetDateTime::UNIX_EPOCH);
        }
        assert_eq!(jobs.list.len(), JOBS_KEPT, "the ended job made room");
        assert!(jobs.get(7).is_none());
        assert_eq!(jobs.stoppable().map(|j| j.id), Some(100));
    }
}
