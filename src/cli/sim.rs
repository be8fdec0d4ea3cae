//! `imagefactory sim`: the emulator as a server for other processes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::exit::Exit;
use super::output::report_error;
use crate::sim::{self, FaultPlan, SimOptions};

/// Options of `sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to listen on (loopback; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,
    /// The world to serve: a TOML world file, or generate:SUBSxLABSxIMAGES (default: the sample world).
    #[arg(long, value_name = "FILE|generate:SxLxI")]
    pub world: Option<String>,
    /// Time scale of long operations (10 = ten times faster than Azure).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// How long every request takes to be answered, in milliseconds.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub latency: u64,
    /// Random faults, for example 429=5%,500=1%,503=1%,drop=1%,burst=3,retry-after=1.
    #[arg(long, default_value = "")]
    pub faults: String,
    /// Seed of the random faults and of generated worlds.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Items per page of every list.
    #[arg(long, default_value_t = 10)]
    pub page_size: usize,
}

pub async fn run(args: SimArgs) -> Exit {
    if !args.addr.ip().is_loopback() {
        report_error(&format!(
            "--addr {}: the emulator only listens on loopback (127.0.0.0/8 or ::1)",
            args.addr
        ));
        return Exit::Usage;
    }
    if !(args.speed > 0.0 && args.speed.is_finite()) {
        report_error(&format!(
            "--speed {}: expected a number above 0",
            args.speed
        ));
        return Exit::Usage;
    }
    let faults = match FaultPlan::parse(&args.faults) {
        Ok(f) => f,
        Err(e) => {
            report_error(&format!("--faults: {e}"));
            return Exit::Usage;
        }
    };
    let now = time::OffsetDateTime::now_utc();
    let world = match args.world.as_deref() {
        None => sim::world::parse(sim::DEMO_WORLD, now).map_err(|e| format!("sample world: {e}")),
        Some(spec) if spec.starts_with("generate:") => {
            sim::world::generate(spec, args.seed, now).map_err(|e| e.to_string())
        }
        Some(file) => sim::world::load(&PathBuf::from(file), now).map_err(|e| e.to_string()),
    };
    let world = match world {
        Ok(w) => w,
        Err(e) => {
            report_error(&e);
            return Exit::Usage;
        }
    };
    let options = SimOptions {
        speed: args.speed,
        latency: Duration::from_millis(args.latency),
        page_size: args.page_size.max(1),
        faults,
        seed: args.seed,
        ..SimOptions::default()
    };
    let listener = match sim::bind(args.addr) {
        Ok(l) => l,
        Err(e) => {
            report_error(&format!("cannot listen on {}: {e}", args.addr));
            return Exit::Failure;
        }
    };
    let (subs, labs, images) = (
        world.subscriptions.len(),
        world.labs().count(),
        world.image_count(),
    );
    let handle = match sim::serve(listener, world, options) {
        Ok(h) => h,
        Err(e) => {
            report_error(&format!("cannot start the emulator: {e}"));
            return Exit::Failure;
        }
    };
    for (name, value) in handle.exports() {
        say!("export {name}={value}");
    }
    tell!(
        "emulator: {subs} subscriptions, {labs} labs, {images} custom images at {}; Ctrl-C stops it",
        handle.endpoint
    );
    let _ = tokio::signal::ctrl_c().await;
    Exit::Ok
}
