//! Builds end to end: the binary runs `build`, `resume` against the emulator (in this process,
//! over loopback, with the real client and credential), and the tests look at what the
//! emulator's world holds afterwards: images where they belong and nowhere else, the catalogue,
//! no VM, blob or disk access left behind.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use imagefactory::config;
use imagefactory::factory::builder::journal::{self, Event, RunState, Stage};
use imagefactory::sim::{Fault, FaultPlan, FaultRule, SimHandle, SimOptions};

const BIN: &str = env!("CARGO_BIN_EXE_imagefactory");
const FACTORY_SUB: &str = "0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01";
/// The VM the sample world's factory lab holds before any build.
const STANDING_VM: &str = "factory-build-01";

/// A home for the binary (config, state), a copy of the sample factory with extra settings,
/// and the emulator.
struct Bench {
    home: tempfile::TempDir,
    config: PathBuf,
    sim: SimHandle,
}

impl Bench {
    /// The sample factory with `extra` appended to its factory.toml, against an emulator with
    /// `options`.
    async fn new(options: SimOptions, extra: &str) -> Bench {
        let home = tempfile::tempdir().unwrap();
        let factory = home.path().join("factory");
        common::copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/factory"),
            &factory,
        );
        let config = factory.join("factory.toml");
        let mut text = std::fs::read_to_string(&config).unwrap();
        text.push_str(extra);
        std::fs::write(&config, text).unwrap();
        let sim = common::start(common::demo_world(), options).await;
        Bench { home, config, sim }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        for name in [
            "IMAGEFACTORY_CONFIG",
            "IMAGEFACTORY_STATE_DIR",
            "TF_BUILD",
            "GITHUB_ACTIONS",
        ] {
            command.env_remove(name);
        }
        let home = self.home.path();
        command
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .envs(self.sim.exports())
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .current_dir(home);
        command
    }

    /// Runs the binary to its end (on a blocking thread: the emulator serves on this runtime).
    async fn run(&self, args: &[&str]) -> Output {
        let mut command = self.command(args);
        tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap()
    }

    /// Replaces `from` with `to` in `file` of the bench's factory (`factory.toml`, or
    /// `images/...`), as a person editing it would; `from` must be there.
    fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.config.parent().unwrap().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} holds {from}");
        std::fs::write(&path, text.replace(from, to)).unwrap();
    }

    fn journal_dir(&self) -> PathBuf {
        self.home.path().join("state/imagefactory/runs")
    }

    fn run_state(&self) -> RunState {
        let (_, path) = journal::list(&self.journal_dir())
            .into_iter()
            .next()
            .expect("a journal");
        RunState::fold(&journal::read(&path).unwrap()).expect("a run")
    }

    /// Labs (by name) holding an image tagged with `run`, with the image's name.
    fn images_of(&self, run: &str) -> BTreeSet<(String, String)> {
        self.sim.with_world(|w| {
            w.labs()
                .flat_map(|(_, l)| {
                    l.images
                        .iter()
                        .filter(|i| {
                            i.tags
                                .as_ref()
                                .and_then(|t| t.get("ImageFactoryRun"))
                                .is_some_and(|r| r == run)
                        })
                        .map(|i| (l.lab.name.clone(), i.name.clone()))
                })
                .collect()
        })
    }

    fn factory_vms(&self) -> Vec<String> {
        self.sim.with_world(|w| {
            w.subscription(FACTORY_SUB)
                .unwrap()
                .lab("rg-imagefactory", "ImageFactory")
                .unwrap()
                .vms
                .iter()
                .map(|v| v.name.clone())
                .collect()
        })
    }

    /// Blobs per container, over every account: (account, container, blob).
    fn blobs(&self) -> Vec<(String, String, String)> {
        self.sim.with_world(|w| {
            w.storage
                .iter()
                .flat_map(|(account, store)| {
                    store.containers.iter().flat_map(move |(c, blobs)| {
                        blobs
                            .keys()
                            .map(move |b| (account.clone(), c.clone(), b.clone()))
                    })
                })
                .collect()
        })
    }

    /// Changes the factory lab's catalogue (its blobs by name), as another tool would.
    fn with_catalogue<R>(
        &self,
        f: impl FnOnce(&mut std::collections::BTreeMap<String, imagefactory::sim::world::Blob>) -> R,
    ) -> R {
        self.sim.change_world(|w| {
            f(w.storage
                .entry("aimagefactory".into())
                .or_default()
                .containers
                .entry("imagefactoryvhds".into())
                .or_default())
        })
    }

    fn nothing_left_behind(&self) {
        assert_eq!(self.factory_vms(), [STANDING_VM], "no build VM is left");
        let staged: Vec<_> = self
            .blobs()
            .into_iter()
            .filter(|(_, c, _)| c == "uploads")
            .collect();
        assert!(staged.is_empty(), "staging blobs left: {staged:?}");
        assert!(
            self.sim.with_world(|w| w.disk_grants.is_empty()),
            "disk access left granted"
        );
    }
}

fn fast_with(faults: &str) -> SimOptions {
    SimOptions {
        faults: FaultPlan::parse(faults).unwrap(),
        ..common::fast()
    }
}

