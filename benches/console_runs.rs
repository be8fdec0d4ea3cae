//! The console following runs: 20 ended runs of 50 images each in the journal directory and
//! one live run of 50 images distributing to 4 labs each.
//! - one frame of the run view and of the Builds view (median of 200, at 120x40 and 200x50);
//! - the fold of every journal as the console reads them at start;
//! - CPU of the real console in tmux while it follows the live run, whose journal gains a
//!   copy's progress 4 times a second (needs tmux; BENCH_SKIP_LIVE=1 skips it).
//!
//! `cargo bench --bench console_runs`.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use imagefactory::factory::builder::RunId;
use imagefactory::factory::builder::background::{Liveness, host_name};
use imagefactory::factory::builder::journal::{
    Event, Line, PlannedImage, RunOutcome, Stage, TargetOutcome,
};
use imagefactory::tui::keymap::KeyMap;
use imagefactory::tui::model::{Identity, JournalRead, Model};
use imagefactory::tui::msg::Msg;
use imagefactory::tui::theme::Theme;
use imagefactory::tui::update::update;
use imagefactory::tui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

mod tmux_console;

const IMAGES: usize = 50;
const LABS: usize = 4;
const FACTORY: &str =
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DevTestLab/labs/ImageFactory";

fn lab(l: usize) -> String {
    format!("/subscriptions/s/resourceGroups/rg/providers/Microsoft.DevTestLab/labs/Lab-{l:02}")
}

fn at(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// A run's journal: every image through its stages to distribution; `ended` runs finish.
fn journal(run: &RunId, start: time::OffsetDateTime, pid: u32, ended: bool) -> Vec<Line> {
    let image = |i: usize| format!("image-{i:03}-{}", run.as_str());
    let mut lines = vec![Line {
        at: at(start),
        event: Event::Started {
            run: run.clone(),
            factory: FACTORY.into(),
            location: "westeurope".into(),
            actor: "alice@contoso.com".into(),
            host: host_name(),
            pid,
            process: None,
            resumed: false,
            images: (0..IMAGES)
                .map(|i| PlannedImage {
                    path: format!("path/{i:03}"),
                    vm_name: format!("vm{i:03}"),
                    image_name: image(i),
                    definition_hash: "0123456789abcdef".into(),
                    targets: (0..LABS).map(lab).collect(),
                    base_version: None,
                    generation: None,
                    vhd: None,
                })
                .collect(),
            left_out: Vec::new(),
        },
    }];
    let mut t = start;
    for stage in [
        Stage::CreatingVm,
        Stage::ApplyingArtifacts,
        Stage::Generalizing,
        Stage::Deallocated,
        Stage::Capturing,
        Stage::Distributing,
    ] {
        t += time::Duration::minutes(3);
        for i in 0..IMAGES {
            lines.push(Line {
                at: at(t),
                event: Event::Stage {
                    image: image(i),
                    stage,
                },
            });
        }
    }
    for i in 0..IMAGES {
        for l in 0..LABS {
            let event = if ended {
                Event::Target {
                    image: image(i),
                    lab: lab(l),
                    outcome: TargetOutcome::Done {
                        image_id: format!("{}/customimages/{}", lab(l), image(i)),
                    },
                }
            } else {
                Event::Copy {
                    image: image(i),
                    lab: Some(lab(l)),
                    percent: 40,
                }
            };
            lines.push(Line { at: at(t), event });
        }
    }
    if ended {
        for i in 0..IMAGES {
            lines.push(Line {
                at: at(t),
                event: Event::Stage {
                    image: image(i),
                    stage: Stage::Done,
                },
            });
        }
        lines.push(Line {
            at: at(t),
            event: Event::Finished {
                outcome: RunOutcome::Done,
            },
        });
    }
    lines
}

fn write(dir: &Path, run: &RunId, lines: &[Line]) -> u64 {
    let mut text = String::new();
    for l in lines {
        text.push_str(&serde_json::to_string(l).unwrap());
        text.push('\n');
    }
    std::fs::write(dir.join(format!("{run}.jsonl")), &text).unwrap();
    text.len() as u64
}

fn median(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    (
        v[v.len() / 2].as_secs_f64() * 1000.0,
        v[v.len() - 1].as_secs_f64() * 1000.0,
    )
}

fn main() {
    let now = time::OffsetDateTime::now_utc();
    let state = tempfile::tempdir().unwrap();
    let runs_dir = state.path().join("runs");
    std::fs::create_dir_all(&runs_dir).unwrap();
    let mut reads = Vec::new();
    for r in 0..20u16 {
        let start = now - time::Duration::days(i64::from(20 - r));
        let run = RunId::new(start, r);
        let lines = journal(&run, start, 1, true);
        let to = write(&runs_dir, &run, &lines);
        reads.push((run, lines, to, Liveness::Finished));
    }
    let live = RunId::new(now - time::Duration::minutes(30), 999);
    let live_lines = journal(
        &live,
        now - time::Duration::minutes(30),
        std::process::id(),
        false,
    );
    let to = write(&runs_dir, &live, &live_lines);
    reads.push((live.clone(), live_lines, to, Liveness::Running));

    let identity = Identity {
        who: "bench".into(),
        user: "tester".into(),
        auth: "managed-identity".into(),
        endpoint: "http://127.0.0.1:1/".into(),
        emulator: true,
        ..Identity::default()
    };
    let keymap = KeyMap::new(&HashMap::new(), false).unwrap();
    let theme = Theme::built_in("dark").unwrap();
    let mut model = Model::new(identity, None, keymap, false, now);
    let started = Instant::now();
    for (run, lines, to, liveness) in reads {
        update(
            &mut model,
            Msg::Journal(JournalRead {
                run: run.to_string(),
                from: 0,
                to,
                lines,
                liveness,
            }),
        );
    }
    let fold = started.elapsed();
    let key = |c: KeyCode| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    update(&mut model, key(KeyCode::Char('6')));
    let mut results = Vec::new();
    for (w, h) in [(120u16, 40u16), (200, 50)] {
        update(&mut model, Msg::Resize(w, h));
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        let mut builds = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            terminal.draw(|f| view(&model, &theme, f)).unwrap();
            builds.push(t.elapsed());
        }
        update(&mut model, key(KeyCode::Enter));
        let mut run = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            terminal.draw(|f| view(&model, &theme, f)).unwrap();
            run.push(t.elapsed());
        }
        update(&mut model, key(KeyCode::Esc));
        results.push((w, h, median(builds), median(run)));
    }
    println!("21 runs x {IMAGES} images x {LABS} labs; one live");
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| fold of the 21 journals at start ({} lines) | {:.1} ms |",
        21 * (1 + 6 * IMAGES + LABS * IMAGES + IMAGES) + 20,
        fold.as_secs_f64() * 1000.0
    );
    for (w, h, (bm, bx), (rm, rx)) in results {
        println!(
            "| one frame of the run view at {w}x{h} (median of 200) | {rm:.2} ms (slowest {rx:.2} ms; target under 2 ms) |"
        );
        println!(
            "| one frame of the Builds view at {w}x{h} (median of 200) | {bm:.2} ms (slowest {bx:.2} ms) |"
        );
    }
    if std::env::var("BENCH_SKIP_LIVE").is_err() {
        match live_cpu(state.path(), &runs_dir.join(format!("{live}.jsonl")), &live) {
            Ok((cpu, window)) => println!(
                "| CPU of the console following the live run for {window} s (run view open) | {cpu:.3} s = {:.2}% of a core (target under 1%) |",
                cpu / window as f64 * 100.0
            ),
            Err(e) => println!("| CPU while following a live run | not measured: {e} |"),
        }
    }
}

