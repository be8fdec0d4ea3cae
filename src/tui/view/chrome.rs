//! The frame around every view: header (where, who, how fresh), the title line of a view, and
//! the footer (a flash message, the filter being typed, or the hints).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::command;
use super::super::model::{Level, Model, Route, View};
use super::super::theme::Theme;

const PUBLIC_ARM: &str = "https://management.azure.com/";

/// Two lines: breadcrumbs and badges; identity, tenant, factory, endpoint, freshness.
pub fn header(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut first = vec![
        Span::styled(" imagefactory ", theme.header),
        Span::styled("│ ", theme.dim),
    ];
    let crumbs: Vec<String> = model.routes.iter().map(|r| crumb(model, r)).collect();
    let mut badges = Vec::new();
    // A partial inventory says so for as long as it is partial, not in a passing flash.
    let unreadable = model
        .data
        .as_ref()
        .map(|d| d.inventory.problems.len())
        .unwrap_or(0);
    if unreadable > 0 {
        badges.push(Span::styled(
            format!(" PARTIAL: {unreadable} unreadable "),
            theme.flash_warn,
        ));
        badges.push(Span::raw(" "));
    }
    // Work going on, here or in the runs this machine follows: it does not hide in a dialog.
    let runs = model.runs.live();
    let jobs = model.jobs.running().count();
    if runs + jobs > 0 {
        let mut what = Vec::new();
        if runs > 0 {
            what.push(crate::human::count(runs, "run"));
        }
        if jobs > 0 {
            what.push(crate::human::count(jobs, "job"));
        }
        badges.push(Span::styled(
            format!(" ▶ {} ", what.join(", ")),
            theme.heading,
        ));
        badges.push(Span::raw(" "));
    }
    if model.identity.emulator {
        badges.push(Span::styled(" EMULATOR ", theme.badge_emulator));
    }
    if model.read_only {
        badges.push(Span::raw(" "));
        badges.push(Span::styled(" READ-ONLY ", theme.badge_read_only));
    }
    // The badges say where and how (emulator, read-only, partial): the breadcrumbs give way.
    let badge_len: usize = badges.iter().map(|s| s.content.chars().count()).sum();
    let prefix: usize = first.iter().map(|s| s.content.chars().count()).sum();
    let room = (area.width as usize).saturating_sub(prefix + badge_len + 2);
    first.push(Span::styled(
        super::ellipsis(&crumbs.join(" › "), room),
        theme.crumbs,
    ));
    let used: usize = first.iter().map(|s| s.content.chars().count()).sum();
    let gap = (area.width as usize).saturating_sub(used + badge_len + 1);
    first.push(Span::raw(" ".repeat(gap)));
    first.extend(badges);

    // The endpoint and the whole tenant id only when there is room for them.
    let wide = area.width >= 150;
    // Most important first, so that what a narrow terminal cuts off is what matters least.
    let mut second = vec![Span::styled(format!(" {}", model.identity.who), theme.text)];
    let sep = || Span::styled(" · ", theme.dim);
    // An endpoint that is neither Azure's public cloud nor the emulator comes first, marked:
    // a `factory.toml` in the current folder can name one, and the token goes there.
    let endpoint = &model.identity.endpoint;
    let unusual = !model.identity.emulator && !endpoint.starts_with(PUBLIC_ARM);
    if unusual {
        second.push(sep());
        second.push(Span::styled(
            format!("endpoint {endpoint}"),
            theme.flash_warn,
        ));
    }
    second.push(sep());
    second.push(freshness(model, theme));
    second.push(sep());
    match (&model.identity.factory, &model.identity.config_file) {
        (Some(f), Some(file)) => {
            second.push(Span::styled(format!("factory {f}"), theme.text));
            second.push(Span::styled(format!(" ({file})"), theme.dim));
        }
        (Some(f), None) => second.push(Span::styled(format!("factory {f}"), theme.text)),
        (None, _) => second.push(Span::styled("no configuration", theme.dim)),
    }
    if let Some(tenant) = &model.identity.tenant {
        second.push(sep());
        let shown = if wide {
            tenant.clone()
        } else {
            format!("{}…", tenant.chars().take(8).collect::<String>())
        };
        second.push(Span::styled(format!("tenant {shown}"), theme.text));
    }
    // The endpoint whenever it fits (the EMULATOR badge already says where, on the emulator).
    let used: usize = second.iter().map(|s| s.content.chars().count()).sum();
    if !unusual && (wide || used + 3 + endpoint.chars().count() <= area.width as usize) {
        second.push(sep());
        second.push(Span::styled(endpoint.clone(), theme.dim));
    }
    let second = fit_spans(second, area.width as usize);
    frame.render_widget(
        Paragraph::new(vec![Line::from(first), Line::from(second)]),
        area,
    );
}

