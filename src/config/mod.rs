//! The factory configuration: `factory.toml` and one TOML file per image definition under
//! `images/`, turned into typed, validated structs. Also the importer of the original
//! PowerShell factory's configuration.

mod build;
mod errors;
mod image;
mod image_path;
mod labs;
pub mod legacy;
mod retention;
pub mod write;

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::arm::AuthMode;

pub use build::{BuildSettings, StorageAuth, StorageType, premium_capable};
pub use errors::ConfigError;
pub use image::{ArtifactRef, BaseImage, ImageDefinition, OsType, parse as parse_definition};
pub use image_path::ImagePath;
pub use labs::{LabRef, TargetLab};
pub use retention::{MAX_AGE_DAYS, MAX_KEEP_LATEST, RetentionOverride, RetentionPolicy, parse_age};

/// A loaded and validated factory configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct FactoryConfig {
    /// The `factory.toml` it came from.
    pub path: PathBuf,
    /// The lab where images are built.
    pub factory: LabRef,
    /// How to reach Azure (each may be overridden on the command line).
    pub azure: AzureSettings,
    /// Defaults for builds.
    pub defaults: Defaults,
    /// How builds run: timeouts, copies at once, failed VMs kept or not.
    pub build: BuildSettings,
    /// Retention policy, overridable per image definition.
    pub retention: RetentionPolicy,
    /// Labs that receive images.
    pub labs: Vec<TargetLab>,
    /// Image definitions, from `images/`.
    pub images: Vec<ImageDefinition>,
}

impl FactoryConfig {
    /// The build VM size of `definition`: its own, else `[defaults] vm_size`.
    pub fn vm_size_of(&self, definition: &ImageDefinition) -> String {
        definition
            .size
            .clone()
            .unwrap_or_else(|| self.defaults.vm_size.clone())
    }

    /// Every definition's base image, in definition order.
    pub fn bases(&self) -> Vec<&BaseImage> {
        self.images.iter().map(|d| &d.base).collect()
    }

    /// The build VM's disk type for `definition`: its own, else `[build] storage_type`.
    pub fn storage_type_of(&self, definition: &ImageDefinition) -> StorageType {
        definition.storage_type.unwrap_or(self.build.storage_type)
    }
}

/// `[azure]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AzureSettings {
    pub endpoint: Option<url::Url>,
    /// The credential, one mode shared with `--auth` and the client.
    pub auth: Option<AuthMode>,
    pub concurrency: Option<usize>,
    pub read_only: bool,
}

