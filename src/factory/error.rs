use std::path::PathBuf;

use thiserror::Error;

use crate::arm::ArmError;

/// What can go wrong in the factory's own operations.
#[derive(Debug, Error)]
pub enum FactoryError {
    /// Listing the subscriptions failed, so there is nothing to show.
    #[error("cannot list subscriptions: {0}")]
    Subscriptions(#[source] Box<ArmError>),
    /// A call about one image failed.
    #[error("{image}: {error}")]
    Image { image: String, error: Box<ArmError> },
    /// The audit log cannot be written; nothing is changed without it.
    #[error("cannot write the audit log {}: {reason}; nothing was changed", .path.display())]
    Audit { path: PathBuf, reason: String },
}
