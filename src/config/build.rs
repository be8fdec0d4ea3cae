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
    })
}
