//! Bad configuration inputs and the exact message each must give: the file, the line and
//! column, what was expected, and the nearest key for an unknown one.

use std::path::Path;

use imagefactory::config;

const FACTORY: &str = r#"[factory]
subscription = "0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01"
resource_group = "rg-imagefactory"
lab = "ImageFactory"
"#;

const LAB: &str = r#"
[[lab]]
subscription = "0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01"
resource_group = "rg-dev"
name = "Dev"
image_paths = ["win2022"]
"#;

const IMAGE: &str = r#"description = "base"
os = "Windows"

[base]
publisher = "MicrosoftWindowsServer"
offer = "WindowsServer"
sku = "2022-datacenter"
"#;

/// Writes a factory with `factory_toml` and `images` (path under images/, text), loads it, and
/// returns the error with the folder's path cut off.
fn error_of(factory_toml: &str, images: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("factory.toml"), factory_toml).unwrap();
    for (path, text) in images {
        let file = dir.path().join("images").join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    let err =
        config::load(&dir.path().join("factory.toml")).expect_err("the configuration is refused");
    let prefix = format!("{}/", dir.path().display());
    err.to_string().replace(&prefix, "")
}

/// A case: its name, factory.toml, image files, and the exact message.
type Case<'a> = (&'a str, String, Vec<(&'a str, &'a str)>, &'a str);

