//! What covers the view: help, the palette, a confirmation, a job's window.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::super::command::COMMANDS;
use super::super::model::{
    Button, Confirm, ConfirmAction, ItemOutcome, JobWindow, Model, Palette, PinDialog,
};
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
    // As wide as the screen allows (up to 110), wrapped rather than cut; j/k scroll.
    let width = frame.area().width.saturating_sub(4).min(110);
    let area = centred(frame.area(), width, frame.area().height.saturating_sub(2));
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
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll as u16, 0))
            .block(frame_box(theme, "Help — Esc closes, j/k scroll")),
        area,
    );
}

/// The palette: what is typed, and what it could complete to, scrolled to keep the selection
/// in sight.
pub fn palette(model: &Model, theme: &Theme, frame: &mut Frame, palette: &Palette) {
    let typed = palette.input.lines().first().cloned().unwrap_or_default();
    let offered = crate::tui::update::completions(model, &typed);
    let full = frame.area();
    let height = (offered.len() as u16 + 3)
        .min(16)
        .min(full.height.saturating_sub(2));
    let area = Rect {
        x: full.x + 2,
        y: full.y + 2,
        width: full.width.saturating_sub(4).min(90),
        height,
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(":", theme.key),
        Span::styled(typed, theme.text),
        Span::styled("█", theme.text),
    ])];
    let room = height.saturating_sub(3) as usize;
    let selected = palette.selected.min(offered.len().saturating_sub(1));
    let start = selected.saturating_sub(room.saturating_sub(1));
    let name_width = offered
        .iter()
        .map(|c| c.text.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(12, 36);
    let help_width = (area.width as usize).saturating_sub(name_width + 5);
    for (i, c) in offered.iter().enumerate().skip(start).take(room) {
        let chosen = i == selected;
        let style = if chosen { theme.selected } else { theme.text };
        let marker = if chosen { theme.marker.as_str() } else { " " };
        lines.push(Line::from(vec![
            Span::styled(format!("{marker} {:<name_width$} ", c.text), style),
            Span::styled(super::ellipsis(&c.help, help_width), theme.dim),
        ]));
    }
    let below = offered.len().saturating_sub(start + room);
    let mut scroll = Vec::new();
    if start > 0 {
        scroll.push(format!("↑ {start} more"));
    }
    if below > 0 {
        scroll.push(format!("↓ {below} more"));
    }
    let title = if scroll.is_empty() {
        "Command — Tab completes, Enter runs, Esc closes".to_string()
    } else {
        format!(
            "Command — {} · Tab completes, Enter runs, Esc closes",
            scroll.join(" ")
        )
    };
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(frame_box(theme, &title)), area);
}

