//! The list views: labs (a tree under subscriptions), images, drift, definitions, and the
//! detail of one resource.

use crate::tui::model::Level;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::super::model::{DetailKind, DriftStatus, Model, Row, detail_lines};
use super::super::theme::Theme;
use super::super::widget::table::{self, Column, VisibleRow};
use super::chrome::title;
use crate::factory::{LabRole, RetentionState};
use crate::human::age;

/// The style of a retention state.
pub fn state_style(theme: &Theme, state: RetentionState) -> Style {
    match state {
        RetentionState::Current => theme.state_current,
        RetentionState::Kept => theme.state_kept,
        RetentionState::Pinned => theme.state_pinned,
        RetentionState::InUse => theme.state_in_use,
        RetentionState::TooYoung => theme.state_too_young,
        RetentionState::Retire => theme.state_retire,
        RetentionState::Unmanaged => theme.state_unmanaged,
    }
}

/// The rows of the top route that fit in `area`, and the selection's place among them.
pub(super) fn visible(model: &Model, area: Rect) -> (Vec<Row>, Option<usize>) {
    let route = model.route();
    let height = area.height.saturating_sub(3) as usize;
    let (start, end) = table::window(route.rows.len(), route.cursor, route.offset, height);
    let rows = route.rows.get(start..end).unwrap_or(&[]).to_vec();
    let selected = (route.cursor >= start && route.cursor < end).then(|| route.cursor - start);
    (rows, selected)
}

/// What the body says before there is any data: still reading, or why reading failed.
pub(super) fn no_data(model: &Model) -> String {
    match &model.freshness.failed {
        Some((error, _)) => format!("could not read the inventory: {error}. ctrl-r tries again."),
        None => "reading the inventory…".into(),
    }
}

pub(super) fn empty(
    model: &Model,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    name: &str,
    why: &str,
) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title(model, theme, name, 0));
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(format!(" {why}"), theme.dim)))
            .wrap(ratatui::widgets::Wrap { trim: false })
            .block(block),
        area,
    );
}

pub fn labs(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(data) = &model.data else {
        return empty(model, theme, frame, area, "Labs", &no_data(model));
    };
    let wide = area.width >= 100;
    let mut columns = vec![Column::fill("NAME", 18), Column::fixed("REGION", 12)];
    columns.push(Column::fixed("IMAGES", 6));
    columns.push(Column::fixed("DUE", 4));
    columns.push(Column::fixed("VMS", 4));
    columns.push(Column::fixed("NEWEST", 7));
    if wide {
        columns.push(Column::fixed("ROLE", 8));
        columns.push(Column::fixed("RESOURCE GROUP", 18));
    }
    let (rows, selected) = visible(model, area);
    let shown = model
        .route()
        .rows
        .iter()
        .filter(|r| matches!(r, Row::Lab(_)))
        .count();
    let rows = rows
        .iter()
        .map(|row| match *row {
            Row::Sub(s) => {
                let sub = &data.inventory.subscriptions[s];
                let state = if sub.state.eq_ignore_ascii_case("Enabled") {
                    String::new()
                } else {
                    format!(" ({})", sub.state)
                };
                VisibleRow::heading(format!("{}{state}", sub.name))
            }
            Row::Lab(l) => {
                let lab = data.lab(l);
                let role = match lab.role {
                    Some(LabRole::Factory) => "factory",
                    Some(LabRole::Target) => "target",
                    None => "",
                };
                let tag = match lab.role {
                    Some(LabRole::Factory) => " [F]",
                    Some(LabRole::Target) => " [T]",
                    None => "",
                };
                let newest = match data.up_to_date[l] {
                    Some(true) => Span::styled("yes", theme.drift_newest),
                    Some(false) => Span::styled("no", theme.drift_outdated),
                    None => Span::styled("-", theme.dim),
                };
                let images = if lab.complete {
                    lab.images.len().to_string()
                } else {
                    format!("{}?", lab.images.len())
                };
                // A lab the factory does not manage has nothing due, rather than zero due.
                let due = if data.plan.labs[l].managed {
                    Span::styled(
                        data.due[l].to_string(),
                        if data.due[l] > 0 {
                            theme.state_retire
                        } else {
                            theme.dim
                        },
                    )
                } else {
                    Span::styled("-", theme.dim)
                };
                let mut cells = vec![
                    Line::from(format!("  {}{tag}", lab.name)),
                    Line::from(lab.location.clone()),
                ];
                if lab.reading {
                    // Listed, its lists still on their way: say so rather than show zeros.
                    let reading = || Line::from(Span::styled("…", theme.dim));
                    cells.push(Line::from(Span::styled("reading", theme.dim)));
                    cells.extend([reading(), reading(), reading()]);
                } else {
                    cells.push(Line::from(images));
                    cells.push(Line::from(due));
                    cells.push(Line::from(lab.vms.len().to_string()));
                    cells.push(Line::from(newest));
                }
                if wide {
                    cells.push(Line::from(role));
                    cells.push(Line::from(lab.resource_group.clone()));
                }
                VisibleRow::plain(cells)
            }
            Row::Problem(p) => {
                let problem = &data.inventory.problems[p];
                VisibleRow::plain(vec![Line::from(Span::styled(
                    format!("✗ {}: {}", problem.name, problem.error.short_reason()),
                    theme.flash_error,
                ))])
            }
            _ => VisibleRow::plain(Vec::new()),
        })
        .collect();
    table::draw(
        frame,
        area,
        title(model, theme, "Labs", shown),
        &columns,
        rows,
        selected,
        theme,
    );
}

