//! The emulator's state: subscriptions, labs and what is in them, as ARM would return them.
//! Loaded from a TOML world file, or generated for large fleets.

use std::path::Path;

use serde::Deserialize;
use time::OffsetDateTime;

use crate::arm::wire::{
    Artifact, ArtifactProperties, ArtifactSource, ArtifactSourceProperties, CustomImage,
    CustomImageProperties, CustomImagePropertiesCustom, CustomImagePropertiesFromVm, Formula,
    FormulaProperties, GalleryImage, GalleryImageProperties, GalleryImageReference, Lab,
    LabProperties, LabVirtualMachine, LabVirtualMachineProperties, LinuxOsInfo, Tags,
    WindowsOsInfo,
};

/// What a principal may do in a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Reads and writes.
    #[default]
    Owner,
    /// Reads only: writes get 403 `AuthorizationFailed`.
    Reader,
}

/// A subscription and its labs.
#[derive(Debug, Clone)]
pub struct SimSubscription {
    pub id: String,
    pub name: String,
    pub tenant: String,
    /// `Enabled` or `Disabled` (writes get 409 `ReadOnlyDisabledSubscription`).
    pub state: String,
    pub access: Access,
    pub labs: Vec<SimLab>,
}

/// A lab with its resources, held as wire objects.
#[derive(Debug, Clone)]
pub struct SimLab {
    pub lab: Lab,
    pub resource_group: String,
    /// Reads under this lab get 403 (a lab whose resource group the principal cannot see).
    pub deny_read: bool,
    pub images: Vec<CustomImage>,
    pub vms: Vec<LabVirtualMachine>,
    pub formulas: Vec<Formula>,
    pub gallery: Vec<GalleryImage>,
    pub artifact_sources: Vec<(ArtifactSource, Vec<Artifact>)>,
}

/// The whole emulated estate.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub subscriptions: Vec<SimSubscription>,
}

impl World {
    /// The subscription with this id (case-insensitive).
    pub fn subscription(&self, id: &str) -> Option<&SimSubscription> {
        self.subscriptions
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(id))
    }

    /// The subscription with this id, for changes.
    pub fn subscription_mut(&mut self, id: &str) -> Option<&mut SimSubscription> {
        self.subscriptions
            .iter_mut()
            .find(|s| s.id.eq_ignore_ascii_case(id))
    }

    /// Every lab, with its subscription.
    pub fn labs(&self) -> impl Iterator<Item = (&SimSubscription, &SimLab)> {
        self.subscriptions
            .iter()
            .flat_map(|s| s.labs.iter().map(move |l| (s, l)))
    }

    /// Number of custom images in all labs.
    pub fn image_count(&self) -> usize {
        self.labs().map(|(_, l)| l.images.len()).sum()
    }
}

impl SimSubscription {
    /// The lab in `resource_group` named `name` (both case-insensitive).
    pub fn lab(&self, resource_group: &str, name: &str) -> Option<&SimLab> {
        self.labs.iter().find(|l| l.matches(resource_group, name))
    }

    /// The same, for changes.
    pub fn lab_mut(&mut self, resource_group: &str, name: &str) -> Option<&mut SimLab> {
        self.labs
            .iter_mut()
            .find(|l| l.matches(resource_group, name))
    }
}

impl SimLab {
    fn matches(&self, resource_group: &str, name: &str) -> bool {
        self.resource_group.eq_ignore_ascii_case(resource_group)
            && self.lab.name.eq_ignore_ascii_case(name)
    }

    /// The id prefix DevTest Labs uses for child resources: lower-cased, as Azure returns it.
    pub fn child_prefix(&self) -> String {
        self.lab.id.to_ascii_lowercase()
    }

    /// The location of the lab.
    pub fn location(&self) -> String {
        self.lab.location.clone().unwrap_or_default()
    }
}

/// Formats a timestamp as DevTest Labs does (seven fractional digits, numeric offset).
pub fn arm_timestamp(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:7]+00:00"
    );
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

