//! Service SAS for blobs and containers, signed with a storage account key (HMAC-SHA256 over
//! the string-to-sign of versions 2020-12-06 and later). A SAS is a secret: it lives in memory
//! only, and `redact` removes its signature from anything logged.

use azure_core::credentials::Secret;
use time::{Duration, OffsetDateTime};

use crate::arm::ArmError;

/// The storage service version the factory signs for and speaks.
pub const STORAGE_SERVICE_VERSION: &str = "2022-11-02";

/// The lifetime of a SAS for one quick call (a container made, a blob deleted or listed).
pub const SHORT_SAS: Duration = Duration::minutes(15);

/// What a SAS allows, as its `sp` letters (in the order the service requires): each use gets
/// only what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read a blob: a copy's source.
    Read,
    /// List a container's blobs (with their metadata and copy state).
    List,
    /// Be a copy's destination: start it, read how it stands, abort it.
    Copy,
    /// Read a blob's properties and delete it.
    Delete,
}

impl Access {
    fn letters(self) -> &'static str {
        match self {
            Access::Read => "r",
            Access::List => "l",
            Access::Copy => "rw",
            Access::Delete => "rd",
        }
    }
}

/// The protocols a SAS allows (`spr`): HTTPS only, but for an endpoint on this machine over
/// plain HTTP (the emulators), which could not be reached otherwise.
pub fn protocols(endpoint: &url::Url) -> &'static str {
    let loopback = match endpoint.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    if loopback && endpoint.scheme() == "http" {
        "https,http"
    } else {
        "https"
    }
}

/// What a SAS is for: a whole container (`sr=c`) or one blob (`sr=b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    Container(&'a str),
    Blob(&'a str, &'a str),
}

/// Signs SAS tokens for one storage account.
#[derive(Clone)]
pub struct SasSigner {
    account: String,
    key: Secret,
    /// `spr`: see `protocols`.
    protocols: &'static str,
}

impl std::fmt::Debug for SasSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SasSigner({}, key REDACTED)", self.account)
    }
}

impl SasSigner {
    /// A signer for `account` with one of its keys (base64, as `listKeys` returns it), for
    /// SAS that allow `protocols` (see `protocols`).
    pub fn new(account: &str, key: &str, protocols: &'static str) -> Self {
        SasSigner {
            account: account.to_string(),
            key: Secret::new(key.to_string()),
            protocols,
        }
    }

    /// HMAC-SHA256 of `string_to_sign` with the account key, base64.
    fn signature(&self, string_to_sign: &str) -> Result<String, ArmError> {
        azure_core::hmac::hmac_sha256(string_to_sign, &self.key).map_err(|e| {
            ArmError::Usage(format!(
                "cannot sign for storage account {}: its key is not base64 ({e})",
                self.account
            ))
        })
    }

    /// The account signed for.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// A SAS query string for `scope`, valid from a few minutes ago (clock skew) for `ttl`.
    pub fn sign(
        &self,
        scope: Scope<'_>,
        access: Access,
        now: OffsetDateTime,
        ttl: Duration,
    ) -> Result<String, ArmError> {
        let start = iso(now - Duration::minutes(5));
        let expiry = iso(now + ttl);
        let (resource, kind) = match scope {
            Scope::Container(c) => (format!("/blob/{}/{c}", self.account), "c"),
            Scope::Blob(c, b) => (format!("/blob/{}/{c}/{b}", self.account), "b"),
        };
        let permissions = access.letters();
        let string_to_sign = string_to_sign(
            permissions,
            &start,
            &expiry,
            &resource,
            self.protocols,
            STORAGE_SERVICE_VERSION,
            kind,
        );
        let signature = self.signature(&string_to_sign)?;
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("sv", STORAGE_SERVICE_VERSION)
            .append_pair("st", &start)
            .append_pair("se", &expiry)
            .append_pair("sr", kind)
            .append_pair("sp", permissions)
            .append_pair("spr", self.protocols)
            .append_pair("sig", &signature);
        Ok(query.finish())
    }
}

