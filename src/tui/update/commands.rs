//! What each command does to the model.

use super::super::command::CommandId;
use super::super::effect::Effect;
use super::super::model::{Button, Confirm, Level, Model, Overlay, PinDialog, Route, Row, View};
use super::replies;
use crate::arm::ResourceId;
use crate::factory::RetireReason;
use crate::factory::retire::{self, Guard, RetireTarget};

/// Above this many images, Confirm wants the count typed.
pub const TYPED_CONFIRM_ABOVE: usize = 10;

/// Runs a command from the key map or the palette.
pub fn run_command(model: &mut Model, id: CommandId) -> Vec<Effect> {
    use CommandId::*;
    let page = (model.body_height() / 2).max(1);
    match id {
        // A retirement in flight is asked about first; runs go on in their own processes.
        Quit => return super::jobs::interrupt(model),
        Back => back(model),
        Help => model.overlay = Overlay::Help { scroll: 0 },
        Palette => model.overlay = Overlay::Palette(Box::new(super::dialogs::new_palette())),
        Filter => {
            let text = model
                .route()
                .filter
                .as_ref()
                .map(|f| f.text.clone())
                .unwrap_or_default();
            model.filter_input = Some(super::dialogs::new_input(&text));
            model.filter_error = None;
        }
        Up => move_cursor(model, -1),
        Down => move_cursor(model, 1),
        Top => move_cursor(model, isize::MIN / 2),
        Bottom => move_cursor(model, isize::MAX / 2),
        PageDown => move_cursor(model, page as isize),
        PageUp => move_cursor(model, -(page as isize)),
        Open => return open(model),
        Detail => return detail(model),
        Mark => mark(model),
        ClearMarks => {
            let n = model.marks.len();
            model.marks.clear();
            model.flash(Level::Info, format!("cleared {n} marks"));
        }
        Labs => switch(model, View::Labs),
        Images => switch(model, View::Images { lab: None }),
        Retention => switch(model, View::Retention),
        Drift => switch(model, View::Drift),
        Defs => switch(model, View::Defs),
        // Every top-level view replaces the stack (k9s's rule), so Esc always does the same.
        Messages => switch(model, View::Messages),
        Check => return super::definitions::open_check(model),
        EditDefinition => return super::definitions::edit(model),
        NewDefinition => super::definitions::ask_new(model),
        Init => {
            super::setup::open(
                model,
                crate::tui::model::setup::Setup::Started(std::path::PathBuf::from(".")),
            );
        }
        Builds => switch(model, View::Builds),
        Jobs => switch(model, View::Jobs),
        Suspend => return vec![Effect::Suspend],
        Refresh => return replies::refresh(model),
        Sort | SortReverse if model.route().view.sort_keys().len() < 2 => {
            let why = match model.route().view {
                View::Messages | View::Jobs => "this list is newest first, always",
                _ => "this view is read top to bottom",
            };
            model.flash(
                Level::Info,
                format!("nothing to sort here: {why} (o and O sort lists)"),
            );
        }
        Sort => {
            let keys = model.route().view.sort_keys();
            let route = model.route_mut();
            route.sort = route.sort.next_among(keys);
            model.rebuild_top();
        }
        SortReverse => {
            let route = model.route_mut();
            route.descending = !route.descending;
            model.rebuild_top();
        }
        CopyId | CopyLink => return copy(model, id == CopyLink),
        TogglePin | RetireMarked | ApplyLab | ApplyAll | Build | CancelRun | ResumeRun
        | Distribute
            if model.read_only =>
        {
            refuse_read_only(model, id);
        }
        Build => return super::run_plans::build(model, None),
        CancelRun => return super::builds::cancel(model),
        ResumeRun => return super::builds::resume(model),
        Distribute => return super::run_plans::distribute(model, ""),
        TogglePin => return toggle_pin(model),
        RetireMarked => retire_marked(model),
        ApplyLab => apply_plan(model, true),
        ApplyAll => apply_plan(model, false),
    }
    Vec::new()
}

/// Whether a key's command may run in the view shown: a command that changes Azure runs only
/// where it is listed (`b` in the Builds view must not build every definition).
pub fn applies_here(model: &Model, id: CommandId) -> bool {
    let view = model.route().view.kind();
    super::super::command::COMMANDS
        .iter()
        .find(|c| c.id == id)
        .is_none_or(|c| !c.changes_azure || c.applies(view))
}

