//! Which rows a view shows, in which order: derived from the data, the filter and the sort.

use std::fmt::Write as _;

use super::detail::lines_for;
use super::{Data, Model, Route, Row, SortKey, View};
use crate::factory::RetentionState;

/// Rebuilds `route.rows` (and the hidden count), keeping the cursor in range.
pub fn rebuild(route: &mut Route, model: &Model) {
    let mut rows = Vec::new();
    let mut hidden = 0;
    let mut text = String::new();
    let filter = route.filter.as_ref();
    let mut keep = |t: &str| match filter {
        Some(f) if !f.keeps(t) => {
            hidden += 1;
            false
        }
        _ => true,
    };
    match (&route.view, model.data.as_ref()) {
        (View::Detail { id }, _) => rows.extend((0..lines_for(model, id).len()).map(Row::Line)),
        // Newest first: what just happened is what is looked for.
        (View::Messages, _) => {
            for (i, m) in model.messages.iter().enumerate().rev() {
                if keep(&m.text) {
                    rows.push(Row::Message(i));
                }
            }
        }
        (View::Builds, _) => {
            for r in model.runs.newest_first() {
                let entry = &model.runs.entries[r];
                text.clear();
                let _ = write!(text, "{}", entry.id);
                if let Some(state) = &entry.state {
                    let _ = write!(text, " {} {} {:?}", state.actor, state.host, entry.liveness);
                    for image in &state.images {
                        let _ = write!(text, " {}", image.path);
                    }
                }
                if keep(&text) {
                    rows.push(Row::Run(r));
                }
            }
            sort_within_groups(&mut rows, route.descending, |row| match row {
                Row::Run(r) => run_sort_key(model, *r, route.sort),
                _ => SortValue::None,
            });
        }
        (View::Run { run }, _) => {
            if let Some(state) = model.runs.get(run).and_then(|e| e.state.as_ref()) {
                // Each image is sorted with the copies under it.
                let mut order: Vec<usize> = (0..state.images.len()).collect();
                order.sort_by_cached_key(|&i| run_image_sort_key(&state.images[i], i, route.sort));
                if route.descending {
                    order.reverse();
                }
                for i in order {
                    let image = &state.images[i];
                    text.clear();
                    let _ = write!(
                        text,
                        "{} {} {}",
                        image.path,
                        image.image_name,
                        image.stage.label()
                    );
                    if !keep(&text) {
                        continue;
                    }
                    rows.push(Row::RunImage(i));
                    // Copies are shown lab by lab while they go, and a lab that failed stays.
                    for (t, target) in image.targets.iter().enumerate() {
                        let failed = matches!(
                            target.outcome,
                            Some(crate::factory::builder::journal::TargetOutcome::Failed { .. })
                        );
                        if image.stage == crate::factory::builder::journal::Stage::Distributing
                            || failed
                        {
                            rows.push(Row::RunTarget(i, t));
                        }
                    }
                }
            }
        }
        (View::RunImage { run, image }, _) => {
            let lines = super::run_lines::lines_of_run_image(model, run, image);
            rows.extend((0..lines.len()).map(Row::Line));
        }
        (View::Definition { path }, _) => {
            rows.extend((0..super::definition_lines(model, path).len()).map(Row::Line));
        }
        (View::Check, _) => {
            rows.extend((0..super::check_lines(model).len()).map(Row::Line));
        }
        (View::Jobs, _) => {
            for (j, job) in model.jobs.list.iter().enumerate().rev() {
                if keep(&format!("{} {}", job.kind.label(), job.title)) {
                    rows.push(Row::Job(j));
                }
            }
        }
        (_, None) => {}
        (View::Labs, Some(data)) => {
            for (s, sub) in data.inventory.subscriptions.iter().enumerate() {
                let start = rows.len();
                rows.push(Row::Sub(s));
                for l in (0..data.labs.len()).filter(|&l| data.labs[l].sub == s) {
                    let lab = data.lab(l);
                    text.clear();
                    let _ = write!(
                        text,
                        "{} {} {} {}",
                        sub.name, lab.name, lab.location, lab.resource_group
                    );
                    if keep(&text) {
                        rows.push(Row::Lab(l));
                    }
                }
                if rows.len() == start + 1 && filter.is_some() {
                    rows.pop();
                }
            }
            sort_within_groups(&mut rows, route.descending, |r| match r {
                Row::Lab(l) => lab_sort_key(data, *l, route.sort),
                _ => SortValue::None,
            });
            // What could not be read at all stays on screen, with why, until it reads again.
            for (p, problem) in data.inventory.problems.iter().enumerate() {
                let listed = (0..data.labs.len())
                    .any(|l| data.lab(l).id.as_str().eq_ignore_ascii_case(&problem.id));
                text.clear();
                let _ = write!(text, "{} {}", problem.name, problem.error);
                if !listed && keep(&text) {
                    rows.push(Row::Problem(p));
                }
            }
        }
        (View::Images { lab }, Some(data)) => {
            let only = lab.as_ref().and_then(|id| data.lab_index(id));
            let range = only
                .map(|l| data.lab_images[l].clone())
                .unwrap_or(0..data.images.len());
            for i in range {
                image_text(data, i, &mut text);
                if keep(&text) {
                    rows.push(Row::Image(i));
                }
            }
            // Rows are built in the natural order: only another order needs a sort.
            if route.sort != SortKey::Natural || route.descending {
                sort_within_groups(&mut rows, route.descending, |r| match r {
                    Row::Image(i) => image_sort_value(data, *i, route.sort),
                    _ => SortValue::None,
                });
            }
        }
        (View::Retention, Some(data)) => {
            for (s, _) in data.inventory.subscriptions.iter().enumerate() {
                let start = rows.len();
                rows.push(Row::Sub(s));
                for l in (0..data.labs.len())
                    .filter(|&l| data.labs[l].sub == s && data.plan.labs[l].managed)
                {
                    let lab_row = rows.len();
                    rows.push(Row::Lab(l));
                    let mut shown = 0;
                    for i in data.lab_images[l].clone() {
                        if data.decision(data.images[i]).state != RetentionState::Retire {
                            continue;
                        }
                        image_text(data, i, &mut text);
                        if keep(&text) {
                            rows.push(Row::Image(i));
                            shown += 1;
                        }
                    }
                    if shown == 0 && filter.is_some() {
                        rows.truncate(lab_row);
                    }
                }
                if rows.len() == start + 1 {
                    rows.pop();
                }
            }
            if route.sort != SortKey::Natural || route.descending {
                sort_within_groups(&mut rows, route.descending, |r| match r {
                    Row::Image(i) => image_sort_value(data, *i, route.sort),
                    _ => SortValue::None,
                });
            }
        }
        (View::Drift, Some(data)) => {
            for (i, d) in data.drift.iter().enumerate() {
                text.clear();
                let status = match d.status {
                    super::DriftStatus::Newest => "newest",
                    super::DriftStatus::Outdated => "outdated",
                    super::DriftStatus::Missing => "missing",
                };
                let _ = write!(text, "{} {} {status}", data.lab(d.lab).name, d.path);
                if keep(&text) {
                    rows.push(Row::Drift(i));
                }
            }
            // What needs attention first: missing, then outdated, then up to date.
            sort_within_groups(&mut rows, route.descending, |r| match r {
                Row::Drift(d) => drift_sort_key(data, *d, route.sort),
                _ => SortValue::None,
            });
        }
        (View::Defs, Some(_)) => {
            if let Some(config) = &model.config {
                for (i, d) in config.images.iter().enumerate() {
                    text.clear();
                    let _ = write!(text, "{} {} {:?}", d.path, d.description, d.os);
                    if keep(&text) {
                        rows.push(Row::Def(i));
                    }
                }
                sort_within_groups(&mut rows, route.descending, |r| match r {
                    Row::Def(i) => def_sort_key(config, *i, route.sort),
                    _ => SortValue::None,
                });
            }
        }
    }
    // The selected item stays selected when a filter or sort moves it (k9s keeps it too).
    let selected = route.current();
    route.rows = rows;
    route.hidden = hidden;
    if let Some(at) = selected.and_then(|r| route.rows.iter().position(|x| *x == r)) {
        route.cursor = at;
        route.offset = route.offset.min(at);
        return;
    }
    route.cursor = route.cursor.min(route.rows.len().saturating_sub(1));
    // Start on a row that can be acted on, not a heading.
    if matches!(route.current(), Some(Row::Sub(_))) && route.rows.len() > 1 {
        route.cursor += 1;
    }
}

