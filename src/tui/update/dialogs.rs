//! Keys while a dialog, the palette, the help or the filter line has the focus.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::super::command::{self, CommandId};
use super::super::effect::Effect;
use super::super::model::{
    Button, ConfirmAction, Filter, JobKind, Level, Model, Overlay, Palette, View,
};
use super::commands::{push, run_command, switch};
use crate::factory::pin::PinChange;

/// A one-line text input.
pub fn new_input(text: &str) -> TextArea<'static> {
    let mut input = TextArea::new(vec![text.to_string()]);
    input.move_cursor(ratatui_textarea::CursorMove::End);
    input
}

pub fn new_palette() -> Palette {
    Palette {
        input: new_input(""),
        selected: 0,
    }
}

fn text_of(input: &TextArea) -> String {
    input.lines().first().cloned().unwrap_or_default()
}

/// Typing a filter: applied live; Enter keeps it, Esc puts the old one back.
pub fn filter_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let Some(input) = model.filter_input.as_mut() else {
        return Vec::new();
    };
    match key.code {
        KeyCode::Enter => {
            model.filter_input = None;
            model.filter_error = None;
        }
        KeyCode::Esc => {
            model.filter_input = None;
            model.filter_error = None;
        }
        _ => {
            if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('u') {
                input.delete_line_by_head();
            } else {
                input.input(key);
            }
            let text = text_of(input);
            match Filter::parse(&text) {
                Ok(filter) => {
                    model.filter_error = None;
                    let before = model.route().current();
                    model.route_mut().filter = filter;
                    model.rebuild_top();
                    // The selection stays while the filter keeps it; otherwise the first match.
                    if model.route().current() != before {
                        model.route_mut().top();
                    }
                }
                // Half-typed regexes are normal: keep the last good filter and say why.
                Err(e) => model.filter_error = Some(e),
            }
        }
    }
    Vec::new()
}

/// One line the palette offers: what Tab puts in the input, and what it does.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub text: String,
    pub help: String,
}

/// What the palette offers for `typed`: command names while the first word is typed; once a
/// space follows, the arguments: labs for `images` and `distribute`, definitions for `build`
/// (the last path being typed, after those already typed).
pub fn completions(model: &Model, typed: &str) -> Vec<Completion> {
    let mut words = typed.splitn(2, ' ');
    let first = words.next().unwrap_or("");
    if let Some(argument) = words.clone().next()
        && let Some(c) = command::by_name(first, model.read_only)
    {
        match c.id {
            CommandId::Build => {
                let (done, last) = argument.rsplit_once(' ').unwrap_or(("", argument));
                let last = last.to_ascii_lowercase();
                let before = if done.is_empty() {
                    String::new()
                } else {
                    format!("{done} ")
                };
                return model
                    .config
                    .iter()
                    .flat_map(|config| config.images.iter())
                    .filter(|d| d.path.key().contains(&last))
                    .map(|d| Completion {
                        text: format!("build {before}{}", d.path),
                        help: d.description.clone(),
                    })
                    .collect();
            }
            CommandId::Distribute => {
                let typed = argument.trim().to_ascii_lowercase();
                return model
                    .config
                    .iter()
                    .flat_map(|config| config.labs.iter())
                    .filter(|t| t.lab.name.to_ascii_lowercase().contains(&typed))
                    .map(|t| Completion {
                        text: format!("distribute {}", t.lab.name),
                        help: format!("copy what {} misses from the catalogue", t.lab.name),
                    })
                    .collect();
            }
            _ => {}
        }
    }
    if let Some(argument) = words.next()
        && let Some(c) = command::by_name(first, model.read_only)
        && c.id == CommandId::Images
    {
        return lab_matches(model, argument)
            .into_iter()
            .map(|(name, region)| Completion {
                text: format!("{} {name}", c.name),
                help: format!("the images of {name} ({region})"),
            })
            .collect();
    }
    command::complete(first, model.read_only)
        .into_iter()
        .map(|c| Completion {
            text: c.name.to_string(),
            help: c.help.to_string(),
        })
        .collect()
}

/// Labs whose name starts with `typed` (without case), then those that hold it.
fn lab_matches(model: &Model, typed: &str) -> Vec<(String, String)> {
    let Some(data) = &model.data else {
        return Vec::new();
    };
    let typed = typed.trim().to_ascii_lowercase();
    let mut starts = Vec::new();
    let mut holds = Vec::new();
    for l in 0..data.labs.len() {
        let lab = data.lab(l);
        let name = lab.name.to_ascii_lowercase();
        let entry = (lab.name.clone(), lab.location.clone());
        if name.starts_with(&typed) {
            starts.push(entry);
        } else if name.contains(&typed) {
            holds.push(entry);
        }
    }
    starts.extend(holds);
    starts
}

