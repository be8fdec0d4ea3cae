//! The image factory's domain: inventory across subscriptions (and, later, build planning,
//! distribution and retention). Pure planners are kept apart from the code that calls ARM.

pub mod audit;
pub mod builder;
pub mod cancel;
pub mod check;
pub mod drift;
mod error;
pub mod inventory;
pub mod pin;
pub mod retention;
pub mod retire;
pub mod tags;

pub use cancel::Cancel;
pub use error::FactoryError;
pub use inventory::{Image, Inventory, LabInventory, LabRole, Problem, SubscriptionInventory, Vm};
pub use retention::{Decision, LabPlan, RetentionPlan, RetentionState, RetireReason};
