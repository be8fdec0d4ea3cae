use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::retention::{RetentionOverrideFile, overrides};
use super::{ConfigError, ImagePath, RetentionOverride, read};

/// An image definition: one TOML file under `images/`; its path there is its image path.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageDefinition {
    pub path: ImagePath,
    pub file: PathBuf,
    pub description: String,
    pub os: OsType,
    pub base: BaseImage,
    pub size: Option<String>,
    /// The build VM's disk type, when not `[build] storage_type`.
    pub storage_type: Option<super::StorageType>,
    pub artifacts: Vec<ArtifactRef>,
    pub tags: BTreeMap<String, String>,
    pub retention: RetentionOverride,
}

impl ImageDefinition {
    /// A definition with only what every definition has: a path, an OS and a base image.
    pub fn new(path: ImagePath, os: OsType, base: BaseImage) -> Self {
        ImageDefinition {
            file: PathBuf::from(format!("images/{path}.toml")),
            path,
            description: String::new(),
            os,
            base,
            size: None,
            storage_type: None,
            artifacts: Vec::new(),
            tags: BTreeMap::new(),
            retention: RetentionOverride::default(),
        }
    }
}

/// The OS of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OsType {
    Windows,
    Linux,
}

/// The marketplace image a build starts from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseImage {
    pub publisher: String,
    pub offer: String,
    pub sku: String,
    #[serde(default = "latest")]
    pub version: String,
}

impl BaseImage {
    /// A marketplace image at its latest version.
    pub fn latest(publisher: &str, offer: &str, sku: &str) -> Self {
        BaseImage {
            publisher: publisher.into(),
            offer: offer.into(),
            sku: sku.into(),
            version: latest(),
        }
    }
}

fn latest() -> String {
    "latest".into()
}

/// An artifact to apply: the artifact source's name, the artifact's name, its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactRef {
    pub source: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, String>,
    /// Parameters whose values are secret (`secret = ["adminPassword"]`): masked wherever the
    /// artifact's output is shown or journaled. The planner adds those the artifact itself
    /// types `securestring`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret: Vec<String>,
}

impl ArtifactRef {
    /// The values to mask in this artifact's output: of the parameters said secret, and of
    /// any whose name ends saying it is one (`adminPassword`, `clientSecret`, `sasToken`,
    /// `apiKey`; not `keyVaultName`). Short values are left: `true` would be masked in every
    /// line of the output.
    pub fn secret_values(&self) -> impl Iterator<Item = &String> {
        self.parameters.iter().filter_map(|(name, value)| {
            let lower = name.to_ascii_lowercase();
            let said = self.secret.iter().any(|s| s.eq_ignore_ascii_case(name));
            let named = ["password", "secret", "token", "key"]
                .iter()
                .any(|w| lower.ends_with(w));
            ((said || named) && value.chars().count() >= 6).then_some(value)
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageFile {
    description: Option<String>,
    os: Spanned<String>,
    base: BaseImage,
    size: Option<String>,
    storage_type: Option<Spanned<String>>,
    #[serde(default, rename = "artifact")]
    artifacts: Vec<Spanned<ArtifactRef>>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    retention: Option<RetentionOverrideFile>,
}

/// Reads every `*.toml` under `dir`, in path order. A missing folder holds no definitions.
pub(super) fn load_all(dir: &Path) -> Result<Vec<ImageDefinition>, ConfigError> {
    let mut files = Vec::new();
    if dir.is_dir() {
        collect(dir, &mut files)?;
    }
    files.sort();
    let mut images: Vec<ImageDefinition> = Vec::with_capacity(files.len());
    for file in files {
        let def = load(dir, &file)?;
        if let Some(other) = images.iter().find(|d| d.path == def.path) {
            return Err(ConfigError::File {
                path: file,
                message: format!(
                    "image path `{}` is also defined by {}; image paths compare without case",
                    def.path,
                    other.file.display()
                ),
            });
        }
        images.push(def);
    }
    Ok(images)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ConfigError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ConfigError::Read {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    for entry in entries {
        let path = entry
            .map_err(|e| ConfigError::Read {
                path: dir.to_path_buf(),
                reason: e.to_string(),
            })?
            .path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

fn load(root: &Path, file: &Path) -> Result<ImageDefinition, ConfigError> {
    parse(root, file, &read(file)?)
}

/// The definition `text` would be as `file` under the images folder `root` (its path there is
/// the image path): for text being edited, before it is written.
pub fn parse(root: &Path, file: &Path, text: &str) -> Result<ImageDefinition, ConfigError> {
    let parsed: ImageFile =
        toml::from_str(text).map_err(|e| ConfigError::from_toml(file, text, &e))?;
    let at = |span: std::ops::Range<usize>, message: String| {
        ConfigError::at(file, text, span.start, message)
    };
    let relative = file.strip_prefix(root).unwrap_or(file).with_extension("");
    let raw_path: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let path = ImagePath::new(&raw_path.join("/"));
    let os = match parsed.os.get_ref().to_ascii_lowercase().as_str() {
        "windows" => OsType::Windows,
        "linux" => OsType::Linux,
        other => {
            return Err(at(
                parsed.os.span(),
                format!("os `{other}` is not an OS; expected \"Windows\" or \"Linux\""),
            ));
        }
    };
    let base = parsed.base;
    for (value, what) in [
        (&base.publisher, "publisher"),
        (&base.offer, "offer"),
        (&base.sku, "sku"),
    ] {
        if value.trim().is_empty() {
            return Err(ConfigError::File {
                path: file.to_path_buf(),
                message: format!("[base] {what} is empty"),
            });
        }
    }
    let mut artifacts = Vec::new();
    for a in parsed.artifacts {
        if a.get_ref().name.trim().is_empty() || a.get_ref().source.trim().is_empty() {
            return Err(at(
                a.span(),
                "an [[artifact]] needs a source (artifact repository name) and a name".into(),
            ));
        }
        artifacts.push(a.into_inner());
    }
    Ok(ImageDefinition {
        path,
        file: file.to_path_buf(),
        description: parsed.description.unwrap_or_default(),
        os,
        base,
        size: parsed.size,
        storage_type: parsed
            .storage_type
            .as_ref()
            .map(|v| super::StorageType::field(v, &at))
            .transpose()?,
        artifacts,
        tags: parsed.tags,
        retention: overrides(parsed.retention, &at)?,
    })
}
