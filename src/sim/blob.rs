//! The blob service of every storage account the world holds, at `/blob/{account}/...` on the
//! emulator's address (each account's `primaryEndpoints.blob`): containers, server-side copies
//! from a URL whose progress advances with time, properties, metadata, listing and deletion.
//! Every request needs a service SAS signed with one of the account's keys, checked as Azure
//! checks it (signature, time window, permissions, scope); a wrong one gets 403.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use time::OffsetDateTime;

use super::compute::{DISK_EXPORT_ACCOUNT, OS_DISK_BYTES, disk_container};
use super::state::SimState;
use super::storage::{account_id, account_key};
use super::world::{Blob, BlobCopy, CopyFault, World};

/// Simulated Azure durations of a 127 GiB page blob copy, in seconds.
const CAPTURE_COPY_SECS: f64 = 240.0;
const COPY_SECS: f64 = 180.0;
/// Where a stalled copy stops.
const STALL_AT: f64 = 0.37;

/// A storage error: status, `x-ms-error-code` and an XML body, as the service sends them.
pub(super) struct StorageFault {
    status: StatusCode,
    code: &'static str,
    pub(super) message: String,
}

impl StorageFault {
    pub(super) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        StorageFault {
            status,
            code,
            message: message.into(),
        }
    }

    pub(super) fn auth(detail: impl Into<String>) -> Self {
        StorageFault::new(
            StatusCode::FORBIDDEN,
            "AuthenticationFailed",
            format!(
                "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature. {}",
                detail.into()
            ),
        )
    }
}

impl From<StorageFault> for Response {
    fn from(fault: StorageFault) -> Response {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{}</Code><Message>{}</Message></Error>",
            fault.code,
            xml_escape(&fault.message)
        );
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = fault.status;
        let headers = response.headers_mut();
        headers.insert("x-ms-error-code", HeaderValue::from_static(fault.code));
        headers.insert("content-type", HeaderValue::from_static("application/xml"));
        response
    }
}

/// What a request asks of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    /// Get User Delegation Key, at the account.
    DelegationKey,
    CreateContainer,
    List,
    Copy,
    /// Put Blob: content written directly (a block blob).
    Upload,
    Abort,
    Properties,
    Delete,
}

impl Op {
    /// The SAS permission letters, any of which allows the operation.
    pub(super) fn needs(self) -> &'static str {
        match self {
            // Only a bearer token may ask for a key: no SAS letter allows it.
            Op::DelegationKey => "",
            Op::CreateContainer => "cw",
            Op::List => "l",
            Op::Copy | Op::Upload | Op::Abort => "cw",
            Op::Properties => "r",
            Op::Delete => "d",
        }
    }
}

/// Answers one request under `/blob/`.
pub(super) fn handle(
    state: &Arc<SimState>,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    match answer(state, method, path, query, headers, body) {
        Ok(response) => response,
        Err(fault) => fault.into(),
    }
}

