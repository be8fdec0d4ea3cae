//! `view`: draws the model. Reads only; builds only what is on screen.

mod chrome;
mod dialogs;
mod lists;
mod retention;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};

use super::model::{Model, Overlay, View};
use super::theme::Theme;

/// `text` cut to `width` characters, ending in `…` when it was cut.
pub(crate) fn ellipsis(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut cut: String = text.chars().take(width - 1).collect();
    cut.push('…');
    cut
}

/// Draws the whole screen.
pub fn view(model: &Model, theme: &Theme, frame: &mut Frame) {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    chrome::header(model, theme, frame, header);
    match &model.route().view {
        View::Labs => lists::labs(model, theme, frame, body),
        View::Images { .. } => lists::images(model, theme, frame, body),
        View::Retention => retention::plan(model, theme, frame, body),
        View::Drift => lists::drift(model, theme, frame, body),
        View::Defs => lists::definitions(model, theme, frame, body),
        View::Detail { .. } => lists::detail(model, theme, frame, body),
        View::Messages => lists::messages(model, theme, frame, body),
    }
    chrome::footer(model, theme, frame, footer);
    match &model.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => dialogs::help(model, theme, frame, *scroll),
        Overlay::Palette(p) => dialogs::palette(model, theme, frame, p),
        Overlay::Confirm(c) => dialogs::confirm(model, theme, frame, c),
        Overlay::Pin(p) => dialogs::pin(theme, frame, p),
        Overlay::Progress(p) => dialogs::progress(theme, frame, p),
    }
}
