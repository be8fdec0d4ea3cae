//! Blob calls the factory makes, through the official `azure_storage_blob` client with SAS
//! URLs: containers, server-side copies from a URL with their status and progress, metadata,
//! listing and deletion. A SAS URL never leaves this module in anything shown: errors and
//! `Debug` name the blob without its query.

use std::collections::BTreeMap;
use std::sync::Arc;

use azure_core::error::ErrorKind;
use azure_storage_blob::models::{
    BlobClientGetPropertiesResultHeaders, BlobClientStartCopyFromUrlOptions,
    BlobContainerClientListBlobsOptions, CopyStatus as WireCopyStatus, ListBlobsIncludeItem,
};
use azure_storage_blob::{
    BlobClient, BlobClientOptions, BlobContainerClient, BlobContainerClientOptions,
};
use futures::StreamExt;
use time::{Duration, OffsetDateTime};
use url::Url;

use super::entra::{BearerPolicy, EntraAccount};
use super::sas::{Access, SasSigner, Scope};
use crate::arm::{ArmClient, ArmError};

/// A blob or container URL and what authorizes calls to it: a SAS in its query (a secret),
/// or a bearer token that each call asks for. Shows as the URL without its query.
#[derive(Clone)]
pub struct SasUrl {
    url: Url,
    bearer: Option<BearerPolicy>,
}

impl SasUrl {
    /// Wraps a URL that carries (or may carry) a SAS.
    pub fn new(url: Url) -> Self {
        SasUrl { url, bearer: None }
    }

    /// The URL without its query: safe to show, log and keep.
    pub fn public(&self) -> String {
        let mut url = self.url.clone();
        url.set_query(None);
        url.to_string()
    }

    /// The full URL, SAS included: only for the request that uses it.
    pub fn expose(&self) -> &Url {
        &self.url
    }

    /// Client options that authorize calls to it (a bearer on each, when it has no SAS).
    fn options(&self) -> azure_core::http::ClientOptions {
        self.bearer
            .as_ref()
            .map(super::entra::options_with)
            .unwrap_or_default()
    }
}

impl std::fmt::Debug for SasUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SasUrl({})", self.public())
    }
}

/// A storage account's blob endpoint and how calls to it are authorized.
#[derive(Debug, Clone)]
pub struct BlobAccount {
    endpoint: Url,
    name: String,
    auth: Auth,
}

/// How calls to an account are authorized: a SAS signed with one of its keys, or Entra ID.
#[derive(Clone)]
enum Auth {
    Key(SasSigner),
    Entra(Arc<EntraAccount>),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Key(signer) => write!(f, "Key({signer:?})"),
            Auth::Entra(_) => f.write_str("Entra"),
        }
    }
}

impl BlobAccount {
    /// `endpoint` is the account's `primaryEndpoints.blob`; `key` one of its keys.
    pub fn new(endpoint: &str, account: &str, key: &str) -> Result<Self, ArmError> {
        let endpoint = base_url(endpoint, account)?;
        let protocols = super::sas::protocols(&endpoint);
        Ok(BlobAccount {
            endpoint,
            name: account.to_string(),
            auth: Auth::Key(SasSigner::new(account, key, protocols)),
        })
    }

    /// The account reached with Entra ID: `client`'s credential gives the storage tokens.
    pub fn entra(endpoint: &str, account: &str, client: ArmClient) -> Result<Self, ArmError> {
        let endpoint = base_url(endpoint, account)?;
        Ok(BlobAccount {
            auth: Auth::Entra(Arc::new(EntraAccount::new(
                client,
                account,
                endpoint.clone(),
            ))),
            endpoint,
            name: account.to_string(),
        })
    }

    /// The account's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether calls go with Entra ID (else with a key's SAS).
    pub fn is_entra(&self) -> bool {
        matches!(self.auth, Auth::Entra(_))
    }

