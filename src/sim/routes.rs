//! The resources the emulator serves, matched on lower-cased path segments as ARM matches them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{Method, StatusCode};

use super::auth::{PRINCIPAL_OID, PRINCIPAL_UPN};
use super::operations;
use super::paging::page;
use super::reply::{Answer, ArmFault, json};
use super::state::SimState;
use super::world::{Access, SimLab, SimSubscription, World};
use crate::arm::wire::{
    AUTHORIZATION_API_VERSION, DTL_API_VERSION, LabVirtualMachine, Permission, Subscription,
};

/// Where `providers/Microsoft.Compute` or `providers/Microsoft.Storage` starts in a path.
fn provider_at<'a>(lower: &[&'a str]) -> Option<(usize, &'a str)> {
    let i = lower.iter().position(|s| *s == "providers")?;
    let namespace = *lower.get(i + 1)?;
    ["microsoft.compute", "microsoft.storage"]
        .contains(&namespace)
        .then_some((i, namespace))
}

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
        [
            "subscriptions",
            _,
            ..,
            "providers",
            "microsoft.authorization",
            "permissions",
        ] if method == Method::GET => permissions(state, segments[1], &api_version),
        ["subscriptions", _, ..] if provider_at(&lower).is_some() => {
            let (i, namespace) = provider_at(&lower).unwrap_or_default();
            if method != Method::GET {
                let world = state.world.lock().expect("world lock");
                check_can_write(subscription(&world, segments[1])?, path)?;
            }
            let (seg, low) = (&segments[i + 2..], &lower[i + 2..]);
            match namespace {
                "microsoft.compute" => super::compute::dispatch(
                    state,
                    method,
                    query,
                    &api_version,
                    segments[1],
                    seg,
                    low,
                    body,
                ),
                _ => super::storage::dispatch(state, method, &api_version, seg, low),
            }
        }
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
            "providers",
            "microsoft.devtestlab",
            "locations",
            _,
            "operationresults",
            _,
        ] if method == Method::GET => operations::result(state, seg[7]),
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
pub(super) struct LabAt<'a> {
    pub subscription: &'a str,
    pub resource_group: &'a str,
    pub lab: &'a str,
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
            let now = std::time::Instant::now();
            let vms: Vec<LabVirtualMachine> = lab
                .vms
                .iter()
                .map(|v| vm_view(&lab.vm_now(v, now), expand_artifacts))
                .collect();
            page(state, path, query, &vms)
        }
        (Method::GET, ["virtualmachines", _]) => {
            let vm = find(&lab.vms, original[1], |v| &v.name)
                .ok_or_else(|| ArmFault::not_found("virtualmachines", original[1]))?;
            let vm = lab.vm_now(vm, std::time::Instant::now());
            Ok(json(StatusCode::OK, &vm_view(&vm, expand_artifacts)))
        }
        (Method::GET, ["formulas"]) => page(state, path, query, &lab.formulas),
        (Method::GET, ["formulas", _]) => {
            let f = find(&lab.formulas, original[1], |f| &f.name)
                .ok_or_else(|| ArmFault::not_found("formulas", original[1]))?;
            Ok(json(StatusCode::OK, f))
        }
        (Method::GET, ["galleryimages"]) => page(state, path, query, &lab.gallery),
        (Method::GET, ["virtualnetworks"]) => page(state, path, query, &lab.networks),
        (Method::GET, ["virtualnetworks", _]) => {
            let n = find(&lab.networks, original[1], |n| &n.name)
                .ok_or_else(|| ArmFault::not_found("virtualnetworks", original[1]))?;
            Ok(json(StatusCode::OK, n))
        }
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
        (Method::GET, ["policysets", _, "policies"]) => {
            let policies: Vec<serde_json::Value> = lab
                .vm_limit
                .map(|limit| {
                    serde_json::json!({
                        "id": format!("{}/policysets/default/policies/labvmcount", lab.child_prefix()),
                        "name": "LabVmCount",
                        "type": "Microsoft.DevTestLab/labs/policySets/policies",
                        "properties": {
                            "factName": "LabVmCount",
                            "threshold": limit.to_string(),
                            "evaluatorType": "MaxValuePolicy",
                            "status": "Enabled"
                        }
                    })
                })
                .into_iter()
                .collect();
            page(state, path, query, &policies)
        }
        (Method::PUT, ["virtualmachines", _]) => {
            let location = lab.location();
            drop(world);
            super::lab_vms::put(state, at, original[1], &location, body)
        }
        (Method::POST, ["virtualmachines", _, "stop"]) => {
            let location = lab.location();
            drop(world);
            super::lab_vms::stop(state, at, original[1], &location)
        }
        (Method::DELETE, ["virtualmachines", _]) => {
            let location = lab.location();
            drop(world);
            super::lab_vms::delete(state, at, original[1], &location)
        }
        (Method::PUT, ["customimages", _]) => {
            let location = lab.location();
            drop(world);
            super::custom_images::put(state, at, original[1], &location, body)
        }
        (Method::PATCH, ["customimages", _]) => {
            drop(world);
            super::custom_images::patch(state, at, original[1], body)
        }
        (Method::DELETE, ["customimages", _]) => {
            let location = lab.location();
            drop(world);
            super::custom_images::delete(state, at, original[1], &location)
        }
        _ => Err(unknown(method, path)),
    }
}