fn answer(
    state: &Arc<SimState>,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, StorageFault> {
    let parts = blob_path(path);
    let params: BTreeMap<String, String> =
        url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let account = parts
        .first()
        .map(|a| a.to_ascii_lowercase())
        .unwrap_or_default();
    let container = parts.get(1).cloned().unwrap_or_default();
    let blob = parts.get(2).cloned().filter(|b| !b.is_empty());
    let restype = params.get("restype").map(String::as_str);
    let comp = params.get("comp").map(String::as_str);
    let op = match (method.clone(), blob.is_some(), restype, comp) {
        (Method::POST, false, Some("service"), Some("userdelegationkey"))
            if container.is_empty() =>
        {
            Op::DelegationKey
        }
        (Method::PUT, false, Some("container"), None) => Op::CreateContainer,
        (Method::GET, false, Some("container"), Some("list")) => Op::List,
        (Method::PUT, true, _, Some("copy")) => Op::Abort,
        (Method::PUT, true, _, None) if headers.contains_key("x-ms-copy-source") => Op::Copy,
        (Method::PUT, true, _, None) if headers.contains_key("x-ms-blob-type") => Op::Upload,
        (Method::HEAD | Method::GET, true, _, None) => Op::Properties,
        (Method::DELETE, true, _, None) => Op::Delete,
        _ => {
            return Err(StorageFault::new(
                StatusCode::BAD_REQUEST,
                "UnsupportedHttpVerb",
                format!(
                    "The resource doesn't support the specified HTTP verb or operation ({method} {path})."
                ),
            ));
        }
    };
    let mut world = state.world.lock().expect("world lock");
    if account != DISK_EXPORT_ACCOUNT && account_id(&world, &account).is_none() {
        return Err(StorageFault::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!("The storage account {account} does not exist."),
        ));
    }
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok());
    match authorization {
        Some(bearer) if account != DISK_EXPORT_ACCOUNT => {
            super::blob_auth::bearer(state, &world, &account, bearer)?
        }
        _ if op == Op::DelegationKey => {
            return Err(StorageFault::new(
                StatusCode::FORBIDDEN,
                "AuthenticationFailed",
                "Only a bearer token from Entra ID may get a user delegation key.",
            ));
        }
        _ => super::blob_auth::by_sas(&world, &account, &container, blob.as_deref(), &params, op)?,
    }
    let now = Instant::now();
    match op {
        Op::DelegationKey => super::blob_auth::delegation_key(state, &account, body),
        Op::CreateContainer => {
            let store = world.storage.entry(account).or_default();
            if store.containers.contains_key(&container) {
                return Err(StorageFault::new(
                    StatusCode::CONFLICT,
                    "ContainerAlreadyExists",
                    "The specified container already exists.",
                ));
            }
            store.containers.insert(container, BTreeMap::new());
            Ok(status(StatusCode::CREATED))
        }
        Op::List => {
            let blobs = world
                .storage
                .get(&account)
                .and_then(|s| s.containers.get(&container))
                .ok_or_else(container_missing)?;
            let prefix = params.get("prefix").cloned().unwrap_or_default();
            let endpoint = super::storage::blob_endpoint(&state.base, &account);
            Ok(list_xml(&endpoint, &container, &prefix, blobs, now))
        }
        Op::Copy => {
            let source = headers
                .get("x-ms-copy-source")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let (size, source_public, capture, source_metadata) =
                resolve_source(state, &world, &source)?;
            let fault = state.options.faults.copy.filter(|_| {
                state
                    .options
                    .faults
                    .copy_into
                    .as_deref()
                    .is_none_or(|into| account.contains(into))
            });
            let blobs = world
                .storage
                .get_mut(&account)
                .and_then(|s| s.containers.get_mut(&container))
                .ok_or_else(container_missing)?;
            let name = blob.unwrap_or_default();
            if blobs
                .get(&name)
                .is_some_and(|b| copy_status(b, now).0 == "pending")
            {
                return Err(StorageFault::new(
                    StatusCode::CONFLICT,
                    "PendingCopyOperation",
                    "There is currently a pending copy operation.",
                ));
            }
            let given = metadata_of(headers);
            // As Copy Blob does: without metadata of its own, the copy takes the source's.
            let metadata = if given.is_empty() {
                source_metadata
            } else {
                given
            };
            let id = uuid::Uuid::new_v4().to_string();
            blobs.insert(
                name,
                Blob {
                    size,
                    metadata,
                    created: OffsetDateTime::now_utc(),
                    content: None,
                    copy: Some(BlobCopy {
                        id: id.clone(),
                        source: source_public,
                        started: now,
                        duration: state.scaled(if capture {
                            CAPTURE_COPY_SECS
                        } else {
                            COPY_SECS
                        }),
                        fault,
                        aborted: false,
                    }),
                },
            );
            let mut response = status(StatusCode::ACCEPTED);
            let h = response.headers_mut();
            insert(h, "x-ms-copy-id", &id);
            insert(h, "x-ms-copy-status", "pending");
            Ok(response)
        }
        Op::Upload => {
            let size = headers
                .get("content-length")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let metadata = metadata_of(headers);
            let blobs = world
                .storage
                .get_mut(&account)
                .and_then(|s| s.containers.get_mut(&container))
                .ok_or_else(container_missing)?;
            blobs.insert(
                blob.unwrap_or_default(),
                Blob {
                    size,
                    metadata,
                    created: OffsetDateTime::now_utc(),
                    copy: None,
                    content: Some(body.to_vec()),
                },
            );
            Ok(status(StatusCode::CREATED))
        }
        Op::Abort => {
            let copy_id = params.get("copyid").cloned().unwrap_or_default();
            let blob = find_blob(&mut world, &account, &container, blob.as_deref())?;
            match blob.copy.as_mut() {
                Some(copy) if copy.id == copy_id && !copy.aborted => {
                    copy.aborted = true;
                    Ok(status(StatusCode::NO_CONTENT))
                }
                _ => Err(StorageFault::new(
                    StatusCode::CONFLICT,
                    "NoPendingCopyOperation",
                    "There is currently no pending copy operation.",
                )),
            }
        }
        Op::Properties => {
            let blob = find_blob(&mut world, &account, &container, blob.as_deref())?;
            let mut response = properties(blob, now);
            if *method == Method::GET
                && let Some(content) = &blob.content
            {
                response = with_content(response, content, headers);
            }
            Ok(response)
        }
        Op::Delete => {
            let blobs = world
                .storage
                .get_mut(&account)
                .and_then(|s| s.containers.get_mut(&container))
                .ok_or_else(container_missing)?;
            match blobs.remove(blob.as_deref().unwrap_or_default()) {
                Some(_) => Ok(status(StatusCode::ACCEPTED)),
                None => Err(blob_missing()),
            }
        }
    }
}

