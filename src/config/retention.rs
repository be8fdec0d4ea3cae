use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;

/// How old images are retired. Set in `factory.toml`, overridable per image definition.
#[derive(Debug, Clone, PartialEq)]
pub struct RetentionPolicy {
    /// Images of one path kept in each lab, newest first (at least 1).
    pub keep_latest: usize,
    /// Images younger than this are never retired.
    pub min_age: std::time::Duration,
    /// Never retire an image a VM in its lab was created from, or that a formula uses.
    pub protect_in_use: bool,
    /// Retire images whose definition no longer exists.
    pub retire_removed_definitions: bool,
    /// Retire images of paths a lab no longer subscribes to.
    pub retire_unsubscribed: bool,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            keep_latest: 2,
            min_age: std::time::Duration::from_secs(7 * 86_400),
            protect_in_use: true,
            retire_removed_definitions: false,
            retire_unsubscribed: false,
        }
    }
}

/// Per-image-definition overrides.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RetentionOverride {
    pub keep_latest: Option<usize>,
    pub min_age: Option<std::time::Duration>,
}

impl RetentionPolicy {
    /// This policy with an image definition's overrides applied.
    pub fn with(&self, o: &RetentionOverride) -> RetentionPolicy {
        RetentionPolicy {
            keep_latest: o.keep_latest.unwrap_or(self.keep_latest),
            min_age: o.min_age.unwrap_or(self.min_age),
            ..self.clone()
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RetentionFile {
    keep_latest: Option<Spanned<i64>>,
    min_age: Option<Spanned<String>>,
    protect_in_use: Option<bool>,
    retire_removed_definitions: Option<bool>,
    retire_unsubscribed: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RetentionOverrideFile {
    keep_latest: Option<Spanned<i64>>,
    min_age: Option<Spanned<String>>,
}

type At<'a> = dyn Fn(std::ops::Range<usize>, String) -> ConfigError + 'a;

pub(super) fn policy(file: Option<RetentionFile>, at: &At) -> Result<RetentionPolicy, ConfigError> {
    let mut p = RetentionPolicy::default();
    let Some(f) = file else { return Ok(p) };
    if let Some(k) = f.keep_latest {
        p.keep_latest = keep_latest(&k, at)?;
    }
    if let Some(m) = f.min_age {
        p.min_age = age(&m, at)?;
    }
    p.protect_in_use = f.protect_in_use.unwrap_or(p.protect_in_use);
    p.retire_removed_definitions = f
        .retire_removed_definitions
        .unwrap_or(p.retire_removed_definitions);
    p.retire_unsubscribed = f.retire_unsubscribed.unwrap_or(p.retire_unsubscribed);
    Ok(p)
}

pub(super) fn overrides(
    file: Option<RetentionOverrideFile>,
    at: &At,
) -> Result<RetentionOverride, ConfigError> {
    let Some(f) = file else {
        return Ok(RetentionOverride::default());
    };
    Ok(RetentionOverride {
        keep_latest: f.keep_latest.map(|k| keep_latest(&k, at)).transpose()?,
        min_age: f.min_age.map(|m| age(&m, at)).transpose()?,
    })
}

/// The most images of a path a lab may keep: more is a typo, not a policy.
pub const MAX_KEEP_LATEST: usize = 1000;

fn keep_latest(k: &Spanned<i64>, at: &At) -> Result<usize, ConfigError> {
    match usize::try_from(*k.get_ref()) {
        Ok(n) if n > MAX_KEEP_LATEST => Err(at(
            k.span(),
            format!("keep_latest must be at most {MAX_KEEP_LATEST}, not {n}"),
        )),
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(at(
            k.span(),
            format!(
                "keep_latest must be 1 or more (the newest image of a path is always kept), not {}",
                k.get_ref()
            ),
        )),
    }
}

fn age(m: &Spanned<String>, at: &At) -> Result<std::time::Duration, ConfigError> {
    parse_age(m.get_ref()).ok_or_else(|| at(m.span(), format!("min_age `{}` is not an age; expected a number and a unit, like \"7d\", \"36h\" or \"2w\", of at most {MAX_AGE_DAYS}d", m.get_ref())))
}

/// The longest age that means something: older than this, every image is too young to
/// retire (and a date that far back does not exist).
pub const MAX_AGE_DAYS: u64 = 36_500;

/// Parses `7d`, `36h`, `2w`, `90m`, `30s`, `0d`; at most `MAX_AGE_DAYS`.
pub fn parse_age(s: &str) -> Option<std::time::Duration> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: u64 = s[..s.len() - unit.len_utf8()].trim().parse().ok()?;
    let secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    let age = std::time::Duration::from_secs(n.checked_mul(secs)?);
    (age.as_secs() <= MAX_AGE_DAYS * 86_400).then_some(age)
}
