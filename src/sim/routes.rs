//! The resources the emulator serves, matched on lower-cased path segments as ARM matches them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{Method, StatusCode};
use time::OffsetDateTime;

use super::operations::{self, Effect};
use super::paging::page;
use super::reply::{Answer, ArmFault, empty, json};
use super::state::SimState;
use super::world::{Access, SimLab, SimSubscription, World, arm_timestamp, uuid_from};
use crate::arm::wire::{
    CloudErrorBody, CustomImage, DTL_API_VERSION, LabVirtualMachine, Subscription, Tags,
};

/// Simulated Azure durations, in seconds.
const IMAGE_CREATE_SECS: f64 = 90.0;
const IMAGE_DELETE_SECS: f64 = 20.0;

pub(super) fn dispatch(
    state: &Arc<SimState>,
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &Bytes,
) -> Answer {
    // Names may hold spaces and other escaped characters ("Public Repo"): match on the decoded text.
    let decoded: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let segments: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    let api_version = query_param(query, "api-version");
    let Some(api_version) = api_version else {
        return Err(ArmFault::bad_request(
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    };
    match lower.as_slice() {
        ["subscriptions"] if method == Method::GET => list_subscriptions(state, path, query),
        ["subscriptions", _] if method == Method::GET => get_subscription(state, segments[1]),
        _ => {
            check_dtl_version(&api_version)?;
            dtl(state, method, path, query, body, &segments, &lower)
        }
    }
}

fn dtl(
    state: &Arc<SimState>,
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &Bytes,
    seg: &[&str],
    lower: &[&str],
) -> Answer {
    match lower {
        [
            "subscriptions",
            _,
            "providers",
            "microsoft.devtestlab",
            "labs",
        ] if method == Method::GET => {
            let world = state.world.lock().expect("world lock");
            let sub = subscription(&world, seg[1])?;
            let labs: Vec<_> = sub.labs.iter().map(|l| l.lab.clone()).collect();
            page(state, path, query, &labs)
        }
        [
            "subscriptions",
            _,
            "providers",
            "microsoft.devtestlab",
            "locations",
            _,
            "operations",
            _,
        ] if method == Method::GET => operations::poll(state, seg[7]),
        [
            "subscriptions",
            _,
            "resourcegroups",
            _,
            "providers",
            "microsoft.devtestlab",
            "labs",
        ] if method == Method::GET => {
            let world = state.world.lock().expect("world lock");
            let sub = subscription(&world, seg[1])?;
            let labs: Vec<_> = sub
                .labs
                .iter()
                .filter(|l| l.resource_group.eq_ignore_ascii_case(seg[3]))
                .map(|l| l.lab.clone())
                .collect();
            page(state, path, query, &labs)
        }
        [
            "subscriptions",
            _,
            "resourcegroups",
            _,
            "providers",
            "microsoft.devtestlab",
            "labs",
            _,
            rest @ ..,
        ] => {
            let at = LabAt {
                subscription: seg[1],
                resource_group: seg[3],
                lab: seg[7],
            };
            lab_resource(state, method, path, query, body, &at, rest, &seg[8..])
        }
        _ => Err(ArmFault::new(
            StatusCode::NOT_FOUND,
            "InvalidResourceType",
            format!(
                "The resource type could not be found in the namespace for api version '{DTL_API_VERSION}' ({method} {path})."
            ),
        )),
    }
}

/// Where a lab is: subscription, resource group, name (as the caller spelled them).
struct LabAt<'a> {
    subscription: &'a str,
    resource_group: &'a str,
    lab: &'a str,
}

#[allow(clippy::too_many_arguments)]
fn lab_resource(
    state: &Arc<SimState>,
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &Bytes,
    at: &LabAt,
    rest: &[&str],
    original: &[&str],
) -> Answer {
    let write = method != Method::GET;
    let world = state.world.lock().expect("world lock");
    let sub = subscription(&world, at.subscription)?;
    if write {
        check_can_write(sub, path)?;
    }
    let lab = sub
        .lab(at.resource_group, at.lab)
        .ok_or_else(|| ArmFault::not_found("Microsoft.DevTestLab/labs", at.lab))?;
    if lab.deny_read {
        return Err(authorization_failed(
            if write { "write" } else { "read" },
            path,
        ));
    }
    let expand_artifacts =
        query_param(query, "$expand").is_some_and(|e| e.to_ascii_lowercase().contains("artifacts"));
    match (method.clone(), rest) {
        (Method::GET, []) => Ok(json(StatusCode::OK, &lab.lab)),
        (Method::GET, ["customimages"]) => page(state, path, query, &lab.images),
        (Method::GET, ["customimages", _]) => {
            let image = find(&lab.images, original[1], |i| &i.name)
                .ok_or_else(|| ArmFault::not_found("customimages", original[1]))?;
            Ok(json(StatusCode::OK, image))
        }
        (Method::GET, ["virtualmachines"]) => {
            let vms: Vec<LabVirtualMachine> = lab
                .vms
                .iter()
                .map(|v| vm_view(v, expand_artifacts))
                .collect();
            page(state, path, query, &vms)
        }
        (Method::GET, ["virtualmachines", _]) => {
            let vm = find(&lab.vms, original[1], |v| &v.name)
                .ok_or_else(|| ArmFault::not_found("virtualmachines", original[1]))?;
            Ok(json(StatusCode::OK, &vm_view(vm, expand_artifacts)))
        }
        (Method::GET, ["formulas"]) => page(state, path, query, &lab.formulas),
        (Method::GET, ["formulas", _]) => {
            let f = find(&lab.formulas, original[1], |f| &f.name)
                .ok_or_else(|| ArmFault::not_found("formulas", original[1]))?;
            Ok(json(StatusCode::OK, f))
        }
        (Method::GET, ["galleryimages"]) => page(state, path, query, &lab.gallery),
        (Method::GET, ["artifactsources"]) => {
            let sources: Vec<_> = lab
                .artifact_sources
                .iter()
                .map(|(s, _)| s.clone())
                .collect();
            page(state, path, query, &sources)
        }
        (Method::GET, ["artifactsources", _, tail @ ..]) => {
            let (source, artifacts) = lab
                .artifact_sources
                .iter()
                .find(|(s, _)| s.name.eq_ignore_ascii_case(original[1]))
                .ok_or_else(|| ArmFault::not_found("artifactsources", original[1]))?;
            match tail {
                [] => Ok(json(StatusCode::OK, source)),
                ["artifacts"] => page(state, path, query, artifacts),
                ["artifacts", _] => {
                    let a = find(artifacts, original[3], |a| &a.name)
                        .ok_or_else(|| ArmFault::not_found("artifacts", original[3]))?;
                    Ok(json(StatusCode::OK, a))
                }
                _ => Err(unknown(method, path)),
            }
        }
        (Method::PUT, ["customimages", _]) => {
            let location = lab.location();
            drop(world);
            put_image(state, at, original[1], &location, body)
        }
        (Method::PATCH, ["customimages", _]) => {
            drop(world);
            patch_image(state, at, original[1], body)
        }
        (Method::DELETE, ["customimages", _]) => {
            let location = lab.location();
            drop(world);
            delete_image(state, at, original[1], &location)
        }
        _ => Err(unknown(method, path)),
    }
}

fn put_image(
    state: &Arc<SimState>,
    at: &LabAt,
    name: &str,
    location: &str,
    body: &Bytes,
) -> Answer {
    let mut request: CustomImage = serde_json::from_slice(body).map_err(|e| {
        ArmFault::bad_request(
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{e}'."),
        )
    })?;
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
    let (sub, rg, lab_name, image) = (
        at.subscription.to_string(),
        at.resource_group.to_string(),
        at.lab.to_string(),
        name.to_string(),
    );
    let effect: Effect = Box::new(move |world: &mut World| {
        let lab = world
            .subscription_mut(&sub)
            .and_then(|s| s.lab_mut(&rg, &lab_name))
            .ok_or_else(gone)?;
        let image = lab
            .images
            .iter_mut()
            .find(|i| i.name.eq_ignore_ascii_case(&image))
            .ok_or_else(gone)?;
        image.properties.provisioning_state = Some("Succeeded".into());
        Ok(())
    });
    Ok(operations::start(
        state,
        at.subscription,
        location,
        IMAGE_CREATE_SECS,
        effect,
        response,
    ))
}

fn patch_image(state: &Arc<SimState>, at: &LabAt, name: &str, body: &Bytes) -> Answer {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Fragment {
        tags: Option<Tags>,
        #[serde(default)]
        properties: Option<serde_json::Value>,
    }
    let fragment: Fragment = serde_json::from_slice(body).map_err(|e| {
        ArmFault::bad_request(
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{e}'."),
        )
    })?;
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

fn delete_image(state: &Arc<SimState>, at: &LabAt, name: &str, location: &str) -> Answer {
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
    let (sub, rg, lab_name, image) = (
        at.subscription.to_string(),
        at.resource_group.to_string(),
        at.lab.to_string(),
        name.to_string(),
    );
    let effect: Effect = Box::new(move |world: &mut World| {
        let lab = world
            .subscription_mut(&sub)
            .and_then(|s| s.lab_mut(&rg, &lab_name))
            .ok_or_else(gone)?;
        lab.images.retain(|i| !i.name.eq_ignore_ascii_case(&image));
        Ok(())
    });
    Ok(operations::start(
        state,
        at.subscription,
        location,
        IMAGE_DELETE_SECS,
        effect,
        empty(StatusCode::ACCEPTED),
    ))
}

fn gone() -> CloudErrorBody {
    CloudErrorBody {
        code: "ResourceNotFound".into(),
        message: "The resource was removed while the operation ran.".into(),
        ..CloudErrorBody::default()
    }
}

fn lab_mut<'w>(world: &'w mut World, at: &LabAt) -> Result<&'w mut SimLab, ArmFault> {
    world
        .subscription_mut(at.subscription)
        .ok_or_else(|| subscription_not_found(at.subscription))?
        .lab_mut(at.resource_group, at.lab)
        .ok_or_else(|| ArmFault::not_found("Microsoft.DevTestLab/labs", at.lab))
}

