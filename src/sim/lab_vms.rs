//! Lab VMs as DevTest Labs makes them: PUT creates one through a long-running operation that
//! lasts until its artifacts are applied (see `world::lifecycle` for the timeline); DELETE
//! removes it, its compute VM and its disk, also through an operation.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::http::StatusCode;
use time::OffsetDateTime;

use super::custom_images::{OwnedLabAt, gone};
use super::operations::{self, Effect, Provider};
use super::reply::{Answer, ArmFault, empty, json};
use super::routes::{LabAt, lab_mut};
use super::state::SimState;
use super::world::{VmBuild, World, artifact_failure, create_failure, new_vm};
use crate::arm::wire::LabVirtualMachine;

/// Simulated Azure durations, in seconds.
const VM_CREATE_SECS: f64 = 240.0;
const ARTIFACT_SECS: f64 = 60.0;
const GENERALIZE_SECS: f64 = 120.0;
const DEALLOCATE_SECS: f64 = 60.0;
const VM_DELETE_SECS: f64 = 60.0;
const STOP_SECS: f64 = 30.0;

pub(super) fn put(
    state: &Arc<SimState>,
    at: &LabAt,
    name: &str,
    location: &str,
    body: &Bytes,
) -> Answer {
    let request: LabVirtualMachine = super::reply::parse_body(body)?;
    let p = &request.properties;
    let os = p
        .gallery_image_reference
        .as_ref()
        .and_then(|g| g.os_type.clone())
        .or_else(|| p.os_type.clone())
        .unwrap_or_else(|| "Windows".into());
    check_request(name, &os, &request)?;
    let now = Instant::now();
    let mut world = state.world.lock().expect("world lock");
    let lab = lab_mut(&mut world, at)?;
    if let Some(existing) = lab.vms.iter().find(|v| v.name.eq_ignore_ascii_case(name)) {
        // A repeated PUT of a VM that exists changes nothing here: the answer is the VM.
        return Ok(json(StatusCode::OK, &lab.vm_now(existing, now)));
    }
    let gallery = p.gallery_image_reference.clone().unwrap_or_default();
    let offered = lab.gallery.iter().any(|g| {
        let Some(r) = &g.properties.image_reference else {
            return false;
        };
        same(&r.publisher, &gallery.publisher)
            && same(&r.offer, &gallery.offer)
            && same(&r.sku, &gallery.sku)
    });
    if !offered {
        return Err(ArmFault::bad_request(
            "InvalidGalleryImageReference",
            format!(
                "The gallery image {}/{}/{} is not allowed in lab '{}'.",
                gallery.publisher.unwrap_or_default(),
                gallery.offer.unwrap_or_default(),
                gallery.sku.unwrap_or_default(),
                lab.lab.name
            ),
        ));
    }
    check_network(lab, &request)?;
    let mut artifacts = p.artifacts.clone().unwrap_or_default();
    let mut durations = Vec::new();
    let mut failing = None;
    for (i, artifact) in artifacts.iter_mut().enumerate() {
        let id = artifact.artifact_id.clone().unwrap_or_default();
        let artifact_name = id.rsplit('/').next().unwrap_or_default().to_string();
        let known = lab.artifact_sources.iter().any(|(s, list)| {
            list.iter().any(|a| {
                a.id.eq_ignore_ascii_case(&id)
                    || (id.to_ascii_lowercase().contains(&format!(
                        "/artifactsources/{}/",
                        s.name.to_ascii_lowercase()
                    )) && a.name.eq_ignore_ascii_case(&artifact_name))
            })
        });
        if !known {
            return Err(ArmFault::bad_request(
                "InvalidArtifactId",
                format!(
                    "The artifact '{id}' was not found in the artifact sources of lab '{}'.",
                    lab.lab.name
                ),
            ));
        }
        artifact.status = Some("Pending".into());
        let generalizes = ["windows-sysprep", "linux-deprovision"]
            .iter()
            .any(|g| artifact_name.eq_ignore_ascii_case(g));
        durations.push(state.scaled(if generalizes {
            GENERALIZE_SECS
        } else {
            ARTIFACT_SECS
        }));
        if failing.is_none()
            && let Some(bad) = &state.options.faults.artifact
            && bad.eq_ignore_ascii_case(&artifact_name)
        {
            let arguments: Vec<String> = artifact
                .parameters
                .iter()
                .flatten()
                .map(|p| {
                    format!(
                        "-{} '{}'",
                        p.name.as_deref().unwrap_or_default(),
                        p.value.as_deref().unwrap_or_default()
                    )
                })
                .collect();
            failing = Some((i, artifact_failure(&artifact_name, &arguments.join(" "))));
        }
    }
    if let Some(limit) = lab.vm_limit
        && lab.vms.len() >= limit
    {
        return Err(ArmFault::new(
            StatusCode::CONFLICT,
            "LabVmCountPolicyViolation",
            format!(
                "Lab '{}' allows {limit} virtual machines (its LabVmCount policy) and has {}.",
                lab.lab.name,
                lab.vms.len()
            ),
        ));
    }
    let mut vm = new_vm(lab, name, &os, None, OffsetDateTime::now_utc());
    vm.tags = request.tags.clone();
    vm.properties.size = p.size.clone();
    vm.properties.user_name = p.user_name.clone();
    vm.properties.notes = p.notes.clone();
    vm.properties.gallery_image_reference = p.gallery_image_reference.clone();
    vm.properties.artifacts = Some(artifacts);
    vm.properties.is_authentication_with_ssh_key = p.is_authentication_with_ssh_key;
    vm.properties.created_by_user = Some(super::auth::PRINCIPAL_UPN.into());
    // The password is used to make the VM and kept nowhere: DevTest Labs never returns it.
    let build = VmBuild {
        vm: name.to_ascii_lowercase(),
        started: now,
        create: state.scaled(VM_CREATE_SECS),
        artifacts: durations,
        deallocate: state.scaled(DEALLOCATE_SECS),
        failing,
        stopped_at: None,
        reports: state.options.faults.artifact_vm,
        operation: state.options.faults.vm_operation,
        create_error: state.options.faults.vm_create.as_deref().and_then(|kind| {
            create_failure(kind, name, p.size.as_deref().unwrap_or_default(), location)
        }),
    };
    let creation = build.operation_time();
    lab.builds.push(build);
    let shown = lab.vm_now(&vm, now);
    lab.vms.push(vm);
    let (owned, vm_name) = (OwnedLabAt::of(at), name.to_string());
    let effect: Effect = Box::new(move |world: &mut World| {
        let lab = owned.find(world)?;
        let build = lab.build_of(&vm_name).ok_or_else(gone)?;
        build.operation_error(Instant::now()).map_or(Ok(None), Err)
    });
    let azure_secs = creation.as_secs_f64() * state.options.speed.max(0.001);
    Ok(operations::start(
        state,
        Provider::DevTestLab,
        at.subscription,
        location,
        azure_secs,
        effect,
        json(StatusCode::CREATED, &shown),
    ))
}

