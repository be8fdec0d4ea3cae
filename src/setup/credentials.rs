//! Which credentials this machine can sign in with, found without signing in: environment
//! variables and tools on `PATH`. Trying one is the next step's job.

use crate::arm::AuthMode;

/// Whether a credential can be tried here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// Everything it needs is here (what was found).
    Ready(String),
    /// It may work, but only trying tells (why).
    Maybe(String),
    /// Something it needs is missing (what).
    Missing(String),
}

/// A credential and whether it can be tried here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialOption {
    pub mode: AuthMode,
    pub availability: Availability,
}

impl CredentialOption {
    /// What the credential is, in a line.
    pub fn describe(&self) -> &'static str {
        match self.mode {
            AuthMode::Cli => "Azure CLI login (az login)",
            AuthMode::ManagedIdentity => "managed identity of this machine",
            AuthMode::WorkloadIdentity => "workload identity (federated token)",
            AuthMode::ClientSecret => "service principal with a secret",
            AuthMode::DeveloperTools => "developer tools (Azure CLI, then azd)",
        }
    }
}

/// The credentials in the order they are offered, each with what was found for it. `env`
/// reads an environment variable; `on_path` says whether a program is on `PATH`.
pub fn detect(
    env: &dyn Fn(&str) -> Option<String>,
    on_path: &dyn Fn(&str) -> bool,
) -> Vec<CredentialOption> {
    let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
    let missing = |names: &[&str]| -> Vec<String> {
        names
            .iter()
            .filter(|n| !set(n))
            .map(|n| n.to_string())
            .collect()
    };
    AuthMode::ALL
        .into_iter()
        .map(|mode| {
            let availability = match mode {
                AuthMode::Cli if on_path("az") => Availability::Ready("az is installed".into()),
                AuthMode::Cli => Availability::Missing("az is not on PATH".into()),
                AuthMode::ManagedIdentity if set("IDENTITY_ENDPOINT") => {
                    Availability::Ready("IDENTITY_ENDPOINT is set".into())
                }
                AuthMode::ManagedIdentity => Availability::Maybe(
                    "on an Azure VM the instance metadata service answers; try it".into(),
                ),
                AuthMode::WorkloadIdentity | AuthMode::ClientSecret => {
                    let needed: &[&str] = if mode == AuthMode::WorkloadIdentity {
                        &[
                            "AZURE_FEDERATED_TOKEN_FILE",
                            "AZURE_CLIENT_ID",
                            "AZURE_TENANT_ID",
                        ]
                    } else {
                        &["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"]
                    };
                    match missing(needed).as_slice() {
                        [] => Availability::Ready(format!("{} are set", needed.join(", "))),
                        gone => Availability::Missing(format!("{} not set", gone.join(", "))),
                    }
                }
                AuthMode::DeveloperTools if on_path("az") || on_path("azd") => {
                    Availability::Ready("az or azd is installed".into())
                }
                AuthMode::DeveloperTools => {
                    Availability::Missing("neither az nor azd is on PATH".into())
                }
            };
            CredentialOption { mode, availability }
        })
        .collect()
}

/// `detect` for this process: its environment and `PATH`.
pub fn detect_here() -> Vec<CredentialOption> {
    let env = |name: &str| std::env::var(name).ok();
    let on_path = |program: &str| {
        std::env::var_os("PATH").is_some_and(|paths| {
            std::env::split_paths(&paths).any(|dir| dir.join(program).is_file())
        })
    };
    detect(&env, &on_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_set_and_installed_decides_what_is_ready() {
        let env = |name: &str| {
            ["IDENTITY_ENDPOINT", "AZURE_TENANT_ID", "AZURE_CLIENT_ID"]
                .contains(&name)
                .then(|| "x".to_string())
        };
        let found = detect(&env, &|p| p == "azd");
        let by = |mode| {
            found
                .iter()
                .find(|c| c.mode == mode)
                .map(|c| c.availability.clone())
                .unwrap()
        };
        assert_eq!(
            by(AuthMode::Cli),
            Availability::Missing("az is not on PATH".into())
        );
        assert_eq!(
            by(AuthMode::ManagedIdentity),
            Availability::Ready("IDENTITY_ENDPOINT is set".into())
        );
        assert_eq!(
            by(AuthMode::ClientSecret),
            Availability::Missing("AZURE_CLIENT_SECRET not set".into())
        );
        assert_eq!(
            by(AuthMode::WorkloadIdentity),
            Availability::Missing("AZURE_FEDERATED_TOKEN_FILE not set".into())
        );
        assert_eq!(
            by(AuthMode::DeveloperTools),
            Availability::Ready("az or azd is installed".into())
        );
        let bare = detect(&|_| None, &|_| false);
        assert!(matches!(bare[1].availability, Availability::Maybe(_)));
    }
}
