//! How builds read on a terminal and in a pipeline's log: the plan, one line per step of a run
//! as it happens (the same lines for `build`, `resume` and `watch`), and a summary at the end.
//! Everything is derived from journal lines through the one fold, `RunState::apply`.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::output::{print_json, report_error};
use crate::factory::builder::BuildPlan;
use crate::factory::builder::journal::{Event, Line, RunState, Stage, TargetOutcome};

/// The plan as `build --plan --json` prints it.
#[derive(Serialize)]
pub struct PlanJson<'p> {
    run: String,
    factory: String,
    location: &'p str,
    parallelism: usize,
    runnable: bool,
    images: Vec<JobJson<'p>>,
    skipped: Vec<SkipJson<'p>>,
    errors: Vec<ErrorJson<'p>>,
}

#[derive(Serialize)]
struct JobJson<'p> {
    path: &'p str,
    vm_name: &'p str,
    vm_size: &'p str,
    base: String,
    /// The exact marketplace version built, when Compute was asked.
    base_version: Option<&'p str>,
    /// `V1` or `V2`, when Compute was asked.
    generation: Option<&'p str>,
    artifacts: Vec<String>,
    image_name: &'p str,
    definition_hash: &'p str,
    labs: Vec<&'p str>,
}

#[derive(Serialize)]
struct SkipJson<'p> {
    path: &'p str,
    lab: Option<&'p str>,
    why: &'p str,
}

#[derive(Serialize)]
struct ErrorJson<'p> {
    path: Option<&'p str>,
    message: &'p str,
}

pub fn plan_json(plan: &BuildPlan) -> PlanJson<'_> {
    PlanJson {
        run: plan.run.to_string(),
        factory: plan.factory.name.clone(),
        location: &plan.factory_location,
        parallelism: plan.parallelism,
        runnable: plan.is_runnable(),
        images: plan
            .jobs
            .iter()
            .map(|j| JobJson {
                path: j.path.as_str(),
                vm_name: &j.vm_name,
                vm_size: &j.vm_size,
                base: base_text(j),
                base_version: j.base_facts.as_ref().map(|f| f.version.as_str()),
                generation: j.base_facts.as_ref().map(|f| f.generation.as_str()),
                artifacts: j
                    .artifacts
                    .iter()
                    .map(|a| format!("{}/{}", a.source, a.name))
                    .collect(),
                image_name: &j.image_name,
                definition_hash: &j.definition_hash,
                labs: j.targets.iter().map(|t| t.lab.name.as_str()).collect(),
            })
            .collect(),
        skipped: plan
            .skipped
            .iter()
            .map(|s| SkipJson {
                path: s.path.as_str(),
                lab: s.lab.as_deref(),
                why: &s.why,
            })
            .collect(),
        errors: plan
            .errors
            .iter()
            .map(|e| ErrorJson {
                path: e.path.as_ref().map(|p| p.as_str()),
                message: &e.message,
            })
            .collect(),
    }
}

/// The base as built: `publisher/offer/sku (version)`, with the exact version `latest` stands
/// for and the generation when Compute said them.
fn base_text(job: &crate::factory::builder::ImageJob) -> String {
    let b = &job.base;
    let version = match &job.base_facts {
        Some(f) if f.version != b.version => format!(
            "{} {}, Generation {}",
            b.version,
            f.version,
            &f.generation.as_str()[1..]
        ),
        Some(f) => format!("{}, Generation {}", b.version, &f.generation.as_str()[1..]),
        None => b.version.clone(),
    };
    format!("{}/{}/{} ({version})", b.publisher, b.offer, b.sku)
}

/// Prints the plan for a person (a collapsed group in a pipeline's log).
pub fn print_plan(plan: &BuildPlan) {
    super::output::group_start(&format!("plan of run {}", plan.run));
    write_plan(plan);
    super::output::group_end();
}

fn write_plan(plan: &BuildPlan) {
    let mut out = super::output::stdout();
    let _ = writeln!(
        out,
        "run {} in factory lab {} ({}): {}, {} at once",
        plan.run,
        plan.factory.name,
        if plan.factory_location.is_empty() {
            "?"
        } else {
            &plan.factory_location
        },
        crate::human::count(plan.jobs.len(), "image"),
        plan.parallelism
    );
    for job in &plan.jobs {
        let _ = writeln!(out);
        let _ = writeln!(out, "{} → {}", job.path, job.image_name);
        let _ = writeln!(out, "  vm         {} ({})", job.vm_name, job.vm_size);
        let _ = writeln!(out, "  base       {}", base_text(job));
        let names: Vec<String> = job
            .artifacts
            .iter()
            .enumerate()
            .map(|(i, a)| {
                if i + 1 == job.artifacts.len() {
                    format!("{} (generalizes)", a.name)
                } else {
                    a.name.clone()
                }
            })
            .collect();
        let _ = writeln!(out, "  artifacts  {}", names.join(", "));
        let labs: Vec<&str> = job.targets.iter().map(|t| t.lab.name.as_str()).collect();
        let _ = writeln!(out, "  labs       {}", labs.join(", "));
    }
    if !plan.skipped.is_empty() {
        let _ = writeln!(out, "\nskipped:");
        for s in &plan.skipped {
            match &s.lab {
                Some(lab) => {
                    let _ = writeln!(out, "  {} → {lab}: {}", s.path, s.why);
                }
                None => {
                    let _ = writeln!(out, "  {}: {}", s.path, s.why);
                }
            }
        }
    }
}