/// The spans that fit in `width` cells: the first that does not fit is cut with `…` (a word is
/// never cut without saying so), and the ones after it are left out, with their separator.
fn fit_spans(spans: Vec<Span<'static>>, width: usize) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut used = 0;
    for span in spans {
        let len = span.content.chars().count();
        if used + len <= width {
            used += len;
            out.push(span);
            continue;
        }
        let room = width.saturating_sub(used);
        // A separator, or too little room to say anything: stop before it.
        if room > 4 && span.content.trim() != "·" {
            out.push(Span::styled(
                super::ellipsis(&span.content, room),
                span.style,
            ));
        } else if out.last().is_some_and(|s: &Span| s.content.trim() == "·") {
            out.pop();
        }
        break;
    }
    out
}

fn freshness(model: &Model, theme: &Theme) -> Span<'static> {
    let f = &model.freshness;
    let age = crate::human::age(f.read_at, model.now);
    // A reading in progress says how far it has got, lab by lab.
    // Counted on the data shown, so that the header and the rows agree.
    if f.refreshing.is_some()
        && f.partial.is_some()
        && let Some(data) = &model.data
    {
        let total = data.inventory.labs().count();
        let read = total - data.labs_reading();
        if total > 0 && read < total {
            return Span::styled(format!("reading {read} of {total} labs"), theme.flash_warn);
        }
    }
    if f.refreshing.is_some() {
        let what = if f.read_at.is_some() {
            format!("refreshing… (shown: {age} old)")
        } else {
            "loading…".into()
        };
        return Span::styled(what, theme.flash_warn);
    }
    if let Some((_, at)) = &f.failed {
        let ago = crate::human::age(Some(*at), model.now);
        // Nothing read yet has no age to give ("data ? old" said nothing).
        let data = match f.read_at {
            Some(_) => format!("data {age} old"),
            None => "nothing read yet".into(),
        };
        return Span::styled(
            format!("refresh failed {ago} ago; {data}"),
            theme.flash_error,
        );
    }
    if f.from_cache {
        return Span::styled(format!("cached, {age} old (stale)"), theme.flash_warn);
    }
    match f.read_at {
        Some(_) => Span::styled(format!("updated {age} ago"), theme.flash_info),
        None => Span::styled("no data yet", theme.dim),
    }
}

fn crumb(model: &Model, route: &Route) -> String {
    let data = model.data.as_ref();
    match &route.view {
        View::Labs => "Labs".into(),
        View::Images { lab: None } => "Images".into(),
        View::Images { lab: Some(id) } => {
            let name = data
                .and_then(|d| d.lab_index(id))
                .map(|l| data.map(|d| d.lab(l).name.clone()).unwrap_or_default())
                .unwrap_or_else(|| id.name().to_string());
            format!("Images({name})")
        }
        View::Retention => "Retention".into(),
        View::Drift => "Drift".into(),
        View::Defs => "Definitions".into(),
        View::Detail { id } => format!("Detail({})", id.name()),
        View::Messages => "Messages".into(),
        View::Builds => "Builds".into(),
        View::Run { run } => format!("Run({run})"),
        View::RunImage { image, .. } => format!("Image({image})"),
        View::Jobs => "Jobs".into(),
        View::Definition { path } => format!("Definition({path})"),
        View::Check => "Check".into(),
    }
}

