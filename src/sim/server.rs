//! The request pipeline: record, identity, bearer check, faults, throttling, the resource
//! routes, then the latency (counted from the request's arrival). ARM paths are
//! case-insensitive, so routing is done on lower-cased segments by `routes`, not by the router.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;

use super::faults::Fault;
use super::reply::{ArmFault, json};
use super::state::{Bucket, READ_BUCKET, RecordedRequest, SimState, WRITE_BUCKET};

pub(super) fn router(state: Arc<SimState>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

/// Largest request body the emulator reads.
const BODY_LIMIT: usize = 4 * 1024 * 1024;

async fn handle(State(state): State<Arc<SimState>>, request: Request) -> Response {
    state.served.fetch_add(1, Ordering::Relaxed);
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let response = answer(&state, request).await;
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}

async fn answer(state: &Arc<SimState>, request: Request) -> Response {
    let arrived = Instant::now();
    let state = state.clone();
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    if state.options.record {
        let body = serde_json::from_slice(&bytes).ok();
        state
            .recorded
            .lock()
            .expect("record lock")
            .push(RecordedRequest {
                method: parts.method.to_string(),
                path: path.clone(),
                query: query.clone(),
                body,
                client_request_id: parts
                    .headers
                    .get("x-ms-client-request-id")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
            });
    }
    let client_request_id = parts.headers.get("x-ms-client-request-id").cloned();
    let mut response = if needs_length(&parts) {
        length_required()
    } else if path.eq_ignore_ascii_case("/msi/token") {
        identity(&state, &parts.headers, query.as_deref())
    } else if path.starts_with("/blob/") {
        super::blob::handle(
            &state,
            &parts.method,
            &path,
            query.as_deref(),
            &parts.headers,
            &bytes,
        )
    } else {
        arm(&state, &parts, &path, query.as_deref(), &bytes).await
    };
    let headers = response.headers_mut();
    let request_id = uuid::Uuid::new_v4().to_string();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert("x-ms-request-id", v.clone());
        headers.insert("x-ms-correlation-request-id", v);
    }
    if let Some(v) = client_request_id {
        headers.insert("x-ms-client-request-id", v);
    }
    // The latency is the time from the request's arrival to its answer, the work included
    // (it was added after the work, so every answer took that much longer than asked).
    if !state.options.latency.is_zero() {
        super::delay::after(arrived, state.options.latency).await;
    }
    response
}

/// A write with neither `Content-Length` nor a chunked body: Azure's front door refuses it
/// with `411 Length Required` (its HTML page, not an ARM envelope), which is why a POST with no
/// body (`listKeys`, `stop`, `endGetAccess`) must say `Content-Length: 0`.
fn needs_length(parts: &axum::http::request::Parts) -> bool {
    let writes = [Method::POST, Method::PUT, Method::PATCH];
    writes.contains(&parts.method)
        && !parts.headers.contains_key("content-length")
        && !parts.headers.contains_key("transfer-encoding")
}

fn length_required() -> Response {
    let mut response = Response::new(axum::body::Body::from(
        "<h2>Length Required</h2>\r\n<hr><p>HTTP Error 411. The request must be chunked or have a content length.</p>\r\n",
    ));
    *response.status_mut() = StatusCode::LENGTH_REQUIRED;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("text/html"));
    response
}

async fn arm(
    state: &Arc<SimState>,
    parts: &axum::http::request::Parts,
    path: &str,
    query: Option<&str>,
    body: &Bytes,
) -> Response {
    let authorization = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    if let Err(refusal) = state.tokens.check(authorization) {
        let mut response: Response =
            ArmFault::new(StatusCode::UNAUTHORIZED, refusal.code, refusal.message).into();
        response.headers_mut().insert(
            "www-authenticate",
            HeaderValue::from_static("Bearer authorization_uri=\"https://login.microsoftonline.com/common\", error=\"invalid_token\""),
        );
        return response;
    }
    let subscription = subscription_of(path);
    let path_and_query = match query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    };
    let fault = state.injector.lock().expect("injector lock").decide(
        parts.method.as_str(),
        &path_and_query,
        &subscription,
    );
    if let Some(Fault::Stall(how_long)) = fault {
        // A hung request: the answer comes, but too late for a patient client.
        tokio::time::sleep(how_long).await;
    } else if let Some(fault) = fault {
        return injected(fault);
    }
    let write = parts.method != Method::GET;
    let remaining = match take_token(state, &subscription, write) {
        Ok(remaining) => remaining,
        Err(retry_after) => return throttled(retry_after),
    };
    let mut response = match super::routes::dispatch(state, &parts.method, path, query, body) {
        Ok(response) => response,
        Err(fault) => fault.into(),
    };
    let name = if write {
        "x-ms-ratelimit-remaining-subscription-writes"
    } else {
        "x-ms-ratelimit-remaining-subscription-reads"
    };
    if !subscription.is_empty() {
        response
            .headers_mut()
            .insert(name, HeaderValue::from(remaining as u64));
    }
    response
}

