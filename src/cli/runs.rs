//! `runs`, `watch`, `cancel`: the runs on this machine (from their journals) and those found
//! in Azure through their tags; following one live; stopping one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use serde::Serialize;

use super::Global;
use super::context::inventory;
use super::exit::Exit;
use super::output::{Table, print_json, report_error, report_warning};
use super::progress::Printer;
use crate::factory::builder::RunId;
use crate::factory::builder::background::{Liveness, Tail, liveness};
use crate::factory::builder::journal::{self, Event, Line, RunOutcome, RunState};
use crate::factory::builder::runner::now;
use crate::factory::tags;

#[derive(Debug, Args)]
pub struct RunsArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Only this machine's journals (no Azure reads).
    #[arg(long)]
    pub local: bool,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The run to follow (as `runs` lists it).
    pub run: String,
    /// Print the run's final state as JSON when it ends.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CancelArgs {
    /// The run to stop.
    pub run: String,
}

#[derive(Debug, Serialize)]
struct RunRow {
    run: String,
    started: String,
    by: String,
    host: String,
    state: Liveness,
    outcome: Option<RunOutcome>,
    /// How it ended, in the words the console uses (`done, labs left out`).
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'static str>,
    /// Labs it left out, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    left_out: Vec<String>,
    images: usize,
    done: usize,
    failed: usize,
    cancelled: usize,
    /// How its images stand, as the console says it.
    #[serde(skip)]
    counts: String,
    /// Only for runs found in Azure: what carries its tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    found: Option<Found>,
}

#[derive(Debug, Serialize, Default, Clone)]
struct Found {
    images: usize,
    vms: usize,
}

pub async fn runs(global: &Global, args: RunsArgs) -> Exit {
    let mut rows: Vec<RunRow> = Vec::new();
    let mut azure_unread = false;
    for (run, path) in journal::list(&journal::dir()) {
        match journal::read(&path).map(|lines| RunState::fold(&lines)) {
            Ok(Some(state)) => {
                let (done, failed, cancelled) = state.counts();
                rows.push(RunRow {
                    result: state.outcome_text(),
                    left_out: state.left_out.clone(),
                    cancelled,
                    counts: state.counts_text(),
                    run: run.to_string(),
                    started: state.started.clone(),
                    by: state.actor.clone(),
                    host: state.host.clone(),
                    state: liveness(&state),
                    outcome: state.outcome,
                    images: state.images.len(),
                    done,
                    failed,
                    found: None,
                })
            }
            Ok(None) => report_warning(&format!("{} holds no run", path.display())),
            Err(e) => report_warning(&e),
        }
    }
    if !args.local {
        let found = match inventory(global).await {
            Ok((_, inventory)) => {
                let mut found: BTreeMap<String, Found> = BTreeMap::new();
                for (_, lab) in inventory.labs() {
                    for image in &lab.images {
                        if let Some(run) = tags::get(Some(&image.tags), tags::RUN) {
                            found.entry(run.to_ascii_lowercase()).or_default().images += 1;
                        }
                    }
                    for vm in &lab.vms {
                        if let Some(run) = tags::get(Some(&vm.tags), tags::RUN) {
                            found.entry(run.to_ascii_lowercase()).or_default().vms += 1;
                        }
                    }
                }
                found
            }
            // Azure cannot be read (no endpoint, no sign-in, no network): the runs of this
            // machine are still worth showing, with what was not read said.
            Err(exit) if rows.is_empty() => return exit,
            Err(_) => {
                report_warning(
                    "Azure could not be read (see above): these are this machine's runs only; `runs --local` shows them without trying",
                );
                azure_unread = true;
                BTreeMap::new()
            }
        };
        for (run, what) in found {
            match rows.iter_mut().find(|r| r.run == run) {
                Some(row) => row.found = Some(what),
                None => rows.push(RunRow {
                    started: RunId::parse(&run)
                        .map(|r| r.to_string())
                        .unwrap_or_default(),
                    run,
                    by: "?".into(),
                    host: "?".into(),
                    state: Liveness::Elsewhere,
                    outcome: None,
                    result: None,
                    left_out: Vec::new(),
                    images: 0,
                    done: 0,
                    failed: 0,
                    cancelled: 0,
                    counts: String::new(),
                    found: Some(what),
                }),
            }
        }
    }
    rows.sort_by(|a, b| b.run.cmp(&a.run));
    // What was asked for was read in part: said, and exit 3.
    let read = if azure_unread {
        Exit::Partial
    } else {
        Exit::Ok
    };
    if args.json {
        let _ = print_json(&rows);
        return read;
    }
    if rows.is_empty() {
        say!(
            "no runs on this machine or in Azure; `imagefactory build --plan --all` shows what a run would do"
        );
        return Exit::Ok;
    }
    let mut table = Table::new(vec!["RUN", "STATE", "IMAGES", "BY", "HOST", "IN AZURE"]);
    for r in &rows {
        let state = match (r.state, r.result) {
            (Liveness::Finished, Some(words)) => words.to_string(),
            (Liveness::Stopped, _) => "stopped (resume it)".into(),
            (s, _) => format!("{s:?}").to_ascii_lowercase(),
        };
        table.row(vec![
            r.run.clone(),
            state,
            if r.images == 0 {
                "-".into()
            } else {
                r.counts.clone()
            },
            r.by.clone(),
            r.host.clone(),
            r.found
                .as_ref()
                .map(|f| format!("{} images, {} VMs", f.images, f.vms))
                .unwrap_or_default(),
        ]);
    }
    let _ = table.print();
    read
}

