//! Removes secrets from text before it is logged or shown: bearer tokens, SAS signatures,
//! passwords and client secrets, in URLs, headers and JSON.

use std::sync::LazyLock;

use regex::Regex;

const MASK: &str = "REDACTED";

/// Names of query parameters and settings whose value is a secret.
const SECRET_NAMES: &str = "sig|client_secret|access_token|refresh_token|code|password|adminpassword|clientsecret|secret|token|sharedaccesskey|accountkey";

/// Every shape of secret the client meets, each with what of the match to keep (`${1}`: the
/// name before the value; `${2}`, where there is one, what closes it). Each is asserted in the
/// tests below.
static PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    let re = |pattern: &str| Regex::new(pattern).expect("a redaction pattern compiles");
    vec![
        // Authorization headers and anything that looks like "Bearer <token>".
        (re(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/=]+"), "${1}"),
        // Storage's shared key header: `SharedKey account:signature`.
        (
            re(r"(?i)(SharedKey(?:Lite)?\s+[^:\s]+:)[A-Za-z0-9+/=]+"),
            "${1}",
        ),
        // A bare JWT (header.payload.signature, both first parts base64url JSON).
        (
            re(r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
            "",
        ),
        // A URL's password: `https://user:pass@host/`.
        (
            re(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/:@\s]*:)[^@/\s]+(@)"),
            "${1}\u{0}${2}",
        ),
        // Query parameters, plain and XML-escaped (`&amp;sig=`).
        (
            re(&format!(
                r#"(?i)((?:[?&]|&amp;)(?:{SECRET_NAMES})=)[^&\s"'<]+"#
            )),
            "${1}",
        ),
        // Query parameters percent-encoded inside another URL (`%26sig%3D…`): the value runs
        // to the next encoded `&` (`%26`).
        (
            re(&format!(
                r#"(?i)((?:%3F|%26)(?:{SECRET_NAMES})%3D)(?:[^&%\s"']|%[013-9A-Fa-f][0-9A-Fa-f]|%2[0-57-9A-Fa-f])+"#
            )),
            "${1}",
        ),
        // JSON fields that hold secrets.
        (
            re(
                r#"(?i)("(?:\w*password|\w*secret|access_token|accessToken|refresh_token|sasUri|sasToken|accessSAS|sshKey|accountKey|primaryKey|secondaryKey|connectionString)"\s*:\s*")(?:[^"\\]|\\.)*"#,
            ),
            "${1}",
        ),
        // The same, JSON inside a JSON string (`\"password\":\"…\"`).
        (
            re(
                r#"(?i)(\\"(?:\w*password|\w*secret|access_token|accessToken|refresh_token|sasUri|sasToken|accountKey)\\"\s*:\s*\\")(?:[^\\]|\\\\\\"|\\\\|\\[^"])*"#,
            ),
            "${1}",
        ),
        // listKeys: `{"keyName":"key1","value":"…"}`.
        (
            re(r#"(?i)("keyName"\s*:\s*"[^"]*"\s*,\s*"value"\s*:\s*")[^"]*"#),
            "${1}",
        ),
        // Connection strings: `AccountKey=…;`, `SharedAccessSignature=…`, `Password=…`.
        (
            re(
                r#"(?i)\b((?:AccountKey|SharedAccessKey|SharedAccessSignature|\w*Password|Pwd)=)[^;\s"']+"#,
            ),
            "${1}",
        ),
        // Command lines: `--admin-password 'x'`, `--account-key=x`, `--client-secret x`.
        (
            re(
                r#"(?i)(--[a-z-]*(?:password|secret|account-key|sas-token|token)[ =])('[^']*'|"[^"]*"|\S+)"#,
            ),
            "${1}",
        ),
        // Prose and YAML: `password: x`, `secret = x`.
        (
            re(r#"(?i)\b(\w*(?:password|passwd|secret)\s*[:=]\s*)('[^']*'|"[^"]*"|[^\s;"']+)"#),
            "${1}",
        ),
    ]
});

/// Returns `text` with every secret replaced by `REDACTED`.
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    for (re, keep) in PATTERNS.iter() {
        // `keep` is what of the match stays; the mask goes at its NUL, else after it.
        let replacement = if keep.contains('\u{0}') {
            keep.replace('\u{0}', MASK)
        } else {
            format!("{keep}{MASK}")
        };
        out = re.replace_all(&out, replacement.as_str()).into_owned();
    }
    out
}