/// `[defaults]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Defaults {
    pub vm_size: String,
    pub parallelism: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FactoryFile {
    factory: LabRefFile,
    #[serde(default)]
    azure: Option<AzureFile>,
    #[serde(default)]
    defaults: Option<DefaultsFile>,
    #[serde(default)]
    build: Option<build::BuildFile>,
    #[serde(default)]
    retention: Option<retention::RetentionFile>,
    #[serde(default)]
    lab: Vec<labs::TargetLabFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LabRefFile {
    pub subscription: Spanned<String>,
    pub resource_group: Spanned<String>,
    #[serde(alias = "name")]
    pub lab: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AzureFile {
    endpoint: Option<Spanned<String>>,
    auth: Option<Spanned<String>>,
    concurrency: Option<Spanned<i64>>,
    #[serde(default)]
    read_only: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultsFile {
    vm_size: Option<String>,
    parallelism: Option<Spanned<i64>>,
}

/// Where the configuration was looked for, in order.
pub fn search_path(explicit: Option<&Path>) -> Vec<PathBuf> {
    if let Some(p) = explicit {
        return vec![p.to_path_buf()];
    }
    let mut paths = Vec::new();
    if let Some(p) = std::env::var_os("IMAGEFACTORY_CONFIG").filter(|p| !p.is_empty()) {
        paths.push(PathBuf::from(p));
    }
    paths.push(PathBuf::from("factory.toml"));
    paths.push(crate::paths::config_dir().join("factory.toml"));
    paths
}

/// Finds the configuration (`--config`, `IMAGEFACTORY_CONFIG`, `./factory.toml`, the XDG config
/// dir). `Ok(None)` when there is none and none was asked for by name.
pub fn discover(explicit: Option<&Path>) -> Result<Option<FactoryConfig>, ConfigError> {
    let searched = search_path(explicit);
    let named = explicit.is_some()
        || std::env::var_os("IMAGEFACTORY_CONFIG").is_some_and(|p| !p.is_empty());
    for (i, path) in searched.iter().enumerate() {
        if path.is_file() {
            return load(path).map(Some);
        }
        // A file the user named must exist; the defaults after it are only fallbacks.
        if named && i == 0 {
            return Err(ConfigError::NotFound {
                searched: vec![path.clone()],
            });
        }
    }
    Ok(None)
}

/// Loads `factory.toml` and the image definitions beside it.
pub fn load(path: &Path) -> Result<FactoryConfig, ConfigError> {
    let text = read(path)?;
    let file: FactoryFile =
        toml::from_str(&text).map_err(|e| ConfigError::from_toml(path, &text, &e))?;
    let at = |span: std::ops::Range<usize>, message: String| {
        ConfigError::at(path, &text, span.start, message)
    };
    let factory = labs::lab_ref(&file.factory, &at)?;
    let azure = match file.azure {
        None => AzureSettings::default(),
        Some(a) => azure_settings(a, &at)?,
    };
    let defaults = match file.defaults {
        None => Defaults {
            vm_size: DEFAULT_VM_SIZE.into(),
            parallelism: DEFAULT_PARALLELISM,
        },
        Some(d) => Defaults {
            vm_size: d.vm_size.unwrap_or_else(|| DEFAULT_VM_SIZE.into()),
            parallelism: match d.parallelism {
                None => DEFAULT_PARALLELISM,
                Some(p) => positive(&p, "parallelism", &at)?,
            },
        },
    };
    let build = build::settings(file.build, &at)?;
    let retention = retention::policy(file.retention, &at)?;
    let images_dir = path.parent().unwrap_or(Path::new(".")).join("images");
    let images = image::load_all(&images_dir)?;
    let labs = labs::target_labs(file.lab, &images, &at)?;
    Ok(FactoryConfig {
        path: path.to_path_buf(),
        factory,
        azure,
        defaults,
        build,
        retention,
        labs,
        images,
    })
}

pub(crate) const DEFAULT_VM_SIZE: &str = "Standard_D4s_v5";
pub(crate) const DEFAULT_PARALLELISM: usize = 4;

fn azure_settings(
    a: AzureFile,
    at: &impl Fn(std::ops::Range<usize>, String) -> ConfigError,
) -> Result<AzureSettings, ConfigError> {
    let endpoint = match a.endpoint {
        None => None,
        Some(e) => Some(url::Url::parse(e.get_ref()).map_err(|err| {
            at(e.span(), format!("endpoint `{}` is not a URL ({err}); expected for example https://management.azure.com/", e.get_ref()))
        })?),
    };
    let auth = match a.auth {
        None => None,
        Some(m) => match AuthMode::named(m.get_ref()) {
            Some(mode) => Some(mode),
            None => {
                let names = AuthMode::ALL.map(AuthMode::as_str);
                let hint = crate::human::nearest(m.get_ref(), &names)
                    .map(|n| format!("did you mean `{n}`? "))
                    .unwrap_or_default();
                return Err(at(
                    m.span(),
                    format!(
                        "auth `{}` is not a credential; {hint}expected one of: {}",
                        m.get_ref(),
                        names.join(", ")
                    ),
                ));
            }
        },
    };
    let concurrency = match a.concurrency {
        None => None,
        Some(c) => Some(positive(&c, "concurrency", at)?),
    };
    Ok(AzureSettings {
        endpoint,
        auth,
        concurrency,
        read_only: a.read_only,
    })
}

fn positive(
    value: &Spanned<i64>,
    name: &str,
    at: &impl Fn(std::ops::Range<usize>, String) -> ConfigError,
) -> Result<usize, ConfigError> {
    match usize::try_from(*value.get_ref()) {
        Ok(n) if (1..=256).contains(&n) => Ok(n),
        _ => Err(at(
            value.span(),
            format!(
                "{name} must be a whole number from 1 to 256, not {}",
                value.get_ref()
            ),
        )),
    }
}

pub(crate) fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// True when `s` looks like a subscription id (a GUID).
pub(crate) fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.chars().all(|c| c.is_ascii_hexdigit()))
}
