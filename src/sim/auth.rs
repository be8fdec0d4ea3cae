//! The emulator's identity side: a managed-identity token endpoint (the App Service protocol
//! that `IDENTITY_ENDPOINT`/`IDENTITY_HEADER` select) and bearer-token checks on ARM calls.

use std::collections::HashMap;
use std::sync::Mutex;

use time::OffsetDateTime;

/// Issues and checks tokens.
pub struct TokenIssuer {
    /// The value clients must send in `X-IDENTITY-HEADER`.
    pub identity_header: String,
    /// The audience ARM tokens must carry (the emulator's own origin).
    audience: String,
    tokens: Mutex<HashMap<String, OffsetDateTime>>,
}

/// Why a bearer token was refused, as ARM words it.
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

const LIFETIME: time::Duration = time::Duration::hours(1);

impl TokenIssuer {
    /// An issuer for the emulator at `origin`.
    pub fn new(origin: &str, identity_header: Option<String>) -> Self {
        TokenIssuer {
            identity_header: identity_header
                .unwrap_or_else(|| format!("simid-{}", uuid::Uuid::new_v4().simple())),
            audience: origin.trim_end_matches('/').to_string(),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `resource` names this emulator (public ARM's names are accepted too, as a
    /// token for `https://management.azure.com` is what a misconfigured client would send).
    pub fn accepts_audience(&self, resource: &str) -> bool {
        let r = resource.trim_end_matches('/').trim_end_matches("/.default");
        r.eq_ignore_ascii_case(&self.audience)
    }

    /// A new token and its expiry (unix seconds).
    pub fn issue(&self) -> (String, i64) {
        let token = format!("sim.{}", uuid::Uuid::new_v4().simple());
        let expires = OffsetDateTime::now_utc() + LIFETIME;
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.insert(token.clone(), expires);
        }
        (token, expires.unix_timestamp())
    }

    /// Checks an `Authorization` header value.
    pub fn check(&self, authorization: Option<&str>) -> Result<(), Refusal> {
        let Some(value) = authorization else {
            return Err(Refusal {
                code: "AuthenticationFailed",
                message: "Authentication failed. The 'Authorization' header is missing.".into(),
            });
        };
        let Some(token) = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
        else {
            return Err(Refusal {
                code: "AuthenticationFailed",
                message: "Authentication failed. The 'Authorization' header is provided in an invalid format.".into(),
            });
        };
        let expires = self
            .tokens
            .lock()
            .ok()
            .and_then(|t| t.get(token.trim()).copied());
        match expires {
            None => Err(Refusal {
                code: "InvalidAuthenticationToken",
                message: "The access token is invalid.".into(),
            }),
            Some(e) if e < OffsetDateTime::now_utc() => Err(Refusal {
                code: "ExpiredAuthenticationToken",
                message: "The access token expiry UTC time is earlier than current UTC time."
                    .into(),
            }),
            Some(_) => Ok(()),
        }
    }
}
