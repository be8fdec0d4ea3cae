//! The ARM and blob calls of each build stage, one function per call, with nothing about
//! journals or progress: the runner decides when to call them and what to record.

use std::collections::BTreeMap;

use rand::Rng;

use super::network::LabSubnet;
use super::plan::ImageJob;
use crate::arm::storage::{BlobAccount, SasUrl};
use crate::arm::wire::{
    AccessUri, ArtifactInstallProperties, ArtifactParameterProperties, COMPUTE_API_VERSION,
    ComputeVirtualMachine, CustomImage, CustomImageProperties, CustomImagePropertiesCustom,
    DISK_API_VERSION, DTL_API_VERSION, GalleryImageReference, GrantAccessData, InstanceView, Lab,
    LabVirtualMachine, LabVirtualMachineProperties, STORAGE_API_VERSION, StorageAccount,
    StorageAccountKeys, Tags,
};
use crate::arm::{ArmClient, ArmError, Begun, Write};
use crate::config::{LabRef, OsType, StorageAuth};
use crate::factory::tags;

/// The container in the factory lab's storage account that holds captured VHDs: the
/// catalogue (the original factory's name, so that its VHDs are found too).
pub const CATALOGUE_CONTAINER: &str = "imagefactoryvhds";
/// The container in a target lab's storage account that VHDs are staged in for a custom image.
pub const STAGING_CONTAINER: &str = "uploads";
/// The admin user of build VMs (its password is generated per VM and kept only in memory).
pub const ADMIN_USER: &str = "factoryadmin";

/// A generated admin password: 24 characters from all four classes Azure asks for. Held in
/// memory for the one request that creates the VM; its `Debug` never shows it.
pub struct Password(String);

impl Password {
    pub fn generate() -> Password {
        const CLASSES: [&str; 4] = [
            "ABCDEFGHJKLMNPQRSTUVWXYZ",
            "abcdefghijkmnopqrstuvwxyz",
            "23456789",
            "!#%()*+,-.:=?@[]^_{}~",
        ];
        let mut rng = rand::rng();
        let mut chars: Vec<char> = Vec::with_capacity(24);
        for (i, _) in (0..24).enumerate() {
            let class = CLASSES[i % CLASSES.len()].as_bytes();
            chars.push(class[rng.random_range(0..class.len())] as char);
        }
        // Shuffle so that the classes are not in a fixed order.
        for i in (1..chars.len()).rev() {
            chars.swap(i, rng.random_range(0..=i));
        }
        Password(chars.into_iter().collect())
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(REDACTED)")
    }
}

/// The lab VM id of `job`'s build VM in the factory lab.
pub fn vm_id(factory: &LabRef, job: &ImageJob) -> String {
    format!("{}/virtualmachines/{}", factory.id(), job.vm_name)
}

/// The tags every resource of a run carries.
pub fn run_tags(job: &ImageJob, run: &str) -> Tags {
    let mut tags = Tags::new();
    tags.insert(tags::IMAGE_PATH.into(), job.path.to_string());
    tags.insert(tags::RUN.into(), run.into());
    tags
}

/// Starts creating the build VM: the base image, size and disk type, the lab subnet,
/// artifacts with the generalize artifact last, the run's tags, a generated password.
pub async fn create_vm(
    client: &ArmClient,
    factory: &LabRef,
    subnet: &LabSubnet,
    location: &str,
    job: &ImageJob,
    run: &str,
) -> Result<Begun, ArmError> {
    let artifacts = job
        .artifacts
        .iter()
        .map(|a| ArtifactInstallProperties {
            artifact_id: Some(format!(
                "{}/artifactSources/{}/artifacts/{}",
                factory.id(),
                a.source,
                a.name
            )),
            parameters: (!a.parameters.is_empty()).then(|| {
                a.parameters
                    .iter()
                    .map(|(k, v)| ArtifactParameterProperties {
                        name: Some(k.clone()),
                        value: Some(v.clone()),
                    })
                    .collect()
            }),
            ..Default::default()
        })
        .collect();
    let os = os_name(job.os);
    let password = Password::generate();
    let body = LabVirtualMachine {
        id: String::new(),
        name: String::new(),
        kind: None,
        location: Some(location.into()),
        tags: Some(run_tags(job, run)),
        properties: LabVirtualMachineProperties {
            notes: Some(format!("imagefactory build VM of {} (run {run})", job.path)),
            size: Some(job.vm_size.clone()),
            user_name: Some(ADMIN_USER.into()),
            password: Some(password.0),
            is_authentication_with_ssh_key: Some(false),
            gallery_image_reference: Some(GalleryImageReference {
                offer: Some(job.base.offer.clone()),
                publisher: Some(job.base.publisher.clone()),
                sku: Some(job.base.sku.clone()),
                os_type: Some(os.into()),
                // The version the plan resolved `latest` to: the one recorded is the one built.
                version: Some(
                    job.base_facts
                        .as_ref()
                        .map_or_else(|| job.base.version.clone(), |f| f.version.clone()),
                ),
            }),
            artifacts: Some(artifacts),
            allow_claim: Some(false),
            disallow_public_ip_address: Some(subnet.disallow_public_ip),
            lab_virtual_network_id: Some(subnet.network_id.clone()),
            lab_subnet_name: Some(subnet.subnet.clone()),
            storage_type: Some(job.storage_type.as_str().into()),
            ..Default::default()
        },
    };
    client
        .begin(
            Write::Put,
            &vm_id(factory, job),
            DTL_API_VERSION,
            Some(&body),
        )
        .await
}

