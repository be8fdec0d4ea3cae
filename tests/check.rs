//! `check` on good and broken configurations: the findings, word for word, from the real client
//! against the emulator's demo world; and the command's exit codes, JSON and annotations.

mod common;

use std::path::Path;
use std::process::Output;

use imagefactory::config;
use imagefactory::factory::Inventory;
use imagefactory::factory::builder::offer;
use imagefactory::factory::check::{self, Finding, Level};

fn sample_config() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/factory/factory.toml")
}

const FACTORY: &str = r#"
[factory]
subscription = "0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01"
resource_group = "rg-imagefactory"
lab = "ImageFactory"
"#;

/// A configuration with one of everything that can be wrong in it.
fn broken(dir: &Path) -> std::path::PathBuf {
    let factory = format!(
        r#"{FACTORY}
[[lab]]
subscription = "0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01"
resource_group = "rg-dev-we"
name = "Dev-WestEurope"
image_paths = ["win2022"]

[[lab]]
subscription = "0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01"
resource_group = "rg-qa-we"
name = "QA-WestEurop"
image_paths = ["win2022"]

[[lab]]
subscription = "11111111-2222-3333-4444-555555555555"
resource_group = "rg-gone"
name = "Gone"
image_paths = ["win2022"]

[[lab]]
subscription = "7c4d2e9a-5b3f-4a61-9e0d-2f8b6c1a4e02"
resource_group = "rg-eng-we"
name = "Training"
image_paths = ["win2022"]
"#
    );
    std::fs::create_dir_all(dir.join("images/win2022")).unwrap();
    std::fs::create_dir_all(dir.join("images/ubuntu")).unwrap();
    std::fs::write(dir.join("factory.toml"), factory).unwrap();
    std::fs::write(
        dir.join("images/win2022/base.toml"),
        r#"os = "Windows"
[base]
publisher = "MicrosoftWindowsServer"
offer = "WindowsServer"
sku = "2022-datacenter-azure-editon"

[[artifact]]
source = "Public Repo"
name = "windows-chocolatey"

[[artifact]]
source = "Public Repo"
name = "windows-sysprep"

[[artifact]]
source = "Public Repo"
name = "windows-vscod"

[[artifact]]
source = "Private Repo"
name = "corp-baseline"

[[artifact]]
source = "Public Repo"
name = "linux-apt-package"
[artifact.parameters]
packages = "git"

[[artifact]]
source = "Public Repo"
name = "windows-install-windows-updates"
[artifact.parameters]
reboot = "yes"
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("images/ubuntu/orphan.toml"),
        "os = \"Linux\"\n[base]\npublisher = \"Canonical\"\noffer = \"ubuntu-24_04-lts\"\nsku = \"server-gen1\"\n",
    )
    .unwrap();
    dir.join("factory.toml")
}

async fn findings(config_path: &Path) -> Vec<Finding> {
    let sim = common::start(common::demo_world(), common::fast()).await;
    let client = common::client(&sim);
    let config = config::load(config_path).expect("the configuration loads");
    let inventory = Inventory::refresh(&client, Some(&config))
        .await
        .expect("read");
    let offered = offer::read(&client, &config.factory, &inventory, &config.bases())
        .await
        .expect("offer");
    check::check(&config, &inventory, Some(&offered))
}

/// Changes the sample's factory lab in the emulator.
fn change_factory_lab(
    sim: &imagefactory::sim::SimHandle,
    change: impl FnOnce(&mut imagefactory::sim::world::SimLab),
) {
    common::change_lab(
        sim,
        "0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01",
        "rg-imagefactory",
        "ImageFactory",
        change,
    )
}

fn said(findings: &[Finding]) -> Vec<(Level, String, String)> {
    findings
        .iter()
        .map(|f| (f.level, f.subject.clone(), f.problem.clone()))
        .collect()
}

