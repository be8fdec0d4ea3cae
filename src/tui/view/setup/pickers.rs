//! The setup's steps that choose from what Azure has: the credential, the subscriptions, the
//! factory lab and the labs that receive images.

use ratatui::text::{Line, Span};

use super::super::super::model::setup::{Focus, SetupScreen};
use super::super::super::theme::Theme;
use super::super::super::widget::table::window;
use super::super::ellipsis;
use super::{access_text, cursor_style, indented, push_problem, question};
use crate::setup::{Access, Availability, Field};

pub(super) fn sign_in(screen: &SetupScreen, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let w = &screen.wizard;
    let mut lines = vec![
        question(
            "How should imagefactory sign in to Azure? This machine has:",
            theme,
        ),
        Line::from(""),
    ];
    for (i, c) in w.credentials.iter().enumerate() {
        let on = i == screen.cursor;
        let (state, style) = match &c.availability {
            Availability::Ready(how) => (format!("ready: {how}"), theme.state_current),
            Availability::Maybe(why) => (format!("maybe: {why}"), theme.state_too_young),
            Availability::Missing(why) => (format!("missing: {why}"), theme.dim),
        };
        let used = if w.auth == Some(c.mode) && w.signed_in.is_some() {
            "✓"
        } else {
            " "
        };
        let name = format!(
            " {}{used} {:<18}",
            if on { ">" } else { " " },
            c.mode.as_str()
        );
        let describe = format!("{:<36}", ellipsis(c.describe(), 35));
        let rest = width.saturating_sub(name.chars().count() + describe.chars().count() + 1);
        lines.push(Line::from(vec![
            Span::styled(name, cursor_style(on, theme)),
            Span::styled(describe, theme.text),
            Span::styled(ellipsis(&state, rest), style),
        ]));
    }
    lines.push(Line::from(""));
    push_problem(&mut lines, screen, theme, &Field::Credential, width);
    if let Some(s) = &w.signed_in {
        let who = s
            .principal
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_else(|| "an identity without a name in its token".into());
        let tenant = s.tenant().unwrap_or("unknown");
        lines.push(Line::from(vec![
            Span::styled(" Signed in as ", theme.text),
            Span::styled(who, theme.heading),
            Span::styled(format!(" · tenant {tenant}"), theme.text),
        ]));
        let readers = s
            .subscriptions
            .iter()
            .filter(|x| x.access.read_only())
            .count();
        lines.push(Line::from(Span::styled(
            format!(
                " It sees {}{}. Enter goes on with {}.",
                crate::human::count(s.subscriptions.len(), "subscription"),
                if readers > 0 {
                    format!(" ({readers} read only)")
                } else {
                    String::new()
                },
                w.auth.map(|m| m.as_str()).unwrap_or("it")
            ),
            theme.dim,
        )));
    } else {
        lines.push(Line::from(Span::styled(
            " Enter tries the credential under the cursor: who it is and what it sees.",
            theme.dim,
        )));
    }
    lines
}

pub(super) fn subscriptions(
    screen: &SetupScreen,
    theme: &Theme,
    width: usize,
    height: usize,
) -> Vec<Line<'static>> {
    let w = &screen.wizard;
    let mut lines = vec![
        question(
            "Which subscriptions hold your labs? Labs are looked for in those marked.",
            theme,
        ),
        Line::from(Span::styled(
            " Read-only ones are shown: their labs can be seen, not built in or retired from.",
            theme.dim,
        )),
        Line::from(""),
    ];
    let subs = w
        .signed_in
        .as_ref()
        .map(|s| s.subscriptions.as_slice())
        .unwrap_or_default();
    let (start, end) = window(subs.len(), screen.cursor, 0, height.saturating_sub(6));
    for (i, s) in subs.iter().enumerate().take(end).skip(start) {
        let on = i == screen.cursor;
        let mark = if w.subscriptions.contains(&s.id) {
            "[x]"
        } else {
            "[ ]"
        };
        let (access, ok) = access_text(&s.access, "can build and retire");
        let head = format!(
            " {} {mark} {:<28} {:<14} ",
            if on { ">" } else { " " },
            ellipsis(&s.name, 28),
            ellipsis(&s.id, 13)
        );
        let rest = width.saturating_sub(head.chars().count());
        lines.push(Line::from(vec![
            Span::styled(head, cursor_style(on, theme)),
            Span::styled(
                ellipsis(&access, rest),
                if ok { theme.dim } else { theme.state_too_young },
            ),
        ]));
    }
    lines.push(Line::from(""));
    push_problem(&mut lines, screen, theme, &Field::Subscriptions, width);
    lines
}

