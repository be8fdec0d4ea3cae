//! The compute side of a lab VM, as Azure shows it: the compute VM behind `computeId` (its OS
//! disk and its instance view's power state) and the managed disk's read access
//! (`beginGetAccess` / `endGetAccess`, long-running; the result is read at the `Location`).

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::http::{Method, StatusCode};

use super::operations::{self, Effect, Provider};
use super::reply::{Answer, ArmFault, json};
use super::state::SimState;
use super::world::{SimLab, World, uuid_from};
use crate::arm::wire::{
    COMPUTE_API_VERSION, CloudErrorBody, ComputeVirtualMachine, ComputeVirtualMachineProperties,
    DISK_API_VERSION, GrantAccessData, InstanceView, InstanceViewStatus, LabVirtualMachine,
    ManagedDiskParameters, OsDisk, StorageProfile,
};

const GRANT_SECS: f64 = 10.0;
const REVOKE_SECS: f64 = 5.0;
/// A lab VM's OS disk: 127 GiB, as marketplace images come.
pub const OS_DISK_BYTES: u64 = 127 * 1024 * 1024 * 1024;
/// The account name disk exports are served from (Azure's are `md-...` hosts).
pub const DISK_EXPORT_ACCOUNT: &str = "md-impexp";

/// The id of the OS disk of the compute VM `compute_id`.
pub fn os_disk_id(compute_id: &str) -> String {
    let (prefix, name) = compute_id
        .rsplit_once("/virtualMachines/")
        .unwrap_or((compute_id, ""));
    let prefix = prefix.trim_end_matches("/providers/Microsoft.Compute");
    format!(
        "{prefix}/providers/Microsoft.Compute/disks/{name}_OsDisk_1_{}",
        uuid_from(compute_id).replace('-', "")
    )
}

/// `.../providers/Microsoft.Compute/...` under a subscription (`lower` and `seg` from there on).
#[allow(clippy::too_many_arguments)]
pub(super) fn dispatch(
    state: &Arc<SimState>,
    method: &Method,
    query: Option<&str>,
    api_version: &str,
    subscription: &str,
    seg: &[&str],
    lower: &[&str],
    body: &Bytes,
) -> Answer {
    match lower {
        // The same URL serves both monitors: `monitor=true` asks for the result.
        ["locations", _, "operations", _] if method == Method::GET => {
            if query_has_monitor(query) {
                operations::result(state, seg[3])
            } else {
                operations::poll(state, seg[3])
            }
        }
        [
            "locations",
            _,
            "publishers",
            _,
            "artifacttypes",
            "vmimage",
            "offers",
            _,
            "skus",
            _,
            "versions",
            version @ ..,
        ] if method == Method::GET && version.len() <= 1 => {
            check_version(api_version, COMPUTE_API_VERSION)?;
            super::vm_images::get(
                state,
                subscription,
                seg[1],
                (seg[3], seg[7], seg[9]),
                seg.get(11).copied(),
            )
        }
        ["virtualmachines", _, rest @ ..] if method == Method::GET => {
            check_version(api_version, COMPUTE_API_VERSION)?;
            let world = state.world.lock().expect("world lock");
            let (lab, vm) = find_vm(&world, subscription, seg)
                .ok_or_else(|| ArmFault::not_found("Microsoft.Compute/virtualMachines", seg[1]))?;
            let now = Instant::now();
            let build = lab.build_of(&vm.name);
            // Until DevTest Labs has made it, the compute VM does not exist.
            let power = match build {
                Some(b) => b.power_state(now),
                None => Some("running"),
            }
            .ok_or_else(|| ArmFault::not_found("Microsoft.Compute/virtualMachines", seg[1]))?;
            match rest {
                [] => Ok(json(StatusCode::OK, &compute_view(vm))),
                ["instanceview"] => Ok(json(StatusCode::OK, &instance_view(power))),
                _ => Err(not_supported(method, seg)),
            }
        }
        ["disks", _, action] if method == Method::POST => {
            check_version(api_version, DISK_API_VERSION)?;
            disk_access(state, subscription, seg, action, body)
        }
        _ => Err(not_supported(method, seg)),
    }
}