impl Route {
    /// The cursor on the first row that can be acted on (not a heading).
    pub fn top(&mut self) {
        self.offset = 0;
        self.cursor =
            usize::from(matches!(self.rows.first(), Some(Row::Sub(_))) && self.rows.len() > 1);
    }
}

/// The text an image row is filtered on: lab, path, name, state, reason, OS.
fn image_text(data: &Data, i: usize, text: &mut String) {
    let at = data.images[i];
    let image = data.image(at);
    let decision = data.decision(at);
    text.clear();
    let _ = write!(
        text,
        "{} {} {} {} {} {}",
        data.lab(at.lab).name,
        image
            .image_path
            .as_ref()
            .map(|p| p.as_str())
            .unwrap_or("untagged"),
        image.name,
        decision.state.as_str(),
        decision.reason.map(|r| r.as_str()).unwrap_or(""),
        image.os_type.as_deref().unwrap_or("")
    );
}

/// The text of a column, for sorting.
fn image_sort_text(data: &Data, i: usize, key: SortKey) -> String {
    let at = data.images[i];
    let image = data.image(at);
    match key {
        SortKey::Natural | SortKey::Age => String::new(),
        SortKey::Name => image.name.to_ascii_lowercase(),
        SortKey::Path => image
            .image_path
            .as_ref()
            .map(|p| p.key())
            .unwrap_or_default(),
        SortKey::State => data.decision(at).state.as_str().to_string(),
        SortKey::Lab => data.lab(at.lab).name.to_ascii_lowercase(),
    }
}

