//! The console's own settings: `console.toml` in the configuration directory (theme, refresh
//! interval, key map and style overrides), merged over the built-in defaults.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::ConsoleError;
use super::theme::{StyleSpec, Theme, ThemeFile};

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

    /// Reads the settings file if there is one.
    pub fn load() -> Result<Settings, ConsoleError> {
        let Some(path) = Settings::path().filter(|p| p.is_file()) else {
            return Ok(Settings::default());
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ConsoleError::Settings(format!("{}: {e}", path.display())))?;
        Settings::parse(&text)
            .map_err(|e| ConsoleError::Settings(format!("{}: {e}", path.display())))
    }

    /// Parses settings text.
    pub fn parse(text: &str) -> Result<Settings, String> {
        let settings: Settings = toml::from_str(text).map_err(|e| e.message().to_string())?;
        if let Some(s) = settings.refresh_seconds
            && s < 30
        {
            return Err(format!(
                "refresh_seconds = {s}: at least 30, to stay well inside ARM's request limits"
            ));
        }
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