/// Says where a command works, when its key was pressed elsewhere.
pub fn say_where(model: &mut Model, id: CommandId) {
    let Some(command) = super::super::command::COMMANDS.iter().find(|c| c.id == id) else {
        return;
    };
    let views = match command.scope {
        super::super::command::Scope::Views(views) => views
            .iter()
            .map(|v| format!("{v:?}"))
            .collect::<Vec<_>>()
            .join(", "),
        super::super::command::Scope::Global => String::new(),
    };
    model.flash(
        Level::Info,
        format!(":{} works in these views: {views}", command.name),
    );
}

/// Says why a command that changes Azure does nothing here.
pub fn refuse_read_only(model: &mut Model, id: CommandId) {
    let name = super::super::command::COMMANDS
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.name)
        .unwrap_or("that");
    model.flash(
        Level::Warn,
        format!(
            "read-only console: :{name} changes Azure, so it is off (started with --read-only or [azure] read_only = true)"
        ),
    );
}

fn back(model: &mut Model) {
    if model.apply_when_read.take().is_some() {
        model.flash(Level::Info, "the plan will not open when the reading ends");
        return;
    }
    if model.route().filter.is_some() {
        model.route_mut().filter = None;
        model.rebuild_top();
    } else if model.routes.len() > 1 {
        model.routes.pop();
        model.detail = None;
    }
}

fn move_cursor(model: &mut Model, by: isize) {
    let height = model.body_height();
    let route = model.route_mut();
    route.moved = true;
    let last = route.rows.len().saturating_sub(1) as isize;
    route.cursor = (route.cursor as isize + by).clamp(0, last.max(0)) as usize;
    // Keep the cursor on screen: the view scrolls only when it must.
    if route.cursor < route.offset {
        route.offset = route.cursor;
    } else if route.cursor >= route.offset + height {
        route.offset = route.cursor + 1 - height;
    }
}

/// Replaces the stack with a top-level view, as k9s's `:pods` does.
pub fn switch(model: &mut Model, view: View) {
    model.routes = vec![Route::new(view)];
    model.detail = None;
    model.rebuild_top();
}

/// Pushes a view on the stack.
pub fn push(model: &mut Model, view: View) {
    model.routes.push(Route::new(view));
    model.rebuild_top();
}

/// The image under the cursor, if the row is one.
pub fn current_image(model: &Model) -> Option<usize> {
    match model.route().current() {
        Some(Row::Image(i)) => Some(i),
        _ => None,
    }
}

/// The resource id of the row under the cursor.
fn current_id(model: &Model) -> Option<ResourceId> {
    if let View::RunImage { .. } = model.route().view {
        return super::super::model::run_image_vm(model).map(|id| ResourceId::new(&id));
    }
    let data = model.data.as_ref()?;
    match (&model.route().view, model.route().current()?) {
        (View::Detail { id }, _) => Some(id.clone()),
        (_, Row::Image(i)) => Some(data.image(data.images[i]).id.clone()),
        (_, Row::Lab(l)) => Some(data.lab(l).id.clone()),
        (_, Row::Drift(d)) => Some(data.lab(data.drift[d].lab).id.clone()),
        _ => None,
    }
}