/// A value rows sort by: text, or a number (ages, counts), or nothing (a heading, which stays).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum SortValue {
    None,
    Number(i64, String),
    Text(String),
}

/// Sorts the rows between headings (a heading row gives `SortValue::None` and stays where it
/// is), so that a tree sorts within each of its groups. Stable: ties keep their order.
fn sort_within_groups(rows: &mut [Row], descending: bool, key: impl Fn(&Row) -> SortValue) {
    // Each row's key once (text keys allocate; this runs on every keystroke of a filter).
    let mut keyed: Vec<(SortValue, Row)> = rows.iter().map(|r| (key(r), *r)).collect();
    let mut start = 0;
    while start < keyed.len() {
        if keyed[start].0 == SortValue::None {
            start += 1;
            continue;
        }
        let end = (start..keyed.len())
            .find(|&i| keyed[i].0 == SortValue::None)
            .unwrap_or(keyed.len());
        let group = &mut keyed[start..end];
        group.sort_by(|a, b| a.0.cmp(&b.0));
        if descending {
            group.reverse();
        }
        start = end;
    }
    for (row, (_, sorted)) in rows.iter_mut().zip(keyed) {
        *row = sorted;
    }
}

fn image_sort_value(data: &Data, i: usize, key: SortKey) -> SortValue {
    match key {
        // The inventory's order: labs by subscription, images by path, newest first.
        SortKey::Natural => SortValue::Number(i as i64, String::new()),
        // Age ascending = youngest first, as people read "age".
        SortKey::Age => SortValue::Number(
            -data
                .image(data.images[i])
                .created
                .map(|c| c.unix_timestamp())
                .unwrap_or(0),
            String::new(),
        ),
        other => SortValue::Text(image_sort_text(data, i, other)),
    }
}