/// A confirmation that names what will change, with each image's state, sets apart what
/// retention would never retire, and starts on Cancel. Its buttons are pinned to the bottom,
/// so that however long the list, they are on screen.
pub fn confirm(model: &Model, theme: &Theme, frame: &mut Frame, confirm: &Confirm) {
    let full = frame.area();
    let unusual = !confirm.unusual_items.is_empty();
    let mut footer: Vec<Line> = Vec::new();
    if confirm.hidden > 0 {
        let why = if model.route().filter.is_some() {
            "hidden by the filter"
        } else {
            "not in this view"
        };
        footer.push(Line::from(Span::styled(
            format!("{} of them marked but {why}.", confirm.hidden),
            theme.flash_warn,
        )));
    }
    if let Some(required) = &confirm.typed_required {
        let typed = confirm.typed.lines().first().cloned().unwrap_or_default();
        footer.push(Line::from(vec![
            Span::styled(format!("Type {required} to confirm: "), theme.flash_warn),
            Span::styled(format!("{typed}█"), theme.text),
        ]));
    }
    footer.push(buttons(theme, confirm));
    footer.push(Line::from(Span::styled(
        if matches!(confirm.action, ConfirmAction::Retire) {
            "Tab switches · Enter presses · Esc cancels"
        } else {
            "Tab switches · Enter presses · Esc cancels · j/k scroll"
        },
        theme.dim,
    )));

    let mut body: Vec<Line> = Vec::new();
    let intro = match &confirm.action {
        ConfirmAction::Retire => "This deletes these custom images from Azure:",
        ConfirmAction::StartRun {
            distribution: false,
            ..
        } => "This creates a build VM for each, then an image in each lab after the arrow:",
        ConfirmAction::StartRun {
            distribution: true, ..
        } => "This copies each image from the catalogue into the labs after the arrow:",
        ConfirmAction::CancelRun(_) => "What happens:",
        ConfirmAction::ResumeRun(_) => "These carry on from where they stopped:",
        ConfirmAction::QuitDemo => "What happens:",
    };
    if !confirm.items.is_empty() {
        body.push(Line::from(Span::styled(intro, theme.text)));
    }
    for blocker in &confirm.blockers {
        body.push(Line::from(Span::styled(
            format!("Stops the run: {blocker}"),
            theme.flash_error,
        )));
    }
    // Long lines wrap: count the screen lines they take, so that nothing is cut off.
    let inner_width = full.width.min(96).saturating_sub(2).max(20) as usize;
    let wrapped = |lines: &[String], indent: usize| -> usize {
        lines
            .iter()
            .map(|l| (l.chars().count() + indent).div_ceil(inner_width).max(1))
            .sum()
    };
    let body_lines = wrapped(&confirm.items, 2)
        + wrapped(&confirm.unusual_items, 2)
        + wrapped(&confirm.unusual_warnings, 4)
        + wrapped(&confirm.notes, 10)
        + wrapped(&confirm.blockers, 15)
        + 3;
    let wanted = body_lines + footer.len() + 2;
    // Below the header, which says where and who.
    let below = Rect {
        y: full.y + 2,
        height: full.height.saturating_sub(3),
        ..full
    };
    let area = centred(below, 96, (wanted as u16).min(below.height));
    let inner_height = area.height.saturating_sub(2) as usize;
    let room = inner_height
        .saturating_sub(
            footer.len()
                + 1
                + usize::from(unusual)
                + wrapped(&confirm.notes, 10)
                + wrapped(&confirm.blockers, 15),
        )
        .max(2);
    // The unusual ones get at least half the room: they are what must not be missed.
    let unusual_room = confirm
        .unusual_items
        .len()
        .min((room / 2).max(room.saturating_sub(confirm.items.len())));
    let retiring = matches!(confirm.action, ConfirmAction::Retire);
    push_items(
        &mut body,
        theme,
        &confirm.items,
        // A retirement's list is cut to fit; a run's plan is whole and scrolls.
        if retiring {
            room - unusual_room
        } else {
            usize::MAX
        },
        match confirm.action {
            ConfirmAction::Retire => theme.state_retire,
            _ => theme.text,
        },
    );
    if unusual {
        let included = if confirm.include_unusual {
            "included"
        } else {
            "left out unless included"
        };
        body.push(Line::from(Span::styled(
            format!(
                "Unusual — retention would never delete {} ({included}):",
                match confirm.unusual_items.len() {
                    1 => "this image".to_string(),
                    n => format!("these {n} images"),
                }
            ),
            theme.flash_warn,
        )));
        push_items(
            &mut body,
            theme,
            &confirm.unusual_items,
            unusual_room,
            theme.flash_error,
        );
        for warning in &confirm.unusual_warnings {
            body.push(Line::from(Span::styled(
                format!("  ! {warning}"),
                theme.flash_warn,
            )));
        }
    }
    let left_out = if matches!(confirm.action, ConfirmAction::Retire) {
        "Left out: "
    } else {
        ""
    };
    for note in &confirm.notes {
        body.push(Line::from(Span::styled(
            format!("{left_out}{note}"),
            theme.flash_warn,
        )));
    }
    frame.render_widget(Clear, area);
    let block = frame_box(theme, &confirm.title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let footer_height = (footer.len() as u16).min(inner.height);
    let [body_area, footer_area] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Min(0),
        ratatui::layout::Constraint::Length(footer_height),
    ])
    .areas(inner);
    let last = body.len().saturating_sub(1) as u16;
    frame.render_widget(
        Paragraph::new(body)
            .wrap(Wrap { trim: false })
            .style(theme.dialog)
            .scroll((confirm.scroll.min(last), 0)),
        body_area,
    );
    frame.render_widget(Paragraph::new(footer).style(theme.dialog), footer_area);
}