/// Checks the request's SAS against the account's keys, its time window, its permissions and
/// its scope: a service SAS for what is inside a container, an account SAS for that and for
/// creating containers (which a service SAS cannot do).
pub(super) fn authorize(
    world: &World,
    account: &str,
    container: &str,
    blob: Option<&str>,
    params: &BTreeMap<String, String>,
    op: Op,
) -> Result<(), StorageFault> {
    let needs = op.needs();
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or("");
    let signature = get("sig");
    if signature.is_empty() {
        // No SAS and no key: the service treats it as anonymous, which these containers refuse.
        return Err(StorageFault::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "The specified resource does not exist.",
        ));
    }
    if account == DISK_EXPORT_ACCOUNT {
        // A disk's read SAS: valid while access is granted on that disk.
        let granted = world
            .disk_grants
            .iter()
            .any(|(disk, sig)| sig == signature && disk_container(disk) == container);
        if !granted || op != Op::Properties {
            return Err(StorageFault::auth(
                "Signature did not match, or access to the disk was revoked.",
            ));
        }
        return Ok(());
    }
    let (sr, sp, st, se, sv, spr) = (
        get("sr"),
        get("sp"),
        get("st"),
        get("se"),
        get("sv"),
        get("spr"),
    );
    // The emulator serves plain HTTP: a SAS for HTTPS alone is refused, as Azure refuses it
    // over HTTP.
    if !spr.split(',').any(|p| p.trim() == "http") {
        return Err(StorageFault::new(
            StatusCode::FORBIDDEN,
            "AuthorizationProtocolMismatch",
            "This request is not authorized to perform this operation using this protocol.",
        ));
    }
    if params.contains_key("ss") {
        return authorize_account(account, params, op);
    }
    if op == Op::CreateContainer {
        return Err(StorageFault::new(
            StatusCode::FORBIDDEN,
            "AuthorizationPermissionMismatch",
            "This request is not authorized to perform this operation using this permission.",
        ));
    }
    let resource = match (sr, blob) {
        ("c", _) => format!("/blob/{account}/{container}"),
        ("b", Some(b)) => format!("/blob/{account}/{container}/{b}"),
        _ => {
            return Err(StorageFault::auth(
                "The signed resource (sr) does not cover this request.",
            ));
        }
    };
    let string_to_sign = [
        sp,
        st,
        se,
        &resource,
        get("si"),
        get("sip"),
        spr,
        sv,
        sr,
        get("sst"),
        get("ses"),
        get("rscc"),
        get("rscd"),
        get("rsce"),
        get("rscl"),
        get("rsct"),
    ]
    .join("\n");
    let matches = (1..=2).any(|n| {
        let key = azure_core::credentials::Secret::new(account_key(account, n));
        azure_core::hmac::hmac_sha256(&string_to_sign, &key).is_ok_and(|s| s == signature)
    });
    if !matches {
        return Err(StorageFault::auth(format!(
            "Signature did not match. String to sign used was {}",
            string_to_sign.replace('\n', "\\n")
        )));
    }
    let now = OffsetDateTime::now_utc();
    let parse =
        |s: &str| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok();
    let within = parse(se).is_some_and(|e| now < e)
        && (st.is_empty() || parse(st).is_some_and(|s| s <= now));
    if !within {
        return Err(StorageFault::auth(format!(
            "Signed expiry time [{se}] must be after signed start time [{st}] and the current time."
        )));
    }
    if !needs.chars().any(|c| sp.contains(c)) {
        return Err(StorageFault::new(
            StatusCode::FORBIDDEN,
            "AuthorizationPermissionMismatch",
            "This request is not authorized to perform this operation using this permission.",
        ));
    }
    Ok(())
}

