//! Inventory benchmark: the release binary (`imagefactory images --json`) against the emulator
//! serving a generated fleet with a fixed latency per request. Reports wall time against the
//! lower bound that latency, request count and concurrency set, the same inventory read by a
//! plain Python script beside it (when `python3` is here), the speed-up over concurrency 1,
//! and the client's peak memory (measured on the child process alone).
//!
//! `cargo bench --bench inventory` (defaults: generate:20x10x60, 30 ms, page size 10, 5 runs).
//! Environment: BENCH_WORLD, BENCH_LATENCY_MS, BENCH_PAGE_SIZE, BENCH_RUNS,
//! BENCH_SKIP_SEQUENTIAL=1, BENCH_CLIENT=PATH (another build of the binary, for an A/B).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use imagefactory::sim::{self, SimOptions};

/// The client measured: this build's, or BENCH_CLIENT (another build, for an A/B against the
/// same emulator).
fn client_binary() -> String {
    std::env::var("BENCH_CLIENT")
        .ok()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_imagefactory").into())
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Run {
    wall: Duration,
    requests: u64,
    images: usize,
    /// The child's largest resident set, in bytes.
    peak_memory: u64,
}

/// The largest resident set `pid` has had so far (`VmHWM`), in bytes. Read from the child's
/// own memory: the rusage of a spawned child also counts the peak of the process that spawned
/// it (they share memory until exec), here a bench holding the emulator's world.
fn high_water(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn run(handle: &sim::SimHandle, concurrency: usize) -> Run {
    let before = handle.request_count();
    let started = Instant::now();
    let mut child = Command::new(client_binary())
        .args([
            "images",
            "--json",
            "--concurrency",
            &concurrency.to_string(),
        ])
        .envs(handle.exports())
        .env_remove("IMAGEFACTORY_CONFIG")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary runs");
    // The JSON comes as labs are read, the last of it just before the end: the high-water
    // mark read after each chunk is the peak (it only grows, and is gone once the child is).
    let mut pipe = child.stdout.take().expect("piped");
    let mut stdout = Vec::new();
    let mut chunk = vec![0; 1 << 16];
    let mut peak_memory = 0;
    loop {
        let n = std::io::Read::read(&mut pipe, &mut chunk).expect("the output is read");
        if n == 0 {
            break;
        }
        stdout.extend_from_slice(&chunk[..n]);
        peak_memory = peak_memory.max(high_water(child.id()).unwrap_or(0));
    }
    let status = child.wait().expect("the binary ends");
    let wall = started.elapsed();
    assert!(status.success(), "imagefactory images failed: {status}");
    // Counted, not kept.
    let images: Vec<serde::de::IgnoredAny> = serde_json::from_slice(&stdout).expect("JSON");
    Run {
        wall,
        requests: handle.request_count() - before,
        images: images.len(),
        peak_memory,
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
    let runs: usize = env_or("BENCH_RUNS", 5).max(1);
    let mut fast: Vec<Run> = (0..runs).map(|_| run(&handle, concurrency)).collect();
    for r in &fast {
        assert_eq!(r.images, images, "every image listed");
    }
    let rss = fast.iter().map(|r| r.peak_memory).max().unwrap_or(0);
    fast.sort_by_key(|r| r.wall);
    let median = &fast[runs / 2];
    let requests = median.requests;
    let throughput_bound = latency.mul_f64(requests as f64 / concurrency as f64);
    let chain_bound = latency * depth as u32;
    let bound = throughput_bound.max(chain_bound);
    let ratio = |wall: Duration| wall.as_secs_f64() / bound.as_secs_f64();
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!("| requests (one inventory) | {requests} |");
    println!(
        "| lower bound = max(requests x latency / concurrency, chain depth x latency) = max({requests} x {} ms / {concurrency}, {depth} x {} ms) | {:.3} s |",
        latency.as_millis(),
        latency.as_millis(),
        bound.as_secs_f64()
    );
    println!(
        "| wall time, concurrency {concurrency}, median of {runs} (fastest, slowest) | {:.3} s ({:.3}, {:.3}) |",
        median.wall.as_secs_f64(),
        fast[0].wall.as_secs_f64(),
        fast[runs - 1].wall.as_secs_f64()
    );
    println!(
        "| wall / lower bound | {:.3}x ({:.3}x to {:.3}x; target within 1.1x) |",
        ratio(median.wall),
        ratio(fast[0].wall),
        ratio(fast[runs - 1].wall)
    );
    println!(
        "| peak memory of the client process ({images} images) | {:.1} MB (target under 50 MB) |",
        rss as f64 / 1e6
    );
    if let Some(mut script) = (0..runs)
        .map(|_| run_script(&handle, images))
        .collect::<Option<Vec<Duration>>>()
    {
        script.sort();
        let median = script[runs / 2];
        println!(
            "| the same inventory by a plain Python script with {concurrency} threads (benches/script/inventory.py), median of {runs} | {:.3} s = {:.3}x the bound ({:.3}x to {:.3}x) |",
            median.as_secs_f64(),
            ratio(median),
            ratio(script[0]),
            ratio(script[runs - 1])
        );
    }
    if std::env::var("BENCH_SKIP_SEQUENTIAL").is_err() {
        let slow = run(&handle, 1);
        println!(
            "| wall time, concurrency 1 (a sequential script) | {:.2} s |",
            slow.wall.as_secs_f64()
        );
        println!(
            "| speed-up of concurrency {concurrency} over 1 | {:.1}x |",
            slow.wall.as_secs_f64() / median.wall.as_secs_f64()
        );
    }
}

/// The time `benches/script/inventory.py` takes for the same inventory, or `None` when there
/// is no `python3` here.
fn run_script(handle: &sim::SimHandle, images: usize) -> Option<Duration> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/script/inventory.py");
    let started = Instant::now();
    let output = Command::new("python3")
        .arg(script)
        .envs(handle.exports())
        .stderr(Stdio::inherit())
        .output()
        .ok()?;
    let wall = started.elapsed();
    assert!(
        output.status.success(),
        "the script failed: {:?}",
        output.status
    );
    let listed: Vec<serde::de::IgnoredAny> = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(listed.len(), images, "the script read every image");
    Some(wall)
}
