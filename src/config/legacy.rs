//! Import of the original PowerShell factory's configuration (`GoldenImages/**.json` ARM
//! templates and `Labs.json`) into this layout. Everything it cannot carry over is reported,
//! never dropped silently.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::write::{self, ConfigFile};
use super::{
    ArtifactRef, AzureSettings, BaseImage, BuildSettings, ConfigError, Defaults, FactoryConfig,
    ImageDefinition, ImagePath, LabRef, OsType, RetentionPolicy, TargetLab, read,
};

/// Something the importer could not carry over as it was, and what it did instead.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    /// The source file, relative to the configuration folder.
    pub file: String,
    /// What in it (a property, a lab entry).
    pub item: String,
    /// What happened to it and what to do.
    pub note: String,
}

/// What an import produced.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportReport {
    /// Files written, relative to the output folder.
    pub written: Vec<String>,
    /// Image definitions made.
    pub images: Vec<String>,
    /// Target labs carried over.
    pub labs: usize,
    /// What was not carried over as it was.
    pub findings: Vec<Finding>,
}

/// Reads `config_dir` (the folder holding `GoldenImages/` and `Labs.json`) and writes
/// `factory.toml` and `images/**.toml` under `out`. Refuses to overwrite existing files.
pub fn import(config_dir: &Path, out: &Path) -> Result<ImportReport, ConfigError> {
    let golden = config_dir.join("GoldenImages");
    if !golden.is_dir() {
        return Err(ConfigError::File {
            path: config_dir.to_path_buf(),
            message: "no GoldenImages folder here; point at the original factory's Configuration folder (the one holding GoldenImages/ and Labs.json)".into(),
        });
    }
    let mut report = ImportReport {
        written: Vec::new(),
        images: Vec::new(),
        labs: 0,
        findings: Vec::new(),
    };
    let mut templates = Vec::new();
    collect_json(&golden, &mut templates)?;
    templates.sort();
    let mut files: Vec<ConfigFile> = Vec::new();
    for template in &templates {
        let relative = template.strip_prefix(&golden).unwrap_or(template);
        let display = format!("GoldenImages/{}", relative.display());
        // A file name may hold what a path must not (`..\\..\\x.json` is one name on Linux,
        // and would be written outside --out): such a template is left out, with why.
        let path = match ImagePath::parse(&relative.to_string_lossy()) {
            Ok(path) => path,
            Err(why) => {
                report.findings.push(Finding {
                    file: display,
                    item: "its name".into(),
                    note: format!("not imported: {why}"),
                });
                continue;
            }
        };
        if let Some(definition) = convert_template(template, &display, path, &mut report.findings)?
        {
            report.images.push(definition.path.as_str().to_string());
            files.push(ConfigFile {
                relative: write::definition_file(&definition.path),
                text: write::definition_toml(
                    &definition,
                    &[format!("Imported from the original factory's {display}")],
                ),
            });
        }
    }
    let labs_json = config_dir.join("Labs.json");
    let labs = convert_labs(&labs_json, &report.images, &mut report.findings)?;
    report.labs = labs.len();
    let factory = FactoryConfig {
        path: PathBuf::from("factory.toml"),
        // The original factory took its factory lab from pipeline parameters.
        factory: LabRef {
            subscription: "FILL-IN-SUBSCRIPTION-ID".into(),
            resource_group: "FILL-IN".into(),
            name: "FILL-IN".into(),
        },
        azure: AzureSettings::default(),
        defaults: Defaults {
            vm_size: super::DEFAULT_VM_SIZE.into(),
            parallelism: super::DEFAULT_PARALLELISM,
        },
        build: BuildSettings::default(),
        retention: RetentionPolicy::default(),
        labs,
        images: Vec::new(),
    };
    files.push(ConfigFile {
        relative: PathBuf::from("factory.toml"),
        text: write::factory_toml(
            &factory,
            &[
                "Imported from the original factory's configuration.".into(),
                "The factory lab was a pipeline parameter there: fill in [factory] before use."
                    .into(),
            ],
        ),
    });
    if let Some(first) = write::existing(out, &files).into_iter().next() {
        return Err(ConfigError::Write {
            path: first,
            reason: "already exists; import into an empty folder (nothing was written)".into(),
        });
    }
    write::write(out, &files, false)?;
    report.written = files
        .iter()
        .map(|f| f.relative.to_string_lossy().replace('\\', "/"))
        .collect();
    Ok(report)
}

