//! Runs in the console: the journal watcher's reads folded in, a build or distribution
//! planned and confirmed, and runs stopped or resumed (each asked first). Runs live in their
//! own processes: the console starts and follows them, and closing it stops none.

use super::super::effect::Effect;
use super::super::model::{
    Confirm, ConfirmAction, Folded, JobItem, JobKind, JournalRead, Level, Model, Overlay, Row, View,
};
use super::commands::{push, switch};
use crate::factory::build::background::Liveness;
use crate::factory::build::journal::RunOutcome;
use crate::factory::build::{BuildPlan, Selection};

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

/// The definitions marked in the Definitions view; none marked: all of them.
fn marked_selection(model: &Model) -> Selection {
    let Some(config) = &model.config else {
        return Selection::All;
    };
    let marked: Vec<_> = config
        .images
        .iter()
        .filter(|d| model.marks.contains(&def_mark(&d.path)))
        .map(|d| d.path.clone())
        .collect();
    if marked.is_empty() {
        Selection::All
    } else {
        Selection::Paths(marked)
    }
}

/// The mark of a definition (marks are otherwise image ids).
pub fn def_mark(path: &crate::config::ImagePath) -> String {
    format!("def:{}", path.key())
}

/// `b`: plans a build of the marked definitions (all when none is marked).
pub fn build(model: &mut Model, selection: Option<Selection>) -> Vec<Effect> {
    if model.config.is_none() {
        model.flash(
            Level::Warn,
            "building needs a factory configuration: pass --config FILE or create ./factory.toml",
        );
        return Vec::new();
    }
    let Some(inventory) = inventory_for_plan(model) else {
        return Vec::new();
    };
    let selection = selection.unwrap_or_else(|| marked_selection(model));
    let mut effects = superseded_plan(model);
    let req = model.request("run-plan");
    let what = match &selection {
        Selection::All => "every definition".to_string(),
        Selection::Paths(p) => crate::human::count(p.len(), "definition"),
    };
    model.flash(Level::Info, format!("planning a build of {what}…"));
    effects.push(Effect::PlanBuild(req, inventory, selection));
    effects
}

/// `:build PATH...`: the paths must be definitions (a typo gets the nearest one).
pub fn build_paths(model: &mut Model, words: &str) -> Vec<Effect> {
    let Some(config) = &model.config else {
        return build(model, None);
    };
    let mut paths = Vec::new();
    for word in words.split_whitespace() {
        match config
            .images
            .iter()
            .find(|d| d.path.key() == word.to_ascii_lowercase())
        {
            Some(d) => paths.push(d.path.clone()),
            None => {
                let known: Vec<&str> = config.images.iter().map(|d| d.path.as_str()).collect();
                let hint = crate::human::nearest(word, &known)
                    .map(|n| format!("; did you mean {n}?"))
                    .unwrap_or_default();
                model.flash(Level::Error, format!("no image definition {word}{hint}"));
                return Vec::new();
            }
        }
    }
    let selection = if paths.is_empty() {
        None
    } else {
        Some(Selection::Paths(paths))
    };
    build(model, selection)
}

/// `:distribute [LAB]`: plans copies from the catalogue to labs that miss retained images.
pub fn distribute(model: &mut Model, lab: &str) -> Vec<Effect> {
    let Some(config) = &model.config else {
        model.flash(
            Level::Warn,
            "distributing needs a factory configuration: pass --config FILE or create ./factory.toml",
        );
        return Vec::new();
    };
    let lab = lab.trim();
    let only = if lab.is_empty() {
        None
    } else {
        let names: Vec<&str> = config.labs.iter().map(|l| l.lab.name.as_str()).collect();
        match names.iter().find(|n| n.eq_ignore_ascii_case(lab)) {
            Some(n) => Some(n.to_string()),
            None => {
                let hint = crate::human::nearest(lab, &names)
                    .map(|n| format!("; did you mean {n}?"))
                    .unwrap_or_default();
                model.flash(
                    Level::Error,
                    format!("no target lab {lab} in the configuration{hint}"),
                );
                return Vec::new();
            }
        }
    };
    let Some(inventory) = inventory_for_plan(model) else {
        return Vec::new();
    };
    let mut effects = superseded_plan(model);
    let req = model.request("run-plan");
    model.flash(Level::Info, "reading the catalogue…");
    effects.push(Effect::PlanDistribution(req, inventory, only));
    effects
}