#[tokio::test]
async fn the_sample_factory_stops_only_at_its_generation_2_definition() {
    let found = findings(&sample_config()).await;
    assert_eq!(
        said(&found),
        [
            (
                Level::Error,
                "image win11/dev".to_string(),
                "the base image MicrosoftWindowsDesktop/windows-11/win11-23h2-ent is Generation 2 (hyperVGeneration V2, version 2024.11.12): a DevTest Labs custom image made from a VHD carries no generation and would not boot".to_string()
            ),
            (
                Level::Warning,
                "lab Partner-NorthEurope".to_string(),
                "builds leave this lab out and retirement leaves its images alone: the identity's role at this lab does not allow Microsoft.DevTestLab/labs/customImages/delete (it has */read)".to_string()
            ),
            (
                Level::Warning,
                "lab Partner-NorthEurope".to_string(),
                "it is in northeurope, the factory lab in westeurope: images are copied within a region, so it cannot receive win2022/base, ubuntu2404/base, Win2016/Datacenter".to_string()
            ),
        ]
    );
    assert!(
        found[0].fix.starts_with("choose a Generation 1 SKU of it"),
        "{}",
        found[0].fix
    );
    assert_eq!(
        found[1].fix,
        format!(
            "grant the identity Contributor on the lab's resource group, or remove its [[lab]] from {}",
            sample_config().display()
        )
    );
}

#[tokio::test]
async fn a_broken_configuration_gets_every_problem_with_its_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = broken(dir.path());
    let found = findings(&path).await;
    let e = |subject: &str, problem: &str| (Level::Error, subject.to_string(), problem.to_string());
    assert_eq!(
        said(&found),
        [
            e(
                "lab QA-WestEurop",
                "no lab QA-WestEurop in resource group rg-qa-we of subscription Contoso Imaging (did you mean QA-WestEurope?)"
            ),
            e(
                "lab Gone",
                "its subscription 11111111-2222-3333-4444-555555555555 is not visible to the identity"
            ),
            e(
                "lab Training",
                "no lab Training in resource group rg-eng-we of subscription Contoso Engineering (there is one in resource group rg-training)"
            ),
            e(
                "image win2022/base",
                "the factory lab does not offer the base image MicrosoftWindowsServer/WindowsServer/2022-datacenter-azure-editon"
            ),
            e(
                "image win2022/base",
                "artifact `windows-sysprep` generalizes the VM and shuts it down: the factory applies it last, by itself, and one in the list would stop the artifacts after it"
            ),
            e(
                "image win2022/base",
                "artifact `windows-chocolatey` needs the parameter packages"
            ),
            e(
                "image win2022/base",
                "artifact source `Public Repo` has no artifact `windows-vscod`; did you mean `windows-vscode`?"
            ),
            e(
                "image win2022/base",
                "the factory lab has no artifact source `Private Repo` (it has: Public Repo)"
            ),
            e(
                "image win2022/base",
                "artifact `linux-apt-package` is for Linux, and this image is Windows"
            ),
            e(
                "image win2022/base",
                "artifact `windows-install-windows-updates` has no parameter reboot (it has: none)"
            ),
            (
                Level::Warning,
                "image ubuntu/orphan".to_string(),
                "no lab receives it: a build would skip it".to_string()
            ),
        ]
    );
    let base = &found[3];
    assert_eq!(
        base.fix,
        "allow it in the lab's marketplace images policy, or change [base] in the definition; the nearest it offers is MicrosoftWindowsServer/WindowsServer/2022-datacenter-azure-edition"
    );
    assert_eq!(
        base.file.as_deref(),
        Some(
            dir.path()
                .join("images/win2022/base.toml")
                .to_str()
                .unwrap()
        )
    );
}

