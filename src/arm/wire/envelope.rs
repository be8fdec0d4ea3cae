use serde::{Deserialize, Serialize};

/// One page of a list response: `value` plus an optional `nextLink`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

/// The ARM error envelope: `{"error": {...}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CloudError {
    pub error: CloudErrorBody,
}

/// Body of an ARM error, with nested details.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CloudErrorBody {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<CloudErrorBody>,
}

impl CloudError {
    /// An envelope with just a code and a message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        CloudError {
            error: CloudErrorBody {
                code: code.into(),
                message: message.into(),
                target: None,
                details: Vec::new(),
            },
        }
    }
}
