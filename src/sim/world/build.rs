//! Resources shaped as Azure returns them: labs with their gallery and public artifact
//! repository, custom images, VMs; lower-cased child ids, stable unique identifiers.

use time::OffsetDateTime;

use super::{SimLab, arm_timestamp, days, lab_id};
use crate::arm::wire::{
    Artifact, ArtifactProperties, ArtifactSource, ArtifactSourceProperties, CustomImage,
    CustomImageProperties, CustomImagePropertiesCustom, CustomImagePropertiesFromVm, GalleryImage,
    GalleryImageProperties, GalleryImageReference, Lab, LabProperties, LabVirtualMachine,
    LabVirtualMachineProperties, LabVirtualNetwork, LabVirtualNetworkProperties, LinuxOsInfo,
    SubnetOverride, Tags, WindowsOsInfo,
};

pub fn new_lab(
    subscription: &str,
    resource_group: &str,
    name: &str,
    location: &str,
    now: OffsetDateTime,
) -> SimLab {
    let id = lab_id(subscription, resource_group, name);
    let storage = format!(
        "/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.Storage/storageAccounts/a{}",
        name.to_ascii_lowercase()
            .replace(['-', '_'], "")
            .chars()
            .take(20)
            .collect::<String>()
    );
    let mut lab = SimLab {
        lab: Lab {
            id: id.clone(),
            name: name.into(),
            kind: Some("Microsoft.DevTestLab/labs".into()),
            location: Some(location.into()),
            tags: None,
            properties: LabProperties {
                default_storage_account: Some(storage.clone()),
                artifacts_storage_account: Some(storage),
                vault_name: None,
                lab_storage_type: Some("Premium".into()),
                created_date: Some(arm_timestamp(now - days(400.0))),
                provisioning_state: Some("Succeeded".into()),
                unique_identifier: Some(uuid_from(&id)),
            },
        },
        resource_group: resource_group.into(),
        deny_read: false,
        images: Vec::new(),
        vms: Vec::new(),
        formulas: Vec::new(),
        gallery: Vec::new(),
        artifact_sources: Vec::new(),
        builds: Vec::new(),
        vm_limit: None,
        networks: Vec::new(),
    };
    lab.networks = vec![default_network(&lab)];
    lab.gallery = gallery(&lab);
    lab.artifact_sources = vec![public_repo(&lab)];
    lab
}

/// The network DevTest Labs makes with a lab: `Dtl{lab}` with one subnet `Dtl{lab}Subnet`
/// that VMs may be created in and may have public IPs on (the names the original factory's
/// golden-image templates send as `labVirtualNetworkId` and `labSubnetName`).
pub fn default_network(lab: &SimLab) -> LabVirtualNetwork {
    let name = format!("Dtl{}", lab.lab.name);
    LabVirtualNetwork {
        id: format!(
            "{}/virtualnetworks/{}",
            lab.child_prefix(),
            name.to_ascii_lowercase()
        ),
        properties: LabVirtualNetworkProperties {
            external_provider_resource_id: Some(format!(
                "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks/{name}",
                lab.lab.id.split('/').nth(2).unwrap_or_default(),
                lab.resource_group
            )),
            subnet_overrides: vec![SubnetOverride {
                resource_id: None,
                lab_subnet_name: Some(format!("{name}Subnet")),
                use_in_vm_creation_permission: Some("Allow".into()),
                use_public_ip_address_permission: Some("Allow".into()),
            }],
        },
        name,
    }
}

pub(super) struct ImageMaker<'a> {
    pub name: &'a str,
    pub os: &'a str,
    pub author: Option<&'a str>,
    pub description: Option<&'a str>,
    pub from_vhd: bool,
}

