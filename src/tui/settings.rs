//! The console's own settings: `console.toml` in the configuration directory (theme, refresh
//! interval, key map and style overrides), merged over the built-in defaults.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::ConsoleError;
use super::keymap::KeyMap;
use super::theme::{StyleSpec, Theme, ThemeFile};
use crate::config::ConfigError;

/// Settings as read from `console.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// A built-in theme: dark (default), light, high-contrast, mono.
    pub theme: Option<String>,
    /// Seconds between automatic refreshes (at least 30, to stay well inside ARM's limits).
    pub refresh_seconds: Option<u64>,
    /// Command name → keys, replacing that command's default keys.
    #[serde(default)]
    pub keys: HashMap<String, Vec<String>>,
    /// The selection marker.
    pub marker: Option<String>,
    /// Style overrides, merged over the theme.
    #[serde(default)]
    pub styles: BTreeMap<String, StyleSpec>,
}

impl Settings {
    /// Where the settings live: `$XDG_CONFIG_HOME/imagefactory/console.toml`.
    pub fn path() -> Option<PathBuf> {
        Some(crate::paths::config_dir().join("console.toml"))
    }

    /// Reads the settings file if there is one, and checks all of it (theme, styles, key
    /// map), so that a mistake is reported before the screen is taken, at its line and column.
    pub fn load(read_only: bool) -> Result<Settings, ConsoleError> {
        let Some(path) = Settings::path().filter(|p| p.is_file()) else {
            return Ok(Settings::default());
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ConsoleError::Settings(format!("{}: {e}", path.display())))?;
        Settings::check(&path, &text, read_only)
    }

    /// Parses and checks settings text; errors name `path`, the line and the column.
    pub fn check(path: &Path, text: &str, read_only: bool) -> Result<Settings, ConsoleError> {
        let settings: Settings = toml::from_str(text).map_err(|e| {
            ConsoleError::Settings(ConfigError::from_toml(path, text, &e).to_string())
        })?;
        let at = |error: ConsoleError| match error {
            ConsoleError::Setting { key, message } => {
                let offset = key_offset(text, &key).unwrap_or(0);
                ConsoleError::Settings(ConfigError::at(path, text, offset, message).to_string())
            }
            other => other,
        };
        if let Some(s) = settings.refresh_seconds
            && s < 30
        {
            return Err(at(ConsoleError::Setting {
                key: "refresh_seconds".into(),
                message: format!(
                    "refresh_seconds = {s}: at least 30, to stay well inside ARM's request limits"
                ),
            }));
        }
        settings.theme(false).map_err(at)?;
        KeyMap::new(&settings.keys, read_only).map_err(at)?;
        Ok(settings)
    }

    /// The theme these settings ask for (mono when `no_color`).
    pub fn theme(&self, no_color: bool) -> Result<Theme, ConsoleError> {
        let overrides = ThemeFile {
            marker: self.marker.clone(),
            styles: self.styles.clone(),
        };
        Theme::choose(self.theme.as_deref(), Some(&overrides), no_color)
    }

    /// How often to refresh.
    pub fn refresh_every(&self) -> Duration {
        Duration::from_secs(self.refresh_seconds.unwrap_or(120))
    }
}

/// Where `key` is set in TOML text: the first line that assigns it (bare or quoted).
fn key_offset(text: &str, key: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let rest = trimmed
            .strip_prefix(key)
            .or_else(|| trimmed.strip_prefix(&format!("\"{key}\"")));
        if rest.is_some_and(|r| r.trim_start().starts_with('=')) {
            return Some(offset + indent);
        }
        offset += line.len();
    }
    None
}