pub fn images(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(data) = &model.data else {
        return empty(model, theme, frame, area, "Images", &no_data(model));
    };
    let wide = area.width >= 100;
    let one_lab = matches!(
        model.route().view,
        super::super::model::View::Images { lab: Some(_) }
    );
    if let super::super::model::View::Images { lab: Some(id) } = &model.route().view
        && data.lab_index(id).is_some_and(|l| data.lab(l).reading)
    {
        let why = "reading this lab's images, VMs and formulas… they show as soon as they arrive";
        return empty(model, theme, frame, area, "Images", why);
    }
    let mut columns = Vec::new();
    if !one_lab {
        columns.push(Column::fixed("LAB", if wide { 20 } else { 12 }));
    }
    columns.push(Column::fixed("IMAGE PATH", if wide { 22 } else { 14 }));
    // The name tells images apart (they differ at the end): it is the last to give way.
    columns.push(Column::fixed("NAME", 26));
    columns.push(Column::fixed("AGE", 4));
    if wide {
        columns.push(Column::fixed("OS", 7));
    }
    columns.push(Column::fill("RETENTION", 9));
    // Pinned and in use, as two letters when narrow.
    if wide {
        columns.push(Column::fixed("PIN", 3));
        columns.push(Column::fixed("USE", 3));
    } else {
        columns.push(Column::fixed("PU", 2));
    }
    let (rows, selected) = visible(model, area);
    let rows = rows
        .iter()
        .filter_map(|row| {
            let Row::Image(i) = *row else { return None };
            let at = data.images[i];
            let image = data.image(at);
            let decision = data.decision(at);
            let state = match decision.reason {
                Some(r) => format!("{} ({})", decision.state.as_str(), r.as_str()),
                None => decision.state.as_str().to_string(),
            };
            let mut cells = Vec::new();
            if !one_lab {
                cells.push(Line::from(data.lab(at.lab).name.clone()));
            }
            cells.push(Line::from(
                image
                    .image_path
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "(untagged)".into()),
            ));
            cells.push(Line::from(image.name.clone()));
            cells.push(Line::from(age(image.created, model.now)));
            if wide {
                cells.push(Line::from(image.os_type.clone().unwrap_or_default()));
            }
            cells.push(Line::from(Span::styled(
                state,
                state_style(theme, decision.state),
            )));
            if wide {
                cells.push(Line::from(if image.pin.is_some() { "yes" } else { "" }));
                cells.push(Line::from(if image.in_use { "yes" } else { "" }));
            } else {
                let flags = format!(
                    "{}{}",
                    if image.pin.is_some() { "P" } else { " " },
                    if image.in_use { "U" } else { " " }
                );
                cells.push(Line::from(flags));
            }
            Some(VisibleRow {
                cells,
                marked: model.marks.contains(&image.id.key()),
                heading: false,
            })
        })
        .collect();
    let name = if one_lab {
        "Images"
    } else {
        "Images (all labs)"
    };
    table::draw(
        frame,
        area,
        title(model, theme, name, model.route().rows.len()),
        &columns,
        rows,
        selected,
        theme,
    );
}

