//! `[build]`: how builds run. Every stage has a timeout (defaults that fit Azure's own
//! durations with room to spare), copies are bounded on their own, and failed VMs are deleted
//! unless kept for a post-mortem.

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;
use super::retention::parse_age;

/// `[build]`, with its defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildSettings {
    /// Blob copies in flight at once, across the run.
    pub max_copies: usize,
    /// Keep the VM of a failed image (for a look inside); it is deleted otherwise.
    pub keep_failed_vms: bool,
    /// Creating the VM and applying its artifacts.
    pub vm_timeout: Duration,
    /// From the generalize artifact's end until the VM is deallocated.
    pub generalize_timeout: Duration,
    /// Granting disk access and copying the disk into the catalogue.
    pub capture_timeout: Duration,
    /// One copy into a target lab.
    pub copy_timeout: Duration,
    /// Creating one custom image from its VHD.
    pub image_timeout: Duration,
    /// Deleting the VM and what else the run made.
    pub cleanup_timeout: Duration,
    /// The build VM's OS disk, unless a definition says otherwise.
    pub storage_type: StorageType,
    /// How blob calls to the factory's and labs' storage accounts are authorized.
    pub storage_auth: StorageAuth,
}

/// `[build] storage_auth`: how the blob calls of a build are authorized.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StorageAuth {
    /// Entra ID where the account forbids shared keys (`allowSharedKeyAccess: false`), a key
    /// SAS elsewhere.
    #[default]
    Auto,
    /// Always Entra ID: a bearer token on every call and user delegation SAS for copy sources.
    /// The identity needs Storage Blob Data Contributor on every account.
    Entra,
    /// Always a SAS signed with a key from `listKeys`.
    Keys,
}

impl StorageAuth {
    pub fn as_str(self) -> &'static str {
        match self {
            StorageAuth::Auto => "auto",
            StorageAuth::Entra => "entra",
            StorageAuth::Keys => "keys",
        }
    }
}

/// A lab VM's disk type (`storageType`, the spec's `StorageType`). The default is `Standard`,
/// as the original factory's golden-image templates send it: a build VM lives an hour, and
/// Premium needs a size that can use it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StorageType {
    #[default]
    Standard,
    StandardSsd,
    Premium,
}

impl StorageType {
    /// As DevTest Labs spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageType::Standard => "Standard",
            StorageType::StandardSsd => "StandardSSD",
            StorageType::Premium => "Premium",
        }
    }

    /// Reads one, in any case.
    pub fn parse(text: &str) -> Option<StorageType> {
        [
            StorageType::Standard,
            StorageType::StandardSsd,
            StorageType::Premium,
        ]
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// Reads `value` (a TOML field), or says what it should be at its place.
    pub(super) fn field(
        value: &Spanned<String>,
        at: &dyn Fn(std::ops::Range<usize>, String) -> ConfigError,
    ) -> Result<StorageType, ConfigError> {
        StorageType::parse(value.get_ref()).ok_or_else(|| {
            at(
                value.span(),
                format!(
                    "storage_type `{}` is not a disk type; expected \"Standard\", \"StandardSSD\" or \"Premium\"",
                    value.get_ref()
                ),
            )
        })
    }
}

/// Whether a VM size can use Premium disks, by Azure's size names (the naming conventions of
/// Azure VM sizes: a lowercase `s` among the features, or the older `DS`/`GS` families, marks
/// premium storage support). `None` for a name that does not follow them.
pub fn premium_capable(size: &str) -> Option<bool> {
    let name = size
        .strip_prefix("Standard_")
        .or_else(|| size.strip_prefix("standard_"))?;
    let first = name.split('_').next()?;
    let family: String = first
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let rest = &first[family.len()..];
    let digits = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .count();
    if family.is_empty() || digits == 0 {
        return None;
    }
    let features = &rest[digits..];
    // The M-series supports premium storage in every size, `s` or not.
    Some(features.contains('s') || family.ends_with('S') && family.len() > 1 || family == "M")
}

