use serde::{Deserialize, Serialize};

/// The Compute api-version for virtual machines (instance view, OS disk).
pub const COMPUTE_API_VERSION: &str = "2024-07-01";
/// The Compute api-version for managed disks (`beginGetAccess`, `endGetAccess`).
pub const DISK_API_VERSION: &str = "2024-03-02";

/// A compute VM (`Microsoft.Compute/virtualMachines`): only what a capture reads.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComputeVirtualMachine {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default)]
    pub properties: ComputeVirtualMachineProperties,
}

/// `VirtualMachineProperties`, abridged.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComputeVirtualMachineProperties {
    #[serde(default)]
    pub storage_profile: StorageProfile,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<String>,
}

/// `StorageProfile`, abridged.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_disk: Option<OsDisk>,
}

/// `OSDisk`, abridged.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OsDisk {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_disk: Option<ManagedDiskParameters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_size_gb: Option<u64>,
}

/// `ManagedDiskParameters`, abridged.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedDiskParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// `VirtualMachineInstanceView`, abridged to its statuses.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceView {
    #[serde(default)]
    pub statuses: Vec<InstanceViewStatus>,
}

/// `InstanceViewStatus`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceViewStatus {
    #[serde(default)]
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

impl InstanceView {
    /// The power state (`running`, `stopped`, `deallocated`, ...), from `PowerState/...`.
    pub fn power_state(&self) -> Option<&str> {
        self.statuses
            .iter()
            .find_map(|s| s.code.strip_prefix("PowerState/"))
    }
}

/// `GrantAccessData`: what a read SAS on a disk is for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantAccessData {
    pub access: String,
    pub duration_in_seconds: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_format: Option<String>,
}

/// `AccessUri`: the disk's read SAS (a secret: never logged or kept).
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessUri {
    #[serde(default, rename = "accessSAS")]
    pub access_sas: String,
}

impl std::fmt::Debug for AccessUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessUri(REDACTED)")
    }
}

/// A marketplace image version as a list of versions gives it: a name and no properties.
/// (`VirtualMachineImages_List` answers with a bare JSON array, not a `{value}` page.)
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct VirtualMachineImageResource {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// One marketplace image version (`VirtualMachineImages_Get`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct VirtualMachineImage {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default)]
    pub properties: VirtualMachineImageProperties,
}

/// The parts of `VirtualMachineImageProperties` a build reads.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineImageProperties {
    /// `V1` or `V2` (`HyperVGenerationTypes`); absent on old images, which are Generation 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hyper_v_generation: Option<String>,
    /// `{name, value}` pairs, such as `SecurityType` = `TrustedLaunchSupported`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<VirtualMachineImageFeature>,
}

/// A feature of a marketplace image.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct VirtualMachineImageFeature {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value: String,
}