/// Cancel, Retire N and, when there are unusual images, the switch that includes them.
fn buttons<'a>(theme: &Theme, confirm: &Confirm) -> Line<'a> {
    let button = |label: String, focused: bool, danger: bool| {
        let style = match (focused, danger) {
            (true, true) => theme.danger,
            (true, false) => theme.button_focused,
            _ => theme.button,
        };
        let marker = if focused { theme.marker.as_str() } else { " " };
        Span::styled(format!("{marker}[ {label} ]"), style)
    };
    // What "no" means here, said as what it keeps.
    let keep = match &confirm.action {
        ConfirmAction::CancelRun(_) => "Keep running",
        ConfirmAction::QuitDemo => "Stay",
        _ => "Cancel",
    };
    let mut spans = vec![
        button(keep.into(), confirm.focus == Button::Cancel, false),
        Span::raw("   "),
        button(
            match &confirm.action {
                _ if !confirm.blockers.is_empty() => "Cannot start".to_string(),
                ConfirmAction::Retire => format!("Retire {}", confirm.count()),
                ConfirmAction::StartRun {
                    distribution: false,
                    ..
                } => "Start the build".into(),
                ConfirmAction::StartRun {
                    distribution: true, ..
                } => "Start distributing".into(),
                ConfirmAction::CancelRun(_) => "Stop and clean up".into(),
                ConfirmAction::ResumeRun(_) => "Resume the run".into(),
                ConfirmAction::QuitDemo => "Quit, ending the runs".into(),
            },
            confirm.focus == Button::Confirm,
            true,
        ),
    ];
    if !confirm.unusual_items.is_empty() {
        let check = if confirm.include_unusual { "x" } else { " " };
        let focused = confirm.focus == Button::Include;
        let marker = if focused { theme.marker.as_str() } else { " " };
        spans.push(Span::raw("   "));
        spans.push(Span::styled(
            format!(
                "{marker}[{check}] include the {} unusual",
                confirm.unusual_items.len()
            ),
            if focused { theme.danger } else { theme.button },
        ));
    }
    Line::from(spans)
}

/// Up to `room` item lines, the last one saying how many more there are.
fn push_items<'a>(
    lines: &mut Vec<Line<'a>>,
    theme: &Theme,
    items: &'a [String],
    room: usize,
    style: ratatui::style::Style,
) {
    let shown = if items.len() > room {
        room.saturating_sub(1)
    } else {
        items.len()
    };
    for item in items.iter().take(shown) {
        lines.push(Line::from(Span::styled(format!("  {item}"), style)));
    }
    if shown < items.len() {
        lines.push(Line::from(Span::styled(
            format!("  … and {} more", items.len() - shown),
            theme.dim,
        )));
    }
}

