//! Building answers as ARM sends them: JSON bodies, request ids, error envelopes.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;

use crate::arm::wire::CloudError;

/// An ARM error: status, code and message.
#[derive(Debug)]
pub struct ArmFault {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

impl ArmFault {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ArmFault {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn not_found(kind: &str, name: &str) -> Self {
        ArmFault::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!(
                "The Resource '{kind}/{name}' under resource group was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
            ),
        )
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        ArmFault::new(StatusCode::BAD_REQUEST, code, message)
    }
}

pub type Answer = Result<Response, ArmFault>;

/// A request body as `T`, or the 400 ARM answers a body it cannot read with.
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ArmFault> {
    serde_json::from_slice(body).map_err(|e| {
        ArmFault::bad_request(
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{e}'."),
        )
    })
}

/// A JSON answer with ARM's headers.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// An empty answer.
pub fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

impl From<ArmFault> for Response {
    fn from(fault: ArmFault) -> Response {
        json(fault.status, &CloudError::new(fault.code, fault.message))
    }
}