/// Prints a run's lines as they come, folding them into its state.
pub struct Printer {
    state: Option<RunState>,
    /// Progress goes to stderr when stdout carries JSON.
    to_stderr: bool,
    /// The last quarter printed per copy, so a copy prints at most five lines.
    quarters: HashMap<(String, Option<String>), u8>,
}

impl Printer {
    pub fn new(state: Option<RunState>, json: bool) -> Printer {
        Printer {
            state,
            to_stderr: json,
            quarters: HashMap::new(),
        }
    }

    fn say(&self, text: &str) {
        if self.to_stderr {
            tell!("{text}");
        } else {
            say!("{text}");
        }
    }

    /// The run's id, images and journal.
    pub fn header(&self, journal: &Path) {
        if let Some(state) = &self.state {
            self.say(&format!(
                "run {}: {} in {}; journal {}",
                state.run,
                crate::human::count(state.images.len(), "image"),
                lab_name(&state.factory),
                journal.display()
            ));
        }
    }

    /// Folds `line` in and prints what it says, if it says something worth a line.
    pub fn line(&mut self, line: &Line) {
        match &mut self.state {
            Some(state) => state.apply(line),
            None => self.state = RunState::begin(line),
        }
        if let Some(text) = self.describe(line) {
            let time = line.at.get(11..19).unwrap_or("");
            self.say(&format!("{time}  {text}"));
        }
    }

    fn describe(&mut self, line: &Line) -> Option<String> {
        let label = |key: &str| {
            self.state
                .as_ref()
                .map(|s| s.label(key))
                .unwrap_or_else(|| key.to_string())
        };
        match &line.event {
            Event::Started {
                resumed: true, pid, ..
            } => Some(format!("continued by process {pid}")),
            Event::Stage { image, stage } => {
                if stage.is_final()
                    && let Some(state) = &self.state
                {
                    let ended = state.images.iter().filter(|i| i.stage.is_final()).count();
                    super::output::progress(
                        ended * 100 / state.images.len().max(1),
                        "images ended",
                    );
                }
                Some(format!("{}: {}", label(image), stage.label()))
            }
            Event::Artifacts {
                image,
                applied,
                total,
                current,
            } => current
                .as_ref()
                .map(|c| format!("{}: artifact {} of {total}: {c}", label(image), applied + 1)),
            Event::Copy {
                image,
                lab,
                percent,
            } => {
                let quarter = percent / 25;
                let name = label(image);
                let key = (image.clone(), lab.clone());
                if self.quarters.get(&key) == Some(&quarter) {
                    return None;
                }
                self.quarters.insert(key, quarter);
                let into = lab
                    .as_deref()
                    .map(|l| format!("copy to {}", lab_name(l)))
                    .unwrap_or_else(|| "capture".into());
                Some(format!("{name}: {into} {percent}%"))
            }
            Event::Target {
                image,
                lab,
                outcome,
            } => Some(match outcome {
                TargetOutcome::Done { .. } => {
                    format!("{image}: image created in {}", lab_name(lab))
                }
                TargetOutcome::Skipped { why } => {
                    format!("{image}: {} skipped: {why}", lab_name(lab))
                }
                TargetOutcome::Failed { error } => {
                    format!(
                        "{image}: {} failed: {}: {}",
                        lab_name(lab),
                        error.code,
                        super::output::azure_line(&error.message)
                    )
                }
            }),
            Event::Failed { image, error } => {
                let mut text = format!(
                    "{}: FAILED at {}: {}",
                    label(image),
                    error.stage.label(),
                    error.code
                );
                text.push_str(&format!(
                    "\n          {}",
                    super::output::azure_line(&error.message)
                ));
                for d in &error.details {
                    for l in super::output::azure_line(d).lines() {
                        text.push_str(&format!("\n          {l}"));
                    }
                }
                Some(text)
            }
            Event::CancelAsked { by } => Some(format!("cancel asked ({by}): cleaning up")),
            Event::Finished { outcome } => {
                Some(format!("run finished: {}", outcome_words(*outcome)))
            }
            _ => None,
        }
    }

