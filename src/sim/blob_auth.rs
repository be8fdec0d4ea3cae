//! Who may call the blob service, besides a key-signed SAS: Entra ID bearer tokens for Azure
//! Storage, user delegation keys (`POST /?restype=service&comp=userdelegationkey`) and the user
//! delegation SAS signed with them; and accounts that forbid shared keys
//! (`allowSharedKeyAccess: false`), which refuse every key-signed SAS while `listKeys` still
//! answers. The principal needs a data role on the account (Storage Blob Data Contributor)
//! for bearer calls and delegated SAS alike.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use time::OffsetDateTime;

use super::auth::{PRINCIPAL_OID, STORAGE_AUDIENCE};
use super::blob::{Op, StorageFault};
use super::state::SimState;
use super::storage::account_key;
use super::world::World;

/// The service version the emulator's delegation keys say they are for.
const KEY_VERSION: &str = "2022-11-02";

fn rfc3339(t: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
}

/// Refused for lack of a data role, as the service words it.
fn no_role() -> StorageFault {
    StorageFault::new(
        StatusCode::FORBIDDEN,
        "AuthorizationPermissionMismatch",
        "This request is not authorized to perform this operation using this permission.",
    )
}

/// Whether the principal holds a data role on `account`.
fn has_role(world: &World, account: &str) -> bool {
    world
        .storage
        .get(account)
        .is_none_or(|s| !s.deny_data_access)
}

/// A bearer token on a blob call: one issued for Azure Storage, by a principal with a data role.
pub(super) fn bearer(
    state: &SimState,
    world: &World,
    account: &str,
    authorization: &str,
) -> Result<(), StorageFault> {
    state
        .tokens
        .check_for(Some(authorization), STORAGE_AUDIENCE)
        .map_err(|r| {
            StorageFault::new(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationInfo",
                r.message,
            )
        })?;
    if !has_role(world, account) {
        return Err(no_role());
    }
    Ok(())
}

/// The value of the delegation key the principal gets for `account` over `[start, expiry]`:
/// derived, so that a SAS signed with it can be checked without keeping keys.
fn key_value(account: &str, oid: &str, start: &str, expiry: &str) -> String {
    let seed = azure_core::credentials::Secret::new(account_key(account, 1));
    azure_core::hmac::hmac_sha256(&format!("udk\n{account}\n{oid}\n{start}\n{expiry}"), &seed)
        .unwrap_or_default()
}

/// `POST /?restype=service&comp=userdelegationkey`: a key for the principal over the `Start`
/// and `Expiry` the `KeyInfo` body asks for (at most seven days ahead, as Azure allows).
pub(super) fn delegation_key(
    state: &SimState,
    account: &str,
    body: &[u8],
) -> Result<Response, StorageFault> {
    let text = String::from_utf8_lossy(body);
    let field = |name: &str| {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let from = text.find(&open)? + open.len();
        let to = text[from..].find(&close)? + from;
        Some(text[from..to].trim().to_string())
    };
    let bad = |why: &str| {
        StorageFault::new(
            StatusCode::BAD_REQUEST,
            "InvalidXmlDocument",
            format!("XML specified is not syntactically valid: {why}"),
        )
    };
    let start = field("Start").unwrap_or_default();
    let expiry = field("Expiry").ok_or_else(|| bad("KeyInfo has no Expiry"))?;
    let until = rfc3339(&expiry).ok_or_else(|| bad("Expiry is not a time"))?;
    if until > OffsetDateTime::now_utc() + time::Duration::days(7) {
        return Err(StorageFault::new(
            StatusCode::BAD_REQUEST,
            "InvalidHeaderValue",
            "The value for the Expiry is more than seven days from now.",
        ));
    }
    let start = if start.is_empty() {
        crate::arm::storage::sas::iso(OffsetDateTime::now_utc())
    } else {
        start
    };
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><UserDelegationKey><SignedOid>{PRINCIPAL_OID}</SignedOid><SignedTid>{}</SignedTid><SignedStart>{start}</SignedStart><SignedExpiry>{expiry}</SignedExpiry><SignedService>b</SignedService><SignedVersion>{KEY_VERSION}</SignedVersion><Value>{}</Value></UserDelegationKey>",
        state.tokens.tenant(),
        key_value(account, PRINCIPAL_OID, &start, &expiry)
    );
    let mut response = Response::new(Body::from(xml));
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/xml"));
    Ok(response)
}