/// What DevTest Labs refuses before it creates anything.
fn check_request(name: &str, os: &str, request: &LabVirtualMachine) -> Result<(), ArmFault> {
    let p = &request.properties;
    if os.eq_ignore_ascii_case("windows") && name.len() > 15 {
        return Err(ArmFault::bad_request(
            "InvalidParameter",
            format!(
                "The name '{name}' is too long: Windows virtual machine names are 1-15 characters."
            ),
        ));
    }
    if p.size.as_deref().is_none_or(str::is_empty) {
        return Err(ArmFault::bad_request(
            "InvalidParameter",
            "The virtual machine size (properties.size) is required.",
        ));
    }
    if p.gallery_image_reference.is_none() && p.custom_image_id.is_none() {
        return Err(ArmFault::bad_request(
            "InvalidParameter",
            "A virtual machine needs an image: properties.galleryImageReference or properties.customImageId.",
        ));
    }
    if p.user_name.as_deref().is_none_or(str::is_empty) {
        return Err(ArmFault::bad_request(
            "InvalidParameter",
            "The administrator user name (properties.userName) is required.",
        ));
    }
    let has_password = p.password.as_deref().is_some_and(|s| !s.is_empty());
    let has_key = p.ssh_key.as_deref().is_some_and(|s| !s.is_empty());
    if !has_password && !has_key {
        return Err(ArmFault::bad_request(
            "InvalidParameter",
            "A password (properties.password) or an SSH key (properties.sshKey) is required for the administrator.",
        ));
    }
    Ok(())
}