/// The `:` palette: type, Tab completes, Up/Down choose, Enter runs, Esc closes.
pub fn palette_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let Overlay::Palette(palette) = &model.overlay else {
        return Vec::new();
    };
    let typed = text_of(&palette.input);
    let offered = completions(model, &typed);
    let Overlay::Palette(palette) = &mut model.overlay else {
        return Vec::new();
    };
    let last = offered.len().saturating_sub(1);
    match key.code {
        KeyCode::Esc => model.overlay = Overlay::None,
        KeyCode::Up => palette.selected = palette.selected.saturating_sub(1),
        KeyCode::Down => palette.selected = (palette.selected + 1).min(last),
        KeyCode::Tab => {
            if let Some(c) = offered.get(palette.selected.min(last)) {
                palette.input = new_input(&c.text);
                palette.selected = 0;
            }
        }
        KeyCode::Enter => {
            // Enter runs what is selected when the list was moved through, else what is typed.
            let chosen = if palette.selected > 0 {
                offered.get(palette.selected).map(|c| c.text.clone())
            } else {
                None
            };
            model.overlay = Overlay::None;
            let first = offered.first().map(|c| c.text.clone());
            return run_palette(model, chosen.as_deref().unwrap_or(&typed), first.as_deref());
        }
        _ => {
            palette.input.input(key);
            palette.selected = 0;
        }
    }
    Vec::new()
}

/// Runs what was typed in the palette: a command name or alias, with an argument for
/// `images LAB`.
fn run_palette(model: &mut Model, typed: &str, first_completion: Option<&str>) -> Vec<Effect> {
    let mut words = typed.split_whitespace();
    let Some(name) = words.next() else {
        return Vec::new();
    };
    let argument = words.collect::<Vec<_>>().join(" ");
    let first_name = first_completion.and_then(|c| c.split_whitespace().next());
    // A command named exactly, but off in read-only mode, is refused with why (not taken
    // for the nearest completion, `:build` for `:builds`).
    let exact = command::by_name(name, model.read_only);
    if exact.is_none()
        && let Some(refused) = command::by_name(name, false)
    {
        super::commands::refuse_read_only(model, refused.id);
        return Vec::new();
    }
    let found = exact.or_else(|| first_name.and_then(|c| command::by_name(c, model.read_only)));
    let Some(command) = found else {
        let names: Vec<&str> = command::COMMANDS
            .iter()
            .filter(|c| c.allowed(model.read_only))
            .map(|c| c.name)
            .collect();
        let hint = crate::human::nearest(name, &names)
            .map(|n| format!("; did you mean :{n}?"))
            .unwrap_or_default();
        model.flash(Level::Error, format!("no command :{name}{hint}"));
        return Vec::new();
    };
    if command.id == CommandId::NewDefinition && !argument.is_empty() {
        return super::definitions::new_definition(model, &argument);
    }
    if !argument.is_empty() && !model.read_only {
        match command.id {
            CommandId::Build => return super::run_plans::build_paths(model, &argument),
            CommandId::Distribute => return super::run_plans::distribute(model, &argument),
            _ => {}
        }
    }
    if command.id == CommandId::Images && !argument.is_empty() {
        // The lab named exactly, else the one lab whose name starts with what was typed.
        let matches = lab_matches(model, &argument);
        let exact = matches
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&argument))
            .cloned();
        let prefixed: Vec<&(String, String)> = matches
            .iter()
            .filter(|(n, _)| {
                n.to_ascii_lowercase()
                    .starts_with(&argument.to_ascii_lowercase())
            })
            .collect();
        let name = match (exact, prefixed.as_slice()) {
            (Some((n, _)), _) => n,
            (None, [(n, _)]) => n.clone(),
            (None, []) => {
                model.flash(Level::Error, format!("no lab named {argument}"));
                return Vec::new();
            }
            (None, many) => {
                let names: Vec<&str> = many.iter().map(|(n, _)| n.as_str()).collect();
                model.flash(
                    Level::Warn,
                    format!("{argument} could be {}: type more of it", names.join(", ")),
                );
                return Vec::new();
            }
        };
        let lab = model.data.as_ref().and_then(|d| {
            (0..d.labs.len())
                .find(|&l| d.lab(l).name == name)
                .map(|l| d.lab(l).id.clone())
        });
        if let Some(id) = lab {
            switch(model, View::Labs);
            push(model, View::Images { lab: Some(id) });
        }
        return Vec::new();
    }
    run_command(model, command.id)
}