/// The real console in tmux, on the run view of the live run, while this process appends a
/// copy's progress to its journal 4 times a second.
fn live_cpu(state: &Path, journal: &Path, run: &RunId) -> Result<(f64, u64), String> {
    let window: u64 = std::env::var("BENCH_LIVE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let session = tmux_console::Session::start("runs", &[], state, 120, 40)?;
    session.keys(&["6", "Enter"]);
    std::thread::sleep(Duration::from_secs(1));
    if !session.screen().contains(run.as_str()) {
        return Err(format!("the run view did not open:\n{}", session.screen()));
    }
    let before = session.cpu_seconds()?;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(journal)
        .map_err(|e| e.to_string())?;
    let end = Instant::now() + Duration::from_secs(window);
    let mut percent = 40u8;
    while Instant::now() < end {
        percent = if percent >= 99 { 40 } else { percent + 1 };
        let line = Line {
            at: at(time::OffsetDateTime::now_utc()),
            event: Event::Copy {
                image: format!("image-007-{}", run.as_str()),
                lab: Some(lab(1)),
                percent,
            },
        };
        writeln!(file, "{}", serde_json::to_string(&line).unwrap()).map_err(|e| e.to_string())?;
        std::thread::sleep(Duration::from_millis(250));
    }
    let shown = session.screen();
    if !shown.contains('%') {
        return Err(format!("the run view shows no copy:\n{shown}"));
    }
    Ok((session.cpu_seconds()? - before, window))
}
