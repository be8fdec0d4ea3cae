//! The image factory's domain: inventory across subscriptions (and, later, build planning,
//! distribution and retention). Pure planners are kept apart from the code that calls ARM.

mod error;
pub mod inventory;
pub mod tags;

pub use error::FactoryError;
pub use inventory::{Image, Inventory, LabInventory, LabRole, Problem, SubscriptionInventory, Vm};