/// The lab network a VM is created in, as DevTest Labs checks it: the spec's example
/// (`VirtualMachines_CreateOrUpdate.json`), the original factory's golden-image templates and
/// `az lab vm create` all send `labVirtualNetworkId` and `labSubnetName`; the subnet must allow
/// VM creation (`useInVmCreationPermission`), and a public IP only where the subnet allows one
/// (`usePublicIpAddressPermission`).
fn check_network(lab: &super::world::SimLab, request: &LabVirtualMachine) -> Result<(), ArmFault> {
    let p = &request.properties;
    let (Some(network_id), Some(subnet)) = (&p.lab_virtual_network_id, &p.lab_subnet_name) else {
        return Err(ArmFault::bad_request(
            "InvalidParameter",
            "The lab virtual network (properties.labVirtualNetworkId) and subnet (properties.labSubnetName) are required.",
        ));
    };
    let network = lab
        .networks
        .iter()
        .find(|n| n.id.eq_ignore_ascii_case(network_id))
        .ok_or_else(|| {
            ArmFault::bad_request(
                "InvalidVirtualNetwork",
                format!(
                    "The virtual network '{network_id}' is not a virtual network of lab '{}'.",
                    lab.lab.name
                ),
            )
        })?;
    let allowed = |permission: &Option<String>| {
        permission
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case("allow"))
    };
    let found = network.properties.subnet_overrides.iter().find(|s| {
        s.lab_subnet_name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(subnet))
    });
    let Some(found) = found.filter(|s| allowed(&s.use_in_vm_creation_permission)) else {
        return Err(ArmFault::bad_request(
            "InvalidSubnet",
            format!(
                "The subnet '{subnet}' of virtual network '{}' cannot be used to create virtual machines in lab '{}'.",
                network.name, lab.lab.name
            ),
        ));
    };
    if p.disallow_public_ip_address == Some(false)
        && !allowed(&found.use_public_ip_address_permission)
    {
        return Err(ArmFault::bad_request(
            "PublicIpAddressNotAllowed",
            format!("The subnet '{subnet}' does not allow public IP addresses."),
        ));
    }
    Ok(())
}

fn same(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

/// `POST .../virtualmachines/{name}/stop`: DevTest Labs deallocates the VM, through a
/// long-running operation.
pub(super) fn stop(state: &Arc<SimState>, at: &LabAt, name: &str, location: &str) -> Answer {
    let mut world = state.world.lock().expect("world lock");
    let lab = lab_mut(&mut world, at)?;
    if !lab.vms.iter().any(|v| v.name.eq_ignore_ascii_case(name)) {
        return Err(ArmFault::not_found("virtualmachines", name));
    }
    let delay = state.scaled(STOP_SECS);
    if let Some(build) = lab
        .builds
        .iter_mut()
        .find(|b| b.vm.eq_ignore_ascii_case(name))
    {
        let deallocating = build.power_state(Instant::now()) == Some("stopped");
        if state.options.faults.stop_conflict && deallocating {
            // The wording is ours: what matters is ARM's status and envelope.
            return Err(ArmFault::new(
                StatusCode::CONFLICT,
                "Conflict",
                format!(
                    "The virtual machine '{name}' is being deallocated; the operation 'stop' cannot be performed now."
                ),
            ));
        }
        let at = Instant::now() + delay;
        build.stopped_at = Some(build.stopped_at.map_or(at, |t| t.min(at)));
    }
    Ok(operations::start(
        state,
        Provider::DevTestLab,
        at.subscription,
        location,
        STOP_SECS,
        Box::new(|_| Ok(None)),
        empty(StatusCode::ACCEPTED),
    ))
}

pub(super) fn delete(state: &Arc<SimState>, at: &LabAt, name: &str, location: &str) -> Answer {
    let mut world = state.world.lock().expect("world lock");
    let lab = lab_mut(&mut world, at)?;
    let Some(vm) = lab
        .vms
        .iter_mut()
        .find(|v| v.name.eq_ignore_ascii_case(name))
    else {
        return Ok(empty(StatusCode::NO_CONTENT));
    };
    let disk = vm
        .properties
        .compute_id
        .as_deref()
        .map(super::compute::os_disk_id);
    if let Some(disk) = &disk
        && world.disk_grants.contains_key(&disk.to_ascii_lowercase())
    {
        // As Azure: a disk exported through a SAS cannot be deleted until access is ended.
        return Err(ArmFault::new(
            StatusCode::CONFLICT,
            "OperationNotAllowed",
            format!(
                "Disk '{}' has an active SAS URI: end its access (endGetAccess) before deleting the virtual machine '{name}'.",
                disk.rsplit('/').next().unwrap_or_default()
            ),
        ));
    }
    let lab = lab_mut(&mut world, at)?;
    if let Some(vm) = lab
        .vms
        .iter_mut()
        .find(|v| v.name.eq_ignore_ascii_case(name))
    {
        vm.properties.provisioning_state = Some("Deleting".into());
    }
    let (owned, vm_name) = (OwnedLabAt::of(at), name.to_string());
    let effect: Effect = Box::new(move |world: &mut World| {
        if let Some(disk) = &disk {
            world.disk_grants.remove(&disk.to_ascii_lowercase());
        }
        let lab = owned.find(world)?;
        lab.vms.retain(|v| !v.name.eq_ignore_ascii_case(&vm_name));
        lab.builds.retain(|b| !b.vm.eq_ignore_ascii_case(&vm_name));
        Ok(None)
    });
    Ok(operations::start(
        state,
        Provider::DevTestLab,
        at.subscription,
        location,
        VM_DELETE_SECS,
        effect,
        empty(StatusCode::ACCEPTED),
    ))
}
