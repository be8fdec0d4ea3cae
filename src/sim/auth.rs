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
    /// Tokens issued: their expiry and audience.
    tokens: Mutex<HashMap<String, (OffsetDateTime, String)>>,
}

/// The audience of tokens for Azure Storage's data plane (scope
/// `https://storage.azure.com/.default`).
pub const STORAGE_AUDIENCE: &str = "https://storage.azure.com";

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
    /// The audience a token for `resource` carries: ARM's (this emulator's origin) or Azure
    /// Storage's; `None` for anything else.
    pub fn audience_of(&self, resource: &str) -> Option<String> {
        let r = resource.trim_end_matches("/.default").trim_end_matches('/');
        [self.audience.as_str(), STORAGE_AUDIENCE]
            .into_iter()
            .find(|a| r.eq_ignore_ascii_case(a))
            .map(str::to_string)
    }

    /// The tenant the principal signs in to.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// A new token and its expiry (unix seconds). Shaped as Entra ID's access tokens are (a
    /// JWT: header, claims, signature, base64url), so that a client can read who it is; the
    /// signature is random, as only the emulator checks its own tokens (by lookup).
    pub fn issue(&self) -> (String, i64) {
        self.issue_for(&self.audience.clone())
    }

    /// A new token for `audience` (see `audience_of`), and its expiry (unix seconds).
    pub fn issue_for(&self, audience: &str) -> (String, i64) {
        use base64::Engine;
        let expires = OffsetDateTime::now_utc() + LIFETIME;
        let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        let header = serde_json::json!({"typ": "JWT", "alg": "RS256"});
        let claims = serde_json::json!({
            "aud": audience,
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
            tokens.insert(token.clone(), (expires, audience.to_string()));
        }
        (token, expires.unix_timestamp())
    }

    /// Checks an `Authorization` header value on an ARM call.
    pub fn check(&self, authorization: Option<&str>) -> Result<(), Refusal> {
        self.check_for(authorization, &self.audience)
    }

    /// Checks an `Authorization` header value for a service whose tokens carry `audience`.
    pub fn check_for(&self, authorization: Option<&str>, audience: &str) -> Result<(), Refusal> {
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
        let issued = self
            .tokens
            .lock()
            .ok()
            .and_then(|t| t.get(token.trim()).cloned());
        match issued {
            Some((_, aud)) if !aud.eq_ignore_ascii_case(audience) => Err(Refusal {
                code: "InvalidAuthenticationTokenAudience",
                message: format!(
                    "The access token has been obtained for the wrong audience or resource '{aud}'. It should exactly match one of the allowed audiences '{audience}'."
                ),
            }),
            None => Err(Refusal {
                code: "InvalidAuthenticationToken",
                message: "The access token is invalid.".into(),
            }),
            Some((e, _)) if e < OffsetDateTime::now_utc() => Err(Refusal {
                code: "ExpiredAuthenticationToken",
                message: "The access token expiry UTC time is earlier than current UTC time."
                    .into(),
            }),
            Some(_) => Ok(()),
        }
    }
}