/// A view's title: its name, what it is about, counts, the filter and the sort.
pub fn title<'a>(model: &Model, theme: &Theme, name: &str, shown: usize) -> Line<'a> {
    let route = model.route();
    let mut spans = vec![
        Span::styled(format!(" {name} "), theme.title),
        Span::styled(format!("[{shown}] "), theme.text),
    ];
    if let Some(f) = &route.filter {
        spans.push(Span::styled(format!("</{}> ", f.text), theme.key));
        if route.hidden > 0 {
            spans.push(Span::styled(format!("{} hidden ", route.hidden), theme.dim));
        }
    }
    if route.sort != super::super::model::SortKey::Natural {
        let arrow = if route.descending { "↑" } else { "↓" };
        spans.push(Span::styled(
            format!("{arrow}{} ", route.sort.label()),
            theme.dim,
        ));
    }
    if !model.marks.is_empty() {
        spans.push(Span::styled(
            format!("{} marked ", model.marks.len()),
            theme.marked,
        ));
    }
    // A list built while labs are still being read says it is partial.
    let reading = model
        .data
        .as_ref()
        .map(super::super::model::Data::labs_reading)
        .unwrap_or(0);
    if reading > 0 {
        spans.push(Span::styled(
            format!(
                "partial: {} still being read ",
                crate::human::count(reading, "lab")
            ),
            theme.flash_warn,
        ));
    }
    Line::from(spans)
}

/// The last line: the filter being typed, else a flash message, else the hints.
pub fn footer(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    if let Some(input) = &model.filter_input {
        let text = input.lines().first().cloned().unwrap_or_default();
        let mut spans = vec![
            Span::styled(" /", theme.key),
            Span::styled(text, theme.text),
            Span::styled("█", theme.text),
        ];
        match &model.filter_error {
            Some(e) => spans.push(Span::styled(format!("   {e}"), theme.flash_error)),
            None => spans.push(Span::styled(
                "   Enter keeps, Esc leaves, ! inverts",
                theme.dim,
            )),
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    if let Some(flash) = &model.flash {
        let style = match flash.level {
            Level::Info => theme.flash_info,
            Level::Warn => theme.flash_warn,
            Level::Error => theme.flash_error,
        };
        // A message longer than the line ends in a pointer to where it is kept whole.
        let pointer = " … (m: messages)";
        let width = area.width as usize;
        let text = if flash.text.chars().count() + 1 > width {
            let keep = width.saturating_sub(pointer.chars().count() + 1);
            format!(
                " {}{pointer}",
                flash.text.chars().take(keep).collect::<String>()
            )
        } else {
            format!(" {}", flash.text)
        };
        frame.render_widget(Paragraph::new(Line::from(Span::styled(text, style))), area);
        return;
    }
    let mut spans = Vec::new();
    let mut used = 0;
    // Help first (it leads to everything else), then what this view does; the keys that work
    // everywhere fill the rest.
    let mut hints: Vec<&command::Command> =
        command::available(model.route().view.kind(), model.read_only)
            .filter(|c| c.hint)
            .collect();
    hints.sort_by_key(|c| {
        (
            c.id != command::CommandId::Help,
            matches!(c.scope, command::Scope::Global),
        )
    });
    for c in hints {
        let Some(key) = model.keymap.first_key(c.id) else {
            continue;
        };
        let piece = format!(" <{key}> {}", c.name).chars().count();
        if used + piece > area.width as usize {
            break;
        }
        used += piece;
        spans.push(Span::styled(format!(" <{key}>"), theme.key));
        spans.push(Span::styled(format!(" {}", c.name), theme.dim));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
