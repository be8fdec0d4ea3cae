//! The console in a real terminal: tmux runs it, `send-keys` types, `capture-pane` reads the
//! screen. Against `imagefactory sim` in its own process, so the estate can be checked after.
//! Ignored by plain `cargo test` (they need tmux): `cargo test -- --include-ignored` runs them,
//! as `.ci/run` does.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_imagefactory");
const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/factory/factory.toml");

struct Emulator {
    child: Child,
    env: Vec<(String, String)>,
}

impl Emulator {
    fn start() -> Emulator {
        Emulator::start_with(&["--speed", "200"])
    }

    fn start_with(args: &[&str]) -> Emulator {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new(BIN)
            .arg("sim")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut env = Vec::new();
        for line in BufReader::new(stdout).lines().take(4) {
            let line = line.unwrap();
            let (k, v) = line
                .strip_prefix("export ")
                .unwrap()
                .split_once('=')
                .unwrap();
            env.push((k.to_string(), v.to_string()));
        }
        Emulator { child, env }
    }

    fn cli(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .envs(self.env.iter().cloned())
            .env_remove("IMAGEFACTORY_CONFIG")
            .output()
            .unwrap()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tmux server of our own (its own socket), one session, 120x40.
struct Terminal {
    socket: String,
}

impl Terminal {
    fn start(name: &str, command: &str) -> Terminal {
        let socket = format!("imagefactory-e2e-{}-{name}", std::process::id());
        let t = Terminal { socket };
        let ok = t
            .tmux(&[
                "new-session",
                "-d",
                "-s",
                "console",
                "-x",
                "120",
                "-y",
                "40",
                command,
            ])
            .status
            .success();
        assert!(ok, "tmux starts");
        t
    }

    fn tmux(&self, args: &[&str]) -> Output {
        // `-f /dev/null`: a user's ~/.tmux.conf must not change the pane under test.
        Command::new("tmux")
            .args(["-f", "/dev/null", "-L"])
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", "console", k]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "console", "-l", text]);
        std::thread::sleep(Duration::from_millis(100));
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "console"]).stdout)
            .into_owned()
    }

    /// Waits until the screen no longer shows `text` (or panics with the screen it saw).
    fn wait_gone(&self, text: &str) {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if !screen.contains(text) {
                return;
            }
            if started.elapsed() > Duration::from_secs(10) {
                panic!("timed out waiting for {text:?} to go; the screen was:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the screen shows `text` (or panics with the screen it saw).
    fn wait_for(&self, text: &str) -> String {
        self.wait_for_within(text, Duration::from_secs(20))
    }

    fn wait_for_within(&self, text: &str, limit: Duration) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            if started.elapsed() > limit {
                panic!("timed out waiting for {text:?}; the screen was:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// Fails loudly when tmux is missing: these tests are ignored by default and run on purpose
/// (`cargo test -- --include-ignored`, as `.ci/run` does), so a missing tmux is an error.
fn require_tmux() {
    let found = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "the console end-to-end tests need tmux (.ci/run installs it)"
    );
}

fn console_command(emulator: &Emulator, state: &std::path::Path, extra: &str) -> String {
    let env: Vec<String> = emulator
        .env
        .iter()
        .map(|(k, v)| format!("{k}='{v}'"))
        .collect();
    format!(
        "env {} IMAGEFACTORY_STATE_DIR='{}' XDG_CONFIG_HOME='{}' XDG_CACHE_HOME='{}' TERM=xterm-256color {BIN} --config '{CONFIG}' {extra}; echo exited=$?; sleep 5",
        env.join(" "),
        state.display(),
        state.display(),
        state.display()
    )
}

fn images_of(emulator: &Emulator, lab: &str) -> Vec<serde_json::Value> {
    let out = emulator.cli(&["--config", CONFIG, "images", "--lab", lab, "--json"]);
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
#[ignore = "needs tmux; run with --include-ignored"]
fn an_operator_session_in_a_real_terminal() {
    require_tmux();
    let emulator = Emulator::start();
    let state = tempfile::tempdir().unwrap();
    // What retention will do in Training, before anything changes.
    let due: Vec<String> = images_of(&emulator, "Training")
        .iter()
        .filter(|i| i["retention"]["state"] == "retire")
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(due.len(), 2, "{due:?}");
    let (to_pin, to_retire) = (&due[0], &due[1]);

    let term = Terminal::start("rw", &console_command(&emulator, state.path(), ""));
    // Labs across subscriptions, fresh from the emulator.
    let screen = term.wait_for("updated");
    assert!(
        screen.contains("Eng-WestEurope [T]")
            && screen.contains("ImageFactory [F]")
            && screen.contains("EMULATOR"),
        "{screen}"
    );

    // Images of all labs, filtered down to the one to pin, and pin it.
    term.keys(&["2"]);
    term.wait_for("Images (all labs)");
    term.keys(&["/"]);
    term.type_text(&format!("Training .*{to_pin}"));
    term.keys(&["Enter"]);
    let screen = term.wait_for("[1]");
    assert!(
        screen.contains(to_pin.as_str()) && screen.contains("retire"),
        "{screen}"
    );
    // Pinning asks why (prefilled); the reason typed is the pin.
    term.keys(&["p"]);
    term.wait_for("Why is it pinned?");
    term.keys(&["C-u"]);
    term.type_text("e2e baseline");
    term.keys(&["Enter"]);
    term.wait_for(&format!("pinned {to_pin}"));

    // Preview and apply retention for one lab.
    term.keys(&["3"]);
    term.wait_for("Retention plan");
    term.keys(&["/"]);
    term.type_text("Training");
    term.keys(&["Enter"]);
    let screen = term.wait_for("retire 1, leave");
    // The body, without the footer (whose flash may still name the pinned image).
    let body: String = screen.lines().take(38).collect::<Vec<_>>().join("\n");
    assert!(
        body.contains(to_retire.as_str()) && !body.contains(to_pin.as_str()),
        "the pinned image left the plan:\n{screen}"
    );
    term.keys(&["a"]);
    let screen = term.wait_for("Apply the retention plan of Training: retire 1 image");
    assert!(screen.contains(to_retire.as_str()), "{screen}");
    assert!(
        screen.contains("▶[ Cancel ]"),
        "the dialog starts on Cancel:\n{screen}"
    );
    term.keys(&["Tab", "Enter"]);
    let screen = term.wait_for("Done: 1 of 1 settled");
    assert!(
        screen.contains("retired") && screen.contains(to_retire.as_str()),
        "{screen}"
    );
    // Close the results, and only then quit: Escape and q sent together can arrive as alt-q.
    term.keys(&["Escape"]);
    term.wait_gone("Done: 1 of 1 settled");
    term.keys(&["q"]);
    term.wait_for("exited=0");

    // The estate afterwards: exactly the planned image gone, the pinned one kept.
    let after = images_of(&emulator, "Training");
    let names: Vec<&str> = after.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert!(!names.contains(&to_retire.as_str()), "{names:?}");
    let pinned = after
        .iter()
        .find(|i| i["name"] == to_pin.as_str())
        .expect("the pinned image is still there");
    assert_eq!(pinned["pinned"], true);
    let audit = std::fs::read_to_string(state.path().join("audit.jsonl")).unwrap();
    assert!(audit.contains(to_retire.as_str()) && audit.contains("\"result\":\"retired\""));
    assert!(
        audit.lines().any(|l| l.contains("\"action\":\"pin\"")
            && l.contains(to_pin.as_str())
            && l.contains("e2e baseline")),
        "the pin is audited with its reason:\n{audit}"
    );

    // Read-only: the same keys change nothing, and the commands are not even there.
    let term = Terminal::start(
        "ro",
        &console_command(&emulator, state.path(), "--read-only"),
    );
    let screen = term.wait_for("updated");
    assert!(screen.contains("READ-ONLY"), "{screen}");
    term.keys(&["3"]);
    term.wait_for("Retention plan");
    term.keys(&["a"]);
    term.wait_for("read-only console: :apply-lab changes Azure");
    term.keys(&[":"]);
    term.type_text("apply-lab");
    term.keys(&["Enter"]);
    let screen = term.wait_for("read-only console: :apply-lab changes Azure");
    assert!(!screen.contains("Apply the retention plan"), "{screen}");
    assert!(!screen.contains("<a> apply-lab"), "{screen}");
    term.keys(&["q"]);
    assert_eq!(
        images_of(&emulator, "Training").len(),
        after.len(),
        "nothing changed in read-only mode"
    );
}

#[test]
#[ignore = "needs tmux; run with --include-ignored"]
fn the_demo_starts_and_the_terminal_is_restored_on_quit() {
    require_tmux();
    let state = tempfile::tempdir().unwrap();
    let command = format!(
        "env IMAGEFACTORY_STATE_DIR='{}' XDG_CONFIG_HOME='{}' XDG_CACHE_HOME='{}' TERM=xterm-256color {BIN} --demo; echo exited=$?; sleep 5",
        state.path().display(),
        state.path().display(),
        state.path().display()
    );
    let term = Terminal::start("demo", &command);
    let screen = term.wait_for("updated");
    assert!(screen.contains("Labs [9]"), "{screen}");
    term.keys(&["?"]);
    term.wait_for("Help");
    // Close the help, and only then quit: Escape and q sent together can arrive as alt-q.
    term.keys(&["Escape"]);
    term.wait_gone("Help");
    term.keys(&["q"]);
    let screen = term.wait_for("exited=0");
    assert!(
        !screen.contains("Labs [9]"),
        "the alternate screen is gone after quit:\n{screen}"
    );
    // The next start shows the cached inventory at once (a cache: XDG_CACHE_HOME).
    assert!(
        std::fs::read_dir(state.path().join("imagefactory"))
            .unwrap()
            .count()
            == 1
    );
}

/// The run id on the screen (in the breadcrumbs or a row).
fn run_id_on(screen: &str) -> String {
    let re = regex::Regex::new(r"\d{8}t\d{6}-[0-9a-f]{4}").unwrap();
    re.find(screen)
        .unwrap_or_else(|| panic!("no run id on the screen:\n{screen}"))
        .as_str()
        .to_string()
}

#[test]
#[ignore = "needs tmux; run with --include-ignored"]
fn a_build_started_in_the_console_survives_the_console_and_is_found_again() {
    require_tmux();
    // Slow enough to see it distribute, and to close the console while it does.
    let emulator = Emulator::start_with(&["--speed", "12"]);
    let began = time::OffsetDateTime::now_utc();
    let state = tempfile::tempdir().unwrap();
    let term = Terminal::start("build", &console_command(&emulator, state.path(), ""));
    term.wait_for("Contoso");
    // Mark the first two definitions and build them: the plan first, starting on Cancel.
    term.keys(&["5", "Space", "Space", "b"]);
    term.wait_for("Start the build");
    term.keys(&["Tab", "Enter"]);
    let screen = term.wait_for_within("distributing", Duration::from_secs(90));
    let run = run_id_on(&screen);
    assert!(screen.contains("ubuntu2204/docker"), "{screen}");

    // The SSH session drops: the console goes, the run does not.
    drop(term);
    let term = Terminal::start("again", &console_command(&emulator, state.path(), ""));
    term.wait_for("Contoso");
    term.keys(&["6"]);
    let screen = term.wait_for(&run);
    let row = screen.lines().find(|l| l.contains(&run)).unwrap();
    assert!(
        row.contains("running"),
        "the run is found, still going: {row}"
    );
    term.keys(&["Enter"]);
    let screen = term.wait_for_within("2 done of 2", Duration::from_secs(120));
    assert!(screen.contains("done"), "{screen}");

    // Azure holds the run's images (two labs each; Partner-NorthEurope is read-only: left
    // out) and none of its build VMs.
    let out = emulator.cli(&["--config", CONFIG, "runs", "--json"]);
    let runs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let found = runs
        .iter()
        .find(|r| r["run"].as_str() == Some(run.as_str()))
        .unwrap_or_else(|| panic!("{run} in {runs:#?}"));
    assert_eq!(found["found"]["images"], 4, "{found:#}");
    assert_eq!(found["found"]["vms"], 0, "{found:#}");
    for (lab, path) in [
        ("Dev-WestEurope", "ubuntu2404/base"),
        ("Training", "ubuntu2404/base"),
        ("QA-WestEurope", "ubuntu2204/docker"),
        ("Eng-WestEurope", "ubuntu2204/docker"),
    ] {
        let made = images_of(&emulator, lab).into_iter().any(|i| {
            i["image_path"] == path
                && i["retention"]["state"] == "current"
                && i["created"].as_str().is_some_and(|c| {
                    time::OffsetDateTime::parse(c, &time::format_description::well_known::Rfc3339)
                        .is_ok_and(|c| c >= began)
                })
        });
        assert!(
            made,
            "{lab} has a {path} made by this run, and it is current"
        );
    }
}

#[test]
#[ignore = "needs tmux; run with --include-ignored"]
fn a_failing_artifacts_own_words_are_one_key_from_the_builds_view() {
    require_tmux();
    let emulator =
        Emulator::start_with(&["--speed", "200", "--faults", "artifact=linux-apt-package"]);
    let state = tempfile::tempdir().unwrap();
    let term = Terminal::start("fail", &console_command(&emulator, state.path(), ""));
    term.wait_for("Contoso");
    term.keys(&[":"]);
    term.type_text("build ubuntu2204/docker");
    term.keys(&["Enter"]);
    term.wait_for("Start the build");
    term.keys(&["Tab", "Enter"]);
    term.wait_for_within("some failed", Duration::from_secs(60));
    // From the Builds view: Enter on the run shows the failing artifact's own words.
    term.keys(&["6", "Enter"]);
    let screen = term.wait_for("linux-apt-package");
    assert!(
        screen.contains("linux-apt-package: The artifact"),
        "the artifact's message on the run's row:\n{screen}"
    );
    // And its whole story one more key away.
    term.keys(&["Enter"]);
    let screen = term.wait_for("Failed at applying artifacts");
    assert!(screen.contains("ArtifactFailed"), "{screen}");
    assert!(screen.contains("failed to apply"), "{screen}");
    assert!(screen.contains("503"), "the script's own output:\n{screen}");
}

#[test]
#[ignore = "needs tmux; run with --include-ignored"]
fn on_a_slow_estate_without_a_cache_lab_names_show_before_the_inventory_is_read() {
    require_tmux();
    let emulator = Emulator::start_with(&[
        "--world",
        "generate:4x10x40",
        "--latency",
        "150",
        "--page-size",
        "100",
    ]);
    let state = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let term = Terminal::start("slow", &console_command(&emulator, state.path(), ""));
    let screen = term.wait_for("lab-00-00");
    let first_row = started.elapsed();
    assert!(
        screen.contains("reading"),
        "lab names while the labs are still being read:\n{screen}"
    );
    let screen = term.wait_for_within("updated", Duration::from_secs(60));
    let whole = started.elapsed();
    assert!(!screen.contains("reading"), "{screen}");
    assert!(
        first_row < whole,
        "first row after {first_row:?}, whole inventory after {whole:?}"
    );
}

#[test]
#[ignore = "needs tmux; run with --include-ignored"]
fn init_in_an_empty_folder_ends_in_a_console_showing_the_new_factory() {
    require_tmux();
    let emulator = Emulator::start();
    let state = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    // No --config: the folder is empty, and init writes into it.
    let command = init_in(&emulator, state.path(), folder.path(), "");
    let term = Terminal::start("init", &command);
    term.wait_for("Step 1 of 6: Sign in");
    term.keys(&["Enter"]);
    term.wait_for("Signed in as factory@contoso.com");
    term.keys(&["Enter"]);
    term.wait_for("Step 2 of 6");
    term.keys(&["Enter"]);
    // The labs of the three subscriptions the identity may change; ImageFactory is the fifth.
    term.wait_for("ImageFactory");
    term.keys(&["Down", "Down", "Down", "Down", "Enter"]);
    term.wait_for("Step 4 of 6");
    // Dev-WestEurope (the fourth lab) receives win2022.
    term.keys(&["Down", "Down", "Down", "Space"]);
    term.wait_for("receives win2022");
    term.keys(&["Enter"]);
    term.wait_for("Today this would retire");
    term.keys(&["Enter"]);
    term.wait_for("Step 6 of 6");
    term.keys(&["Tab"]);
    term.type_text("2022 datacenter");
    term.keys(&["Enter", "Enter"]);
    let review = term.wait_for("Last: the files");
    assert!(review.contains("lab = \"ImageFactory\""), "{review}");
    assert!(
        !folder.path().join("factory.toml").exists(),
        "nothing before Enter"
    );
    term.keys(&["Enter"]);
    let screen = term.wait_for("written and loaded");
    assert!(screen.contains("factory ImageFactory"), "{screen}");
    let screen = term.wait_for("updated");
    assert!(screen.contains("ImageFactory [F]"), "{screen}");
    assert!(screen.contains("Dev-WestEurope [T]"), "{screen}");
    term.keys(&["q"]);
    term.wait_for("exited=0");
    let config = imagefactory::config::load(&folder.path().join("factory.toml")).unwrap();
    assert_eq!(config.factory.name, "ImageFactory");
    assert_eq!(config.images[0].path.as_str(), "win2022/base");
}

#[test]
#[ignore = "needs tmux; run with --include-ignored"]
fn ctrl_c_in_init_exits_130_and_says_nothing_was_written() {
    require_tmux();
    let emulator = Emulator::start();
    let state = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let command = init_in(&emulator, state.path(), folder.path(), " && echo went-on");
    let term = Terminal::start("init-interrupted", &command);
    term.wait_for("Step 1 of 6: Sign in");
    term.keys(&["C-c"]);
    let screen = term.wait_for("exited=130");
    assert!(screen.contains("no factory.toml was written"), "{screen}");
    assert!(!screen.contains("went-on"), "{screen}");
    assert!(!folder.path().join("factory.toml").exists());
}

/// The shell command that runs `init` in `folder` against `emulator`, with its state, config
/// and cache in `state`, then `after` (run only if init succeeds), then says how it exited.
fn init_in(emulator: &Emulator, state: &Path, folder: &Path, after: &str) -> String {
    let env: Vec<String> = emulator
        .env
        .iter()
        .map(|(k, v)| format!("{k}='{v}'"))
        .collect();
    let state = state.display();
    format!(
        "cd '{}' && env {} IMAGEFACTORY_STATE_DIR='{state}' XDG_CONFIG_HOME='{state}' XDG_CACHE_HOME='{state}' TERM=xterm-256color {BIN} init{after}; echo exited=$?; sleep 5",
        folder.display(),
        env.join(" "),
    )
}
