//! Who a token says the caller is: the claims of an Entra ID access token (a JWT), read for
//! display and the audit log only. Nothing here trusts them: ARM checks the signature.

use base64::Engine;

/// The signed-in principal, as its token names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Principal {
    /// A user's sign-in name (`upn`, `unique_name`, `preferred_username`), else the
    /// application id of a service principal or managed identity.
    pub name: String,
    /// The object id (`oid`).
    pub object_id: Option<String>,
    /// The tenant (`tid`).
    pub tenant: Option<String>,
}

impl Principal {
    /// The principal in `token`, if it is a JWT with a name in it.
    pub fn from_token(token: &str) -> Option<Principal> {
        let payload = token.split('.').nth(1)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()?;
        let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        let claim = |name: &str| claims.get(name)?.as_str().map(str::to_string);
        let name = ["upn", "unique_name", "preferred_username", "appid", "azp"]
            .iter()
            .find_map(|c| claim(c))?;
        Some(Principal {
            name,
            object_id: claim("oid"),
            tenant: claim("tid"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: serde_json::Value) -> String {
        let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!(
            "{}.{}.sig",
            b64(br#"{"typ":"JWT"}"#),
            b64(claims.to_string().as_bytes())
        )
    }

    #[test]
    fn users_by_sign_in_name_and_identities_by_application_id() {
        let user = token(serde_json::json!({"upn": "alice@contoso.com", "oid": "o1", "tid": "t1"}));
        assert_eq!(
            Principal::from_token(&user),
            Some(Principal {
                name: "alice@contoso.com".into(),
                object_id: Some("o1".into()),
                tenant: Some("t1".into())
            })
        );
        let identity = token(serde_json::json!({"appid": "a-b-c", "oid": "o2"}));
        assert_eq!(Principal::from_token(&identity).unwrap().name, "a-b-c");
        assert_eq!(Principal::from_token("not-a-jwt"), None);
        assert_eq!(
            Principal::from_token(&token(serde_json::json!({"oid": "x"}))),
            None
        );
    }
}
