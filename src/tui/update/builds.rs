//! Runs in the console: the journal watcher's reads folded in, a run (planned in
//! `run_plans`) confirmed and started, and runs stopped or resumed (each asked first). Runs
//! live in their own processes: the console starts and follows them, and closing it stops none.

use super::super::effect::Effect;
use super::super::model::{
    Confirm, ConfirmAction, Folded, JobItem, JobKind, JournalRead, Level, Model, Overlay, Row, View,
};
use super::commands::{push, switch};
use crate::factory::builder::background::Liveness;
use crate::factory::builder::journal::RunOutcome;

/// New lines of a journal: folded into the run, out-of-date reads dropped, a missed read
/// answered by reading the journal again; a run that ends posts a message that stays.
pub fn journal(model: &mut Model, read: JournalRead) -> Vec<Effect> {
    let run = read.run.clone();
    let before = model
        .runs
        .get(&run)
        .and_then(|e| e.state.as_ref())
        .map(|s| s.outcome);
    let liveness_before = model.runs.get(&run).map(|e| e.liveness);
    match model.runs.fold(read) {
        Folded::Stale => return Vec::new(),
        Folded::Gap => {
            model.runs.reread(&run);
            return vec![Effect::RereadJournal(run)];
        }
        Folded::Applied => {}
    }
    model.runs.listed = true;
    let Some(entry) = model.runs.get(&run) else {
        return Vec::new();
    };
    if entry.followed
        && let Some(state) = &entry.state
    {
        let ended_now = before.is_some_and(|o| o.is_none()) && state.outcome.is_some();
        if ended_now {
            let (level, how) = match state.outcome {
                Some(RunOutcome::Done) => (Level::Info, "done"),
                Some(RunOutcome::SomeFailed) => (Level::Error, "some images failed"),
                _ => (Level::Warn, "cancelled"),
            };
            let left_out = match state.left_out.len() {
                0 => String::new(),
                n => format!(
                    "; {} left out: {}",
                    crate::human::count(n, "lab"),
                    state.left_out.join("; ")
                ),
            };
            let text = format!(
                "run {} ended: {how} ({}){left_out}; the Builds view (6) has it",
                entry.id,
                super::super::model::run_counts(state)
            );
            model.flash(level, text);
            // The images it made (and the VMs it removed) are in Azure now.
            let effects = super::replies::refresh(model);
            rebuild_runs(model);
            return effects;
        } else if liveness_before == Some(Liveness::Running) && entry.liveness == Liveness::Stopped
        {
            let text = format!(
                "run {} stopped before its end (its process is gone): r resumes it, x cleans up",
                entry.id
            );
            model.flash(Level::Error, text);
        }
    }
    rebuild_runs(model);
    Vec::new()
}

/// Every journal has been read once: no runs is now known, not awaited.
pub fn listed(model: &mut Model) -> Vec<Effect> {
    if !model.runs.listed {
        model.runs.listed = true;
        rebuild_runs(model);
    }
    Vec::new()
}

/// The run views show what the runs say now.
fn rebuild_runs(model: &mut Model) {
    if matches!(
        model.route().view,
        View::Builds | View::Run { .. } | View::RunImage { .. }
    ) {
        model.rebuild_top();
    }
    model.dirty = true;
}

/// The run a run row, the run view or a run image view is about.
fn current_run(model: &Model) -> Option<String> {
    match (&model.route().view, model.route().current()) {
        (View::Run { run } | View::RunImage { run, .. }, _) => Some(run.clone()),
        (View::Builds, Some(Row::Run(r))) => Some(model.runs.entries[r].id.clone()),
        _ => None,
    }
}

/// Whether this console is starting, stopping or resuming run `id` right now.
fn busy(model: &Model, id: &str) -> bool {
    model
        .jobs
        .running()
        .any(|j| j.run.as_deref().is_some_and(|r| r.eq_ignore_ascii_case(id)))
}

/// `x`: asks before stopping the run (its process cleans up what it made).
pub fn cancel(model: &mut Model) -> Vec<Effect> {
    let Some(id) = current_run(model) else {
        model.flash(Level::Warn, "put the cursor on a run to cancel it");
        return Vec::new();
    };
    let Some(entry) = model.runs.get(&id) else {
        return Vec::new();
    };
    let Some(state) = &entry.state else {
        model.flash(
            Level::Warn,
            format!("run {id} has no journal here: it was started elsewhere; stop it there (or its pipeline)"),
        );
        return Vec::new();
    };
    if busy(model, &id) {
        model.flash(
            Level::Warn,
            format!("run {id} is being handed to a background process: wait a moment"),
        );
        return Vec::new();
    }
    let items = match entry.liveness {
        Liveness::Finished => {
            model.flash(
                Level::Info,
                format!("run {id} already ended; nothing to stop"),
            );
            return Vec::new();
        }
        Liveness::Elsewhere => {
            let text = format!(
                "run {id} runs on {}: cancel it there (`imagefactory cancel {id}`), or stop its pipeline",
                state.host
            );
            model.flash(Level::Warn, text);
            return Vec::new();
        }
        Liveness::Running => vec![
            format!("process {} stops: nothing new starts", state.pid),
            "it removes what it made: build VMs, disk access, staging copies".to_string(),
            "images already in labs stay (retention retires them as usual)".to_string(),
        ],
        Liveness::Stopped => vec![
            "its process is gone: a background `cancel` removes what it made".to_string(),
            "images already in labs stay (retention retires them as usual)".to_string(),
        ],
    };
    let title = format!(
        "Cancel run {id} ({})",
        super::super::model::run_counts(state)
    );
    model.overlay = Overlay::Confirm(Box::new(Confirm::new(
        ConfirmAction::CancelRun(id),
        title,
        items,
    )));
    Vec::new()
}