/// An account SAS: signed by the account's key over its own string-to-sign, for the blob
/// service, the resource type the operation acts on, and its permission.
fn authorize_account(
    account: &str,
    params: &BTreeMap<String, String>,
    op: Op,
) -> Result<(), StorageFault> {
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or("");
    let string_to_sign = [
        account,
        get("sp"),
        get("ss"),
        get("srt"),
        get("st"),
        get("se"),
        get("sip"),
        get("spr"),
        get("sv"),
        get("ses"),
        "",
    ]
    .join("\n");
    let matches = (1..=2).any(|n| {
        let key = azure_core::credentials::Secret::new(account_key(account, n));
        azure_core::hmac::hmac_sha256(&string_to_sign, &key).is_ok_and(|s| s == get("sig"))
    });
    if !matches {
        return Err(StorageFault::auth("Signature did not match."));
    }
    let now = OffsetDateTime::now_utc();
    let parse =
        |s: &str| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok();
    if parse(get("se")).is_none_or(|e| now >= e) {
        return Err(StorageFault::auth(
            "Signature not valid in the specified time frame.",
        ));
    }
    let resource_type = match op {
        Op::CreateContainer | Op::List => 'c',
        _ => 'o',
    };
    let allowed = get("ss").contains('b')
        && get("srt").contains(resource_type)
        && op.needs().chars().any(|c| get("sp").contains(c));
    if !allowed {
        return Err(StorageFault::new(
            StatusCode::FORBIDDEN,
            "AuthorizationPermissionMismatch",
            "This request is not authorized to perform this operation using this permission.",
        ));
    }
    Ok(())
}

/// The source of a copy: its size, its URL without SAS, whether it is a disk export, and its
/// metadata.
fn resolve_source(
    state: &SimState,
    world: &World,
    source: &str,
) -> Result<(u64, String, bool, BTreeMap<String, String>), StorageFault> {
    let cannot = |why: &str| {
        StorageFault::new(
            StatusCode::FORBIDDEN,
            "CannotVerifyCopySource",
            format!("Copy source could not be verified: {why}"),
        )
    };
    let url = url::Url::parse(source).map_err(|_| cannot("x-ms-copy-source is not a URL"))?;
    let origin = url.origin().ascii_serialization();
    let path = url.path().to_string();
    if origin != state.base || !path.starts_with("/blob/") {
        return Err(cannot("the source is not a blob this service can reach"));
    }
    let parts = blob_path(&path);
    let (account, container, blob) = match parts.as_slice() {
        [a, c, b] => (a.to_ascii_lowercase(), c.clone(), b.clone()),
        _ => return Err(cannot("the source names no blob")),
    };
    let params: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
    super::blob_auth::by_sas(
        world,
        &account,
        &container,
        Some(&blob),
        &params,
        Op::Properties,
    )
    .map_err(|f| cannot(&f.message))?;
    let mut public = url.clone();
    public.set_query(None);
    if account == DISK_EXPORT_ACCOUNT {
        return Ok((OS_DISK_BYTES, public.to_string(), true, BTreeMap::new()));
    }
    let found = world
        .storage
        .get(&account)
        .and_then(|s| s.containers.get(&container))
        .and_then(|c| c.get(&blob))
        .ok_or_else(|| {
            StorageFault::new(
                StatusCode::NOT_FOUND,
                "CannotVerifyCopySource",
                "The specified blob does not exist.",
            )
        })?;
    if copy_status(found, Instant::now()).0 != "success" {
        return Err(StorageFault::new(
            StatusCode::CONFLICT,
            "PendingCopyOperation",
            "The source blob is still being copied.",
        ));
    }
    Ok((
        found.size,
        public.to_string(),
        false,
        found.metadata.clone(),
    ))
}