#[test]
fn each_bad_input_gets_its_exact_message() {
    let win2022 = [("win2022/base.toml", IMAGE)];
    let bad_os = IMAGE.replace("\"Windows\"", "\"Win\"");
    let bad_artifact = format!(
        "{IMAGE}\n[[artifact]]\nsource = \"Public Repo\"\nname = \"windows-vscode\"\nparams = {{}}\n"
    );
    let cases: Vec<Case> = vec![
        (
            "unknown top-level table",
            format!("{FACTORY}\n[retension]\nkeep_latest = 2\n"),
            vec![],
            "factory.toml:6:2: unknown key `retension`; did you mean `retention`?",
        ),
        (
            "unknown key with a typo",
            format!("{FACTORY}\n[defaults]\nparallelsm = 4\n"),
            vec![],
            "factory.toml:7:1: unknown key `parallelsm`; did you mean `parallelism`?",
        ),
        (
            "unknown key far from any known one",
            format!("{FACTORY}\n[defaults]\ncolour = \"blue\"\n"),
            vec![],
            "factory.toml:7:1: unknown key `colour`; expected one of: vm_size, parallelism",
        ),
        (
            "missing factory table",
            "[defaults]\nparallelism = 4\n".into(),
            vec![],
            "factory.toml:1:1: missing key `factory`",
        ),
        (
            "subscription that is not a GUID",
            FACTORY.replace("0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01", "Contoso Imaging"),
            vec![],
            "factory.toml:2:16: subscription `Contoso Imaging` is not a subscription id; expected a GUID like 0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01 (see `imagefactory labs`)",
        ),
        (
            "wrong type",
            format!("{FACTORY}\n[defaults]\nparallelism = \"four\"\n"),
            vec![],
            "factory.toml:7:15: this is string \"four\"; it should be a whole number, without quotes (like 3)",
        ),
        (
            "parallelism out of range",
            format!("{FACTORY}\n[defaults]\nparallelism = 0\n"),
            vec![],
            "factory.toml:7:15: parallelism must be a whole number from 1 to 256, not 0",
        ),
        (
            "keep_latest of zero",
            format!("{FACTORY}\n[retention]\nkeep_latest = 0\n"),
            vec![],
            "factory.toml:7:15: keep_latest must be 1 or more (the newest image of a path is always kept), not 0",
        ),
        (
            "min_age without a unit",
            format!("{FACTORY}\n[retention]\nmin_age = \"7\"\n"),
            vec![],
            "factory.toml:7:11: min_age `7` is not an age; expected a number and a unit, like \"7d\", \"36h\" or \"2w\", of at most 36500d",
        ),
        (
            "min_age past any date",
            format!("{FACTORY}\n[retention]\nmin_age = \"99999999999d\"\n"),
            vec![],
            "factory.toml:7:11: min_age `99999999999d` is not an age; expected a number and a unit, like \"7d\", \"36h\" or \"2w\", of at most 36500d",
        ),
        (
            "an image path twice",
            format!(
                "{FACTORY}{}",
                LAB.replace("[\"win2022\"]", "[\"win2022\", \"Win2022\"]")
            ),
            win2022.to_vec(),
            "factory.toml:10:27: `Win2022` is in lab `Dev`'s image_paths twice; list it once",
        ),
        (
            "an absolute image path",
            format!(
                "{FACTORY}{}",
                LAB.replace("[\"win2022\"]", "[\"/win2022\"]")
            ),
            win2022.to_vec(),
            "factory.toml:10:16: `/win2022` is not an image path: folders and a name joined by /, like win2022/base (not starting with /, no . or .. folders, no : * ? \" < > |)",
        ),
        (
            "auth that is not a credential",
            format!("{FACTORY}\n[azure]\nauth = \"managed_identity\"\n"),
            vec![],
            "factory.toml:7:8: auth `managed_identity` is not a credential; did you mean `managed-identity`? expected one of: cli, managed-identity, workload-identity, client-secret, developer-tools",
        ),
        (
            "TOML syntax error",
            format!("{FACTORY}\n[[lab]\nname = \"x\"\n"),
            vec![],
            "factory.toml:6:7: unclosed array table, expected `]`",
        ),
        (
            "image path with no definition",
            format!(
                "{FACTORY}{}",
                LAB.replace("[\"win2022\"]", "[\"win2022\", \"win2025\"]")
            ),
            win2022.to_vec(),
            "factory.toml:10:27: image path `win2025` matches no image definition; known paths: win2022/base",
        ),
        (
            "image path with a near miss",
            format!(
                "{FACTORY}{}",
                LAB.replace("[\"win2022\"]", "[\"win2022/bse\"]")
            ),
            win2022.to_vec(),
            "factory.toml:10:16: image path `win2022/bse` matches no image definition; did you mean `win2022/base`?",
        ),
        (
            "prefix that is not a whole segment",
            format!("{FACTORY}{}", LAB.replace("[\"win2022\"]", "[\"win20\"]")),
            win2022.to_vec(),
            "factory.toml:10:16: image path `win20` matches no image definition; known paths: win2022/base",
        ),
        (
            "lab with no image paths",
            format!("{FACTORY}{}", LAB.replace("[\"win2022\"]", "[]")),
            win2022.to_vec(),
            "factory.toml:10:15: lab `Dev` subscribes to no image paths; list at least one, for example image_paths = [\"win2022\"]",
        ),
        (
            "lab listed twice",
            format!("{FACTORY}{LAB}{}", LAB.replace("rg-dev", "RG-DEV")),
            win2022.to_vec(),
            "factory.toml:15:8: lab `Dev` in resource group `RG-DEV` is listed twice; merge its image_paths into one [[lab]]",
        ),
        (
            "image with an unknown OS",
            FACTORY.to_string(),
            vec![("win2022/base.toml", &bad_os)],
            "images/win2022/base.toml:2:6: os `win` is not an OS; expected \"Windows\" or \"Linux\"",
        ),
        (
            "image with an unknown key",
            FACTORY.to_string(),
            vec![("win2022/base.toml", &bad_artifact)],
            "images/win2022/base.toml:12:1: unknown key `params`; did you mean `parameters`?",
        ),
        (
            "image without a base",
            FACTORY.to_string(),
            vec![(
                "win2022/base.toml",
                "description = \"x\"\nos = \"Windows\"\n",
            )],
            "images/win2022/base.toml:1:1: missing key `base`",
        ),
        (
            "two definitions of one path",
            FACTORY.to_string(),
            vec![("win2022/base.toml", IMAGE), ("Win2022/Base.toml", IMAGE)],
            "images/win2022/base.toml: image path `win2022/base` is also defined by IMAGES/Win2022/Base.toml; image paths compare without case",
        ),
    ];
    let mut failures = Vec::new();
    for (name, factory, images, expected) in &cases {
        let got = error_of(factory, images);
        if *name == "two definitions of one path" {
            // Which of the two is read first depends on byte order of the names.
            if !(got.contains("is also defined by")
                && got.contains("image paths compare without case"))
            {
                failures.push(format!(
                    "{name}:\n  expected like: {expected}\n  got:           {got}"
                ));
            }
            continue;
        }
        if got != *expected {
            failures.push(format!(
                "{name}:\n  expected: {expected}\n  got:      {got}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_sample_factory_loads_and_matches_paths_on_whole_segments() {
    let config =
        config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/factory/factory.toml"))
            .unwrap();
    assert_eq!(config.factory.name, "ImageFactory");
    assert_eq!(config.images.len(), 8);
    let dev = config
        .labs
        .iter()
        .find(|l| l.lab.name == "Dev-WestEurope")
        .unwrap();
    let path = |p: &str| config::ImagePath::new(p);
    assert!(dev.receives(&path("win2022/vs2022")));
    assert!(
        dev.receives(&path("Win2016\\Datacenter.json")),
        "legacy tag values match their definition"
    );
    assert!(!dev.receives(&path("win2019/sql2019")));
    let vs = config
        .images
        .iter()
        .find(|d| d.path.as_str() == "win2022/vs2022")
        .unwrap();
    assert_eq!(config.retention.with(&vs.retention).keep_latest, 4);
    assert_eq!(config.retention.keep_latest, 3);
    assert_eq!(
        vs.artifacts[0]
            .parameters
            .get("packages")
            .map(String::as_str),
        Some("git,nodejs-lts,azure-cli")
    );
}

#[test]
fn discovery_prefers_the_named_file_and_says_where_it_looked() {
    let missing = Path::new("/nonexistent/factory.toml");
    let err = config::discover(Some(missing)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no factory configuration found; looked in: /nonexistent/factory.toml. Make one with `imagefactory init` (or `imagefactory import-legacy` from the original factory), or pass --config FILE"
    );
}

/// What `console.toml` with `text` is refused with, the file's folder cut off.
fn console_error_of(text: &str, read_only: bool) -> String {
    let path = Path::new("/cfg/console.toml");
    imagefactory::tui::Settings::check(path, text, read_only)
        .err()
        .map(|e| e.to_string().replace("/cfg/", ""))
        .unwrap_or_else(|| "accepted".into())
}

#[test]
fn console_settings_errors_say_where_and_what_to_do() {
    let cases: &[(&str, &str)] = &[
        (
            "theme = \"dark\"\nrefresh_secs = 60\n",
            "console settings: console.toml:2:1: unknown key `refresh_secs`; did you mean `refresh_seconds`?",
        ),
        (
            "theme = \"drak\"\n",
            "console settings: console.toml:1:1: no theme `drak`; did you mean `dark`?",
        ),
        (
            "theme = dark\n",
            "console settings: console.toml:1:9: text must be quoted: write key = \"value\"",
        ),
        (
            "marker = \"\"\n",
            "console settings: console.toml:1:1: marker must be at least one visible character: the selection must never rely on colour alone",
        ),
        (
            "refresh_seconds = 5\n",
            "console settings: console.toml:1:1: refresh_seconds = 5: at least 30, to stay well inside ARM's request limits",
        ),
        (
            "[keys]\npin = [\"j\"]\n",
            "console settings: console.toml:2:1: [keys]: `j` is bound to both `down` and `pin`; give one of them another key",
        ),
        (
            "[keys]\npinn = [\"P\"]\n",
            "console settings: console.toml:2:1: [keys]: no command `pinn`; did you mean `pin`?",
        ),
        (
            "[styles]\nstate_retir = { fg = \"red\" }\n",
            "console settings: console.toml:2:1: [styles]: unknown style `state_retir`; did you mean `state_retire`?",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(console_error_of(text, false), *expected, "{text:?}");
    }
    assert_eq!(
        console_error_of("theme = \"mono\"\n[keys]\npin = [\"P\"]\n", false),
        "accepted"
    );
}