/// `redact`, and every one of `secrets` (values a definition marks secret, or typed
/// `secureString`) wherever it appears, literally: an artifact's script may echo one back
/// in any shape.
pub fn redact_with(text: &str, secrets: &[String]) -> String {
    let mut out = redact(text);
    for secret in secrets.iter().filter(|s| s.chars().count() >= 6) {
        out = out.replace(secret.as_str(), MASK);
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

    /// Every shape of secret the client may meet, and what is left of it.
    #[test]
    fn the_table_of_secret_shapes() {
        let jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQifQ.c2lnbmF0dXJl";
        let cases: &[(&str, &str)] = &[
            (
                "https://a.blob.core.windows.net/c/x.vhd?sv=1&sig=abc%2F%3D&se=2",
                "https://a.blob.core.windows.net/c/x.vhd?sv=1&sig=REDACTED&se=2",
            ),
            (
                "copy?source=https%3A%2F%2Fa%2Fx.vhd%3Fsv%3D1%26sig%3Dabc%2Fd%3D%26se%3D2",
                "copy?source=https%3A%2F%2Fa%2Fx.vhd%3Fsv%3D1%26sig%3DREDACTED%26se%3D2",
            ),
            (
                "<Url>https://a/x.vhd?sv=1&amp;sig=abc%3D&amp;se=2</Url>",
                "<Url>https://a/x.vhd?sv=1&amp;sig=REDACTED&amp;se=2</Url>",
            ),
            (
                "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=bXlrZXk=;EndpointSuffix=core",
                "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=REDACTED;EndpointSuffix=core",
            ),
            (
                r#"{"keys":[{"keyName":"key1","value":"bXlrZXk=","permissions":"FULL"}]}"#,
                r#"{"keys":[{"keyName":"key1","value":"REDACTED","permissions":"FULL"}]}"#,
            ),
            ("password: hunter22", "password: REDACTED"),
            (
                "Server=x;User Id=sa;Password=hunter22;",
                "Server=x;User Id=sa;Password=REDACTED;",
            ),
            (
                "az vm create --admin-password 'hunter 22' --name x",
                "az vm create --admin-password REDACTED --name x",
            ),
            ("--client-secret=abc123 --x", "--client-secret=REDACTED --x"),
            (
                "Authorization: SharedKey myaccount:bXlzaWc+Lz0=",
                "Authorization: SharedKey myaccount:REDACTED",
            ),
            (&format!("token {jwt} end"), "token REDACTED end"),
            (
                r#"{"body":"{\"userName\":\"u\",\"password\":\"hun\\\"ter\"}"}"#,
                r#"{"body":"{\"userName\":\"u\",\"password\":\"REDACTED\"}"}"#,
            ),
            (
                "Authorization: Bearer abc.def-ghi",
                "Authorization: Bearer REDACTED",
            ),
        ];
        for (secret, shown) in cases {
            assert_eq!(redact(secret), *shown, "{secret}");
        }
    }

    #[test]
    fn a_definitions_secret_values_are_masked_wherever_they_show() {
        let secrets = vec!["S3cretValue".to_string(), "true".to_string()];
        assert_eq!(
            super::redact_with("echo S3cretValue; true as x with S3cretValue", &secrets),
            "echo REDACTED; true as x with REDACTED",
            "too short a value is not masked everywhere it would appear"
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
