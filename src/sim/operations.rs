//! Long-running operations: a write answers 201/202 with `Azure-AsyncOperation` and
//! `Location`; the operation runs for a simulated while, then its effect lands on the world.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::reply::{ArmFault, json};
use super::state::SimState;
use super::world::World;
use crate::arm::wire::{CloudErrorBody, OperationResult};

/// What happens to the world when an operation finishes: the operation's result body, if it
/// has one (a disk's read SAS), or an error to fail it.
pub type Effect =
    Box<dyn FnOnce(&mut World) -> Result<Option<serde_json::Value>, CloudErrorBody> + Send>;

/// Which resource provider runs an operation, which decides the shape of its monitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// DevTest Labs: `Azure-AsyncOperation` (`.../operations/{id}`) and a `Location`
    /// (`.../operationResults/{id}?...&monitor=true`).
    DevTestLab,
    /// Compute (disks): `Azure-AsyncOperation` and a `Location` (the spec's examples show only
    /// the latter) that answers with the result body once done.
    Compute,
}

/// An operation's state.
pub struct Operation {
    pub status: String,
    pub error: Option<CloudErrorBody>,
    pub result: Option<serde_json::Value>,
    pub finishes_at: std::time::Instant,
}

/// Starts an operation that lands `effect` after `azure_secs` (scaled), and decorates `response`
/// with the headers that let a client follow it.
pub fn start(
    state: &Arc<SimState>,
    provider: Provider,
    subscription: &str,
    location: &str,
    azure_secs: f64,
    effect: Effect,
    mut response: Response,
) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    let delay = state.scaled(azure_secs);
    state.operations.lock().expect("operations lock").insert(
        id.clone(),
        Operation {
            status: "Running".into(),
            error: None,
            result: None,
            finishes_at: std::time::Instant::now() + delay,
        },
    );
    // As ARM does: `Azure-AsyncOperation` names the operation's status resource, `Location`
    // another URL (the operation's result), so a client that polls the wrong one shows.
    // The result URL carries a parameter of the service's own, as Azure's often do: a client
    // must poll the URL exactly as given.
    let headers = response.headers_mut();
    match provider {
        Provider::DevTestLab => {
            let monitor = |kind: &str, extra: &str| {
                format!(
                    "{}/subscriptions/{subscription}/providers/Microsoft.DevTestLab/locations/{location}/{kind}/{id}?api-version=2018-09-15{extra}",
                    state.base
                )
            };
            if !state.options.location_only_operations
                && let Ok(v) = HeaderValue::from_str(&monitor("operations", ""))
            {
                headers.insert("azure-asyncoperation", v);
            }
            if let Ok(v) = HeaderValue::from_str(&monitor("operationResults", "&monitor=true")) {
                headers.insert("location", v);
            }
        }
        Provider::Compute => {
            // As Compute answers disk actions: an `Azure-AsyncOperation` status resource, and
            // a `Location` that answers with the action's result once it is done.
            let monitor = |extra: &str| {
                format!(
                    "{}/subscriptions/{subscription}/providers/Microsoft.Compute/locations/{location}/operations/{id}?{extra}api-version={}",
                    state.base,
                    crate::arm::wire::DISK_API_VERSION
                )
            };
            if !state.options.location_only_operations
                && let Ok(v) = HeaderValue::from_str(&monitor(""))
            {
                headers.insert("azure-asyncoperation", v);
            }
            if let Ok(v) = HeaderValue::from_str(&monitor("monitor=true&")) {
                headers.insert("location", v);
            }
        }
    }
    insert_hints(headers, delay);
    let worker = state.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let outcome = effect(&mut worker.world.lock().expect("world lock"));
        if let Some(op) = worker
            .operations
            .lock()
            .expect("operations lock")
            .get_mut(&id)
        {
            match outcome {
                Ok(result) => {
                    op.status = "Succeeded".into();
                    op.result = result;
                }
                Err(error) => {
                    op.status = "Failed".into();
                    op.error = Some(error);
                }
            }
        }
    });
    response
}

/// Whole seconds to wait before the next poll, as `Retry-After` carries them.
fn poll_hint(left: std::time::Duration) -> u64 {
    left.as_secs().min(10)
}

/// `Retry-After` in whole seconds, and `retry-after-ms` (as Azure services send it, and
/// azure_core reads it) for waits that whole seconds cannot say: an emulator running faster
/// than Azure has many.
fn insert_hints(headers: &mut axum::http::HeaderMap, left: std::time::Duration) {
    headers.insert("retry-after", HeaderValue::from(poll_hint(left)));
    let ms = left.min(std::time::Duration::from_secs(10)).as_millis() as u64;
    headers.insert("retry-after-ms", HeaderValue::from(ms));
}

/// `GET` of a `Location` monitor: 202 with `Retry-After` while running; once it succeeded,
/// 200 with its result body if it has one, else 204; the status and error once it failed.
pub fn result(state: &SimState, id: &str) -> Result<Response, ArmFault> {
    let response = poll(state, id)?;
    if response.status() == StatusCode::OK {
        let ops = state.operations.lock().expect("operations lock");
        if let Some(op) = ops.get(id).filter(|op| op.status == "Succeeded") {
            return Ok(match &op.result {
                Some(body) => json(StatusCode::OK, body),
                None => StatusCode::NO_CONTENT.into_response(),
            });
        }
    }
    Ok(response)
}

/// `GET .../locations/{location}/operations/{name}`: 202 while running, then 200 with the outcome.
pub fn poll(state: &SimState, id: &str) -> Result<Response, ArmFault> {
    let ops = state.operations.lock().expect("operations lock");
    let op = ops
        .get(id)
        .ok_or_else(|| ArmFault::not_found("operations", id))?;
    let body = OperationResult {
        status: op.status.clone(),
        status_code: None,
        error: op.error.clone(),
    };
    if op.status == "Running" {
        let mut response = json(StatusCode::ACCEPTED, &body);
        let left = op
            .finishes_at
            .saturating_duration_since(std::time::Instant::now());
        insert_hints(response.headers_mut(), left);
        Ok(response)
    } else {
        Ok(json(StatusCode::OK, &body))
    }
}