#[tokio::test]
async fn a_factory_lab_the_identity_may_only_read_stops_builds() {
    let mut world = common::demo_world();
    world.subscriptions[0].access = imagefactory::sim::world::Access::Reader;
    let sim = common::start(world, common::fast()).await;
    let client = common::client(&sim);
    let config = config::load(&sample_config()).unwrap();
    let inventory = Inventory::refresh(&client, Some(&config)).await.unwrap();
    let offered = offer::read(&client, &config.factory, &inventory, &config.bases())
        .await
        .unwrap();
    let found = check::check(&config, &inventory, Some(&offered));
    let first = &found[0];
    assert_eq!(
        (first.level, first.subject.as_str(), first.problem.as_str()),
        (
            Level::Error,
            "factory lab ImageFactory",
            "the identity cannot create VMs here: the identity's role at this lab does not allow Microsoft.DevTestLab/labs/customImages/delete (it has */read)"
        )
    );
    assert!(check::has_errors(&found));
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    common::run_bin_in(dir, args, env)
}

#[test]
fn check_exits_0_on_a_ready_factory_and_2_on_a_broken_configuration() {
    let home = tempfile::tempdir().unwrap();
    // The demo's one error is its Generation 2 definition: with it on a Generation 1 base, the
    // sample is ready.
    let demo = run(home.path(), &["--demo", "check"], &[]);
    assert_eq!(demo.status.code(), Some(2));
    let ready = tempfile::tempdir().unwrap();
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(sample_config().parent().unwrap())
        .arg(ready.path().join("factory"))
        .status()
        .unwrap();
    assert!(copied.success());
    let win11 = ready.path().join("factory/images/win11/dev.toml");
    let text = std::fs::read_to_string(&win11)
        .unwrap()
        .replace("MicrosoftWindowsDesktop", "MicrosoftWindowsServer")
        .replace("windows-11", "WindowsServer")
        .replace("win11-23h2-ent", "2022-datacenter");
    std::fs::write(&win11, text).unwrap();
    let config = ready.path().join("factory/factory.toml");
    let good = run(
        home.path(),
        &["--demo", "--config", config.to_str().unwrap(), "check"],
        &[],
    );
    let stdout = String::from_utf8_lossy(&good.stdout);
    assert_eq!(good.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.ends_with("checked in Azure as factory@contoso.com (managed-identity)\n"),
        "{stdout}"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = broken(dir.path());
    let config = path.to_str().unwrap();
    let bad = run(
        home.path(),
        &["--demo", "--config", config, "check", "--json"],
        &[],
    );
    assert_eq!(bad.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["online"], true);
    assert_eq!(report["findings"].as_array().unwrap().len(), 11);
    assert_eq!(report["findings"][0]["level"], "error");
    assert_eq!(report["findings"][0]["file"], config);

    // A generalize artifact in the list needs no Azure to be found.
    let offline = run(
        home.path(),
        &["--demo", "--config", config, "check", "--offline", "--json"],
        &[],
    );
    assert_eq!(offline.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&offline.stdout).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["problem"]
                .as_str()
                .unwrap()
                .starts_with("artifact `windows-sysprep` generalizes")),
        "{report}"
    );

    // In GitHub Actions each finding is an annotation (on stderr) on its file, named from
    // the repository's root as the runner links it.
    let annotated = run(
        home.path(),
        &["--demo", "--config", config, "check"],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_WORKSPACE", dir.path().to_str().unwrap()),
        ],
    );
    let stderr = String::from_utf8_lossy(&annotated.stderr);
    assert!(
        stderr.lines().any(|l| l.starts_with(
            "::error file=images/win2022/base.toml::image win2022/base: the factory lab does not offer"
        )),
        "{stderr}"
    );
}

