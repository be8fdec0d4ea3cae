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
    /// The image is pinned already, for another reason, and the change would lose it.
    #[error("{image} is already pinned ({reason}); its reason is kept. Use --force to replace it")]
    AlreadyPinned { image: String, reason: String },
    /// The audit log cannot be written; nothing is changed without it.
    #[error("cannot write the audit log {}: {reason}; nothing was changed", .path.display())]
    Audit { path: PathBuf, reason: String },
}
