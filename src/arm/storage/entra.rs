//! Blob calls authorized by Entra ID instead of a key: a bearer token for Azure Storage
//! (`https://storage.azure.com/.default`) on each call, and a user delegation SAS (signed with a
//! key from Get User Delegation Key) for a copy's source, which another service reads. This is
//! the only way into an account that forbids shared keys (`allowSharedKeyAccess: false`, often
//! set by Azure Policy), and needs the Storage Blob Data Contributor role on the account.

use std::sync::Arc;

use async_trait::async_trait;
use azure_core::http::policies::{Policy, PolicyResult};
use azure_core::http::{ClientOptions, Context, Request, RequestContent, XmlFormat};
use azure_storage_blob::models::KeyInfo;
use azure_storage_blob::{BlobServiceClient, BlobServiceClientOptions};
use azure_storage_common::models::UserDelegationKey;
use azure_storage_sas::{SasBuilder, SasProtocol};
use time::{Duration, OffsetDateTime};
use url::Url;

use crate::arm::{ArmClient, ArmError};

/// The scope of tokens for Azure Storage's data plane.
pub const STORAGE_SCOPE: &str = "https://storage.azure.com/.default";

/// Puts a bearer token for Azure Storage on each request. Our own policy rather than the SDK's
/// credential, which refuses any endpoint but HTTPS: here plain HTTP is allowed on this machine
/// alone (the emulators), as for a SAS's `spr`, and refused anywhere else.
#[derive(Clone)]
pub struct BearerPolicy {
    client: ArmClient,
}

impl std::fmt::Debug for BearerPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerPolicy")
    }
}

impl BearerPolicy {
    pub fn new(client: ArmClient) -> Self {
        BearerPolicy { client }
    }
}

#[async_trait]
impl Policy for BearerPolicy {
    async fn send(
        &self,
        ctx: &Context,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> PolicyResult {
        if super::sas::protocols(request.url()) != "https,http" && request.url().scheme() != "https"
        {
            return Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Other,
                "a storage token goes only to an HTTPS endpoint (or one on this machine)",
            ));
        }
        let token = self.client.token_for(STORAGE_SCOPE).await.map_err(|e| {
            azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, e.to_string())
        })?;
        request.insert_header("authorization", format!("Bearer {token}"));
        next[0].send(ctx, request, &next[1..]).await
    }
}

/// Client options that put the bearer on every try.
pub fn options_with(bearer: &BearerPolicy) -> ClientOptions {
    ClientOptions {
        per_try_policies: vec![Arc::new(bearer.clone())],
        ..ClientOptions::default()
    }
}

/// An account reached with Entra ID: the bearer, and the delegation key of this process's
/// copies (asked for again only when a copy needs it for longer than the one held lives).
pub struct EntraAccount {
    pub bearer: BearerPolicy,
    account: String,
    endpoint: Url,
    key: tokio::sync::Mutex<Option<UserDelegationKey>>,
}

impl EntraAccount {
    pub fn new(client: ArmClient, account: &str, endpoint: Url) -> Self {
        EntraAccount {
            bearer: BearerPolicy::new(client),
            account: account.to_string(),
            endpoint,
            key: tokio::sync::Mutex::new(None),
        }
    }

    /// A user delegation SAS that reads `container/blob` until `expiry`, for a copy's source.
    pub async fn read_sas(
        &self,
        container: &str,
        blob: &str,
        expiry: OffsetDateTime,
    ) -> Result<String, ArmError> {
        let key = self.key_until(expiry).await?;
        let protocol = match super::sas::protocols(&self.endpoint) {
            "https" => SasProtocol::Https,
            _ => SasProtocol::HttpsAndHttp,
        };
        let sas = SasBuilder::new(&self.account, &key, expiry)
            .map_err(|e| self.failed(e))?
            .blob(container, blob)
            .read()
            .start(OffsetDateTime::now_utc() - Duration::minutes(5))
            .protocol(protocol)
            .build();
        Ok(sas)
    }

    /// The delegation key, asked for again when the one held ends before `expiry` (a key lives
    /// seven days at most, as the service allows).
    async fn key_until(&self, expiry: OffsetDateTime) -> Result<UserDelegationKey, ArmError> {
        let mut held = self.key.lock().await;
        if let Some(key) = held.as_ref()
            && key.signed_expiry.is_some_and(|e| e >= expiry)
        {
            return Ok(key.clone());
        }
        let now = OffsetDateTime::now_utc();
        // A day at least, so that the copies of a run share one key; seven days at most.
        let until = expiry.max(now + Duration::days(1));
        let info = KeyInfo {
            start: Some(now - Duration::minutes(5)),
            expiry: Some(until.min(now + Duration::days(7) - Duration::minutes(1))),
            ..Default::default()
        };
        let options = BlobServiceClientOptions {
            client_options: options_with(&self.bearer),
            ..Default::default()
        };
        let service = BlobServiceClient::new(self.endpoint.clone(), None, Some(options))
            .map_err(|e| self.failed(e))?;
        let content: RequestContent<KeyInfo, XmlFormat> =
            info.try_into().map_err(|e| self.failed(e))?;
        let key = service
            .get_user_delegation_key(content, None)
            .await
            .map_err(|e| self.failed(e))?
            .into_model()
            .map_err(|e| self.failed(e))?;
        *held = Some(key.clone());
        Ok(key)
    }

    fn failed(&self, e: azure_core::Error) -> ArmError {
        ArmError::Storage {
            op: "get a user delegation key".into(),
            blob: self.endpoint.to_string(),
            status: e.http_status().map(u16::from),
            code: String::new(),
            message: format!(
                "{}; the identity needs the Storage Blob Data Contributor role on storage account {}",
                crate::arm::redact::redact(&e.to_string()),
                self.account
            ),
        }
    }
}