/// Runs: newest first as listed (natural: one key for all, and the sort is stable), by id
/// (name), youngest first (age), first image path, what needs attention first (state: going,
/// stopped, failed, cancelled, done), or factory lab.
fn run_sort_key(model: &Model, r: usize, key: SortKey) -> SortValue {
    use crate::factory::builder::background::Liveness;
    use crate::factory::builder::journal::RunOutcome;
    let entry = &model.runs.entries[r];
    let state = entry.state.as_ref();
    let id = entry.id.clone();
    match key {
        SortKey::Natural => SortValue::Number(0, String::new()),
        SortKey::Name => SortValue::Text(id),
        SortKey::Age => SortValue::Number(
            -state
                .and_then(|s| super::run_lines::at(&s.started))
                .map(|t| t.unix_timestamp())
                .unwrap_or(0),
            id,
        ),
        SortKey::Path => SortValue::Text(format!(
            "{} {id}",
            state
                .and_then(|s| s.images.first())
                .map(|i| i.path.to_ascii_lowercase())
                .unwrap_or_default()
        )),
        SortKey::State => {
            let rank = match (entry.liveness, state.and_then(|s| s.outcome.as_ref())) {
                // Going here or on another machine.
                (live, _) if live.is_live() => 0,
                (Liveness::Stopped, _) => 1,
                (_, Some(RunOutcome::SomeFailed)) => 2,
                (_, Some(RunOutcome::Cancelled)) => 3,
                (_, Some(RunOutcome::Done)) => 4,
                _ => 5,
            };
            SortValue::Number(rank, id)
        }
        SortKey::Lab => SortValue::Text(format!(
            "{} {id}",
            state
                .map(|s| s.factory.to_ascii_lowercase())
                .unwrap_or_default()
        )),
    }
}

/// A run's images: by image name, path, or stage (failed, cancelled, then those going, the
/// furthest along first, and done last).
fn run_image_sort_key(
    image: &crate::factory::builder::journal::ImageState,
    natural: usize,
    key: SortKey,
) -> (i64, String) {
    use crate::factory::builder::journal::Stage;
    match key {
        SortKey::Name => (0, image.image_name.to_ascii_lowercase()),
        SortKey::Path => (
            0,
            format!("{} {}", image.path.to_ascii_lowercase(), image.image_name),
        ),
        SortKey::State => {
            let rank = match image.stage {
                Stage::Failed => 0,
                Stage::Cancelled => 1,
                Stage::Done => 100,
                going => 50 - going as i64,
            };
            (rank, image.image_name.clone())
        }
        _ => (natural as i64, String::new()),
    }
}

/// Labs: by name (name, lab), region (path), images due (state), or newest image (age).
fn lab_sort_key(data: &Data, l: usize, key: SortKey) -> SortValue {
    let lab = data.lab(l);
    let name = lab.name.to_ascii_lowercase();
    match key {
        SortKey::Natural | SortKey::Name | SortKey::Lab => SortValue::Text(name),
        SortKey::Path => SortValue::Text(format!("{} {name}", lab.location)),
        SortKey::State => SortValue::Number(-(data.due[l] as i64), name),
        SortKey::Age => SortValue::Number(
            -lab.images
                .iter()
                .filter_map(|i| i.created)
                .max()
                .map(|c| c.unix_timestamp())
                .unwrap_or(0),
            name,
        ),
    }
}

/// Drift: by status (natural and state: missing, outdated, newest), lab, or path.
fn drift_sort_key(data: &Data, d: usize, key: SortKey) -> SortValue {
    let row = &data.drift[d];
    let lab = data.lab(row.lab).name.to_ascii_lowercase();
    let path = row.path.key();
    let status = match row.status {
        super::DriftStatus::Missing => 0,
        super::DriftStatus::Outdated => 1,
        super::DriftStatus::Newest => 2,
    };
    match key {
        SortKey::Natural | SortKey::State => SortValue::Number(status, format!("{lab} {path}")),
        SortKey::Name | SortKey::Lab => SortValue::Text(format!("{lab} {path}")),
        SortKey::Path => SortValue::Text(format!("{path} {lab}")),
        SortKey::Age => SortValue::Number(
            -row.lab_newest.map(|c| c.unix_timestamp()).unwrap_or(0),
            format!("{lab} {path}"),
        ),
    }
}

/// Definitions: by path (natural, name, path), or OS (state).
fn def_sort_key(config: &crate::config::FactoryConfig, i: usize, key: SortKey) -> SortValue {
    let d = &config.images[i];
    match key {
        SortKey::State | SortKey::Lab => SortValue::Text(format!("{:?} {}", d.os, d.path.key())),
        _ => SortValue::Text(d.path.key()),
    }
}
