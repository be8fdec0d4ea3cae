//! What covers the view: help, the palette, a confirmation, a retirement's progress.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::super::command::{self, COMMANDS};
use super::super::model::{Button, Confirm, Model, Palette, Progress};
use super::super::theme::Theme;
use super::super::widget::popup::centred;

fn frame_box<'a>(theme: &Theme, title: &str) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(format!(" {title} "), theme.title))
        .style(theme.dialog)
}

/// Help: every command available here, from the same table as the keys.
pub fn help(model: &Model, theme: &Theme, frame: &mut Frame, scroll: usize) {
    let area = centred(frame.area(), 76, frame.area().height.saturating_sub(2));
    let view = model.route().view.kind();
    let mut lines = vec![Line::from(Span::styled(
        "Keys here (the same commands work from the : palette):",
        theme.heading,
    ))];
    let mut elsewhere = Vec::new();
    for c in COMMANDS.iter().filter(|c| c.allowed(model.read_only)) {
        let keys = model
            .keymap
            .labels
            .get(&c.id)
            .map(|k| k.join(" "))
            .unwrap_or_default();
        let danger = if c.changes_azure {
            " (changes Azure)"
        } else {
            ""
        };
        let line = Line::from(vec![
            Span::styled(format!(" {keys:<16}"), theme.key),
            Span::styled(format!(":{:<13}", c.name), theme.text),
            Span::styled(format!("{}{danger}", c.help), theme.dim),
        ]);
        if c.applies(view) {
            lines.push(line)
        } else {
            elsewhere.push(line)
        }
    }
    if !elsewhere.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("In other views:", theme.heading)));
        lines.extend(elsewhere);
    }
    if model.read_only {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            "Read-only mode: commands that change Azure are not available.",
            theme.badge_read_only,
        )));
    }
    let lines: Vec<Line> = lines.into_iter().skip(scroll).collect();
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(frame_box(theme, "Help — Esc closes, j/k scroll")),
        area,
    );
}

/// The palette: what is typed, and the commands it could complete to.
pub fn palette(model: &Model, theme: &Theme, frame: &mut Frame, palette: &Palette) {
    let typed = palette.input.lines().first().cloned().unwrap_or_default();
    let completions = command::complete(
        typed.split_whitespace().next().unwrap_or(""),
        model.read_only,
    );
    let height = (completions.len() as u16 + 3).min(16);
    let full = frame.area();
    let area = Rect {
        x: full.x + 2,
        y: full.y + 2,
        width: full.width.saturating_sub(4).min(70),
        height: height.min(full.height.saturating_sub(2)),
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(":", theme.key),
        Span::styled(typed, theme.text),
        Span::styled("█", theme.text),
    ])];
    for (i, c) in completions
        .iter()
        .enumerate()
        .take(height.saturating_sub(3) as usize)
    {
        let style = if i == palette.selected {
            theme.selected
        } else {
            theme.text
        };
        let marker = if i == palette.selected {
            theme.marker.as_str()
        } else {
            " "
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{marker} {:<14}", c.name), style),
            Span::styled(c.help, theme.dim),
        ]));
    }
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(frame_box(
            theme,
            "Command — Tab completes, Enter runs, Esc closes",
        )),
        area,
    );
}

/// A confirmation that names what will change and starts on Cancel.
pub fn confirm(_model: &Model, theme: &Theme, frame: &mut Frame, confirm: &Confirm) {
    let full = frame.area();
    let wanted = confirm.items.len()
        + 6
        + usize::from(confirm.hidden > 0)
        + usize::from(confirm.typed_required.is_some());
    let area = centred(
        full,
        78,
        (wanted as u16).min(full.height.saturating_sub(2)).min(24),
    );
    let inner_height = area.height.saturating_sub(2) as usize;
    let mut lines = vec![Line::from(Span::styled(
        "This deletes these custom images from Azure:",
        theme.text,
    ))];
    let footer_lines =
        3 + usize::from(confirm.hidden > 0) + usize::from(confirm.typed_required.is_some());
    let room = inner_height
        .saturating_sub(lines.len() + footer_lines)
        .max(1);
    let shown = if confirm.items.len() > room {
        room - 1
    } else {
        confirm.items.len()
    };
    for item in confirm.items.iter().take(shown) {
        lines.push(Line::from(Span::styled(
            format!("  {item}"),
            theme.state_retire,
        )));
    }
    if shown < confirm.items.len() {
        lines.push(Line::from(Span::styled(
            format!("  … and {} more", confirm.items.len() - shown),
            theme.dim,
        )));
    }
    lines.push(Line::from(""));
    if confirm.hidden > 0 {
        lines.push(Line::from(Span::styled(
            format!(
                "{} of them are marked but hidden by the filter.",
                confirm.hidden
            ),
            theme.flash_warn,
        )));
    }
    if let Some(required) = &confirm.typed_required {
        let typed = confirm.typed.lines().first().cloned().unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(format!("Type {required} to confirm: "), theme.flash_warn),
            Span::styled(format!("{typed}█"), theme.text),
        ]));
    }
    let button = |label: String, focused: bool, danger: bool| {
        let style = match (focused, danger) {
            (true, true) => theme.danger,
            (true, false) => theme.button_focused,
            _ => theme.button,
        };
        let marker = if focused { theme.marker.as_str() } else { " " };
        Span::styled(format!("{marker}[ {label} ]"), style)
    };
    lines.push(Line::from(vec![
        button("Cancel".into(), confirm.focus == Button::Cancel, false),
        Span::raw("   "),
        button(
            format!("Retire {}", confirm.targets.len()),
            confirm.focus == Button::Confirm,
            true,
        ),
        Span::styled("   Tab switches · Enter presses · Esc cancels", theme.dim),
    ]));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(frame_box(theme, &confirm.title)),
        area,
    );
}

/// A retirement's results, as they arrive.
pub fn progress(theme: &Theme, frame: &mut Frame, progress: &Progress) {
    let full = frame.area();
    let area = centred(full, 90, full.height.saturating_sub(2));
    let done = progress.results.len();
    let heading = if progress.done {
        format!("Done: {done} of {} settled. Esc closes.", progress.total)
    } else {
        format!("Retiring: {done} of {} settled…", progress.total)
    };
    let mut lines = vec![Line::from(Span::styled(heading, theme.heading))];
    for (lab, name, result, detail) in progress.results.iter().skip(progress.scroll) {
        let style = match *result {
            "retired" => theme.flash_info,
            "skipped" => theme.flash_warn,
            _ => theme.flash_error,
        };
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(": {detail}")
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {result:<8}"), style),
            Span::styled(format!(" {lab} / {name}{detail}"), theme.text),
        ]));
    }
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(frame_box(theme, "Retirement")),
        area,
    );
}
