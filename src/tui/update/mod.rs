//! `update`: a message in, the model changed, effects out. No I/O, no awaiting, no clock.

mod builds;
mod commands;
mod definitions;
mod dialogs;
mod jobs;
mod reading;
mod replies;
mod run_plans;
pub mod setup;

use crossterm::event::{KeyCode, KeyModifiers};

use super::effect::Effect;
use super::model::{Model, Overlay};
use super::msg::Msg;

pub use commands::run_command;
pub use dialogs::{Completion, completions};
pub use reading::SHOW_EVERY as SHOW_PARTS_EVERY;

/// The effects to run when the console starts: read the inventory.
pub fn init(model: &mut Model) -> Vec<Effect> {
    let mut effects = replies::refresh(model);
    effects.push(Effect::LoadPrincipal);
    effects
}

/// Applies one message.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => {
            let flash_before = model.flash.as_ref().map(|f| (f.text.clone(), f.until));
            let effects = key_pressed(model, key);
            // A dialog that opens takes the eye: a flash from before it is out of date.
            let opened = matches!(
                model.overlay,
                Overlay::Confirm(_) | Overlay::Pin(_) | Overlay::Editor(_)
            );
            if opened
                && flash_before.is_some()
                && model.flash.as_ref().map(|f| (f.text.clone(), f.until)) == flash_before
            {
                model.flash = None;
            }
            effects
        }
        Msg::Resize(w, h) => {
            model.width = w;
            model.height = h;
            model.dirty = true;
            Vec::new()
        }
        Msg::Tick(now) => replies::tick(model, now),
        // An effect's reply changes what is on screen (a result, or the end of "checking…"):
        // it is drawn now, not at the next key. (Reading parts are shown at their own pace,
        // and journal lines say themselves whether they change anything.)
        Msg::Cached(inventory) => {
            model.dirty = true;
            replies::cached(model, *inventory)
        }
        Msg::Loaded(req, payload) => {
            model.dirty = true;
            replies::loaded(model, req, payload)
        }
        Msg::Retired(req, outcome) => {
            model.dirty = true;
            jobs::retired(model, req, outcome)
        }
        Msg::Journal(read) => builds::journal(model, read),
        Msg::JournalsListed => builds::listed(model),
        Msg::Reading(req, part) => reading::part(model, req, *part),
        Msg::Flash(level, text) => {
            model.flash(level, text);
            Vec::new()
        }
    }
}

/// A key pressed: the overlay, the setup, the filter or the view's command takes it.
fn key_pressed(model: &mut Model, key: crossterm::event::KeyEvent) -> Vec<Effect> {
    model.dirty = true;
    if key.kind == crossterm::event::KeyEventKind::Release {
        return Vec::new();
    }
    // ctrl-c and ctrl-z work wherever the focus is: in the filter, the palette, a
    // dialog or the help.
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        match key.code {
            KeyCode::Char('c') if definitions::editor_holds_changes(model) => {
                return Vec::new();
            }
            KeyCode::Char('c') => {
                let effects = jobs::interrupt(model);
                model.ending.interrupted |= model.quit;
                return effects;
            }
            KeyCode::Char('z') => return vec![Effect::Suspend],
            _ => {}
        }
    }
    // A new definition is being read from a lab VM: its editor opens when it arrives, and
    // what is typed meanwhile must not land in it or act elsewhere. Esc stops waiting.
    if model.pending.contains_key("vm-template") && matches!(model.overlay, Overlay::None) {
        if key.code == KeyCode::Esc {
            model.pending.remove("vm-template");
            model.flash(
                super::model::Level::Info,
                "stopped reading the lab VM: nothing was opened",
            );
        } else {
            model.flash(
                super::model::Level::Info,
                "reading the lab VM for the new definition… (Esc stops)",
            );
        }
        return Vec::new();
    }
    if model.setup.is_some() && matches!(model.overlay, Overlay::None) {
        return setup::key(model, key);
    }
    match &model.overlay {
        Overlay::Confirm(_) => dialogs::confirm_key(model, key),
        Overlay::Pin(_) => dialogs::pin_key(model, key),
        Overlay::Palette(_) => dialogs::palette_key(model, key),
        Overlay::Help { .. } => dialogs::help_key(model, key),
        Overlay::Job(_) => jobs::window_key(model, key),
        Overlay::Editor(_) => definitions::editor_key(model, key),
        Overlay::None if model.filter_input.is_some() => dialogs::filter_key(model, key),
        Overlay::None => match model.keymap.command(&key) {
            Some(id) if !commands::applies_here(model, id) => {
                commands::say_where(model, id);
                Vec::new()
            }
            Some(id) => run_command(model, id),
            None => {
                if let Some(id) = model.keymap.refused(&key) {
                    commands::refuse_read_only(model, id);
                }
                Vec::new()
            }
        },
    }
}