/// A lab id as ARM spells it for the lab itself.
pub fn lab_id(subscription: &str, resource_group: &str, name: &str) -> String {
    format!(
        "/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.DevTestLab/labs/{name}"
    )
}

// ---- world files -------------------------------------------------------------------------

/// Errors loading a world.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error("cannot read world file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("world file {path}: {message}")]
    Parse { path: String, message: String },
    #[error(
        "bad world generator {spec:?}: expected generate:SUBSxLABSxIMAGES, for example generate:20x10x60"
    )]
    Generator { spec: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorldFile {
    #[serde(default)]
    subscription: Vec<SubscriptionSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscriptionSpec {
    id: String,
    name: String,
    #[serde(default = "default_tenant")]
    tenant: String,
    #[serde(default = "default_state")]
    state: String,
    #[serde(default)]
    access: Access,
    #[serde(default)]
    lab: Vec<LabSpec>,
}

fn default_tenant() -> String {
    "72f988bf-86f1-41af-91ab-2d7cd011db47".into()
}
fn default_state() -> String {
    "Enabled".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabSpec {
    name: String,
    resource_group: String,
    location: String,
    #[serde(default)]
    tags: Tags,
    #[serde(default)]
    deny_read: bool,
    #[serde(default)]
    image: Vec<ImageSpec>,
    #[serde(default)]
    series: Vec<SeriesSpec>,
    #[serde(default)]
    vm: Vec<VmSpec>,
    #[serde(default)]
    formula: Vec<FormulaSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageSpec {
    name: String,
    /// The raw `ImagePath` tag; absent for an untagged image.
    #[serde(default)]
    path: Option<String>,
    age_days: f64,
    #[serde(default = "default_os")]
    os: String,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    tags: Tags,
    /// True for an image made from a VHD (as the original factory did) rather than from a VM.
    #[serde(default)]
    from_vhd: bool,
}

/// A run of images of one path, one every `every_days`, the newest `newest_age_days` old.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeriesSpec {
    path: String,
    count: u32,
    every_days: f64,
    newest_age_days: f64,
    #[serde(default = "default_os")]
    os: String,
    #[serde(default)]
    author: Option<String>,
    /// Name prefix; defaults to the path with `/` and spaces as `-`.
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    from_vhd: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VmSpec {
    name: String,
    /// The custom image the VM was created from: a name in this lab, or `PATH@RANK`.
    #[serde(default)]
    image: Option<String>,
    #[serde(default = "default_os")]
    os: String,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    tags: Tags,
    #[serde(default = "default_succeeded")]
    provisioning_state: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormulaSpec {
    name: String,
    image: String,
}

fn default_os() -> String {
    "Windows".into()
}
fn default_succeeded() -> String {
    "Succeeded".into()
}

/// Loads a world from a TOML file; image ages are relative to `now`.
pub fn load(path: &Path, now: OffsetDateTime) -> Result<World, WorldError> {
    let text = std::fs::read_to_string(path).map_err(|source| WorldError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse(&text, now).map_err(|message| WorldError::Parse {
        path: path.display().to_string(),
        message,
    })
}

/// Parses a world from TOML text.
pub fn parse(text: &str, now: OffsetDateTime) -> Result<World, String> {
    let file: WorldFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut world = World::default();
    for sub in file.subscription {
        let mut labs = Vec::new();
        for spec in sub.lab {
            labs.push(build_lab(&sub.id, spec, now)?);
        }
        world.subscriptions.push(SimSubscription {
            id: sub.id,
            name: sub.name,
            tenant: sub.tenant,
            state: sub.state,
            access: sub.access,
            labs,
        });
    }
    Ok(world)
}

fn build_lab(subscription: &str, spec: LabSpec, now: OffsetDateTime) -> Result<SimLab, String> {
    let mut lab = new_lab(
        subscription,
        &spec.resource_group,
        &spec.name,
        &spec.location,
        now,
    );
    lab.lab.tags = (!spec.tags.is_empty()).then_some(spec.tags);
    lab.deny_read = spec.deny_read;
    for image in spec.image {
        let mut tags = image.tags;
        if let Some(path) = image.path {
            tags.insert("ImagePath".into(), path);
        }
        let made = ImageMaker {
            name: &image.name,
            os: &image.os,
            author: image.author.as_deref(),
            description: image.description.as_deref(),
            from_vhd: image.from_vhd,
        };
        lab.images
            .push(made.build(&lab, now - days(image.age_days), tags));
    }
    for series in spec.series {
        let prefix = series.prefix.clone().unwrap_or_else(|| {
            series
                .path
                .replace(['/', '\\', ' ', '.'], "-")
                .to_ascii_lowercase()
        });
        for i in 0..series.count {
            let created = now - days(series.newest_age_days + series.every_days * i as f64);
            let name = format!(
                "{prefix}-{}",
                created
                    .format(time::macros::format_description!("[year][month][day]"))
                    .unwrap_or_default()
            );
            let tags = Tags::from([("ImagePath".to_string(), series.path.clone())]);
            let made = ImageMaker {
                name: &name,
                os: &series.os,
                author: series.author.as_deref(),
                description: None,
                from_vhd: series.from_vhd,
            };
            lab.images.push(made.build(&lab, created, tags));
        }
    }
    for vm in spec.vm {
        let image_id = match &vm.image {
            Some(reference) => Some(
                resolve_image(&lab, reference)
                    .map(|i| i.id.clone())
                    .ok_or_else(|| {
                        format!(
                            "lab {}: vm {} names image {reference}, which the lab does not have",
                            spec.name, vm.name
                        )
                    })?,
            ),
            None => None,
        };
        let mut made = new_vm(&lab, &vm.name, &vm.os, image_id, now - days(3.0));
        made.properties.created_by_user = vm.owner;
        made.properties.provisioning_state = Some(vm.provisioning_state);
        made.tags = (!vm.tags.is_empty()).then_some(vm.tags);
        lab.vms.push(made);
    }
    for formula in spec.formula {
        let image = resolve_image(&lab, &formula.image).ok_or_else(|| {
            format!(
                "lab {}: formula {} names image {}, which the lab does not have",
                spec.name, formula.name, formula.image
            )
        })?;
        let content = new_vm(
            &lab,
            &formula.name,
            image.os_type().unwrap_or("Windows"),
            Some(image.id.clone()),
            now,
        );
        lab.formulas.push(Formula {
            id: format!(
                "{}/formulas/{}",
                lab.child_prefix(),
                formula.name.to_ascii_lowercase()
            ),
            name: formula.name,
            location: Some(lab.location()),
            properties: FormulaProperties {
                description: Some("Formula".into()),
                author: Some("lab-owner@contoso.com".into()),
                os_type: image.os_type().map(str::to_string),
                formula_content: Some(content),
            },
        });
    }
    Ok(lab)
}

/// An image by name, or by `PATH@RANK` (0 = the newest image tagged with that path), so that
/// world files need not name images by the date they were generated for.
fn resolve_image<'l>(lab: &'l SimLab, reference: &str) -> Option<&'l CustomImage> {
    if let Some((path, rank)) = reference.rsplit_once('@') {
        let rank: usize = rank.parse().ok()?;
        let mut tagged: Vec<&CustomImage> = lab
            .images
            .iter()
            .filter(|i| {
                i.tags
                    .as_ref()
                    .and_then(|t| t.get("ImagePath"))
                    .is_some_and(|p| p == path)
            })
            .collect();
        tagged.sort_by(|a, b| b.properties.creation_date.cmp(&a.properties.creation_date));
        return tagged.get(rank).copied();
    }
    lab.images
        .iter()
        .find(|i| i.name.eq_ignore_ascii_case(reference))
}

fn days(d: f64) -> time::Duration {
    time::Duration::seconds_f64(d * 86_400.0)
}

/// A new, empty lab with the gallery and public artifact repository every lab has.
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
    };
    lab.gallery = gallery(&lab);
    lab.artifact_sources = vec![public_repo(&lab)];
    lab
}

struct ImageMaker<'a> {
    name: &'a str,
    os: &'a str,
    author: Option<&'a str>,
    description: Option<&'a str>,
    from_vhd: bool,
}

impl ImageMaker<'_> {
    fn build(&self, lab: &SimLab, created: OffsetDateTime, tags: Tags) -> CustomImage {
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
            custom_image_id: custom_image_id.map(|i| i.to_ascii_lowercase()),
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
        },
    }
}

