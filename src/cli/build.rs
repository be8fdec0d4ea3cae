//! `build`: plan a run (`--plan` shows it), then run it here or in the background
//! (`--detach`), and `resume`: finish a run whose process died, from its journal.

use std::sync::Arc;

use clap::Args;
use tokio::sync::watch;

use super::Global;
use super::context::Context;
use super::exit::Exit;
use super::output::{print_json, report_error, report_warning};
use super::progress::Printer;
use crate::config::{FactoryConfig, ImagePath};
use crate::factory::audit::Actor;
use crate::factory::builder::background::{self, actor_name, host_name, started_here};
use crate::factory::builder::journal::{self, Event, Journal, RunOutcome, RunState};
use crate::factory::builder::runner::{self, Recorder, Sink};
use crate::factory::builder::{BuildPlan, RunId, Selection, offer, plan, resume};

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Image paths to build (as under images/, e.g. win2022/base).
    #[arg(value_name = "IMAGE_PATH")]
    pub paths: Vec<String>,
    /// Build every image definition.
    #[arg(long, conflicts_with = "paths")]
    pub all: bool,
    /// Show what the run would do, and create nothing.
    #[arg(long)]
    pub plan: bool,
    /// Print the plan or the run's final state as JSON on stdout (progress goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// Run in the background, in a process that outlives this terminal and SSH session.
    #[arg(long, conflicts_with = "plan")]
    pub detach: bool,
}

#[derive(Debug, Args, Clone)]
pub struct ResumeArgs {
    /// The run to finish (as `runs` lists it).
    pub run: String,
    /// Print the run's final state as JSON.
    #[arg(long)]
    pub json: bool,
    /// The process that started the run and hands it over (`build --detach`): it may still be
    /// exiting, and does not count as running it.
    #[arg(long, hide = true, value_name = "PID")]
    pub taking_over: Option<u32>,
}

pub async fn run(global: &Global, args: BuildArgs) -> Exit {
    let selection = if args.all {
        Selection::All
    } else if args.paths.is_empty() {
        report_error(
            "say what to build: `imagefactory build --all`, or `imagefactory build IMAGE_PATH...` (`--plan` first shows what it would do)",
        );
        return Exit::Usage;
    } else {
        Selection::Paths(args.paths.iter().map(|p| ImagePath::new(p)).collect())
    };
    if args.detach && global.demo {
        report_error(
            "--detach cannot be used with --demo: the demo's emulator lives in this process. Start `imagefactory sim` and point the build at it instead",
        );
        return Exit::Usage;
    }
    let (context, config) = match super::context::with_config(
        global,
        "build needs a factory configuration (factory.toml with [factory] and images/)",
    ) {
        Ok(found) => found,
        Err(exit) => return exit,
    };
    let plan = match make_plan(&context, &config, &selection).await {
        Ok(plan) => plan,
        Err(exit) => return exit,
    };
    if args.plan || !plan.is_runnable() {
        return show_plan(&plan, args.json);
    }
    let actor = Actor::current(&context.client).await;
    let dir = journal::dir();
    let journal = match Journal::open(&dir, &plan.run) {
        Ok(j) => j,
        Err(e) => {
            report_error(&format!(
                "cannot write the run journal in {}: {e}; nothing was created",
                dir.display()
            ));
            return Exit::Failure;
        }
    };
    let started = started_here(&plan, &actor, false);
    if super::output::in_pipeline() {
        // A pipeline's log keeps what the run set out to do, folded away.
        super::progress::print_plan(&plan);
    }
    let refused: Vec<String> = plan
        .skipped
        .iter()
        .filter(|s| s.refused)
        .map(|s| match &s.lab {
            Some(lab) => format!("{} will not reach {lab}: {}", s.path, s.why),
            None => format!("{} is not built: {}", s.path, s.why),
        })
        .collect();
    for r in &refused {
        report_warning(r);
    }
    if args.detach {
        Recorder::new(journal, None).emit(started);
        return detach(global, &plan.run, args.json);
    }
    let exit = execute(
        &context,
        &config,
        &plan,
        journal,
        Some(started),
        None,
        &actor,
        args.json,
    )
    .await;
    if exit == Exit::Ok && !refused.is_empty() {
        // Every image was made, but not everywhere it was meant to go.
        return Exit::Partial;
    }
    exit
}

