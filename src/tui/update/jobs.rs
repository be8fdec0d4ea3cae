//! Jobs: their windows (results as they settle; closing one leaves the job working), stopping
//! a job (asked first), quitting while one runs, and the replies that settle them.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::super::effect::Effect;
use super::super::model::{ItemOutcome, JobItem, JobKind, JobWindow, Level, Model, Overlay};
use crate::factory::retire::{RetireOutcome, RetireResult};

/// Opens job `id`'s window.
pub fn open_window(model: &mut Model, id: u64) {
    model.overlay = Overlay::Job(JobWindow {
        job: id,
        scroll: 0,
        stop_asked: false,
        quit_after: false,
    });
}

/// ctrl-c, or q while something runs: quits at once when nothing stoppable runs; else shows
/// that job and asks first (a second ctrl-c, or y, stops it), and quits once it has stopped.
/// Runs go on: they live in their own processes.
pub fn interrupt(model: &mut Model) -> Vec<Effect> {
    model.dirty = true;
    let shown = match &model.overlay {
        Overlay::Job(w) => model
            .jobs
            .get(w.job)
            .filter(|j| j.is_running() && j.kind.stoppable())
            .map(|j| j.id),
        _ => None,
    };
    let Some(id) = shown.or_else(|| model.jobs.stoppable().map(|j| j.id)) else {
        // A run being handed to its background process is not dropped half way.
        if handing_over(model) && !model.quit_when_handed_over {
            model.quit_when_handed_over = true;
            model.flash(
                Level::Info,
                "quitting once the run is handed to its background process (ctrl-c again quits now)",
            );
            return Vec::new();
        }
        // The demo's emulator lives in this process: its runs cannot outlive it.
        let live = model.runs.live();
        if model.identity.demo && live > 0 && !matches!(model.overlay, Overlay::Confirm(_)) {
            let title = format!(
                "Quit the demo? {} going here talk to its emulator, which ends with the console",
                crate::human::count(live, "run")
            );
            let items = vec![
                "each run fails within its retry budget once the emulator is gone (nothing in Azure is touched: it is all the emulator's)".to_string(),
                "a new demo console starts a fresh emulator: those runs show as failed there".to_string(),
            ];
            model.overlay = Overlay::Confirm(Box::new(super::super::model::Confirm::new(
                super::super::model::ConfirmAction::QuitDemo,
                title,
                items,
            )));
            return Vec::new();
        }
        model.quit = true;
        return Vec::new();
    };
    let stopping = model.jobs.get(id).is_some_and(|j| j.stopping);
    match &mut model.overlay {
        Overlay::Job(w) if w.job == id => {
            w.quit_after = true;
            if w.stop_asked || stopping {
                w.stop_asked = false;
                return stop(model, id);
            }
            w.stop_asked = true;
        }
        _ => {
            model.overlay = Overlay::Job(JobWindow {
                job: id,
                scroll: 0,
                stop_asked: true,
                quit_after: true,
            })
        }
    }
    // Nothing new starts while the operator decides.
    vec![Effect::Hold(id)]
}

/// Whether a run is being started, stopped or resumed by this console right now.
pub fn handing_over(model: &Model) -> bool {
    model.jobs.running().any(|j| {
        matches!(
            j.kind,
            JobKind::StartRun | JobKind::CancelRun | JobKind::ResumeRun
        )
    })
}

fn stop(model: &mut Model, id: u64) -> Vec<Effect> {
    if let Some(job) = model.jobs.get_mut(id) {
        job.stopping = true;
    }
    model.flash(
        Level::Warn,
        "stopping: nothing new starts; what is in flight finishes and is recorded",
    );
    vec![Effect::Cancel(id)]
}

