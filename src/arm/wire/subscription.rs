use serde::{Deserialize, Serialize};

/// A subscription as `GET /subscriptions` returns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub id: String,
    pub subscription_id: String,
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub display_name: String,
    /// `Enabled`, `Warned`, `PastDue`, `Disabled` or `Deleted`.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub tags: Option<super::Tags>,
}