fn open(model: &mut Model) -> Vec<Effect> {
    // Runs and jobs need no inventory.
    match (model.route().view.clone(), model.route().current()) {
        (View::Builds, Some(Row::Run(r))) => {
            let run = model.runs.entries[r].id.clone();
            push(model, View::Run { run });
            return Vec::new();
        }
        (View::Run { run }, Some(Row::RunImage(i) | Row::RunTarget(i, _))) => {
            let image = model
                .runs
                .get(&run)
                .and_then(|e| e.state.as_ref())
                .and_then(|s| s.images.get(i))
                .map(|i| i.image_name.clone());
            if let Some(image) = image {
                push(model, View::RunImage { run, image });
            }
            return Vec::new();
        }
        (View::Jobs, Some(Row::Job(j))) => {
            let id = model.jobs.list[j].id;
            super::jobs::open_window(model, id);
            return Vec::new();
        }
        _ => {}
    }
    let Some(data) = model.data.as_ref() else {
        return Vec::new();
    };
    let Some(row) = model.route().current() else {
        return Vec::new();
    };
    match row {
        Row::Lab(l) => {
            let lab = data.lab(l).clone();
            push(
                model,
                View::Images {
                    lab: Some(lab.id.clone()),
                },
            );
            // Opened before it was read: it is read now, ahead of the others.
            if lab.reading
                && let Some(req) = model.freshness.refreshing
            {
                return vec![Effect::ReadLab(req, Box::new(lab))];
            }
        }
        // A drift row is about one path in one lab: open that lab's images of that path.
        Row::Drift(d) if data.drift[d].status == super::super::model::DriftStatus::Missing => {
            let text = format!(
                "{} has no image of {} yet (d opens its definition)",
                data.lab(data.drift[d].lab).name,
                data.drift[d].path
            );
            model.flash(Level::Info, text);
        }
        Row::Drift(d) => {
            let id = data.lab(data.drift[d].lab).id.clone();
            let path = data.drift[d].path.to_string();
            push(model, View::Images { lab: Some(id) });
            let exact = format!("(?i)(^|\\s){}(\\s|$)", regex::escape(&path));
            model.route_mut().filter = super::super::model::Filter::parse(&exact).ok().flatten();
            model.rebuild_top();
        }
        Row::Def(i) => super::definitions::open(model, i),
        Row::Image(_) => return detail(model),
        Row::Run(_) | Row::RunImage(_) | Row::RunTarget(..) | Row::Job(_) => {
            unreachable!("opened before the data is needed")
        }
        Row::Problem(p) => {
            let problem = &data.inventory.problems[p];
            let text = format!(
                "{} {} could not be read: {}",
                problem.scope, problem.name, problem.error
            );
            model.flash(Level::Error, text);
        }
        Row::Sub(_) | Row::Line(_) | Row::Message(_) => {}
    }
    Vec::new()
}

fn detail(model: &mut Model) -> Vec<Effect> {
    // A drift row is about a path: its detail is the path's definition.
    if let (Some(Row::Drift(d)), Some(data)) = (model.route().current(), model.data.as_ref()) {
        let path = data.drift[d].path.to_string();
        push(model, View::Defs);
        let exact = format!("(?i)^{}(\\s|$)", regex::escape(&path));
        model.route_mut().filter = super::super::model::Filter::parse(&exact).ok().flatten();
        model.rebuild_top();
        return Vec::new();
    }
    let Some(id) = current_id(model) else {
        return Vec::new();
    };
    if matches!(model.route().view, View::Detail { .. }) {
        return Vec::new();
    }
    let req = model.request("detail");
    model.detail = Some(super::super::model::DetailJson {
        id: id.clone(),
        req,
        json: None,
    });
    push(model, View::Detail { id: id.clone() });
    vec![Effect::LoadDetail(req, id)]
}

fn mark(model: &mut Model) {
    if let (Some(Row::Def(d)), Some(config)) = (model.route().current(), &model.config) {
        let key = super::run_plans::def_mark(&config.images[d].path);
        if !model.marks.remove(&key) {
            model.marks.insert(key);
        }
        move_cursor(model, 1);
        return;
    }
    let Some(i) = current_image(model) else {
        return;
    };
    let Some(data) = &model.data else { return };
    let key = data.image(data.images[i]).id.key();
    if !model.marks.remove(&key) {
        model.marks.insert(key);
    }
    move_cursor(model, 1);
}

fn copy(model: &mut Model, link: bool) -> Vec<Effect> {
    let Some(id) = current_id(model) else {
        if matches!(model.route().view, View::RunImage { .. }) {
            model.flash(
                Level::Info,
                "the run holds no build VM for this image any more: nothing to copy",
            );
        }
        return Vec::new();
    };
    let text = if link {
        // The portal opens the resource in its own tenant's directory, named after `#@`.
        let tenant = model
            .data
            .as_ref()
            .and_then(|d| {
                let sub = id.subscription()?;
                d.inventory
                    .subscriptions
                    .iter()
                    .find(|s| s.id.eq_ignore_ascii_case(sub))?
                    .tenant
                    .clone()
            })
            .or_else(|| model.identity.tenant.clone())
            .unwrap_or_default();
        format!(
            "https://portal.azure.com/#@{tenant}/resource{}",
            id.as_str()
        )
    } else {
        id.to_string()
    };
    model.flash(
        Level::Info,
        format!(
            "copied {} to the clipboard",
            if link {
                "the portal link"
            } else {
                "the resource id"
            }
        ),
    );
    vec![Effect::Copy(text)]
}

