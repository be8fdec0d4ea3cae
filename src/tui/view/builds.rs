//! The run views: every run (newest first), one run (a row per image with its stage, the
//! time in it, its progress, and a bar per target lab while it distributes), and the jobs of
//! this console.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::model::{
    Model, Row, RunEntry, View, clock, copy_left, in_stage, run_counts, stage_timeline,
};
use super::super::theme::Theme;
use super::super::widget::table::{self, Column, VisibleRow};
use super::chrome::title;
use super::lists::{empty, visible};
use crate::factory::builder::background::Liveness;
use crate::factory::builder::journal::{ImageState, RunOutcome, RunState, Stage, TargetOutcome};
use crate::human::duration;

/// A percentage as a bar of `width` cells and the number: `██████░░░░  60%`.
pub fn bar(percent: u8, width: usize) -> String {
    let full = (usize::from(percent.min(100)) * width)
        .div_ceil(100)
        .min(width);
    let full = if percent < 100 {
        full.min(width - 1)
    } else {
        full
    };
    format!(
        "{}{} {percent:>3}%",
        "█".repeat(full),
        "░".repeat(width - full)
    )
}

/// What a run's state reads as, and its style.
fn run_state(theme: &Theme, entry: &RunEntry) -> (String, Style) {
    let Some(state) = &entry.state else {
        return ("in Azure only".into(), theme.dim);
    };
    let words = || state.outcome_text().unwrap_or_default().to_string();
    match (state.outcome, entry.liveness) {
        (Some(RunOutcome::Done), _) if !state.left_out.is_empty() => (words(), theme.flash_warn),
        (Some(RunOutcome::Done), _) => (words(), theme.flash_info),
        (Some(RunOutcome::SomeFailed), _) => (words(), theme.flash_error),
        (Some(RunOutcome::Cancelled), _) => (words(), theme.flash_warn),
        (None, Liveness::Stopped) => ("stopped (r resumes)".into(), theme.flash_error),
        (None, Liveness::Elsewhere) => (format!("on {}", state.host), theme.text),
        (None, _) if state.cancel_asked.is_some() => ("cancelling".into(), theme.flash_warn),
        (None, _) => ("running".into(), theme.heading),
    }
}

/// How long a run took, or has been going.
fn run_took(model: &Model, entry: &RunEntry, state: &RunState) -> String {
    let start = super::super::model::run_lines::at(&state.started);
    let end = Some(clock(state, entry.is_live(), model.now));
    match (start, end) {
        (Some(a), Some(b)) if b > a => duration((b - a).try_into().unwrap_or_default()),
        _ => "-".into(),
    }
}

/// Every run, newest first.
pub fn runs(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    if model.route().rows.is_empty() && model.route().filter.is_none() {
        let why = if model.runs.listed {
            "no runs on this machine or in Azure yet: 5 lists the definitions, b builds them (the plan first)"
        } else {
            "reading the run journals…"
        };
        return empty(model, theme, frame, area, "Builds", why);
    }
    let wide = area.width >= 100;
    // What tells runs apart and how they went first; who and where when there is room.
    let mut columns = vec![
        Column::key("RUN", 20),
        Column::fixed("STATE", 19),
        Column::fixed("IMAGES", 22),
        Column::fixed("STARTED", 8),
        Column::fill("BY", 10),
    ];
    if wide {
        columns.push(Column::fixed("TOOK", 6));
        columns.push(Column::fixed("HOST", 12));
        columns.push(Column::fixed("IN AZURE", 16));
    }
    let (rows, selected) = visible(model, area);
    let rows = rows
        .iter()
        .filter_map(|row| {
            let Row::Run(r) = *row else { return None };
            let entry = &model.runs.entries[r];
            let (state_text, style) = run_state(theme, entry);
            let (images, started, took, by, host) = match &entry.state {
                Some(s) => (
                    run_counts(s),
                    super::super::model::run_lines::at(&s.started)
                        .map(|t| crate::human::age(Some(t), model.now) + " ago")
                        .unwrap_or_default(),
                    run_took(model, entry, s),
                    s.actor.clone(),
                    s.host.clone(),
                ),
                None => (
                    "-".into(),
                    String::new(),
                    "-".into(),
                    "?".into(),
                    "?".into(),
                ),
            };
            let mut cells = vec![
                Line::from(entry.id.clone()),
                Line::from(Span::styled(state_text, style)),
                Line::from(images),
                Line::from(started),
                Line::from(by),
            ];
            if wide {
                cells.push(Line::from(took));
                cells.push(Line::from(host));
                cells.push(Line::from(
                    entry
                        .in_azure
                        .map(|(i, v)| format!("{i} images, {v} VMs"))
                        .unwrap_or_default(),
                ));
            }
            Some(VisibleRow::plain(cells))
        })
        .collect();
    table::draw(
        frame,
        area,
        title(model, theme, "Builds", model.route().rows.len()),
        &columns,
        rows,
        selected,
        theme,
    );
}

