//! A table that builds only the rows on screen, with a selection marker that does not depend on
//! colour and a mark column.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table};

use super::super::theme::Theme;

/// One visible row: its cells, whether it is marked, and a style for the whole row (headings).
pub struct VisibleRow<'a> {
    pub cells: Vec<Line<'a>>,
    pub marked: bool,
    pub heading: bool,
}

/// A column: its title, the width it needs at least (before anything else gives way), and
/// whether it is descriptive text that gives way first and takes the room left.
pub struct Column {
    pub title: &'static str,
    pub width: u16,
    pub fill: bool,
    /// Never cut below `width`: what names the row (a run id), which a cut makes useless.
    pub key: bool,
}

impl Column {
    /// A column that keeps `width` cells until nothing else can give way.
    pub fn fixed(title: &'static str, width: u16) -> Column {
        Column {
            title,
            width,
            fill: false,
            key: false,
        }
    }

    /// What names the row: never cut below `width`, whatever else must give way.
    pub fn key(title: &'static str, width: u16) -> Column {
        Column {
            key: true,
            ..Column::fixed(title, width)
        }
    }

    /// Descriptive text: gives way first, and takes the room left.
    pub fn fill(title: &'static str, width: u16) -> Column {
        Column {
            title,
            width,
            fill: true,
            key: false,
        }
    }
}

impl<'a> VisibleRow<'a> {
    /// An ordinary row.
    pub fn plain(cells: Vec<Line<'a>>) -> Self {
        VisibleRow {
            cells,
            marked: false,
            heading: false,
        }
    }

    /// A heading row (a subscription above its labs): its text spans every column.
    pub fn heading(text: impl Into<Line<'a>>) -> Self {
        VisibleRow {
            cells: vec![text.into()],
            marked: false,
            heading: true,
        }
    }
}

/// Widths for `columns` in `room` cells (spacing included): each column as wide as its
/// content and title; when that does not fit, descriptive (fill) columns give way first, then
/// columns wider than they need at least, then the widest; what is left goes to the fill column.
pub fn fit(columns: &[Column], content: &[usize], room: usize) -> Vec<usize> {
    let title = |i: usize| columns[i].title.chars().count();
    let mut widths: Vec<usize> = (0..columns.len())
        .map(|i| content.get(i).copied().unwrap_or(0).max(title(i)))
        .collect();
    let spacing = columns.len().saturating_sub(1);
    let total = |w: &[usize]| w.iter().sum::<usize>() + spacing;
    // Give way in rounds, each down to a floor, widest first within a round: descriptive
    // text first, then columns wider than they need, then descriptive text to nothing, then
    // the rest, except what names the row.
    let floors: [Box<dyn Fn(usize) -> Option<usize>>; 4] = [
        Box::new(|i| columns[i].fill.then(|| title(i).max(8))),
        Box::new(|i| Some((columns[i].width as usize).max(title(i).min(3)))),
        Box::new(|i| columns[i].fill.then_some(1)),
        Box::new(|i| {
            Some(if columns[i].key {
                columns[i].width as usize
            } else {
                1
            })
        }),
    ];
    for floor in &floors {
        while total(&widths) > room {
            let widest = (0..widths.len())
                .filter(|&i| floor(i).is_some_and(|f| widths[i] > f))
                .max_by_key(|&i| (widths[i], std::cmp::Reverse(i)));
            match widest {
                Some(i) => widths[i] -= 1,
                None => break,
            }
        }
    }
    if let Some(fill) = columns.iter().position(|c| c.fill) {
        widths[fill] += room.saturating_sub(total(&widths));
    }
    widths
}

