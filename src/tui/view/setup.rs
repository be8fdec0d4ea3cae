//! The setup's screens: a step bar, the step's question with its choices and fields, each
//! field's explanation and its error in place, and the keys that work here.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::super::model::Model;
use super::super::model::setup::{Focus, SetupScreen};
use super::super::theme::Theme;
use super::super::widget::table::window;
use super::ellipsis;
use crate::setup::{Access, Availability, Field, Step};

/// Draws the setup over the whole screen.
pub fn setup(model: &Model, screen: &SetupScreen, theme: &Theme, frame: &mut Frame) {
    let [top, bar, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    let width = frame.area().width as usize;
    let into = screen.wizard.dir.display().to_string();
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" imagefactory setup ", theme.header),
            Span::styled(format!(" writes into {into}"), theme.dim),
        ])),
        top,
    );
    if screen.welcome {
        welcome(model, screen, theme, frame, body);
        hints(
            theme,
            frame,
            footer,
            "Enter set up · i import · Esc look around first · ctrl-c quit",
        );
        return;
    }
    step_bar(screen, theme, frame, bar, width);
    let mut lines = Vec::new();
    // On the last step the files are long: what went wrong is said above them.
    if screen.step() == Step::Review
        && let Some(failure) = &screen.failure
    {
        lines.push(Line::from(Span::styled(
            format!(" ✗ {failure}"),
            theme.flash_error,
        )));
    }
    lines.extend(match screen.step() {
        Step::SignIn => sign_in(screen, theme, width),
        Step::Subscriptions => subscriptions(screen, theme, width, body.height as usize),
        Step::Factory => labs(screen, theme, width, body.height as usize, false),
        Step::Targets => labs(screen, theme, width, body.height as usize, true),
        Step::Retention => retention(model, screen, theme, width),
        Step::Definition => definition(screen, theme, width),
        Step::Review => review(screen, theme, width),
    });
    if let Some(what) = screen.busy.as_ref().map(|b| &b.what) {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            format!(" … {what} (Esc stops waiting)"),
            theme.flash_info,
        )));
    }
    if let Some(failure) = screen
        .failure
        .as_ref()
        .filter(|_| screen.step() != Step::Review)
    {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            format!(" Azure said: {failure}"),
            theme.flash_error,
        )));
    }
    let scroll = if screen.step() == Step::Review {
        screen.scroll
    } else {
        0
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        body,
    );
    hints(theme, frame, footer, step_hints(screen));
}

fn hints(theme: &Theme, frame: &mut Frame, area: Rect, text: &str) {
    frame.render_widget(
        Paragraph::new(Span::styled(format!(" {text}"), theme.dim)),
        area,
    );
}

fn step_hints(screen: &SetupScreen) -> &'static str {
    match (screen.step(), &screen.focus) {
        (Step::SignIn, _) => "↑↓ choose · Enter sign in / go on · Esc leave setup · ctrl-c quit",
        (Step::Subscriptions, _) => "↑↓ move · space mark · Enter go on · Esc back",
        (Step::Factory, _) => "↑↓ move · Enter choose and go on · Esc back",
        (Step::Targets, Focus::List) => {
            "↑↓ move · space mark · Tab edit paths · Enter go on · Esc back"
        }
        (Step::Targets, _) => "type paths · Tab back to the list · Enter go on · Esc back",
        (Step::Retention, _) => "Tab next field · space switch · Enter go on · Esc back",
        (Step::Definition, Focus::Base) => {
            "type to search · ↑↓ move · Enter pick · Tab next · Esc back"
        }
        (Step::Definition, Focus::Artifacts) => {
            "type to search · ↑↓ move · space add/remove · Tab next · Enter go on"
        }
        (Step::Definition, _) => "Tab next field · Enter go on · Esc back",
        (Step::Review, _) => "j/k scroll · o overwrite existing · Enter write · Esc back",
    }
}