    /// The summary: one line per image; with `json`, the run's state on stdout.
    pub fn finish(&self, json: bool) {
        let Some(state) = &self.state else {
            return;
        };
        if json {
            let _ = print_json(state);
            return;
        }
        print_summary(state);
    }
}

/// One line per image: where it ended and in how many labs.
pub fn print_summary(state: &RunState) {
    let mut table =
        super::output::Table::new(vec!["IMAGE", "STAGE", "LABS", "IMAGE NAME", "ERROR"]);
    for image in &state.images {
        let done = image
            .targets
            .iter()
            .filter(|t| matches!(t.outcome, Some(TargetOutcome::Done { .. })))
            .count();
        table.row(vec![
            image.path.clone(),
            image.stage.label().to_string(),
            format!("{done}/{}", image.targets.len()),
            image.image_name.clone(),
            image
                .error
                .as_ref()
                .map(|e| format!("{}: {}", e.code, e.message))
                .unwrap_or_default(),
        ]);
    }
    say!();
    let _ = table.print();
    let (done, failed, cancelled) = state.counts();
    if failed > 0 {
        for image in state.images.iter().filter(|i| i.stage == Stage::Failed) {
            if let Some(e) = &image.error {
                report_error(&format!(
                    "{} failed at {}: {}: {}{}",
                    image.path,
                    e.stage.label(),
                    e.code,
                    e.message,
                    e.details
                        .first()
                        .map(|d| format!(" — {}", d.lines().next().unwrap_or_default()))
                        .unwrap_or_default()
                ));
            }
        }
    }
    say!(
        "\n{done} done, {failed} failed, {cancelled} cancelled of {}",
        state.images.len()
    );
    for left in &state.left_out {
        super::output::report_warning(&format!("left out: {left}"));
    }
}

/// How a run ended, in words.
pub fn outcome_words(outcome: crate::factory::builder::journal::RunOutcome) -> &'static str {
    use crate::factory::builder::journal::RunOutcome;
    match outcome {
        RunOutcome::Done => "done",
        RunOutcome::SomeFailed => "some images failed",
        RunOutcome::Cancelled => "cancelled",
    }
}

/// A lab's name from its id (or the text itself).
pub fn lab_name(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

/// How far reading the inventory has got, on stderr: a bar on a terminal; elsewhere (a
/// pipeline's log, asked for with `--progress`) a plain line at each tenth of the labs.
pub enum InventoryProgress {
    Bar(indicatif::ProgressBar),
    Lines {
        listed: std::sync::atomic::AtomicU64,
        read: std::sync::atomic::AtomicU64,
    },
}

impl InventoryProgress {
    pub fn new() -> InventoryProgress {
        if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(0),
                indicatif::ProgressDrawTarget::stderr_with_hz(4),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template("reading labs {pos}/{len} {wide_msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            InventoryProgress::Bar(bar)
        } else {
            InventoryProgress::Lines {
                listed: 0.into(),
                read: 0.into(),
            }
        }
    }

    /// One part of a reading.
    pub fn step(&self, part: &crate::factory::inventory::Reading) {
        use crate::factory::inventory::Reading;
        use std::sync::atomic::Ordering::Relaxed;
        match (self, part) {
            (InventoryProgress::Bar(bar), Reading::Listed(sub)) => {
                bar.inc_length(sub.labs.len() as u64);
                bar.set_message(format!("(listed {})", crate::inert::cell(&sub.name)));
            }
            (InventoryProgress::Bar(bar), Reading::Lab(lab, _)) => {
                bar.inc(1);
                bar.set_message(crate::inert::cell(&lab.name));
            }
            (InventoryProgress::Bar(bar), Reading::Failed(problem)) => bar.set_message(format!(
                "{} could not be read",
                crate::inert::cell(&problem.name)
            )),
            (InventoryProgress::Lines { listed, .. }, Reading::Listed(sub)) => {
                listed.fetch_add(sub.labs.len() as u64, Relaxed);
            }
            (InventoryProgress::Lines { listed, read }, Reading::Lab(..)) => {
                let read = read.fetch_add(1, Relaxed) + 1;
                let listed = listed.load(Relaxed).max(1);
                if read * 10 / listed != (read - 1) * 10 / listed {
                    tell!("read {read} of {listed} labs");
                }
            }
            (InventoryProgress::Lines { .. }, Reading::Failed(problem)) => {
                tell!("reading labs: {} could not be read", problem.name)
            }
            (_, Reading::Subscriptions(_)) => {}
        }
    }

    pub fn finish(self) {
        if let InventoryProgress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
