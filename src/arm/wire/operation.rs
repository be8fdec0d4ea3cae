use serde::{Deserialize, Serialize};

/// The body of an `Azure-AsyncOperation` poll (`OperationResult` in the spec).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationResult {
    /// `InProgress`/`Running`/..., then `Succeeded`, `Failed` or `Canceled`.
    #[serde(default)]
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<super::CloudErrorBody>,
}