fn step_bar(screen: &SetupScreen, theme: &Theme, frame: &mut Frame, area: Rect, width: usize) {
    let now = screen.step();
    let mut spans = vec![Span::raw(" ")];
    for step in Step::ALL {
        let title = if width < 100 {
            short(step)
        } else {
            step.title()
        };
        let (mark, style) = if step == now {
            ("●", theme.selected)
        } else if step < now {
            ("✓", theme.state_current)
        } else {
            ("·", theme.dim)
        };
        spans.push(Span::styled(format!("{mark} {}", title), style));
        if step != Step::Review {
            spans.push(Span::styled(" › ", theme.dim));
        }
    }
    let question = match now {
        Step::Review => " Last: the files, before they are written".to_string(),
        _ => format!(
            " Step {} of {}: {}",
            now.index() + 1,
            Step::ALL.len() - 1,
            now.title()
        ),
    };
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(spans),
            Line::from(Span::styled(question, theme.heading)),
        ]),
        area,
    );
}

fn short(step: Step) -> &'static str {
    match step {
        Step::SignIn => "Sign in",
        Step::Subscriptions => "Subs",
        Step::Factory => "Factory",
        Step::Targets => "Targets",
        Step::Retention => "Retention",
        Step::Definition => "Image",
        Step::Review => "Write",
    }
}

fn welcome(model: &Model, screen: &SetupScreen, theme: &Theme, frame: &mut Frame, area: Rect) {
    let searched: Vec<String> = crate::config::search_path(None)
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let key = |k: &str| Span::styled(format!(" {k:<6} "), theme.key);
    let mut lines = vec![
        Line::from(""),
        Line::from(Span::styled(
            " No factory is configured here yet.",
            theme.heading,
        )),
        Line::from(Span::styled(
            format!(" Looked for: {}", searched.join(", ")),
            theme.dim,
        )),
        Line::from(""),
        Line::from(vec![
            key("Enter"),
            Span::styled(
                "set one up now, in six steps: sign in, subscriptions, the",
                theme.text,
            ),
        ]),
        Line::from(Span::styled(
            "        factory lab, the labs that receive images, retention, a first image.",
            theme.text,
        )),
        Line::from(Span::styled(
            "        Every answer is checked against Azure; files are shown before writing.",
            theme.dim,
        )),
    ];
    if let Some(legacy) = &screen.legacy {
        lines.push(Line::from(""));
        lines.push(Line::from(vec![
            key("i"),
            Span::styled(
                format!(
                    "convert the original PowerShell factory's configuration in {}",
                    legacy.display()
                ),
                theme.text,
            ),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(vec![
        key("Esc"),
        Span::styled(
            "look around first: the estate without a factory (:init comes back here)",
            theme.text,
        ),
    ]));
    if let Some(what) = screen.busy.as_ref().map(|b| &b.what) {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            format!(" … {what}"),
            theme.flash_info,
        )));
    }
    if let Some(failure) = &screen.failure {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            format!(" {failure}"),
            theme.flash_error,
        )));
    }
    let _ = model;
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// `text` as lines of `style` under a field: the first after `lead`, the rest indented to
/// it, broken between words to fit the screen.
fn indented(text: &str, lead: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    let indent = lead.chars().count();
    let room = width.saturating_sub(indent + 1).max(20);
    let chars: Vec<char> = text.chars().collect();
    super::wrap_words(&chars, room, room)
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            let lead = if i == 0 {
                lead.to_string()
            } else {
                " ".repeat(indent)
            };
            Line::from(Span::styled(format!("{lead}{piece}"), style))
        })
        .collect()
}

/// The problem, if it is about `field`, under it.
fn push_problem(
    lines: &mut Vec<Line<'static>>,
    screen: &SetupScreen,
    theme: &Theme,
    field: &Field,
    width: usize,
) {
    if let Some(p) = screen.problem.as_ref().filter(|p| &p.field == field) {
        lines.extend(indented(&p.message, "   ✗ ", width, theme.flash_error));
    }
}

fn question(text: &str, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(format!(" {text}"), theme.text))
}

fn cursor_style(on: bool, theme: &Theme) -> Style {
    if on { theme.selected } else { theme.text }
}

fn sign_in(screen: &SetupScreen, theme: &Theme, width: usize) -> Vec<Line<'static>> {
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

fn access_text(access: &Access, can: &str) -> (String, bool) {
    match access {
        Access::Changes => (can.to_string(), true),
        Access::ReadOnly(r) => (format!("read only: {}", r.short), false),
        Access::Unknown(why) => (format!("access unknown ({why})"), true),
    }
}

