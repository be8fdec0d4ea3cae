//! The emulator's state: subscriptions, labs and what is in them, as ARM would return them.
//! Loaded from a TOML world file (`file`), or generated for large fleets (`generate`); `build`
//! makes resources the way Azure shapes them.

mod build;
mod file;
mod generate;
mod lifecycle;

pub use build::{default_network, new_lab, new_vm, uuid_from};
pub use file::{WorldError, load, parse};
pub use generate::generate;
pub use lifecycle::{
    ArtifactFailure, BuildPhase, FailedVmShape, VmBuild, VmOperationEnd, artifact_failure,
    create_failure,
};

use serde::Deserialize;
use time::OffsetDateTime;

use crate::arm::wire::{
    Artifact, ArtifactSource, CustomImage, Formula, GalleryImage, Lab, LabVirtualMachine,
    LabVirtualNetwork,
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
    /// VMs DevTest Labs is creating, with their timelines.
    pub builds: Vec<VmBuild>,
    /// The lab's `LabVmCount` policy: VMs allowed in all, if limited.
    pub vm_limit: Option<usize>,
    /// The lab's virtual networks, with the subnets VMs may be created in.
    pub networks: Vec<LabVirtualNetwork>,
}

/// The whole emulated estate.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub subscriptions: Vec<SimSubscription>,
    /// Blob storage: accounts by lower-cased name, their containers and blobs.
    pub storage: std::collections::BTreeMap<String, StorageAccount>,
    /// Read access granted on managed disks: lower-cased disk id → the SAS signature.
    pub disk_grants: std::collections::BTreeMap<String, String>,
}

/// A storage account's blob service.
#[derive(Debug, Clone, Default)]
pub struct StorageAccount {
    pub containers: std::collections::BTreeMap<String, std::collections::BTreeMap<String, Blob>>,
    /// `allowSharedKeyAccess: false`: every key-signed SAS is refused (often set by Azure
    /// Policy); Entra ID is the only way in.
    pub forbid_shared_key: bool,
    /// The principal holds no data role (Storage Blob Data Contributor) on the account.
    pub deny_data_access: bool,
}

/// A blob, and the copy that made it.
#[derive(Debug, Clone)]
pub struct Blob {
    pub size: u64,
    pub metadata: std::collections::BTreeMap<String, String>,
    pub created: OffsetDateTime,
    pub copy: Option<BlobCopy>,
    /// What a Put Blob wrote (a small file, like the original factory's JSON sidecars); a
    /// copied VHD's bytes are not kept.
    pub content: Option<Vec<u8>>,
}

/// A server-side copy into a blob.
#[derive(Debug, Clone)]
pub struct BlobCopy {
    pub id: String,
    /// The source URL without its SAS.
    pub source: String,
    pub started: std::time::Instant,
    pub duration: std::time::Duration,
    pub fault: Option<CopyFault>,
    pub aborted: bool,
}

/// How a copy goes wrong, when a fault says it should.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFault {
    /// Progress stops part way and never moves again.
    Stall,
    /// The copy fails half way.
    Fail,
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

/// A duration of `d` days.
fn days(d: f64) -> time::Duration {
    time::Duration::seconds_f64(d * 86_400.0)
}
