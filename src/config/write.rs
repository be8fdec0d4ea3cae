//! The configuration writer: `factory.toml` and the image definition files from typed values,
//! in the layout `load` reads. What it writes loads back to the same configuration (a property
//! test holds it to that), so the setup, `import-legacy` and the console's editor share it
//! instead of printing TOML by hand.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::{BuildSettings, ConfigError, FactoryConfig, ImageDefinition, OsType, RetentionPolicy};
use crate::config::{ArtifactRef, BaseImage};

/// A file to write: its path relative to the configuration's folder, and its text.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigFile {
    pub relative: PathBuf,
    pub text: String,
}

/// The text of `factory.toml` for `config`, after `comments` (one `#` line each). Settings
/// left at their defaults are written too when a reader would want to see them (retention),
/// and left out when they are tuning nobody asked for (`[build]`).
pub fn factory_toml(config: &FactoryConfig, comments: &[String]) -> String {
    let file = FactoryOut {
        factory: LabOut {
            subscription: &config.factory.subscription,
            resource_group: &config.factory.resource_group,
            lab: &config.factory.name,
        },
        azure: azure(config),
        defaults: DefaultsOut {
            vm_size: &config.defaults.vm_size,
            parallelism: config.defaults.parallelism,
        },
        build: build(&config.build),
        retention: retention(&config.retention),
        lab: config
            .labs
            .iter()
            .map(|t| TargetLabOut {
                subscription: &t.lab.subscription,
                resource_group: &t.lab.resource_group,
                name: &t.lab.name,
                image_paths: t.image_paths.iter().map(|p| p.as_str()).collect(),
            })
            .collect(),
    };
    with_comments(comments, &file)
}

/// The text of an image definition's file, after `comments`.
pub fn definition_toml(definition: &ImageDefinition, comments: &[String]) -> String {
    let file = DefinitionOut {
        description: &definition.description,
        os: match definition.os {
            OsType::Windows => "Windows",
            OsType::Linux => "Linux",
        },
        size: definition.size.as_deref(),
        storage_type: definition.storage_type.map(|t| t.as_str()),
        base: &definition.base,
        artifact: &definition.artifacts,
        tags: &definition.tags,
        retention: RetentionOverrideOut {
            keep_latest: definition.retention.keep_latest,
            min_age: definition.retention.min_age.map(duration),
        },
    };
    with_comments(comments, &file)
}

/// Where a definition of `path` lives, relative to the configuration's folder.
pub fn definition_file(path: &super::ImagePath) -> PathBuf {
    PathBuf::from("images").join(format!("{}.toml", path.as_str()))
}

/// Every file of `config`: `factory.toml` and one per image definition.
pub fn files(config: &FactoryConfig) -> Vec<ConfigFile> {
    let mut out = vec![ConfigFile {
        relative: PathBuf::from("factory.toml"),
        text: factory_toml(config, &[]),
    }];
    out.extend(config.images.iter().map(|d| ConfigFile {
        relative: definition_file(&d.path),
        text: definition_toml(d, &[]),
    }));
    out
}

/// The files among `files` that already exist under `dir`.
pub fn existing(dir: &Path, files: &[ConfigFile]) -> Vec<PathBuf> {
    files
        .iter()
        .map(|f| dir.join(&f.relative))
        .filter(|p| p.exists())
        .collect()
}

/// Writes `files` under `dir`. Unless `overwrite`, nothing is written when any of them exists
/// (the error names the first). Each file is written whole through a temporary beside it, so a
/// crash leaves the old file or the new one, never half of one.
pub fn write(dir: &Path, files: &[ConfigFile], overwrite: bool) -> Result<(), ConfigError> {
    if !overwrite && let Some(first) = existing(dir, files).into_iter().next() {
        return Err(ConfigError::Write {
            path: first,
            reason: "already exists; nothing was written (move it away, or choose another folder)"
                .into(),
        });
    }
    for file in files {
        let target = dir.join(&file.relative);
        let fail = |path: &Path, e: std::io::Error| ConfigError::Write {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| fail(parent, e))?;
        }
        // The user's umask decides who may read it: a factory is meant to be committed.
        crate::files::write_shared(&target, file.text.as_bytes()).map_err(|e| fail(&target, e))?;
    }
    Ok(())
}