#[test]
fn check_names_the_line_of_a_configuration_that_does_not_load_and_the_way_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("factory.toml"),
        format!("{FACTORY}\n[retention]\nkeep_latest = 0\n"),
    )
    .unwrap();
    let out = run(dir.path(), &["check", "--offline"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "error: configuration: factory.toml:8:15: keep_latest must be 1 or more (the newest image of a path is always kept), not 0\n  fix: fix the file at the place named\nnot ready: 1 error, 0 warnings in factory.toml (the files only: Azure was not checked)\n"
    );
    // The JSON names the file that does not load.
    let out = run(dir.path(), &["check", "--offline", "--json"], &[]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["config"], "factory.toml", "{report:#}");

    let empty = tempfile::tempdir().unwrap();
    let out = run(empty.path(), &["check"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("error: configuration: no factory.toml found (looked in factory.toml, "),
        "{stdout}"
    );
    assert!(
        stdout.contains("  fix: run `imagefactory init` to make one, or pass --config FILE\n"),
        "{stdout}"
    );
}

#[test]
fn a_configuration_mistake_is_annotated_at_its_line_in_a_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("factory.toml"),
        format!("{FACTORY}\n[retention]\nkeep_latest = 0\n"),
    )
    .unwrap();
    let github = run(
        dir.path(),
        &["check", "--offline"],
        &[("GITHUB_ACTIONS", "true")],
    );
    assert!(
        String::from_utf8_lossy(&github.stderr).starts_with(
            "::error file=factory.toml,line=8,col=15::configuration: factory.toml:8:15: keep_latest must be 1 or more"
        ),
        "{}",
        String::from_utf8_lossy(&github.stderr)
    );
    // Stdout says it as it does outside a pipeline; with --json it is JSON alone.
    assert!(
        String::from_utf8_lossy(&github.stdout)
            .starts_with("error: configuration: factory.toml:8:15"),
        "{}",
        String::from_utf8_lossy(&github.stdout)
    );
    for pipeline in ["GITHUB_ACTIONS", "TF_BUILD"] {
        let json = run(
            dir.path(),
            &["check", "--offline", "--json"],
            &[(pipeline, "true")],
        );
        let doc: Result<serde_json::Value, _> = serde_json::from_slice(&json.stdout);
        assert!(
            doc.is_ok(),
            "{pipeline}: {}",
            String::from_utf8_lossy(&json.stdout)
        );
    }
    let devops = run(dir.path(), &["check", "--offline"], &[("TF_BUILD", "True")]);
    assert!(
        String::from_utf8_lossy(&devops.stderr).starts_with(
            "##vso[task.logissue type=error;sourcepath=factory.toml;linenumber=8;columnnumber=15]configuration:"
        ),
        "{}",
        String::from_utf8_lossy(&devops.stderr)
    );
}

#[tokio::test]
async fn a_factory_lab_at_its_vm_limit_is_a_warning_when_there_is_something_to_build() {
    let sim = common::start(common::demo_world(), common::fast()).await;
    change_factory_lab(&sim, |lab| lab.vm_limit = Some(1));
    let client = common::client(&sim);
    let mut config = config::load(&sample_config()).unwrap();
    let inventory = Inventory::refresh(&client, Some(&config)).await.unwrap();
    let offered = offer::read(&client, &config.factory, &inventory, &config.bases())
        .await
        .unwrap();
    let found = check::check(&config, &inventory, Some(&offered));
    let full = found
        .iter()
        .find(|f| f.subject == "factory lab ImageFactory")
        .expect("the limit is said");
    assert_eq!(
        (full.level, full.problem.as_str()),
        (
            Level::Warning,
            "the lab allows 1 VMs and has 1: a build has no room for its VM"
        )
    );
    // With nothing to build, the limit stops nothing.
    config.images.clear();
    let found = check::check(&config, &inventory, Some(&offered));
    assert!(
        !found
            .iter()
            .any(|f| f.subject == "factory lab ImageFactory")
    );
}

