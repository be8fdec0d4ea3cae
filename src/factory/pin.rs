//! Pins: a tag that protects an image from retirement. Set and cleared with a tags-only PATCH.

use super::FactoryError;
use super::tags;
use crate::arm::wire::{CustomImage, DTL_API_VERSION};
use crate::arm::{ArmClient, ResourceId};

/// Sets the pin tag (with `reason` as its value) or, with `None`, clears it. Other tags are
/// kept: ARM's PATCH replaces the whole tag set, so the current one is read first.
pub async fn set_pin(
    client: &ArmClient,
    image: &ResourceId,
    reason: Option<&str>,
) -> Result<CustomImage, FactoryError> {
    let fail = |e| FactoryError::Image {
        image: image.to_string(),
        error: Box::new(e),
    };
    let current: CustomImage = client
        .get(image.as_str(), DTL_API_VERSION)
        .await
        .map_err(fail)?;
    let mut tag_set = current.tags.unwrap_or_default();
    tag_set.retain(|k, _| !k.eq_ignore_ascii_case(tags::PIN));
    if let Some(reason) = reason {
        tag_set.insert(tags::PIN.to_string(), reason.to_string());
    }
    let body = serde_json::json!({ "tags": tag_set });
    client
        .patch(image.as_str(), DTL_API_VERSION, &body)
        .await
        .map_err(fail)
}