pub async fn resume(global: &Global, args: ResumeArgs) -> Exit {
    let Some(run) = RunId::parse(&args.run) else {
        report_error(&format!(
            "`{}` is not a run id (they look like 20261127t091500-a1b2); `imagefactory runs` lists them",
            args.run
        ));
        return Exit::Usage;
    };
    let dir = journal::dir();
    let path = journal::path_of(&dir, &run);
    let lines = match journal::read(&path) {
        Ok(lines) => lines,
        Err(e) => {
            report_error(&format!(
                "{e}; `imagefactory runs` lists the runs on this machine"
            ));
            return Exit::Usage;
        }
    };
    let Some(state) = RunState::fold(&lines) else {
        report_error(&format!("{} does not start with a run", path.display()));
        return Exit::Failure;
    };
    if let Some(outcome) = state.outcome {
        // A run ends once: what failed or was cancelled is built again by a new run.
        let again: Vec<&str> = state
            .images
            .iter()
            .filter(|i| matches!(i.stage, journal::Stage::Failed | journal::Stage::Cancelled))
            .map(|i| i.path.as_str())
            .collect();
        let hint = if again.is_empty() {
            String::new()
        } else {
            format!(
                "; `imagefactory build {}` builds what it did not finish again",
                again.join(" ")
            )
        };
        tell!(
            "run {run} already finished ({}); nothing to resume{hint}",
            state.outcome_text().unwrap_or_default()
        );
        return outcome_exit(outcome);
    }
    if state.host == host_name()
        && state.pid != std::process::id()
        && Some(state.pid) != args.taking_over
        && background::runs_it(&state)
    {
        report_error(&format!(
            "run {run} is running in process {} on this machine; follow it with `imagefactory watch {run}`",
            state.pid
        ));
        return Exit::Usage;
    }
    let (context, config) = match super::context::with_config(
        global,
        "resume needs the factory configuration the run was started with",
    ) {
        Ok(found) => found,
        Err(exit) => return exit,
    };
    let plan = match resume::plan_of(&state, &config) {
        Ok(plan) => plan,
        Err(e) => {
            report_error(&e);
            return Exit::Failure;
        }
    };
    let journal = match Journal::open(&dir, &run) {
        Ok(j) => j,
        Err(e) => {
            report_error(&format!(
                "cannot write the run journal {}: {e}",
                path.display()
            ));
            return Exit::Failure;
        }
    };
    let actor = Actor::current(&context.client).await;
    let started = started_here(&plan, &actor, true);
    let cancelled = state.cancel_asked.is_some();
    execute(
        &context,
        &config,
        &plan,
        journal,
        Some(started),
        Some((state, cancelled)),
        &actor,
        args.json,
    )
    .await
}

/// Plans a run of `selection`: the inventory of the configured labs, what the factory lab
/// offers, then the pure planner.
async fn make_plan(
    context: &Context,
    config: &FactoryConfig,
    selection: &Selection,
) -> Result<BuildPlan, Exit> {
    let inventory = super::context::read_inventory(context).await?;
    super::output::report_problems(&inventory.problems);
    let offer = offer::read(
        &context.client,
        &config.factory,
        &inventory,
        &config.bases(),
    )
    .await
    .map_err(|e| {
        report_error(&format!(
            "cannot read what the factory lab {} offers: {e}",
            config.factory.name
        ));
        Exit::Failure
    })?;
    let run = RunId::new(time::OffsetDateTime::now_utc(), rand::random());
    Ok(plan(config, &inventory, &offer, selection, run))
}

/// Prints the plan; exits 1 when it has errors (nothing was created).
fn show_plan(plan: &BuildPlan, json: bool) -> Exit {
    if json {
        let _ = print_json(&super::progress::plan_json(plan));
    } else {
        super::progress::print_plan(plan);
    }
    for e in &plan.errors {
        let at = e
            .path
            .as_ref()
            .map(|p| format!("{p}: "))
            .unwrap_or_default();
        report_error(&format!("{at}{}", e.message));
    }
    if !plan.errors.is_empty() {
        report_error(&format!(
            "the plan has {}; nothing was created",
            crate::human::count(plan.errors.len(), "error")
        ));
        return Exit::Failure;
    }
    if plan.jobs.is_empty() {
        report_warning("nothing to build: no selected image has a lab that receives it");
    }
    Exit::Ok
}