pub(super) fn labs(
    screen: &SetupScreen,
    theme: &Theme,
    width: usize,
    height: usize,
    targets: bool,
) -> Vec<Line<'static>> {
    let w = &screen.wizard;
    let mut lines = if targets {
        vec![
            question(
                "Which labs receive the images? Mark each, and say which image paths it gets.",
                theme,
            ),
            Line::from(Span::styled(
                " Images are copied within a region: labs elsewhere than the factory are flagged.",
                theme.dim,
            )),
        ]
    } else {
        vec![
            question(
                "Which lab builds the images? Its VMs are made, generalized and captured there.",
                theme,
            ),
            Line::from(Span::styled(
                " It needs the right to create VMs; the images are copied from it to the labs.",
                theme.dim,
            )),
        ]
    };
    let factory = w.factory.and_then(|i| w.labs.get(i));
    let rows = height.saturating_sub(if targets { 9 } else { 5 });
    let (start, end) = window(w.labs.len(), screen.cursor, 0, rows);
    for (i, lab) in w.labs.iter().enumerate().take(end).skip(start) {
        let on = i == screen.cursor;
        let mark = if targets {
            if w.targets.contains_key(&i) {
                "[x]"
            } else {
                "[ ]"
            }
        } else if w.factory == Some(i) {
            "(•)"
        } else {
            "( )"
        };
        let head = format!(
            " {} {mark} {:<18} {:<11} {:<15} ",
            if on { ">" } else { " " },
            ellipsis(&lab.lab.name, 18),
            ellipsis(&lab.location, 11),
            ellipsis(&lab.subscription_name, 15)
        );
        let (note, style) = if targets {
            let elsewhere = factory.filter(|f| !f.location.eq_ignore_ascii_case(&lab.location));
            // What stops a lab from receiving comes first: access, then region.
            match (elsewhere, &lab.receive, w.targets.get(&i)) {
                (_, Access::ReadOnly(r), _) => {
                    (format!("read only: {}", r.short), theme.state_too_young)
                }
                (Some(f), _, _) => (format!("⚠ outside {}", f.location), theme.state_too_young),
                (_, _, Some(paths)) => (format!("receives {paths}"), theme.text),
                _ => (
                    if lab.paths.is_empty() {
                        crate::human::count(lab.images, "image")
                    } else {
                        format!("has {}", join_paths(&lab.paths))
                    },
                    theme.dim,
                ),
            }
        } else {
            let (access, ok) = access_text(&lab.build, "can create VMs");
            (access, if ok { theme.dim } else { theme.state_too_young })
        };
        let rest = width.saturating_sub(head.chars().count());
        lines.push(Line::from(vec![
            Span::styled(head, cursor_style(on, theme)),
            Span::styled(ellipsis(&note, rest), style),
        ]));
    }
    if w.labs.is_empty() && screen.busy.is_none() {
        lines.push(Line::from(Span::styled(
            "   (no labs in the chosen subscriptions)",
            theme.dim,
        )));
    }
    lines.push(Line::from(""));
    if targets {
        push_problem(&mut lines, screen, theme, &Field::Targets, width);
        if let Some(lab) = w.labs.get(screen.cursor) {
            let editing = screen.focus == Focus::TargetPaths;
            let value = if editing {
                format!("{}█", screen.input.lines().join(""))
            } else {
                w.targets
                    .get(&screen.cursor)
                    .cloned()
                    .unwrap_or_else(|| "(not marked)".into())
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!(" Image paths {} receives: ", lab.lab.name),
                    if editing { theme.key } else { theme.text },
                ),
                Span::styled(value, theme.text),
            ]));
            lines.push(Line::from(Span::styled(
                "   comma-separated; a folder (win2022) takes every image under it",
                theme.dim,
            )));
            push_problem(
                &mut lines,
                screen,
                theme,
                &Field::TargetPaths(screen.cursor),
                width,
            );
        }
        if let Some(p) = &screen.problem
            && let Field::TargetPaths(i) = p.field
            && i != screen.cursor
        {
            lines.extend(indented(&p.message, "   ✗ ", width, theme.flash_error));
        }
    } else {
        push_problem(&mut lines, screen, theme, &Field::Factory, width);
    }
    lines
}

fn join_paths(paths: &[crate::config::ImagePath]) -> String {
    paths
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
