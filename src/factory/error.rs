use thiserror::Error;

use crate::arm::ArmError;

/// What can go wrong in the factory's own operations.
#[derive(Debug, Error)]
pub enum FactoryError {
    /// Listing the subscriptions failed, so there is nothing to show.
    #[error("cannot list subscriptions: {0}")]
    Subscriptions(#[source] ArmError),
}
