//! The setup's keys: answers typed into the wizard, each step checked on Enter, and what the
//! next step needs read from Azure as it opens. `fields` moves between a step's fields and
//! lists; `steps` checks and goes on; `replies` takes what Azure answered.

mod fields;
mod replies;
mod steps;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::super::effect::Effect;
use super::super::model::setup::{Busy, Focus, Setup, SetupScreen};
use super::super::model::{Level, Model};
use crate::setup::{Availability, Step, Wizard};
use fields::{focus, go_to, lists, move_cursor, move_focus, set_answer, toggle, toggles, typed};

pub use replies::{labs_read, offer_read, signed_in, written};

/// Opens the setup for `imagefactory init`: the program is the setup, and leaving it ends the
/// program (`:init` in a console opens it with `open`, and leaving returns to the console).
pub fn open_for_init(model: &mut Model, dir: std::path::PathBuf) {
    model.ending.init = true;
    open(model, Setup::Started(dir));
}

/// Opens the setup: offered (a welcome that says why) or started.
pub fn open(model: &mut Model, setup: Setup) {
    let (dir, welcome) = match setup {
        Setup::Offered(dir) => (dir, true),
        Setup::Started(dir) => (dir, false),
    };
    let legacy = crate::setup::legacy_configuration(&dir);
    // An original factory's configuration here is offered first, even to `init`.
    let welcome = welcome || legacy.is_some();
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
pub(super) fn wait(model: &mut Model, what: String, writes: bool) -> crate::tui::model::ReqId {
    let req = model.request("setup");
    if let Some(s) = model.setup.as_mut() {
        s.busy = Some(Busy { req, what, writes });
    }
    req
}

/// A key while the setup is on screen.
pub fn key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let size = (model.width, model.height);
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
        KeyCode::Enter => steps::enter(model),
        KeyCode::Up | KeyCode::Down | KeyCode::PageUp | KeyCode::PageDown if lists(screen) => {
            let step = match key.code {
                KeyCode::Up => -1,
                KeyCode::Down => 1,
                KeyCode::PageUp => -8,
                _ => 8,
            };
            move_cursor(screen, step, size);
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
            move_cursor(screen, 1, size);
            Vec::new()
        }
        KeyCode::Char('k') if screen.focus == Focus::List => {
            move_cursor(screen, -1, size);
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
    // `init` asked for the setup alone: leaving it ends `init`, having written nothing (a
    // console without the factory.toml that may be here would only confuse).
    if model.ending.init && !model.ending.wrote_config {
        model.quit = true;
        return;
    }
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