/// Runs `plan` in this process, printing progress, until it ends or is cancelled. `started`
/// is the line that says this process runs it, when the journal does not say so already.
#[allow(clippy::too_many_arguments)]
pub(super) async fn execute(
    context: &Context,
    _config: &FactoryConfig,
    plan: &BuildPlan,
    journal: Journal,
    started: Option<Event>,
    from: Option<(RunState, bool)>,
    actor: &Actor,
    json: bool,
) -> Exit {
    let path = journal.path().to_path_buf();
    let (live_tx, mut live_rx) = tokio::sync::mpsc::unbounded_channel();
    let recorder: Arc<Recorder> = Arc::new(Recorder::new(journal, Some(live_tx)));
    let (cancel_tx, cancel_rx) = watch::channel(from.as_ref().is_some_and(|(_, c)| *c));
    let (from_state, _) = from.map_or((None, false), |(s, c)| (Some(s), c));
    if let Some(started) = started {
        recorder.emit(started);
    }
    // The fold starts from what the journal says so far, so the printer sees the whole run.
    let lines = journal::read(&path).unwrap_or_default();
    let mut printer = Printer::new(RunState::fold(&lines), json);
    while let Ok(line) = live_rx.try_recv() {
        let _ = line;
    }
    printer.header(&path);
    let interrupt = {
        let recorder = recorder.clone();
        tokio::spawn(async move {
            super::context::interrupted().await;
            tell!(
                "stopping: nothing new starts; cleaning up what the run made (this takes a few minutes in Azure)"
            );
            recorder.emit(Event::CancelAsked {
                by: "signal".into(),
            });
            let _ = cancel_tx.send(true);
            // A second one ends the process now, whatever the clean-up is waiting for (an
            // endpoint gone for good): the journal says what is left, `clean` removes it.
            super::context::interrupted().await;
            tell!(
                "stopped before the clean-up ended: `imagefactory clean` shows what the run left"
            );
            std::process::exit(super::exit::Exit::Failure.code().into());
        })
    };
    let ctx = Arc::new(runner::Context {
        client: context.client.clone(),
        settings: _config.build.clone(),
        author: actor_name(actor),
        cancel: cancel_rx,
    });
    let sink: Arc<dyn Sink> = recorder.clone();
    let work = runner::run(ctx, plan, sink, from_state);
    tokio::pin!(work);
    let outcome = loop {
        tokio::select! {
            outcome = &mut work => break outcome,
            Some(line) = live_rx.recv() => printer.line(&line),
        }
    };
    while let Ok(line) = live_rx.try_recv() {
        printer.line(&line);
    }
    interrupt.abort();
    printer.finish(json);
    outcome_exit(outcome)
}

fn outcome_exit(outcome: RunOutcome) -> Exit {
    match outcome {
        RunOutcome::Done => Exit::Ok,
        RunOutcome::SomeFailed => Exit::Partial,
        RunOutcome::Cancelled => Exit::Failure,
    }
}

/// Starts `imagefactory resume RUN` in a new session, detached from this terminal, and says
/// how to follow it.
fn detach(global: &Global, run: &RunId, json: bool) -> Exit {
    let log = journal::dir().join(format!("{run}.log"));
    let pid = std::process::id().to_string();
    let args = global
        .invocation()
        .args(&["resume", run.as_str(), "--taking-over", &pid]);
    match background::spawn_detached(&args, &log) {
        Ok(pid) if json => {
            let journal = journal::path_of(&journal::dir(), run);
            let said = serde_json::json!({
                "run": run.as_str(),
                "pid": pid,
                "journal": journal,
                "log": log,
            });
            match super::output::print_json(&said) {
                Ok(()) => Exit::Ok,
                Err(e) => {
                    report_error(&e.to_string());
                    Exit::Failure
                }
            }
        }
        Ok(pid) => {
            say!("run {run} started in the background (process {pid})");
            say!("  follow it:  imagefactory watch {run}");
            // `cancel` of a run whose process died cleans up itself: it needs the configuration.
            let config = global
                .config
                .as_ref()
                .map(|c| format!(" --config {}", c.display()))
                .unwrap_or_default();
            say!("  stop it:    imagefactory{config} cancel {run}");
            say!("  its log:    {}", log.display());
            Exit::Ok
        }
        Err(e) => {
            report_error(&format!(
                "cannot start the background run: {e}; run `imagefactory resume {run}` to run it here"
            ));
            Exit::Failure
        }
    }
}