/// A job's window: scroll with j/k; Esc closes it (the job goes on); x stops a running job
/// (asked first), q asks to stop it and quit; y and n answer the question.
pub fn window_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let Overlay::Job(window) = &mut model.overlay else {
        return Vec::new();
    };
    let id = window.job;
    let Some(job) = model.jobs.get(id) else {
        model.overlay = Overlay::None;
        return Vec::new();
    };
    let running = job.is_running();
    let stoppable = running && job.kind.stoppable() && !job.stopping;
    let last = job.items.len().saturating_sub(1);
    if window.stop_asked && running {
        match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                window.stop_asked = false;
                return stop(model, id);
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                window.stop_asked = false;
                window.quit_after = false;
                return vec![Effect::Release(id)];
            }
            _ => {}
        }
        return Vec::new();
    }
    let page = 10;
    match key.code {
        KeyCode::Char('j') | KeyCode::Down => window.scroll = (window.scroll + 1).min(last),
        KeyCode::Char('k') | KeyCode::Up => window.scroll = window.scroll.saturating_sub(1),
        KeyCode::Char('G') | KeyCode::End => window.scroll = last,
        KeyCode::Char('g') | KeyCode::Home => window.scroll = 0,
        KeyCode::PageDown => window.scroll = (window.scroll + page).min(last),
        KeyCode::PageUp => window.scroll = window.scroll.saturating_sub(page),
        KeyCode::Char('d') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            window.scroll = (window.scroll + page).min(last)
        }
        KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            window.scroll = window.scroll.saturating_sub(page)
        }
        KeyCode::Esc | KeyCode::Enter => {
            model.overlay = Overlay::None;
            if running {
                model.flash(
                    Level::Info,
                    "it goes on in the background: the header counts it, :jobs shows it",
                );
            }
        }
        KeyCode::Char('x') | KeyCode::Char('q') if stoppable => {
            window.stop_asked = true;
            window.quit_after = key.code == KeyCode::Char('q');
            return vec![Effect::Hold(id)];
        }
        KeyCode::Char('x') | KeyCode::Char('q') if running && job.stopping => {
            let left = job.total.saturating_sub(job.items.len());
            model.flash(
                Level::Info,
                format!("stopping: waiting for {left} in flight"),
            );
        }
        KeyCode::Char('q') => model.overlay = Overlay::None,
        _ => {}
    }
    Vec::new()
}

/// One image of a retirement settled.
pub fn retired(model: &mut Model, req: u64, outcome: RetireOutcome) -> Vec<Effect> {
    let item = JobItem {
        subject: format!("{} / {}", outcome.lab, outcome.name),
        outcome: match outcome.result {
            RetireResult::Retired => ItemOutcome::Done,
            RetireResult::Skipped(_) => ItemOutcome::Skipped,
            _ => ItemOutcome::Failed,
        },
        detail: outcome.result.detail().unwrap_or_default(),
    };
    let done = item.outcome == ItemOutcome::Done;
    if model.jobs.settle(req, item) {
        if done && let Some(job) = model.jobs.get_mut(req) {
            job.retired.push(outcome.image);
        }
        model.dirty = true;
        if matches!(model.route().view, super::super::model::View::Jobs) {
            model.rebuild_top();
        }
    }
    Vec::new()
}

/// A job ended: what needs a look first (failures, then skips), a message that stays in the
/// messages view, and a quit if one was waiting for it. Returns the retired images.
pub fn end(model: &mut Model, req: u64) -> Vec<crate::arm::ResourceId> {
    let now = model.now;
    let Some(job) = model.jobs.get_mut(req) else {
        return Vec::new();
    };
    if job.ended.is_some() {
        return Vec::new();
    }
    job.ended = Some(now);
    job.items.sort_by_key(|i| match i.outcome {
        ItemOutcome::Failed => 0,
        ItemOutcome::Skipped => 1,
        ItemOutcome::Done => 2,
    });
    let retired = std::mem::take(&mut job.retired);
    let done = job.count(ItemOutcome::Done);
    let stopped = if job.stopping { "stopped: " } else { "" };
    let (text, level) = match job.kind {
        JobKind::Retire => (
            format!(
                "{stopped}retired {done} of {}; {} not retired (see the list)",
                job.total,
                job.total - done
            ),
            if done == job.total {
                Level::Info
            } else {
                Level::Warn
            },
        ),
        // A pin's one item says it all.
        JobKind::Pin => match job.items.first() {
            Some(i) if i.outcome == ItemOutcome::Failed => (i.detail.clone(), Level::Error),
            Some(i) => (i.detail.clone(), Level::Info),
            None => (job.title.clone(), Level::Warn),
        },
        _ => {
            let failed = job.items.iter().find(|i| i.outcome == ItemOutcome::Failed);
            match failed {
                Some(f) => (format!("{}: {}", job.title, f.detail), Level::Error),
                None => (
                    format!(
                        "{}: {}",
                        job.title,
                        job.items
                            .first()
                            .map(|i| i.detail.as_str())
                            .unwrap_or("done")
                    ),
                    Level::Info,
                ),
            }
        }
    };
    if let Overlay::Job(w) = &mut model.overlay
        && w.job == req
    {
        w.stop_asked = false;
        w.scroll = 0;
        if w.quit_after {
            model.quit = true;
        }
    }
    model.flash(level, text);
    if matches!(model.route().view, super::super::model::View::Jobs) {
        model.rebuild_top();
    }
    retired
}