fn vm_view(vm: &LabVirtualMachine, expand_artifacts: bool) -> LabVirtualMachine {
    let mut vm = vm.clone();
    if !expand_artifacts {
        vm.properties.artifacts = None;
    }
    vm
}

fn find<'a, T>(items: &'a [T], name: &str, key: impl Fn(&T) -> &String) -> Option<&'a T> {
    items.iter().find(|i| key(i).eq_ignore_ascii_case(name))
}

fn list_subscriptions(state: &SimState, path: &str, query: Option<&str>) -> Answer {
    let world = state.world.lock().expect("world lock");
    let subs: Vec<Subscription> = world.subscriptions.iter().map(subscription_view).collect();
    page(state, path, query, &subs)
}

fn get_subscription(state: &SimState, id: &str) -> Answer {
    let world = state.world.lock().expect("world lock");
    Ok(json(
        StatusCode::OK,
        &subscription_view(subscription(&world, id)?),
    ))
}

fn subscription_view(s: &SimSubscription) -> Subscription {
    Subscription {
        id: format!("/subscriptions/{}", s.id),
        subscription_id: s.id.clone(),
        tenant_id: Some(s.tenant.clone()),
        display_name: s.name.clone(),
        state: s.state.clone(),
        tags: None,
    }
}

fn subscription<'w>(world: &'w World, id: &str) -> Result<&'w SimSubscription, ArmFault> {
    world
        .subscription(id)
        .ok_or_else(|| subscription_not_found(id))
}

