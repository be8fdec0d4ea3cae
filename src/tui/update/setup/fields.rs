//! Moving about a step: which field has the keys, the list cursor, marks and switches, and
//! what is typed put into the wizard's answers.

use super::super::super::model::setup::{Focus, SETUP_CHROME_ROWS, SetupScreen};
use crate::setup::{ChosenArtifact, Step};

/// The fields of the step on screen, in Tab order.
pub(super) fn focuses(screen: &SetupScreen) -> Vec<Focus> {
    match screen.step() {
        Step::Targets => vec![Focus::List, Focus::TargetPaths],
        Step::Retention => vec![
            Focus::KeepLatest,
            Focus::MinAge,
            Focus::ProtectInUse,
            Focus::RetireRemoved,
            Focus::RetireUnsubscribed,
        ],
        Step::Definition => {
            let mut f = vec![Focus::DefinitionPath, Focus::Base, Focus::Artifacts];
            f.extend(
                screen
                    .wizard
                    .parameters()
                    .into_iter()
                    .map(|(i, name, _)| Focus::Parameter(i, name)),
            );
            f
        }
        _ => vec![Focus::List],
    }
}

pub(super) fn move_focus(screen: &mut SetupScreen, by: isize) {
    let all = focuses(screen);
    let at = all.iter().position(|f| *f == screen.focus).unwrap_or(0) as isize;
    let next = (at + by).rem_euclid(all.len().max(1) as isize) as usize;
    if let Some(f) = all.get(next).cloned() {
        focus(screen, f);
    }
}

/// Gives `f` the keys, with its answer as the text to edit.
pub fn focus(screen: &mut SetupScreen, f: Focus) {
    let text = match &f {
        Focus::TargetPaths => screen
            .wizard
            .targets
            .get(&screen.cursor)
            .cloned()
            .unwrap_or_default(),
        Focus::KeepLatest => screen.wizard.retention.keep_latest.clone(),
        Focus::MinAge => screen.wizard.retention.min_age.clone(),
        Focus::DefinitionPath => screen.wizard.definition_path.clone(),
        Focus::Parameter(i, name) => screen
            .wizard
            .artifacts
            .get(*i)
            .and_then(|a| a.parameters.get(name).cloned())
            .unwrap_or_default(),
        _ => String::new(),
    };
    let mut input = ratatui_textarea::TextArea::new(vec![text]);
    input.move_cursor(ratatui_textarea::CursorMove::End);
    screen.input = input;
    if f == Focus::Base {
        let base = screen.wizard.base;
        screen.focus = f;
        screen.cursor = screen
            .gallery_shown()
            .iter()
            .position(|g| Some(*g) == base)
            .unwrap_or(0);
        return;
    }
    if f == Focus::Artifacts {
        screen.cursor = 0;
    }
    screen.focus = f;
}

pub(super) fn go_to(screen: &mut SetupScreen, step: Step) {
    screen.wizard.step = step;
    if step == Step::Definition && screen.wizard.definition_path.trim().is_empty() {
        screen.wizard.definition_path = screen.wizard.suggested_path();
    }
    screen.problem = None;
    screen.failure = None;
    screen.scroll = 0;
    screen.cursor = match step {
        Step::Factory => screen.wizard.factory.unwrap_or(0),
        _ => 0,
    };
    let first = focuses(screen).into_iter().next().unwrap_or(Focus::List);
    focus(screen, first);
}

/// Whether the up and down keys move a list cursor here.
pub(super) fn lists(screen: &SetupScreen) -> bool {
    matches!(screen.focus, Focus::List | Focus::Base | Focus::Artifacts)
}

/// Whether space marks or switches here.
pub(super) fn toggles(screen: &SetupScreen) -> bool {
    matches!(
        (screen.step(), &screen.focus),
        (Step::Subscriptions | Step::Targets, Focus::List)
            | (_, Focus::Artifacts)
            | (
                _,
                Focus::ProtectInUse | Focus::RetireRemoved | Focus::RetireUnsubscribed
            )
    )
}

/// Whether keys are typed into the focused field.
pub(super) fn typed(screen: &SetupScreen) -> bool {
    !matches!(
        screen.focus,
        Focus::List | Focus::ProtectInUse | Focus::RetireRemoved | Focus::RetireUnsubscribed
    )
}

