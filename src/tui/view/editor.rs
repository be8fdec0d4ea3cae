//! The definition editor: the TOML with line numbers, and under it what the last save found
//! wrong (at its line and column) or the keys that work.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::super::model::editor::Editor;
use super::super::theme::Theme;
use super::super::widget::popup::centred;

/// Draws the editor over the view, leaving the header in sight.
pub fn editor(theme: &Theme, frame: &mut Frame, editor: &Editor) {
    let full = frame.area();
    let area = centred(
        full,
        full.width.saturating_sub(2),
        full.height.saturating_sub(2),
    );
    frame.render_widget(Clear, area);
    let what = if editor.new { "New" } else { "Edit" };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(
            format!(" {what} images/{}.toml ", editor.path),
            theme.title,
        ))
        .style(theme.dialog);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [text, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(2)]).areas(inner);
    let mut area_widget = editor.text.clone();
    area_widget.set_style(theme.text);
    area_widget.set_cursor_line_style(theme.text);
    frame.render_widget(&area_widget, text);
    let line = match (&editor.error, editor.leave_asked, editor.saving) {
        (_, _, Some(_)) => Line::from(Span::styled(" saving…", theme.flash_info)),
        (_, true, _) => Line::from(Span::styled(
            " unsaved changes: Esc again leaves them, ctrl-s saves",
            theme.flash_warn,
        )),
        (Some(e), _, _) => {
            let at =
                e.at.map(|(l, c)| format!("line {l}, column {c}: "))
                    .unwrap_or_default();
            Line::from(Span::styled(
                format!(" ✗ {at}{} (not saved)", e.message),
                theme.flash_error,
            ))
        }
        (None, false, None) => Line::from(Span::styled(
            " ctrl-s checks and saves, then shows the plan · Esc closes",
            theme.dim,
        )),
    };
    frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: false }), status);
}
