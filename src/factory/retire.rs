//! Retiring images: per lab, read the lab again, check every image again (re-plan it, or for an
//! image an operator chose, check it is not pinned or in use), and delete only what may still go;
//! each image is read once more just before its delete. One failure skips one image.

use futures::StreamExt;
use futures::future::join_all;
use time::OffsetDateTime;

use super::Cancel;
use super::audit::{Actor, AuditEntry, AuditLog};
use super::inventory::{Inventory, LabInventory};
use super::retention::{Decision, RetentionPlan, RetentionState, RetireReason, plan_lab};
use super::tags;
use crate::arm::wire::{CustomImage, DTL_API_VERSION};
use crate::arm::{ArmClient, ArmError, ResourceId};
use crate::config::{FactoryConfig, ImagePath};

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
    pub image_path: Option<ImagePath>,
    pub reason: RetireReason,
    /// The image's retention state when it was judged for deletion (from the fresh read), if
    /// it was still there.
    pub state: Option<RetentionState>,
    pub result: RetireResult,
}

/// How an image to retire is checked again just before it is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// The lab is planned again from a fresh read; only what is still due goes.
    Replan,
    /// An operator chose it: it goes unless it is pinned or in use now. An image that retention
    /// would never retire (the newest of its path in its lab, or one the factory does not
    /// manage) goes only with `unusual`, which an operator gives explicitly.
    Chosen { unusual: bool },
}

impl RetentionState {
    /// Whether deleting an image in this state is out of the ordinary: retention never would
    /// (it is the newest of its path, or not the factory's), so it takes its own confirmation.
    pub fn is_unusual(self) -> bool {
        matches!(self, RetentionState::Current | RetentionState::Unmanaged)
    }

    /// What deleting an image in an unusual state means, in plain words.
    pub fn unusual_warning(self) -> Option<&'static str> {
        match self {
            RetentionState::Current => Some(
                "the newest image of its path in its lab: labs and formulas that take the latest image lose it",
            ),
            RetentionState::Unmanaged => Some(
                "not made or managed by this factory (no ImagePath tag, or a lab outside the configuration): someone else may rely on it",
            ),
            _ => None,
        }
    }
}

/// One image to retire.
#[derive(Debug, Clone)]
pub struct RetireTarget {
    pub lab: ResourceId,
    pub image: ResourceId,
    pub name: String,
    pub image_path: Option<ImagePath>,
    pub reason: RetireReason,
    pub guard: Guard,
}

/// The images a plan retires, to be re-planned before deletion. Labs where the identity cannot
/// delete are left out (`RetentionPlan::held_back` says which and why).
pub fn targets_from_plan(plan: &RetentionPlan) -> Vec<RetireTarget> {
    plan.to_retire()
        .filter(|(lab, _)| lab.denied.is_none())
        .map(|(lab, d)| RetireTarget {
            lab: lab.lab.clone(),
            image: d.image.clone(),
            name: d.name.clone(),
            image_path: d.image_path.clone(),
            reason: d.reason.unwrap_or(RetireReason::Superseded),
            guard: Guard::Replan,
        })
        .collect()
}

/// Retires `targets`: every image is checked again (see `Guard`) and deleted, or skipped with
/// the reason. `on_outcome` hears of each image as it is settled; every outcome is written to
/// `audit`. `now` is the plan's time, so that ages are judged as they were planned. Once
/// `cancel` is raised no new delete starts: the rest are skipped (and audited) as cancelled.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    client: &ArmClient,
    inventory: &Inventory,
    config: Option<&FactoryConfig>,
    targets: &[RetireTarget],
    now: OffsetDateTime,
    audit: &AuditLog,
    actor: &Actor,
    cancel: &Cancel,
    on_outcome: &(dyn Fn(&RetireOutcome) + Sync),
) -> Vec<RetireOutcome> {
    let mut by_lab: Vec<(&LabInventory, Vec<&RetireTarget>)> = Vec::new();
    let mut orphans = Vec::new();
    for target in targets {
        match by_lab.iter_mut().find(|(lab, _)| lab.id == target.lab) {
            Some((_, list)) => list.push(target),
            None => match inventory.labs().find(|(_, l)| l.id == target.lab) {
                Some((_, lab)) => by_lab.push((lab, vec![target])),
                None => orphans.push(target),
            },
        }
    }
    // A target whose lab is not in the inventory is not deleted blind, and not lost either.
    let mut outcomes: Vec<RetireOutcome> = orphans
        .into_iter()
        .map(|t| {
            let outcome = RetireOutcome {
                lab: t.lab.name().to_string(),
                image: t.image.clone(),
                name: t.name.clone(),
                image_path: t.image_path.clone(),
                reason: t.reason,
                state: None,
                result: RetireResult::Skipped(
                    "its lab is not in the inventory; refresh and try again".into(),
                ),
            };
            report(&outcome, audit, actor, on_outcome);
            outcome
        })
        .collect();
    let work = by_lab.into_iter().map(|(lab, due)| {
        retire_lab(
            client, lab, due, config, now, audit, actor, cancel, on_outcome,
        )
    });
    outcomes.extend(join_all(work).await.into_iter().flatten());
    outcomes
}

