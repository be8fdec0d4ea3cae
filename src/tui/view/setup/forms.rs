//! The setup's steps that are answered by typing: the retention policy (with what it would
//! retire today), the first definition (its path, a searched base image and artifacts with
//! their parameters), and the files before they are written.

use ratatui::text::{Line, Span};

use super::super::super::model::Model;
use super::super::super::model::setup::{Focus, SetupScreen};
use super::super::super::theme::Theme;
use super::super::super::widget::table::window;
use super::super::ellipsis;
use super::{cursor_style, field, push_problem, question, switch};
use crate::setup::Field;

pub(super) fn retention(
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

pub(super) fn definition(screen: &SetupScreen, theme: &Theme, width: usize) -> Vec<Line<'static>> {
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
    let generalize = crate::factory::builder::plan::generalize_artifact(w.os()).name;
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
    for (i, name, required) in w.parameters() {
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

pub(super) fn review(screen: &SetupScreen, theme: &Theme, width: usize) -> Vec<Line<'static>> {
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