/// Loads the configuration in `dir` as it would be once `files` are written there, from a
/// scratch copy (its `factory.toml` and `images/`) that is removed after: what would not load
/// (with the definitions already there too) is refused before anything is written.
pub fn loads(dir: &Path, files: &[ConfigFile]) -> Result<FactoryConfig, ConfigError> {
    let scratch = std::env::temp_dir().join(format!(
        "imagefactory-check-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let mut copies = present(dir, Path::new("factory.toml"));
    collect_images(dir, Path::new("images"), &mut copies);
    copies.retain(|c| !files.iter().any(|f| f.relative == c.relative));
    copies.extend(files.iter().cloned());
    let result =
        write(&scratch, &copies, false).and_then(|()| super::load(&scratch.join("factory.toml")));
    let _ = std::fs::remove_dir_all(&scratch);
    // Positions in the scratch copy are positions in the file to be written.
    result.map_err(|e| match e {
        ConfigError::At {
            path,
            line,
            column,
            message,
        } => ConfigError::At {
            path: path
                .strip_prefix(&scratch)
                .map(Path::to_path_buf)
                .unwrap_or(path),
            line,
            column,
            message,
        },
        ConfigError::File { path, message } => ConfigError::File {
            path: path
                .strip_prefix(&scratch)
                .map(Path::to_path_buf)
                .unwrap_or(path),
            message,
        },
        other => other,
    })
}

/// The file at `relative` under `dir`, if it can be read.
fn present(dir: &Path, relative: &Path) -> Vec<ConfigFile> {
    std::fs::read_to_string(dir.join(relative))
        .map(|text| ConfigFile {
            relative: relative.to_path_buf(),
            text,
        })
        .into_iter()
        .collect()
}

/// Every `*.toml` under `dir/relative`, as files relative to `dir`.
fn collect_images(dir: &Path, relative: &Path, out: &mut Vec<ConfigFile>) {
    let Ok(entries) = std::fs::read_dir(dir.join(relative)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = relative.join(entry.file_name());
        if entry.path().is_dir() {
            collect_images(dir, &name, out);
        } else if name.extension().is_some_and(|e| e == "toml") {
            out.extend(present(dir, &name));
        }
    }
}

/// Writes a definition's text (a new one only where no file is) and loads the configuration
/// again; a configuration that would not load with it is refused before it is written.
pub fn save_definition(
    config: &FactoryConfig,
    file: &std::path::Path,
    text: &str,
    new: bool,
) -> Result<FactoryConfig, ConfigError> {
    let dir = config.path.parent().unwrap_or(std::path::Path::new("."));
    let relative = file.strip_prefix(dir).unwrap_or(file).to_path_buf();
    let files = [ConfigFile {
        relative,
        text: text.to_string(),
    }];
    loads(dir, &files)?;
    write(dir, &files, !new)?;
    super::load(&config.path)
}

/// A duration as the largest unit that holds it exactly, up to days (`7d`, `14d`, `90m`):
/// ages are given in days (a `7d` typed into the setup must not come back as `1w`).
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs();
    for (unit, size) in [('d', 86_400), ('h', 3600), ('m', 60)] {
        if secs > 0 && secs.is_multiple_of(size) {
            return format!("{}{unit}", secs / size);
        }
    }
    format!("{secs}s")
}

fn with_comments(comments: &[String], file: &impl Serialize) -> String {
    let mut text: String = comments.iter().map(|c| format!("# {c}\n")).collect();
    if !text.is_empty() {
        text.push('\n');
    }
    // Only strings, numbers, booleans, tables and arrays of them: serialising cannot fail.
    text.push_str(&toml::to_string(file).expect("configuration values serialise to TOML"));
    text
}

fn azure(config: &FactoryConfig) -> Option<AzureOut> {
    let a = &config.azure;
    let out = AzureOut {
        endpoint: a.endpoint.as_ref().map(|u| u.to_string()),
        auth: a.auth.map(|m| m.as_str()),
        concurrency: a.concurrency,
        read_only: a.read_only.then_some(true),
    };
    let empty = out.endpoint.is_none()
        && out.auth.is_none()
        && out.concurrency.is_none()
        && out.read_only.is_none();
    (!empty).then_some(out)
}

fn build(b: &BuildSettings) -> Option<BuildOut> {
    let d = BuildSettings::default();
    let differs = |v: Duration, default: Duration| (v != default).then(|| duration(v));
    let out = BuildOut {
        max_copies: (b.max_copies != d.max_copies).then_some(b.max_copies),
        keep_failed_vms: b.keep_failed_vms.then_some(true),
        vm_timeout: differs(b.vm_timeout, d.vm_timeout),
        generalize_timeout: differs(b.generalize_timeout, d.generalize_timeout),
        capture_timeout: differs(b.capture_timeout, d.capture_timeout),
        copy_timeout: differs(b.copy_timeout, d.copy_timeout),
        image_timeout: differs(b.image_timeout, d.image_timeout),
        cleanup_timeout: differs(b.cleanup_timeout, d.cleanup_timeout),
        storage_type: (b.storage_type != d.storage_type).then_some(b.storage_type.as_str()),
        storage_auth: (b.storage_auth != d.storage_auth).then_some(b.storage_auth.as_str()),
    };
    (b != &d).then_some(out)
}

fn retention(r: &RetentionPolicy) -> RetentionOut {
    RetentionOut {
        keep_latest: r.keep_latest,
        min_age: duration(r.min_age),
        protect_in_use: r.protect_in_use,
        retire_removed_definitions: r.retire_removed_definitions,
        retire_unsubscribed: r.retire_unsubscribed,
    }
}

#[derive(Serialize)]
struct FactoryOut<'a> {
    factory: LabOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    azure: Option<AzureOut>,
    defaults: DefaultsOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    build: Option<BuildOut>,
    retention: RetentionOut,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    lab: Vec<TargetLabOut<'a>>,
}