fn find_blob<'w>(
    world: &'w mut World,
    account: &str,
    container: &str,
    blob: Option<&str>,
) -> Result<&'w mut Blob, StorageFault> {
    let blobs = world
        .storage
        .get_mut(account)
        .and_then(|s| s.containers.get_mut(container))
        .ok_or_else(container_missing)?;
    blobs
        .get_mut(blob.unwrap_or_default())
        .ok_or_else(blob_missing)
}

/// Whether `blob` is whole: written, or copied to the end.
pub(super) fn is_whole(blob: &Blob) -> bool {
    copy_status(blob, Instant::now()).0 == "success"
}

/// A copy's status, bytes copied, and why it failed, at `now`.
fn copy_status(blob: &Blob, now: Instant) -> (&'static str, u64, Option<&'static str>) {
    let Some(copy) = &blob.copy else {
        return ("success", blob.size, None);
    };
    let fraction = if copy.duration.is_zero() {
        1.0
    } else {
        (now.saturating_duration_since(copy.started).as_secs_f64() / copy.duration.as_secs_f64())
            .min(1.0)
    };
    let bytes = |f: f64| (blob.size as f64 * f) as u64;
    if copy.aborted {
        return ("aborted", bytes(fraction), Some("Copy was aborted."));
    }
    match copy.fault {
        Some(CopyFault::Stall) => ("pending", bytes(fraction.min(STALL_AT)), None),
        Some(CopyFault::Fail) if fraction >= 0.5 => (
            "failed",
            bytes(0.5),
            Some("500 InternalError \"Copy failed when reading the source.\""),
        ),
        _ if fraction >= 1.0 => ("success", blob.size, None),
        _ => ("pending", bytes(fraction), None),
    }
}

