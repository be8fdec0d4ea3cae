//! `imagefactory init --non-interactive`: the setup's steps from flags, against the embedded
//! emulator; what it writes loads and passes `check`; wrong answers name their flag.

use std::path::Path;
use std::process::Output;

mod common;

fn run(home: &Path, args: &[&str]) -> Output {
    common::run_bin_in(home, args, &[])
}

const GOOD: &[&str] = &[
    "--demo",
    "init",
    "--non-interactive",
    "--factory",
    "ImageFactory",
    "--lab",
    "Dev-WestEurope=win2022",
    "--lab",
    "rg-qa-we/QA-WestEurope=win2022/base",
    "--keep-latest",
    "3",
    "--image",
    "win2022/base",
    "--base",
    "MicrosoftWindowsServer/WindowsServer/2022-datacenter",
    "--artifact",
    "Public Repo/windows-chocolatey",
    "--parameter",
    "windows-chocolatey.packages=git,7zip",
];

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn init_from_flags_writes_a_factory_that_loads_and_checks() {
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), GOOD);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("wrote ./factory.toml"), "{stdout}");
    assert!(
        stdout.contains("wrote ./images/win2022/base.toml"),
        "{stdout}"
    );
    let config = imagefactory::config::load(&home.path().join("factory.toml")).unwrap();
    assert_eq!(config.factory.name, "ImageFactory");
    assert_eq!(config.labs.len(), 2);
    assert_eq!(config.retention.keep_latest, 3);
    assert_eq!(
        config.images[0].artifacts[0].parameters["packages"],
        "git,7zip"
    );
    let check = run(
        home.path(),
        &["--demo", "--config", "factory.toml", "check"],
    );
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    // A second run does not overwrite what the first wrote, unless asked.
    std::fs::write(home.path().join("factory.toml"), "mine").unwrap();
    let again = run(home.path(), GOOD);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again)
            .contains("--force: ./factory.toml, ./images/win2022/base.toml already exist"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        std::fs::read_to_string(home.path().join("factory.toml")).unwrap(),
        "mine"
    );
    let mut forced = GOOD.to_vec();
    forced.push("--force");
    assert_eq!(run(home.path(), &forced).status.code(), Some(0));
}

/// `GOOD` with `flag`'s value replaced (or the flag added).
fn with(flag: &str, value: &str) -> Vec<String> {
    let mut args: Vec<String> = GOOD.iter().map(|s| s.to_string()).collect();
    match args.iter().position(|a| a == flag) {
        Some(i) => args[i + 1] = value.to_string(),
        None => args.extend([flag.to_string(), value.to_string()]),
    }
    args
}

fn refused(args: &[String]) -> String {
    let home = tempfile::tempdir().unwrap();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(home.path(), &args);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        !home.path().join("factory.toml").exists(),
        "nothing is written"
    );
    stderr(&out)
}

#[test]
fn wrong_answers_name_their_flag_and_what_to_do() {
    assert_eq!(
        refused(&with("--factory", "ImageFactry")),
        "error: --factory: no lab `ImageFactry` in the chosen subscriptions; did you mean ImageFactory?\n"
    );
    let mut reader = with("--factory", "Partner-NorthEurope");
    reader.extend(["--subscription".into(), "Partner Labs (read only)".into()]);
    assert_eq!(
        refused(&reader),
        "error: --factory: Partner-NorthEurope cannot be the factory lab, which needs the right to create VMs: the identity's role there allows only */read; grant it Contributor on resource group rg-partner-ne, or choose another lab\n"
    );
    assert_eq!(
        refused(&with("--keep-latest", "none")),
        "error: --keep-latest: `none` is not a count of 1 or more: the newest image of a path is always kept\n"
    );
    assert!(
        refused(&with("--base", "MicrosoftWindowsServer/WindowsServer/2022-datacenter-azure-editon"))
            .starts_with("error: --base: the factory lab offers no base image MicrosoftWindowsServer/WindowsServer/2022-datacenter-azure-editon (did you mean MicrosoftWindowsServer/WindowsServer/2022-datacenter-azure-edition?)")
    );
    assert_eq!(
        refused(&with("--parameter", "windows-chocolatey.other=x")),
        "error: --parameter: windows-chocolatey needs packages\n"
    );
    let mut twice = GOOD.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    twice.extend(["--lab".into(), "Dev-WestEurope=win2022/base".into()]);
    assert_eq!(
        refused(&twice),
        "error: --lab: Dev-WestEurope is given twice: give it once, with every path it receives (LAB=PATH,PATH)\n"
    );
    let mut stray = GOOD.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    stray.extend(["--parameter".into(), "windows-vscode.theme=dark".into()]);
    assert_eq!(
        refused(&stray),
        "error: --parameter: windows-vscode.theme is for an artifact not chosen: add --artifact SOURCE/windows-vscode, or fix the name before the dot\n"
    );
    assert_eq!(
        refused(&with("--lab", "Dev-WestEurope=../win2022")),
        "error: --lab: `../win2022` is not an image path: folders and a name joined by /, like win2022/base (not starting with /, no . or .. folders, no : * ? \" < > |)\n"
    );
    assert!(
        refused(&with("--base", "MicrosoftWindowsServer/WindowsServer/2022-datacenter-azure-edition"))
            .starts_with("error: --base: the base image MicrosoftWindowsServer/WindowsServer/2022-datacenter-azure-edition is Generation 2 (hyperVGeneration V2, version 2024.11.12)"),
        "a Generation 2 base cannot go the VHD way"
    );
    let mut sysprep = GOOD.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    sysprep.extend(["--artifact".into(), "Public Repo/windows-sysprep".into()]);
    assert!(
        refused(&sysprep).starts_with(
            "error: --artifact: artifact `windows-sysprep` generalizes the VM and shuts it down"
        ),
        "{}",
        refused(&sysprep)
    );
    assert_eq!(
        refused(&with("--lab", "Dev-WestEurope")),
        "error: --lab: `Dev-WestEurope` has no image paths: write LAB=PATH[,PATH...], like Dev=win2022\n"
    );
}

#[test]
fn init_refuses_options_that_do_not_go_with_it() {
    let home = tempfile::tempdir().unwrap();
    let out = run(
        home.path(),
        &["--demo", "--config", "x.toml", "init", "--non-interactive"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--config names one to read, so it does not go with init"),
        "{}",
        stderr(&out)
    );
    std::fs::write(home.path().join("file"), "").unwrap();
    let out = run(
        home.path(),
        &["--demo", "init", "--non-interactive", "--dir", "file"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--dir file is a file, not a folder"),
        "{}",
        stderr(&out)
    );
    let out = run(
        home.path(),
        &["--demo", "init", "--factory", "ImageFactory"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("are for --non-interactive; without it, init asks them"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn init_without_a_terminal_or_flags_says_how_to_script_it() {
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["--demo", "init"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("pass --non-interactive with --factory, --lab, --image and --base"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn init_into_another_folder_says_how_to_reach_it_next() {
    let home = tempfile::tempdir().unwrap();
    let mut args: Vec<&str> = GOOD.to_vec();
    args.extend(["--dir", "elsewhere"]);
    let out = run(home.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("next: `imagefactory --config elsewhere/factory.toml check`"),
        "{said}"
    );
}