fn toggle_pin(model: &mut Model) -> Vec<Effect> {
    let Some(i) = current_image(model) else {
        model.flash(Level::Warn, "pin works on an image row");
        return Vec::new();
    };
    let Some(data) = &model.data else {
        return Vec::new();
    };
    let at = data.images[i];
    let image = data.image(at);
    let prefill = format!("pinned by {} on {}", model.identity.user, model.now.date());
    model.overlay = Overlay::Pin(Box::new(PinDialog {
        image: image.id.clone(),
        name: image.name.clone(),
        lab: data.lab(at.lab).name.clone(),
        current: image.pin.clone(),
        reason: super::dialogs::new_input(&prefill),
        focus: Button::Cancel,
    }));
    Vec::new()
}

fn retire_marked(model: &mut Model) {
    let Some(data) = &model.data else { return };
    let chosen: Vec<usize> = if model.marks.is_empty() {
        current_image(model).into_iter().collect()
    } else {
        (0..data.images.len())
            .filter(|&i| model.marks.contains(&data.image(data.images[i]).id.key()))
            .collect()
    };
    if chosen.is_empty() {
        model.flash(
            Level::Warn,
            "nothing to retire: mark images with space, or put the cursor on one",
        );
        return;
    }
    let visible: std::collections::HashSet<usize> = model
        .route()
        .rows
        .iter()
        .filter_map(|r| {
            if let Row::Image(i) = r {
                Some(*i)
            } else {
                None
            }
        })
        .collect();
    let hidden = chosen.iter().filter(|i| !visible.contains(i)).count();
    // Each chosen image with its state; the ones retention would never retire are set apart.
    let mut usual = Vec::new();
    let mut unusual = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut notes = Vec::new();
    for &i in &chosen {
        let at = data.images[i];
        let image = data.image(at);
        let decision = data.decision(at);
        // Pinned and in-use images are never deleted: say so now, rather than skip them later.
        let lab = &data.lab(at.lab).name;
        if let Some(pin) = &image.pin {
            notes.push(format!(
                "{lab} / {} is pinned ({pin}): unpin it first",
                image.name
            ));
            continue;
        }
        if image.in_use {
            notes.push(format!(
                "{lab} / {} is in use ({}): delete its VMs or formulas first",
                image.name, decision.detail
            ));
            continue;
        }
        let target = RetireTarget {
            lab: data.lab(at.lab).id.clone(),
            image: image.id.clone(),
            name: image.name.clone(),
            image_path: image.image_path.clone(),
            reason: RetireReason::Chosen,
            guard: Guard::Chosen {
                unusual: decision.state.is_unusual(),
            },
        };
        let line = format!(
            "{} / {}: {} ({})",
            data.lab(at.lab).name,
            image.name,
            decision.state.as_str(),
            decision.detail
        );
        if let Some(warning) = decision.state.unusual_warning() {
            let warning = format!("{}: {warning}", decision.state.as_str());
            if !warnings.contains(&warning) {
                warnings.push(warning);
            }
            unusual.push((line, target));
        } else {
            usual.push((line, target));
        }
    }
    let title = format!(
        "Retire {} chosen",
        crate::human::count(chosen.len(), "image")
    );
    confirm(model, title, usual, unusual, hidden);
    if let Overlay::Confirm(c) = &mut model.overlay {
        c.unusual_warnings = warnings;
        c.left_out = notes.clone();
        c.notes = notes;
    }
}

fn apply_plan(model: &mut Model, one_lab: bool) {
    let Some(data) = &model.data else { return };
    let lab = match model.route().current() {
        Some(Row::Lab(l)) => Some(l),
        Some(Row::Image(i)) => Some(data.images[i].lab),
        _ => None,
    };
    if one_lab && lab.is_none() {
        model.flash(
            Level::Warn,
            "put the cursor on a lab (or one of its images) to apply its plan",
        );
        return;
    }
    let lab = if one_lab {
        lab.map(|l| data.lab(l).id.clone())
    } else {
        None
    };
    apply_plan_of(model, lab);
}

