//! Shared set-up: the emulator in-process on an ephemeral port, and a real client pointed at it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use imagefactory::arm::{ArmClient, ArmClientOptions, RetryPolicy, TokenSource, scope_for};
use imagefactory::sim::{self, SimHandle, SimOptions, World};

/// The sample world, with ages relative to now.
pub fn demo_world() -> World {
    sim::world::parse(sim::DEMO_WORLD, time::OffsetDateTime::now_utc())
        .expect("the sample world parses")
}

/// Options for fast tests: long operations take milliseconds.
pub fn fast() -> SimOptions {
    SimOptions {
        speed: 2000.0,
        ..SimOptions::default()
    }
}

/// `fast()`, recording every request (for tests that check what the client sent).
pub fn recording() -> SimOptions {
    SimOptions {
        record: true,
        ..fast()
    }
}

/// Starts the emulator.
pub async fn start(world: World, options: SimOptions) -> SimHandle {
    sim::start(world, options)
        .await
        .expect("the emulator starts")
}

/// Changes one lab of the emulator's world, as someone outside the factory would.
pub fn change_lab<R>(
    sim: &SimHandle,
    subscription: &str,
    resource_group: &str,
    lab: &str,
    f: impl FnOnce(&mut sim::world::SimLab) -> R,
) -> R {
    sim.change_world(|w| {
        f(w.subscription_mut(subscription)
            .expect("subscription")
            .lab_mut(resource_group, lab)
            .expect("lab"))
    })
}

/// Client options for tests: quick backoff so retries do not slow the suite.
pub fn client_options(sim: &SimHandle) -> ArmClientOptions {
    let mut options = ArmClientOptions::new(sim.endpoint.clone());
    options.retry = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_secs(5),
        request_timeout: Duration::from_secs(10),
    };
    options.min_poll_interval = Duration::from_millis(10);
    options
}

/// A real client with a token the emulator issued.
pub fn client_with(sim: &SimHandle, options: ArmClientOptions) -> ArmClient {
    let http = ArmClient::http_client().expect("http client");
    let tokens = TokenSource::fixed(&scope_for(&sim.endpoint), sim.mint_token());
    ArmClient::new(http, tokens, options)
}

/// A real client with default test options.
pub fn client(sim: &SimHandle) -> ArmClient {
    client_with(sim, client_options(sim))
}

/// The body of a PUT that captures a custom image from dev-alice-01 in the Dev-WestEurope lab.
pub fn new_image_body(description: &str) -> imagefactory::arm::wire::CustomImage {
    use imagefactory::arm::wire::{
        CustomImage, CustomImageProperties, CustomImagePropertiesFromVm, Tags, WindowsOsInfo,
    };
    CustomImage {
        id: String::new(),
        name: String::new(),
        kind: None,
        location: None,
        tags: Some(Tags::from([(
            "ImagePath".to_string(),
            "win2022/base".to_string(),
        )])),
        properties: CustomImageProperties {
            vm: Some(CustomImagePropertiesFromVm {
                source_vm_id: Some(format!("{DEV_LAB}/virtualmachines/dev-alice-01")),
                windows_os_info: Some(WindowsOsInfo {
                    windows_os_state: Some("SysprepApplied".into()),
                }),
                linux_os_info: None,
            }),
            description: Some(description.into()),
            author: Some("imagefactory".into()),
            ..CustomImageProperties::default()
        },
    }
}

pub const IMAGING: &str = "0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01";
pub const ENGINEERING: &str = "7c4d2e9a-5b3f-4a61-9e0d-2f8b6c1a4e02";
pub const PARTNER: &str = "e3a9b0c2-8d17-4f5e-b6a4-9c0d1e2f3a03";
pub const DEV_LAB: &str = "/subscriptions/0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01/resourceGroups/rg-dev-we/providers/Microsoft.DevTestLab/labs/Dev-WestEurope";
pub const PARTNER_LAB: &str = "/subscriptions/e3a9b0c2-8d17-4f5e-b6a4-9c0d1e2f3a03/resourceGroups/rg-partner-ne/providers/Microsoft.DevTestLab/labs/Partner-NorthEurope";

/// Runs the binary with `args` and extra environment, outside any configuration or pipeline:
/// `home` is its home, working directory and root of the XDG directories, so that nothing of
/// the user's (a `factory.toml`, `read_only = true`, a cache) changes the result.
pub fn run_bin_in(
    home: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_imagefactory"));
    for name in [
        "IMAGEFACTORY_CONFIG",
        "IMAGEFACTORY_ENDPOINT",
        "IMAGEFACTORY_AUTH",
        "IMAGEFACTORY_STATE_DIR",
        "TF_BUILD",
        "GITHUB_ACTIONS",
        "NO_COLOR",
    ] {
        command.env_remove(name);
    }
    let dir = |name: &str| home.join(name);
    command
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", dir("config"))
        .env("XDG_STATE_HOME", dir("state"))
        .env("XDG_CACHE_HOME", dir("cache"))
        .env("XDG_DATA_HOME", dir("data"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(home)
        .output()
        .expect("the binary runs")
}

/// `imagefactory sim` running in the background, and the environment it printed.
pub struct Emulator {
    child: Child,
    pub env: Vec<(String, String)>,
}

impl Emulator {
    pub fn start(extra: &[&str]) -> Emulator {
        let mut child = Command::new(env!("CARGO_BIN_EXE_imagefactory"))
            .arg("sim")
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("imagefactory sim starts");
        let stdout = child.stdout.take().unwrap();
        let mut env = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let (name, value) = line
                .strip_prefix("export ")
                .and_then(|l| l.split_once('='))
                .expect("export lines come first");
            env.push((name.to_string(), value.to_string()));
            if env.len() == 4 {
                break;
            }
        }
        Emulator { child, env }
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[])
    }

    pub fn run_with(&self, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let mut env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        env.extend_from_slice(extra);
        let home = tempfile::tempdir().unwrap();
        run_bin_in(home.path(), args, &env)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies the folder `from` to `to`, whole.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A temporary folder whose path has the same length on every machine, whatever `TMPDIR` says:
/// a screen laid out with it (a snapshot that shows it as `[dir]`) does not change with the
/// machine's temporary folder.
pub fn fixed_length_tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("imagefactory-")
        .rand_bytes(8)
        .tempdir_in("/tmp")
        .expect("a folder in /tmp")
}