fn gallery(lab: &SimLab) -> Vec<GalleryImage> {
    let offers = [
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

// ---- generated fleets --------------------------------------------------------------------

/// Builds `generate:SxLxI`: S subscriptions of L labs of I images each, deterministic by seed.
pub fn generate(spec: &str, seed: u64, now: OffsetDateTime) -> Result<World, WorldError> {
    let bad = || WorldError::Generator { spec: spec.into() };
    let dims: Vec<usize> = spec
        .strip_prefix("generate:")
        .ok_or_else(bad)?
        .split('x')
        .map(|n| n.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let [subs, labs_per, images_per] = dims[..] else {
        return Err(bad());
    };
    const PATHS: [(&str, &str); 8] = [
        ("win2022/base", "Windows"),
        ("win2022/vs2022", "Windows"),
        ("win2019/sql2019", "Windows"),
        ("win11/dev", "Windows"),
        ("ubuntu2404/base", "Linux"),
        ("ubuntu2204/docker", "Linux"),
        ("rhel9/base", "Linux"),
        ("Win2016\\Datacenter.json", "Windows"),
    ];
    const REGIONS: [&str; 4] = ["westeurope", "eastus", "northeurope", "westus2"];
    let mut rng = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        // xorshift64*: enough spread for ages and choices, and stable across platforms.
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let mut world = World::default();
    for s in 0..subs {
        let id = uuid_from(&format!("generated-subscription-{seed}-{s}"));
        let mut labs = Vec::with_capacity(labs_per);
        for l in 0..labs_per {
            let region = REGIONS[(s + l) % REGIONS.len()];
            let mut lab = new_lab(
                &id,
                &format!("rg-labs-{s:02}"),
                &format!("lab-{s:02}-{l:02}"),
                region,
                now,
            );
            for i in 0..images_per {
                let (path, os) = PATHS[i % PATHS.len()];
                let age = (i / PATHS.len()) as f64 * 7.0 + (next() % 7000) as f64 / 1000.0;
                let name = format!(
                    "img-{}-{i:04}",
                    path.replace(['/', '\\', '.'], "-").to_ascii_lowercase()
                );
                let mut tags = Tags::new();
                if next() % 20 != 0 {
                    tags.insert("ImagePath".into(), path.into());
                }
                if next() % 40 == 0 {
                    tags.insert("ImageFactoryPin".into(), "generated pin".into());
                }
                let made = ImageMaker {
                    name: &name,
                    os,
                    author: None,
                    description: None,
                    from_vhd: path.contains('\\'),
                };
                lab.images.push(made.build(&lab, now - days(age), tags));
            }
            for v in 0..(next() % 4) as usize {
                if lab.images.is_empty() {
                    break;
                }
                let image = &lab.images[(next() as usize) % lab.images.len()];
                let (id, os) = (
                    image.id.clone(),
                    image.os_type().unwrap_or("Windows").to_string(),
                );
                let vm = new_vm(&lab, &format!("vm-{v}"), &os, Some(id), now - days(2.0));
                lab.vms.push(vm);
            }
            labs.push(lab);
        }
        world.subscriptions.push(SimSubscription {
            id,
            name: format!("Generated {s:02}"),
            tenant: default_tenant(),
            state: "Enabled".into(),
            access: if s % 5 == 4 {
                Access::Reader
            } else {
                Access::Owner
            },
            labs,
        });
    }
    Ok(world)
}
