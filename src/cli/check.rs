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

pub async fn run(global: &Global, args: CheckArgs) -> Exit {
    let mut report = Report {
        ok: false,
        config: None,
        checked_as: None,
        online: false,
        findings: Vec::new(),
    };
    match context::discover(global) {
        Err(e) => report.findings.push(Finding {
            level: Level::Error,
            subject: "configuration".into(),
            problem: e.to_string(),
            fix: "fix the file at the place named; every other check waits for it".into(),
            file: e.path().map(|p| p.display().to_string()),
        }),
        Ok(None) => report.findings.push(Finding {
            level: Level::Error,
            subject: "configuration".into(),
            problem: format!(
                "no factory.toml found (looked in {})",
                crate::config::search_path(global.config.as_deref())
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            fix: "run `imagefactory init` to make one, or pass --config FILE".into(),
            file: None,
        }),
        Ok(Some(config)) => {
            report.config = Some(config.path.display().to_string());
            if !args.offline {
                match estate(global, &config).await {
                    Ok((who, findings)) => {
                        report.online = true;
                        report.checked_as = who;
                        report.findings = findings;
                    }
                    Err(exit) => return exit,
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
    if report.ok { Exit::Ok } else { Exit::Usage }
}

/// Reads the estate and checks the configuration against it: who it was checked as, and the
/// findings. A failure to reach Azure at all is reported and ends the command.
async fn estate(
    global: &Global,
    config: &FactoryConfig,
) -> Result<(Option<String>, Vec<Finding>), Exit> {
    let context = Context::new(global)?;
    let who = context.client.principal().await.map(|p| {
        let mode = context
            .client
            .auth_mode()
            .map(|m| format!(" ({})", m.as_str()))
            .unwrap_or_default();
        format!("{}{mode}", p.name)
    });
    let inventory = context::read_inventory(&context).await?;
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
        if in_pipeline() {
            println!(
                "{}",
                annotate_file(
                    level,
                    &format!("{message}. Fix: {}", f.fix),
                    f.file.as_deref()
                )
            );
        } else {
            println!("{level}: {message}");
            println!("  fix: {}", f.fix);
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
        (Some(path), false, _) => format!("{path} (files only: Azure not reached)"),
        (Some(path), true, Some(who)) => format!("{path}, checked in Azure as {who}"),
        (Some(path), true, None) => format!("{path}, checked in Azure"),
    };
    if report.findings.is_empty() {
        println!("ok: {scope}: nothing stops a build or a retirement");
    } else {
        println!(
            "{}: {errors} {}, {warnings} {}{}{scope}",
            if errors > 0 { "not ready" } else { "ok" },
            plural(errors, "error"),
            plural(warnings, "warning"),
            if scope.is_empty() { "" } else { " in " },
        );
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}
