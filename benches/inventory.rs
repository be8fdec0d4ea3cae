//! Inventory benchmark: the release binary (`imagefactory images --json`) against the emulator
//! serving a generated fleet with a fixed latency per request. Reports wall time against the
//! lower bound that latency, request count and concurrency set, the speed-up over
//! concurrency 1, and the client's peak memory (measured on the child process alone).
//!
//! `cargo bench --bench inventory` (defaults: generate:20x10x60, 30 ms, page size 10).
//! Environment: BENCH_WORLD, BENCH_LATENCY_MS, BENCH_PAGE_SIZE, BENCH_SKIP_SEQUENTIAL=1.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use imagefactory::sim::{self, SimOptions};

const BIN: &str = env!("CARGO_BIN_EXE_imagefactory");

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Largest resident set of any finished child, in bytes.
fn children_max_rss() -> u64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss as u64 * 1024
}

struct Run {
    wall: Duration,
    requests: u64,
    images: usize,
}

fn run(handle: &sim::SimHandle, concurrency: usize) -> Run {
    let before = handle.request_count();
    let started = Instant::now();
    let output = Command::new(BIN)
        .args([
            "images",
            "--json",
            "--concurrency",
            &concurrency.to_string(),
        ])
        .envs(handle.exports())
        .env_remove("IMAGEFACTORY_CONFIG")
        .current_dir(std::env::temp_dir())
        .stderr(Stdio::inherit())
        .output()
        .expect("the binary runs");
    let wall = started.elapsed();
    assert!(
        output.status.success(),
        "imagefactory images failed: {:?}",
        output.status
    );
    let images: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).expect("JSON");
    Run {
        wall,
        requests: handle.request_count() - before,
        images: images.len(),
    }
}

fn main() {
    let world_spec = std::env::var("BENCH_WORLD").unwrap_or_else(|_| "generate:20x10x60".into());
    let latency = Duration::from_millis(env_or("BENCH_LATENCY_MS", 30));
    let page_size: usize = env_or("BENCH_PAGE_SIZE", 10);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let world = sim::world::generate(&world_spec, 1, now).expect("world");
    let (subs, labs, images) = (
        world.subscriptions.len(),
        world.labs().count(),
        world.image_count(),
    );
    let max_vms = world.labs().map(|(_, l)| l.vms.len()).max().unwrap_or(0);
    let max_images = world.labs().map(|(_, l)| l.images.len()).max().unwrap_or(0);
    let labs_per_sub = world
        .subscriptions
        .iter()
        .map(|s| s.labs.len())
        .max()
        .unwrap_or(0);
    let _guard = runtime.enter();
    let handle = runtime
        .block_on(sim::start(
            world,
            SimOptions {
                latency,
                page_size,
                ..SimOptions::default()
            },
        ))
        .expect("emulator");

    println!(
        "fleet: {world_spec} = {subs} subscriptions, {labs} labs, {images} images; latency {} ms, page size {page_size}",
        latency.as_millis()
    );
    // Requests that must follow one another: subscriptions page, labs pages, then the longest
    // chain of pages in one lab (images, VMs and formulas are listed side by side).
    let depth = 1
        + labs_per_sub.div_ceil(page_size).max(1)
        + max_images
            .div_ceil(page_size)
            .max(max_vms.div_ceil(page_size))
            .max(1);
    let concurrency = 16;
    let fast = run(&handle, concurrency);
    assert_eq!(fast.images, images, "every image listed");
    let rss = children_max_rss();
    let throughput_bound = latency.mul_f64(fast.requests as f64 / concurrency as f64);
    let chain_bound = latency * depth as u32;
    let bound = throughput_bound.max(chain_bound);
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!("| requests (one inventory) | {} |", fast.requests);
    println!(
        "| lower bound = max(requests x latency / concurrency, chain depth x latency) = max({} x {} ms / {concurrency}, {depth} x {} ms) | {:.2} s |",
        fast.requests,
        latency.as_millis(),
        latency.as_millis(),
        bound.as_secs_f64()
    );
    println!(
        "| wall time, concurrency {concurrency} | {:.2} s |",
        fast.wall.as_secs_f64()
    );
    println!(
        "| wall / lower bound | {:.2}x (target within 1.3x) |",
        fast.wall.as_secs_f64() / bound.as_secs_f64()
    );
    println!(
        "| peak memory of the client process ({images} images) | {:.1} MB (target under 50 MB) |",
        rss as f64 / 1e6
    );
    if std::env::var("BENCH_SKIP_SEQUENTIAL").is_err() {
        let slow = run(&handle, 1);
        println!(
            "| wall time, concurrency 1 (a sequential script) | {:.2} s |",
            slow.wall.as_secs_f64()
        );
        println!(
            "| speed-up of concurrency {concurrency} over 1 | {:.1}x |",
            slow.wall.as_secs_f64() / fast.wall.as_secs_f64()
        );
    }
}
