//! Tags the factory reads and writes on Azure resources.

use crate::arm::wire::Tags;

/// The image path an image was built from (compatible with the original factory).
pub const IMAGE_PATH: &str = "ImagePath";
/// Present on an image that must never be retired; its value says why and who.
pub const PIN: &str = "ImageFactoryPin";
/// The id of the factory run that created a VM or an image.
pub const RUN: &str = "ImageFactoryRun";
/// The hash of the definition an image was built from (see `builder::plan::definition_hash`).
pub const DEFINITION: &str = "ImageFactoryDefinition";
/// The exact marketplace image an image was built from (`publisher/offer/sku/version`).
pub const BASE: &str = "ImageFactoryBase";
/// The Hyper-V generation of that base (`V1`, `V2`), as Compute said it.
pub const GENERATION: &str = "ImageFactoryGeneration";

/// A tag's value, matching the name case-insensitively as ARM does.
pub fn get<'t>(tags: Option<&'t Tags>, name: &str) -> Option<&'t str> {
    tags?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
