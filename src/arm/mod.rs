//! An Azure Resource Manager client: credentials, retries, throttling, paging, long-running
//! operations and redaction. It knows nothing about image factories.

pub mod auth;
mod client;
mod error;
mod lro;
mod permits;
mod principal;
pub mod redact;
mod resource_id;
mod retry;
pub mod storage;
pub mod wire;

pub use auth::{AuthMode, TokenSource, scope_for};
pub use client::{ArmClient, ArmClientOptions, RequestLog};
pub use error::ArmError;
pub use lro::{Begun, PendingOperation, Poll, Write};
pub use principal::Principal;
pub use resource_id::ResourceId;
pub use retry::RetryPolicy;
