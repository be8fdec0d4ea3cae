//! Retention planning benchmark: the pure planner over a generated fleet's inventory
//! (default generate:20x10x60 = 12,000 images), every lab managed, every path defined.
//!
//! `cargo bench --bench retention` (BENCH_WORLD and BENCH_RUNS to change it).

mod fleet;

use std::time::{Duration, Instant};

use imagefactory::factory::{RetentionState, retention};

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(50);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let (spec, world) = fleet::world(now);
    let config = fleet::config(&world);
    let labs = config.labs.len() + 1;
    let inventory = fleet::inventory(&runtime, world, &config);
    let images: usize = inventory.labs().map(|(_, l)| l.images.len()).sum();
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut retire = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let plan = retention::plan(&inventory, Some(&config), now);
        times.push(started.elapsed());
        retire = plan
            .counts()
            .get(&RetentionState::Retire)
            .copied()
            .unwrap_or(0);
        std::hint::black_box(plan);
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("fleet: {spec} = {images} images in {labs} labs; {retire} due for retirement");
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| planning time, median of {runs} | {:.2} ms (target under 50 ms) |",
        ms(times[runs / 2])
    );
    println!(
        "| planning time, slowest of {runs} | {:.2} ms |",
        ms(times[runs - 1])
    );
}