impl ImageMaker<'_> {
    pub fn build(&self, lab: &SimLab, created: OffsetDateTime, tags: Tags) -> CustomImage {
        let id = format!(
            "{}/customimages/{}",
            lab.child_prefix(),
            self.name.to_ascii_lowercase()
        );
        let linux = self.os.eq_ignore_ascii_case("linux");
        let (vm, vhd) = if self.from_vhd {
            let vhd = CustomImagePropertiesCustom {
                image_name: Some(format!("{}.vhd", self.name)),
                sys_prep: Some(!linux),
                os_type: if linux {
                    "Linux".into()
                } else {
                    "Windows".into()
                },
            };
            (None, Some(vhd))
        } else {
            let vm = CustomImagePropertiesFromVm {
                source_vm_id: Some(format!(
                    "{}/virtualmachines/factory-{}",
                    lab.child_prefix(),
                    self.name.to_ascii_lowercase()
                )),
                windows_os_info: (!linux).then(|| WindowsOsInfo {
                    windows_os_state: Some("SysprepApplied".into()),
                }),
                linux_os_info: linux.then(|| LinuxOsInfo {
                    linux_os_state: Some("DeprovisionApplied".into()),
                }),
            };
            (Some(vm), None)
        };
        CustomImage {
            id: id.clone(),
            name: self.name.into(),
            kind: Some("Microsoft.DevTestLab/labs/customImages".into()),
            location: Some(lab.location()),
            tags: (!tags.is_empty()).then_some(tags),
            properties: CustomImageProperties {
                vm,
                vhd,
                description: self.description.map(str::to_string),
                author: Some(self.author.unwrap_or("imagefactory").to_string()),
                creation_date: Some(arm_timestamp(created)),
                managed_image_id: Some(format!(
                    "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/images/{}",
                    ResourceIdView(&lab.lab.id).subscription(),
                    lab.resource_group,
                    self.name
                )),
                managed_snapshot_id: None,
                provisioning_state: Some("Succeeded".into()),
                unique_identifier: Some(uuid_from(&id)),
            },
        }
    }
}

struct ResourceIdView<'a>(&'a str);
impl ResourceIdView<'_> {
    fn subscription(&self) -> &str {
        self.0.split('/').nth(2).unwrap_or("")
    }
}

/// A lab VM, optionally created from a custom image.
pub fn new_vm(
    lab: &SimLab,
    name: &str,
    os: &str,
    custom_image_id: Option<String>,
    created: OffsetDateTime,
) -> LabVirtualMachine {
    let id = format!(
        "{}/virtualmachines/{}",
        lab.child_prefix(),
        name.to_ascii_lowercase()
    );
    let from_image = custom_image_id.is_some();
    LabVirtualMachine {
        id: id.clone(),
        name: name.into(),
        kind: Some("Microsoft.DevTestLab/labs/virtualMachines".into()),
        location: Some(lab.location()),
        tags: None,
        properties: LabVirtualMachineProperties {
            notes: None,
            created_by_user: None,
            created_date: Some(arm_timestamp(created)),
            compute_id: Some(format!(
                "/subscriptions/{}/resourceGroups/{}-{}-{}/providers/Microsoft.Compute/virtualMachines/{}",
                ResourceIdView(&lab.lab.id).subscription(),
                lab.lab.name,
                name,
                &uuid_from(&id)[..6],
                name
            )),
            // As a client wrote it when it made the VM (ARM keeps the casing it was given), not
            // as the lower-cased id the image list returns: matching them must ignore case.
            custom_image_id: custom_image_id.map(|i| {
                let name = i.rsplit('/').next().unwrap_or_default();
                format!(
                    "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.DevTestLab/labs/{}/customImages/{name}",
                    ResourceIdView(&lab.lab.id).subscription(),
                    lab.resource_group,
                    lab.lab.name
                )
            }),
            os_type: Some(os.into()),
            size: Some("Standard_D2s_v3".into()),
            user_name: Some("labadmin".into()),
            gallery_image_reference: (!from_image).then(|| GalleryImageReference {
                offer: Some("WindowsServer".into()),
                publisher: Some("MicrosoftWindowsServer".into()),
                sku: Some("2022-datacenter".into()),
                os_type: Some(os.into()),
                version: Some("latest".into()),
            }),
            artifacts: None,
            artifact_deployment_status: None,
            virtual_machine_creation_source: Some(
                if from_image {
                    "FromCustomImage"
                } else {
                    "FromGalleryImage"
                }
                .into(),
            ),
            provisioning_state: Some("Succeeded".into()),
            unique_identifier: Some(uuid_from(&id)),
            ..Default::default()
        },
    }
}