/// Pinning asks for the reason; unpinning shows the reason it removes and starts on Cancel.
pub fn pin(theme: &Theme, frame: &mut Frame, dialog: &PinDialog) {
    let area = centred(frame.area(), 78, 9);
    let mut lines = vec![Line::from(Span::styled(
        format!("{} / {}", dialog.lab, dialog.name),
        theme.heading,
    ))];
    let title = match &dialog.current {
        None => {
            lines.push(Line::from(Span::styled(
                "Retention will not retire a pinned image. Why is it pinned?",
                theme.text,
            )));
            let typed = dialog.reason.lines().first().cloned().unwrap_or_default();
            lines.push(Line::from(vec![
                Span::styled("Reason: ", theme.key),
                Span::styled(format!("{typed}█"), theme.text),
            ]));
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "Enter pins · Esc cancels · ctrl-u clears",
                theme.dim,
            )));
            "Pin"
        }
        Some(reason) => {
            lines.push(Line::from(vec![
                Span::styled("It is pinned: ", theme.text),
                Span::styled(reason.clone(), theme.flash_warn),
            ]));
            lines.push(Line::from(Span::styled(
                "Unpinning removes this reason; retention may then retire the image.",
                theme.text,
            )));
            lines.push(Line::from(""));
            let button = |label: &str, focused: bool| {
                let marker = if focused { theme.marker.as_str() } else { " " };
                let style = if focused { theme.danger } else { theme.button };
                Span::styled(format!("{marker}[ {label} ]"), style)
            };
            lines.push(Line::from(vec![
                button("Cancel", dialog.focus == Button::Cancel),
                Span::raw("   "),
                button("Unpin", dialog.focus == Button::Confirm),
                Span::styled("   Tab switches · Enter presses · Esc cancels", theme.dim),
            ]));
            "Unpin"
        }
    };
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(frame_box(theme, title)),
        area,
    );
}

/// A job's results, as they settle.
pub fn job(model: &Model, theme: &Theme, frame: &mut Frame, window: &JobWindow) {
    let Some(job) = model.jobs.get(window.job) else {
        return;
    };
    let full = frame.area();
    // Below the header, which says where and who.
    let below = Rect {
        y: full.y + 2,
        height: full.height.saturating_sub(3),
        ..full
    };
    let area = centred(below, 90, below.height);
    let settled = job.items.len();
    let heading = match (job.is_running(), job.stopping) {
        (false, true) => format!(
            "Stopped: {settled} of {} settled; what had not started was left alone. Esc closes · j/k/G scroll",
            job.total
        ),
        (false, false) => format!(
            "Done: {settled} of {} settled. Esc closes · j/k/G scroll",
            job.total
        ),
        (true, true) => format!(
            "Stopping: {settled} of {} settled; nothing new starts, what is in flight finishes…",
            job.total
        ),
        (true, false) if job.kind.stoppable() => format!(
            "Working: {settled} of {} settled… Esc closes (it goes on) · x stops it",
            job.total
        ),
        (true, false) => format!(
            "Working: {settled} of {} settled… Esc closes (it goes on)",
            job.total
        ),
    };
    let mut lines = vec![
        Line::from(Span::styled(job.title.clone(), theme.text)),
        Line::from(Span::styled(heading, theme.heading)),
    ];
    if window.stop_asked && job.is_running() {
        let then = if window.quit_after { " and quit" } else { "" };
        lines.push(Line::from(Span::styled(
            format!(
                "Stop the {}{then}? What is done stays done; the rest is left alone. y stops · n carries on",
                job.kind.noun()
            ),
            theme.flash_warn,
        )));
    }
    for item in job.items.iter().skip(window.scroll) {
        let style = match item.outcome {
            ItemOutcome::Done => theme.flash_info,
            ItemOutcome::Skipped => theme.flash_warn,
            ItemOutcome::Failed => theme.flash_error,
        };
        let detail = if item.detail.is_empty() {
            String::new()
        } else {
            format!(": {}", item.detail)
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<8}", item.outcome.label(job.kind)), style),
            Span::styled(format!(" {}{detail}", item.subject), theme.text),
        ]));
    }
    let title = match job.kind {
        super::super::model::JobKind::Retire => "Retirement".to_string(),
        kind => format!("Job: {}", kind.label()),
    };
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(frame_box(theme, &title)),
        area,
    );
}