    /// A URL that a call to it may use: with a SAS signed here (`sign`), or with the bearer.
    fn authorized(
        &self,
        container: &str,
        blob: Option<&str>,
        sign: impl FnOnce(&SasSigner) -> Result<String, ArmError>,
    ) -> Result<SasUrl, ArmError> {
        let mut url = self.url(container, blob);
        match &self.auth {
            Auth::Key(signer) => {
                url.set_query(Some(&sign(signer)?));
                Ok(SasUrl::new(url))
            }
            Auth::Entra(entra) => Ok(SasUrl {
                url,
                bearer: Some(entra.bearer.clone()),
            }),
        }
    }

    /// The blob's URL for a copy's source, which the destination's service reads: a SAS that
    /// reads it for `ttl` (a user delegation SAS with Entra ID).
    pub async fn copy_source(
        &self,
        container: &str,
        blob: &str,
        ttl: Duration,
    ) -> Result<SasUrl, ArmError> {
        match &self.auth {
            Auth::Key(_) => self.blob(container, blob, Access::Read, ttl),
            Auth::Entra(entra) => {
                let sas = entra
                    .read_sas(container, blob, OffsetDateTime::now_utc() + ttl)
                    .await?;
                let mut url = self.url(container, Some(blob));
                url.set_query(Some(&sas));
                Ok(SasUrl::new(url))
            }
        }
    }

    /// The blob's URL without a SAS (what metadata and the journal keep).
    pub fn public_url(&self, container: &str, blob: &str) -> String {
        self.url(container, Some(blob)).to_string()
    }

    /// The blob's URL with a SAS allowing `access` for `ttl`.
    pub fn blob(
        &self,
        container: &str,
        blob: &str,
        access: Access,
        ttl: Duration,
    ) -> Result<SasUrl, ArmError> {
        self.authorized(container, Some(blob), |signer| {
            signer.sign(
                Scope::Blob(container, blob),
                access,
                OffsetDateTime::now_utc(),
                ttl,
            )
        })
    }

    /// The container's URL with an account SAS that may create it.
    pub fn container_to_create(&self, container: &str, ttl: Duration) -> Result<SasUrl, ArmError> {
        self.authorized(container, None, |signer| {
            signer.sign_for_containers(OffsetDateTime::now_utc(), ttl)
        })
    }

    /// The container's URL with a SAS allowing `access` for `ttl`.
    pub fn container(
        &self,
        container: &str,
        access: Access,
        ttl: Duration,
    ) -> Result<SasUrl, ArmError> {
        self.authorized(container, None, |signer| {
            signer.sign(
                Scope::Container(container),
                access,
                OffsetDateTime::now_utc(),
                ttl,
            )
        })
    }

    fn url(&self, container: &str, blob: Option<&str>) -> Url {
        let mut url = self.endpoint.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().push(container);
            if let Some(blob) = blob {
                segments.extend(blob.split('/'));
            }
        }
        url
    }
}

/// An account's blob endpoint as a base URL (ending in `/`).
fn base_url(endpoint: &str, account: &str) -> Result<Url, ArmError> {
    let mut url = Url::parse(endpoint).map_err(|e| {
        ArmError::Usage(format!(
            "storage account {account}: its blob endpoint {endpoint} is not a URL ({e})"
        ))
    })?;
    if !url.path().ends_with('/') {
        url.set_path(&format!("{}/", url.path()));
    }
    // A SAS or a token in clear could be replayed by whoever sees it: plain HTTP only on this
    // machine (the emulators).
    if url.scheme() != "https" && super::sas::protocols(&url) == "https" {
        return Err(ArmError::Usage(format!(
            "storage account {account}: its blob endpoint {endpoint} is not HTTPS; a SAS or token is sent only over HTTPS (or to this machine)"
        )));
    }
    Ok(url)
}

/// Where a server-side copy stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyStatus {
    Pending,
    Success,
    Failed,
    Aborted,
}

/// A copy's status and progress, from the destination blob's properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyState {
    pub status: CopyStatus,
    pub copied: u64,
    pub total: u64,
    /// Why it failed, as the service says.
    pub description: Option<String>,
}