/// Help: scroll with j/k, close with Esc, q or ?.
pub fn help_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let Overlay::Help { scroll } = &mut model.overlay else {
        return Vec::new();
    };
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('?') => model.overlay = Overlay::None,
        // Past the last command there is nothing to see.
        KeyCode::Char('j') | KeyCode::Down => *scroll = (*scroll + 1).min(command::COMMANDS.len()),
        KeyCode::Char('k') | KeyCode::Up => *scroll = scroll.saturating_sub(1),
        // The ends, as in every list (the trial found g and G doing nothing here).
        KeyCode::Char('g') | KeyCode::Home => *scroll = 0,
        KeyCode::Char('G') | KeyCode::End => *scroll = command::COMMANDS.len(),
        _ => {}
    }
    Vec::new()
}

/// A confirmation: Tab or the arrows move between Cancel and Confirm; Enter presses; Esc cancels.
pub fn confirm_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let Overlay::Confirm(confirm) = &mut model.overlay else {
        return Vec::new();
    };
    match key.code {
        KeyCode::Esc => {
            model.overlay = Overlay::None;
            model.flash(Level::Info, "cancelled: nothing was changed");
        }
        // q cancels too, unless it is being typed.
        KeyCode::Char('q') if confirm.typed_required.is_none() => {
            model.overlay = Overlay::None;
            model.flash(Level::Info, "cancelled: nothing was changed");
        }
        // A run's plan scrolls (a retirement's list is cut to fit, the unusual kept in sight).
        KeyCode::Char('j') | KeyCode::Down if confirm.typed_required.is_none() => {
            let lines = confirm.items.len() + confirm.notes.len() + confirm.blockers.len();
            confirm.scroll = (confirm.scroll + 1).min(lines as u16)
        }
        KeyCode::Char('k') | KeyCode::Up if confirm.typed_required.is_none() => {
            confirm.scroll = confirm.scroll.saturating_sub(1)
        }
        KeyCode::Tab | KeyCode::Right => confirm.focus = next_button(confirm, true),
        KeyCode::BackTab | KeyCode::Left => confirm.focus = next_button(confirm, false),
        KeyCode::Enter if confirm.focus == Button::Cancel => {
            model.overlay = Overlay::None;
            model.flash(Level::Info, "cancelled: nothing was changed");
        }
        KeyCode::Enter if confirm.focus == Button::Include => {
            confirm.include_unusual = !confirm.include_unusual;
            confirm.typed_required = super::commands::typed_required(confirm);
            model.flash = None;
        }
        KeyCode::Enter => {
            if let Some(required) = &confirm.typed_required
                && text_of(&confirm.typed).trim() != required
            {
                let required = required.clone();
                model.flash(Level::Warn, format!("type {required} to confirm"));
                return Vec::new();
            }
            if let Some(first) = confirm.blockers.first() {
                let text = format!("the plan cannot run: {first}; fix it, then try again");
                model.flash(Level::Error, text);
                return Vec::new();
            }
            return match confirm.action.clone() {
                ConfirmAction::Retire => start_retirement(model),
                other => super::builds::confirmed(model, other),
            };
        }
        _ if confirm.typed_required.is_some() => {
            confirm.typed.input(key);
            // The typed count is the explicit confirmation: Enter then retires.
            if confirm.typed_required.as_deref() == Some(text_of(&confirm.typed).trim()) {
                confirm.focus = Button::Confirm;
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Pinning: Enter pins with the reason typed (not empty), Esc cancels. Unpinning: a
/// confirmation that starts on Cancel; Tab switches, Enter presses.
pub fn pin_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let Overlay::Pin(dialog) = &mut model.overlay else {
        return Vec::new();
    };
    let change = match (key.code, &dialog.current) {
        (KeyCode::Esc, _) | (KeyCode::Char('q'), Some(_)) => None,
        (KeyCode::Enter, None) => {
            let reason = text_of(&dialog.reason).trim().to_string();
            if reason.is_empty() {
                model.flash(Level::Warn, "say why it is pinned: the reason is the pin");
                return Vec::new();
            }
            Some(PinChange::Pin {
                reason,
                overwrite: false,
            })
        }
        (_, None) => {
            if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('u') {
                dialog.reason.delete_line_by_head();
            } else {
                dialog.reason.input(key);
            }
            return Vec::new();
        }
        (KeyCode::Tab | KeyCode::BackTab | KeyCode::Left | KeyCode::Right, Some(_)) => {
            dialog.focus = if dialog.focus == Button::Cancel {
                Button::Confirm
            } else {
                Button::Cancel
            };
            return Vec::new();
        }
        (KeyCode::Enter, Some(_)) if dialog.focus == Button::Confirm => Some(PinChange::Unpin),
        (KeyCode::Enter, Some(_)) => None,
        _ => return Vec::new(),
    };
    let image = dialog.image.clone();
    let name = dialog.name.clone();
    let lab = dialog.lab.clone();
    model.overlay = Overlay::None;
    let Some(change) = change else {
        model.flash(Level::Info, "cancelled: nothing was changed");
        return Vec::new();
    };
    let verb = match change {
        PinChange::Pin { .. } => "pinning",
        PinChange::Unpin => "unpinning",
    };
    model.flash(Level::Info, format!("{verb} {name}…"));
    let req = model.request("pin");
    let title = format!("{verb} {name} in {lab}");
    model.jobs.start(req, JobKind::Pin, title, 1, model.now);
    vec![Effect::SetPin(req, image, lab, change)]
}

/// The button after (or before) the focused one; the Include switch only when there is
/// something unusual to include.
fn next_button(confirm: &super::super::model::Confirm, forward: bool) -> Button {
    let mut order = vec![Button::Cancel, Button::Confirm];
    if !confirm.unusual_targets.is_empty() {
        order.push(Button::Include);
    }
    let at = order.iter().position(|b| *b == confirm.focus).unwrap_or(0);
    let n = order.len();
    order[if forward {
        (at + 1) % n
    } else {
        (at + n - 1) % n
    }]
}

/// Confirmed: retire the chosen images (and the unusual ones, when included), as a job.
fn start_retirement(model: &mut Model) -> Vec<Effect> {
    let Overlay::Confirm(confirm) = &mut model.overlay else {
        return Vec::new();
    };
    if confirm.count() == 0 {
        let why = if confirm.unusual_targets.is_empty() {
            "nothing to retire: every chosen image is left out (see why in the list); Cancel"
        } else {
            "nothing to retire: every chosen image is unusual; include them explicitly, or Cancel"
        };
        model.flash(Level::Warn, why);
        return Vec::new();
    }
    let mut targets = std::mem::take(&mut confirm.targets);
    // Every chosen image gets an outcome: those left out are skipped, with why.
    let mut skipped: Vec<(String, String)> = confirm
        .left_out
        .iter()
        .map(|l| match l.split_once(" is ") {
            Some((subject, why)) => (subject.to_string(), format!("left out: it is {why}")),
            None => (l.clone(), "left out".to_string()),
        })
        .collect();
    if confirm.include_unusual {
        targets.append(&mut confirm.unusual_targets);
    } else {
        skipped.extend(confirm.unusual_targets.iter().map(|t| {
            (
                t.name.clone(),
                "left out: unusual, and not included explicitly".to_string(),
            )
        }));
    }
    let title = confirm.title.clone();
    let Some(data) = &model.data else {
        return Vec::new();
    };
    let labs = involved_labs(&data.inventory, &targets);
    let now = data.plan.now;
    let req = model.request("retire");
    model.jobs.start(
        req,
        JobKind::Retire,
        title,
        targets.len() + skipped.len(),
        model.now,
    );
    for (subject, detail) in skipped {
        model.jobs.settle(
            req,
            crate::tui::model::JobItem {
                subject,
                outcome: crate::tui::model::ItemOutcome::Skipped,
                detail,
            },
        );
    }
    // An action takes the marks with it: they must not choose the next one.
    model.marks.retain(|m| m.starts_with("def:"));
    super::jobs::open_window(model, req);
    vec![Effect::Retire(req, Box::new(labs), targets, now)]
}

/// The part of the inventory a retirement touches: its labs, so the effect owns what it needs.
fn involved_labs(
    inventory: &crate::factory::Inventory,
    targets: &[crate::factory::retire::RetireTarget],
) -> crate::factory::Inventory {
    let subscriptions = inventory
        .subscriptions
        .iter()
        .filter_map(|s| {
            let labs: Vec<_> = s
                .labs
                .iter()
                .filter(|l| targets.iter().any(|t| t.lab == l.id))
                .cloned()
                .collect();
            (!labs.is_empty()).then(|| crate::factory::SubscriptionInventory {
                id: s.id.clone(),
                name: s.name.clone(),
                state: s.state.clone(),
                tenant: s.tenant.clone(),
                labs,
            })
        })
        .collect();
    crate::factory::Inventory {
        subscriptions,
        problems: Vec::new(),
        taken_at: inventory.taken_at,
    }
}
