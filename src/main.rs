use std::process::ExitCode;

use clap::Parser;
use imagefactory::cli::{self, Cli, Command, Demo, Exit};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    init_logging(&cli);

    // The demo sets environment variables for the credential, so it must be prepared before
    // the runtime starts its threads.
    let demo = if cli.global.demo && !matches!(cli.command, Some(Command::Sim(_))) {
        match Demo::prepare(&mut cli.global) {
            Ok(d) => Some(d),
            Err(e) => {
                eprintln!("error: cannot start the embedded emulator: {e}");
                return ExitCode::from(Exit::Failure.code());
            }
        }
    } else {
        None
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(Exit::Failure.code());
        }
    };
    let exit = runtime.block_on(async move {
        let _emulator = match demo.map(Demo::start).transpose() {
            Ok(e) => e,
            Err(e) => {
                eprintln!("error: cannot start the embedded emulator: {e}");
                return Exit::Failure;
            }
        };
        cli::run(cli).await
    });
    // The work is done and written: do not wait for idle connections and timers to wind down.
    runtime.shutdown_background();
    cli::remove_sample_factory();
    ExitCode::from(exit.code())
}

/// Logs go to stderr for commands, and to `console.log` in the state directory for the console
/// (which owns the screen). `IMAGEFACTORY_LOG` sets the filter; `-v` is `debug`.
fn init_logging(cli: &Cli) {
    let filter = EnvFilter::try_from_env("IMAGEFACTORY_LOG").unwrap_or_else(|_| {
        EnvFilter::new(if cli.global.verbose {
            "imagefactory=debug"
        } else {
            "imagefactory=warn"
        })
    });
    // The console owns the screen, and so does `init` when it asks its questions: nothing may
    // write over it, so their logs go to a file.
    let owns_the_screen = match &cli.command {
        None => true,
        Some(Command::Init(args)) => !args.non_interactive,
        _ => false,
    };
    if owns_the_screen {
        let dir = imagefactory::factory::audit::state_dir();
        let file = imagefactory::files::private_dir(&dir)
            .and_then(|_| imagefactory::files::append_private(&dir.join("console.log")));
        if let Ok(file) = file {
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::sync::Mutex::new(file))
                .with_ansi(false)
                .init();
        }
        return;
    }
    // Through the inert writer: a log line's fields carry Azure's words (an error's message),
    // which must not act on the terminal or the pipeline. So no colour either.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(cli::log_writer)
        .with_ansi(false)
        .init();
}