#[allow(clippy::too_many_arguments)]
async fn retire_lab(
    client: &ArmClient,
    lab: &LabInventory,
    due: Vec<&RetireTarget>,
    config: Option<&FactoryConfig>,
    now: OffsetDateTime,
    audit: &AuditLog,
    actor: &Actor,
    cancel: &Cancel,
    on_outcome: &(dyn Fn(&RetireOutcome) + Sync),
) -> Vec<RetireOutcome> {
    let settle = |target: &RetireTarget, state: Option<RetentionState>, result: RetireResult| {
        let outcome = RetireOutcome {
            lab: lab.name.clone(),
            image: target.image.clone(),
            name: target.name.clone(),
            image_path: target.image_path.clone(),
            reason: target.reason,
            state,
            result,
        };
        report(&outcome, audit, actor, on_outcome);
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
                .map(|t| settle(t, None, RetireResult::Skipped(why.clone())))
                .collect();
        }
    };
    let replanned = plan_lab(&fresh, config, now);
    // Owned work items: a stream of futures that borrow from a closure argument cannot be
    // spawned (the borrow would have to hold for every lifetime).
    let work: Vec<(RetireTarget, Option<RetentionState>, Result<(), String>)> = due
        .into_iter()
        .map(|t| {
            let decision = replanned.decisions.iter().find(|d| d.image == t.image);
            (
                t.clone(),
                decision.map(|d| d.state),
                still_due(t, &fresh, decision),
            )
        })
        .collect();
    let settle = &settle;
    // Once Azure refuses one delete here (403), the rest would be refused too: say so instead.
    let refused: std::sync::Mutex<Option<String>> =
        std::sync::Mutex::new(fresh.refusal().map(str::to_string));
    let refused = &refused;
    futures::stream::iter(work)
        .map(|(target, state, check)| async move {
            let go_on = cancel.proceed().await;
            let denied = refused.lock().expect("refusal lock").clone();
            let result = match (check, denied) {
                _ if !go_on => RetireResult::Skipped("stopped before its delete started".into()),
                (Err(why), _) => RetireResult::Skipped(why),
                (Ok(()), Some(why)) => {
                    RetireResult::Skipped(format!("the identity cannot delete here: {why}"))
                }
                (Ok(()), None) => {
                    let result = delete_if_unpinned(client, &target.image).await;
                    if let RetireResult::Failed(e) = &result
                        && e.status() == Some(403)
                    {
                        refused
                            .lock()
                            .expect("refusal lock")
                            .get_or_insert_with(|| {
                                format!("Azure refused a delete: {}", e.short_reason())
                            });
                    }
                    result
                }
            };
            settle(&target, state, result)
        })
        .buffer_unordered(DELETES_PER_LAB)
        .collect()
        .await
}

/// Writes an outcome to the audit log and tells the caller.
fn report(
    outcome: &RetireOutcome,
    audit: &AuditLog,
    actor: &Actor,
    on_outcome: &(dyn Fn(&RetireOutcome) + Sync),
) {
    let detail = outcome.result.detail();
    // Ids as ARM lower-cases them, so that one grep finds every line about an image.
    let image = outcome.image.key();
    // An unusual image deleted on purpose says so: the operator confirmed it explicitly.
    let why = match (outcome.reason, outcome.state, &outcome.result) {
        (RetireReason::Chosen, Some(s), RetireResult::Retired) if s.is_unusual() => {
            "chosen, confirmed unusual"
        }
        (reason, _, _) => reason.as_str(),
    };
    let entry = AuditEntry {
        at: OffsetDateTime::now_utc(),
        who: actor,
        action: "retire",
        image: &image,
        lab: &outcome.lab,
        image_path: outcome.image_path.as_ref().map(ImagePath::as_str),
        state: outcome.state.map(RetentionState::as_str),
        why,
        result: outcome.result.as_str(),
        detail: detail.as_deref(),
    };
    // The deletion already happened (or not); a log that cannot be written is said, not fatal.
    if let Err(e) = audit.record(&entry) {
        tracing::error!("{e}");
    }
    on_outcome(outcome);
}

/// Whether a target may still go, judged from the fresh read of its lab and the decision the
/// fresh plan made for it.
fn still_due(
    target: &RetireTarget,
    fresh: &LabInventory,
    decision: Option<&Decision>,
) -> Result<(), String> {
    let Some(image) = fresh.images.iter().find(|i| i.id == target.image) else {
        return Err("already gone".into());
    };
    match target.guard {
        Guard::Replan => match decision {
            Some(d) if d.state == RetentionState::Retire => Ok(()),
            Some(d) => Err(format!(
                "changed since the plan: now {} ({})",
                d.state.as_str(),
                d.detail
            )),
            None => Err("already gone".into()),
        },
        Guard::Chosen { unusual } => {
            if let Some(pin) = &image.pin {
                return Err(format!("pinned: {pin}"));
            }
            if let Some(vm) = fresh
                .vms
                .iter()
                .find(|vm| vm.custom_image_id.as_ref() == Some(&image.id))
            {
                return Err(format!("in use: VM {} was created from it", vm.name));
            }
            if fresh.formula_images.contains(&image.id) {
                return Err("in use: a formula uses it".into());
            }
            match decision.map(|d| d.state) {
                Some(s) if s.is_unusual() && !unusual => Err(format!(
                    "now {}: {}; deleting it needs its own confirmation",
                    s.as_str(),
                    s.unusual_warning().unwrap_or_default()
                )),
                _ => Ok(()),
            }
        }
    }
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
