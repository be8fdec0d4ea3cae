//! Credential choice and a token cache in front of it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions, Transport};
use azure_identity::{
    AzureCliCredential, ClientSecretCredential, DeveloperToolsCredential,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};
use time::OffsetDateTime;
use tokio::sync::Mutex;

use super::ArmError;

/// Which credential signs requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMode {
    /// The Azure CLI's signed-in account (`az login`).
    Cli,
    /// A managed identity (honours `IDENTITY_ENDPOINT`/`IDENTITY_HEADER`).
    ManagedIdentity,
    /// Federated workload identity (`AZURE_FEDERATED_TOKEN_FILE`).
    WorkloadIdentity,
    /// A service principal from `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`.
    ClientSecret,
    /// Whichever developer tool is signed in (Azure CLI, then Azure Developer CLI).
    DeveloperTools,
}

impl AuthMode {
    /// Every mode, in the order they are offered.
    pub const ALL: [AuthMode; 5] = [
        AuthMode::Cli,
        AuthMode::ManagedIdentity,
        AuthMode::WorkloadIdentity,
        AuthMode::ClientSecret,
        AuthMode::DeveloperTools,
    ];

    /// The mode with this name (as on the command line), if there is one.
    pub fn named(name: &str) -> Option<AuthMode> {
        AuthMode::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// The name used on the command line and in `IMAGEFACTORY_AUTH`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Cli => "cli",
            AuthMode::ManagedIdentity => "managed-identity",
            AuthMode::WorkloadIdentity => "workload-identity",
            AuthMode::ClientSecret => "client-secret",
            AuthMode::DeveloperTools => "developer-tools",
        }
    }
}

/// Tokens served from a cache, refreshed five minutes before they expire. The Azure CLI does no
/// caching of its own, so without this every request would start a process.
pub struct TokenSource {
    mode: Option<AuthMode>,
    credential: Option<Arc<dyn TokenCredential>>,
    cache: Mutex<HashMap<String, (String, OffsetDateTime)>>,
}

const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(300);

impl TokenSource {
    /// Builds the credential for `mode`, sending its own HTTP calls through `http` so that the
    /// whole process shares one connection pool.
    pub fn new(mode: AuthMode, http: reqwest::Client) -> Result<Self, ArmError> {
        // A few quick retries: a token endpoint that is down should fail the command in
        // seconds, not after the SDK's default minute.
        let retry = RetryOptions::exponential(ExponentialRetryOptions {
            max_retries: 3,
            max_total_elapsed: azure_core::time::Duration::seconds(15),
            ..ExponentialRetryOptions::default()
        });
        let client_options = ClientOptions {
            transport: Some(Transport::new(Arc::new(http))),
            retry,
            ..ClientOptions::default()
        };
        let fail = |e: azure_core::Error| ArmError::Auth {
            mode: mode.as_str().into(),
            reason: super::redact::redact(&e.to_string()),
        };
        let credential: Arc<dyn TokenCredential> = match mode {
            AuthMode::Cli => AzureCliCredential::new(None).map_err(fail)?,
            AuthMode::DeveloperTools => DeveloperToolsCredential::new(None).map_err(fail)?,
            AuthMode::ManagedIdentity => {
                ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                    client_options,
                    ..Default::default()
                }))
                .map_err(fail)?
            }
            AuthMode::WorkloadIdentity => {
                let mut options = WorkloadIdentityCredentialOptions::default();
                options.credential_options.client_options = client_options;
                WorkloadIdentityCredential::new(Some(options)).map_err(fail)?
            }
            AuthMode::ClientSecret => {
                let var = |name: &str| {
                    std::env::var(name).map_err(|_| ArmError::Auth {
                        mode: mode.as_str().into(),
                        reason: format!("{name} is not set; client-secret needs AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"),
                    })
                };
                let tenant = var("AZURE_TENANT_ID")?;
                let client_id = var("AZURE_CLIENT_ID")?;
                let secret = var("AZURE_CLIENT_SECRET")?;
                let options = azure_identity::ClientSecretCredentialOptions { client_options };
                ClientSecretCredential::new(&tenant, client_id, secret.into(), Some(options))
                    .map_err(fail)?
            }
        };
        Ok(TokenSource {
            mode: Some(mode),
            credential: Some(credential),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// A source that hands out one token it was given, for `scope`, for a day: for tests and
    /// tools that already hold a token. No credential stands behind it.
    pub fn fixed(scope: &str, token: String) -> Self {
        let expires = OffsetDateTime::now_utc() + time::Duration::days(1);
        TokenSource {
            mode: None,
            credential: None,
            cache: Mutex::new(HashMap::from([(scope.to_string(), (token, expires))])),
        }
    }

    /// The credential in use (`None` for a fixed token).
    pub fn mode(&self) -> Option<AuthMode> {
        self.mode
    }

    fn mode_name(&self) -> String {
        self.mode
            .map(AuthMode::as_str)
            .unwrap_or("fixed token")
            .to_string()
    }

    /// A bearer token for `scope`, from the cache while it has more than five minutes left.
    pub async fn token(&self, scope: &str) -> Result<String, ArmError> {
        let mut cache = self.cache.lock().await;
        let now = OffsetDateTime::now_utc();
        if let Some((token, expires)) = cache.get(scope)
            && *expires - REFRESH_BEFORE_EXPIRY > now
        {
            return Ok(token.clone());
        }
        let Some(credential) = &self.credential else {
            return Err(ArmError::Auth {
                mode: self.mode_name(),
                reason: format!("no token for {scope}, and no credential to get one"),
            });
        };
        let fresh = credential
            .get_token(&[scope], None)
            .await
            .map_err(|e| ArmError::Auth {
                mode: self.mode_name(),
                reason: super::redact::redact(&format!("{e}{}", self.where_from())),
            })?;
        let token = fresh.token.secret().to_string();
        cache.insert(scope.to_string(), (token.clone(), fresh.expires_on));
        Ok(token)
    }
}

impl TokenSource {
    /// Where the credential asks for tokens, when that is a place a person can check (a
    /// managed identity's endpoint): "retry policy expired" alone does not say where.
    fn where_from(&self) -> String {
        if self.mode_name() != AuthMode::ManagedIdentity.as_str() {
            return String::new();
        }
        let endpoint = std::env::var("IDENTITY_ENDPOINT")
            .or_else(|_| std::env::var("MSI_ENDPOINT"))
            .unwrap_or_else(|_| {
                "http://169.254.169.254/metadata/identity/oauth2/token (IMDS)".into()
            });
        format!(
            " (asking the managed identity endpoint {endpoint}; is this a machine with a managed identity, or is IDENTITY_ENDPOINT right?)"
        )
    }
}

/// The token scope for an ARM endpoint: public cloud's well-known scope, or the endpoint's own
/// origin for sovereign clouds and the emulator.
pub fn scope_for(endpoint: &url::Url) -> String {
    let origin = endpoint.origin().ascii_serialization();
    format!("{origin}/.default")
}

#[cfg(test)]
mod tests {
    use super::scope_for;

    #[test]
    fn scope_follows_the_endpoint() {
        let public = url::Url::parse("https://management.azure.com/").unwrap();
        assert_eq!(scope_for(&public), "https://management.azure.com/.default");
        let gov = url::Url::parse("https://management.usgovcloudapi.net").unwrap();
        assert_eq!(
            scope_for(&gov),
            "https://management.usgovcloudapi.net/.default"
        );
    }
}
