//! The binary as a pipeline runs it: `imagefactory sim` in one process, commands in another,
//! pointed at it by the `export` lines; JSON output and exit codes.

mod common;

use std::process::{Command, Output, Stdio};

use common::Emulator;

const BIN: &str = env!("CARGO_BIN_EXE_imagefactory");

/// Runs the binary with `args` and extra environment, outside any configuration or pipeline:
/// its own working directory, `HOME` and XDG directories, so that nothing of the user's (a
/// `factory.toml`, `read_only = true`, a cache) changes the result.
fn run_bin(args: &[&str], env: &[(&str, &str)]) -> Output {
    let home = tempfile::tempdir().unwrap();
    run_bin_in(home.path(), args, env)
}

/// `run_bin` with `home` as the home, working directory and root of the XDG directories.
fn run_bin_in(home: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    common::run_bin_in(home, args, env)
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

#[test]
fn sim_prints_exports_that_point_another_process_at_it() {
    let sim = Emulator::start(&["--speed", "100"]);
    let names: Vec<&str> = sim.env.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "IMAGEFACTORY_ENDPOINT",
            "IMAGEFACTORY_AUTH",
            "IDENTITY_ENDPOINT",
            "IDENTITY_HEADER"
        ]
    );
    let out = sim.run(&["labs", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let labs = json(&out);
    let labs = labs.as_array().unwrap();
    assert_eq!(labs.len(), 9);
    let dev = labs.iter().find(|l| l["name"] == "Dev-WestEurope").unwrap();
    for key in [
        "subscription_id",
        "subscription_name",
        "resource_group",
        "name",
        "location",
        "id",
        "image_count",
        "vm_count",
    ] {
        assert!(!dev[key].is_null(), "labs --json has {key}");
    }
    assert_eq!(dev["subscription_name"], "Contoso Imaging");
    assert_eq!(dev["location"], "westeurope");
    assert_eq!(dev["vm_count"], 2);
    assert!(dev["image_count"].as_u64().unwrap() > 20);
}

#[test]
fn images_json_has_normalised_paths_and_narrows_to_one_lab() {
    let sim = Emulator::start(&[]);
    let out = sim.run(&["images", "--lab", "dev-westeurope", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let images = json(&out);
    let images = images.as_array().unwrap();
    assert!(images.iter().all(|i| i["lab"] == "Dev-WestEurope"));
    let legacy = images
        .iter()
        .find(|i| i["name"].as_str().unwrap().starts_with("Datacenter-"))
        .unwrap();
    assert_eq!(legacy["image_path"], "Win2016/Datacenter");
    let untagged = images
        .iter()
        .find(|i| i["name"] == "alice-debug-snapshot")
        .unwrap();
    assert!(untagged["image_path"].is_null());
    let created = untagged["created"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
            .is_ok(),
        "{created}"
    );
    assert_eq!(images.iter().filter(|i| i["pinned"] == true).count(), 1);
    // In use means any user: two VMs' images and one formula's.
    assert_eq!(images.iter().filter(|i| i["in_use"] == true).count(), 3);
    for key in ["id", "subscription_id", "os_type", "author", "description"] {
        assert!(legacy.get(key).is_some(), "images --json has {key}");
    }
}

#[test]
fn an_unknown_lab_is_a_usage_error_with_a_suggestion() {
    let sim = Emulator::start(&[]);
    for json in [false, true] {
        let mut args = vec!["images", "--lab", "Dev-WestEurop"];
        if json {
            args.push("--json");
        }
        let out = sim.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("Did you mean `Dev-WestEurope`?"),
            "{stderr}"
        );
        // The JSON is written as labs are read: none of it for a lab that is not there.
        assert!(out.stdout.is_empty(), "{args:?}: {:?}", out.stdout);
    }
}

#[test]
fn a_partly_unreadable_estate_exits_3_and_says_what_failed() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world.toml");
    std::fs::write(&world, "[[subscription]]\nid = \"11111111-1111-1111-1111-111111111111\"\nname = \"One\"\n\n  [[subscription.lab]]\n  name = \"Open\"\n  resource_group = \"rg\"\n  location = \"westeurope\"\n\n  [[subscription.lab]]\n  name = \"Closed\"\n  resource_group = \"rg-closed\"\n  location = \"westeurope\"\n  deny_read = true\n").unwrap();
    let sim = Emulator::start(&["--world", world.to_str().unwrap()]);
    let out = sim.run(&["labs", "--json"]);
    assert_eq!(out.status.code(), Some(3));
    let labs = json(&out);
    assert_eq!(
        labs.as_array().unwrap().len(),
        2,
        "the readable part is still printed"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("lab Closed could not be read"), "{stderr}");
    assert!(stderr.contains("AuthorizationFailed"), "{stderr}");
    // Under Azure DevOps the same problem is a pipeline warning.
    let out = sim.run_with(&["labs", "--json"], &[("TF_BUILD", "True")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("##vso[task.logissue type=warning]lab Closed could not be read"),
        "{stderr}"
    );
}

#[test]
fn demo_runs_any_command_on_the_embedded_emulator() {
    let out = run_bin(&["--demo", "labs", "--json"], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let labs = json(&out);
    let roles: Vec<_> = labs
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["role"].as_str())
        .collect();
    assert!(
        roles.contains(&"factory"),
        "the sample factory marks its factory lab: {roles:?}"
    );
}

#[test]
fn unreachable_azure_is_a_failure_with_the_reason() {
    let out = run_bin(
        &[
            "labs",
            "--endpoint",
            "http://127.0.0.1:9/",
            "--auth",
            "managed-identity",
        ],
        &[
            ("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi/token"),
            ("IDENTITY_HEADER", "x"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot list subscriptions"), "{stderr}");
}

#[test]
fn a_bad_configuration_is_a_usage_error_naming_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("factory.toml");
    std::fs::write(
        &config,
        "[factory]\nsubscription = \"not-a-guid\"\nresource_group = \"rg\"\nlab = \"f\"\n",
    )
    .unwrap();
    let out = run_bin(&["labs", "--config", config.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:2:16: subscription `not-a-guid` is not a subscription id",
            config.display()
        )),
        "{stderr}"
    );
}

#[test]
fn sim_rejects_bad_options_clearly() {
    let out = run_bin(&["sim", "--faults", "404=1%"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown fault \"404\""));
    let out = run_bin(&["sim", "--addr", "0.0.0.0:0"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only listens on loopback"));
}

const SAMPLE_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/factory/factory.toml");

#[test]
fn retire_previews_by_default_and_deletes_nothing() {
    let sim = Emulator::start(&[]);
    let before = json(&sim.run(&["images", "--json"]))
        .as_array()
        .unwrap()
        .len();
    let out = sim.run(&["--config", SAMPLE_CONFIG, "retire", "--lab", "Training"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Training (westeurope): retire 2"), "{text}");
    assert!(text.contains("retire (superseded)"), "{text}");
    assert!(text.contains("Nothing was deleted. `imagefactory retire --lab Training --yes` retires these 2 images."), "{text}");
    assert_eq!(
        json(&sim.run(&["images", "--json"]))
            .as_array()
            .unwrap()
            .len(),
        before
    );

    let plan = json(&sim.run(&["--config", SAMPLE_CONFIG, "retire", "--json"]));
    let labs = plan["labs"].as_array().unwrap();
    let dev = labs.iter().find(|l| l["lab"] == "Dev-WestEurope").unwrap();
    assert_eq!(dev["subscription_name"], "Contoso Imaging");
    let pinned = dev["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["state"] == "pinned")
        .unwrap();
    assert_eq!(pinned["name"], "win2022-vs2022-golden-2026q2");
    assert!(plan["totals"]["retire"].as_u64().unwrap() > 40);
    let sandbox = labs.iter().find(|l| l["lab"] == "Partner-Sandbox").unwrap();
    assert_eq!(
        sandbox["managed"], false,
        "labs outside the configuration are left alone"
    );
}

#[test]
fn retire_yes_deletes_reports_and_audits() {
    let sim = Emulator::start(&["--speed", "500"]);
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().to_str().unwrap();
    // Everything: the reader-only subscription's lab is left out (its role cannot delete), so
    // not everything due is retired: exit 3, and not one delete is tried there.
    let out = sim.run_with(
        &["--config", SAMPLE_CONFIG, "retire", "--yes", "--json"],
        &[("IMAGEFACTORY_STATE_DIR", state_dir)],
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out);
    let results = doc["results"].as_array().unwrap();
    assert!(
        results.iter().all(|r| r["result"] == "retired"),
        "nothing attempted fails: {results:#?}"
    );
    assert!(results.iter().all(|r| r["lab"] != "Partner-NorthEurope"));
    let partner = doc["labs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["lab"] == "Partner-NorthEurope")
        .unwrap();
    assert!(partner["counts"]["retire"].as_u64().unwrap() > 0);
    assert!(
        partner["denied"]
            .as_str()
            .unwrap()
            .contains("does not allow Microsoft.DevTestLab/labs/customImages/delete"),
        "{partner:#?}"
    );
    let audit = std::fs::read_to_string(state.path().join("audit.jsonl")).unwrap();
    assert_eq!(audit.lines().count(), results.len());
    // A lab the principal may write to: everything due is retired, exit 0, and a second run has nothing to do.
    let out = sim.run_with(
        &[
            "--config",
            SAMPLE_CONFIG,
            "retire",
            "--lab",
            "QA-WestEurope",
            "--yes",
        ],
        &[("IMAGEFACTORY_STATE_DIR", state_dir)],
    );
    assert_eq!(out.status.code(), Some(0));
    let again = sim.run(&[
        "--config",
        SAMPLE_CONFIG,
        "retire",
        "--lab",
        "QA-WestEurope",
        "--json",
    ]);
    assert_eq!(json(&again)["totals"]["retire"].as_u64().unwrap_or(0), 0);
}

#[test]
fn read_only_retire_and_pin_change_nothing_and_say_so() {
    let sim = Emulator::start(&[]);
    let before = sim.run(&["images", "--json"]).stdout;
    let out = sim.run(&["--config", SAMPLE_CONFIG, "--read-only", "retire", "--yes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("read-only mode: nothing was changed"));
    let image = json(&sim.run(&["images", "--lab", "Training", "--json"]))[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = sim.run(&["--read-only", "pin", &image]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("read-only mode: nothing was changed"));
    assert_eq!(sim.run(&["images", "--json"]).stdout, before);
}

#[test]
fn pin_and_unpin_keep_the_other_tags() {
    let sim = Emulator::start(&[]);
    let images = json(&sim.run(&[
        "--config",
        SAMPLE_CONFIG,
        "images",
        "--lab",
        "Dev-WestEurope",
        "--json",
    ]));
    let victim = images
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["retention"]["state"] == "retire")
        .unwrap();
    let id = victim["id"].as_str().unwrap();
    assert_eq!(victim["retention"]["reason"], "superseded");
    let out = sim.run(&["pin", id, "--reason", "regression baseline"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let find = |sim: &Emulator| {
        json(&sim.run(&[
            "--config",
            SAMPLE_CONFIG,
            "images",
            "--lab",
            "Dev-WestEurope",
            "--json",
        ]))
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .cloned()
        .unwrap()
    };
    let pinned = find(&sim);
    assert_eq!(pinned["pinned"], true);
    assert_eq!(pinned["retention"]["state"], "pinned");
    assert_eq!(pinned["retention"]["detail"], "regression baseline");
    assert_eq!(
        pinned["image_path"], victim["image_path"],
        "the ImagePath tag is kept"
    );
    assert_eq!(sim.run(&["unpin", id]).status.code(), Some(0));
    let unpinned = find(&sim);
    assert_eq!(unpinned["pinned"], false);
    assert_eq!(unpinned["retention"]["state"], "retire");
    assert_eq!(unpinned["image_path"], victim["image_path"]);
    let out = sim.run(&["pin", "not-an-id"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a custom image id"));
}

#[test]
fn retire_without_a_configuration_says_what_it_needs() {
    let sim = Emulator::start(&[]);
    let out = sim.run(&["retire"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("retire needs a factory configuration"));
}

#[test]
fn a_bad_console_setting_is_a_usage_error_at_its_line() {
    let config = tempfile::tempdir().unwrap();
    let dir = config.path().join("imagefactory");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("console.toml"),
        "theme = \"dark\"\n\n[keys]\npin = [\"j\"]\n",
    )
    .unwrap();
    let out = run_bin(
        &["--demo"],
        &[("XDG_CONFIG_HOME", config.path().to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("console.toml:4:1: [keys]: `j` is bound to both `down` and `pin`"),
        "{stderr}"
    );
}

#[test]
fn listing_into_a_closed_pipe_ends_quietly() {
    let sim = Emulator::start(&[]);
    let env: Vec<(&str, &str)> = sim
        .env
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    // The table, and the JSON (written by a thread of its own while labs are read).
    for args in [
        &["images"][..],
        &["images", "--json"][..],
        &["labs"][..],
        &["labs", "--json"][..],
        &["runs"][..],
        &["--help"][..],
    ] {
        let mut child = Command::new(BIN)
            .args(args)
            .envs(env.iter().copied())
            .env_remove("IMAGEFACTORY_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the output is written, as `| head -0` would.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        // Quietly, and with 0 (not 141, killed by SIGPIPE): `images | head -3 && next` goes on.
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

#[test]
fn retire_skips_and_failures_are_pipeline_annotations() {
    let sim = Emulator::start(&["--speed", "500"]);
    let state = tempfile::tempdir().unwrap();
    let pinned = json(&sim.run(&["images", "--lab", "Dev-WestEurope", "--json"]))
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["pinned"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = sim.run_with(
        &[
            "--config",
            SAMPLE_CONFIG,
            "retire",
            "--image",
            &pinned,
            "--yes",
        ],
        &[
            ("IMAGEFACTORY_STATE_DIR", state.path().to_str().unwrap()),
            ("GITHUB_ACTIONS", "true"),
        ],
    );
    assert_eq!(out.status.code(), Some(3), "nothing was retired");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("::warning::") && l.contains("skipped: pinned")),
        "{stderr}"
    );
}

#[test]
fn lab_bounds_what_retire_image_may_delete() {
    let sim = Emulator::start(&[]);
    let dev_image = json(&sim.run(&["images", "--lab", "Dev-WestEurope", "--json"]))[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let before = sim.run(&["images", "--json"]).stdout;
    let out = sim.run(&[
        "--config",
        SAMPLE_CONFIG,
        "retire",
        "--lab",
        "Training",
        "--image",
        &dev_image,
        "--include-unusual",
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not in --lab Training; nothing was deleted"),
        "{stderr}"
    );
    assert_eq!(sim.run(&["images", "--json"]).stdout, before);
}

#[test]
fn the_audit_log_goes_to_the_state_directory_by_the_xdg_rules() {
    let sim = Emulator::start(&["--speed", "500"]);
    let env: Vec<(&str, &str)> = sim
        .env
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let image = json(&sim.run(&["images", "--lab", "Training", "--json"]))
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["pinned"] == false)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let pin = [
        "--config",
        SAMPLE_CONFIG,
        "pin",
        image.as_str(),
        "--reason",
        "audit test",
    ];
    // $XDG_STATE_HOME/imagefactory.
    let home = tempfile::tempdir().unwrap();
    let out = run_bin_in(home.path(), &pin, &env);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(home.path().join("state/imagefactory/audit.jsonl").is_file());
    // Without XDG_STATE_HOME: ~/.local/state/imagefactory.
    let home = tempfile::tempdir().unwrap();
    let mut without = env.clone();
    without.push(("XDG_STATE_HOME", ""));
    let out = run_bin_in(home.path(), &pin, &without);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        home.path()
            .join(".local/state/imagefactory/audit.jsonl")
            .is_file()
    );
    // IMAGEFACTORY_STATE_DIR wins.
    let home = tempfile::tempdir().unwrap();
    let chosen = home.path().join("chosen");
    let mut with = env.clone();
    with.push(("IMAGEFACTORY_STATE_DIR", chosen.to_str().unwrap()));
    let out = run_bin_in(home.path(), &pin, &with);
    assert_eq!(out.status.code(), Some(0));
    assert!(chosen.join("audit.jsonl").is_file());
}

#[test]
fn sim_serves_a_generated_fleet_with_the_page_size_and_latency_asked_for() {
    let sim = Emulator::start(&[
        "--world",
        "generate:2x2x5",
        "--page-size",
        "3",
        "--latency",
        "100",
    ]);
    let started = std::time::Instant::now();
    let labs = json(&sim.run(&["labs", "--json"]));
    // Token, subscriptions, their labs: at least three round trips of 100 ms.
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(labs.as_array().unwrap().len(), 4);
    let images = json(&sim.run(&["images", "--json"]));
    assert_eq!(images.as_array().unwrap().len(), 20);
    let out = run_bin(&["sim", "--world", "generate:2x2"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("generate:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn progress_goes_to_stderr_only_and_only_when_asked_or_on_a_terminal() {
    let sim = Emulator::start(&["--speed", "100"]);
    let plain = sim.run(&["labs", "--json"]);
    assert!(
        plain.stderr.is_empty(),
        "no progress unless asked (stderr is a pipe here)"
    );
    let out = sim.run(&["labs", "--json", "--progress"]);
    assert_eq!(out.status.code(), Some(0));
    // The same JSON on stdout.
    assert_eq!(json(&out), json(&plain));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(!lines.is_empty(), "progress on stderr");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("read ") && l.ends_with(" labs")),
        "{stderr}"
    );
    assert!(
        *lines.last().unwrap() == "read 9 of 9 labs",
        "the last line says all were read: {stderr}"
    );
}

#[test]
fn the_demo_runs_from_an_installed_binary_far_from_the_checkout() {
    // The binary alone in an empty folder, run from another: nothing of the checkout is read.
    let install = tempfile::tempdir().unwrap();
    let binary = install.path().join("imagefactory");
    std::fs::copy(env!("CARGO_BIN_EXE_imagefactory"), &binary).unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(&binary)
        .args(["--demo", "check", "--json"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home.path())
        .env("TMPDIR", home.path())
        .current_dir(home.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    // The sample factory: its one error is the Generation 2 definition.
    assert_eq!(out.status.code(), Some(2), "{report:#}");
    let errors: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["level"] == "error")
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    assert_eq!(errors, ["image win11/dev"], "{report:#}");
    // Written for the process, in a folder of its own, and gone with it.
    let left: Vec<_> = std::fs::read_dir(home.path())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("imagefactory-demo-")
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A run whose endpoint goes away for good (the emulator of a demo that was quit) fails
/// within its retry budget instead of waiting out its stages' timeouts, and ends its process.
#[test]
fn a_run_whose_endpoint_is_gone_fails_and_ends() {
    use imagefactory::factory::builder::journal::{self, RunState, Stage};
    let sim = Emulator::start(&["--speed", "20"]);
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("state");
    let mut env: Vec<(&str, &str)> = sim
        .env
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    env.push(("IMAGEFACTORY_STATE_DIR", state.to_str().unwrap()));
    let out = run_bin_in(
        home.path(),
        &[
            "--config",
            SAMPLE_CONFIG,
            "build",
            "--detach",
            "--json",
            "win2022/base",
        ],
        &env,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let started: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let path = std::path::PathBuf::from(started["journal"].as_str().unwrap());
    let pid = started["pid"].as_u64().unwrap() as i32;
    let fold = || RunState::fold(&journal::read(&path).unwrap()).unwrap();
    let begun = std::time::Instant::now();
    while fold().images[0].stage == Stage::Queued {
        assert!(begun.elapsed().as_secs() < 60, "the run starts");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    drop(sim);
    let gone = std::time::Instant::now();
    while fold().outcome.is_none() {
        assert!(
            gone.elapsed().as_secs() < 240,
            "the run ends once its endpoint is gone: {:?}",
            fold().images[0]
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    let run = fold();
    assert_eq!(run.images[0].stage, Stage::Failed, "{:?}", run.images[0]);
    let error = run.images[0].error.as_ref().unwrap();
    assert!(error.message.contains("Connection refused"), "{error:?}");
    // Its process is gone too (a zombie until this test reaps nothing: it is not our child).
    let alive =
        || std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "));
    let ended = std::time::Instant::now();
    while alive() {
        assert!(ended.elapsed().as_secs() < 30, "the process ends");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn first_steps_say_what_to_do_next() {
    // No configuration: build says how to make one.
    let home = tempfile::tempdir().unwrap();
    let out = run_bin_in(home.path(), &["build", "--all"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("`imagefactory init` makes one"), "{said}");
    // A managed identity whose endpoint does not answer is named, not "retry policy expired".
    let sim = Emulator::start(&[]);
    let out = sim.run_with(
        &["labs"],
        &[("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi/token")],
    );
    assert_ne!(out.status.code(), Some(0));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("managed identity endpoint http://127.0.0.1:9/msi/token"),
        "{said}"
    );
}