/// The journal of `run`, or the usage error that says why there is none.
fn journal_of(text: &str) -> Result<(RunId, PathBuf), Exit> {
    let Some(run) = RunId::parse(text) else {
        report_error(&format!(
            "`{text}` is not a run id (they look like 20261127t091500-a1b2); `imagefactory runs` lists them"
        ));
        return Err(Exit::Usage);
    };
    let path = journal::path_of(&journal::dir(), &run);
    if !path.is_file() {
        report_error(&format!(
            "no journal of run {run} on this machine ({}); `imagefactory runs` lists the runs here and in Azure",
            path.display()
        ));
        return Err(Exit::Usage);
    }
    Ok((run, path))
}

pub async fn watch(_global: &Global, args: WatchArgs) -> Exit {
    let (run, path) = match journal_of(&args.run) {
        Ok(found) => found,
        Err(exit) => return exit,
    };
    follow(&run, &path, args.json).await
}

/// Prints the run's journal so far, then each new line as it is written, until the run ends
/// (or its process is gone).
async fn follow(run: &RunId, path: &Path, json: bool) -> Exit {
    let mut printer = Printer::new(None, json);
    let mut tail = Tail::new(path);
    let mut state: Option<RunState> = None;
    let mut first = true;
    loop {
        let lines = match tail.read() {
            Ok(lines) => lines,
            Err(e) => {
                report_error(&format!("cannot read {}: {e}", path.display()));
                return Exit::Failure;
            }
        };
        for line in &lines {
            match &mut state {
                Some(s) => s.apply(line),
                None => state = RunState::begin(line),
            }
            printer.line(line);
        }
        if first {
            printer.header(path);
            first = false;
        }
        let Some(current) = &state else {
            report_error(&format!("{} does not start with a run", path.display()));
            return Exit::Failure;
        };
        if let Some(outcome) = current.outcome {
            printer.finish(json);
            return match outcome {
                // As the build itself exits: done, but not everywhere it was meant to go.
                RunOutcome::Done if !current.left_out.is_empty() => Exit::Partial,
                RunOutcome::Done => Exit::Ok,
                RunOutcome::SomeFailed => Exit::Partial,
                RunOutcome::Cancelled => Exit::Failure,
            };
        }
        if liveness(current) == Liveness::Stopped {
            printer.finish(json);
            report_error(&format!(
                "run {run} stopped before its end (its process {} is gone); `imagefactory resume {run}` finishes it",
                current.pid
            ));
            return Exit::Failure;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

pub async fn cancel(_global: &Global, args: CancelArgs) -> Exit {
    // Stopping a run makes its process delete its VM and what it made: a change, which
    // read-only mode never asks for, whoever's process would carry it out.
    let read_only = _global.read_only
        || super::context::discover(_global)
            .ok()
            .flatten()
            .is_some_and(|c| c.azure.read_only);
    if read_only {
        report_error(&format!(
            "read-only mode: refused to cancel run {}; cancelling stops its process, which deletes what the run made (nothing was signalled)",
            args.run
        ));
        return Exit::Usage;
    }
    let (run, path) = match journal_of(&args.run) {
        Ok(found) => found,
        Err(exit) => return exit,
    };
    let state = match journal::read(&path).map(|l| RunState::fold(&l)) {
        Ok(Some(state)) => state,
        Ok(None) => {
            report_error(&format!("{} does not start with a run", path.display()));
            return Exit::Failure;
        }
        Err(e) => {
            report_error(&e);
            return Exit::Failure;
        }
    };
    match liveness(&state) {
        Liveness::Finished => {
            say!("run {run} already ended; nothing to stop");
            Exit::Ok
        }
        Liveness::Elsewhere => {
            report_error(&format!(
                "run {run} runs on {}: cancel it there (`imagefactory cancel {run}`), or stop its pipeline",
                state.host
            ));
            Exit::Usage
        }
        Liveness::Running => {
            // The run's own process cleans up: it stops on SIGTERM as on Ctrl-C.
            if let Err(e) = crate::factory::builder::background::terminate(&state) {
                report_error(&format!(
                    "cannot signal process {} of run {run}: {e}",
                    state.pid
                ));
                return Exit::Failure;
            }
            say!(
                "asked process {} to stop run {run}; it cleans up what the run made",
                state.pid
            );
            follow(&run, &path, false).await;
            ended_cancelled(&run, &path)
        }
        Liveness::Stopped => {
            // Nobody runs it: this process records the cancel, then cleans up as a resume
            // would, with nothing new started.
            if let Ok(journal) = journal::Journal::open(&journal::dir(), &run) {
                let _ = journal.append(&Line {
                    at: now(),
                    event: Event::CancelAsked {
                        by: crate::factory::audit::os_user(),
                    },
                });
            }
            say!("run {run} has no process; cleaning up what it made");
            let global = _global;
            super::build::resume(
                global,
                super::build::ResumeArgs {
                    run: run.to_string(),
                    json: false,
                    taking_over: None,
                },
            )
            .await;
            ended_cancelled(&run, &path)
        }
    }
}

/// Exit 0 when the journal says the run ended, else says why not and fails: a cancel that
/// did not clean up must not look like one that did.
fn ended_cancelled(run: &RunId, path: &Path) -> Exit {
    match journal::read(path).map(|l| RunState::fold(&l)) {
        Ok(Some(state)) if state.outcome.is_some() => Exit::Ok,
        Ok(_) => {
            report_error(&format!(
                "run {run} did not end: what it made may still be there; `imagefactory clean` shows it"
            ));
            Exit::Failure
        }
        Err(e) => {
            report_error(&e);
            Exit::Failure
        }
    }
}
