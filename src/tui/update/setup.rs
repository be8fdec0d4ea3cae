//! The setup's keys and replies: answers typed into the wizard, each step checked on Enter, and
//! what the next step needs read from Azure as it opens.

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::super::effect::Effect;
use super::super::model::setup::{Busy, Focus, Setup, SetupScreen};
use super::super::model::{Level, Model};
use crate::arm::AuthMode;
use crate::config::FactoryConfig;
use crate::factory::Inventory;
use crate::factory::build::plan::FactoryOffer;
use crate::setup::{Availability, ChosenArtifact, Field, LabChoice, SignedIn, Step, Wizard};

/// Opens the setup: offered (a welcome that says why) or started.
pub fn open(model: &mut Model, setup: Setup) {
    let (dir, welcome) = match setup {
        Setup::Offered(dir) => (dir, true),
        Setup::Started(dir) => (dir, false),
    };
    let legacy = crate::setup::legacy_configuration(&dir);
    let wizard = Wizard::new(dir, crate::setup::credentials::detect_here());
    // The cursor starts on the credential the console signed in with, if it can be tried.
    let current = model.invocation.auth;
    let cursor = wizard
        .credentials
        .iter()
        .position(|c| {
            Some(c.mode) == current && !matches!(c.availability, Availability::Missing(_))
        })
        .or_else(|| {
            wizard
                .credentials
                .iter()
                .position(|c| matches!(c.availability, Availability::Ready(_)))
        })
        .unwrap_or(0);
    let mut screen = SetupScreen::new(wizard, welcome, legacy);
    screen.cursor = cursor;
    model.setup = Some(Box::new(screen));
    model.dirty = true;
}

/// Starts waiting for work of the setup: the request it is, said on screen.
fn wait(model: &mut Model, what: String, writes: bool) -> crate::tui::model::ReqId {
    let req = model.request("setup");
    if let Some(s) = model.setup.as_mut() {
        s.busy = Some(Busy { req, what, writes });
    }
    req
}