impl CopyState {
    /// Whole percent copied (100 when the size is unknown and the copy succeeded).
    pub fn percent(&self) -> u8 {
        if self.total == 0 {
            return if self.status == CopyStatus::Success {
                100
            } else {
                0
            };
        }
        ((self.copied.min(self.total) * 100) / self.total) as u8
    }
}

/// A blob as listed: its name, metadata and copy state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobEntry {
    pub name: String,
    pub metadata: BTreeMap<String, String>,
    pub size: u64,
    pub copy: Option<CopyState>,
    /// When the blob was made (the copy's start, for a copy).
    pub created: Option<OffsetDateTime>,
}

/// Creates the container if it is not there. `container` carries an account SAS
/// (`BlobAccount::container_to_create`): a service SAS cannot create its own container.
pub async fn create_container(container: &SasUrl) -> Result<(), ArmError> {
    let client =
        container_client(container).map_err(|e| storage_error("create container", container, e))?;
    match client.create(None).await {
        Ok(_) => Ok(()),
        Err(e) if e.http_status().map(u16::from) == Some(409) => Ok(()),
        Err(e) => Err(storage_error("create container", container, e)),
    }
}

/// Starts a server-side copy of `source` into `destination`, with `metadata` on the copy.
pub async fn start_copy(
    destination: &SasUrl,
    source: &SasUrl,
    metadata: &BTreeMap<String, String>,
) -> Result<(), ArmError> {
    let client = blob_client("start copy", destination)?;
    let options = BlobClientStartCopyFromUrlOptions {
        metadata: Some(metadata.clone().into_iter().collect()),
        ..Default::default()
    };
    client
        .start_copy_from_url(source.expose().to_string(), Some(options))
        .await
        .map_err(|e| storage_error("start copy", destination, e))?;
    Ok(())
}

/// The copy state and metadata of `blob`; `None` when there is no such blob.
pub async fn copy_state(
    blob: &SasUrl,
) -> Result<Option<(Option<CopyState>, BTreeMap<String, String>)>, ArmError> {
    let client = blob_client("read properties", blob)?;
    let response = match client.get_properties(None).await {
        Ok(r) => r,
        Err(e) if e.http_status().map(u16::from) == Some(404) => return Ok(None),
        Err(e) => return Err(storage_error("read properties", blob, e)),
    };
    let status = response.copy_status().ok().flatten();
    let progress = response.copy_progress().ok().flatten();
    let description = response.copy_status_description().ok().flatten();
    let metadata: BTreeMap<String, String> = response
        .metadata()
        .map(|m| m.into_iter().collect())
        .unwrap_or_default();
    let length = response.content_length().ok().flatten().unwrap_or(0);
    Ok(Some((
        status.map(|s| copy_from_wire(s, progress.as_deref(), description, length)),
        metadata,
    )))
}

/// The blobs in `container` whose names start with `prefix`, with metadata and copy state.
pub async fn list(container: &SasUrl, prefix: Option<&str>) -> Result<Vec<BlobEntry>, ArmError> {
    let client =
        container_client(container).map_err(|e| storage_error("list blobs", container, e))?;
    let options = BlobContainerClientListBlobsOptions {
        include: Some(vec![
            ListBlobsIncludeItem::Metadata,
            ListBlobsIncludeItem::Copy,
        ]),
        prefix: prefix.map(str::to_string),
        ..Default::default()
    };
    let mut pager = client
        .list_blobs(Some(options))
        .map_err(|e| storage_error("list blobs", container, e))?;
    let mut found = Vec::new();
    while let Some(item) = pager.next().await {
        let item = match item {
            Ok(item) => item,
            // A container that is not there holds nothing.
            Err(e) if e.http_status().map(u16::from) == Some(404) => return Ok(Vec::new()),
            Err(e) => return Err(storage_error("list blobs", container, e)),
        };
        let properties = item.properties.unwrap_or_default();
        let size = properties.content_length.unwrap_or(0);
        let created = properties.creation_time.or(properties.last_modified);
        found.push(BlobEntry {
            created,
            name: item.name.unwrap_or_default(),
            metadata: item
                .metadata
                .and_then(|m| m.values)
                .map(|m| m.into_iter().collect())
                .unwrap_or_default(),
            size,
            copy: properties.copy_status.map(|s| {
                copy_from_wire(
                    s,
                    properties.copy_progress.as_deref(),
                    properties.copy_status_description.clone(),
                    size,
                )
            }),
        });
    }
    Ok(found)
}