fn gallery(lab: &SimLab) -> Vec<GalleryImage> {
    let offers = [
        (
            "MicrosoftWindowsServer",
            "WindowsServer",
            "2022-datacenter",
            "Windows",
            "Windows Server 2022 Datacenter",
        ),
        (
            "MicrosoftWindowsServer",
            "WindowsServer",
            "2022-datacenter-azure-edition",
            "Windows",
            "Windows Server 2022 Datacenter: Azure Edition",
        ),
        (
            "MicrosoftWindowsServer",
            "WindowsServer",
            "2019-Datacenter",
            "Windows",
            "Windows Server 2019 Datacenter",
        ),
        (
            "MicrosoftWindowsServer",
            "WindowsServer",
            "2016-Datacenter",
            "Windows",
            "Windows Server 2016 Datacenter",
        ),
        (
            "MicrosoftSQLServer",
            "SQL2016SP1-WS2016",
            "Express",
            "Windows",
            "Free License: SQL Server 2016 SP1 Express on Windows Server 2016",
        ),
        (
            "MicrosoftWindowsDesktop",
            "windows-11",
            "win11-23h2-ent",
            "Windows",
            "Windows 11 Enterprise, version 23H2",
        ),
        (
            "microsoftvisualstudio",
            "visualstudio2022",
            "vs-2022-ent-latest-ws2022",
            "Windows",
            "Visual Studio 2022 Enterprise on Windows Server 2022",
        ),
        (
            "Canonical",
            "ubuntu-24_04-lts",
            "server",
            "Linux",
            "Ubuntu Server 24.04 LTS",
        ),
        (
            "Canonical",
            "ubuntu-24_04-lts",
            "server-gen1",
            "Linux",
            "Ubuntu Server 24.04 LTS (Gen1)",
        ),
        (
            "Canonical",
            "0001-com-ubuntu-server-jammy",
            "22_04-lts",
            "Linux",
            "Ubuntu Server 22.04 LTS (Gen1)",
        ),
        (
            "Canonical",
            "0001-com-ubuntu-server-jammy",
            "22_04-lts-gen2",
            "Linux",
            "Ubuntu Server 22.04 LTS",
        ),
        (
            "RedHat",
            "RHEL",
            "9-lvm-gen2",
            "Linux",
            "Red Hat Enterprise Linux 9",
        ),
    ];
    offers
        .iter()
        .map(|(publisher, offer, sku, os, title)| GalleryImage {
            id: format!(
                "{}/galleryimages/{}",
                lab.child_prefix(),
                title.to_ascii_lowercase()
            ),
            name: (*title).into(),
            location: Some(lab.location()),
            properties: GalleryImageProperties {
                author: Some((*publisher).into()),
                description: Some((*title).into()),
                image_reference: Some(GalleryImageReference {
                    offer: Some((*offer).into()),
                    publisher: Some((*publisher).into()),
                    sku: Some((*sku).into()),
                    os_type: Some((*os).into()),
                    version: Some("latest".into()),
                }),
                enabled: Some(true),
            },
        })
        .collect()
}

fn public_repo(lab: &SimLab) -> (ArtifactSource, Vec<Artifact>) {
    let source_id = format!("{}/artifactsources/public repo", lab.child_prefix());
    let source = ArtifactSource {
        id: source_id.clone(),
        name: "Public Repo".into(),
        properties: ArtifactSourceProperties {
            display_name: Some("Public Artifact Repo".into()),
            uri: Some("https://github.com/Azure/azure-devtestlab.git".into()),
            source_type: Some("GitHub".into()),
            status: Some("Enabled".into()),
        },
    };
    let artifacts = [
        (
            "windows-chocolatey",
            "Chocolatey Packages",
            "Windows",
            r#"{"packages":{"type":"string"}}"#,
        ),
        ("windows-sysprep", "Sysprep", "Windows", "{}"),
        ("windows-vscode", "Visual Studio Code", "Windows", "{}"),
        (
            "windows-install-windows-updates",
            "Install Windows Updates",
            "Windows",
            "{}",
        ),
        (
            "linux-apt-package",
            "APT Package",
            "Linux",
            r#"{"packages":{"type":"string"}}"#,
        ),
        ("linux-deprovision", "Deprovision", "Linux", "{}"),
    ]
    .iter()
    .map(|(name, title, os, params)| Artifact {
        id: format!("{source_id}/artifacts/{name}"),
        name: (*name).into(),
        properties: ArtifactProperties {
            title: Some((*title).into()),
            description: Some((*title).into()),
            target_os_type: Some((*os).into()),
            parameters: serde_json::from_str(params).ok(),
        },
    })
    .collect();
    (source, artifacts)
}

/// A stable GUID-shaped identifier derived from a resource id.
pub fn uuid_from(seed: &str) -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h1 = DefaultHasher::new();
    seed.to_ascii_lowercase().hash(&mut h1);
    let a = h1.finish();
    let mut h2 = DefaultHasher::new();
    (seed.to_ascii_lowercase(), 7u8).hash(&mut h2);
    let b = h2.finish();
    let hex = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
