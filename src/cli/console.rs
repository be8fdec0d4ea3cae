//! `imagefactory` with no subcommand: the full-screen console.

use std::io::IsTerminal;

use super::Global;
use super::context::Context;
use super::exit::Exit;
use super::output::report_error;
use crate::tui::{self, Settings};

pub async fn run(global: &Global) -> Exit {
    let context = match Context::new(global) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    // Without a configuration, the console offers the setup (for this folder).
    let setup = context
        .config
        .is_none()
        .then(|| tui::Setup::Offered(std::path::PathBuf::from(".")));
    open(global, context, setup).await
}

/// `imagefactory init`: the console, starting in the setup, writing into `dir`.
pub async fn run_setup(global: &Global, dir: std::path::PathBuf) -> Exit {
    let context = match Context::connect(global, None) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    open(global, context, Some(tui::Setup::Started(dir))).await
}

async fn open(global: &Global, context: Context, setup: Option<tui::Setup>) -> Exit {
    let read_only = context.client.read_only();
    // Settings are checked whole before the screen is taken: a mistake is a usage error.
    let settings = match Settings::load(read_only) {
        Ok(s) => s,
        Err(e) => {
            report_error(&e.to_string());
            return Exit::Usage;
        }
    };
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        report_error(
            "the console needs a terminal; for scripts use the subcommands (`imagefactory labs`, `images`, `retire`; see --help)",
        );
        return Exit::Usage;
    }
    match tui::run(
        context.client,
        context.config,
        settings,
        read_only,
        global.demo,
        setup,
    )
    .await
    {
        // `init` that ended before writing says so, and does not let `init && build` go on.
        Ok(ending) if ending.init && !ending.wrote_config => {
            report_error("init ended before writing anything: no factory.toml was written");
            if ending.interrupted {
                Exit::Interrupted
            } else {
                Exit::Failure
            }
        }
        Ok(_) => Exit::Ok,
        Err(e @ (tui::ConsoleError::Settings(_) | tui::ConsoleError::Setting { .. })) => {
            report_error(&e.to_string());
            Exit::Usage
        }
        Err(e) => {
            report_error(&e.to_string());
            Exit::Failure
        }
    }
}
