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

/// Applies `change` to the image in the lab named `lab` (its display name, for the audit
/// log). Other tags are kept: ARM's PATCH replaces the whole tag set, so the current one is
/// read first. The attempt is audited whatever its result.
pub async fn set_pin(
    client: &ArmClient,
    image: &ResourceId,
    lab: &str,
    change: &PinChange,
    audit: &AuditLog,
    actor: &Actor,
) -> Result<PinOutcome, FactoryError> {
    let result = change_pin(client, image, change).await;
    let action = match change {
        PinChange::Pin { .. } => "pin",
        PinChange::Unpin => "unpin",
    };
    // Why: the reason a pin sets, or the one an unpin removes.
    let why = match (change, &result) {
        (PinChange::Pin { reason, .. }, _) => reason.clone(),
        (PinChange::Unpin, Ok(o)) => o.previous.clone().unwrap_or_default(),
        (PinChange::Unpin, Err(_)) => String::new(),
    };
    let (outcome, detail) = match (change, &result) {
        (PinChange::Pin { .. }, Ok(o)) => (
            "done",
            o.previous
                .as_ref()
                .filter(|p| **p != why)
                .map(|p| format!("replaced the reason: {p}")),
        ),
        (PinChange::Unpin, Ok(_)) => ("done", None),
        (_, Err(e @ FactoryError::AlreadyPinned { .. })) => ("refused", Some(e.to_string())),
        (_, Err(e)) => ("failed", Some(e.to_string())),
    };
    let image_path = result.as_ref().ok().and_then(|o| {
        tags::get(o.image.tags.as_ref(), tags::IMAGE_PATH)
            .map(|p| crate::config::ImagePath::new(p).to_string())
    });
    // Ids as ARM lower-cases them, so that one grep finds every line about an image.
    let key = image.key();
    let entry = AuditEntry {
        at: OffsetDateTime::now_utc(),
        who: actor,
        action,
        image: &key,
        lab,
        image_path: image_path.as_deref(),
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