/// The inventory a plan starts from, or a word that it is still being read.
fn inventory_for_plan(model: &mut Model) -> Option<Box<crate::factory::Inventory>> {
    match &model.data {
        Some(data) => Some(Box::new(data.inventory.clone())),
        None => {
            model.flash(
                Level::Warn,
                "the inventory is still being read: try again in a moment",
            );
            None
        }
    }
}

/// A plan still being made when another is asked for is not needed any more: stop it.
fn superseded_plan(model: &Model) -> Vec<Effect> {
    model
        .pending
        .get("run-plan")
        .map(|old| Effect::Cancel(*old))
        .into_iter()
        .collect()
}

/// A plan arrived: its confirmation shows what it would make, what it skips and why, and the
/// errors that stop it.
pub fn plan_ready(
    model: &mut Model,
    req: u64,
    distribution: bool,
    plan: Result<Box<BuildPlan>, String>,
) -> Vec<Effect> {
    if !model.settle("run-plan", req) {
        return Vec::new();
    }
    // "planning…" has been answered.
    model.flash = None;
    let plan = match plan {
        Ok(plan) => plan,
        Err(e) => {
            model.flash(Level::Error, format!("cannot plan: {e}"));
            return Vec::new();
        }
    };
    if plan.jobs.is_empty() && plan.errors.is_empty() {
        let text = if distribution {
            "every lab has the retained versions of the paths it subscribes to; nothing to distribute"
        } else {
            "nothing to build: no selected definition has a lab that receives it"
        };
        model.flash(Level::Info, text);
        return Vec::new();
    }
    let labs: std::collections::BTreeSet<String> = plan
        .jobs
        .iter()
        .flat_map(|j| j.targets.iter().map(|t| t.lab.name.to_ascii_lowercase()))
        .collect();
    let copies: usize = plan.jobs.iter().map(|j| j.targets.len()).sum();
    let title = if distribution {
        format!(
            "Distribute {} from the catalogue: {} to {}",
            crate::human::count(plan.jobs.len(), "image"),
            crate::human::count(copies, "copy"),
            crate::human::count(labs.len(), "lab")
        )
    } else {
        format!(
            "Build {}: {} in {}, then {} in {}",
            crate::human::count(plan.jobs.len(), "definition"),
            crate::human::count(plan.jobs.len(), "VM"),
            plan.factory.name,
            crate::human::count(copies, "image"),
            crate::human::count(labs.len(), "lab")
        )
    };
    let items = plan
        .jobs
        .iter()
        .map(|j| {
            let to: Vec<&str> = j.targets.iter().map(|t| t.lab.name.as_str()).collect();
            if distribution {
                format!("{} ({}) → {}", j.path, j.image_name, to.join(", "))
            } else {
                format!(
                    "{}: {}/{} + {} → {}",
                    j.path,
                    j.base.offer,
                    j.base.sku,
                    crate::human::count(j.artifacts.len(), "artifact"),
                    to.join(", ")
                )
            }
        })
        .collect();
    let notes = plan
        .skipped
        .iter()
        .map(|s| {
            format!(
                "skipped {} → {}: {}",
                s.path,
                s.lab.as_deref().unwrap_or("every lab"),
                s.why
            )
        })
        .collect();
    let mut blockers: Vec<String> = Vec::new();
    for e in &plan.errors {
        let text = match &e.path {
            Some(p) => format!("{p}: {}", e.message),
            None => e.message.clone(),
        };
        // One missing source can fail several artifacts: say it once.
        if !blockers.contains(&text) {
            blockers.push(text);
        }
    }
    let action = ConfirmAction::StartRun { plan, distribution };
    let mut confirm = Confirm::new(action, title, items);
    let mut notes: Vec<String> = notes;
    if model.identity.demo {
        notes.push(
            "--demo: the emulator lives in this console, so quitting it ends this run's Azure (use `imagefactory sim` for runs that outlive the console)".into(),
        );
    }
    confirm.notes = notes;
    confirm.blockers = blockers;
    model.overlay = Overlay::Confirm(Box::new(confirm));
    model.dirty = true;
    Vec::new()
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
