//! Pins: a tag that protects an image from retirement. Set and cleared with a tags-only PATCH;
//! every pin and unpin is written to the audit log, with the reason it sets or removes.

use time::OffsetDateTime;

use super::FactoryError;
use super::audit::{Actor, AuditEntry, AuditLog};
use super::tags;
use crate::arm::wire::{CustomImage, DTL_API_VERSION};
use crate::arm::{ArmClient, ResourceId};

/// A change to an image's pin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinChange {
    /// Pin with this reason. Another reason already there is kept unless `overwrite`.
    Pin { reason: String, overwrite: bool },
    /// Clear the pin.
    Unpin,
}

/// What a pin change did.
#[derive(Debug, Clone)]
pub struct PinOutcome {
    /// The image as Azure returned it after the change.
    pub image: CustomImage,
    /// The reason the image carried before (what an unpin removed).
    pub previous: Option<String>,
}

/// Applies `change` to the image. Other tags are kept: ARM's PATCH replaces the whole tag set,
/// so the current one is read first. The attempt is audited whatever its result.
pub async fn set_pin(
    client: &ArmClient,
    image: &ResourceId,
    change: &PinChange,
    audit: &AuditLog,
    actor: &Actor,
) -> Result<PinOutcome, FactoryError> {
    let result = change_pin(client, image, change).await;
    let (action, why) = match change {
        PinChange::Pin { reason, .. } => ("pin", reason.as_str()),
        PinChange::Unpin => ("unpin", ""),
    };
    let (outcome, detail) = match &result {
        Ok(o) => (
            "done",
            o.previous.as_ref().map(|p| format!("previous reason: {p}")),
        ),
        Err(e) => ("failed", Some(e.to_string())),
    };
    let why = match (change, &result) {
        (PinChange::Unpin, Ok(o)) => o.previous.clone().unwrap_or_default(),
        _ => why.to_string(),
    };
    let entry = AuditEntry {
        at: OffsetDateTime::now_utc(),
        who: actor,
        action,
        image: image.as_str(),
        lab: image.segment("labs").unwrap_or_default(),
        image_path: None,
        state: None,
        why: &why,
        result: outcome,
        detail: detail.as_deref(),
    };
    audit.record(&entry)?;
    result
}

async fn change_pin(
    client: &ArmClient,
    image: &ResourceId,
    change: &PinChange,
) -> Result<PinOutcome, FactoryError> {
    let fail = |e| FactoryError::Image {
        image: image.to_string(),
        error: Box::new(e),
    };
    let current: CustomImage = client
        .get(image.as_str(), DTL_API_VERSION)
        .await
        .map_err(fail)?;
    let previous = tags::get(current.tags.as_ref(), tags::PIN).map(str::to_string);
    if let (
        PinChange::Pin {
            reason,
            overwrite: false,
        },
        Some(existing),
    ) = (change, &previous)
        && existing != reason
    {
        return Err(FactoryError::AlreadyPinned {
            image: image.to_string(),
            reason: existing.clone(),
        });
    }
    let mut tag_set = current.tags.unwrap_or_default();
    tag_set.retain(|k, _| !k.eq_ignore_ascii_case(tags::PIN));
    if let PinChange::Pin { reason, .. } = change {
        tag_set.insert(tags::PIN.to_string(), reason.clone());
    }
    let body = serde_json::json!({ "tags": tag_set });
    let image = client
        .patch(image.as_str(), DTL_API_VERSION, &body)
        .await
        .map_err(fail)?;
    Ok(PinOutcome { image, previous })
}
