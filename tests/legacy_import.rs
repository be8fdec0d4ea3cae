//! `import-legacy` on the original factory's configuration, and on a template with the parts
//! the reference one lacks (artifacts, a prefix that only string matching took).

mod common;

use std::path::{Path, PathBuf};

use imagefactory::config::{self, legacy};

fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/legacy/Configuration")
}

#[test]
fn imports_the_reference_configuration_and_reports_what_it_left() {
    let out = tempfile::tempdir().unwrap();
    let report = legacy::import(&reference(), out.path()).unwrap();
    assert_eq!(
        report.images,
        [
            "Win2012R2/VS2015 Enterprise with Azure SDK",
            "Win2016/Datacenter",
            "Win2016/SQLServer 2016 Express"
        ]
    );
    assert_eq!(report.labs, 1);
    assert!(out.path().join("images/Win2016/Datacenter.toml").is_file());

    // Every VM property of every template is either carried over or reported.
    let dropped = |item: &str| report.findings.iter().filter(|f| f.item == item).count();
    for key in [
        "labVirtualNetworkId",
        "labSubnetName",
        "userName",
        "password",
        "storageType",
        "disallowPublicIpAddress",
        "allowClaim",
        "isAuthenticationWithSshKey",
        "size",
    ] {
        assert_eq!(
            dropped(&format!("properties.{key}")),
            3,
            "{key} reported for each of the 3 templates"
        );
    }
    let placeholders: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.note.contains("is a placeholder"))
        .map(|f| f.item.as_str())
        .collect();
    assert_eq!(
        placeholders,
        [
            "Labs[0].SubscriptionId",
            "Labs[0].ResourceGroup",
            "Labs[0].LabName"
        ]
    );
    assert!(report.findings.iter().any(|f| f.item == "factory lab"));

    // The definitions themselves load: fill in the placeholders and the whole thing loads.
    let factory = out.path().join("factory.toml");
    let text = std::fs::read_to_string(&factory)
        .unwrap()
        .replace(
            "FILL-IN-SUBSCRIPTION-ID",
            "0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01",
        )
        .replace("FILL-IN", "factory")
        .replace(
            "<subscription ID that contains the lab>",
            "7c4d2e9a-5b3f-4a61-9e0d-2f8b6c1a4e02",
        )
        .replace("<resource group name>", "rg-lab")
        .replace("<Name of the DevTest Lab>", "Lab1");
    std::fs::write(&factory, text).unwrap();
    let loaded = config::load(&factory).unwrap();
    let datacenter = loaded
        .images
        .iter()
        .find(|d| d.path.as_str() == "Win2016/Datacenter")
        .unwrap();
    assert_eq!(datacenter.base.sku, "2016-Datacenter");
    assert_eq!(datacenter.base.publisher, "MicrosoftWindowsServer");
    assert_eq!(datacenter.description, "Windows Server 2016 Datacenter");
    let lab = &loaded.labs[0];
    assert!(lab.receives(&config::ImagePath::new(
        "Win2016\\SQLServer 2016 Express.json"
    )));
    assert!(lab.receives(&config::ImagePath::new(
        "Win2012R2\\VS2015 Enterprise with Azure SDK.json"
    )));
}

#[test]
fn refuses_to_overwrite_and_writes_nothing() {
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("factory.toml"), "mine").unwrap();
    let err = legacy::import(&reference(), out.path()).unwrap_err();
    assert!(
        err.to_string()
            .contains("already exists; import into an empty folder (nothing was written)"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("factory.toml")).unwrap(),
        "mine"
    );
    assert!(!out.path().join("images").exists());
}

