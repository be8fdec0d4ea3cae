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
    /// The tenant the principal signs in to.
    tenant: String,
    tokens: Mutex<HashMap<String, OffsetDateTime>>,
}

/// The principal the emulator's tokens stand for (the one its 403 messages name).
pub const PRINCIPAL_UPN: &str = "factory@contoso.com";
/// Its object id.
pub const PRINCIPAL_OID: &str = "6a1c0f3e-0000-4000-8000-3d2b1a0c9e8f";

/// Why a bearer token was refused, as ARM words it.
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

const LIFETIME: time::Duration = time::Duration::hours(1);

impl TokenIssuer {
    /// An issuer for the emulator at `origin`.
    pub fn new(origin: &str, identity_header: Option<String>, tenant: String) -> Self {
        TokenIssuer {
            identity_header: identity_header
                .unwrap_or_else(|| format!("simid-{}", uuid::Uuid::new_v4().simple())),
            audience: origin.trim_end_matches('/').to_string(),
            tenant,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `resource` names this emulator (public ARM's names are accepted too, as a
    /// token for `https://management.azure.com` is what a misconfigured client would send).
    pub fn accepts_audience(&self, resource: &str) -> bool {
        let r = resource.trim_end_matches('/').trim_end_matches("/.default");
        r.eq_ignore_ascii_case(&self.audience)
    }

    /// A new token and its expiry (unix seconds). Shaped as Entra ID's access tokens are (a
    /// JWT: header, claims, signature, base64url), so that a client can read who it is; the
    /// signature is random, as only the emulator checks its own tokens (by lookup).
    pub fn issue(&self) -> (String, i64) {
        use base64::Engine;
        let expires = OffsetDateTime::now_utc() + LIFETIME;
        let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        let header = serde_json::json!({"typ": "JWT", "alg": "RS256"});
        let claims = serde_json::json!({
            "aud": self.audience,
            "iss": format!("https://sts.windows.net/{}/", self.tenant),
            "tid": self.tenant,
            "oid": PRINCIPAL_OID,
            "upn": PRINCIPAL_UPN,
            "name": "Image Factory",
            "exp": expires.unix_timestamp(),
        });
        let token = format!(
            "{}.{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes()),
            b64(uuid::Uuid::new_v4().as_bytes())
        );
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
