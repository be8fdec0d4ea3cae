//! Writes to custom images, as DevTest Labs does them: PUT creates through a long-running
//! operation, DELETE too (refused with 409 while a VM is being made from the image), PATCH
//! replaces the tag set.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::StatusCode;
use time::OffsetDateTime;

use super::operations::{self, Effect};
use super::reply::{Answer, ArmFault, empty, json};
use super::routes::{LabAt, lab_mut};
use super::state::SimState;
use super::world::{SimLab, World, arm_timestamp, uuid_from};
use crate::arm::wire::{CloudErrorBody, CustomImage, Tags};

/// Simulated Azure durations, in seconds.
const IMAGE_CREATE_SECS: f64 = 90.0;
const IMAGE_DELETE_SECS: f64 = 20.0;

pub(super) fn put(
    state: &Arc<SimState>,
    at: &LabAt,
    name: &str,
    location: &str,
    body: &Bytes,
) -> Answer {
    let mut request: CustomImage = super::reply::parse_body(body)?;
    let p = &request.properties;
    if p.vm.is_none()
        && p.vhd.is_none()
        && p.managed_image_id.is_none()
        && p.managed_snapshot_id.is_none()
    {
        return Err(ArmFault::bad_request(
            "InvalidParameter",
            "A custom image needs a source: properties.vm, properties.vhd, managedImageId or managedSnapshotId.",
        ));
    }
    let mut world = state.world.lock().expect("world lock");
    if let Some(vhd) = request.properties.vhd.as_ref() {
        check_vhd(&world, at, vhd.image_name.as_deref().unwrap_or_default())?;
    }
    let lab = lab_mut(&mut world, at)?;
    if let Some(source_vm) = request
        .properties
        .vm
        .as_ref()
        .and_then(|v| v.source_vm_id.as_deref())
        && !lab.vms.iter().any(|v| v.id.eq_ignore_ascii_case(source_vm))
    {
        return Err(ArmFault::bad_request(
            "InvalidSourceVirtualMachine",
            format!(
                "The virtual machine '{source_vm}' does not exist in lab '{}'.",
                lab.lab.name
            ),
        ));
    }
    let id = format!(
        "{}/customimages/{}",
        lab.child_prefix(),
        name.to_ascii_lowercase()
    );
    if let Some(existing) = lab
        .images
        .iter_mut()
        .find(|i| i.name.eq_ignore_ascii_case(name))
    {
        // An update of an existing image changes what may change; the source stays.
        existing.tags = request.tags.take().or(existing.tags.take());
        if request.properties.description.is_some() {
            existing.properties.description = request.properties.description.take();
        }
        return Ok(json(StatusCode::OK, existing));
    }
    request.id = id.clone();
    request.name = name.to_string();
    request.kind = Some("Microsoft.DevTestLab/labs/customImages".into());
    request.location = Some(location.to_string());
    request.properties.creation_date = Some(arm_timestamp(OffsetDateTime::now_utc()));
    request.properties.provisioning_state = Some("Creating".into());
    request.properties.unique_identifier = Some(uuid_from(&id));
    lab.images.push(request.clone());
    let response = json(StatusCode::CREATED, &request);
    let (owned, image) = (OwnedLabAt::of(at), name.to_string());
    let effect: Effect = Box::new(move |world: &mut World| {
        let lab = owned.find(world)?;
        let image = lab
            .images
            .iter_mut()
            .find(|i| i.name.eq_ignore_ascii_case(&image))
            .ok_or_else(gone)?;
        image.properties.provisioning_state = Some("Succeeded".into());
        Ok(None)
    });
    Ok(operations::start(
        state,
        operations::Provider::DevTestLab,
        at.subscription,
        location,
        IMAGE_CREATE_SECS,
        effect,
        response,
    ))
}

