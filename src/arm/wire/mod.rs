//! Serde types for the ARM wire format, named as in the DevTest Labs spec (api-version 2018-09-15)
//! and the Subscriptions API. Shared by the client and the emulator; nothing else lives here.

mod compute;
mod custom_image;
mod envelope;
mod formula;
mod lab;
mod operation;
mod permission;
mod storage;
mod subscription;
mod virtual_machine;
mod virtual_network;

pub use compute::*;
pub use custom_image::*;
pub use envelope::*;
pub use formula::*;
pub use lab::*;
pub use operation::*;
pub use permission::*;
pub use storage::*;
pub use subscription::*;
pub use virtual_machine::*;
pub use virtual_network::*;

/// The DevTest Labs api-version every DevTest Labs call uses.
pub const DTL_API_VERSION: &str = "2018-09-15";
/// The Subscriptions api-version.
pub const SUBSCRIPTIONS_API_VERSION: &str = "2022-12-01";

/// Resource tags, as ARM returns them (absent, null or a map).
pub type Tags = std::collections::BTreeMap<String, String>;
