//! `update`: a message in, the model changed, effects out. No I/O, no awaiting, no clock.

mod commands;
mod dialogs;
mod replies;

use super::effect::Effect;
use super::model::{Model, Overlay};
use super::msg::Msg;

pub use commands::run_command;

/// The effects to run when the console starts: read the inventory.
pub fn init(model: &mut Model) -> Vec<Effect> {
    replies::refresh(model)
}

/// Applies one message.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => {
            model.dirty = true;
            if key.kind == crossterm::event::KeyEventKind::Release {
                return Vec::new();
            }
            match &model.overlay {
                Overlay::Confirm(_) => dialogs::confirm_key(model, key),
                Overlay::Palette(_) => dialogs::palette_key(model, key),
                Overlay::Help { .. } => dialogs::help_key(model, key),
                Overlay::Progress(_) => dialogs::progress_key(model, key),
                Overlay::None if model.filter_input.is_some() => dialogs::filter_key(model, key),
                Overlay::None => match model.keymap.command(&key) {
                    Some(id) => run_command(model, id),
                    None => Vec::new(),
                },
            }
        }
        Msg::Resize(w, h) => {
            model.width = w;
            model.height = h;
            model.dirty = true;
            Vec::new()
        }
        Msg::Tick(now) => replies::tick(model, now),
        Msg::Cached(inventory) => replies::cached(model, *inventory),
        Msg::Loaded(req, payload) => replies::loaded(model, req, payload),
        Msg::Retired(req, outcome) => replies::retired(model, req, outcome),
        Msg::Flash(level, text) => {
            model.flash(level, text);
            Vec::new()
        }
    }
}
