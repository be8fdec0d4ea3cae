use serde::{Deserialize, Serialize};

/// A custom image (`Microsoft.DevTestLab/labs/customImages`).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct CustomImage {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<super::Tags>,
    #[serde(default)]
    pub properties: CustomImageProperties,
}

/// `CustomImageProperties` of the spec.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomImageProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm: Option<CustomImagePropertiesFromVm>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vhd: Option<CustomImagePropertiesCustom>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_image_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_snapshot_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique_identifier: Option<String>,
}

/// `CustomImagePropertiesFromVm`: an image captured from a lab VM.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomImagePropertiesFromVm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_vm_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows_os_info: Option<WindowsOsInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_os_info: Option<LinuxOsInfo>,
}

/// `WindowsOsInfo`: `windowsOsState` is `NonSysprepped`, `SysprepRequested` or `SysprepApplied`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowsOsInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows_os_state: Option<String>,
}

/// `LinuxOsInfo`: `linuxOsState` is `NonDeprovisioned`, `DeprovisionRequested` or `DeprovisionApplied`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinuxOsInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_os_state: Option<String>,
}

/// `CustomImagePropertiesCustom`: an image made from a VHD.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomImagePropertiesCustom {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sys_prep: Option<bool>,
    /// `Windows`, `Linux` or `None` (required by the spec).
    #[serde(default)]
    pub os_type: String,
}

impl CustomImage {
    /// The image's OS, from whichever source block it has: `Windows`, `Linux` or `None`.
    pub fn os_type(&self) -> Option<&str> {
        let p = &self.properties;
        if let Some(vhd) = &p.vhd {
            return Some(vhd.os_type.as_str());
        }
        let vm = p.vm.as_ref()?;
        if vm.windows_os_info.is_some() {
            Some("Windows")
        } else if vm.linux_os_info.is_some() {
            Some("Linux")
        } else {
            None
        }
    }
}