/// `r`: asks before finishing a run whose process is gone.
pub fn resume(model: &mut Model) -> Vec<Effect> {
    let Some(id) = current_run(model) else {
        model.flash(Level::Warn, "put the cursor on a run to resume it");
        return Vec::new();
    };
    let Some(entry) = model.runs.get(&id) else {
        return Vec::new();
    };
    let why_not = match (entry.liveness, &entry.state) {
        _ if busy(model, &id) => Some(format!(
            "run {id} is being handed to a background process already: wait a moment"
        )),
        (_, None) => Some(format!(
            "run {id} has no journal here: resume it where it was started"
        )),
        (Liveness::Finished, _) => Some(format!("run {id} already ended; nothing to resume")),
        (Liveness::Running, Some(s)) => Some(format!(
            "run {id} is running (process {}); it needs no resume",
            s.pid
        )),
        (Liveness::Elsewhere, Some(s)) => Some(format!(
            "run {id} runs on {}: resume it there if its process is gone",
            s.host
        )),
        (Liveness::Stopped, _) => None,
    };
    if let Some(text) = why_not {
        model.flash(Level::Warn, text);
        return Vec::new();
    }
    let state = entry.state.as_ref().expect("checked above");
    let open = state.images.iter().filter(|i| !i.stage.is_final()).count();
    let title = format!(
        "Resume run {id}: {} not finished",
        crate::human::count(open, "image")
    );
    let items = state
        .images
        .iter()
        .filter(|i| !i.stage.is_final())
        .map(|i| format!("{}: from {}", i.path, i.stage.label()))
        .collect();
    model.overlay = Overlay::Confirm(Box::new(Confirm::new(
        ConfirmAction::ResumeRun(id),
        title,
        items,
    )));
    Vec::new()
}

/// A run confirmation was confirmed: the work starts as a job, and the screen goes where the
/// run will show.
pub fn confirmed(model: &mut Model, action: ConfirmAction) -> Vec<Effect> {
    model.overlay = Overlay::None;
    match action {
        ConfirmAction::Retire => Vec::new(),
        ConfirmAction::StartRun { plan, distribution } => {
            let run = plan.run.to_string();
            let what = if distribution {
                "distribution"
            } else {
                "build"
            };
            let title = format!("start {what} run {run}");
            let req = run_job(model, JobKind::StartRun, title, &run);
            // Marks on definitions did their job.
            model.marks.retain(|m| !m.starts_with("def:"));
            switch(model, View::Builds);
            push(model, View::Run { run });
            vec![
                Effect::StartRun(req, plan, distribution),
                Effect::ScanJournals,
            ]
        }
        ConfirmAction::CancelRun(run) => {
            let req = run_job(model, JobKind::CancelRun, format!("cancel run {run}"), &run);
            model.flash(Level::Info, format!("stopping run {run}…"));
            vec![Effect::CancelRun(req, run)]
        }
        ConfirmAction::QuitDemo => {
            model.overlay = Overlay::None;
            model.quit = true;
            Vec::new()
        }
        ConfirmAction::ResumeRun(run) => {
            let req = run_job(model, JobKind::ResumeRun, format!("resume run {run}"), &run);
            model.flash(Level::Info, format!("resuming run {run}…"));
            vec![Effect::ResumeRun(req, run), Effect::ScanJournals]
        }
    }
}

/// A job that hands run `run` to (or takes it from) a background process.
fn run_job(model: &mut Model, kind: JobKind, title: String, run: &str) -> u64 {
    let req = model.request("run-action");
    model.jobs.start(req, kind, title, 1, model.now);
    if let Some(job) = model.jobs.get_mut(req) {
        job.run = Some(run.to_string());
    }
    req
}

/// A run was started, stopped or resumed (or could not be): the journals are looked at at
/// once, and a quit that waited for it goes ahead.
pub fn action_done(model: &mut Model, req: u64, result: Result<String, String>) -> Vec<Effect> {
    model.settle("run-action", req);
    let (outcome, detail) = match result {
        Ok(said) => (super::super::model::ItemOutcome::Done, said),
        Err(e) => (super::super::model::ItemOutcome::Failed, e),
    };
    let subject = model
        .jobs
        .get(req)
        .and_then(|j| j.run.clone())
        .unwrap_or_default();
    model.jobs.settle(
        req,
        JobItem {
            subject,
            outcome,
            detail,
        },
    );
    super::jobs::end(model, req);
    if model.quit_when_handed_over && !super::jobs::handing_over(model) {
        model.quit = true;
    }
    vec![Effect::ScanJournals]
}