/// The style of a stage.
fn stage_style(theme: &Theme, stage: Stage) -> Style {
    match stage {
        Stage::Done => theme.flash_info,
        Stage::Failed => theme.flash_error,
        Stage::Cancelled => theme.flash_warn,
        Stage::Queued => theme.dim,
        _ => theme.heading,
    }
}

/// What an image row says about its progress.
fn image_progress(image: &ImageState) -> String {
    match image.stage {
        Stage::ApplyingArtifacts | Stage::CreatingVm => match &image.artifacts {
            Some((applied, total, Some(current))) => {
                format!("{applied}/{total} artifacts, {current}")
            }
            Some((applied, total, None)) => format!("{applied}/{total} artifacts"),
            None => String::new(),
        },
        Stage::Capturing => image.capture.map(|p| bar(p, 10)).unwrap_or_default(),
        Stage::Distributing | Stage::CleaningUp | Stage::Done => {
            let done = image
                .targets
                .iter()
                .filter(|t| matches!(t.outcome, Some(TargetOutcome::Done { .. })))
                .count();
            format!(
                "{done} of {}",
                crate::human::count(image.targets.len(), "lab")
            )
        }
        // The failing thing's own words first: what on-call reads before opening it.
        Stage::Failed => image
            .error
            .as_ref()
            .map(|e| match e.details.first() {
                // The artifact's summary; its output is in the Run image view.
                Some(d) => match d.split_once('\n') {
                    Some((first, _)) => format!("{first} …"),
                    None => d.clone(),
                },
                None => format!("{}: {}", e.code, e.message),
            })
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// The short names of stages, for the timeline column.
fn short(stage: Stage) -> &'static str {
    match stage {
        Stage::Queued => "queue",
        Stage::CreatingVm => "vm",
        Stage::ApplyingArtifacts => "artifacts",
        Stage::Generalizing => "generalize",
        Stage::Deallocated => "deallocated",
        Stage::Capturing => "capture",
        Stage::Distributing => "distribute",
        Stage::CleaningUp => "clean up",
        Stage::Done | Stage::Failed | Stage::Cancelled => "",
    }
}

/// One run: what it is, then a row per image and a row per target lab while it distributes.
pub fn run(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let View::Run { run } = &model.route().view else {
        return;
    };
    let Some(entry) = model.runs.get(run) else {
        return empty(
            model,
            theme,
            frame,
            area,
            "Run",
            "waiting for the run's journal…",
        );
    };
    let Some(state) = &entry.state else {
        let (images, vms) = entry.in_azure.unwrap_or_default();
        let why = format!(
            "run {run} has no journal on this machine: it was started elsewhere (another jump box or a pipeline). Azure holds {images} images and {vms} VMs with its tag; 1 and 2 show them."
        );
        return empty(model, theme, frame, area, "Run", &why);
    };
    let [summary, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let now = clock(state, entry.is_live(), model.now);
    let (state_text, style) = run_state(theme, entry);
    let mut spans = vec![
        Span::styled(format!(" {state_text}"), style),
        Span::styled(format!(" · {}", run_counts(state)), theme.text),
        Span::styled(format!(" · {}", run_took(model, entry, state)), theme.text),
        Span::styled(
            format!(" · by {} on {}", state.actor, state.host),
            theme.dim,
        ),
    ];
    let left = state
        .images
        .iter()
        .filter(|i| !i.stage.is_final())
        .map(|i| copy_left(i, now))
        .collect::<Option<Vec<_>>>()
        .and_then(|l| l.into_iter().max());
    if let (Some(left), None) = (left, state.outcome) {
        spans.push(Span::styled(
            format!(" · about {} left", duration(left)),
            theme.text,
        ));
    }
    if let Some(by) = &state.cancel_asked {
        spans.push(Span::styled(
            format!(" · cancel asked by {by}"),
            theme.flash_warn,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), summary);

    let wide = area.width >= 110;
    let mut columns = vec![
        Column::fixed("IMAGE", 22),
        Column::fixed("STAGE", 12),
        Column::fixed("IN STAGE", 8),
        // What is happening now, or the failing thing's words, before the timeline.
        Column::fixed("PROGRESS", 24),
    ];
    if wide {
        columns.push(Column::fill("TIMELINE", 20));
    }
    let (rows, selected) = visible(model, body);
    let rows = rows
        .iter()
        .filter_map(|row| match *row {
            Row::RunImage(i) => {
                let image = &state.images[i];
                let in_stage = if image.stage.is_final() {
                    String::new()
                } else {
                    duration(in_stage(image, now))
                };
                let mut cells = vec![
                    Line::from(state.label(&image.image_name)),
                    Line::from(Span::styled(
                        image.stage.label(),
                        stage_style(theme, image.stage),
                    )),
                    Line::from(in_stage),
                    // The whole text is one Enter away; the timeline keeps some room.
                    Line::from(super::ellipsis(&image_progress(image), 48)),
                ];
                if wide {
                    let timeline: Vec<String> = stage_timeline(image, now)
                        .into_iter()
                        .filter(|(s, _)| !short(*s).is_empty())
                        .map(|(s, d)| format!("{} {}", short(s), duration(d)))
                        .collect();
                    cells.push(Line::from(Span::styled(timeline.join(" · "), theme.dim)));
                }
                Some(VisibleRow::plain(cells))
            }
            Row::RunTarget(i, t) => {
                let target = &state.images[i].targets[t];
                let name = crate::arm::ResourceId::new(&target.lab).name().to_string();
                let (what, style, progress) = match &target.outcome {
                    Some(TargetOutcome::Done { .. }) => ("done", theme.flash_info, bar(100, 10)),
                    Some(TargetOutcome::Skipped { why }) => {
                        ("skipped", theme.flash_warn, why.clone())
                    }
                    Some(TargetOutcome::Failed { error }) => (
                        "failed",
                        theme.flash_error,
                        format!("{}: {}", error.code, error.message),
                    ),
                    None => match target.percent {
                        Some(100) => ("creating image", theme.heading, bar(100, 10)),
                        Some(p) => ("copying", theme.heading, bar(p, 10)),
                        None if state.images[i].stage.is_final() => {
                            ("not reached", theme.dim, String::new())
                        }
                        None => ("waiting", theme.dim, String::new()),
                    },
                };
                let mut cells = vec![
                    Line::from(Span::styled(format!("  └ {name}"), theme.dim)),
                    Line::from(Span::styled(what, style)),
                    Line::from(""),
                    Line::from(progress),
                ];
                if wide {
                    cells.push(Line::from(""));
                }
                Some(VisibleRow::plain(cells))
            }
            _ => None,
        })
        .collect();
    table::draw(
        frame,
        body,
        title(model, theme, &format!("Run {run}"), state.images.len()),
        &columns,
        rows,
        selected,
        theme,
    );
}

/// This console's jobs, newest first.
pub fn jobs(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    if model.route().rows.is_empty() && model.route().filter.is_none() {
        return empty(
            model,
            theme,
            frame,
            area,
            "Jobs",
            "no jobs yet: retirements, pins and the runs this console starts show here",
        );
    }
    let columns = vec![
        Column::fixed("KIND", 10),
        Column::fill("WHAT", 24),
        Column::fixed("STATE", 18),
        Column::fixed("STARTED", 8),
    ];
    let (rows, selected) = visible(model, area);
    let rows = rows
        .iter()
        .filter_map(|row| {
            let Row::Job(j) = *row else { return None };
            let job = &model.jobs.list[j];
            let style = if job.is_running() {
                theme.heading
            } else if job.count(super::super::model::ItemOutcome::Failed) > 0 {
                theme.flash_error
            } else {
                theme.flash_info
            };
            Some(VisibleRow::plain(vec![
                Line::from(job.kind.label()),
                Line::from(job.title.clone()),
                Line::from(Span::styled(job.progress(), style)),
                Line::from(crate::human::age(Some(job.started), model.now) + " ago"),
            ]))
        })
        .collect();
    table::draw(
        frame,
        area,
        title(model, theme, "Jobs", model.route().rows.len()),
        &columns,
        rows,
        selected,
        theme,
    );
}
