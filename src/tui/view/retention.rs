//! The retention view: the plan across all labs, grouped by subscription and lab, with the
//! counts, what applying it would leave, and each image it retires with the reason.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::text::Span;

use super::super::model::{Model, Row};
use super::super::theme::Theme;
use super::super::widget::table::{self, Column, VisibleRow};
use super::chrome::title;
use crate::factory::RetentionState;
use crate::human::age;

pub fn plan(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(data) = &model.data else {
        return super::lists::empty(
            model,
            theme,
            frame,
            area,
            "Retention plan",
            &super::lists::no_data(model),
        );
    };
    if model.config.is_none() {
        return super::lists::empty(
            model,
            theme,
            frame,
            area,
            "Retention plan",
            "no factory configuration, so retention manages nothing: it needs to know which labs are the factory's and the policy. Pass --config FILE or create ./factory.toml (README: Configuration).",
        );
    }
    // Narrow screens drop the path column: image names carry their path anyway.
    let wide = area.width >= 100;
    let mut columns = vec![Column::fixed("LAB / IMAGE", if wide { 34 } else { 32 })];
    if wide {
        columns.push(Column::fixed("IMAGE PATH", 20));
    }
    columns.push(Column::fixed("AGE", 4));
    columns.push(Column::fill("WHY", 20));
    let route = model.route();
    let height = area.height.saturating_sub(3) as usize;
    let (start, end) = table::window(route.rows.len(), route.cursor, route.offset, height);
    let selected = (route.cursor >= start && route.cursor < end).then(|| route.cursor - start);
    let rows = route.rows[start..end]
        .iter()
        .map(|row| match *row {
            Row::Sub(s) => VisibleRow::heading(data.inventory.subscriptions[s].name.clone()),
            Row::Lab(l) => {
                let counts = data.plan.labs[l].counts();
                let n = |s: RetentionState| counts.get(&s).copied().unwrap_or(0);
                let due = n(RetentionState::Retire);
                let total = data.plan.labs[l].decisions.len();
                // What applying leaves, naming only the states it has: short enough for 80 columns.
                let kept: Vec<String> = [
                    (RetentionState::Current, "current"),
                    (RetentionState::Kept, "kept"),
                    (RetentionState::Pinned, "pinned"),
                    (RetentionState::InUse, "in use"),
                    (RetentionState::TooYoung, "young"),
                    (RetentionState::Unmanaged, "unmanaged"),
                ]
                .iter()
                .filter(|(s, _)| n(*s) > 0)
                .map(|(s, name)| format!("{} {name}", n(*s)))
                .collect();
                let (summary, style) = if data.lab(l).reading {
                    // Nothing is known of it yet: not "nothing to retire".
                    ("reading …".to_string(), theme.dim)
                } else {
                    let summary =
                        format!("retire {due}, leave {} ({})", total - due, kept.join(", "));
                    let style = if due > 0 {
                        theme.state_retire
                    } else {
                        theme.dim
                    };
                    (summary, style)
                };
                let mut cells = vec![Line::from(format!("  {}", data.lab(l).name))];
                if wide {
                    cells.push(Line::from(""));
                }
                cells.push(Line::from(""));
                cells.push(Line::from(Span::styled(summary, style)));
                VisibleRow::plain(cells)
            }
            Row::Image(i) => {
                let at = data.images[i];
                let image = data.image(at);
                let d = data.decision(at);
                let why = format!(
                    "{}: {}",
                    d.reason.map(|r| r.as_str()).unwrap_or(""),
                    d.detail
                );
                let mut cells = vec![Line::from(format!("    {}", image.name))];
                if wide {
                    cells.push(Line::from(
                        image
                            .image_path
                            .as_ref()
                            .map(|p| p.to_string())
                            .unwrap_or_default(),
                    ));
                }
                cells.push(Line::from(age(image.created, model.now)));
                cells.push(Line::from(Span::styled(why, theme.state_retire)));
                VisibleRow {
                    cells,
                    marked: model.marks.contains(&image.id.key()),
                    heading: false,
                }
            }
            _ => VisibleRow::plain(Vec::new()),
        })
        .collect();
    let due: usize = data.due.iter().sum();
    table::draw(
        frame,
        area,
        title(model, theme, "Retention plan", due),
        &columns,
        rows,
        selected,
        theme,
    );
}
