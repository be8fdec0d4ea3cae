//! A table that builds only the rows on screen, with a selection marker that does not depend on
//! colour and a mark column.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table};

use super::super::theme::Theme;

/// One visible row: its cells, whether it is marked, and a style for the whole row (headings).
pub struct VisibleRow<'a> {
    pub cells: Vec<Cell<'a>>,
    pub marked: bool,
    pub heading: bool,
}

/// A column: its title and width.
pub struct Column {
    pub title: &'static str,
    pub width: Constraint,
}

impl Column {
    /// A column of exactly `width` cells.
    pub fn fixed(title: &'static str, width: u16) -> Column {
        Column {
            title,
            width: Constraint::Length(width),
        }
    }

    /// A column of at least `width` cells that takes the room left.
    pub fn fill(title: &'static str, width: u16) -> Column {
        Column {
            title,
            width: Constraint::Min(width),
        }
    }
}

impl<'a> VisibleRow<'a> {
    /// An ordinary row.
    pub fn plain(cells: Vec<Cell<'a>>) -> Self {
        VisibleRow {
            cells,
            marked: false,
            heading: false,
        }
    }

    /// A heading row (a subscription above its labs).
    pub fn heading(text: String) -> Self {
        VisibleRow {
            cells: vec![Cell::from(text)],
            marked: false,
            heading: true,
        }
    }
}

/// Draws `rows` (already cut to the visible window) with `selected` (index within them).
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    title: Line,
    columns: &[Column],
    rows: Vec<VisibleRow>,
    selected: Option<usize>,
    theme: &Theme,
) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title);
    let marker_width = theme.marker.chars().count().max(1) as u16 + 1;
    let mut widths = vec![Constraint::Length(marker_width)];
    widths.extend(columns.iter().map(|c| c.width));
    let header = Row::new(
        std::iter::once(Cell::from("")).chain(columns.iter().map(|c| Cell::from(c.title))),
    )
    .style(theme.dim);
    let body: Vec<Row> = rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let is_selected = selected == Some(i);
            // Selected and marked shows both, so that neither relies on colour (NO_COLOR).
            let mark = match (is_selected, row.marked) {
                (true, true) => format!("{}*", theme.marker),
                (true, false) => theme.marker.clone(),
                (false, true) => "*".into(),
                (false, false) => String::new(),
            };
            let mark_cell = Cell::from(Span::styled(
                mark,
                if row.marked { theme.marked } else { theme.text },
            ));
            let style = if is_selected {
                theme.selected
            } else if row.heading {
                theme.heading
            } else if row.marked {
                theme.marked
            } else {
                theme.text
            };
            Row::new(std::iter::once(mark_cell).chain(row.cells)).style(style)
        })
        .collect();
    let table = Table::new(body, widths)
        .header(header)
        .block(block)
        .column_spacing(1);
    frame.render_widget(table, area);
}

/// The window of rows to show: from the offset, as many as fit (the cursor always inside).
pub fn window(len: usize, cursor: usize, offset: usize, height: usize) -> (usize, usize) {
    let height = height.max(1);
    let mut start = offset.min(len.saturating_sub(1));
    if cursor < start {
        start = cursor;
    } else if cursor >= start + height {
        start = cursor + 1 - height;
    }
    (start, (start + height).min(len))
}