#[test]
fn a_subscription_that_could_not_be_read_is_said_for_each_lab_in_it() {
    let config = config::load(&sample_config()).unwrap();
    let inventory = Inventory {
        subscriptions: Vec::new(),
        problems: vec![imagefactory::factory::Problem {
            scope: "subscription",
            id: "0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01".into(),
            name: "Contoso Imaging".into(),
            error: imagefactory::arm::ArmError::Api {
                method: "GET".into(),
                resource: "/subscriptions/0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01/providers/Microsoft.DevTestLab/labs".into(),
                status: 500,
                code: "InternalServerError".into(),
                message: "try again".into(),
                request_id: None,
            },
        }],
        taken_at: time::OffsetDateTime::now_utc(),
    };
    let found = check::check(&config, &inventory, None);
    let factory = found
        .iter()
        .find(|f| f.subject == "factory lab ImageFactory")
        .unwrap();
    assert!(
        factory.problem.starts_with("it could not be read: "),
        "{}",
        factory.problem
    );
    assert!(
        factory.problem.contains("InternalServerError"),
        "{}",
        factory.problem
    );
    // A subscription of the configuration that is simply absent is not visible.
    let partner = found
        .iter()
        .find(|f| f.subject == "lab Partner-NorthEurope")
        .unwrap();
    assert_eq!(
        partner.problem,
        "its subscription e3a9b0c2-8d17-4f5e-b6a4-9c0d1e2f3a03 is not visible to the identity"
    );
}

#[tokio::test]
async fn a_factory_lab_whose_offer_cannot_be_read_says_so_and_a_missing_one_only_once() {
    let sim = common::start(common::demo_world(), common::fast()).await;
    change_factory_lab(&sim, |lab| lab.deny_read = true);
    let client = common::client(&sim);
    let config = config::load(&sample_config()).unwrap();
    let inventory = Inventory::refresh(&client, Some(&config)).await.unwrap();
    let found = check::check_estate(&client, &config, &inventory).await;
    assert!(
        found.iter().any(|f| f.subject == "factory lab ImageFactory"
            && f.problem.starts_with(
                "what it offers (gallery images, artifact sources) could not be read: "
            )),
        "{found:?}"
    );
    // A factory lab that is not there is said once, not again as an offer that cannot be read.
    let mut missing = config.clone();
    missing.factory.name = "NoSuchLab".into();
    let inventory = Inventory::refresh(&client, Some(&missing)).await.unwrap();
    let found = check::check_estate(&client, &missing, &inventory).await;
    let about: Vec<&str> = found
        .iter()
        .filter(|f| f.subject == "factory lab NoSuchLab")
        .map(|f| f.problem.as_str())
        .collect();
    assert_eq!(about.len(), 1, "{about:?}");
    assert!(
        about[0].starts_with("no lab NoSuchLab in resource group rg-imagefactory"),
        "{about:?}"
    );
}

#[test]
fn what_to_do_fits_what_is_wrong_with_the_files() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/factory");
    let fix_of = |dir: &Path| -> String {
        let out = run(dir, &["check", "--offline"], &[]);
        assert_eq!(out.status.code(), Some(2));
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("  fix: ").map(str::to_string))
            .unwrap_or_else(|| panic!("{stdout}"))
    };
    // A definition that is not UTF-8.
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&sample, dir.path());
    std::fs::write(dir.path().join("images/bad.toml"), [0xff, 0xfe, 0x00]).unwrap();
    let fix = fix_of(dir.path());
    assert!(
        fix.starts_with("save images/bad.toml as UTF-8 text"),
        "{fix}"
    );
    assert!(!fix.contains("--config"), "{fix}");
    // A symlink to nothing under images/.
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&sample, dir.path());
    std::os::unix::fs::symlink("/nonexistent", dir.path().join("images/gone.toml")).unwrap();
    let fix = fix_of(dir.path());
    assert!(fix.contains("is a symlink to nothing: remove it"), "{fix}");
    // factory.toml that is a folder.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("factory.toml")).unwrap();
    let out = run(dir.path(), &["check", "--offline"], &[]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("factory.toml is a folder, not a factory.toml file"),
        "{said}"
    );
}