/// The bytes of a small blob (a JSON file); `None` when there is no such blob.
pub async fn read_all(blob: &SasUrl) -> Result<Option<Vec<u8>>, ArmError> {
    let client = blob_client("read", blob)?;
    let response = match client.download(None).await {
        Ok(r) => r,
        Err(e) if e.http_status().map(u16::from) == Some(404) => return Ok(None),
        Err(e) => return Err(storage_error("read", blob, e)),
    };
    let bytes = response
        .body
        .collect()
        .await
        .map_err(|e| storage_error("read", blob, e))?;
    Ok(Some(bytes.to_vec()))
}

/// Deletes `blob`; `false` when it was not there.
pub async fn delete(blob: &SasUrl) -> Result<bool, ArmError> {
    let client = blob_client("delete", blob)?;
    match client.delete(None).await {
        Ok(_) => Ok(true),
        Err(e) if e.http_status().map(u16::from) == Some(404) => Ok(false),
        Err(e) => Err(storage_error("delete", blob, e)),
    }
}

/// Stops a pending copy (the destination is left empty, as the service does).
pub async fn abort_copy(blob: &SasUrl, copy_id: &str) -> Result<(), ArmError> {
    let client = blob_client("abort copy", blob)?;
    match client.abort_copy(copy_id, None).await {
        Ok(_) => Ok(()),
        // Already finished or gone: nothing to stop.
        Err(e) if matches!(e.http_status().map(u16::from), Some(404 | 409)) => Ok(()),
        Err(e) => Err(storage_error("abort copy", blob, e)),
    }
}

fn blob_client(op: &str, blob: &SasUrl) -> Result<BlobClient, ArmError> {
    let options = BlobClientOptions {
        client_options: blob.options(),
        ..Default::default()
    };
    BlobClient::new(blob.expose().clone(), None, Some(options))
        .map_err(|e| storage_error(op, blob, e))
}

fn container_client(container: &SasUrl) -> azure_core::Result<BlobContainerClient> {
    let options = BlobContainerClientOptions {
        client_options: container.options(),
        ..Default::default()
    };
    BlobContainerClient::new(container.expose().clone(), None, Some(options))
}

fn copy_from_wire(
    status: WireCopyStatus,
    progress: Option<&str>,
    description: Option<String>,
    length: u64,
) -> CopyState {
    let (copied, total) = progress
        .and_then(|p| p.split_once('/'))
        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
        .unwrap_or((0, length));
    CopyState {
        status: match status {
            WireCopyStatus::Pending => CopyStatus::Pending,
            WireCopyStatus::Success => CopyStatus::Success,
            WireCopyStatus::Failed => CopyStatus::Failed,
            _ => CopyStatus::Aborted,
        },
        copied,
        total,
        description,
    }
}

fn storage_error(op: &str, url: &SasUrl, e: azure_core::Error) -> ArmError {
    let (status, code) = match e.kind() {
        ErrorKind::HttpResponse {
            status, error_code, ..
        } => (Some(u16::from(*status)), error_code.clone()),
        _ => (None, None),
    };
    let code = code.unwrap_or_default();
    let mut message = crate::arm::redact::redact(&e.to_string());
    if url.bearer.is_some() && code == "AuthorizationPermissionMismatch" {
        message.push_str(
            "; with Entra ID the identity needs the Storage Blob Data Contributor role on the storage account",
        );
    }
    ArmError::Storage {
        op: op.to_string(),
        blob: url.public(),
        status,
        code,
        message,
    }
}