fn subscription_not_found(id: &str) -> ArmFault {
    ArmFault::new(
        StatusCode::NOT_FOUND,
        "SubscriptionNotFound",
        format!("The subscription '{id}' could not be found."),
    )
}

fn check_can_write(sub: &SimSubscription, path: &str) -> Result<(), ArmFault> {
    if !sub.state.eq_ignore_ascii_case("Enabled") {
        return Err(ArmFault::new(
            StatusCode::CONFLICT,
            "ReadOnlyDisabledSubscription",
            format!(
                "The subscription '{}' is disabled and therefore marked as read only. You cannot perform any write actions on this subscription until it is re-enabled.",
                sub.id
            ),
        ));
    }
    if sub.access == Access::Reader {
        return Err(authorization_failed("write", path));
    }
    Ok(())
}

fn authorization_failed(action: &str, path: &str) -> ArmFault {
    let kind = path
        .split('/')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .chunks(2)
        .skip(3)
        .map(|c| c[0].to_string())
        .collect::<Vec<_>>()
        .join("/");
    ArmFault::new(
        StatusCode::FORBIDDEN,
        "AuthorizationFailed",
        format!(
            "The client 'factory@contoso.com' with object id '6a1c0f3e-0000-4000-8000-3d2b1a0c9e8f' does not have authorization to perform action 'Microsoft.DevTestLab/{kind}/{action}' over scope '{path}' or the scope is invalid. If access was recently granted, please refresh your credentials."
        ),
    )
}

fn unknown(method: &Method, path: &str) -> ArmFault {
    ArmFault::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!("The requested method {method} is not supported on {path}."),
    )
}

fn check_dtl_version(api_version: &str) -> Result<(), ArmFault> {
    if api_version == DTL_API_VERSION {
        return Ok(());
    }
    Err(ArmFault::bad_request(
        "InvalidApiVersionParameter",
        format!(
            "The api-version '{api_version}' is invalid. The supported versions are '{DTL_API_VERSION}'."
        ),
    ))
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