/// Get Blob of a blob whose bytes are kept: the whole of it, or the range `x-ms-range` (or
/// `Range`) asks for, as `206 Partial Content` with its `Content-Range`.
fn with_content(mut response: Response, content: &[u8], headers: &HeaderMap) -> Response {
    let total = content.len();
    let range = ["x-ms-range", "range"]
        .iter()
        .find_map(|h| headers.get(*h)?.to_str().ok()?.strip_prefix("bytes="))
        .and_then(|r| {
            let (from, to) = r.split_once('-')?;
            let from: usize = from.trim().parse().ok()?;
            let to: usize = to.trim().parse().unwrap_or(usize::MAX);
            Some((from, to.min(total.saturating_sub(1))))
        });
    let (slice, partial) = match range {
        Some((from, to)) if from <= to && from < total => (&content[from..=to], Some((from, to))),
        _ => (content, None),
    };
    let h = response.headers_mut();
    insert(h, "x-ms-blob-type", "BlockBlob");
    insert(h, "content-length", &slice.len().to_string());
    if let Some((from, to)) = partial {
        insert(h, "content-range", &format!("bytes {from}-{to}/{total}"));
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    *response.body_mut() = Body::from(slice.to_vec());
    response
}

fn properties(blob: &Blob, now: Instant) -> Response {
    let mut response = status(StatusCode::OK);
    let h = response.headers_mut();
    insert(h, "content-length", &blob.size.to_string());
    insert(h, "content-type", "application/octet-stream");
    insert(h, "x-ms-blob-type", "PageBlob");
    insert(
        h,
        "last-modified",
        &httpdate::fmt_http_date(blob.created.into()),
    );
    insert(
        h,
        "x-ms-creation-time",
        &httpdate::fmt_http_date(blob.created.into()),
    );
    insert(
        h,
        "etag",
        &format!("\"0x{:X}\"", blob.created.unix_timestamp_nanos() as u64),
    );
    for (k, v) in &blob.metadata {
        insert(h, &format!("x-ms-meta-{k}"), v);
    }
    if let Some(copy) = &blob.copy {
        let (state, copied, why) = copy_status(blob, now);
        insert(h, "x-ms-copy-id", &copy.id);
        insert(h, "x-ms-copy-source", &copy.source);
        insert(h, "x-ms-copy-status", state);
        insert(h, "x-ms-copy-progress", &format!("{copied}/{}", blob.size));
        if let Some(why) = why {
            insert(h, "x-ms-copy-status-description", why);
        }
    }
    response
}

fn list_xml(
    endpoint: &str,
    container: &str,
    prefix: &str,
    blobs: &BTreeMap<String, Blob>,
    now: Instant,
) -> Response {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\"{}\" ContainerName=\"{}\"><Prefix>{}</Prefix><Blobs>",
        xml_escape(endpoint),
        xml_escape(container),
        xml_escape(prefix)
    );
    for (name, blob) in blobs.iter().filter(|(n, _)| n.starts_with(prefix)) {
        let date = httpdate::fmt_http_date(blob.created.into());
        xml.push_str(&format!(
            "<Blob><Name>{}</Name><Properties><Creation-Time>{date}</Creation-Time><Last-Modified>{date}</Last-Modified><Content-Length>{}</Content-Length><Content-Type>application/octet-stream</Content-Type><BlobType>PageBlob</BlobType>",
            xml_escape(name),
            blob.size
        ));
        if let Some(copy) = &blob.copy {
            let (state, copied, why) = copy_status(blob, now);
            xml.push_str(&format!(
                "<CopyId>{}</CopyId><CopyStatus>{state}</CopyStatus><CopySource>{}</CopySource><CopyProgress>{copied}/{}</CopyProgress>",
                copy.id,
                xml_escape(&copy.source),
                blob.size
            ));
            if let Some(why) = why {
                xml.push_str(&format!(
                    "<CopyStatusDescription>{}</CopyStatusDescription>",
                    xml_escape(why)
                ));
            }
        }
        xml.push_str("</Properties><Metadata>");
        for (k, v) in &blob.metadata {
            xml.push_str(&format!("<{k}>{}</{k}>", xml_escape(v)));
        }
        xml.push_str("</Metadata></Blob>");
    }
    xml.push_str("</Blobs><NextMarker /></EnumerationResults>");
    let mut response = Response::new(Body::from(xml));
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/xml"));
    response
}

/// Account, container and blob of a `/blob/...` path, decoded.
fn blob_path(path: &str) -> Vec<String> {
    path.trim_start_matches('/')
        .splitn(4, '/')
        .skip(1)
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

/// The `x-ms-meta-*` headers of a request, as blob metadata.
fn metadata_of(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .filter_map(|(k, v)| {
            let key = k.as_str().strip_prefix("x-ms-meta-")?;
            Some((key.to_string(), v.to_str().ok()?.to_string()))
        })
        .collect()
}

fn status(code: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = code;
    response
        .headers_mut()
        .insert("x-ms-version", HeaderValue::from_static("2022-11-02"));
    response
}

fn insert(headers: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (
        axum::http::HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        headers.insert(n, v);
    }
}

fn container_missing() -> StorageFault {
    StorageFault::new(
        StatusCode::NOT_FOUND,
        "ContainerNotFound",
        "The specified container does not exist.",
    )
}

fn blob_missing() -> StorageFault {
    StorageFault::new(
        StatusCode::NOT_FOUND,
        "BlobNotFound",
        "The specified blob does not exist.",
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
