//! The console's first start on a machine (no cache) against a slow estate: time from start
//! to the first lab row on screen, and to the whole inventory, in a real terminal (tmux).
//! `imagefactory sim --world generate:20x10x60 --latency 150 --page-size 100`, 120x40.
//!
//! `cargo bench --bench console_start` (needs tmux). `BENCH_BASELINE=/path/to/imagefactory`
//! measures another build of the console too (the one before progressive loading), in the
//! same run, for a ratio.

use std::time::Duration;

mod tmux_console;

const SIM: &[&str] = &[
    "--world",
    "generate:20x10x60",
    "--latency",
    "150",
    "--page-size",
    "100",
];

/// (first lab row, whole inventory) for `bin`, median of `runs`.
fn measure(bin: &str, runs: usize) -> Result<(Duration, Duration), String> {
    let mut first = Vec::new();
    let mut whole = Vec::new();
    for _ in 0..runs {
        let state = tempfile::tempdir().map_err(|e| e.to_string())?;
        let session = tmux_console::Session::launch("start", SIM, state.path(), 120, 40, bin)?;
        let row = session.wait_for("lab-00-00", Duration::from_secs(120))?;
        let rest = session.wait_for("updated", Duration::from_secs(120))?;
        first.push(row);
        whole.push(row + rest);
    }
    first.sort();
    whole.sort();
    Ok((first[runs / 2], whole[runs / 2]))
}

fn main() {
    let runs = 5;
    let this = env!("CARGO_BIN_EXE_imagefactory");
    println!(
        "20 x 10 x 60 (12,000 images), 150 ms per request, no cache, 120x40 in tmux; median of {runs}"
    );
    println!("| console | first lab row | whole inventory |");
    println!("|---|---|---|");
    let mut rows = vec![("this build".to_string(), this.to_string())];
    if let Ok(baseline) = std::env::var("BENCH_BASELINE") {
        rows.push(("baseline".to_string(), baseline));
    }
    for (name, bin) in rows {
        match measure(&bin, runs) {
            Ok((first, whole)) => println!(
                "| {name} | {:.2} s | {:.2} s |",
                first.as_secs_f64(),
                whole.as_secs_f64()
            ),
            Err(e) => println!("| {name} | not measured: {e} | |"),
        }
    }
}
