//! Headless subcommands over the same `factory` calls the console uses.

#[macro_use]
mod output;
mod build;
mod check;
mod clean;
mod console;
mod context;
mod demo;
mod distribute;
mod exit;
mod images;
mod import_legacy;
mod init;
mod labs;
mod pin;
mod progress;
mod retire;
mod runs;
mod sim;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use demo::{Demo, remove_sample_factory};
pub use exit::Exit;
pub use output::stderr as log_writer;

use crate::arm::AuthMode;

/// What `--help` says of the environment and of the files read without being named.
const ENVIRONMENT: &str = "\
Environment:
  IMAGEFACTORY_CONFIG      the factory configuration; else ./factory.toml in the current folder
                           (taken up without a word: the console's header names the file in use),
                           then $XDG_CONFIG_HOME/imagefactory/factory.toml
  IMAGEFACTORY_ENDPOINT    the ARM endpoint (a configuration's [azure] endpoint otherwise); the
                           token is sent to this origin only, and to no other URL Azure names
  IMAGEFACTORY_AUTH        the credential (cli, managed-identity, ...)
  IMAGEFACTORY_ALLOW_PLAIN_HTTP
                           allow an http:// endpoint away from this machine
  IMAGEFACTORY_STATE_DIR   journals, run logs, audit.jsonl, console.log (folders 0700, files 0600);
                           else $XDG_STATE_HOME/imagefactory
  XDG_CACHE_HOME           the inventory cache (imagefactory/, private as the state)
  IMAGEFACTORY_LOG         the log filter (e.g. imagefactory=debug); secrets are redacted
  NO_COLOR                 no colour
  TF_BUILD, GITHUB_ACTIONS pipeline annotations; Azure text that would be a pipeline command is
                           broken so that it shows and does nothing";

/// imagefactory: build, distribute and retire golden images across Azure DevTest Labs.
#[derive(Debug, Parser)]
#[command(name = "imagefactory", version, about, long_about = None, after_help = ENVIRONMENT)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes.
#[derive(Debug, Args, Clone)]
pub struct Global {
    /// Run against the embedded Azure emulator, seeded with the sample world.
    #[arg(long, global = true)]
    pub demo: bool,
    /// The factory configuration (default: $IMAGEFACTORY_CONFIG, ./factory.toml, then $XDG_CONFIG_HOME/imagefactory/factory.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// ARM endpoint (default https://management.azure.com/; a sovereign cloud or the emulator).
    #[arg(long, global = true, env = "IMAGEFACTORY_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<url::Url>,
    /// Credential to use.
    #[arg(long, global = true, env = "IMAGEFACTORY_AUTH", value_enum)]
    pub auth: Option<AuthMode>,
    /// Refuse every change to Azure, in the client itself.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Allow an endpoint over plain HTTP on another machine (the token would travel in clear;
    /// loopback, as the emulator, is always allowed).
    #[arg(long, global = true, env = "IMAGEFACTORY_ALLOW_PLAIN_HTTP", value_parser = clap::builder::FalseyValueParser::new())]
    pub allow_plain_http: bool,
    /// ARM requests in flight at once.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: Option<u16>,
    /// Log each ARM request (secrets redacted) to stderr.
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// Show how far reading the inventory has got, on stderr (the default when stderr is a
    /// terminal; stdout is never touched).
    #[arg(long, global = true)]
    pub progress: bool,
}

impl Global {
    /// These options as a background process is given them.
    pub fn invocation(&self) -> crate::factory::builder::background::Invocation {
        crate::factory::builder::background::Invocation {
            config: self.config.clone(),
            endpoint: self.endpoint.clone(),
            auth: self.auth,
            concurrency: self.concurrency,
            read_only: self.read_only,
            allow_plain_http: self.allow_plain_http,
            verbose: self.verbose,
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every lab in every visible subscription.
    Labs(labs::LabsArgs),
    /// List custom images across labs.
    Images(images::ImagesArgs),
    /// Build images: create a VM per definition, apply artifacts, capture, distribute.
    Build(build::BuildArgs),
    /// Finish a run whose process died (even by kill -9), from its journal.
    Resume(build::ResumeArgs),
    /// The runs on this machine and those found in Azure through their tags.
    Runs(runs::RunsArgs),
    /// Follow a run live: stage per image, percent per copy, the failing step's words.
    Watch(runs::WatchArgs),
    /// Stop a run and remove what it made.
    Cancel(runs::CancelArgs),
    /// Back-fill labs from the catalogue: the retained versions of the paths each subscribes to (preview without --yes).
    Distribute(distribute::DistributeArgs),
    /// Remove what runs no longer running left behind (preview without --yes).
    Clean(clean::CleanArgs),
    /// Show the retention plan across every lab; with --yes, retire the images it names.
    Retire(retire::RetireArgs),
    /// Protect an image from retirement (a tag on the image).
    Pin(pin::PinArgs),
    /// Remove an image's pin.
    Unpin(pin::UnpinArgs),
    /// Serve the Azure emulator on loopback until killed.
    Sim(sim::SimArgs),
    /// Set up a factory: sign in, choose the labs and policy, write factory.toml and a first image definition.
    Init(init::InitArgs),
    /// Check the configuration and, in Azure, everything a build and a retirement need.
    Check(check::CheckArgs),
    /// Convert the original PowerShell factory's configuration to this layout.
    ImportLegacy(import_legacy::ImportArgs),
}

/// Runs a subcommand, or without one, the console.
pub async fn run(cli: Cli) -> Exit {
    match cli.command {
        Some(Command::Sim(args)) => sim::run(args).await,
        Some(Command::ImportLegacy(args)) => import_legacy::run(args),
        Some(Command::Check(args)) => check::run(&cli.global, args).await,
        Some(Command::Init(args)) => init::run(&cli.global, args).await,
        Some(Command::Labs(args)) => labs::run(&cli.global, args).await,
        Some(Command::Images(args)) => images::run(&cli.global, args).await,
        Some(Command::Build(args)) => build::run(&cli.global, args).await,
        Some(Command::Resume(args)) => build::resume(&cli.global, args).await,
        Some(Command::Runs(args)) => runs::runs(&cli.global, args).await,
        Some(Command::Watch(args)) => runs::watch(&cli.global, args).await,
        Some(Command::Cancel(args)) => runs::cancel(&cli.global, args).await,
        Some(Command::Distribute(args)) => distribute::run(&cli.global, args).await,
        Some(Command::Clean(args)) => clean::run(&cli.global, args).await,
        Some(Command::Retire(args)) => retire::run(&cli.global, args).await,
        Some(Command::Pin(args)) => pin::run_pin(&cli.global, args).await,
        Some(Command::Unpin(args)) => pin::run_unpin(&cli.global, args).await,
        None => console::run(&cli.global).await,
    }
}
