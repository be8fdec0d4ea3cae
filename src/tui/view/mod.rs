//! `view`: draws the model. Reads only; builds only what is on screen.

mod builds;
mod chrome;
mod dialogs;
mod editor;
mod lists;
mod retention;
mod setup;

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

/// `chars` in lines of at most `first` characters, then `rest`: broken after a space when
/// there is one in the line's second half, else where the line is full.
pub(crate) fn wrap_words(chars: &[char], first: usize, rest: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let width = if out.is_empty() { first } else { rest }.max(1);
        let mut end = (start + width).min(chars.len());
        if end < chars.len()
            && let Some(space) = chars[start + width / 2..end]
                .iter()
                .rposition(|c| *c == ' ')
        {
            end = start + width / 2 + space + 1;
        }
        out.push(
            chars[start..end]
                .iter()
                .collect::<String>()
                .trim_end()
                .to_string(),
        );
        start = end;
        while start < chars.len() && chars[start] == ' ' && !out.is_empty() {
            start += 1;
        }
    }
    out
}

/// The smallest screen the console lays out.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 12;

/// Draws the whole screen.
pub fn view(model: &Model, theme: &Theme, frame: &mut Frame) {
    let full = frame.area();
    if full.width < MIN_WIDTH || full.height < MIN_HEIGHT {
        let text = format!(
            "terminal too small: {}x{}; imagefactory needs at least {MIN_WIDTH}x{MIN_HEIGHT} (80x24 is comfortable). q quits.",
            full.width, full.height
        );
        frame.render_widget(
            ratatui::widgets::Paragraph::new(text)
                .style(theme.flash_warn)
                .wrap(ratatui::widgets::Wrap { trim: false }),
            full,
        );
        return;
    }
    if let Some(screen) = &model.setup {
        setup::setup(model, screen, theme, frame);
        return;
    }
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
        View::Builds => builds::runs(model, theme, frame, body),
        View::Run { .. } => builds::run(model, theme, frame, body),
        View::RunImage { .. } | View::Definition { .. } | View::Check => {
            lists::detail(model, theme, frame, body)
        }
        View::Jobs => builds::jobs(model, theme, frame, body),
    }
    chrome::footer(model, theme, frame, footer);
    match &model.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => dialogs::help(model, theme, frame, *scroll),
        Overlay::Palette(p) => dialogs::palette(model, theme, frame, p),
        Overlay::Confirm(c) => dialogs::confirm(model, theme, frame, c),
        Overlay::Pin(p) => dialogs::pin(theme, frame, p),
        Overlay::Job(w) => dialogs::job(model, theme, frame, w),
        Overlay::Editor(e) => editor::editor(theme, frame, e),
    }
}