fn disk_access(
    state: &Arc<SimState>,
    subscription: &str,
    seg: &[&str],
    action: &str,
    body: &Bytes,
) -> Answer {
    let world = state.world.lock().expect("world lock");
    let Some((lab, vm)) = find_vm_by_disk(&world, subscription, seg[1]) else {
        return Err(ArmFault::not_found("Microsoft.Compute/disks", seg[1]));
    };
    let location = lab.location();
    let disk_id = os_disk_id(vm.properties.compute_id.as_deref().unwrap_or_default());
    let power = lab
        .build_of(&vm.name)
        .map_or(Some("running"), |b| b.power_state(Instant::now()));
    drop(world);
    match action {
        "begingetaccess" => {
            let grant: GrantAccessData = serde_json::from_slice(body).map_err(|e| {
                ArmFault::bad_request(
                    "InvalidRequestContent",
                    format!(
                        "The request content was invalid and could not be deserialized: '{e}'."
                    ),
                )
            })?;
            if !grant.access.eq_ignore_ascii_case("read") {
                return Err(ArmFault::bad_request(
                    "InvalidParameter",
                    "The factory's capture asks for Read access only.",
                ));
            }
            if power != Some("deallocated") {
                return Err(ArmFault::new(
                    StatusCode::CONFLICT,
                    "OperationNotAllowed",
                    format!(
                        "Disk '{}' is attached to a virtual machine that is not deallocated: access can only be granted while the VM is deallocated.",
                        seg[1]
                    ),
                ));
            }
            let fails = state.options.faults.capture_fails;
            let base = state.base.clone();
            let disk_name = seg[1].to_string();
            let effect: Effect = Box::new(move |world: &mut World| {
                if fails {
                    return Err(CloudErrorBody {
                        code: "InternalDiskManagementError".into(),
                        message: format!(
                            "An internal disk management error occurred while granting access to disk '{disk_name}'. Retry the operation."
                        ),
                        ..CloudErrorBody::default()
                    });
                }
                let signature = uuid::Uuid::new_v4().simple().to_string();
                world
                    .disk_grants
                    .insert(disk_id.to_ascii_lowercase(), signature.clone());
                let sas = format!(
                    "{base}/blob/{DISK_EXPORT_ACCOUNT}/{}/abcd?sv=2018-03-28&sr=b&si={}&sig={signature}",
                    disk_container(&disk_id),
                    uuid::Uuid::new_v4()
                );
                Ok(Some(serde_json::json!({ "accessSAS": sas })))
            });
            Ok(operations::start(
                state,
                Provider::Compute,
                subscription,
                &location,
                GRANT_SECS,
                effect,
                super::reply::empty(StatusCode::ACCEPTED),
            ))
        }
        "endgetaccess" => {
            let effect: Effect = Box::new(move |world: &mut World| {
                world.disk_grants.remove(&disk_id.to_ascii_lowercase());
                Ok(None)
            });
            Ok(operations::start(
                state,
                Provider::Compute,
                subscription,
                &location,
                REVOKE_SECS,
                effect,
                super::reply::empty(StatusCode::ACCEPTED),
            ))
        }
        _ => Err(not_supported(&Method::POST, seg)),
    }
}

/// The export container a disk's SAS names (stable per disk).
pub fn disk_container(disk_id: &str) -> String {
    uuid_from(disk_id).replace('-', "")[..12].to_string()
}

fn find_vm<'w>(
    world: &'w World,
    subscription: &str,
    seg: &[&str],
) -> Option<(&'w SimLab, &'w LabVirtualMachine)> {
    let wanted = format!("/virtualmachines/{}", seg[1].to_ascii_lowercase());
    find_by_compute_id(world, subscription, |c| {
        c.to_ascii_lowercase().ends_with(&wanted)
    })
}

fn find_vm_by_disk<'w>(
    world: &'w World,
    subscription: &str,
    disk: &str,
) -> Option<(&'w SimLab, &'w LabVirtualMachine)> {
    let wanted = format!("/disks/{}", disk.to_ascii_lowercase());
    find_by_compute_id(world, subscription, |c| {
        os_disk_id(c).to_ascii_lowercase().ends_with(&wanted)
    })
}

/// The lab VM of `subscription` whose compute VM's id satisfies `matches`.
fn find_by_compute_id<'w>(
    world: &'w World,
    subscription: &str,
    matches: impl Fn(&str) -> bool,
) -> Option<(&'w SimLab, &'w LabVirtualMachine)> {
    world
        .labs()
        .filter(|(s, _)| s.id.eq_ignore_ascii_case(subscription))
        .flat_map(|(_, lab)| lab.vms.iter().map(move |vm| (lab, vm)))
        .find(|(_, vm)| vm.properties.compute_id.as_deref().is_some_and(&matches))
}

fn compute_view(vm: &LabVirtualMachine) -> ComputeVirtualMachine {
    let id = vm.properties.compute_id.clone().unwrap_or_default();
    let disk = os_disk_id(&id);
    ComputeVirtualMachine {
        name: id.rsplit('/').next().unwrap_or_default().to_string(),
        location: vm.location.clone(),
        properties: ComputeVirtualMachineProperties {
            storage_profile: StorageProfile {
                os_disk: Some(OsDisk {
                    name: disk.rsplit('/').next().map(str::to_string),
                    os_type: vm.properties.os_type.clone(),
                    managed_disk: Some(ManagedDiskParameters { id: Some(disk) }),
                    disk_size_gb: Some(OS_DISK_BYTES / (1024 * 1024 * 1024)),
                }),
            },
            provisioning_state: Some("Succeeded".into()),
        },
        id,
    }
}

fn instance_view(power: &str) -> InstanceView {
    let display = match power {
        "running" => "VM running",
        "stopped" => "VM stopped",
        "deallocated" => "VM deallocated",
        other => other,
    };
    InstanceView {
        statuses: vec![
            InstanceViewStatus {
                code: "ProvisioningState/succeeded".into(),
                level: Some("Info".into()),
                display_status: Some("Provisioning succeeded".into()),
                time: None,
            },
            InstanceViewStatus {
                code: format!("PowerState/{power}"),
                level: Some("Info".into()),
                display_status: Some(display.into()),
                time: None,
            },
        ],
    }
}

fn query_has_monitor(query: Option<&str>) -> bool {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .any(|(k, v)| k == "monitor" && v == "true")
}

fn check_version(got: &str, want: &str) -> Result<(), ArmFault> {
    if got == want {
        return Ok(());
    }
    Err(ArmFault::bad_request(
        "InvalidApiVersionParameter",
        format!("The api-version '{got}' is invalid. The supported versions are '{want}'."),
    ))
}

fn not_supported(method: &Method, seg: &[&str]) -> ArmFault {
    ArmFault::new(
        StatusCode::NOT_FOUND,
        "InvalidResourceType",
        format!(
            "The resource type could not be found in the namespace 'Microsoft.Compute' ({method} {}).",
            seg.join("/")
        ),
    )
}
