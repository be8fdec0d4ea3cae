use serde::{Deserialize, Serialize};

/// The Storage api-version (accounts and their keys).
pub const STORAGE_API_VERSION: &str = "2023-05-01";

/// A storage account (`Microsoft.Storage/storageAccounts`): where its blobs are served.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageAccount {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default)]
    pub properties: StorageAccountProperties,
}

/// `StorageAccountProperties`, abridged.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageAccountProperties {
    #[serde(default)]
    pub primary_endpoints: Endpoints,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<String>,
    /// `false` when the account refuses every request signed with a key (SAS included); absent
    /// means allowed, as on accounts made before the property existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_shared_key_access: Option<bool>,
}

/// `Endpoints`, abridged: the blob endpoint, with its trailing slash.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
}

/// `StorageAccountListKeysResult`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageAccountKeys {
    #[serde(default)]
    pub keys: Vec<StorageAccountKey>,
}

/// `StorageAccountKey` (its value is a secret: never logged or kept).
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageAccountKey {
    #[serde(default)]
    pub key_name: String,
    #[serde(default)]
    pub permissions: String,
    #[serde(default)]
    pub value: String,
}

impl std::fmt::Debug for StorageAccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "StorageAccountKey({}, {}, REDACTED)",
            self.key_name, self.permissions
        )
    }
}