fn subscriptions(
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

fn labs(
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

/// A text field: its label, what is typed (with the cursor when it has the keys), and a note.
fn field(
    screen: &SetupScreen,
    theme: &Theme,
    focus: Focus,
    label: &str,
    value: &str,
    note: &str,
) -> Line<'static> {
    let on = screen.focus == focus;
    let value = if on {
        format!("{}█", screen.input.lines().join(""))
    } else {
        value.to_string()
    };
    Line::from(vec![
        Span::styled(
            format!(" {} {label} ", if on { ">" } else { " " }),
            if on { theme.key } else { theme.text },
        ),
        Span::styled(
            format!("[{value}]"),
            if on { theme.selected } else { theme.text },
        ),
        Span::styled(format!("  {note}"), theme.dim),
    ])
}

fn switch(
    screen: &SetupScreen,
    theme: &Theme,
    focus: Focus,
    on: bool,
    label: &str,
) -> Line<'static> {
    let here = screen.focus == focus;
    Line::from(Span::styled(
        format!(
            " {} [{}] {label}",
            if here { ">" } else { " " },
            if on { "x" } else { " " }
        ),
        cursor_style(here, theme),
    ))
}

fn retention(
    model: &Model,
    screen: &SetupScreen,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let r = &screen.wizard.retention;
    let mut lines = vec![
        question(
            "How are old images retired? Per image path, in each lab: older than the newest N.",
            theme,
        ),
        Line::from(""),
        field(
            screen,
            theme,
            Focus::KeepLatest,
            "Keep the newest",
            &r.keep_latest,
            "images of each path (1 or more)",
        ),
    ];
    push_problem(&mut lines, screen, theme, &Field::KeepLatest, width);
    lines.push(field(
        screen,
        theme,
        Focus::MinAge,
        "Never retire images younger than",
        &r.min_age,
        "like 7d, 36h, 2w",
    ));
    push_problem(&mut lines, screen, theme, &Field::MinAge, width);
    lines.push(switch(
        screen,
        theme,
        Focus::ProtectInUse,
        r.protect_in_use,
        "never retire an image a VM or formula in its lab uses",
    ));
    lines.push(switch(
        screen,
        theme,
        Focus::RetireRemoved,
        r.retire_removed_definitions,
        "also the newest images of paths whose definition was removed",
    ));
    lines.push(switch(
        screen,
        theme,
        Focus::RetireUnsubscribed,
        r.retire_unsubscribed,
        "also the newest images of paths a lab no longer receives",
    ));
    lines.push(Line::from(""));
    match screen.wizard.retention_preview(model.now) {
        Ok(preview) => {
            lines.push(Line::from(Span::styled(
                format!(
                    " Today this would retire {} of {} images in the target labs:",
                    preview.retire(),
                    preview.images()
                ),
                theme.heading,
            )));
            for l in &preview.labs {
                let (lab, retire, all) = (&l.lab, l.retire, l.images);
                lines.push(Line::from(Span::styled(
                    format!("   {lab:<24} {retire:>4} of {all}"),
                    if retire > 0 {
                        theme.state_retire
                    } else {
                        theme.dim
                    },
                )));
            }
            lines.push(Line::from(Span::styled(
                " Nothing is retired by the setup: `imagefactory retire` previews, --yes applies.",
                theme.dim,
            )));
        }
        Err(_) => lines.push(Line::from(Span::styled(
            " (the preview waits for a valid policy)",
            theme.dim,
        ))),
    }
    lines
}

