//! Removes secrets from text before it is logged or shown: bearer tokens, SAS signatures,
//! passwords and client secrets, in URLs, headers and JSON.

use std::sync::LazyLock;

use regex::Regex;

const MASK: &str = "REDACTED";

static PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    vec![
        // Authorization headers and anything that looks like "Bearer <token>".
        (Regex::new(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/=]+").unwrap(), "${1}"),
        // SAS signatures and other secret query parameters.
        (
            Regex::new(r"(?i)([?&](?:sig|client_secret|access_token|code|password)=)[^&\s\x22']+")
                .unwrap(),
            "${1}",
        ),
        // JSON fields that hold secrets.
        (
            Regex::new(
                r#"(?i)("(?:password|adminPassword|clientSecret|client_secret|access_token|accessToken|refresh_token|sasUri|sasToken|accessSAS|sshKey|secret)"\s*:\s*")[^"]*"#,
            )
            .unwrap(),
            "${1}",
        ),
    ]
});

/// Returns `text` with every secret replaced by `REDACTED`.
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    for (re, keep) in PATTERNS.iter() {
        let replacement = format!("{keep}{MASK}");
        out = re.replace_all(&out, replacement.as_str()).into_owned();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn bearer_tokens_are_masked() {
        assert_eq!(
            redact("Authorization: Bearer eyJ0eXAi.abc-def_ghi"),
            "Authorization: Bearer REDACTED"
        );
    }

    #[test]
    fn sas_signature_is_masked_but_the_rest_of_the_url_stays() {
        let url = "https://acct.blob.core.windows.net/c/disk.vhd?sv=2021-01-01&sr=b&sig=abc%2Fdef%3D&se=2026";
        assert_eq!(
            redact(url),
            "https://acct.blob.core.windows.net/c/disk.vhd?sv=2021-01-01&sr=b&sig=REDACTED&se=2026"
        );
    }

    #[test]
    fn json_passwords_and_secrets_are_masked() {
        let body = r#"{"userName":"factory","password":"P@ss w0rd!","clientSecret":"s3cr3t"}"#;
        assert_eq!(
            redact(body),
            r#"{"userName":"factory","password":"REDACTED","clientSecret":"REDACTED"}"#
        );
    }
}