pub fn drift(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(data) = &model.data else {
        return empty(model, theme, frame, area, "Drift", &no_data(model));
    };
    if model.config.is_none() {
        return empty(
            model,
            theme,
            frame,
            area,
            "Drift",
            "no configuration: drift compares labs with the image paths they subscribe to",
        );
    }
    let columns = [
        Column::fixed("LAB", 22),
        Column::fill("IMAGE PATH", 18),
        Column::fixed("STATUS", 9),
        Column::fixed("LAB'S NEWEST", 12),
        Column::fixed("NEWEST ANYWHERE", 15),
    ];
    let (rows, selected) = visible(model, area);
    let rows = rows
        .iter()
        .filter_map(|row| {
            let Row::Drift(d) = *row else { return None };
            let d = &data.drift[d];
            let (status, style) = match d.status {
                DriftStatus::Newest => ("newest", theme.drift_newest),
                DriftStatus::Outdated => ("outdated", theme.drift_outdated),
                DriftStatus::Missing => ("missing", theme.drift_missing),
            };
            let ago = |t: Option<time::OffsetDateTime>| {
                if t.is_some() {
                    format!("{} ago", age(t, model.now))
                } else {
                    "-".into()
                }
            };
            Some(VisibleRow::plain(vec![
                Line::from(data.lab(d.lab).name.clone()),
                Line::from(d.path.to_string()),
                Line::from(Span::styled(status, style)),
                Line::from(ago(d.lab_newest)),
                Line::from(ago(d.newest_anywhere)),
            ]))
        })
        .collect();
    table::draw(
        frame,
        area,
        title(model, theme, "Drift", model.route().rows.len()),
        &columns,
        rows,
        selected,
        theme,
    );
}

pub fn definitions(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(config) = &model.config else {
        return empty(
            model,
            theme,
            frame,
            area,
            "Definitions",
            "no configuration: pass --config FILE or create ./factory.toml",
        );
    };
    // Narrow screens keep the path, the OS and who receives it; the base image needs width.
    let wide = area.width >= 100;
    let mut columns = vec![
        Column::fixed("IMAGE PATH", if wide { 24 } else { 30 }),
        Column::fixed("OS", 7),
    ];
    if wide {
        columns.push(Column::fixed("BASE", 28));
        columns.push(Column::fixed("ART", 3));
    }
    columns.push(Column::fill("RECEIVED BY", 20));
    let (rows, selected) = visible(model, area);
    let rows = rows
        .iter()
        .filter_map(|row| {
            let Row::Def(i) = *row else { return None };
            let d = &config.images[i];
            let labs: Vec<&str> = config
                .labs
                .iter()
                .filter(|t| t.receives(&d.path))
                .map(|t| t.lab.name.as_str())
                .collect();
            let receivers = if labs.is_empty() {
                Span::styled("no lab", theme.drift_missing)
            } else {
                Span::raw(labs.join(", "))
            };
            let mut cells = vec![
                Line::from(d.path.to_string()),
                Line::from(format!("{:?}", d.os)),
            ];
            if wide {
                cells.push(Line::from(format!("{}/{}", d.base.offer, d.base.sku)));
                cells.push(Line::from(d.artifacts.len().to_string()));
            }
            cells.push(Line::from(receivers));
            let mut row = VisibleRow::plain(cells);
            row.marked = model.marks.contains(&format!("def:{}", d.path.key()));
            Some(row)
        })
        .collect();
    table::draw(
        frame,
        area,
        title(model, theme, "Definitions", model.route().rows.len()),
        &columns,
        rows,
        selected,
        theme,
    );
}