/// `line` cut to `width` cells, ending in `…` when cut; the styles of its spans are kept.
pub fn cut(line: Line<'_>, width: usize) -> Line<'_> {
    if line.width() <= width {
        return line;
    }
    let mut left = width.saturating_sub(1);
    let mut spans = Vec::new();
    for span in line.spans {
        if left == 0 {
            break;
        }
        let text: String = span.content.chars().take(left).collect();
        left -= text.chars().count();
        spans.push(Span::styled(text, span.style));
    }
    spans.push(Span::raw("…"));
    Line::from(spans).style(line.style)
}

/// `line` with its spans' colours taken off (modifiers such as bold stay), so that the row's
/// style decides.
fn plain(line: Line<'_>) -> Line<'_> {
    let spans: Vec<Span> = line
        .spans
        .into_iter()
        .map(|s| {
            let style = ratatui::style::Style {
                fg: None,
                bg: None,
                ..s.style
            };
            Span::styled(s.content, style)
        })
        .collect();
    Line::from(spans)
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
    let inner = block.inner(area);
    let marker_width = theme.marker.chars().count().max(1) + 1;
    let mut content = vec![0; columns.len()];
    for row in rows.iter().filter(|r| !r.heading) {
        for (i, cell) in row.cells.iter().enumerate().take(columns.len()) {
            content[i] = content[i].max(cell.width());
        }
    }
    let room = (inner.width as usize).saturating_sub(marker_width + 1);
    let fitted = fit(columns, &content, room);
    let mut widths = vec![Constraint::Length(marker_width as u16)];
    widths.extend(fitted.iter().map(|w| Constraint::Length(*w as u16)));
    let header = Row::new(
        std::iter::once(Cell::from("")).chain(
            columns
                .iter()
                .zip(&fitted)
                .map(|(c, w)| Cell::from(cut(Line::from(c.title), *w))),
        ),
    )
    .style(theme.dim);
    let mut headings = Vec::new();
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
            if row.heading {
                // Drawn over the whole width after the table: a heading spans every column.
                headings.push((i, row.cells.into_iter().next().unwrap_or_default(), style));
                return Row::new(vec![mark_cell]).style(style);
            }
            // On the selected row the selection's colours win: a state's colour on the
            // selection's background can be unreadable (red on blue, cyan on yellow).
            let cells = row.cells.into_iter().zip(&fitted).map(|(line, w)| {
                let line = cut(line, *w);
                Cell::from(if is_selected { plain(line) } else { line })
            });
            Row::new(std::iter::once(mark_cell).chain(cells)).style(style)
        })
        .collect();
    let table = Table::new(body, widths)
        .header(header)
        .block(block)
        .column_spacing(1);
    frame.render_widget(table, area);
    let x = inner.x + marker_width as u16 + 1;
    let width = inner.width.saturating_sub(marker_width as u16 + 1);
    for (i, line, style) in headings {
        let y = inner.y + 1 + i as u16;
        if y >= inner.y + inner.height {
            break;
        }
        let line = cut(line, width as usize).patch_style(style);
        frame.render_widget(
            ratatui::widgets::Paragraph::new(line),
            Rect::new(x, y, width, 1),
        );
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit_their_content_and_descriptions_give_way_first() {
        let columns = [
            Column::fixed("LAB", 10),
            Column::fixed("NAME", 26),
            Column::fill("WHY", 10),
        ];
        // Everything fits: content widths, the rest to the fill column.
        assert_eq!(fit(&columns, &[12, 26, 30], 100), vec![12, 26, 60]);
        // Too narrow: WHY gives way first (down to 8), then LAB down to what it needs at least.
        assert_eq!(fit(&columns, &[12, 26, 30], 50), vec![12, 26, 10]);
        assert_eq!(fit(&columns, &[12, 26, 30], 47), vec![11, 26, 8]);
        assert_eq!(fit(&columns, &[12, 26, 30], 46), vec![10, 26, 8]);
        // Then the description to nothing, before a name is cut.
        assert_eq!(fit(&columns, &[12, 26, 30], 45), vec![10, 26, 7]);
        assert_eq!(fit(&columns, &[12, 26, 30], 40), vec![10, 26, 2]);
        // Only when nothing else can give way do the names that tell rows apart, widest first.
        assert_eq!(fit(&columns, &[12, 26, 30], 37), vec![10, 24, 1]);
    }

    #[test]
    fn what_names_the_row_is_never_cut() {
        let columns = [
            Column::key("RUN", 20),
            Column::fixed("STATE", 19),
            Column::fixed("IMAGES", 22),
            Column::fill("BY", 10),
        ];
        // BY gives way first, then the widest of the others; RUN keeps its 20.
        assert_eq!(fit(&columns, &[20, 19, 22, 16], 75), vec![20, 19, 22, 11]);
        assert_eq!(fit(&columns, &[20, 19, 22, 16], 66), vec![20, 19, 22, 2]);
        assert_eq!(fit(&columns, &[20, 19, 22, 16], 50), vec![20, 13, 13, 1]);
        assert_eq!(fit(&columns, &[20, 19, 22, 16], 10)[0], 20);
    }

    #[test]
    fn cut_text_ends_in_an_ellipsis_and_keeps_styles() {
        let line = Line::from(vec![Span::raw("ubuntu"), Span::raw("2204-docker")]);
        assert_eq!(cut(line.clone(), 30), line);
        let short = cut(line, 8);
        assert_eq!(short.width(), 8);
        assert_eq!(
            short
                .spans
                .iter()
                .map(|s| s.content.as_ref())
                .collect::<String>(),
            "ubuntu2…"
        );
    }
}