impl SasSigner {
    /// An account SAS that may create containers (a service SAS cannot: it is scoped to a
    /// container that must exist already). Blob service, container resource type only.
    pub fn sign_for_containers(
        &self,
        now: OffsetDateTime,
        ttl: Duration,
    ) -> Result<String, ArmError> {
        let start = iso(now - Duration::minutes(5));
        let expiry = iso(now + ttl);
        let (permissions, services, types) = ("wc", "b", "c");
        let string_to_sign = account_string_to_sign(
            &self.account,
            permissions,
            services,
            types,
            &start,
            &expiry,
            self.protocols,
        );
        let signature = self.signature(&string_to_sign)?;
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("sv", STORAGE_SERVICE_VERSION)
            .append_pair("ss", services)
            .append_pair("srt", types)
            .append_pair("sp", permissions)
            .append_pair("st", &start)
            .append_pair("se", &expiry)
            .append_pair("spr", self.protocols)
            .append_pair("sig", &signature);
        Ok(query.finish())
    }
}

/// The account SAS string-to-sign (versions 2020-12-06 and later), with no IP and no
/// encryption scope; it ends with a newline.
pub fn account_string_to_sign(
    account: &str,
    permissions: &str,
    services: &str,
    resource_types: &str,
    start: &str,
    expiry: &str,
    protocols: &str,
) -> String {
    [
        account,
        permissions,
        services,
        resource_types,
        start,
        expiry,
        "", // signed IP
        protocols,
        STORAGE_SERVICE_VERSION,
        "", // encryption scope
        "",
    ]
    .join("\n")
}

/// The service SAS string-to-sign (versions 2020-12-06 and later), with no identifier, IP,
/// snapshot, encryption scope or response headers.
pub fn string_to_sign(
    permissions: &str,
    start: &str,
    expiry: &str,
    canonical_resource: &str,
    protocols: &str,
    version: &str,
    resource_kind: &str,
) -> String {
    [
        permissions,
        start,
        expiry,
        canonical_resource,
        "", // signed identifier
        "", // signed IP
        protocols,
        version,
        resource_kind,
        "", // snapshot time
        "", // encryption scope
        "", // rscc
        "", // rscd
        "", // rsce
        "", // rscl
        "", // rsct
    ]
    .join("\n")
}

/// A time as SAS fields carry it: UTC, whole seconds.
pub fn iso(at: OffsetDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_sas_names_its_scope_and_carries_a_signature_of_the_string_to_sign() {
        let signer = SasSigner::new("acct", "a2V5", "https");
        let now = time::macros::datetime!(2026-11-27 10:00:00 UTC);
        let sas = signer
            .sign(
                Scope::Blob("vhds", "img.vhd"),
                Access::Read,
                now,
                Duration::hours(1),
            )
            .unwrap();
        let pairs: std::collections::HashMap<_, _> = url::form_urlencoded::parse(sas.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(pairs["sr"], "b");
        assert_eq!(pairs["sp"], "r");
        assert_eq!(pairs["st"], "2026-11-27T09:55:00Z");
        assert_eq!(pairs["se"], "2026-11-27T11:00:00Z");
        let expected = azure_core::hmac::hmac_sha256(
            &string_to_sign(
                "r",
                "2026-11-27T09:55:00Z",
                "2026-11-27T11:00:00Z",
                "/blob/acct/vhds/img.vhd",
                "https",
                STORAGE_SERVICE_VERSION,
                "b",
            ),
            &Secret::new("a2V5"),
        )
        .unwrap();
        assert_eq!(pairs["sig"], expected);
        assert_eq!(pairs["spr"], "https");
        assert!(!format!("{signer:?}").contains("a2V5"));
    }

    #[test]
    fn plain_http_is_allowed_only_on_this_machine() {
        let p = |u: &str| protocols(&url::Url::parse(u).unwrap());
        assert_eq!(p("https://acct.blob.core.windows.net/"), "https");
        assert_eq!(p("http://acct.blob.core.windows.net/"), "https");
        assert_eq!(p("http://127.0.0.1:10000/devstoreaccount1/"), "https,http");
        assert_eq!(p("http://localhost:10000/"), "https,http");
        assert_eq!(p("http://[::1]:10000/"), "https,http");
        assert_eq!(p("https://127.0.0.1/"), "https");
    }

    #[test]
    fn each_use_gets_only_the_permissions_it_needs() {
        assert_eq!(Access::Read.letters(), "r");
        assert_eq!(Access::List.letters(), "l");
        assert_eq!(Access::Copy.letters(), "rw");
        assert_eq!(Access::Delete.letters(), "rd");
    }
}