fn definition(screen: &SetupScreen, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let w = &screen.wizard;
    let mut lines = vec![question(
        "The first image: where it lives, what it starts from, what it applies.",
        theme,
    )];
    let file =
        crate::config::write::definition_file(&crate::config::ImagePath::new(&w.definition_path));
    lines.push(field(
        screen,
        theme,
        Focus::DefinitionPath,
        "Image path",
        &w.definition_path,
        &format!("→ {}", file.display()),
    ));
    push_problem(&mut lines, screen, theme, &Field::DefinitionPath, width);
    let base = w
        .base_image()
        .map(|g| format!("{} ({})", g.title, g.reference()))
        .unwrap_or_else(|| "none yet".into());
    let searching = screen.focus == Focus::Base;
    lines.push(Line::from(vec![
        Span::styled(
            format!(" {} Base image ", if searching { ">" } else { " " }),
            if searching { theme.key } else { theme.text },
        ),
        Span::styled(
            if searching {
                format!("search: {}█", screen.input.lines().join(""))
            } else {
                ellipsis(&base, width.saturating_sub(16))
            },
            theme.text,
        ),
    ]));
    if searching {
        let shown = screen.gallery_shown();
        let gallery = w
            .offer
            .as_ref()
            .map(|o| o.gallery.as_slice())
            .unwrap_or_default();
        let (start, end) = window(shown.len(), screen.cursor, 0, 4);
        for (row, g) in shown.iter().enumerate().take(end).skip(start) {
            let g = &gallery[*g];
            let on = row == screen.cursor;
            lines.push(Line::from(Span::styled(
                ellipsis(
                    &format!(
                        "   {} {} · {}",
                        if on { ">" } else { " " },
                        g.title,
                        g.reference()
                    ),
                    width,
                ),
                cursor_style(on, theme),
            )));
        }
        if shown.is_empty() {
            lines.push(Line::from(Span::styled(
                "     nothing in the gallery matches",
                theme.dim,
            )));
        }
    }
    push_problem(&mut lines, screen, theme, &Field::Base, width);
    let choosing = screen.focus == Focus::Artifacts;
    let chosen: Vec<&str> = w.artifacts.iter().map(|a| a.name.as_str()).collect();
    let generalize = crate::factory::build::plan::generalize_artifact(w.os()).name;
    lines.push(Line::from(vec![
        Span::styled(
            format!(" {} Artifacts ", if choosing { ">" } else { " " }),
            if choosing { theme.key } else { theme.text },
        ),
        Span::styled(
            if choosing {
                format!("search: {}█", screen.input.lines().join(""))
            } else if chosen.is_empty() {
                format!("none (every build applies {generalize} last)")
            } else {
                ellipsis(
                    &format!("{} (then {generalize})", chosen.join(", ")),
                    width.saturating_sub(16),
                )
            },
            theme.text,
        ),
    ]));
    if choosing {
        let shown = screen.artifacts_shown();
        let (start, end) = window(shown.len(), screen.cursor, 0, 4);
        for (row, (source, a)) in shown.iter().enumerate().take(end).skip(start) {
            let on = row == screen.cursor;
            let mark = if w
                .artifacts
                .iter()
                .any(|c| &c.source == source && c.name == a.name)
            {
                "[x]"
            } else {
                "[ ]"
            };
            lines.push(Line::from(Span::styled(
                ellipsis(
                    &format!(
                        "   {} {mark} {} · {} ({source})",
                        if on { ">" } else { " " },
                        a.name,
                        a.title
                    ),
                    width,
                ),
                cursor_style(on, theme),
            )));
        }
    }
    for (i, name, required) in super::super::update::setup::parameters(w) {
        let artifact = &w.artifacts[i];
        let value = artifact.parameters.get(&name).cloned().unwrap_or_default();
        let note = if required { "required" } else { "optional" };
        lines.push(field(
            screen,
            theme,
            Focus::Parameter(i, name.clone()),
            &format!("{} {name}", artifact.name),
            &value,
            note,
        ));
        push_problem(&mut lines, screen, theme, &Field::Parameter(i, name), width);
    }
    lines
}

fn review(screen: &SetupScreen, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let w = &screen.wizard;
    let mut lines = Vec::new();
    match w.files() {
        Err(p) => lines.push(Line::from(Span::styled(
            format!(" ✗ {}", p.message),
            theme.flash_error,
        ))),
        Ok(files) => {
            let existing = crate::config::write::existing(&w.dir, &files);
            let dir = std::path::absolute(&w.dir).unwrap_or_else(|_| w.dir.clone());
            lines.push(question(
                &format!(
                    "Enter writes these files into {} (nothing is written before):",
                    dir.display()
                ),
                theme,
            ));
            if !existing.is_empty() {
                let over = if w.overwrite {
                    "will be overwritten (o keeps them)"
                } else {
                    "exist: o overwrites them"
                };
                let names: Vec<String> = existing.iter().map(|p| p.display().to_string()).collect();
                lines.push(Line::from(Span::styled(
                    format!(" ⚠ {} {over}", names.join(", ")),
                    theme.flash_warn,
                )));
            }
            push_problem(&mut lines, screen, theme, &Field::Files, width);
            for f in files {
                lines.push(Line::from(Span::styled(
                    format!(" ── {} ──", f.relative.display()),
                    theme.heading,
                )));
                lines.extend(
                    f.text
                        .lines()
                        .map(|l| Line::from(Span::styled(format!("   {l}"), theme.text))),
                );
            }
        }
    }
    lines
}