#[test]
fn artifacts_are_carried_over_and_prefix_only_matches_are_reported() {
    let src = tempfile::tempdir().unwrap();
    let golden = src.path().join("GoldenImages/Win2022");
    std::fs::create_dir_all(&golden).unwrap();
    std::fs::create_dir_all(src.path().join("GoldenImages/Win2022Core")).unwrap();
    let template = serde_json::json!({
        "resources": [{
            "type": "Microsoft.DevTestLab/labs/virtualmachines",
            "properties": {
                "notes": "Windows Server 2022 with tools",
                "galleryImageReference": {"offer": "WindowsServer", "publisher": "MicrosoftWindowsServer", "sku": "2022-datacenter", "osType": "Windows", "version": "latest"},
                "size": "Standard_D4s_v5",
                "userName": "factoryadmin",
                "password": "Literal-P@ssw0rd-4242",
                "artifacts": [
                    {"artifactId": "[resourceId('Microsoft.DevTestLab/labs/artifactSources/artifacts', parameters('labName'), 'public repo', 'windows-chocolatey')]",
                     "parameters": [{"name": "packages", "value": "git,7zip"}]},
                    {"artifactId": "[variables('mystery')]"}
                ]
            }
        }]
    });
    std::fs::write(golden.join("Tools.json"), template.to_string()).unwrap();
    std::fs::write(
        src.path().join("GoldenImages/Win2022Core/Base.json"),
        template.to_string(),
    )
    .unwrap();
    std::fs::write(src.path().join("GoldenImages/broken.json"), "{ not json").unwrap();
    std::fs::write(src.path().join("Labs.json"), r#"{"Labs":[{"SubscriptionId":"7c4d2e9a-5b3f-4a61-9e0d-2f8b6c1a4e02","ResourceGroup":"rg","LabName":"Lab","ImagePaths":["Win2022"]}]}"#).unwrap();
    let out = tempfile::tempdir().unwrap();
    let report = legacy::import(src.path(), out.path()).unwrap();
    assert_eq!(report.images, ["Win2022/Tools", "Win2022Core/Base"]);
    let tools = std::fs::read_to_string(out.path().join("images/Win2022/Tools.toml")).unwrap();
    assert!(tools.contains("[[artifact]]\nsource = \"public repo\"\nname = \"windows-chocolatey\"\n\n[artifact.parameters]\npackages = \"git,7zip\""), "{tools}");
    assert!(tools.contains("size = \"Standard_D4s_v5\""));
    assert!(!tools.contains("password"), "the password is not copied");
    // A literal password in a template reaches no file and no line of the report.
    for entry in walk(out.path()) {
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        assert!(
            !text.contains("Literal-P@ssw0rd-4242"),
            "{}",
            entry.display()
        );
    }
    assert!(!format!("{report:?}").contains("Literal-P@ssw0rd-4242"));
    let note = |item: &str| {
        report
            .findings
            .iter()
            .find(|f| f.item.contains(item))
            .map(|f| f.note.clone())
            .unwrap_or_default()
    };
    assert!(note("artifacts[1]").contains("names no artifact source"));
    assert!(note("file").contains("not valid JSON"));
    assert!(
        note("ImagePaths `Win2022`").contains("matched Win2022Core/Base by string prefix"),
        "{:?}",
        report.findings
    );
    let error = config::load(&out.path().join("factory.toml"))
        .expect_err("the factory lab still has to be filled in")
        .to_string();
    assert!(error.contains("factory.toml:"), "{error}");
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn a_template_whose_name_climbs_out_is_left_out_and_nothing_is_written_outside() {
    let root = tempfile::tempdir().unwrap();
    let configuration = root.path().join("Configuration");
    common::copy_dir(&reference(), &configuration);
    // One file name on Linux, `../../evil.json` once its backslashes are read as Windows'.
    let template = std::fs::read_dir(configuration.join("GoldenImages/Win2016"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::copy(
        &template,
        configuration.join("GoldenImages").join("..\\..\\evil.json"),
    )
    .unwrap();
    let out = root.path().join("a/b/out");
    let report = legacy::import(&configuration, &out).unwrap();
    assert!(
        !report.images.iter().any(|i| i.contains("evil")),
        "{:?}",
        report.images
    );
    let finding = report
        .findings
        .iter()
        .find(|f| f.file.contains("evil"))
        .expect("the template is reported");
    assert!(finding.note.contains("not an image path"), "{finding:?}");
    let written: Vec<String> = walk(root.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("evil.toml"))
        .map(|p| p.display().to_string())
        .collect();
    assert!(written.is_empty(), "{written:?}");
}