/// Every message of the session, newest first, each in full (wrapped), with its time.
pub fn messages(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let route = model.route();
    let height = area.height.saturating_sub(2) as usize;
    let (start, end) = table::window(route.rows.len(), route.cursor, route.offset, height);
    let mut text: Vec<Line> = Vec::new();
    for (i, row) in route.rows[start..end].iter().enumerate() {
        let Row::Message(m) = *row else { continue };
        let message = &model.messages[m];
        let style = match message.level {
            Level::Info => theme.flash_info,
            Level::Warn => theme.flash_warn,
            Level::Error => theme.flash_error,
        };
        let marker = if start + i == route.cursor {
            theme.marker.as_str()
        } else {
            " "
        };
        let at = message
            .at
            .format(&time::macros::format_description!(
                "[hour]:[minute]:[second]"
            ))
            .unwrap_or_default();
        let level = match message.level {
            Level::Info => "info ",
            Level::Warn => "warn ",
            Level::Error => "error",
        };
        text.push(Line::from(vec![
            Span::styled(format!("{marker} {at} "), theme.dim),
            Span::styled(format!("{level} "), style),
            Span::styled(message.text.clone(), theme.text),
        ]));
    }
    if text.is_empty() {
        text.push(Line::from(Span::styled(" no messages yet", theme.dim)));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title(model, theme, "Messages", route.rows.len()));
    frame.render_widget(
        Paragraph::new(text)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .block(block),
        area,
    );
}

pub fn detail(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let lines = detail_lines(model);
    let route = model.route();
    let height = area.height.saturating_sub(2) as usize;
    // Long ids and JSON lines wrap (continuation lines indented) rather than being cut; the
    // window is counted in screen lines, so the selected line is always in sight.
    let width = (area.width as usize).saturating_sub(4).max(8);
    let mut screen: Vec<(usize, String)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let chars: Vec<char> = l.text.chars().collect();
        if chars.is_empty() {
            screen.push((i, String::new()));
            continue;
        }
        // The first screen line takes `width` characters; the rest are indented two more
        // than the line itself (a script's output line under its artifact stays under it),
        // so they take that many fewer. Lines break between words where they can, inside a
        // word (an id, a URL) only where they must.
        let own = chars
            .iter()
            .take_while(|c| **c == ' ')
            .count()
            .min(width / 2);
        let indent = " ".repeat(own + 2);
        let rest = width.saturating_sub(own + 2).max(4);
        for (n, piece) in super::wrap_words(&chars, width, rest)
            .into_iter()
            .enumerate()
        {
            let indent = if n == 0 { "" } else { indent.as_str() };
            let piece = if n == 0 {
                piece
            } else {
                piece.trim_start().to_string()
            };
            screen.push((i, format!("{indent}{piece}")));
        }
    }
    let first_of_cursor = screen
        .iter()
        .position(|(i, _)| *i == route.cursor)
        .unwrap_or(0);
    let first_of_offset = screen
        .iter()
        .position(|(i, _)| *i == route.offset)
        .unwrap_or(0);
    let (start, end) = table::window(screen.len(), first_of_cursor, first_of_offset, height);
    let text: Vec<Line> = screen[start..end]
        .iter()
        .enumerate()
        .map(|(n, (i, chunk))| {
            let l = &lines[*i];
            let style = match l.kind {
                DetailKind::Heading => theme.heading,
                DetailKind::Field => theme.text,
                DetailKind::Json => theme.dim,
                DetailKind::Note => theme.dim,
            };
            let first = start + n == 0 || screen[start + n - 1].0 != *i;
            let marker = if *i == route.cursor && first {
                theme.marker.as_str()
            } else {
                " "
            };
            Line::from(vec![
                Span::styled(format!("{marker} "), theme.key),
                Span::styled(chunk.clone(), style),
            ])
        })
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title(
            model,
            theme,
            match route.view {
                super::super::model::View::RunImage { .. } => "Run image",
                super::super::model::View::Definition { .. } => "Definition",
                super::super::model::View::Check => "Check",
                _ => "Detail",
            },
            lines.len(),
        ));
    frame.render_widget(Paragraph::new(text).block(block), area);
}