fn collect_json(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ConfigError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ConfigError::Read {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_json(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// VM properties the original templates set that have no place in an image definition, with
/// why they are not needed.
const HANDLED_ELSEWHERE: [(&str, &str); 9] = [
    (
        "labVirtualNetworkId",
        "the build uses the factory lab's own network",
    ),
    (
        "labSubnetName",
        "the build uses the factory lab's own subnet",
    ),
    ("userName", "the build generates the admin user"),
    (
        "password",
        "the build generates a password per VM and never stores it",
    ),
    ("sshKey", "the build generates credentials per VM"),
    (
        "isAuthenticationWithSshKey",
        "the build generates credentials per VM",
    ),
    ("allowClaim", "build VMs are never claimable"),
    ("newVMName", "the build names its VMs"),
    ("labName", "the factory lab comes from factory.toml"),
];

fn convert_template(
    file: &Path,
    display: &str,
    path: ImagePath,
    findings: &mut Vec<Finding>,
) -> Result<Option<ImageDefinition>, ConfigError> {
    let text = read(file)?;
    let note = |findings: &mut Vec<Finding>, item: &str, note: String| {
        findings.push(Finding {
            file: display.to_string(),
            item: item.to_string(),
            note,
        })
    };
    let json: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            note(
                findings,
                "file",
                format!("not valid JSON ({e}); skipped, no image definition made"),
            );
            return Ok(None);
        }
    };
    let vms: Vec<&Value> = json["resources"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter(|r| {
                    r["type"].as_str().is_some_and(|t| {
                        t.eq_ignore_ascii_case("Microsoft.DevTestLab/labs/virtualmachines")
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let Some(vm) = vms.first() else {
        note(findings, "resources", "no Microsoft.DevTestLab/labs/virtualmachines resource; skipped, no image definition made".into());
        return Ok(None);
    };
    if vms.len() > 1 {
        note(
            findings,
            "resources",
            format!("{} VM resources; only the first was imported", vms.len()),
        );
    }
    Ok(from_vm_properties(
        &vm["properties"],
        display,
        path,
        findings,
        true,
    ))
}

/// An image definition of `path` from a lab VM's properties (in a template, or as Azure
/// returns a VM): its gallery base, size, notes and artifacts. `Finding`s name what was not
/// carried over, as from `display`; `all` also reports every other property (a template's
/// are the author's choices; a live VM's are mostly Azure's own).
pub fn from_vm_properties(
    props: &Value,
    display: &str,
    path: ImagePath,
    findings: &mut Vec<Finding>,
    all: bool,
) -> Option<ImageDefinition> {
    let note = |findings: &mut Vec<Finding>, item: &str, note: String| {
        findings.push(Finding {
            file: display.to_string(),
            item: item.to_string(),
            note,
        })
    };
    let gallery = &props["galleryImageReference"];
    if !gallery.is_object() {
        let source = if props["customImageId"].is_string() {
            "a custom image (customImageId)"
        } else {
            "no gallery image"
        };
        note(
            findings,
            "properties",
            format!(
                "the VM starts from {source}; only marketplace bases can be imported. Skipped, no image definition made"
            ),
        );
        return None;
    }
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let os = match s(&gallery["osType"]).to_ascii_lowercase().as_str() {
        "linux" => OsType::Linux,
        "windows" => OsType::Windows,
        other => {
            note(
                findings,
                "galleryImageReference.osType",
                format!("`{other}` is not Windows or Linux; imported as Windows, check it"),
            );
            OsType::Windows
        }
    };
    let field = |key: &str| s(&gallery[key]);
    let version = field("version");
    let mut definition = ImageDefinition::new(
        path,
        os,
        BaseImage {
            publisher: field("publisher"),
            offer: field("offer"),
            sku: field("sku"),
            version: if version.is_empty() {
                "latest".into()
            } else {
                version
            },
        },
    );
    definition.description = s(&props["notes"]);
    let size = s(&props["size"]);
    if !size.is_empty() && !size.starts_with('[') {
        definition.size = Some(size);
    } else if size.starts_with('[') {
        note(
            findings,
            "properties.size",
            format!(
                "`{size}` is a pipeline parameter; the size now comes from [defaults] vm_size unless you set size here"
            ),
        );
    }
    let mut handled = vec!["notes", "galleryImageReference", "size", "artifacts"];
    if let Some(artifacts) = props["artifacts"].as_array() {
        for (i, artifact) in artifacts.iter().enumerate() {
            let id = s(&artifact["artifactId"]);
            match artifact_source_and_name(&id) {
                Some((source, name)) => {
                    let parameters: BTreeMap<String, String> = artifact["parameters"]
                        .as_array()
                        .map(|ps| {
                            ps.iter()
                                .map(|p| {
                                    (
                                        s(&p["name"]),
                                        p["value"]
                                            .as_str()
                                            .map(str::to_string)
                                            .unwrap_or_else(|| p["value"].to_string()),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    for (k, v) in &parameters {
                        if v.starts_with('[') {
                            note(
                                findings,
                                &format!("artifacts[{i}].parameters.{k}"),
                                format!(
                                    "`{v}` is a template expression; copied as text, replace it with a value"
                                ),
                            );
                        }
                    }
                    definition.artifacts.push(ArtifactRef {
                        source,
                        name,
                        parameters,
                        secret: Vec::new(),
                    });
                }
                None => note(
                    findings,
                    &format!("artifacts[{i}]"),
                    format!(
                        "artifactId `{id}` names no artifact source and artifact; not imported, add it as an [[artifact]] by hand"
                    ),
                ),
            }
        }
    }
    if !all {
        return Some(definition);
    }
    for (key, why) in HANDLED_ELSEWHERE {
        if !props[key].is_null() {
            handled.push(key);
            note(
                findings,
                &format!("properties.{key}"),
                format!("not carried over: {why}"),
            );
        }
    }
    if let Some(obj) = props.as_object() {
        for (key, value) in obj {
            if handled.contains(&key.as_str()) {
                continue;
            }
            note(
                findings,
                &format!("properties.{key}"),
                format!(
                    "`{}` is not carried over: image definitions have no such setting (the build VM uses the factory lab's defaults)",
                    compact(value)
                ),
            );
        }
    }
    Some(definition)
}

/// A definition from a lab VM as Azure returns it (with its artifacts): its gallery base and
/// artifacts.
pub fn definition_from_vm(
    vm: &Value,
    name: &str,
    path: ImagePath,
) -> Result<ImageDefinition, String> {
    let mut findings = Vec::new();
    from_vm_properties(&vm["properties"], name, path, &mut findings, false).ok_or_else(|| {
        findings
            .first()
            .map(|f| format!("{name}: {}", f.note))
            .unwrap_or_else(|| format!("{name} has no gallery base image"))
    })
}

/// `[resourceId('Microsoft.DevTestLab/labs/artifactSources/artifacts', parameters('labName'), 'public repo', 'windows-chrome')]`
/// or a plain `.../artifactSources/{source}/artifacts/{name}` id.
fn artifact_source_and_name(id: &str) -> Option<(String, String)> {
    if id.starts_with('[') {
        let quoted: Vec<&str> = id.split('\'').skip(1).step_by(2).collect();
        if quoted.len() >= 3 {
            return Some((
                quoted[quoted.len() - 2].to_string(),
                quoted[quoted.len() - 1].to_string(),
            ));
        }
        return None;
    }
    let segs: Vec<&str> = id.split('/').collect();
    let i = segs
        .iter()
        .position(|s| s.eq_ignore_ascii_case("artifactsources"))?;
    match (segs.get(i + 1), segs.get(i + 2), segs.get(i + 3)) {
        (Some(source), Some(kind), Some(name)) if kind.eq_ignore_ascii_case("artifacts") => {
            Some((source.to_string(), name.to_string()))
        }
        _ => None,
    }
}

fn convert_labs(
    file: &Path,
    images: &[String],
    findings: &mut Vec<Finding>,
) -> Result<Vec<TargetLab>, ConfigError> {
    let mut out = Vec::new();
    findings.push(Finding {
        file: "(pipeline)".into(),
        item: "factory lab".into(),
        note: "the original factory took its factory lab from pipeline parameters; set [factory] subscription, resource_group and lab in factory.toml".into(),
    });
    if !file.is_file() {
        findings.push(Finding {
            file: "Labs.json".into(),
            item: "file".into(),
            note: "missing; no target labs imported".into(),
        });
        return Ok(out);
    }
    let text = read(file)?;
    let json: Value = serde_json::from_str(&text).map_err(|e| ConfigError::File {
        path: file.to_path_buf(),
        message: format!("not valid JSON: {e}"),
    })?;
    let Some(labs) = json["Labs"].as_array() else {
        findings.push(Finding {
            file: "Labs.json".into(),
            item: "Labs".into(),
            note: "no `Labs` array; no target labs imported".into(),
        });
        return Ok(out);
    };
    for (i, lab) in labs.iter().enumerate() {
        let item = format!("Labs[{i}]");
        let field = |name: &str| lab[name].as_str().unwrap_or_default().to_string();
        let (sub, rg, name) = (
            field("SubscriptionId"),
            field("ResourceGroup"),
            field("LabName"),
        );
        for (key, value) in [
            ("SubscriptionId", &sub),
            ("ResourceGroup", &rg),
            ("LabName", &name),
        ] {
            if value.is_empty() || (value.starts_with('<') && value.ends_with('>')) {
                findings.push(Finding {
                    file: "Labs.json".into(),
                    item: format!("{item}.{key}"),
                    note: format!(
                        "`{value}` is a placeholder; fill in the real value in factory.toml"
                    ),
                });
            }
        }
        let mut paths = Vec::new();
        for raw in lab["ImagePaths"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str())
        {
            let path = match ImagePath::parse(raw) {
                Ok(path) => path,
                Err(why) => {
                    findings.push(Finding {
                        file: "Labs.json".into(),
                        item: format!("{item}.ImagePaths"),
                        note: format!("left out: {why}"),
                    });
                    continue;
                }
            };
            // The original matched by plain string prefix; we match whole segments, so say when
            // that changes what a lab receives.
            let by_prefix: Vec<&String> = images
                .iter()
                .filter(|i| i.to_ascii_lowercase().starts_with(&path.key()))
                .collect();
            let by_segment: Vec<&String> = images
                .iter()
                .filter(|i| path.covers(&ImagePath::new(i)))
                .collect();
            if by_prefix.len() != by_segment.len() {
                let lost: Vec<&str> = by_prefix
                    .iter()
                    .filter(|p| !by_segment.contains(p))
                    .map(|s| s.as_str())
                    .collect();
                findings.push(Finding {
                    file: "Labs.json".into(),
                    item: format!("{item}.ImagePaths `{raw}`"),
                    note: format!("matched {} by string prefix in the original factory; whole-segment matching no longer sends them. Add them to image_paths if the lab should get them", lost.join(", ")),
                });
            }
            if by_segment.is_empty() {
                findings.push(Finding { file: "Labs.json".into(), item: format!("{item}.ImagePaths `{raw}`"), note: "matches no golden image; kept, but the configuration will not load until it matches one".into() });
            }
            paths.push(path);
        }
        out.push(TargetLab {
            lab: LabRef {
                subscription: sub,
                resource_group: rg,
                name,
            },
            image_paths: paths,
        });
        if let Some(obj) = lab.as_object() {
            for key in obj.keys().filter(|k| {
                !["SubscriptionId", "ResourceGroup", "LabName", "ImagePaths"].contains(&k.as_str())
            }) {
                findings.push(Finding {
                    file: "Labs.json".into(),
                    item: format!("{item}.{key}"),
                    note: "unknown setting; not carried over".into(),
                });
            }
        }
    }
    Ok(out)
}

fn compact(v: &Value) -> String {
    let s = v.to_string();
    let s = s.trim_matches('"');
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}
