//! The setup's screens: a step bar, the step's question with its choices and fields, each
//! field's explanation and its error in place, and the keys that work here.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

mod forms;
mod pickers;

use super::super::model::Model;
use super::super::model::setup::{Focus, SetupScreen};
use super::super::theme::Theme;
use crate::setup::{Access, Field, Step};

/// Draws the setup over the whole screen.
pub fn setup(model: &Model, screen: &SetupScreen, theme: &Theme, frame: &mut Frame) {
    // SETUP_CHROME_ROWS around the body (scrolling the files stops by it).
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
        Step::SignIn => pickers::sign_in(screen, theme, width),
        Step::Subscriptions => pickers::subscriptions(screen, theme, width, body.height as usize),
        Step::Factory => pickers::labs(screen, theme, width, body.height as usize, false),
        Step::Targets => pickers::labs(screen, theme, width, body.height as usize, true),
        Step::Retention => forms::retention(model, screen, theme, width),
        Step::Definition => forms::definition(screen, theme, width),
        Step::Review => forms::review(screen, theme, width),
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
        .map(|p| crate::paths::from_home(p))
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
pub(super) fn indented(text: &str, lead: &str, width: usize, style: Style) -> Vec<Line<'static>> {
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
pub(super) fn push_problem(
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

pub(super) fn question(text: &str, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(format!(" {text}"), theme.text))
}

pub(super) fn cursor_style(on: bool, theme: &Theme) -> Style {
    if on { theme.selected } else { theme.text }
}

/// A text field: its label, what is typed (with the cursor when it has the keys), and a note.
pub(super) fn field(
    screen: &SetupScreen,
    theme: &Theme,
    focus: Focus,
    label: &str,
    value: &str,
    note: &str,
) -> Line<'static> {
    let on = screen.focus == focus;
    let mut spans = vec![Span::styled(
        format!(" {} {label} ", if on { ">" } else { " " }),
        if on { theme.key } else { theme.text },
    )];
    if on {
        // The cursor where the text area has it (←/→, Home and End move it): the character
        // under it reversed, or a block after the last.
        let text = screen.input.lines().join("");
        let at = screen.input.cursor().1;
        let before: String = text.chars().take(at).collect();
        let mut rest = text.chars().skip(at);
        let under = match rest.next() {
            Some(c) => Span::styled(
                String::from(c),
                theme.selected.add_modifier(Modifier::REVERSED),
            ),
            None => Span::styled("█", theme.selected),
        };
        let after: String = rest.collect();
        spans.extend([
            Span::styled(format!("[{before}"), theme.selected),
            under,
            Span::styled(format!("{after}]"), theme.selected),
        ]);
    } else {
        spans.push(Span::styled(format!("[{value}]"), theme.text));
    }
    spans.push(Span::styled(format!("  {note}"), theme.dim));
    Line::from(spans)
}

pub(super) fn switch(
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

pub(super) fn access_text(access: &Access, can: &str) -> (String, bool) {
    match access {
        Access::Changes => (can.to_string(), true),
        Access::ReadOnly(r) => (format!("read only: {}", r.short), false),
        Access::Unknown(why) => (format!("access unknown ({why})"), true),
    }
}