/// Checks a SAS: a user delegation SAS (it names its key with `skoid`), or one signed with a
/// key, which an account that forbids shared keys refuses whatever its signature.
pub(super) fn by_sas(
    world: &World,
    account: &str,
    container: &str,
    blob: Option<&str>,
    params: &BTreeMap<String, String>,
    op: Op,
) -> Result<(), StorageFault> {
    if params.contains_key("skoid") {
        return delegated(world, account, container, blob, params, op);
    }
    let forbidden = world
        .storage
        .get(account)
        .is_some_and(|s| s.forbid_shared_key);
    if forbidden && params.contains_key("sig") {
        return Err(StorageFault::new(
            StatusCode::FORBIDDEN,
            "KeyBasedAuthenticationNotPermitted",
            "Key based authentication is not permitted on this storage account.",
        ));
    }
    super::blob::authorize(world, account, container, blob, params, op)
}

/// A user delegation SAS: signed with a delegation key of the principal's, within the key's
/// time and its own, for what it allows, by a principal that still holds a data role.
fn delegated(
    world: &World,
    account: &str,
    container: &str,
    blob: Option<&str>,
    params: &BTreeMap<String, String>,
    op: Op,
) -> Result<(), StorageFault> {
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or("");
    let resource = match (get("sr"), blob) {
        ("c", _) => format!("/blob/{account}/{container}"),
        ("b", Some(b)) => format!("/blob/{account}/{container}/{b}"),
        _ => {
            return Err(StorageFault::auth(
                "The signed resource (sr) does not cover this request.",
            ));
        }
    };
    let mut fields = vec![
        get("sp"),
        get("st"),
        get("se"),
        &resource,
        get("skoid"),
        get("sktid"),
        get("skt"),
        get("ske"),
        get("sks"),
        get("skv"),
        get("saoid"),
        get("suoid"),
        get("scid"),
    ];
    // The layout of versions 2025-07-05 and later (Microsoft's `azure_storage_sas`,
    // `blob_udk_string_to_sign`) adds the delegated user's tenant and object; before, from
    // 2020-12-06, it goes on with the IP.
    let newer = get("sv") >= "2025-07-05";
    if newer {
        fields.extend([get("skdutid"), get("sduoid")]);
    }
    fields.extend([
        get("sip"),
        get("spr"),
        get("sv"),
        get("sr"),
        get("sst"),
        get("ses"),
    ]);
    if newer {
        fields.extend(["", ""]); // signed request headers and query parameters
    }
    fields.extend([
        get("rscc"),
        get("rscd"),
        get("rsce"),
        get("rscl"),
        get("rsct"),
    ]);
    let string_to_sign = fields.join("\n");
    let key = key_value(account, get("skoid"), get("skt"), get("ske"));
    let signed =
        azure_core::hmac::hmac_sha256(&string_to_sign, &azure_core::credentials::Secret::new(key))
            .is_ok_and(|s| s == get("sig"));
    if get("skoid") != PRINCIPAL_OID || !signed {
        return Err(StorageFault::auth(format!(
            "Signature did not match. String to sign used was {}",
            string_to_sign.replace('\n', "\\n")
        )));
    }
    let now = OffsetDateTime::now_utc();
    let key_valid = rfc3339(get("ske")).is_some_and(|e| now < e);
    let sas_valid = rfc3339(get("se")).is_some_and(|e| now < e)
        && (get("st").is_empty() || rfc3339(get("st")).is_some_and(|s| s <= now));
    if !key_valid || !sas_valid {
        return Err(StorageFault::auth(
            "Signed expiry time must be after signed start time and the current time.",
        ));
    }
    if !op.needs().chars().any(|c| get("sp").contains(c)) || !has_role(world, account) {
        return Err(no_role());
    }
    Ok(())
}
