//! `imagefactory check`: the configuration, then (unless `--offline`) the estate it names and
//! what the identity may do there, each problem with what to do about it. Exit 0 when a build
//! and a retirement would not stop on anything found, 2 when they would.

use clap::Args;
use serde::Serialize;

use super::Global;
use super::context::{self, Context};
use super::exit::Exit;
use super::output::{annotate_file, in_pipeline, print_json, report_error};
use crate::config::FactoryConfig;
use crate::factory::check::{self, Finding, Level};

/// Options of `check`.
#[derive(Debug, Args, Default)]
pub struct CheckArgs {
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
    /// Check the files only: do not reach Azure.
    #[arg(long)]
    pub offline: bool,
}

/// What `check --json` prints.
#[derive(Serialize)]
struct Report {
    ok: bool,
    /// The configuration checked, if one was found.
    config: Option<String>,
    /// Who the estate was checked as, when it was.
    checked_as: Option<String>,
    /// Whether Azure was reached.
    online: bool,
    findings: Vec<Finding>,
}

/// What to do about a configuration that does not load, for what went wrong with it.
fn fix_for(e: &crate::config::ConfigError, offline: bool) -> String {
    use crate::config::ConfigError;
    let then = if offline {
        ""
    } else {
        "; the checks against Azure need it to load first"
    };
    match e {
        ConfigError::NotFound { .. } => {
            "pass --config with a file that exists, or run `imagefactory init` to make one".into()
        }
        ConfigError::Read { path, reason } => {
            let named = path.display();
            if path.is_dir() {
                format!("{named} is a folder: point --config at the factory.toml file in it")
            } else if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink())
                && !path.exists()
            {
                format!(
                    "{named} is a symlink to nothing: remove it, or point it at a definition{then}"
                )
            } else if reason.contains("UTF-8") {
                format!("save {named} as UTF-8 text (or remove it if it is not a definition){then}")
            } else {
                format!("make {named} readable by this user, or remove it{then}")
            }
        }
        _ => format!("fix the file at the place named{then}"),
    }
}

pub async fn run(global: &Global, args: CheckArgs) -> Exit {
    let mut unreached = false;
    let mut report = Report {
        ok: false,
        config: None,
        checked_as: None,
        online: false,
        findings: Vec::new(),
    };
    match context::discover(global) {
        Err(e) => {
            let (line, column) = match &e {
                crate::config::ConfigError::At { line, column, .. } => (Some(*line), Some(*column)),
                _ => (None, None),
            };
            let fix = fix_for(&e, args.offline);
            // The configuration in question, even when it does not load: named in the JSON.
            report.config = crate::config::search_path(global.config.as_deref())
                .into_iter()
                .find(|p| std::fs::symlink_metadata(p).is_ok())
                .map(|p| p.display().to_string());
            report.findings.push(Finding {
                line,
                column,
                ..Finding::error(
                    "configuration".into(),
                    e.to_string(),
                    fix,
                    e.path().map(|p| p.display().to_string()),
                )
            })
        }
        Ok(None) => {
            let searched = crate::config::search_path(global.config.as_deref());
            // A folder where the file was looked for is not "no factory.toml": it is named.
            let folder = searched.iter().find(|p| p.is_dir());
            report.findings.push(match folder {
                Some(folder) => Finding::error(
                    "configuration".into(),
                    format!("{} is a folder, not a factory.toml file", folder.display()),
                    format!(
                        "pass --config {}/factory.toml if the factory is in it, or move the folder away and run `imagefactory init`",
                        folder.display()
                    ),
                    Some(folder.display().to_string()),
                ),
                None => Finding::error(
                    "configuration".into(),
                    format!(
                        "no factory.toml found (looked in {})",
                        searched
                            .iter()
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "run `imagefactory init` to make one, or pass --config FILE".into(),
                    None,
                ),
            })
        }
        Ok(Some(config)) => {
            report.config = Some(config.path.display().to_string());
            if args.offline {
                report.findings = check::offline(&config);
            } else {
                match estate(global, &config).await {
                    Ok((who, findings)) => {
                        report.online = true;
                        report.checked_as = who;
                        report.findings = findings;
                    }
                    // Azure could not be read at all: said as a finding (JSON readers see it
                    // too), and the exit says it failed rather than found problems.
                    Err(Unreached::Said(exit)) => return exit,
                    Err(Unreached::Failed(e)) => {
                        unreached = true;
                        report.findings.push(Finding::error(
                            "Azure".into(),
                            format!("the estate could not be read: {e}"),
                            "check the endpoint, the network and the sign-in (--auth), then check again; --offline checks the files alone".into(),
                            None,
                        ));
                    }
                }
            }
        }
    }
    report.ok = !check::has_errors(&report.findings);
    let written = if args.json {
        print_json(&report)
    } else {
        print(&report);
        Ok(())
    };
    if let Err(e) = written {
        report_error(&e.to_string());
        return Exit::Failure;
    }
    match (unreached, report.ok) {
        (true, _) => Exit::Failure,
        (false, true) => Exit::Ok,
        (false, false) => Exit::Usage,
    }
}

/// Why the estate was not checked.
enum Unreached {
    /// Already reported (a usage error: the credential, the endpoint).
    Said(Exit),
    /// Azure did not answer the reading.
    Failed(String),
}

/// Reads the estate and checks the configuration against it: who it was checked as, and the
/// findings.
async fn estate(
    global: &Global,
    config: &FactoryConfig,
) -> Result<(Option<String>, Vec<Finding>), Unreached> {
    let context = Context::connect(global, Some(config.clone())).map_err(Unreached::Said)?;
    let who = context.client.principal().await.map(|p| {
        let mode = context
            .client
            .auth_mode()
            .map(|m| format!(" ({})", m.as_str()))
            .unwrap_or_default();
        format!("{}{mode}", p.name)
    });
    let inventory = crate::factory::Inventory::refresh(&context.client, Some(config))
        .await
        .map_err(|e| Unreached::Failed(e.to_string()))?;
    let findings = check::check_estate(&context.client, config, &inventory).await;
    Ok((who, findings))
}

fn print(report: &Report) {
    for f in &report.findings {
        let level = match f.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        let message = format!("{}: {}", f.subject, f.problem);
        say!("{level}: {message}");
        say!("  fix: {}", f.fix);
        if in_pipeline() {
            let at = f.line.zip(f.column);
            // On stderr, printed as made: `annotate_file` made its message inert, and the
            // command around it is ours.
            eprintln!(
                "{}",
                annotate_file(
                    level,
                    &format!("{message} (fix: {})", f.fix),
                    f.file.as_deref(),
                    at
                )
            );
        }
    }
    let errors = report
        .findings
        .iter()
        .filter(|f| f.level == Level::Error)
        .count();
    let warnings = report.findings.len() - errors;
    let scope = match (&report.config, report.online, &report.checked_as) {
        (None, _, _) => String::new(),
        (Some(path), false, _) => format!("{path} (the files only: Azure was not checked)"),
        (Some(path), true, Some(who)) => format!("{path}, checked in Azure as {who}"),
        (Some(path), true, None) => format!("{path}, checked in Azure"),
    };
    if report.findings.is_empty() && !report.online {
        say!("ok: {scope}: the configuration loads");
    } else if report.findings.is_empty() {
        say!("ok: {scope}: nothing stops a build or a retirement");
    } else {
        say!(
            "{}: {}, {}{}{scope}",
            if errors > 0 { "not ready" } else { "ok" },
            crate::human::count(errors, "error"),
            crate::human::count(warnings, "warning"),
            if scope.is_empty() { "" } else { " in " },
        );
    }
}