/// A custom image from a VHD needs the VHD, whole, in the lab's own storage account, as
/// DevTest Labs requires.
fn check_vhd(world: &World, at: &LabAt, uri: &str) -> Result<(), ArmFault> {
    let bad = |why: String| ArmFault::bad_request("InvalidVhdUri", why);
    let url = url::Url::parse(uri).map_err(|_| bad(format!("The VHD '{uri}' is not a URI.")))?;
    let parts: Vec<String> = url
        .path()
        .trim_start_matches('/')
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let [_, account, container, blob @ ..] = parts.as_slice() else {
        return Err(bad(format!("The VHD '{uri}' names no blob.")));
    };
    let lab = world
        .subscription(at.subscription)
        .and_then(|s| s.lab(at.resource_group, at.lab))
        .ok_or_else(|| ArmFault::not_found("Microsoft.DevTestLab/labs", at.lab))?;
    let lab_account = lab
        .lab
        .properties
        .default_storage_account
        .as_deref()
        .and_then(|id| id.rsplit('/').next())
        .unwrap_or_default();
    if !lab_account.eq_ignore_ascii_case(account) {
        return Err(bad(format!(
            "The VHD '{uri}' is not in the lab's storage account '{lab_account}'."
        )));
    }
    let found = world
        .storage
        .get(&account.to_ascii_lowercase())
        .and_then(|s| s.containers.get(container))
        .and_then(|c| c.get(&blob.join("/")));
    match found {
        None => Err(bad(format!("The VHD '{uri}' does not exist."))),
        Some(b) if !super::blob::is_whole(b) => Err(bad(format!(
            "The VHD '{uri}' is incomplete: its copy has not finished."
        ))),
        Some(_) => Ok(()),
    }
}

pub(super) fn patch(state: &Arc<SimState>, at: &LabAt, name: &str, body: &Bytes) -> Answer {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Fragment {
        tags: Option<Tags>,
        #[serde(default)]
        properties: Option<serde_json::Value>,
    }
    let fragment: Fragment = super::reply::parse_body(body)?;
    let mut world = state.world.lock().expect("world lock");
    let lab = lab_mut(&mut world, at)?;
    let image = lab
        .images
        .iter_mut()
        .find(|i| i.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| ArmFault::not_found("customimages", name))?;
    if let Some(tags) = fragment.tags {
        // PATCH replaces the whole tag set, as ARM's tags update does.
        image.tags = (!tags.is_empty()).then_some(tags);
    }
    if let Some(description) = fragment
        .properties
        .as_ref()
        .and_then(|p| p.get("description"))
        .and_then(|d| d.as_str())
    {
        image.properties.description = Some(description.to_string());
    }
    Ok(json(StatusCode::OK, image))
}

pub(super) fn delete(state: &Arc<SimState>, at: &LabAt, name: &str, location: &str) -> Answer {
    let mut world = state.world.lock().expect("world lock");
    let lab = lab_mut(&mut world, at)?;
    let Some(image) = lab
        .images
        .iter_mut()
        .find(|i| i.name.eq_ignore_ascii_case(name))
    else {
        return Ok(empty(StatusCode::NO_CONTENT));
    };
    let image_id = image.id.clone();
    let provisioning = lab.vms.iter().any(|v| {
        v.properties
            .custom_image_id
            .as_deref()
            .is_some_and(|i| i.eq_ignore_ascii_case(&image_id))
            && v.properties
                .provisioning_state
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("Creating"))
    });
    if provisioning {
        return Err(ArmFault::new(
            StatusCode::CONFLICT,
            "OperationNotAllowedOnVMImageAsVMsBeingProvisioned",
            format!(
                "The operation on custom image '{name}' is not allowed because virtual machines are being provisioned from it."
            ),
        ));
    }
    let image = lab
        .images
        .iter_mut()
        .find(|i| i.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| ArmFault::not_found("customimages", name))?;
    image.properties.provisioning_state = Some("Deleting".into());
    let (owned, image) = (OwnedLabAt::of(at), name.to_string());
    let effect: Effect = Box::new(move |world: &mut World| {
        let lab = owned.find(world)?;
        lab.images.retain(|i| !i.name.eq_ignore_ascii_case(&image));
        Ok(None)
    });
    Ok(operations::start(
        state,
        operations::Provider::DevTestLab,
        at.subscription,
        location,
        IMAGE_DELETE_SECS,
        effect,
        empty(StatusCode::ACCEPTED),
    ))
}

/// Where a lab is, owned, so that an operation's effect can find it again when it lands.
pub(super) struct OwnedLabAt {
    subscription: String,
    resource_group: String,
    lab: String,
}

impl OwnedLabAt {
    pub(super) fn of(at: &LabAt) -> Self {
        OwnedLabAt {
            subscription: at.subscription.into(),
            resource_group: at.resource_group.into(),
            lab: at.lab.into(),
        }
    }

    /// The lab, unless it was removed while the operation ran.
    pub(super) fn find<'w>(&self, world: &'w mut World) -> Result<&'w mut SimLab, CloudErrorBody> {
        world
            .subscription_mut(&self.subscription)
            .and_then(|s| s.lab_mut(&self.resource_group, &self.lab))
            .ok_or_else(gone)
    }
}

pub(super) fn gone() -> CloudErrorBody {
    CloudErrorBody {
        code: "ResourceNotFound".into(),
        message: "The resource was removed while the operation ran.".into(),
        ..CloudErrorBody::default()
    }
}
