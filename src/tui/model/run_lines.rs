//! What the run views say about an image: the time spent in each stage, an estimate of what
//! is left, and the lines of an image's detail (the failing step, the ARM error, each
//! artifact's own words, the VM, and what the run removed or kept). Pure.

use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::detail::{DetailKind, DetailLine, line};
use super::{Model, View};
use crate::factory::builder::journal::{ImageState, Resource, RunState, Stage, TargetOutcome};
use crate::human::duration;

/// A journal time.
pub fn at(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// Each stage the image went through and how long it spent there (the current one up to
/// `now`: the run's clock, which stands still for a run that is not going, see `clock`).
pub fn stage_timeline(image: &ImageState, now: OffsetDateTime) -> Vec<(Stage, Duration)> {
    let end = if image.stage.is_final() {
        None
    } else {
        Some(now)
    };
    let mut out = Vec::with_capacity(image.history.len());
    for (i, (stage, since)) in image.history.iter().enumerate() {
        let until = match image.history.get(i + 1) {
            Some((_, next)) => at(next),
            None if stage.is_final() => continue,
            None => end,
        };
        let spent = match (at(since), until) {
            (Some(a), Some(b)) if b > a => (b - a).try_into().unwrap_or_default(),
            _ => Duration::ZERO,
        };
        out.push((*stage, spent));
    }
    out
}

/// The time a run's views count to: now while it goes; its last line's time once it has ended
/// or its process is gone (its clocks stand still, rather than count a stopped run's wait).
pub fn clock(state: &RunState, live: bool, now: OffsetDateTime) -> OffsetDateTime {
    if live {
        now
    } else {
        at(&state.updated).unwrap_or(now)
    }
}

/// How long the image has been in its stage.
pub fn in_stage(image: &ImageState, now: OffsetDateTime) -> Duration {
    at(&image.since)
        .filter(|s| now > *s)
        .and_then(|s| (now - s).try_into().ok())
        .unwrap_or_default()
}

/// What is left of the image's copies: each copy's pace from the start of its stage to when
/// its percent was last said, less the time since (none before a copy has moved).
pub fn copy_left(image: &ImageState, now: OffsetDateTime) -> Option<Duration> {
    let copies: Vec<(u8, &Option<String>)> = match image.stage {
        Stage::Capturing => vec![(image.capture?, &image.capture_at)],
        Stage::Distributing => image
            .targets
            .iter()
            .filter(|t| t.outcome.is_none())
            .map(|t| (t.percent.unwrap_or(0), &t.percent_at))
            .collect(),
        _ => return None,
    };
    let since = at(&image.since)?;
    let mut left = Duration::ZERO;
    for (percent, said) in copies {
        if percent >= 100 {
            continue;
        }
        let said = said.as_deref().and_then(at)?;
        if percent == 0 || said <= since {
            return None;
        }
        let took = (said - since).as_seconds_f64();
        let whole = took * 100.0 / f64::from(percent);
        let remaining = whole - took - (now - said).as_seconds_f64();
        // Past its pace: no estimate, rather than "about 0s left" for as long as it takes.
        if remaining <= 0.0 {
            return None;
        }
        left = left.max(Duration::from_secs_f64(remaining));
    }
    Some(left)
}

/// What a run's row says about its progress: `2 done, 1 failed of 5`.
pub fn run_counts(state: &RunState) -> String {
    state.counts_text()
}

/// A field whose name may be a stage's (`applying artifacts`): a wider name column.
fn field(name: &str, value: impl std::fmt::Display) -> DetailLine {
    line(DetailKind::Field, format!("{name:<19} {value}"))
}

/// The image of a run that a `RunImage` view shows.
pub fn shown_image<'m>(
    model: &'m Model,
    run: &str,
    image: &str,
) -> Option<(&'m RunState, &'m ImageState)> {
    let state = model.runs.get(run)?.state.as_ref()?;
    let image = state.images.iter().find(|i| i.image_name == image)?;
    Some((state, image))
}

/// The lines of the view of one image of a run, when that view is on top.
pub fn run_image_lines(model: &Model) -> Vec<DetailLine> {
    let Some(View::RunImage { run, image }) = model.routes.last().map(|r| &r.view) else {
        return Vec::new();
    };
    lines_of_run_image(model, run, image)
}