/// The lab VM with its artifacts, or `None` if it is not there.
pub async fn get_vm(client: &ArmClient, id: &str) -> Result<Option<LabVirtualMachine>, ArmError> {
    let path = format!("{id}?$expand=properties($expand=artifacts)");
    match client.get(&path, DTL_API_VERSION).await {
        Ok(vm) => Ok(Some(vm)),
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The compute VM's power state (`running`, `stopped`, `deallocated`), `None` while there is
/// no compute VM yet.
pub async fn power_state(client: &ArmClient, compute_id: &str) -> Result<Option<String>, ArmError> {
    let path = format!("{compute_id}/instanceView");
    match client.get::<InstanceView>(&path, COMPUTE_API_VERSION).await {
        Ok(view) => Ok(view.power_state().map(str::to_string)),
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The id of the compute VM's OS managed disk.
pub async fn os_disk(client: &ArmClient, compute_id: &str) -> Result<String, ArmError> {
    let vm: ComputeVirtualMachine = client.get(compute_id, COMPUTE_API_VERSION).await?;
    vm.properties
        .storage_profile
        .os_disk
        .and_then(|d| d.managed_disk)
        .and_then(|m| m.id)
        .ok_or_else(|| ArmError::Decode {
            resource: compute_id.into(),
            reason: "the VM has no managed OS disk; only managed disks can be captured".into(),
        })
}

/// Starts granting read access to `disk` for `seconds`.
pub async fn grant_access(client: &ArmClient, disk: &str, seconds: u64) -> Result<Begun, ArmError> {
    let body = GrantAccessData {
        access: "Read".into(),
        duration_in_seconds: seconds,
        file_format: Some("VHD".into()),
    };
    client
        .begin(
            Write::Post,
            &format!("{disk}/beginGetAccess"),
            DISK_API_VERSION,
            Some(&body),
        )
        .await
}

/// The read SAS in a finished `beginGetAccess`'s result.
pub fn access_sas(disk: &str, body: &[u8]) -> Result<SasUrl, ArmError> {
    let access: AccessUri = serde_json::from_slice(body).map_err(|e| ArmError::Decode {
        resource: disk.into(),
        reason: format!("the disk access result has no accessSAS ({e})"),
    })?;
    url::Url::parse(&access.access_sas)
        .map(SasUrl::new)
        .map_err(|_| ArmError::Decode {
            resource: disk.into(),
            reason: "the disk's accessSAS is not a URL".into(),
        })
}

/// Starts revoking read access to `disk`.
pub async fn revoke_access(client: &ArmClient, disk: &str) -> Result<Begun, ArmError> {
    client
        .begin::<()>(
            Write::Post,
            &format!("{disk}/endGetAccess"),
            DISK_API_VERSION,
            None,
        )
        .await
}

/// A lab's default storage account as ARM describes it (reads only).
pub struct LabAccount {
    pub id: String,
    pub name: String,
    /// Its `primaryEndpoints.blob`.
    pub endpoint: String,
    /// Whether calls to it go with Entra ID under `auth`: asked for, or the account forbids
    /// shared keys (`allowSharedKeyAccess: false`).
    pub entra: bool,
}

/// Reads `lab`'s default storage account: which it is, where, and how `auth` reaches it.
pub async fn lab_account(
    client: &ArmClient,
    lab: &LabRef,
    auth: StorageAuth,
) -> Result<LabAccount, ArmError> {
    let found: Lab = client.get(&lab.id(), DTL_API_VERSION).await?;
    let id = found
        .properties
        .default_storage_account
        .ok_or_else(|| ArmError::Decode {
            resource: lab.id(),
            reason: "the lab has no default storage account".into(),
        })?;
    let account: StorageAccount = client.get(&id, STORAGE_API_VERSION).await?;
    let endpoint = account
        .properties
        .primary_endpoints
        .blob
        .ok_or_else(|| ArmError::Decode {
            resource: id.clone(),
            reason: "the storage account has no blob endpoint".into(),
        })?;
    let name = id.rsplit('/').next().unwrap_or_default().to_string();
    let keys_allowed = account.properties.allow_shared_key_access != Some(false);
    if auth == StorageAuth::Keys && !keys_allowed {
        return Err(ArmError::Usage(format!(
            "storage account {name} (of lab {}) forbids shared keys (allowSharedKeyAccess is false), and [build] storage_auth = \"keys\": set it to \"auto\" or \"entra\", and give the identity Storage Blob Data Contributor on the account",
            lab.name
        )));
    }
    Ok(LabAccount {
        entra: auth == StorageAuth::Entra || !keys_allowed,
        id,
        name,
        endpoint,
    })
}

/// The lab's default storage account, reached through its own blob endpoint: with Entra ID
/// (see `lab_account`), else with a SAS signed with its first full key from `listKeys`.
pub async fn lab_storage(
    client: &ArmClient,
    lab: &LabRef,
    auth: StorageAuth,
) -> Result<BlobAccount, ArmError> {
    let LabAccount {
        id: account_id,
        name,
        endpoint,
        entra,
    } = lab_account(client, lab, auth).await?;
    if entra {
        return BlobAccount::entra(&endpoint, &name, client.clone());
    }
    let keys = client
        .post::<()>(&format!("{account_id}/listKeys"), STORAGE_API_VERSION, None)
        .await?;
    let keys: StorageAccountKeys = serde_json::from_slice(&keys).map_err(|e| ArmError::Decode {
        resource: account_id.clone(),
        reason: format!("listKeys did not answer with keys ({e})"),
    })?;
    let key = keys
        .keys
        .iter()
        .find(|k| k.permissions.eq_ignore_ascii_case("full"))
        .or(keys.keys.first())
        .ok_or_else(|| ArmError::Decode {
            resource: account_id.clone(),
            reason: "the storage account has no keys".into(),
        })?;
    BlobAccount::new(&endpoint, &name, &key.value)
}

/// The catalogue metadata of a captured image (storage metadata values are ASCII: anything
/// else is percent-encoded).
pub fn catalogue_metadata(job: &ImageJob, run: &str, at: &str) -> BTreeMap<String, String> {
    let ascii = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::CONTROLS)
            .to_string()
            .chars()
            .map(|c| {
                if c.is_ascii() {
                    c.to_string()
                } else {
                    "%3F".into()
                }
            })
            .collect::<String>()
    };
    BTreeMap::from([
        ("imagepath".into(), ascii(job.path.as_str())),
        ("imagename".into(), job.image_name.clone()),
        ("ostype".into(), os_name(job.os).into()),
        ("description".into(), ascii(&job.description)),
        ("runid".into(), run.into()),
        ("definitionhash".into(), job.definition_hash.clone()),
        ("createdat".into(), at.into()),
    ])
}

/// The custom image `name` in `lab`, if it is there.
pub async fn find_image(
    client: &ArmClient,
    lab: &LabRef,
    name: &str,
) -> Result<Option<CustomImage>, ArmError> {
    let path = format!("{}/customimages/{name}", lab.id());
    match client.get(&path, DTL_API_VERSION).await {
        Ok(image) => Ok(Some(image)),
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Starts creating `job`'s custom image in `lab` from the VHD at `vhd` (its URL, no SAS).
pub async fn create_image(
    client: &ArmClient,
    lab: &LabRef,
    job: &ImageJob,
    run: &str,
    author: &str,
    vhd: &str,
) -> Result<Begun, ArmError> {
    let mut tags = run_tags(job, run);
    tags.insert(tags::DEFINITION.into(), job.definition_hash.clone());
    if let Some(facts) = &job.base_facts {
        let b = &job.base;
        tags.insert(
            tags::BASE.into(),
            format!("{}/{}/{}/{}", b.publisher, b.offer, b.sku, facts.version),
        );
        tags.insert(tags::GENERATION.into(), facts.generation.as_str().into());
    }
    let body = CustomImage {
        tags: Some(tags),
        properties: CustomImageProperties {
            vhd: Some(CustomImagePropertiesCustom {
                image_name: Some(vhd.into()),
                sys_prep: Some(job.os == OsType::Windows),
                os_type: os_name(job.os).into(),
            }),
            description: (!job.description.is_empty()).then(|| job.description.clone()),
            author: Some(author.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let path = format!("{}/customimages/{}", lab.id(), job.image_name);
    client
        .begin(Write::Put, &path, DTL_API_VERSION, Some(&body))
        .await
}

/// Starts stopping a lab VM: DevTest Labs deallocates it (a VM that shut itself down, as a
/// generalize does, stays allocated on Azure until someone deallocates it).
pub async fn stop_vm(client: &ArmClient, id: &str) -> Result<Begun, ArmError> {
    client
        .begin::<()>(Write::Post, &format!("{id}/stop"), DTL_API_VERSION, None)
        .await
}

/// Starts deleting a lab VM.
pub async fn delete_vm(client: &ArmClient, id: &str) -> Result<Begun, ArmError> {
    client
        .begin::<()>(Write::Delete, id, DTL_API_VERSION, None)
        .await
}

fn os_name(os: OsType) -> &'static str {
    match os {
        OsType::Windows => "Windows",
        OsType::Linux => "Linux",
    }
}