/// A key while the setup is on screen.
pub fn key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let Some(screen) = model.setup.as_mut() else {
        return Vec::new();
    };
    if screen.welcome {
        return welcome_key(model, key);
    }
    if screen.busy.is_some() && key.code != KeyCode::Esc {
        return Vec::new();
    }
    match key.code {
        KeyCode::Esc => back(model),
        KeyCode::Tab => {
            move_focus(screen, 1);
            Vec::new()
        }
        KeyCode::BackTab => {
            move_focus(screen, -1);
            Vec::new()
        }
        KeyCode::Enter => enter(model),
        KeyCode::Up | KeyCode::Down | KeyCode::PageUp | KeyCode::PageDown if lists(screen) => {
            let step = match key.code {
                KeyCode::Up => -1,
                KeyCode::Down => 1,
                KeyCode::PageUp => -8,
                _ => 8,
            };
            move_cursor(screen, step);
            Vec::new()
        }
        KeyCode::Char(' ') if toggles(screen) => {
            toggle(screen);
            Vec::new()
        }
        KeyCode::Char('o') if screen.step() == Step::Review => {
            screen.wizard.overwrite = !screen.wizard.overwrite;
            screen.problem = None;
            Vec::new()
        }
        KeyCode::Char('j') if screen.focus == Focus::List => {
            move_cursor(screen, 1);
            Vec::new()
        }
        KeyCode::Char('k') if screen.focus == Focus::List => {
            move_cursor(screen, -1);
            Vec::new()
        }
        KeyCode::Char('u') if typed(screen) && key.modifiers.contains(KeyModifiers::CONTROL) => {
            // ctrl-u clears the field, as in a shell.
            screen.input = ratatui_textarea::TextArea::default();
            set_answer(screen, "");
            screen.problem = None;
            Vec::new()
        }
        _ if typed(screen) => {
            screen.input.input(key);
            let text = screen.input.lines().join("");
            set_answer(screen, &text);
            screen.problem = None;
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn welcome_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let Some(screen) = model.setup.as_mut() else {
        return Vec::new();
    };
    // An import writes files: nothing else until it has answered.
    if screen.busy.is_some() {
        return Vec::new();
    }
    match key.code {
        KeyCode::Enter | KeyCode::Char('s') => {
            screen.welcome = false;
            Vec::new()
        }
        KeyCode::Char('i') if screen.legacy.is_some() => {
            let from = screen.legacy.clone().unwrap_or_default();
            let to = screen.wizard.dir.clone();
            let req = wait(model, format!("converting {}", from.display()), true);
            vec![Effect::ImportLegacy(req, from, to)]
        }
        KeyCode::Esc | KeyCode::Char('q') => {
            close(model);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Leaves the setup for the console as it is (`:init` opens it again).
fn close(model: &mut Model) {
    model.setup = None;
    model.pending.remove("setup");
    if model.config.is_none() {
        model.flash(
            Level::Info,
            "no factory configured: the estate is shown without one (:init sets one up)",
        );
    }
}

fn back(model: &mut Model) -> Vec<Effect> {
    let Some(screen) = model.setup.as_mut() else {
        return Vec::new();
    };
    match &screen.busy {
        // Files being written: their end must be heard, whatever it is.
        Some(busy) if busy.writes => return Vec::new(),
        Some(_) => {
            // The reply will be dropped (its request is forgotten), and the step that asked
            // for it is shown again: this one would have shown stale choices.
            screen.busy = None;
            model.pending.remove("setup");
            if let Some(s) = model.setup.as_mut()
                && let Some(previous) = s.step().previous()
                && matches!(s.step(), Step::Factory | Step::Definition)
            {
                go_to(s, previous);
            }
            return Vec::new();
        }
        None => {}
    }
    // A search being typed is cleared first, as a filter is.
    if matches!(screen.focus, Focus::Base | Focus::Artifacts) && !screen.input.is_empty() {
        let f = screen.focus.clone();
        focus(screen, f);
        return Vec::new();
    }
    match screen.step().previous() {
        Some(previous) => {
            go_to(screen, previous);
            Vec::new()
        }
        None => {
            close(model);
            Vec::new()
        }
    }
}

/// The fields of the step on screen, in Tab order.
fn focuses(screen: &SetupScreen) -> Vec<Focus> {
    match screen.step() {
        Step::Targets => vec![Focus::List, Focus::TargetPaths],
        Step::Retention => vec![
            Focus::KeepLatest,
            Focus::MinAge,
            Focus::ProtectInUse,
            Focus::RetireRemoved,
            Focus::RetireUnsubscribed,
        ],
        Step::Definition => {
            let mut f = vec![Focus::DefinitionPath, Focus::Base, Focus::Artifacts];
            f.extend(
                parameters(&screen.wizard)
                    .into_iter()
                    .map(|(i, name, _)| Focus::Parameter(i, name)),
            );
            f
        }
        _ => vec![Focus::List],
    }
}

/// The parameters of the chosen artifacts: (artifact index, name, required).
pub fn parameters(wizard: &Wizard) -> Vec<(usize, String, bool)> {
    let Some(offer) = &wizard.offer else {
        return Vec::new();
    };
    wizard
        .artifacts
        .iter()
        .enumerate()
        .flat_map(|(i, chosen)| {
            offer
                .artifact_sources
                .iter()
                .filter(|s| s.name == chosen.source)
                .flat_map(|s| s.artifacts.iter().filter(|a| a.name == chosen.name))
                .flat_map(move |a| {
                    a.parameters
                        .iter()
                        .map(move |p| (i, p.name.clone(), p.required))
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn move_focus(screen: &mut SetupScreen, by: isize) {
    let all = focuses(screen);
    let at = all.iter().position(|f| *f == screen.focus).unwrap_or(0) as isize;
    let next = (at + by).rem_euclid(all.len().max(1) as isize) as usize;
    if let Some(f) = all.get(next).cloned() {
        focus(screen, f);
    }
}

/// Gives `f` the keys, with its answer as the text to edit.
pub fn focus(screen: &mut SetupScreen, f: Focus) {
    let text = match &f {
        Focus::TargetPaths => screen
            .wizard
            .targets
            .get(&screen.cursor)
            .cloned()
            .unwrap_or_default(),
        Focus::KeepLatest => screen.wizard.retention.keep_latest.clone(),
        Focus::MinAge => screen.wizard.retention.min_age.clone(),
        Focus::DefinitionPath => screen.wizard.definition_path.clone(),
        Focus::Parameter(i, name) => screen
            .wizard
            .artifacts
            .get(*i)
            .and_then(|a| a.parameters.get(name).cloned())
            .unwrap_or_default(),
        _ => String::new(),
    };
    let mut input = ratatui_textarea::TextArea::new(vec![text]);
    input.move_cursor(ratatui_textarea::CursorMove::End);
    screen.input = input;
    if f == Focus::Base {
        let base = screen.wizard.base;
        screen.focus = f;
        screen.cursor = screen
            .gallery_shown()
            .iter()
            .position(|g| Some(*g) == base)
            .unwrap_or(0);
        return;
    }
    if f == Focus::Artifacts {
        screen.cursor = 0;
    }
    screen.focus = f;
}

fn go_to(screen: &mut SetupScreen, step: Step) {
    screen.wizard.step = step;
    if step == Step::Definition && screen.wizard.definition_path.trim().is_empty() {
        screen.wizard.definition_path = screen.wizard.suggested_path();
    }
    screen.problem = None;
    screen.failure = None;
    screen.scroll = 0;
    screen.cursor = match step {
        Step::Factory => screen.wizard.factory.unwrap_or(0),
        _ => 0,
    };
    let first = focuses(screen).into_iter().next().unwrap_or(Focus::List);
    focus(screen, first);
}

/// Whether the up and down keys move a list cursor here.
fn lists(screen: &SetupScreen) -> bool {
    matches!(screen.focus, Focus::List | Focus::Base | Focus::Artifacts)
}

/// Whether space marks or switches here.
fn toggles(screen: &SetupScreen) -> bool {
    matches!(
        (screen.step(), &screen.focus),
        (Step::Subscriptions | Step::Targets, Focus::List)
            | (_, Focus::Artifacts)
            | (
                _,
                Focus::ProtectInUse | Focus::RetireRemoved | Focus::RetireUnsubscribed
            )
    )
}

/// Whether keys are typed into the focused field.
fn typed(screen: &SetupScreen) -> bool {
    !matches!(
        screen.focus,
        Focus::List | Focus::ProtectInUse | Focus::RetireRemoved | Focus::RetireUnsubscribed
    )
}

fn rows(screen: &SetupScreen) -> usize {
    let w = &screen.wizard;
    match (&screen.focus, screen.step()) {
        (Focus::Base, _) => screen.gallery_shown().len(),
        (Focus::Artifacts, _) => screen.artifacts_shown().len(),
        (_, Step::SignIn) => w.credentials.len(),
        (_, Step::Subscriptions) => w.signed_in.as_ref().map_or(0, |s| s.subscriptions.len()),
        (_, Step::Factory | Step::Targets) => w.labs.len(),
        (_, Step::Review) => 200,
        _ => 0,
    }
}

fn move_cursor(screen: &mut SetupScreen, by: isize) {
    if screen.step() == Step::Review {
        screen.scroll = (screen.scroll as isize + by).max(0) as u16;
        return;
    }
    let n = rows(screen);
    if n == 0 {
        return;
    }
    screen.cursor = (screen.cursor as isize + by).clamp(0, n as isize - 1) as usize;
}

fn toggle(screen: &mut SetupScreen) {
    screen.problem = None;
    let w = &mut screen.wizard;
    match (&screen.focus, w.step) {
        (Focus::ProtectInUse, _) => w.retention.protect_in_use = !w.retention.protect_in_use,
        (Focus::RetireRemoved, _) => {
            w.retention.retire_removed_definitions = !w.retention.retire_removed_definitions
        }
        (Focus::RetireUnsubscribed, _) => {
            w.retention.retire_unsubscribed = !w.retention.retire_unsubscribed
        }
        (Focus::Artifacts, _) => {
            let shown = screen.artifacts_shown();
            if let Some((source, artifact)) = shown.get(screen.cursor) {
                let w = &mut screen.wizard;
                match w
                    .artifacts
                    .iter()
                    .position(|a| a.source == *source && a.name == artifact.name)
                {
                    Some(i) => {
                        w.artifacts.remove(i);
                    }
                    None => w.artifacts.push(ChosenArtifact {
                        source: source.clone(),
                        name: artifact.name.clone(),
                        parameters: artifact
                            .parameters
                            .iter()
                            .filter_map(|p| Some((p.name.clone(), p.default.clone()?)))
                            .collect(),
                    }),
                }
            }
        }
        (_, Step::Subscriptions) => {
            let id = w
                .signed_in
                .as_ref()
                .and_then(|s| s.subscriptions.get(screen.cursor))
                .map(|s| s.id.clone());
            if let Some(id) = id
                && !w.subscriptions.remove(&id)
            {
                w.subscriptions.insert(id);
            }
        }
        (_, Step::Targets) => w.toggle_target(screen.cursor),
        _ => {}
    }
}

/// Puts what was typed into the answer of the focused field.
fn set_answer(screen: &mut SetupScreen, text: &str) {
    let cursor = screen.cursor;
    let w = &mut screen.wizard;
    match &screen.focus {
        // Typing paths for a lab marks it.
        Focus::TargetPaths if cursor < w.labs.len() => {
            w.targets.insert(cursor, text.to_string());
        }
        Focus::KeepLatest => w.retention.keep_latest = text.to_string(),
        Focus::MinAge => w.retention.min_age = text.to_string(),
        Focus::DefinitionPath => w.definition_path = text.to_string(),
        Focus::Parameter(i, name) => {
            if let Some(a) = w.artifacts.get_mut(*i) {
                a.parameters.insert(name.clone(), text.to_string());
            }
        }
        // A search: the cursor goes back to the first match.
        Focus::Base | Focus::Artifacts => screen.cursor = 0,
        _ => {}
    }
}

fn enter(model: &mut Model) -> Vec<Effect> {
    let Some(screen) = model.setup.as_mut() else {
        return Vec::new();
    };
    let step = screen.step();
    match (step, screen.focus.clone()) {
        (Step::SignIn, _) => {
            let Some(chosen) = screen.wizard.credentials.get(screen.cursor).cloned() else {
                return Vec::new();
            };
            if screen.wizard.auth == Some(chosen.mode) && screen.wizard.signed_in.is_some() {
                return advance(model);
            }
            if let Availability::Missing(why) = &chosen.availability {
                screen.problem = Some(crate::setup::Problem {
                    field: Field::Credential,
                    message: format!("{} cannot be used here: {why}", chosen.mode.as_str()),
                });
                return Vec::new();
            }
            screen.failure = None;
            let req = wait(
                model,
                format!("signing in with {}", chosen.mode.as_str()),
                false,
            );
            vec![Effect::SetupSignIn(req, chosen.mode)]
        }
        (Step::Factory, Focus::List) => {
            // A lab that cannot be the factory is not marked as it: the choice stays as it was.
            let before = screen.wizard.factory;
            if screen.cursor < screen.wizard.labs.len() {
                screen.wizard.set_factory(screen.cursor);
            }
            let effects = advance(model);
            if let Some(screen) = model.setup.as_mut()
                && screen.step() == Step::Factory
            {
                match before {
                    Some(before) => screen.wizard.set_factory(before),
                    None => screen.wizard.factory = None,
                }
            }
            effects
        }
        (Step::Definition, Focus::Base) => {
            if let Some(g) = screen.gallery_shown().get(screen.cursor) {
                screen.wizard.set_base(*g);
                screen.problem = None;
                focus(screen, Focus::Artifacts);
            }
            Vec::new()
        }
        (Step::Review, _) => {
            if let Err(p) = screen.wizard.validate(Step::Review) {
                screen.problem = Some(p);
                return Vec::new();
            }
            let files = match screen.wizard.files() {
                Ok(f) => f,
                Err(p) => {
                    show_problem(screen, p);
                    return Vec::new();
                }
            };
            let (dir, overwrite) = (screen.wizard.dir.clone(), screen.wizard.overwrite);
            let req = wait(model, "writing".into(), true);
            vec![Effect::WriteConfig(req, dir, files, overwrite)]
        }
        _ => advance(model),
    }
}

/// Checks the step and goes on, starting what the next step needs read.
fn advance(model: &mut Model) -> Vec<Effect> {
    let Some(screen) = model.setup.as_mut() else {
        return Vec::new();
    };
    if let Err(p) = screen.wizard.validate(screen.step()) {
        show_problem(screen, p);
        return Vec::new();
    }
    let Some(next) = screen.step().next() else {
        return Vec::new();
    };
    go_to(screen, next);
    let w = &screen.wizard;
    let mode = w.auth.unwrap_or(AuthMode::Cli);
    match next {
        Step::Factory => {
            // The labs are read for the subscriptions chosen now.
            let chosen: Vec<String> = w.subscriptions.iter().cloned().collect();
            let read_for: Vec<String> = w
                .estate
                .as_ref()
                .map(|e| e.subscriptions.iter().map(|s| s.id.clone()).collect())
                .unwrap_or_default();
            if w.estate.is_some() && same_set(&chosen, &read_for) {
                return Vec::new();
            }
            let req = wait(
                model,
                "reading the labs of the chosen subscriptions".into(),
                false,
            );
            vec![Effect::SetupLabs(req, mode, chosen)]
        }
        Step::Definition => {
            let Some(factory) = w.factory.and_then(|i| w.labs.get(i)).map(|l| l.lab.clone()) else {
                return Vec::new();
            };
            if w.offer.is_some() && w.offer_for.as_ref() == Some(&factory) {
                return Vec::new();
            }
            let Some(estate) = w.estate.clone().map(Box::new) else {
                return Vec::new();
            };
            let req = wait(
                model,
                format!("reading what {} offers", factory.name),
                false,
            );
            vec![Effect::SetupOffer(req, mode, factory, estate)]
        }
        _ => Vec::new(),
    }
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|x| b.iter().any(|y| y.eq_ignore_ascii_case(x)))
}

/// Shows a wrong answer at its field, giving that field the keys when it is on screen.
fn show_problem(screen: &mut SetupScreen, p: crate::setup::Problem) {
    match &p.field {
        Field::TargetPaths(i) => {
            screen.cursor = *i;
            focus(screen, Focus::List);
        }
        Field::KeepLatest => focus(screen, Focus::KeepLatest),
        Field::MinAge => focus(screen, Focus::MinAge),
        Field::DefinitionPath => focus(screen, Focus::DefinitionPath),
        Field::Base => focus(screen, Focus::Base),
        Field::Parameter(i, name) => focus(screen, Focus::Parameter(*i, name.clone())),
        _ => {}
    }
    screen.problem = Some(p);
}

/// The reply to a setup request, if it is the one awaited.
fn awaited(model: &mut Model, req: crate::tui::model::ReqId) -> Option<&mut SetupScreen> {
    if !model.settle("setup", req) {
        return None;
    }
    model.dirty = true;
    let screen = model.setup.as_mut()?;
    screen.busy = None;
    Some(screen)
}

/// Signing in answered.
pub fn signed_in(
    model: &mut Model,
    req: crate::tui::model::ReqId,
    mode: AuthMode,
    result: Result<SignedIn, String>,
) {
    let Some(screen) = awaited(model, req) else {
        return;
    };
    match result {
        Ok(s) => {
            screen.wizard.signed_in(mode, s);
            screen.failure = None;
            screen.wizard.offer = None;
        }
        Err(e) => screen.failure = Some(e),
    }
}

/// The labs of the chosen subscriptions were read.
pub fn labs_read(
    model: &mut Model,
    req: crate::tui::model::ReqId,
    result: Result<Box<(Inventory, Vec<LabChoice>)>, String>,
) {
    let Some(screen) = awaited(model, req) else {
        return;
    };
    match result {
        Ok(read) => {
            let (estate, labs) = *read;
            screen.wizard.set_labs(Some(estate), labs);
            screen.cursor = screen.wizard.factory.unwrap_or(0);
            screen.failure = None;
        }
        Err(e) => screen.failure = Some(e),
    }
}

/// What the factory lab offers was read.
pub fn offer_read(
    model: &mut Model,
    req: crate::tui::model::ReqId,
    result: Result<Box<FactoryOffer>, String>,
) {
    let Some(screen) = awaited(model, req) else {
        return;
    };
    match result {
        Ok(offer) => {
            let w = &mut screen.wizard;
            let Some(lab) = w.factory.and_then(|i| w.labs.get(i)).map(|l| l.lab.clone()) else {
                return;
            };
            w.set_offer(lab, *offer);
            screen.failure = None;
            focus(screen, Focus::DefinitionPath);
        }
        Err(e) => screen.failure = Some(e),
    }
}

/// The configuration was written (or imported) and loaded: the console takes it.
pub fn written(
    model: &mut Model,
    req: crate::tui::model::ReqId,
    result: Result<Box<FactoryConfig>, String>,
) -> Vec<Effect> {
    let Some(screen) = awaited(model, req) else {
        return Vec::new();
    };
    match result {
        Err(e) => {
            screen.failure = Some(e);
            Vec::new()
        }
        Ok(config) => {
            let config = Arc::new(*config);
            model.setup = None;
            model.identity.factory = Some(config.factory.name.clone());
            model.invocation.config = Some(config.path.clone());
            if let Some(mode) = config.azure.auth {
                model.invocation.auth = Some(mode);
                model.identity.auth = mode.as_str().to_string();
            }
            model.config = Some(config.clone());
            model.flash(
                Level::Info,
                format!(
                    "{} written and loaded: factory {}, {}, {} (:check checks it)",
                    config.path.display(),
                    config.factory.name,
                    crate::human::count(config.labs.len(), "lab"),
                    crate::human::count(config.images.len(), "definition")
                ),
            );
            model.rebuild_all();
            let mut effects = vec![Effect::UseConfig(config)];
            effects.extend(super::replies::refresh(model));
            effects
        }
    }
}

/// The folder the setup writes into, for a path shown relative to it.
pub fn shown_path(dir: &std::path::Path, relative: &std::path::Path) -> PathBuf {
    if dir == std::path::Path::new(".") {
        relative.to_path_buf()
    } else {
        dir.join(relative)
    }
}
