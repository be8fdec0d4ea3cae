//! The Check view: the findings of `check` (the same checker as `imagefactory check`), read
//! when the view opens and again on refresh.

use time::OffsetDateTime;

use super::detail::line;
use super::{DetailKind, DetailLine, Model, ReqId};
use crate::factory::check::{Finding, Level};

/// The last check, and the one running.
#[derive(Debug, Clone, Default)]
pub struct CheckState {
    /// The check being made.
    pub running: Option<ReqId>,
    /// What the last one found, or why it could not be made, and when.
    pub last: Option<(Result<Vec<Finding>, String>, OffsetDateTime)>,
}

/// The lines of the Check view.
pub fn check_lines(model: &Model) -> Vec<DetailLine> {
    let mut out = Vec::new();
    let Some(config) = &model.config else {
        out.push(line(
            DetailKind::Note,
            "no configuration is loaded: :init sets one up",
        ));
        return out;
    };
    let state = &model.check;
    match &state.last {
        None => out.push(line(
            DetailKind::Note,
            format!("checking {} against Azure…", config.path.display()),
        )),
        Some((Err(e), _)) => out.push(line(
            DetailKind::Note,
            format!("the check could not be made: {e}"),
        )),
        Some((Ok(findings), at)) => {
            let errors = findings.iter().filter(|f| f.level == Level::Error).count();
            let warnings = findings.len() - errors;
            let verdict = if errors > 0 {
                "a build or a retirement would stop"
            } else {
                "nothing stops a build or a retirement"
            };
            out.push(line(
                DetailKind::Heading,
                format!(
                    "{}: {}, {} ({})",
                    config.path.display(),
                    crate::human::count(errors, "error"),
                    crate::human::count(warnings, "warning"),
                    verdict
                ),
            ));
            let checked = crate::human::age(Some(*at), model.now);
            let again = if state.running.is_some() {
                "checking again…".to_string()
            } else {
                "ctrl-r reads Azure and checks again".to_string()
            };
            out.push(line(
                DetailKind::Note,
                format!("checked {checked} ago · {again}"),
            ));
            for f in findings {
                let level = match f.level {
                    Level::Error => "error",
                    Level::Warning => "warning",
                };
                out.push(line(DetailKind::Heading, format!("{level}: {}", f.subject)));
                out.push(line(DetailKind::Field, format!("  {}", f.problem)));
                out.push(line(DetailKind::Note, format!("  fix: {}", f.fix)));
                if let Some(file) = &f.file {
                    out.push(line(DetailKind::Note, format!("  in {file}")));
                }
            }
        }
    }
    out
}
