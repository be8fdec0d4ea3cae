//! Safe on a shared jump box and in pipelines: what the binary prints of a hostile estate is
//! inert, what it keeps on disk is private and never written through a symlink, and
//! read-only mode never stops another process's run.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use common::{IMAGING, run_bin_in};

/// An OSC 52 clipboard write, a screen clear, a C1 CSI, then pipeline commands on lines of
/// their own.
const HOSTILE: &str = "team\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}\u{1b}[2J\u{9b}31m\n##vso[task.setvariable variable=owned]yes\r\n::warning::forged by Azure text";

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn run(
    sim: &imagefactory::sim::SimHandle,
    home: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let exports = sim.exports();
    let mut all: Vec<(&str, &str)> = exports.iter().map(|(n, v)| (*n, v.as_str())).collect();
    all.extend_from_slice(env);
    run_bin_in(home, args, &all)
}

/// Every line of `text` that a terminal would act on, or (`pipeline`) a pipeline would obey:
/// Azure DevOps' agent looks for `##vso[` anywhere in a line, GitHub's runner for `::` first.
fn live_lines(text: &str, pipeline: bool) -> Vec<String> {
    text.lines()
        .filter(|l| {
            l.chars().any(|c| c.is_control() && c != '\t')
                || (pipeline
                    && (l.contains("##vso[task.setvariable")
                        || l.trim_start().starts_with("::warning::forged")))
        })
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn what_the_commands_print_of_a_hostile_estate_is_inert() {
    let sim = common::start(common::demo_world(), common::fast()).await;
    common::change_lab(&sim, IMAGING, "rg-dev-we", "Dev-WestEurope", |lab| {
        let image = &mut lab.images[0];
        image.properties.description = Some(HOSTILE.into());
        image.properties.author = Some(HOSTILE.into());
        image
            .tags
            .get_or_insert_with(Default::default)
            .insert("ImagePath".into(), HOSTILE.into());
    });
    let home = tempfile::tempdir().unwrap();
    for pipeline in [None, Some("TF_BUILD"), Some("GITHUB_ACTIONS")] {
        let env: Vec<(&str, &str)> = pipeline.map(|p| (p, "true")).into_iter().collect();
        for args in [
            &["images"][..],
            &["images", "--json"][..],
            &["labs"][..],
            &["retire", "--lab", "Dev-WestEurope"][..],
        ] {
            let out = tokio::task::block_in_place(|| run(&sim, home.path(), args, &env));
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stdout.contains("team") || args[0] == "labs" || args[0] == "retire",
                "{args:?} shows the image: {stdout}"
            );
            let live: Vec<String> = live_lines(&stdout, pipeline.is_some())
                .into_iter()
                .chain(live_lines(&stderr, pipeline.is_some()))
                .collect();
            assert!(live.is_empty(), "{pipeline:?} {args:?}: {live:#?}");
            if args.contains(&"--json") {
                let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                assert!(doc.is_array() || doc.is_object());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_state_is_private_and_never_written_through_a_symlink() {
    let sim = common::start(common::demo_world(), common::fast()).await;
    let home = tempfile::tempdir().unwrap();
    let listed = tokio::task::block_in_place(|| {
        run(
            &sim,
            home.path(),
            &["images", "--lab", "Training", "--json"],
            &[],
        )
    });
    let doc: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let image = doc[0]["id"].as_str().unwrap().to_string();
    let pin = ["pin", image.as_str(), "--reason", "security test"];

    let out = tokio::task::block_in_place(|| run(&sim, home.path(), &pin, &[]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let state = home.path().join("state/imagefactory");
    assert_eq!(mode(&state), 0o700, "the state folder");
    assert_eq!(mode(&state.join("audit.jsonl")), 0o600, "the audit log");

    // audit.jsonl pointed at another file: the pin is refused before anything changes, and
    // that file is untouched.
    let elsewhere = home.path().join("yours.txt");
    std::fs::write(&elsewhere, "yours\n").unwrap();
    std::fs::remove_file(state.join("audit.jsonl")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, state.join("audit.jsonl")).unwrap();
    let unpin = ["unpin", image.as_str()];
    let out = tokio::task::block_in_place(|| run(&sim, home.path(), &unpin, &[]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("symlink"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "yours\n");
}

#[test]
fn read_only_mode_never_cancels_a_run() {
    use imagefactory::factory::builder::background::{host_name, process_mark};
    use imagefactory::factory::builder::journal::{self, Event, Journal, Line};
    use imagefactory::factory::builder::names::RunId;

    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("state");
    // A live process, named by its journal exactly (pid and mark): a writable cancel would
    // signal it.
    let mut runner = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let run = RunId::new(time::OffsetDateTime::now_utc(), 7);
    let journal = Journal::open(&state.join("runs"), &run).unwrap();
    journal
        .append(&Line {
            at: "2026-12-08T00:00:00Z".into(),
            event: Event::Started {
                run: run.clone(),
                factory: "/subscriptions/s/resourceGroups/r/providers/Microsoft.DevTestLab/labs/f"
                    .into(),
                location: "westeurope".into(),
                actor: "someone".into(),
                host: host_name(),
                pid: runner.id(),
                process: process_mark(runner.id()),
                resumed: false,
                images: Vec::new(),
                left_out: Vec::new(),
            },
        })
        .unwrap();
    drop(journal);
    assert!(journal::path_of(&state.join("runs"), &run).is_file());
    let out = run_bin_in(
        home.path(),
        &["--read-only", "cancel", run.as_str()],
        &[("IMAGEFACTORY_STATE_DIR", state.to_str().unwrap())],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("read-only mode: refused to cancel"),
        "{stderr}"
    );
    assert!(
        runner.try_wait().unwrap().is_none(),
        "the run's process lives"
    );
    let _ = runner.kill();
    let _ = runner.wait();
}