/// The lines of the view of `image` of `run` (its rows are built while its route is off the
/// stack: it is named, not looked up on top).
pub fn lines_of_run_image(model: &Model, run: &str, image: &str) -> Vec<DetailLine> {
    let Some((state, image)) = shown_image(model, run, image) else {
        return vec![line(
            DetailKind::Note,
            format!("{image} is not in the journal of run {run}"),
        )];
    };
    let mut out = vec![line(
        DetailKind::Heading,
        format!("{} in run {}", image.path, state.run),
    )];
    out.push(field("Stage", image.stage.label()));
    out.push(field("Image name", &image.image_name));
    out.push(field("Build VM", &image.vm_name));
    if let Some(error) = &image.error {
        out.push(line(
            DetailKind::Heading,
            format!("Failed at {}", error.stage.label()),
        ));
        out.push(field("Error", &error.code));
        out.push(field("Message", &error.message));
        // An artifact's words: its summary, then its script's output line by line, indented.
        for d in &error.details {
            let mut lines = d.lines();
            if let Some(first) = lines.next() {
                out.push(line(DetailKind::Field, format!("  {first}")));
            }
            for more in lines {
                out.push(line(DetailKind::Field, format!("      {more}")));
            }
        }
    }
    out.push(line(DetailKind::Heading, "Stages"));
    let live = model.runs.get(run).is_some_and(|e| e.is_live());
    for (stage, spent) in stage_timeline(image, clock(state, live, model.now)) {
        out.push(field(stage.label(), duration(spent)));
    }
    if let Some((applied, total, current)) = &image.artifacts {
        let now = current
            .as_ref()
            .map(|c| format!(", applying {c}"))
            .unwrap_or_default();
        out.push(field(
            "Artifacts",
            format!("{applied} of {total} applied{now}"),
        ));
    }
    if let Some(p) = image.capture {
        out.push(field("Capture", format!("{p}%")));
    }
    out.push(line(DetailKind::Heading, "Target labs"));
    if image.targets.is_empty() {
        out.push(line(DetailKind::Note, "(none)"));
    }
    for t in &image.targets {
        let name = crate::arm::ResourceId::new(&t.lab).name().to_string();
        let how = match &t.outcome {
            Some(TargetOutcome::Done { .. }) => "done: the image is there".to_string(),
            Some(TargetOutcome::Skipped { why }) => format!("skipped: {why}"),
            Some(TargetOutcome::Failed { error }) => {
                format!("failed: {}: {}", error.code, error.message)
            }
            None => match t.percent {
                Some(100) => "copied; creating the image".into(),
                Some(p) => format!("copying {p}%"),
                None if image.stage.is_final() => "not reached".into(),
                None => "waiting".into(),
            },
        };
        out.push(field(&name, how));
    }
    if !state.left_out.is_empty() {
        out.push(line(DetailKind::Heading, "Left out of the run"));
        for l in &state.left_out {
            out.push(line(DetailKind::Field, format!("  {l}")));
        }
    }
    out.push(line(
        DetailKind::Heading,
        "What the run made and still holds",
    ));
    let vm = image.resources.iter().find_map(|r| match r {
        Resource::Vm { id } => Some(id.clone()),
        _ => None,
    });
    if image.resources.is_empty() {
        let note = if image.stage.is_final() {
            "nothing: everything it made was removed (the images in target labs stay)"
        } else {
            "nothing yet"
        };
        out.push(line(DetailKind::Note, note));
    }
    for r in &image.resources {
        let text = match r {
            Resource::Vm { id } => format!("build VM {id}"),
            Resource::DiskAccess { id } => format!("read access to disk {id}"),
            Resource::CatalogueBlob { url } => format!("catalogue VHD {url}"),
            Resource::StagingBlob { lab, url } => format!(
                "staging VHD in {}: {url}",
                crate::arm::ResourceId::new(lab).name()
            ),
            Resource::Image { lab, id } => format!(
                "image {} in {}",
                crate::arm::ResourceId::new(id).name(),
                crate::arm::ResourceId::new(lab).name()
            ),
        };
        out.push(line(DetailKind::Field, format!("  {text}")));
    }
    if let (Some(_), true) = (&vm, image.stage == Stage::Failed) {
        out.push(line(
            DetailKind::Note,
            "the build VM is still there (kept by keep_failed_vms, or its removal failed): c copies its id, C its portal link; `imagefactory clean` removes it",
        ));
    }
    if image.stage == Stage::Failed {
        out.push(line(
            DetailKind::Note,
            format!("build it again: imagefactory build {}", image.path),
        ));
    }
    out
}

/// The build VM's id of the shown run image, if the run still holds it, else the factory
/// lab's id of the VM as named (for `c`/`C`).
pub fn run_image_vm(model: &Model) -> Option<String> {
    let Some(View::RunImage { run, image }) = model.routes.last().map(|r| &r.view) else {
        return None;
    };
    let (state, image) = shown_image(model, run, image)?;
    image
        .resources
        .iter()
        .find_map(|r| match r {
            Resource::Vm { id } => Some(id.clone()),
            _ => None,
        })
        .or_else(|| {
            Some(format!(
                "{}/virtualmachines/{}",
                state.factory, image.vm_name
            ))
        })
}
