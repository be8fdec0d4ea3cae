//! The audit log: one JSON line per retirement attempt (who, when, what, why, result), appended
//! to `audit.jsonl` in the state directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::FactoryError;

pub use crate::paths::state_dir;

/// The operating-system user: `$USER`, `$LOGNAME` or `$USERNAME`, else the name of the
/// process's uid from the password database (a service or container often sets none of them).
pub fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .or_else(user_from_passwd)
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(unix)]
fn user_from_passwd() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    // The owner of /proc/self is this process's uid, without an unsafe call.
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.get(2)?.parse::<u32>().ok()? == uid).then(|| fields[0].to_string())
    })
}

#[cfg(not(unix))]
fn user_from_passwd() -> Option<String> {
    None
}

/// Who is acting, as far as the process can tell.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Actor {
    /// The operating-system user.
    pub user: String,
    /// The Entra ID principal the credential signs in as (from its token), when known.
    pub principal: Option<String>,
    /// The credential used (`cli`, `managed-identity`, ...).
    pub auth: String,
    /// The ARM endpoint.
    pub endpoint: String,
}

impl Actor {
    /// Who is acting through `client`: the operating-system user, the principal its credential
    /// signs in as, the credential and the endpoint. The one way audit, console and commands
    /// learn who acts.
    pub async fn current(client: &crate::arm::ArmClient) -> Actor {
        let auth = client
            .auth_mode()
            .map(|m| m.as_str())
            .unwrap_or("fixed token");
        Actor {
            user: os_user(),
            principal: client.principal().await.map(|p| p.name),
            auth: auth.into(),
            endpoint: client.endpoint().to_string(),
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
    /// The image's retention state when it was acted on (`current`, `unmanaged`, ...).
    pub state: Option<&'a str>,
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
        crate::files::private_dir(dir).map_err(fail)?;
        crate::files::append_private(&path).map_err(fail)?;
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
        let mut file = crate::files::append_private(&self.path).map_err(fail)?;
        file.write_all(&line).map_err(fail)
    }
}