#[derive(Serialize)]
struct LabOut<'a> {
    subscription: &'a str,
    resource_group: &'a str,
    lab: &'a str,
}

#[derive(Serialize)]
struct AzureOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    concurrency: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    read_only: Option<bool>,
}

#[derive(Serialize)]
struct DefaultsOut<'a> {
    vm_size: &'a str,
    parallelism: usize,
}

#[derive(Serialize)]
struct BuildOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    max_copies: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keep_failed_vms: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vm_timeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    generalize_timeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    capture_timeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    copy_timeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_timeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cleanup_timeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    storage_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    storage_auth: Option<&'static str>,
}

#[derive(Serialize)]
struct RetentionOut {
    keep_latest: usize,
    min_age: String,
    protect_in_use: bool,
    retire_removed_definitions: bool,
    retire_unsubscribed: bool,
}

#[derive(Serialize)]
struct TargetLabOut<'a> {
    subscription: &'a str,
    resource_group: &'a str,
    name: &'a str,
    image_paths: Vec<&'a str>,
}

#[derive(Serialize)]
struct DefinitionOut<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    os: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    storage_type: Option<&'static str>,
    base: &'a BaseImage,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    artifact: &'a [ArtifactRef],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    tags: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "RetentionOverrideOut::is_empty")]
    retention: RetentionOverrideOut,
}

#[derive(Serialize)]
struct RetentionOverrideOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    keep_latest: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_age: Option<String>,
}

impl RetentionOverrideOut {
    fn is_empty(&self) -> bool {
        self.keep_latest.is_none() && self.min_age.is_none()
    }
}
