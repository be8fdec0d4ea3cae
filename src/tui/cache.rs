//! The last inventory, kept in the state directory so that the console opens with data at once
//! (marked stale) while it reads a fresh one.

use std::path::PathBuf;

use crate::factory::Inventory;

/// One cache file per endpoint: data from Azure never shows while on the emulator, or back.
pub fn cache_path(endpoint: &url::Url) -> PathBuf {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    endpoint.as_str().hash(&mut h);
    // A cache, not state: it may be thrown away at any time (XDG_CACHE_HOME).
    crate::paths::cache_dir().join(format!("inventory-{:016x}.json", h.finish()))
}

/// The inventory of the last run, if there is a readable one.
pub fn read_cache(path: &std::path::Path) -> Option<Inventory> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes)
        .map_err(|e| tracing::warn!("ignoring the inventory cache {}: {e}", path.display()))
        .ok()
}

/// Saves the inventory for the next start; a failure costs only a slower start.
pub fn write_cache(path: &std::path::Path, inventory: &Inventory) {
    let write = || -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            crate::files::private_dir(dir)?;
        }
        crate::files::write_private(
            path,
            &serde_json::to_vec(inventory).map_err(std::io::Error::other)?,
        )
    };
    if let Err(e) = write() {
        tracing::warn!("cannot write the inventory cache {}: {e}", path.display());
    }
}