impl Default for BuildSettings {
    fn default() -> Self {
        BuildSettings {
            max_copies: 8,
            keep_failed_vms: false,
            vm_timeout: Duration::from_secs(3 * 3600),
            generalize_timeout: Duration::from_secs(3600),
            capture_timeout: Duration::from_secs(3 * 3600),
            copy_timeout: Duration::from_secs(3 * 3600),
            image_timeout: Duration::from_secs(3600),
            cleanup_timeout: Duration::from_secs(3600),
            storage_type: StorageType::Standard,
            storage_auth: StorageAuth::Auto,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BuildFile {
    max_copies: Option<Spanned<i64>>,
    #[serde(default)]
    keep_failed_vms: bool,
    vm_timeout: Option<Spanned<String>>,
    generalize_timeout: Option<Spanned<String>>,
    capture_timeout: Option<Spanned<String>>,
    copy_timeout: Option<Spanned<String>>,
    image_timeout: Option<Spanned<String>>,
    cleanup_timeout: Option<Spanned<String>>,
    storage_type: Option<Spanned<String>>,
    storage_auth: Option<Spanned<String>>,
}

type At<'a> = dyn Fn(std::ops::Range<usize>, String) -> ConfigError + 'a;

pub(super) fn settings(file: Option<BuildFile>, at: &At) -> Result<BuildSettings, ConfigError> {
    let defaults = BuildSettings::default();
    let Some(file) = file else {
        return Ok(defaults);
    };
    let timeout = |value: &Option<Spanned<String>>, name: &str, default: Duration| match value {
        None => Ok(default),
        Some(v) => match parse_age(v.get_ref()) {
            Some(d) if !d.is_zero() => Ok(d),
            _ => Err(at(
                v.span(),
                format!(
                    "{name} `{}` is not a duration above zero; expected a number and a unit, like \"90m\", \"2h\" or \"30s\"",
                    v.get_ref()
                ),
            )),
        },
    };
    Ok(BuildSettings {
        max_copies: match &file.max_copies {
            None => defaults.max_copies,
            Some(v) => super::positive(v, "max_copies", &|r, m| at(r, m))?,
        },
        keep_failed_vms: file.keep_failed_vms,
        vm_timeout: timeout(&file.vm_timeout, "vm_timeout", defaults.vm_timeout)?,
        generalize_timeout: timeout(
            &file.generalize_timeout,
            "generalize_timeout",
            defaults.generalize_timeout,
        )?,
        capture_timeout: timeout(
            &file.capture_timeout,
            "capture_timeout",
            defaults.capture_timeout,
        )?,
        copy_timeout: timeout(&file.copy_timeout, "copy_timeout", defaults.copy_timeout)?,
        image_timeout: timeout(&file.image_timeout, "image_timeout", defaults.image_timeout)?,
        cleanup_timeout: timeout(
            &file.cleanup_timeout,
            "cleanup_timeout",
            defaults.cleanup_timeout,
        )?,
        storage_type: match &file.storage_type {
            None => defaults.storage_type,
            Some(v) => StorageType::field(v, at)?,
        },
        storage_auth: match &file.storage_auth {
            None => defaults.storage_auth,
            Some(v) => [StorageAuth::Auto, StorageAuth::Entra, StorageAuth::Keys]
                .into_iter()
                .find(|a| a.as_str().eq_ignore_ascii_case(v.get_ref().trim()))
                .ok_or_else(|| {
                    at(
                        v.span(),
                        format!(
                            "storage_auth `{}` is not a way to reach storage; expected \"auto\", \"entra\" or \"keys\"",
                            v.get_ref()
                        ),
                    )
                })?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::premium_capable;

    #[test]
    fn premium_capable_sizes_are_told_by_their_names() {
        for size in [
            "Standard_D4s_v5",
            "Standard_DS2_v2",
            "Standard_B2ms",
            "Standard_D2as_v5",
            "Standard_E8-4s_v5",
            "Standard_GS5",
            "Standard_M64",
        ] {
            assert_eq!(premium_capable(size), Some(true), "{size}");
        }
        for size in [
            "Standard_D4_v5",
            "Standard_A2_v2",
            "Standard_F4",
            "Standard_NC6",
            "Standard_D2a_v4",
        ] {
            assert_eq!(premium_capable(size), Some(false), "{size}");
        }
        for size in ["Basic_A0", "Standard_Bogus", "D4s_v5", "Standard_"] {
            assert_eq!(premium_capable(size), None, "{size}");
        }
    }
}
