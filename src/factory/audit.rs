//! The audit log: one JSON line per retirement attempt (who, when, what, why, result), appended
//! to `audit.jsonl` in the state directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::FactoryError;

/// The state directory: `$IMAGEFACTORY_STATE_DIR`, else `$XDG_STATE_HOME/imagefactory`, else
/// `~/.local/state/imagefactory`.
pub fn state_dir() -> PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var("IMAGEFACTORY_STATE_DIR") {
        return dir;
    }
    let base = var("XDG_STATE_HOME")
        .or_else(|| var("HOME").map(|h| h.join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("imagefactory")
}

/// Who is acting, as far as the process can tell.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Actor {
    /// The operating-system user.
    pub user: String,
    /// The credential used (`cli`, `managed-identity`, ...).
    pub auth: String,
    /// The ARM endpoint.
    pub endpoint: String,
}

impl Actor {
    /// The current user, with this client's credential and endpoint.
    pub fn of(client: &crate::arm::ArmClient) -> Actor {
        let auth = client
            .auth_mode()
            .map(|m| m.as_str())
            .unwrap_or("fixed token");
        Actor::current(auth, client.endpoint().as_str())
    }

    /// The current user, with the client's credential and endpoint.
    pub fn current(auth: &str, endpoint: &str) -> Actor {
        let user = ["USER", "LOGNAME", "USERNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
            .unwrap_or_else(|| "unknown".into());
        Actor {
            user,
            auth: auth.into(),
            endpoint: endpoint.into(),
        }
    }
}

/// One line of the audit log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditEntry<'a> {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub who: &'a Actor,
    pub action: &'a str,
    pub image: &'a str,
    pub lab: &'a str,
    pub image_path: Option<&'a str>,
    pub why: &'a str,
    pub result: &'a str,
    pub detail: Option<&'a str>,
}

/// An append-only audit log file.
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    /// Opens (creating) the log in `dir`; fails before anything is changed if it cannot be
    /// written, so that no deletion goes unrecorded.
    pub fn open(dir: &Path) -> Result<AuditLog, FactoryError> {
        let path = dir.join("audit.jsonl");
        let fail = |e: std::io::Error| FactoryError::Audit {
            path: path.clone(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(fail)?;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(fail)?;
        Ok(AuditLog { path })
    }

    /// Where the log is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry (one line, written whole).
    pub fn record(&self, entry: &AuditEntry) -> Result<(), FactoryError> {
        let fail = |e: std::io::Error| FactoryError::Audit {
            path: self.path.clone(),
            reason: e.to_string(),
        };
        let mut line = serde_json::to_vec(entry).map_err(|e| fail(std::io::Error::other(e)))?;
        line.push(b'\n');
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(fail)?;
        file.write_all(&line).map_err(fail)
    }
}
