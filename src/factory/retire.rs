//! Applying a retention plan: per lab, read the lab again, re-plan it, and delete only what is
//! still due; each image is read once more just before its delete. One failure skips one image.

use futures::StreamExt;
use futures::future::join_all;
use time::OffsetDateTime;

use super::audit::{Actor, AuditEntry, AuditLog};
use super::inventory::{Inventory, LabInventory};
use super::retention::{Decision, LabPlan, RetentionPlan, RetentionState, RetireReason, plan_lab};
use super::tags;
use crate::arm::wire::{CustomImage, DTL_API_VERSION};
use crate::arm::{ArmClient, ArmError, ResourceId};
use crate::config::FactoryConfig;

/// Deletes in flight at once within one lab.
const DELETES_PER_LAB: usize = 4;

/// What happened to one image.
#[derive(Debug, Clone)]
pub enum RetireResult {
    /// Deleted.
    Retired,
    /// Not deleted, on purpose: it changed since the plan, or is already gone.
    Skipped(String),
    /// The delete was tried and failed.
    Failed(ArmError),
}

impl RetireResult {
    /// `retired`, `skipped` or `failed`.
    pub fn as_str(&self) -> &'static str {
        match self {
            RetireResult::Retired => "retired",
            RetireResult::Skipped(_) => "skipped",
            RetireResult::Failed(_) => "failed",
        }
    }

    /// Why, for skips and failures.
    pub fn detail(&self) -> Option<String> {
        match self {
            RetireResult::Retired => None,
            RetireResult::Skipped(why) => Some(why.clone()),
            RetireResult::Failed(e) => Some(e.to_string()),
        }
    }
}

/// One image's outcome.
#[derive(Debug, Clone)]
pub struct RetireOutcome {
    pub lab: String,
    pub image: ResourceId,
    pub name: String,
    pub image_path: Option<String>,
    pub reason: RetireReason,
    pub result: RetireResult,
}

/// Applies `plan`: every image it retires is re-checked and deleted, or skipped with the reason.
/// `on_outcome` hears of each image as it is settled; every outcome is written to `audit`.
pub async fn apply(
    client: &ArmClient,
    inventory: &Inventory,
    config: &FactoryConfig,
    plan: &RetentionPlan,
    audit: &AuditLog,
    actor: &Actor,
    on_outcome: &(dyn Fn(&RetireOutcome) + Sync),
) -> Vec<RetireOutcome> {
    let work = plan
        .labs
        .iter()
        .filter(|l| l.has_retirees())
        .filter_map(|lab_plan| {
            let lab = inventory
                .labs()
                .map(|(_, l)| l)
                .find(|l| l.id == lab_plan.lab)?;
            Some(retire_lab(
                client, lab, lab_plan, config, plan.now, audit, actor, on_outcome,
            ))
        });
    join_all(work).await.into_iter().flatten().collect()
}

#[allow(clippy::too_many_arguments)]
async fn retire_lab(
    client: &ArmClient,
    lab: &LabInventory,
    planned: &LabPlan,
    config: &FactoryConfig,
    now: OffsetDateTime,
    audit: &AuditLog,
    actor: &Actor,
    on_outcome: &(dyn Fn(&RetireOutcome) + Sync),
) -> Vec<RetireOutcome> {
    let due: Vec<&Decision> = planned
        .decisions
        .iter()
        .filter(|d| d.state == RetentionState::Retire)
        .collect();
    let settle = |decision: &Decision, result: RetireResult| {
        let outcome = RetireOutcome {
            lab: lab.name.clone(),
            image: decision.image.clone(),
            name: decision.name.clone(),
            image_path: decision.image_path.as_ref().map(|p| p.to_string()),
            reason: decision.reason.unwrap_or(RetireReason::Superseded),
            result,
        };
        let detail = outcome.result.detail();
        let entry = AuditEntry {
            at: OffsetDateTime::now_utc(),
            who: actor,
            action: "retire",
            image: outcome.image.as_str(),
            lab: &outcome.lab,
            image_path: outcome.image_path.as_deref(),
            why: outcome.reason.as_str(),
            result: outcome.result.as_str(),
            detail: detail.as_deref(),
        };
        if let Err(e) = audit.record(&entry) {
            tracing::error!("{e}");
        }
        on_outcome(&outcome);
        outcome
    };
    // The plan may be minutes old: decide again from what the lab holds now.
    let fresh = match lab.reread(client).await {
        Ok(fresh) => fresh,
        Err(e) => {
            let why = format!(
                "the lab could not be read again before deleting: {}",
                e.short_reason()
            );
            return due
                .into_iter()
                .map(|d| settle(d, RetireResult::Skipped(why.clone())))
                .collect();
        }
    };
    let replanned = plan_lab(&fresh, Some(config), now);
    futures::stream::iter(due)
        .map(|decision| {
            let now_decided = replanned
                .decisions
                .iter()
                .find(|d| d.image == decision.image);
            async move {
                let result = match now_decided {
                    None => RetireResult::Skipped("already gone".into()),
                    Some(d) if d.state != RetentionState::Retire => RetireResult::Skipped(format!(
                        "changed since the plan: now {} ({})",
                        d.state.as_str(),
                        d.detail
                    )),
                    Some(_) => delete_if_unpinned(client, &decision.image).await,
                };
                settle(decision, result)
            }
        })
        .buffer_unordered(DELETES_PER_LAB)
        .collect()
        .await
}

/// Reads the image one last time (a pin may have landed since the lab was re-read), then deletes
/// it through its long-running operation.
async fn delete_if_unpinned(client: &ArmClient, image: &ResourceId) -> RetireResult {
    match client
        .get::<CustomImage>(image.as_str(), DTL_API_VERSION)
        .await
    {
        Err(e) if e.status() == Some(404) => return RetireResult::Skipped("already gone".into()),
        Err(e) => return RetireResult::Failed(e),
        Ok(current) => {
            if let Some(pin) = tags::get(current.tags.as_ref(), tags::PIN) {
                return RetireResult::Skipped(format!("pinned since the plan: {pin}"));
            }
        }
    }
    match client.delete(image.as_str(), DTL_API_VERSION).await {
        Ok(()) => RetireResult::Retired,
        Err(e) => RetireResult::Failed(e),
    }
}