pub(super) fn lab_mut<'w>(world: &'w mut World, at: &LabAt) -> Result<&'w mut SimLab, ArmFault> {
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

/// The caller's permissions at a scope, from its role in the subscription: Reader gets
/// `*/read`, the others `*` (Owner and Contributor differ only on Microsoft.Authorization).
fn permissions(state: &SimState, subscription_id: &str, api_version: &str) -> Answer {
    if api_version != AUTHORIZATION_API_VERSION {
        return Err(ArmFault::bad_request(
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{api_version}' is invalid. The supported versions are '{AUTHORIZATION_API_VERSION}'."
            ),
        ));
    }
    let world = state.world.lock().expect("world lock");
    let sub = subscription(&world, subscription_id)?;
    let (actions, not_actions) = match sub.access {
        Access::Reader => (vec!["*/read".to_string()], vec![]),
        _ => (
            vec!["*".to_string()],
            vec![
                "Microsoft.Authorization/*/Delete".to_string(),
                "Microsoft.Authorization/*/Write".to_string(),
            ],
        ),
    };
    let value = vec![Permission {
        actions,
        not_actions,
        ..Permission::default()
    }];
    Ok(json(StatusCode::OK, &serde_json::json!({ "value": value })))
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
    // As Azure: Warned and PastDue subscriptions still take changes.
    if ["Disabled", "Deleted"]
        .iter()
        .any(|s| sub.state.eq_ignore_ascii_case(s))
    {
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
    ArmFault::new(
        StatusCode::FORBIDDEN,
        "AuthorizationFailed",
        format!(
            "The client '{PRINCIPAL_UPN}' with object id '{PRINCIPAL_OID}' does not have authorization to perform action '{}' over scope '{path}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
            action_of(path, action)
        ),
    )
}

/// The RBAC action a request needs, as ARM names it: the provider's namespace, the resource
/// types, then `read`/`write`/`delete`, or for an action on a resource (`.../listKeys`), its
/// name and `action`.
fn action_of(path: &str, verb: &str) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let Some(at) = segments
        .iter()
        .position(|s| s.eq_ignore_ascii_case("providers"))
    else {
        return format!("Microsoft.Resources/subscriptions/{verb}");
    };
    let namespace = segments
        .get(at + 1)
        .copied()
        .unwrap_or("Microsoft.Resources");
    let rest = &segments[(at + 2).min(segments.len())..];
    let types: Vec<&str> = rest.chunks(2).map(|c| c[0]).collect();
    if rest.len() % 2 == 1 {
        // An odd segment at the end is an action on the resource before it.
        format!("{namespace}/{}/action", types.join("/"))
    } else {
        format!("{namespace}/{}/{verb}", types.join("/"))
    }
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
