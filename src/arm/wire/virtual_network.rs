use serde::{Deserialize, Serialize};

/// A lab's virtual network (`Microsoft.DevTestLab/labs/virtualnetworks`): which subnets the
/// lab's VMs may be created in, and whether they may have a public IP there.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LabVirtualNetwork {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub properties: LabVirtualNetworkProperties,
}

/// `VirtualNetworkProperties`: the parts a build reads.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LabVirtualNetworkProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_provider_resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subnet_overrides: Vec<SubnetOverride>,
}

/// `SubnetOverride`: a subnet as the lab sees it. The permissions are `UsagePermissionType`
/// (`Default`, `Deny`, `Allow`; modelled as strings, so others may come).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SubnetOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab_subnet_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_in_vm_creation_permission: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_public_ip_address_permission: Option<String>,
}