fn subscription_of(path: &str) -> String {
    let mut parts = path.split('/').filter(|p| !p.is_empty());
    match (parts.next(), parts.next()) {
        (Some(s), Some(id)) if s.eq_ignore_ascii_case("subscriptions") => id.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// Takes one request from the subscription's bucket; `Err` holds the seconds until one is back.
fn take_token(state: &SimState, subscription: &str, write: bool) -> Result<f64, u64> {
    let (size, refill) = if write { WRITE_BUCKET } else { READ_BUCKET };
    // The bucket refills per second of Azure's time, which `--speed` compresses like every
    // other duration: a run at speed 100 may ask 100 times as often.
    let refill = refill * state.options.speed.max(0.001);
    let key = format!("{subscription}/{write}");
    let mut buckets = state.buckets.lock().expect("bucket lock");
    let now = Instant::now();
    let bucket = buckets.entry(key).or_insert(Bucket {
        tokens: size,
        at: now,
    });
    bucket.tokens =
        (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * refill).min(size);
    bucket.at = now;
    if bucket.tokens < 1.0 {
        return Err(((1.0 - bucket.tokens) / refill).ceil() as u64);
    }
    bucket.tokens -= 1.0;
    Ok(bucket.tokens.floor())
}

fn throttled(retry_after: u64) -> Response {
    let mut response: Response = ArmFault::new(
        StatusCode::TOO_MANY_REQUESTS,
        "SubscriptionRequestsThrottled",
        "Number of requests for subscription exceeded the limit. Please try again after some time.",
    )
    .into();
    response
        .headers_mut()
        .insert("retry-after", HeaderValue::from(retry_after.max(1)));
    response
}

fn injected(fault: Fault) -> Response {
    match fault {
        Fault::Throttle { retry_after } => {
            let mut response: Response = ArmFault::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "The request is being throttled as the limit has been reached for operation type - Read.",
            )
            .into();
            if let Ok(v) = HeaderValue::from_str(&retry_after) {
                response.headers_mut().insert("retry-after", v);
            }
            response
        }
        Fault::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let (code, message) = match code {
                503 => (
                    "ServiceUnavailable",
                    "The service is temporarily unavailable. Please retry the request.",
                ),
                403 => (
                    "AuthorizationFailed",
                    "The client does not have authorization to perform this action over this scope or the scope is invalid.",
                ),
                404 => ("ResourceNotFound", "The resource was not found."),
                409 => (
                    "Conflict",
                    "The request conflicts with the state of the resource.",
                ),
                _ => (
                    "InternalServerError",
                    "Encountered internal server error. Diagnostic information: timestamp '', subscription id '', tracking id ''.",
                ),
            };
            ArmFault::new(status, code, message).into()
        }
        Fault::Drop => {
            // Headers go out, then the body fails: the connection is cut mid-answer.
            let stream = futures::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "dropped by fault injection",
                ))
            });
            let mut response = Response::new(Body::from_stream(stream));
            *response.status_mut() = StatusCode::OK;
            response
        }
        Fault::Stall(_) => unreachable!("a stall delays the answer; it is not one"),
    }
}

/// The App Service managed-identity protocol (`IDENTITY_ENDPOINT` + `X-IDENTITY-HEADER`).
fn identity(state: &SimState, headers: &axum::http::HeaderMap, query: Option<&str>) -> Response {
    let secret = headers
        .get("x-identity-header")
        .and_then(|v| v.to_str().ok());
    if secret != Some(state.tokens.identity_header.as_str()) {
        return json(
            StatusCode::UNAUTHORIZED,
            &serde_json::json!({"statusCode": 401, "message": "X-IDENTITY-HEADER is missing or wrong."}),
        );
    }
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let Some(resource) = param("resource") else {
        return json(
            StatusCode::BAD_REQUEST,
            &serde_json::json!({"statusCode": 400, "message": "resource is required."}),
        );
    };
    if param("api-version").is_none() {
        return json(
            StatusCode::BAD_REQUEST,
            &serde_json::json!({"statusCode": 400, "message": "api-version is required."}),
        );
    }
    let Some(audience) = state.tokens.audience_of(&resource) else {
        return json(
            StatusCode::BAD_REQUEST,
            &serde_json::json!({"statusCode": 400, "message": format!("No audience {resource} is served here; ask for {}", state.base)}),
        );
    };
    let (token, expires_on) = state.tokens.issue_for(&audience);
    json(
        StatusCode::OK,
        &serde_json::json!({
            "access_token": token,
            "expires_on": expires_on.to_string(),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": "a1b2c3d4-0000-4000-8000-5a3f1e2d7c6b",
        }),
    )
}
