//! Where imagefactory keeps things on this machine, by the XDG base directory rules: the
//! configuration (`$XDG_CONFIG_HOME/imagefactory`), state that must last — the audit log, run
//! journals, the console's log (`$IMAGEFACTORY_STATE_DIR`, else `$XDG_STATE_HOME/imagefactory`)
//! — and caches that may be thrown away at any time (`$XDG_CACHE_HOME/imagefactory`).

use std::path::PathBuf;

fn var(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// `$XDG_<name>`, else `~/<fallback>`, then `imagefactory` inside it.
fn base(xdg: &str, fallback: &str) -> PathBuf {
    var(xdg)
        .or_else(|| var("HOME").map(|h| h.join(fallback)))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("imagefactory")
}

/// The configuration directory: `$XDG_CONFIG_HOME/imagefactory`, else
/// `~/.config/imagefactory`.
pub fn config_dir() -> PathBuf {
    base("XDG_CONFIG_HOME", ".config")
}

/// The state directory: `$IMAGEFACTORY_STATE_DIR`, else `$XDG_STATE_HOME/imagefactory`, else
/// `~/.local/state/imagefactory`.
pub fn state_dir() -> PathBuf {
    var("IMAGEFACTORY_STATE_DIR").unwrap_or_else(|| base("XDG_STATE_HOME", ".local/state"))
}

/// The cache directory: `$XDG_CACHE_HOME/imagefactory`, else `~/.cache/imagefactory`.
pub fn cache_dir() -> PathBuf {
    base("XDG_CACHE_HOME", ".cache")
}

/// `path` as a person reads it: from `~` when it is in the home folder.
pub fn from_home(path: &std::path::Path) -> String {
    if let Some(home) = var("HOME")
        && let Ok(inside) = path.strip_prefix(&home)
    {
        return format!("~/{}", inside.display());
    }
    path.display().to_string()
}