/// Opens the confirmation of the retention plan of `lab`, or of every lab. While a lab it
/// touches is still being read, it waits: the confirmation opens when the reading ends.
pub fn apply_plan_of(model: &mut Model, only: Option<ResourceId>) {
    let Some(data) = &model.data else { return };
    let lab = only.as_ref().and_then(|id| data.lab_index(id));
    let one_lab = only.is_some();
    if one_lab && lab.is_none() {
        model.flash(Level::Warn, "that lab is no longer in the inventory");
        return;
    }
    let mut plan = data.plan.clone();
    if let (true, Some(l)) = (one_lab, lab) {
        let id = data.lab(l).id.clone();
        plan.labs.retain(|p| p.lab == id);
    }
    // A plan is applied only on labs read whole: one still being read waits for it.
    let reading = plan
        .labs
        .iter()
        .filter(|p| p.managed)
        .filter(|p| data.lab_index(&p.lab).is_some_and(|l| data.lab(l).reading))
        .count();
    if reading > 0 {
        model.apply_when_read = Some(only);
        model.flash(
            Level::Warn,
            format!(
                "{} still being read: the plan's confirmation opens when they are (Esc forgets it)",
                crate::human::count(reading, "lab")
            ),
        );
        return;
    }
    let targets = retire::targets_from_plan(&plan);
    let held_back: Vec<String> = plan
        .held_back()
        .map(|(l, n, why)| format!("{n} due in {}: {why}", l.lab_name))
        .collect();
    if targets.is_empty() {
        match held_back.first() {
            Some(why) => model.flash(Level::Warn, format!("nothing can be retired here: {why}")),
            None => model.flash(Level::Info, "the plan retires nothing here"),
        }
        return;
    }
    // The labs the change touches (not those held back).
    let labs = plan
        .labs
        .iter()
        .filter(|l| l.denied.is_none() && l.has_retirees())
        .count();
    let title = match (one_lab, lab) {
        (true, Some(l)) => format!(
            "Apply the retention plan of {}: retire {}",
            data.lab(l).name,
            crate::human::count(targets.len(), "image")
        ),
        _ => format!(
            "Apply the whole retention plan: retire {} in {}",
            crate::human::count(targets.len(), "image"),
            crate::human::count(labs, "lab")
        ),
    };
    let lab_name = |t: &RetireTarget| {
        data.lab_index(&t.lab)
            .map(|l| data.lab(l).name.clone())
            .unwrap_or_default()
    };
    let items: Vec<(String, RetireTarget)> = targets
        .into_iter()
        .map(|t| {
            let line = format!(
                "{} / {}: retire ({})",
                lab_name(&t),
                t.name,
                t.reason.as_str()
            );
            (line, t)
        })
        .collect();
    confirm(model, title, items, Vec::new(), 0);
    // What the plan holds back is said in the preview, not discovered as 403s afterwards.
    if let Overlay::Confirm(c) = &mut model.overlay {
        c.notes = held_back;
    }
}

/// Opens a confirmation. `usual` and `unusual` are (line, target) pairs; the unusual ones
/// are left out unless the operator includes them explicitly.
fn confirm(
    model: &mut Model,
    title: String,
    usual: Vec<(String, RetireTarget)>,
    unusual: Vec<(String, RetireTarget)>,
    hidden: usize,
) {
    let (items, targets) = usual.into_iter().unzip();
    let (unusual_items, unusual_targets) = unusual.into_iter().unzip();
    let mut dialog = Confirm {
        action: super::super::model::ConfirmAction::Retire,
        blockers: Vec::new(),
        title,
        items,
        hidden,
        targets,
        unusual_items,
        unusual_targets,
        unusual_warnings: Vec::new(),
        include_unusual: false,
        notes: Vec::new(),
        left_out: Vec::new(),
        typed_required: None,
        typed: super::dialogs::new_input(""),
        focus: Button::Cancel,
        scroll: 0,
    };
    dialog.typed_required = typed_required(&dialog);
    model.overlay = Overlay::Confirm(Box::new(dialog));
}

/// Above `TYPED_CONFIRM_ABOVE` images, the count to type.
pub fn typed_required(confirm: &Confirm) -> Option<String> {
    let n = confirm.count();
    (n > TYPED_CONFIRM_ABOVE).then(|| n.to_string())
}
