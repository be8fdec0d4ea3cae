//! Console benchmark with a generated 12,000-image fleet loaded:
//! - one frame of the images view at 200x50;
//! - key to frame while typing a filter (update + the frame it causes);
//! - start to first frame with a cached inventory (read the cache, build the model, draw);
//! - CPU time of the real console, idle for a minute, in a terminal under tmux (needs tmux;
//!   BENCH_SKIP_IDLE=1 skips it).
//!
//! `cargo bench --bench console`.

mod fleet;
mod tmux_console;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use imagefactory::tui::cache::{read_cache, write_cache};
use imagefactory::tui::keymap::KeyMap;
use imagefactory::tui::model::{Identity, Model};
use imagefactory::tui::msg::Msg;
use imagefactory::tui::theme::Theme;
use imagefactory::tui::update::update;
use imagefactory::tui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[v.len() - 1])
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let (spec, world) = fleet::world(now);
    let config = fleet::config(&world);
    let inventory = fleet::inventory(&runtime, world, &config);
    let images: usize = inventory.labs().map(|(_, l)| l.images.len()).sum();
    let theme = Theme::built_in("dark").unwrap();
    let keymap = KeyMap::new(&HashMap::new(), false).unwrap();
    let identity = Identity {
        who: "bench".into(),
        user: "tester".into(),
        auth: "managed-identity".into(),
        endpoint: "http://127.0.0.1:1/".into(),
        emulator: true,
        ..Identity::default()
    };
    let config = Arc::new(config);

    // Start to first frame, from the cache file.
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("inventory.json");
    write_cache(&cache, &inventory);
    let mut starts = Vec::new();
    for _ in 0..10 {
        let started = Instant::now();
        let cached = read_cache(&cache).expect("cache");
        let mut model = Model::new(
            identity.clone(),
            Some(config.clone()),
            keymap.clone(),
            false,
            now,
        );
        update(&mut model, Msg::Resize(200, 50));
        update(&mut model, Msg::Cached(Box::new(cached)));
        let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
        terminal.draw(|f| view(&model, &theme, f)).unwrap();
        starts.push(started.elapsed());
    }

    // One frame of the images view.
    let mut model = Model::new(
        identity.clone(),
        Some(config.clone()),
        keymap.clone(),
        false,
        now,
    );
    update(&mut model, Msg::Resize(200, 50));
    update(&mut model, Msg::Cached(Box::new(inventory)));
    update(
        &mut model,
        Msg::Key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::NONE)),
    );
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let mut frames = Vec::new();
    for _ in 0..100 {
        let started = Instant::now();
        terminal.draw(|f| view(&model, &theme, f)).unwrap();
        frames.push(started.elapsed());
    }

    // Typing a filter, one key at a time: the update and the frame it causes.
    let mut keys = Vec::new();
    for round in 0..5 {
        update(
            &mut model,
            Msg::Key(KeyEvent::new(KeyCode::Char('/'), KeyModifiers::NONE)),
        );
        for c in "win2022-vs".chars() {
            let started = Instant::now();
            update(
                &mut model,
                Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
            );
            terminal.draw(|f| view(&model, &theme, f)).unwrap();
            keys.push(started.elapsed());
        }
        let _ = round;
        update(
            &mut model,
            Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        );
        update(
            &mut model,
            Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
        );
    }

    let (frame_med, frame_max) = median(frames);
    let (key_med, key_max) = median(keys);
    let (start_med, start_max) = median(starts);
    println!("fleet: {spec} = {images} images");
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| one frame of the images view at 200x50, median of 100 | {:.2} ms (slowest {:.2} ms; target under 2 ms) |",
        ms(frame_med),
        ms(frame_max)
    );
    println!(
        "| key to frame while typing a filter, median of 50 keys | {:.2} ms (slowest {:.2} ms; target under 16 ms) |",
        ms(key_med),
        ms(key_max)
    );
    println!(
        "| start to first frame with the cached inventory, median of 10 | {:.1} ms (slowest {:.1} ms; target under 100 ms) |",
        ms(start_med),
        ms(start_max)
    );
    if std::env::var("BENCH_SKIP_IDLE").is_err() {
        match idle_cpu(&spec) {
            Ok((cpu, window)) => println!(
                "| CPU time of the idle console over {window} s (after loading) | {:.3} s |",
                cpu
            ),
            Err(e) => println!("| CPU time of the idle console | not measured: {e} |"),
        }
    }
}

/// Runs the real console in tmux against `imagefactory sim` serving the fleet, waits for it to
/// load, then reads its CPU time from /proc before and after a minute of idleness.
fn idle_cpu(spec: &str) -> Result<(f64, u64), String> {
    let window: u64 = std::env::var("BENCH_IDLE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let state = tempfile::tempdir().map_err(|e| e.to_string())?;
    let session = tmux_console::Session::start(
        "idle",
        &["--world", spec, "--page-size", "100"],
        state.path(),
        200,
        50,
    )?;
    let before = session.cpu_seconds()?;
    std::thread::sleep(Duration::from_secs(window));
    Ok((session.cpu_seconds()? - before, window))
}