fn text(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The sample's one Generation 2 definition: a build of everything leaves it out (the VHD way
/// cannot carry it).
const GENERATION_2: &str = "win11/dev";

/// (lab, path) pairs the sample configuration asks for, without the labs that refuse writes
/// and the Generation 2 definition.
fn expected_targets(config: &config::FactoryConfig) -> BTreeSet<(String, String)> {
    let mut pairs = BTreeSet::new();
    for definition in config
        .images
        .iter()
        .filter(|d| d.path.as_str() != GENERATION_2)
    {
        for lab in config.labs.iter().filter(|l| l.receives(&definition.path)) {
            if lab.lab.name != "Partner-NorthEurope" {
                pairs.insert((lab.lab.name.clone(), definition.path.to_string()));
            }
        }
    }
    pairs
}

#[tokio::test(flavor = "multi_thread")]
async fn build_all_lands_every_image_where_it_is_subscribed_and_only_there() {
    let bench = Bench::new(common::fast(), "").await;
    let output = bench.run(&["build", "--all", "--json"]).await;
    // The read-only partner lab cannot take images: the run is complete everywhere else, and
    // says it is partial.
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("will not reach Partner-NorthEurope"),
        "{}",
        text(&output)
    );
    let state: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON state");
    let run = state["run"].as_str().unwrap().to_string();
    let config = config::load(&bench.config).unwrap();
    let images = state["images"].as_array().unwrap();
    assert_eq!(images.len(), config.images.len() - 1);
    assert!(
        String::from_utf8_lossy(&output.stderr).contains(&format!(
            "{GENERATION_2} is not built: the base image MicrosoftWindowsDesktop/windows-11/win11-23h2-ent is Generation 2"
        )),
        "{}",
        text(&output)
    );
    assert!(images.iter().all(|i| i["stage"] == "done"), "{state:#}");

    // Every subscribed lab got exactly its images, named as planned, and no other lab did.
    let names: std::collections::BTreeMap<String, String> = images
        .iter()
        .map(|i| {
            (
                i["path"].as_str().unwrap().to_string(),
                i["image_name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = expected_targets(&config)
        .into_iter()
        .map(|(lab, path)| (lab, names[&path].clone()))
        .collect();
    assert_eq!(bench.images_of(&run), expected);

    // The catalogue holds one VHD per image with its metadata; nothing else is left.
    let catalogue = bench.sim.with_world(|w| {
        w.storage["aimagefactory"].containers["imagefactoryvhds"]
            .iter()
            .map(|(name, blob)| (name.clone(), blob.metadata.clone()))
            .collect::<Vec<_>>()
    });
    assert_eq!(catalogue.len(), config.images.len() - 1);
    for (name, metadata) in &catalogue {
        assert_eq!(metadata["runid"], run);
        assert_eq!(format!("{}.vhd", metadata["imagename"]), *name);
        assert!(names.values().any(|n| *n == metadata["imagename"]));
        assert_eq!(metadata["definitionhash"].len(), 16);
    }
    bench.nothing_left_behind();

    // Each image carries the run, its path and its definition hash, and the run's author.
    bench.sim.with_world(|w| {
        for (_, lab) in w.labs() {
            for image in lab.images.iter().filter(|i| {
                i.tags
                    .as_ref()
                    .is_some_and(|t| t.get("ImageFactoryRun") == Some(&run))
            }) {
                let tags = image.tags.as_ref().unwrap();
                assert!(tags.contains_key("ImagePath"));
                assert_eq!(tags["ImageFactoryDefinition"].len(), 16);
                // The exact base built (`latest` resolved) and its generation, from Compute.
                assert_eq!(tags["ImageFactoryGeneration"], "V1");
                assert!(
                    tags["ImageFactoryBase"].ends_with("/2024.11.12"),
                    "{tags:?}"
                );
                assert_eq!(
                    image.properties.provisioning_state.as_deref(),
                    Some("Succeeded")
                );
                let vhd = image.properties.vhd.as_ref().expect("made from a VHD");
                assert!(
                    !vhd.image_name.as_deref().unwrap().contains("sig="),
                    "no SAS kept"
                );
            }
        }
    });

    // watch replays it and exits as the build did: done, but a lab was left out.
    let watched = bench.run(&["watch", &run]).await;
    assert_eq!(watched.status.code(), Some(3), "{}", text(&watched));
    assert!(
        String::from_utf8_lossy(&watched.stderr)
            .contains("left out: Win2016/Datacenter → Partner-NorthEurope"),
        "{}",
        text(&watched)
    );

    // The journal folds to the same state, and holds no secret.
    let folded = bench.run_state();
    assert!(folded.images.iter().all(|i| i.stage == Stage::Done));
    assert!(
        folded
            .images
            .iter()
            .all(|i| i.resources.iter().all(|r| matches!(
                r,
                journal::Resource::CatalogueBlob { .. } | journal::Resource::Image { .. }
            )))
    );
    let raw = std::fs::read_to_string(journal::path_of(&bench.journal_dir(), &folded.run)).unwrap();
    for secret in ["sig=", "password", "accessSAS"] {
        assert!(!raw.contains(secret), "the journal holds {secret}");
    }
}

/// A generalize that could never come must not be waited for: a short `generalize_timeout`
/// makes a client that waits for it fail with `Timeout` instead of the artifact's words.
const SHORT_GENERALIZE: &str = "\n[build]\ngeneralize_timeout = \"20s\"\n";

/// A failing artifact fails its image with the artifact's own words, whichever way DevTest Labs
/// reports the VM (see `sim::world::FailedVmShape` for Microsoft's sources), and leaves no VM.
async fn a_failing_artifact_fails_its_image(shape: &str) {
    let bench = Bench::new(
        fast_with(&format!("artifact=windows-vscode,artifact-vm={shape}")),
        SHORT_GENERALIZE,
    )
    .await;
    let output = bench
        .run(&["build", "win2022/vs2022", "win2022/base", "--json"])
        .await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let state = bench.run_state();
    let image = |path: &str| state.images.iter().find(|i| i.path == path).unwrap();
    let failed = image("win2022/vs2022");
    assert_eq!(failed.stage, Stage::Failed);
    let error = failed.error.as_ref().unwrap();
    assert_eq!(error.stage, Stage::ApplyingArtifacts, "{error:?}");
    assert_eq!(error.code, "ArtifactFailed", "{error:?}");
    assert!(
        error.details.iter().any(|d| d.contains("windows-vscode")
            && d.contains("azure-cli not installed")
            && d.contains("exited with code 1")),
        "{error:?}"
    );
    if shape == "succeeded" {
        assert!(
            error
                .details
                .iter()
                .any(|d| d.contains("windows-sysprep: skipped")),
            "the skipped generalize is named: {error:?}"
        );
    }
    assert_eq!(image("win2022/base").stage, Stage::Done);
    let human = String::from_utf8_lossy(&output.stderr);
    assert!(human.contains("FAILED at applying artifacts"), "{human}");
    bench.nothing_left_behind();
    assert!(
        bench
            .images_of(state.run.as_str())
            .iter()
            .all(|(_, name)| name == &image("win2022/base").image_name),
        "the failed image reached no lab"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_artifact_under_a_vm_that_succeeded_fails_its_image_at_once() {
    a_failing_artifact_fails_its_image("succeeded").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_artifact_under_a_vm_that_failed_fails_its_image_at_once() {
    a_failing_artifact_fails_its_image("failed").await;
}

/// Artifacts still installing after the VM's PUT operation has ended are waited for: the
/// image is generalized only after every artifact succeeded, and a failure among them is still
/// the artifact's (the DevTest Labs pipeline task waits for them the same way).
#[tokio::test(flavor = "multi_thread")]
async fn artifacts_installing_after_the_vm_operation_ended_are_followed_to_their_end() {
    let bench = Bench::new(
        fast_with("vm-operation=created,artifact=windows-vscode"),
        SHORT_GENERALIZE,
    )
    .await;
    let output = bench
        .run(&["build", "win2022/vs2022", "win2022/base", "--json"])
        .await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let state = bench.run_state();
    let image = |path: &str| state.images.iter().find(|i| i.path == path).unwrap();
    let error = image("win2022/vs2022").error.clone().unwrap();
    assert_eq!(error.code, "ArtifactFailed", "{error:?}");
    let base = image("win2022/base");
    assert_eq!(base.stage, Stage::Done);
    // Generalizing began only once every artifact was applied.
    let (_, path) = journal::list(&bench.journal_dir())
        .into_iter()
        .next()
        .unwrap();
    let lines = journal::read(&path).unwrap();
    let mut applied_before_generalizing = None;
    for line in &lines {
        match &line.event {
            Event::Artifacts {
                image,
                applied,
                total,
                ..
            } if *image == base.image_name => {
                applied_before_generalizing = Some((*applied, *total))
            }
            Event::Stage {
                image,
                stage: Stage::Generalizing,
            } if *image == base.image_name => break,
            _ => {}
        }
    }
    let (applied, total) = applied_before_generalizing.expect("artifact progress was recorded");
    assert_eq!(
        applied, total,
        "generalizing began with artifacts still to apply"
    );
    bench.nothing_left_behind();
}

/// A VM that Compute will not make (a quota, a size the region lacks) fails its image with
/// ARM's own code and words, read from the PUT's `Azure-AsyncOperation`, not "VM failed".
#[tokio::test(flavor = "multi_thread")]
async fn a_vm_compute_will_not_make_fails_its_image_with_arms_words() {
    for (fault, code, words) in [
        (
            "quota",
            "OperationNotAllowed",
            "exceeding approved standardDSv5Family Cores quota",
        ),
        (
            "sku",
            "SkuNotAvailable",
            "is currently not available in location",
        ),
    ] {
        let bench = Bench::new(fast_with(&format!("vm-create={fault}")), "").await;
        let output = bench.run(&["build", "win2022/base", "--json"]).await;
        assert_ne!(output.status.code(), Some(0), "{}", text(&output));
        let state = bench.run_state();
        let error = state.images[0].error.clone().expect("the image failed");
        assert_eq!(error.stage, Stage::CreatingVm, "{error:?}");
        assert_eq!(error.code, code, "{error:?}");
        assert!(error.message.contains(words), "{error:?}");
        bench.nothing_left_behind();
    }
}

/// DevTest Labs answers a `stop` with 409 Conflict while it is deallocating the VM already:
/// the build waits for the deallocation instead of failing.
#[tokio::test(flavor = "multi_thread")]
async fn a_stop_refused_while_the_vm_is_deallocating_is_waited_out() {
    let bench = Bench::new(fast_with("stop=conflict"), "").await;
    let output = bench.run(&["build", "win2022/base"]).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let state = bench.run_state();
    assert_eq!(
        state.images[0].stage,
        Stage::Done,
        "{:?}",
        state.images[0].error
    );
    bench.nothing_left_behind();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_capture_fails_the_image_and_cleans_up() {
    let bench = Bench::new(fast_with("capture=fail"), "").await;
    let output = bench.run(&["build", "win2022/base"]).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let state = bench.run_state();
    let error = state.images[0].error.clone().unwrap();
    assert_eq!(error.stage, Stage::Capturing);
    assert_eq!(error.code, "InternalDiskManagementError");
    assert!(String::from_utf8_lossy(&output.stdout).contains("InternalDiskManagementError"));
    bench.nothing_left_behind();
    assert!(bench.images_of(state.run.as_str()).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_copy_times_out_the_other_labs_still_get_the_image() {
    let bench = Bench::new(
        fast_with("copy=stall,copy-into=aqawesteurope"),
        "\n[build]\ncopy_timeout = \"2s\"\n",
    )
    .await;
    let started = Instant::now();
    let output = bench.run(&["build", "win2022/base"]).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(started.elapsed() < Duration::from_secs(60));
    let state = bench.run_state();
    let image = &state.images[0];
    assert_eq!(image.stage, Stage::Failed);
    let qa = image
        .targets
        .iter()
        .find(|t| t.lab.ends_with("QA-WestEurope"))
        .unwrap();
    let Some(journal::TargetOutcome::Failed { error }) = &qa.outcome else {
        panic!("{qa:?}")
    };
    assert_eq!(error.code, "Timeout");
    assert!(error.message.contains("copy_timeout"), "{error:?}");
    let labs: BTreeSet<String> = bench
        .images_of(state.run.as_str())
        .into_iter()
        .map(|(lab, _)| lab)
        .collect();
    assert_eq!(
        labs,
        BTreeSet::from(["Dev-WestEurope".to_string(), "Eng-WestEurope".to_string()])
    );
    bench.nothing_left_behind();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_storm_while_polling_is_waited_out() {
    let bench = Bench::new(common::fast(), "").await;
    // Every look at the build VM and at copies is throttled for a while.
    for path in ["/virtualmachines/", "/instanceview", "/blob/"] {
        bench.sim.inject(FaultRule {
            method: Some("GET".into()),
            path_contains: path.into(),
            fault: Fault::Throttle {
                retry_after: "0".into(),
            },
            times: 15,
        });
    }
    let output = bench.run(&["build", "win2022/base"]).await;
    // 3 only for the read-only partner lab; the run itself is done.
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let state = bench.run_state();
    assert_eq!(state.outcome, Some(journal::RunOutcome::Done));
    assert_eq!(state.images[0].stage, Stage::Done);
    bench.nothing_left_behind();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_in_another_region_is_a_plan_error_and_nothing_is_created() {
    let bench = Bench::new(common::recording(), "").await;
    common::change_lab(
        &bench.sim,
        "7c4d2e9a-5b3f-4a61-9e0d-2f8b6c1a4e02",
        "rg-eng-we",
        "Eng-WestEurope",
        |lab| lab.lab.location = Some("eastus".into()),
    );
    let output = bench.run(&["build", "win2022/base"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("target lab Eng-WestEurope is in eastus, the factory lab in westeurope"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was created"), "{stderr}");
    let writes: Vec<_> = bench
        .sim
        .recorded()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    assert!(!bench.journal_dir().exists(), "no run was started");
}

/// The build VM goes in the factory lab's subnet that allows VM creation, with a public IP
/// only where that subnet allows one, on the disk type of `[build] storage_type` (Standard by
/// default, as the original factory's golden-image templates send it): see
/// `factory::builder::network` for Microsoft's sources.
#[tokio::test(flavor = "multi_thread")]
async fn the_build_vm_is_made_in_the_labs_usable_subnet_on_the_configured_disk() {
    let bench = Bench::new(
        common::recording(),
        "\n[build]\nstorage_type = \"StandardSSD\"\n",
    )
    .await;
    common::change_lab(
        &bench.sim,
        FACTORY_SUB,
        "rg-imagefactory",
        "ImageFactory",
        |lab| {
            let mut closed = imagefactory::sim::world::default_network(lab);
            closed.name = "Closed".into();
            closed.id = format!("{}/virtualnetworks/closed", lab.child_prefix());
            closed.properties.subnet_overrides[0].use_in_vm_creation_permission =
                Some("Deny".into());
            let mut open = lab.networks[0].clone();
            open.properties.subnet_overrides[0].use_public_ip_address_permission =
                Some("Deny".into());
            lab.networks = vec![closed, open];
        },
    );
    let output = bench.run(&["build", "win2022/base"]).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let put = bench
        .sim
        .recorded()
        .into_iter()
        .find(|r| r.method == "PUT" && r.path.to_ascii_lowercase().contains("/virtualmachines/"))
        .expect("the build VM was created");
    let p = &put.body.unwrap()["properties"];
    assert!(
        p["labVirtualNetworkId"]
            .as_str()
            .unwrap()
            .ends_with("/labs/imagefactory/virtualnetworks/dtlimagefactory"),
        "{p}"
    );
    assert_eq!(p["labSubnetName"], "DtlImageFactorySubnet");
    // `latest` is pinned to the version Compute lists last, and the run records it.
    assert_eq!(p["galleryImageReference"]["version"], "2024.11.12");
    let state = bench.run_state();
    assert_eq!(state.images[0].base_version.as_deref(), Some("2024.11.12"));
    assert_eq!(
        state.images[0].generation,
        Some(imagefactory::factory::builder::generation::Generation::V1)
    );
    assert_eq!(p["disallowPublicIpAddress"], true);
    assert_eq!(p["storageType"], "StandardSSD");
}

/// Every SAS a build signs allows only what its call needs (no `l` on a blob, no `d` on a
/// copy), lives as long as the copy it serves at most, and allows plain HTTP only because the
/// emulator is on this machine.
#[tokio::test(flavor = "multi_thread")]
async fn every_sas_a_build_signs_is_the_least_it_can_be() {
    let bench = Bench::new(common::recording(), "").await;
    let output = bench.run(&["build", "win2022/base"]).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let signed: Vec<_> = bench
        .sim
        .recorded()
        .into_iter()
        .filter(|r| r.path.starts_with("/blob/") && !r.path.starts_with("/blob/md-impexp"))
        .filter_map(|r| {
            let query: std::collections::HashMap<String, String> =
                url::form_urlencoded::parse(r.query.as_deref()?.as_bytes())
                    .into_owned()
                    .collect();
            query
                .contains_key("sig")
                .then_some((r.method, r.path, query))
        })
        .collect();
    assert!(signed.len() > 10, "{signed:?}");
    let parse = |t: &str| {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).unwrap()
    };
    for (method, path, q) in &signed {
        let sp = q["sp"].as_str();
        let allowed = match (q.get("sr").map(String::as_str), method.as_str()) {
            (Some("b"), "PUT" | "HEAD" | "GET") => ["r", "rw"].contains(&sp),
            (Some("b"), "DELETE") => sp == "rd",
            (Some("c"), _) => sp == "l",
            (None, "PUT") => sp == "wc", // an account SAS that makes a container
            _ => false,
        };
        assert!(allowed, "{method} {path} with sp={sp}");
        assert_eq!(q["spr"], "https,http", "{path}");
        let lifetime = parse(&q["se"]) - parse(&q["st"]);
        // The default copy timeout (3 h), ten minutes for clocks, five before now.
        assert!(
            lifetime <= time::Duration::minutes(3 * 60 + 15),
            "{path}: {lifetime}"
        );
    }
}

/// Storage accounts of every lab of the sample world, by name.
fn lab_accounts(bench: &Bench) -> Vec<String> {
    bench.sim.with_world(|w| {
        w.labs()
            .filter_map(|(_, l)| {
                let id = l.lab.properties.default_storage_account.as_deref()?;
                Some(id.rsplit('/').next()?.to_ascii_lowercase())
            })
            .collect()
    })
}

/// Accounts that forbid shared keys (`allowSharedKeyAccess: false`) refuse every key-signed
/// SAS: the build reaches them with Entra ID (a bearer on each call, a user delegation SAS for
/// copy sources), and the image lands where it would with keys.
#[tokio::test(flavor = "multi_thread")]
async fn a_factory_whose_accounts_forbid_shared_keys_builds_and_distributes() {
    let bench = Bench::new(common::fast(), "").await;
    for account in lab_accounts(&bench) {
        bench.sim.change_world(|w| {
            w.storage.entry(account).or_default().forbid_shared_key = true;
        });
    }
    let output = bench.run(&["build", "win2022/base", "--json"]).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let state = bench.run_state();
    assert_eq!(
        state.images[0].stage,
        Stage::Done,
        "{:?}",
        state.images[0].error
    );
    let labs: BTreeSet<String> = bench
        .images_of(state.run.as_str())
        .into_iter()
        .map(|(lab, _)| lab)
        .collect();
    assert_eq!(
        labs,
        BTreeSet::from([
            "Dev-WestEurope".to_string(),
            "Eng-WestEurope".to_string(),
            "QA-WestEurope".to_string()
        ])
    );
    bench.nothing_left_behind();

    // Asked to use keys there, the build says why it cannot and what to set.
    let keys = Bench::new(common::fast(), "\n[build]\nstorage_auth = \"keys\"\n").await;
    for account in lab_accounts(&keys) {
        keys.sim.change_world(|w| {
            w.storage.entry(account).or_default().forbid_shared_key = true;
        });
    }
    let output = keys.run(&["build", "win2022/base"]).await;
    assert_ne!(output.status.code(), Some(0), "{}", text(&output));
    let error = keys.run_state().images[0].error.clone().unwrap();
    assert!(
        error.message.contains("forbids shared keys") && error.message.contains("storage_auth"),
        "{error:?}"
    );
    keys.nothing_left_behind();
}

/// Without the data role on a lab's account, Entra ID calls are refused: that lab fails with
/// the role to grant, and the others still get the image.
#[tokio::test(flavor = "multi_thread")]
async fn a_lab_account_without_the_data_role_names_the_role_to_grant() {
    let bench = Bench::new(common::fast(), "\n[build]\nstorage_auth = \"entra\"\n").await;
    bench.sim.change_world(|w| {
        w.storage
            .entry("aqawesteurope".into())
            .or_default()
            .deny_data_access = true;
    });
    let output = bench.run(&["build", "win2022/base"]).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let state = bench.run_state();
    let qa = state.images[0]
        .targets
        .iter()
        .find(|t| t.lab.ends_with("QA-WestEurope"))
        .unwrap();
    let Some(journal::TargetOutcome::Failed { error }) = &qa.outcome else {
        panic!("{qa:?}")
    };
    assert!(
        error.message.contains("Storage Blob Data Contributor"),
        "{error:?}"
    );
    let labs: BTreeSet<String> = bench
        .images_of(state.run.as_str())
        .into_iter()
        .map(|(lab, _)| lab)
        .collect();
    assert_eq!(
        labs,
        BTreeSet::from(["Dev-WestEurope".to_string(), "Eng-WestEurope".to_string()])
    );
}

/// `check` finds the missing data role before a build does, with reads only: where the account
/// forbids shared keys, a listing with Entra ID is refused.
#[tokio::test(flavor = "multi_thread")]
async fn check_names_the_data_role_missing_on_an_account_without_shared_keys() {
    let bench = Bench::new(common::recording(), "").await;
    bench.sim.change_world(|w| {
        let qa = w.storage.entry("aqawesteurope".into()).or_default();
        qa.forbid_shared_key = true;
        qa.deny_data_access = true;
    });
    let output = bench.run(&["check", "--json"]).await;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let found = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["subject"] == "lab QA-WestEurope")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(found["level"], "error");
    assert_eq!(
        found["fix"],
        "grant the identity Storage Blob Data Contributor on storage account aqawesteurope"
    );
    assert!(
        bench
            .sim
            .recorded()
            .iter()
            .all(|r| r.method == "GET" || r.method == "HEAD"),
        "check only reads"
    );
}

/// A Generation 2 base cannot go the VHD way (a custom image from a VHD carries no generation
/// and would not boot): asked for by name, the plan says why and creates nothing.
#[tokio::test(flavor = "multi_thread")]
async fn the_plan_of_a_generation_2_definition_says_why_it_cannot_go_the_vhd_way() {
    let bench = Bench::new(common::recording(), "").await;
    let output = bench.run(&["build", GENERATION_2, "--plan"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let said = text(&output);
    assert!(
        said.contains("the base image MicrosoftWindowsDesktop/windows-11/win11-23h2-ent is Generation 2 (hyperVGeneration V2, version 2024.11.12): a DevTest Labs custom image made from a VHD carries no generation and would not boot; choose a Generation 1 SKU"),
        "{said}"
    );
    assert!(bench.sim.recorded().iter().all(|r| r.method == "GET"));
}

/// A factory lab with no subnet that allows VM creation, and Premium disks for a size that
/// cannot have them, are plan errors (and `check` errors) before anything is created.
#[tokio::test(flavor = "multi_thread")]
async fn no_usable_subnet_and_premium_on_a_size_without_it_are_plan_errors() {
    let bench = Bench::new(
        common::recording(),
        "\n[build]\nstorage_type = \"Premium\"\n",
    )
    .await;
    let definition = bench
        .config
        .parent()
        .unwrap()
        .join("images/win2022/base.toml");
    let written = std::fs::read_to_string(&definition).unwrap();
    std::fs::write(&definition, format!("size = \"Standard_D4_v5\"\n{written}")).unwrap();
    common::change_lab(
        &bench.sim,
        FACTORY_SUB,
        "rg-imagefactory",
        "ImageFactory",
        |lab| {
            lab.networks[0].properties.subnet_overrides[0].use_in_vm_creation_permission =
                Some("Deny".into());
        },
    );
    let output = bench.run(&["build", "win2022/base", "--plan"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let said = text(&output);
    assert!(
        said.contains("no subnet of the lab ImageFactory's virtual networks (DtlImageFactory) allows VM creation"),
        "{said}"
    );
    assert!(
        said.contains("the VM size Standard_D4_v5 cannot use Premium disks"),
        "{said}"
    );
    let check = bench.run(&["check", "--json"]).await;
    let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["subject"] == "factory lab ImageFactory"
                && f["problem"]
                    .as_str()
                    .unwrap()
                    .starts_with("no build VM can be created: no subnet")),
        "{report}"
    );
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["subject"] == "image win2022/base"
                && f["problem"]
                    .as_str()
                    .unwrap()
                    .starts_with("the VM size Standard_D4_v5 cannot use Premium disks")),
        "check finds what the plan refuses: {report}"
    );
    assert!(bench.sim.recorded().iter().all(|r| r.method == "GET"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_factory_labs_vm_limit_is_a_plan_error() {
    let bench = Bench::new(common::fast(), "").await;
    common::change_lab(
        &bench.sim,
        FACTORY_SUB,
        "rg-imagefactory",
        "ImageFactory",
        |lab| lab.vm_limit = Some(1),
    );
    let output = bench.run(&["build", "--plan", "win2022/base"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("allows 1 VMs and has 1"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_plan_names_what_it_will_make_and_creates_nothing() {
    let bench = Bench::new(common::recording(), "").await;
    let output = bench.run(&["build", "--plan", "--all", "--json"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let vs = plan["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == "win2022/vs2022")
        .unwrap();
    assert_eq!(vs["vm_size"], "Standard_D8s_v5");
    let artifacts: Vec<&str> = vs["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        artifacts,
        [
            "Public Repo/windows-chocolatey",
            "Public Repo/windows-vscode",
            "Public Repo/windows-sysprep"
        ]
    );
    assert!(vs["vm_name"].as_str().unwrap().len() <= 15);
    assert!(
        plan["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["lab"] == "Partner-NorthEurope")
    );
    assert!(
        bench.sim.recorded().iter().all(|r| r.method == "GET"),
        "a plan only reads"
    );
}

/// Waits until the journal of the only run has a line for which `until` holds.
async fn wait_for_line(bench: &Bench, until: impl Fn(&Event) -> bool) -> RunState {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some((_, path)) = journal::list(&bench.journal_dir()).into_iter().next()
            && let Ok(lines) = journal::read(&path)
            && lines.iter().any(|l| until(&l.event))
        {
            return RunState::fold(&lines).unwrap();
        }
        if Instant::now() > deadline {
            let mut said = String::new();
            for entry in std::fs::read_dir(bench.journal_dir())
                .into_iter()
                .flatten()
                .flatten()
            {
                said.push_str(&format!(
                    "--- {}\n{}\n",
                    entry.path().display(),
                    std::fs::read_to_string(entry.path()).unwrap_or_default()
                ));
            }
            panic!("the run never got there:\n{said}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_detached_run_killed_mid_distribution_resumes_without_duplicates() {
    // Slow enough that distribution lasts a few seconds.
    let options = SimOptions {
        speed: 100.0,
        record: true,
        ..SimOptions::default()
    };
    let bench = Bench::new(options, "").await;
    let output = bench.run(&["build", "--detach", "win2022/base"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("imagefactory watch"), "{said}");
    let state = wait_for_line(
        &bench,
        |e| matches!(e, Event::Copy { lab: Some(_), percent, .. } if *percent > 0),
    )
    .await;
    assert_ne!(state.pid, std::process::id());
    // On a shared machine, the journal and the run's log are this user's alone.
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = bench.journal_dir();
        assert_eq!(mode(&dir), 0o700, "the runs folder");
        let run = state.run.as_str();
        assert_eq!(
            mode(&dir.join(format!("{run}.jsonl"))),
            0o600,
            "the journal"
        );
        assert_eq!(
            mode(&dir.join(format!("{run}.log"))),
            0o600,
            "the run's log"
        );
    }
    // kill -9: no clean-up, no last words.
    unsafe { libc::kill(state.pid as i32, libc::SIGKILL) };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let run = state.run.to_string();
    let output = bench.run(&["resume", &run]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let state = bench.run_state();
    assert_eq!(state.images[0].stage, Stage::Done);
    let labs: Vec<String> = bench
        .images_of(&run)
        .into_iter()
        .map(|(lab, _)| lab)
        .collect();
    assert_eq!(labs, ["Dev-WestEurope", "Eng-WestEurope", "QA-WestEurope"]);
    // One VM, one disk access, one catalogue copy, one copy and one image per lab: no step
    // done before the kill was done again.
    let recorded = bench.sim.recorded();
    let count = |method: &str, needle: &str| {
        recorded
            .iter()
            .filter(|r| r.method == method && r.path.to_ascii_lowercase().contains(needle))
            .count()
    };
    assert_eq!(count("PUT", "/virtualmachines/"), 1);
    assert_eq!(count("POST", "/begingetaccess"), 1);
    assert_eq!(count("PUT", "/imagefactoryvhds/"), 1);
    assert_eq!(count("PUT", "/uploads/"), 3);
    assert_eq!(count("PUT", "/customimages/"), 3);
    bench.nothing_left_behind();
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_the_run_and_removes_what_it_made() {
    let options = SimOptions {
        speed: 100.0,
        ..SimOptions::default()
    };
    let bench = Bench::new(options, "").await;
    let mut command = bench.command(&["build", "win2022/base", "ubuntu2404/base"]);
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_line(&bench, |e| {
        matches!(
            e,
            Event::Stage {
                stage: Stage::Capturing,
                ..
            }
        )
    })
    .await;
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let state = bench.run_state();
    assert!(state.cancel_asked.is_some());
    assert!(
        state.images.iter().all(|i| i.stage == Stage::Cancelled),
        "{:?}",
        state.images.iter().map(|i| i.stage).collect::<Vec<_>>()
    );
    bench.nothing_left_behind();
    assert!(bench.images_of(state.run.as_str()).is_empty());
    let catalogue = bench.blobs();
    assert!(
        catalogue.iter().all(|(_, c, _)| c != "imagefactoryvhds"),
        "no half-copied VHD stays in the catalogue: {catalogue:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_stops_a_detached_run_and_runs_and_watch_tell_how_it_ended() {
    let options = SimOptions {
        speed: 100.0,
        ..SimOptions::default()
    };
    let bench = Bench::new(options, "").await;
    let output = bench
        .run(&["build", "--detach", "--json", "win2022/base"])
        .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    // A pipeline reads what it started from JSON, not prose.
    let started: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(started["pid"].as_u64().is_some(), "{started}");
    let journal = std::path::PathBuf::from(started["journal"].as_str().unwrap());
    assert!(journal.is_file(), "{started}");
    assert!(
        started["log"].as_str().unwrap().ends_with(".log"),
        "{started}"
    );
    let state = wait_for_line(&bench, |e| {
        matches!(
            e,
            Event::Stage {
                stage: Stage::Capturing,
                ..
            }
        )
    })
    .await;
    let run = state.run.to_string();
    assert_eq!(started["run"], run.as_str());
    let listed = bench.run(&["runs", "--local", "--json"]).await;
    let rows: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(rows[0]["run"], run.as_str());
    assert_eq!(rows[0]["state"], "running", "{rows:#}");

    let output = bench.run(&["cancel", &run]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let state = bench.run_state();
    assert_eq!(state.outcome, Some(journal::RunOutcome::Cancelled));
    assert_eq!(state.images[0].stage, Stage::Cancelled);
    bench.nothing_left_behind();

    let listed = bench.run(&["runs", "--local", "--json"]).await;
    let rows: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(rows[0]["state"], "finished");
    assert_eq!(rows[0]["outcome"], "cancelled");
    // watch replays a finished run and exits as it ended.
    let watched = bench.run(&["watch", &run]).await;
    assert_eq!(watched.status.code(), Some(1), "{}", text(&watched));
    let said = String::from_utf8_lossy(&watched.stdout);
    assert!(said.contains("win2022/base: capturing"), "{said}");
    assert!(said.contains("run finished: cancelled"), "{said}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_of_a_run_whose_process_died_cleans_up_itself() {
    let options = SimOptions {
        speed: 100.0,
        ..SimOptions::default()
    };
    let bench = Bench::new(options, "").await;
    let output = bench.run(&["build", "--detach", "win2022/base"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let state = wait_for_line(&bench, |e| {
        matches!(
            e,
            Event::Stage {
                stage: Stage::ApplyingArtifacts,
                ..
            }
        )
    })
    .await;
    unsafe { libc::kill(state.pid as i32, libc::SIGKILL) };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let run = state.run.to_string();
    let listed = bench.run(&["runs", "--local", "--json"]).await;
    let rows: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(rows[0]["state"], "stopped", "{rows:#}");
    let output = bench.run(&["cancel", &run]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(
        bench.run_state().outcome,
        Some(journal::RunOutcome::Cancelled)
    );
    bench.nothing_left_behind();
}

#[tokio::test(flavor = "multi_thread")]
async fn clean_removes_what_a_dead_run_left_and_never_an_ignored_vm() {
    let options = SimOptions {
        speed: 100.0,
        ..SimOptions::default()
    };
    let bench = Bench::new(options, "").await;
    let output = bench
        .run(&["build", "--detach", "win2022/base", "ubuntu2404/base"])
        .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    // Killed while capturing: the VM stands, its disk's read access is granted, a copy into the
    // catalogue is half done.
    let state = wait_for_line(
        &bench,
        |e| matches!(e, Event::Copy { lab: None, percent, .. } if *percent > 0),
    )
    .await;
    unsafe { libc::kill(state.pid as i32, libc::SIGKILL) };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(bench.sim.with_world(|w| !w.disk_grants.is_empty()));
    // Someone keeps one build VM for a look inside.
    let kept = state.images[1].vm_name.clone();
    common::change_lab(
        &bench.sim,
        FACTORY_SUB,
        "rg-imagefactory",
        "ImageFactory",
        |lab| {
            let vm = lab.vms.iter_mut().find(|v| v.name == kept).unwrap();
            vm.tags
                .get_or_insert_default()
                .insert("FactoryIgnore".into(), "alice".into());
        },
    );

    let preview = bench.run(&["clean", "--json"]).await;
    assert_eq!(preview.status.code(), Some(0), "{}", text(&preview));
    let plan: serde_json::Value = serde_json::from_slice(&preview.stdout).unwrap();
    let removes: Vec<&str> = plan["remove"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(
        removes.contains(&state.images[0].vm_name.as_str()),
        "{plan:#}"
    );
    assert!(!removes.contains(&kept.as_str()), "{plan:#}");
    assert!(
        plan["keep"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == kept.as_str()),
        "{plan:#}"
    );
    assert_eq!(bench.factory_vms().len(), 3, "the preview changes nothing");

    let output = bench.run(&["clean", "--yes"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let mut vms = bench.factory_vms();
    vms.sort();
    let mut expected = vec![STANDING_VM.to_string(), kept];
    expected.sort();
    assert_eq!(vms, expected);
    assert!(
        bench
            .blobs()
            .iter()
            .all(|(_, c, _)| c != "uploads" && c != "imagefactoryvhds"),
        "{:?}",
        bench.blobs()
    );
    let audit =
        std::fs::read_to_string(bench.home.path().join("state/imagefactory/audit.jsonl")).unwrap();
    assert!(audit.contains("\"action\":\"clean\""), "{audit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn distribute_back_fills_a_lab_added_later_from_the_catalogue() {
    let bench = Bench::new(common::fast(), "").await;
    let output = bench.run(&["build", "win2022/base", "--json"]).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let built: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let name = built["images"][0]["image_name"]
        .as_str()
        .unwrap()
        .to_string();
    // Training starts taking win2022 images.
    bench.edit(
        "factory.toml",
        "image_paths = [\"win11/dev\", \"ubuntu2404/base\"]",
        "image_paths = [\"win11/dev\", \"ubuntu2404/base\", \"win2022/base\"]",
    );

    let preview = bench.run(&["distribute"]).await;
    assert_eq!(preview.status.code(), Some(0), "{}", text(&preview));
    let said = String::from_utf8_lossy(&preview.stdout);
    assert!(said.contains(&name) && said.contains("Training"), "{said}");
    assert!(said.contains("nothing was changed"), "{said}");
    let labs_with = |name: &str| -> Vec<String> {
        bench.sim.with_world(|w| {
            w.labs()
                .filter(|(_, l)| l.images.iter().any(|i| i.name == name))
                .map(|(_, l)| l.lab.name.clone())
                .collect()
        })
    };
    let before = labs_with(&name);
    assert!(!before.contains(&"Training".to_string()));
    // The preview of one lab suggests the command for that lab.
    let preview = bench.run(&["distribute", "--lab", "Training"]).await;
    let said = String::from_utf8_lossy(&preview.stdout);
    assert!(
        said.contains("`imagefactory distribute --lab Training --yes`"),
        "{said}"
    );

    let output = bench
        .run(&["distribute", "--yes", "--lab", "Training"])
        .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let mut expected = before.clone();
    expected.push("Training".into());
    expected.sort();
    let mut after = labs_with(&name);
    after.sort();
    assert_eq!(after, expected, "only Training got it");
    // The back-filled image is the catalogue's: same definition hash, tagged by the run that
    // distributed it.
    let tags = bench.sim.with_world(|w| {
        w.labs()
            .find(|(_, l)| l.lab.name == "Training")
            .and_then(|(_, l)| l.images.iter().find(|i| i.name == name).cloned())
            .and_then(|i| i.tags)
            .unwrap()
    });
    assert_eq!(
        tags["ImageFactoryDefinition"],
        built["images"][0]["definition_hash"].as_str().unwrap()
    );
    assert_ne!(tags["ImageFactoryRun"], built["run"].as_str().unwrap());
    bench.nothing_left_behind();

    let again = bench.run(&["distribute", "--lab", "Training"]).await;
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("nothing to distribute"),
        "{}",
        text(&again)
    );
}

/// A migrating user's catalogue: the original factory's `SnapImagesFromVMs.ps1` left
/// `<guid>.vhd` with a `<guid>.json` sidecar (`imageName`, `imagePath` with backslashes and
/// `.json`, `description`, `osType`, `vhdFileName`, `timestamp`) and no blob metadata.
/// `distribute` sees those images and back-fills a lab from them.
#[tokio::test(flavor = "multi_thread")]
async fn distribute_reads_the_original_factorys_catalogue_from_its_sidecars() {
    let bench = Bench::new(common::fast(), "").await;
    let guid = "7d3f2a10-5b6c-4e8f-9a01-23456789abcd";
    let sidecar = serde_json::json!({
        "imageName": "Win2016-Datacenter-legacy",
        "imagePath": "Win2016\\Datacenter.json",
        "description": "made by the original factory",
        "osType": "Windows",
        "vhdFileName": format!("{guid}.vhd"),
        "timestamp": "11/20/2026 10:00:00 PM",
    });
    bench.with_catalogue(|container| {
        let blob = |size: u64, content: Option<Vec<u8>>| imagefactory::sim::world::Blob {
            size,
            metadata: Default::default(),
            created: time::OffsetDateTime::now_utc() - time::Duration::days(20),
            copy: None,
            content,
        };
        container.insert(format!("{guid}.vhd"), blob(127 << 30, None));
        let bytes = sidecar.to_string().into_bytes();
        container.insert(
            format!("{guid}.json"),
            blob(bytes.len() as u64, Some(bytes)),
        );
    });
    let preview = bench.run(&["distribute", "--lab", "Dev-WestEurope"]).await;
    let said = text(&preview);
    assert!(said.contains("Win2016-Datacenter-legacy"), "{said}");
    let output = bench
        .run(&["distribute", "--yes", "--lab", "Dev-WestEurope"])
        .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let image = bench.sim.with_world(|w| {
        w.labs()
            .find(|(_, l)| l.lab.name == "Dev-WestEurope")
            .and_then(|(_, l)| {
                l.images
                    .iter()
                    .find(|i| i.name == "Win2016-Datacenter-legacy")
                    .cloned()
            })
    });
    let image = image.expect("the legacy image reached the lab");
    assert_eq!(image.tags.unwrap()["ImagePath"], "Win2016/Datacenter");
    bench.nothing_left_behind();
}

#[tokio::test(flavor = "multi_thread")]
async fn retire_trims_the_catalogue_to_keep_latest_per_path() {
    let bench = Bench::new(common::fast(), "").await;
    bench.with_catalogue(|container| {
        for (n, path) in [
            (1, "win2022/base"),
            (2, "win2022/base"),
            (3, "win2022/base"),
            (4, "win2022/base"),
            (1, "win11/dev"),
        ] {
            let name = format!("{}-2026110{n}0000", path.replace('/', "-"));
            container.insert(
                format!("{name}.vhd"),
                imagefactory::sim::world::Blob {
                    size: 1024,
                    metadata: [
                        ("imagepath", path.to_string()),
                        ("imagename", name.clone()),
                        ("ostype", "Windows".into()),
                        ("runid", format!("2026110{n}t000000-0000")),
                        ("definitionhash", "0123456789abcdef".into()),
                        ("createdat", format!("2026-11-0{n}T00:00:00Z")),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
                    created: time::OffsetDateTime::now_utc(),
                    copy: None,
                    content: None,
                },
            );
        }
    });
    let preview = bench.run(&["retire", "--json"]).await;
    let doc: serde_json::Value = serde_json::from_slice(&preview.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&preview)));
    let trims = doc["catalogue"].as_array().unwrap();
    assert_eq!(trims.len(), 1, "{trims:#?}");
    assert_eq!(trims[0]["blob"], "win2022-base-202611010000.vhd");
    assert_eq!(trims[0]["remove"], true);
    assert!(trims[0]["why"].as_str().unwrap().contains("keep_latest 3"));

    let output = bench.run(&["retire", "--yes"]).await;
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("catalogue win2022-base-202611010000.vhd: removed"),
        "{}",
        text(&output)
    );
    let left: Vec<String> = bench
        .blobs()
        .into_iter()
        .filter(|(_, c, _)| c == "imagefactoryvhds")
        .map(|(_, _, b)| b)
        .collect();
    assert_eq!(left.len(), 4);
    assert!(!left.contains(&"win2022-base-202611010000.vhd".to_string()));
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_is_exact_after_a_build_and_sees_a_changed_definition() {
    use imagefactory::factory::Inventory;
    use imagefactory::factory::drift::{DriftStatus, drift};
    let bench = Bench::new(common::fast(), "").await;
    let output = bench.run(&["build", "win2022/base"]).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let client = common::client(&bench.sim);
    let config = config::load(&bench.config).unwrap();
    let inventory = Inventory::refresh(&client, Some(&config)).await.unwrap();
    let rows: Vec<_> = drift(&inventory, &config)
        .into_iter()
        .filter(|d| d.path.as_str() == "win2022/base")
        .collect();
    let of = |lab: &str| rows.iter().find(|d| d.lab.as_str().ends_with(lab)).unwrap();
    for lab in ["Dev-WestEurope", "QA-WestEurope", "Eng-WestEurope"] {
        assert_eq!(of(lab).status, DriftStatus::Newest, "{lab}");
        assert!(of(lab).exact && !of(lab).definition_changed, "{lab}");
    }
    // The read-only partner lab has only older builds (made by the original factory).
    assert_eq!(of("Partner-NorthEurope").status, DriftStatus::Outdated);

    let file = bench
        .config
        .parent()
        .unwrap()
        .join("images/win2022/base.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("corporate baseline", "corporate baseline v2"),
    )
    .unwrap();
    let config = config::load(&bench.config).unwrap();
    let changed = drift(&inventory, &config)
        .into_iter()
        .find(|d| d.path.as_str() == "win2022/base" && d.lab.as_str().ends_with("Dev-WestEurope"))
        .unwrap();
    assert!(changed.definition_changed);
}

#[tokio::test(flavor = "multi_thread")]
async fn in_a_pipeline_failures_are_annotations_and_the_plan_a_group() {
    let bench = Bench::new(fast_with("artifact=windows-vscode"), "").await;
    let mut command = bench.command(&["build", "win2022/vs2022", "win2022/base"]);
    command.env("GITHUB_ACTIONS", "true");
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    // Pipeline commands on stderr; stdout is the plan and the progress as a person reads them.
    assert!(stderr.contains("::group::plan of run"), "{stderr}");
    assert!(stderr.contains("::endgroup::"), "{stderr}");
    assert!(!stdout.contains("::"), "{stdout}");
    assert!(stdout.contains("win2022/base →"), "{stdout}");
    assert!(
        stderr.contains("::error::win2022/vs2022 failed at applying artifacts: ArtifactFailed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("::warning::win2022/base will not reach Partner-NorthEurope"),
        "{stderr}"
    );
    // The build's own reasons, all of them: no right to make images there, another region.
    let reason = stderr
        .lines()
        .find(|l| l.contains("will not reach Partner-NorthEurope"))
        .unwrap();
    assert!(
        reason.contains("may not make images in this lab")
            && reason.contains("customImages/write")
            && reason.contains("it is in northeurope"),
        "{reason}"
    );

    let mut command = bench.command(&["build", "win2022/base"]);
    command.env("TF_BUILD", "True");
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(stderr.contains("##[group]plan of run"), "{stderr}");
    assert!(
        stderr.contains("##vso[task.setprogress value=100;]images ended"),
        "{stderr}"
    );
    assert!(!stdout.contains("##"), "{stdout}");
}

/// An artifact's script that echoes its parameters (as the public artifacts' scripts log how
/// they were invoked) fails: the value of a parameter the definition marks secret is masked in
/// the journal, the JSON and what is printed.
#[tokio::test(flavor = "multi_thread")]
async fn a_secret_parameters_value_never_shows_in_a_failed_artifacts_words() {
    let bench = Bench::new(fast_with("artifact=windows-chocolatey"), SHORT_GENERALIZE).await;
    bench.edit(
        "images/win2022/vs2022.toml",
        "name = \"windows-chocolatey\"",
        "name = \"windows-chocolatey\"\nsecret = [\"packages\"]",
    );
    let output = bench.run(&["build", "win2022/vs2022", "--json"]).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let state = bench.run_state();
    let error = state.images[0].error.as_ref().unwrap();
    assert!(
        error
            .details
            .iter()
            .any(|d| d.contains("Invoked with -packages 'REDACTED'")),
        "{error:?}"
    );
    let raw = std::fs::read_to_string(journal::path_of(&bench.journal_dir(), &state.run)).unwrap();
    // (The job itself is journaled as defined, the value among its parameters, in a file
    // only its user may read.) What the artifact said is masked.
    assert!(!raw.contains("Invoked with -packages 'git"), "{raw}");
    let said = text(&output);
    assert!(!said.contains("Invoked with -packages 'git"), "{said}");
}

/// What a failing artifact's script printed reaches the pipeline's log inert: an escape
/// sequence and a pipeline command in its output (here echoed from a parameter, as scripts
/// log their arguments) do nothing, under Azure DevOps and GitHub Actions alike.
#[tokio::test(flavor = "multi_thread")]
async fn a_build_prints_an_artifacts_hostile_output_inert_in_a_pipeline() {
    let bench = Bench::new(fast_with("artifact=windows-chocolatey"), SHORT_GENERALIZE).await;
    bench.edit(
        "images/win2022/vs2022.toml",
        "packages = \"git,nodejs-lts,azure-cli\"",
        "packages = \"git\\u001b]52;c;ZWNobw==\\u0007\\n##vso[task.setvariable variable=owned]yes\\r\\n::warning::forged\"",
    );
    for pipeline in ["TF_BUILD", "GITHUB_ACTIONS"] {
        let mut command = bench.command(&["build", "win2022/vs2022"]);
        command.env(pipeline, "true");
        let output = tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap();
        assert_eq!(output.status.code(), Some(3), "{}", text(&output));
        let all = text(&output);
        assert!(all.contains("owned]yes"), "the output is shown: {all}");
        for line in all.lines() {
            assert!(
                !line.chars().any(|c| c.is_control() && c != '\t'),
                "{pipeline}: {line:?}"
            );
            assert!(
                !line.contains("##vso[task.setvariable"),
                "{pipeline}: {line}"
            );
            assert!(
                !line.trim_start().starts_with("::warning::forged"),
                "{pipeline}: {line}"
            );
        }
    }
}

/// A run cancelled after its capture removes the capture too: the catalogue must not offer
/// `distribute` an image that nobody asked to keep.
#[tokio::test(flavor = "multi_thread")]
async fn a_cancel_after_the_capture_removes_the_catalogue_vhd_too() {
    let options = SimOptions {
        speed: 100.0,
        ..SimOptions::default()
    };
    let bench = Bench::new(options, "").await;
    let output = bench.run(&["build", "--detach", "win2022/base"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let state = wait_for_line(&bench, |e| {
        matches!(
            e,
            Event::Stage {
                stage: Stage::Distributing,
                ..
            }
        )
    })
    .await;
    let vhd = format!("{}.vhd", state.images[0].image_name);
    let in_catalogue = |bench: &Bench| {
        bench
            .blobs()
            .iter()
            .any(|(_, c, b)| c == "imagefactoryvhds" && *b == vhd)
    };
    assert!(in_catalogue(&bench), "captured before the cancel");
    let run = state.run.to_string();
    let output = bench.run(&["cancel", &run]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let state = bench.run_state();
    assert_eq!(state.outcome, Some(journal::RunOutcome::Cancelled));
    assert!(!in_catalogue(&bench), "the capture went with the cancel");
    bench.nothing_left_behind();
    let raw = std::fs::read_to_string(journal::path_of(&bench.journal_dir(), &state.run)).unwrap();
    assert!(
        raw.lines()
            .any(|l| l.contains("\"removed\"") && l.contains("catalogue_blob")),
        "the journal says it was removed"
    );
}

/// `distribute` agrees with Drift: a path a lab receives, with no image there and no version
/// in the catalogue, is named with what to do, never passed over as "every lab has it".
#[tokio::test(flavor = "multi_thread")]
async fn distribute_names_what_drift_shows_missing_that_the_catalogue_cannot_fill() {
    let bench = Bench::new(common::fast(), "").await;
    // Training starts taking a path nothing has built yet.
    bench.edit(
        "factory.toml",
        "image_paths = [\"win11/dev\", \"ubuntu2404/base\"]",
        "image_paths = [\"win11/dev\", \"ubuntu2404/base\", \"win2019/sql2019\"]",
    );
    let output = bench.run(&["distribute", "--lab", "Training"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(!stdout.contains("every lab has"), "{stdout}");
    assert!(
        stderr.contains("win2019/sql2019 → Training: the lab has no image of it")
            && stderr.contains("`imagefactory build win2019/sql2019`"),
        "{stderr}"
    );
}

/// Every view says the same of a run that left labs out, the JSON names its fields and keeps
/// the runner's own state to itself, `runs` shows this machine's runs when Azure cannot be
/// read, and `resume` of an ended run says how to build again what it did not finish.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_reads_the_same_everywhere() {
    let bench = Bench::new(fast_with("artifact=windows-vscode"), SHORT_GENERALIZE).await;
    let output = bench
        .run(&["build", "win2022/base", "win2022/vs2022", "--json"])
        .await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let built: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for image in built["images"].as_array().unwrap() {
        assert!(image.get("pending").is_none(), "{image:#}");
        let artifacts = &image["artifacts"];
        assert!(
            artifacts.is_null() || artifacts["applied"].is_u64() && artifacts["total"].is_u64(),
            "{artifacts}"
        );
    }
    let run = built["run"].as_str().unwrap().to_string();

    let listed = bench.run(&["runs", "--local", "--json"]).await;
    let rows: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(rows[0]["result"], "some failed", "{rows:#}");
    assert!(
        rows[0]["left_out"]
            .as_array()
            .is_some_and(|l| !l.is_empty()),
        "{rows:#}"
    );

    // No Azure to read: this machine's runs, a word that Azure was not read, and exit 3.
    let mut command = bench.command(&["runs"]);
    command.env("IMAGEFACTORY_ENDPOINT", "http://127.0.0.1:9/");
    let offline = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert_eq!(offline.status.code(), Some(3), "{}", text(&offline));
    let said = String::from_utf8_lossy(&offline.stdout);
    assert!(
        said.contains(&run) && said.contains("some failed"),
        "{said}"
    );
    assert!(
        String::from_utf8_lossy(&offline.stderr).contains("Azure could not be read"),
        "{}",
        text(&offline)
    );

    let resumed = bench.run(&["resume", &run]).await;
    let said = String::from_utf8_lossy(&resumed.stderr);
    assert!(
        said.contains("`imagefactory build win2022/vs2022` builds what it did not finish again"),
        "{said}"
    );
}