pub(super) fn rows(screen: &SetupScreen) -> usize {
    let w = &screen.wizard;
    match (&screen.focus, screen.step()) {
        (Focus::Base, _) => screen.gallery_shown().len(),
        (Focus::Artifacts, _) => screen.artifacts_shown().len(),
        (_, Step::SignIn) => w.credentials.len(),
        (_, Step::Subscriptions) => w.signed_in.as_ref().map_or(0, |s| s.subscriptions.len()),
        (_, Step::Factory | Step::Targets) => w.labs.len(),
        _ => 0,
    }
}

/// Moves the cursor of a list, or scrolls the files shown before writing on a screen of
/// `(width, height)`: no further than their end at the bottom of the screen.
pub(super) fn move_cursor(screen: &mut SetupScreen, by: isize, (width, height): (u16, u16)) {
    if screen.step() == Step::Review {
        let body = usize::from(height.saturating_sub(SETUP_CHROME_ROWS));
        let last = review_rows(screen, width).saturating_sub(body);
        screen.scroll = (screen.scroll as isize + by).clamp(0, last as isize) as u16;
        return;
    }
    let n = rows(screen);
    if n == 0 {
        return;
    }
    screen.cursor = (screen.cursor as isize + by).clamp(0, n as isize - 1) as usize;
}

pub(super) fn toggle(screen: &mut SetupScreen) {
    screen.problem = None;
    let w = &mut screen.wizard;
    match (&screen.focus, w.step) {
        (Focus::ProtectInUse, _) => w.retention.protect_in_use = !w.retention.protect_in_use,
        (Focus::RetireRemoved, _) => {
            w.retention.retire_removed_definitions = !w.retention.retire_removed_definitions
        }
        (Focus::RetireUnsubscribed, _) => {
            w.retention.retire_unsubscribed = !w.retention.retire_unsubscribed
        }
        (Focus::Artifacts, _) => {
            let shown = screen.artifacts_shown();
            if let Some((source, artifact)) = shown.get(screen.cursor) {
                let w = &mut screen.wizard;
                match w
                    .artifacts
                    .iter()
                    .position(|a| a.source == *source && a.name == artifact.name)
                {
                    Some(i) => {
                        w.artifacts.remove(i);
                    }
                    None => w.artifacts.push(ChosenArtifact {
                        source: source.clone(),
                        name: artifact.name.clone(),
                        parameters: artifact
                            .parameters
                            .iter()
                            .filter_map(|p| Some((p.name.clone(), p.default.clone()?)))
                            .collect(),
                    }),
                }
            }
        }
        (_, Step::Subscriptions) => {
            let id = w
                .signed_in
                .as_ref()
                .and_then(|s| s.subscriptions.get(screen.cursor))
                .map(|s| s.id.clone());
            if let Some(id) = id
                && !w.subscriptions.remove(&id)
            {
                w.subscriptions.insert(id);
            }
        }
        (_, Step::Targets) => w.toggle_target(screen.cursor),
        _ => {}
    }
}

/// Puts what was typed into the answer of the focused field.
pub(super) fn set_answer(screen: &mut SetupScreen, text: &str) {
    let cursor = screen.cursor;
    let w = &mut screen.wizard;
    match &screen.focus {
        // Typing paths for a lab marks it.
        Focus::TargetPaths if cursor < w.labs.len() => {
            w.targets.insert(cursor, text.to_string());
        }
        Focus::KeepLatest => w.retention.keep_latest = text.to_string(),
        Focus::MinAge => w.retention.min_age = text.to_string(),
        Focus::DefinitionPath => w.definition_path = text.to_string(),
        Focus::Parameter(i, name) => {
            if let Some(a) = w.artifacts.get_mut(*i) {
                a.parameters.insert(name.clone(), text.to_string());
            }
        }
        // A search: the cursor goes back to the first match.
        Focus::Base | Focus::Artifacts => screen.cursor = 0,
        _ => {}
    }
}

/// How many rows the files shown before writing take at `width`, at most: each file's lines
/// as they wrap (indented by three), a heading each, and room for the lines above them (the
/// question, which names the folder and may wrap, a warning, a problem or a failure).
fn review_rows(screen: &SetupScreen, width: u16) -> usize {
    let width = usize::from(width.max(1));
    let rows = |text: &str| (3 + text.chars().count()).div_ceil(width).max(1);
    let files: usize = screen.wizard.files().map_or(0, |files| {
        files
            .iter()
            .map(|f| 1 + f.text.lines().map(rows).sum::<usize>())
            .sum()
    });
    files + 6
}
