//! The retention planner: inventory + configuration + now → a plan that gives every image one
//! state and says why. Pure and deterministic; `retire` applies it.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::inventory::{Image, Inventory, LabInventory};
use crate::arm::ResourceId;
use crate::config::{FactoryConfig, ImagePath, RetentionPolicy};

/// What retention makes of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionState {
    /// The newest image of its path in its lab: never retired.
    Current,
    /// Within `keep_latest`, or otherwise not due.
    Kept,
    /// Carries the pin tag.
    Pinned,
    /// A VM in the lab was created from it, or a formula uses it.
    InUse,
    /// Would be retired, but is younger than `min_age`.
    TooYoung,
    /// Due for retirement.
    Retire,
    /// Not the factory's to retire: no `ImagePath` tag, or a lab outside the configuration.
    Unmanaged,
}

/// Why an image is due for retirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetireReason {
    /// Newer images of its path fill `keep_latest`.
    Superseded,
    /// Its image definition no longer exists.
    RemovedDefinition,
    /// Its lab no longer subscribes to its path.
    Unsubscribed,
    /// An operator chose it (marked in the console), whatever the plan says.
    Chosen,
}

impl RetentionState {
    /// The name used in JSON and on screen.
    pub fn as_str(self) -> &'static str {
        match self {
            RetentionState::Current => "current",
            RetentionState::Kept => "kept",
            RetentionState::Pinned => "pinned",
            RetentionState::InUse => "in_use",
            RetentionState::TooYoung => "too_young",
            RetentionState::Retire => "retire",
            RetentionState::Unmanaged => "unmanaged",
        }
    }
}

impl RetireReason {
    /// The name used in JSON and on screen.
    pub fn as_str(self) -> &'static str {
        match self {
            RetireReason::Superseded => "superseded",
            RetireReason::RemovedDefinition => "removed_definition",
            RetireReason::Unsubscribed => "unsubscribed",
            RetireReason::Chosen => "chosen",
        }
    }
}

/// The decision for one image.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub image: ResourceId,
    pub name: String,
    pub image_path: Option<ImagePath>,
    pub created: Option<OffsetDateTime>,
    pub state: RetentionState,
    /// Set when `state` is `Retire`.
    pub reason: Option<RetireReason>,
    /// What a person needs to trust the decision: "3rd newest; keep_latest 2", "VM dev-alice-01".
    pub detail: String,
}

/// The decisions for one lab.
#[derive(Debug, Clone, PartialEq)]
pub struct LabPlan {
    pub lab: ResourceId,
    pub lab_name: String,
    pub subscription_id: String,
    pub managed: bool,
    /// Why the identity cannot delete here, when it cannot: the plan still shows what is due,
    /// but applying it leaves this lab out.
    pub denied: Option<String>,
    /// One per image of the lab, in the inventory's order.
    pub decisions: Vec<Decision>,
}

/// The plan across every lab.
#[derive(Debug, Clone, PartialEq)]
pub struct RetentionPlan {
    pub now: OffsetDateTime,
    pub labs: Vec<LabPlan>,
}

impl RetentionPlan {
    /// Labs with images due that applying leaves out (the identity cannot delete there), with
    /// how many and why.
    pub fn held_back(&self) -> impl Iterator<Item = (&LabPlan, usize, &str)> {
        self.labs.iter().filter_map(|l| {
            let due = l.due_count();
            let why = l.denied.as_deref()?;
            (due > 0).then_some((l, due, why))
        })
    }

    /// Every image due for retirement, with its lab.
    pub fn to_retire(&self) -> impl Iterator<Item = (&LabPlan, &Decision)> {
        self.labs.iter().flat_map(|l| {
            l.decisions
                .iter()
                .filter(|d| d.state == RetentionState::Retire)
                .map(move |d| (l, d))
        })
    }

    /// The decision for an image.
    pub fn decision(&self, image: &ResourceId) -> Option<&Decision> {
        self.labs
            .iter()
            .flat_map(|l| &l.decisions)
            .find(|d| &d.image == image)
    }

    /// How many images are in each state.
    pub fn counts(&self) -> BTreeMap<RetentionState, usize> {
        let mut counts = BTreeMap::new();
        for d in self.labs.iter().flat_map(|l| &l.decisions) {
            *counts.entry(d.state).or_insert(0) += 1;
        }
        counts
    }
}

impl LabPlan {
    /// How many of this lab's images are due.
    pub fn due_count(&self) -> usize {
        self.decisions
            .iter()
            .filter(|d| d.state == RetentionState::Retire)
            .count()
    }

    /// Whether any image of this lab is due for retirement.
    pub fn has_retirees(&self) -> bool {
        self.decisions
            .iter()
            .any(|d| d.state == RetentionState::Retire)
    }

    /// How many of this lab's images are in each state.
    pub fn counts(&self) -> BTreeMap<RetentionState, usize> {
        let mut counts = BTreeMap::new();
        for d in &self.decisions {
            *counts.entry(d.state).or_insert(0) += 1;
        }
        counts
    }
}

/// Plans retention for every lab. Without a configuration nothing is managed.
pub fn plan(
    inventory: &Inventory,
    config: Option<&FactoryConfig>,
    now: OffsetDateTime,
) -> RetentionPlan {
    let labs = inventory
        .labs()
        .map(|(_, lab)| plan_lab(lab, config, now))
        .collect();
    RetentionPlan { now, labs }
}

/// Plans retention for one lab (also used to re-plan from a fresh read just before deleting).
pub fn plan_lab(
    lab: &LabInventory,
    config: Option<&FactoryConfig>,
    now: OffsetDateTime,
) -> LabPlan {
    let scope = config.and_then(|c| LabScope::of(lab, c));
    let mut decisions: Vec<Option<Decision>> = vec![None; lab.images.len()];
    // Rank the images of each path, newest first; ties broken by name so the plan is the same
    // on every run. Images still being created or deleted are not ranked: a newer image that
    // has not finished must not push the last good one out.
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, image) in lab.images.iter().enumerate() {
        let unmanaged = match (&scope, &image.image_path) {
            (None, _) => Some(if config.is_none() {
                "no configuration loaded"
            } else {
                "lab is not in the configuration"
            }),
            (_, None) => Some("no ImagePath tag"),
            _ => None,
        };
        if let Some(why) = unmanaged {
            decisions[i] = Some(decide(image, RetentionState::Unmanaged, None, why.into()));
            continue;
        }
        if !image
            .provisioning_state
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case("Succeeded"))
        {
            let state = image.provisioning_state.as_deref().unwrap_or("?");
            decisions[i] = Some(decide(
                image,
                RetentionState::Kept,
                None,
                format!("provisioning state {state}"),
            ));
            continue;
        }
        let key = image
            .image_path
            .as_ref()
            .map(ImagePath::key)
            .unwrap_or_default();
        groups.entry(key).or_default().push(i);
    }
    if let Some(scope) = &scope {
        for indices in groups.values_mut() {
            indices.sort_by(|&a, &b| {
                let (a, b) = (&lab.images[a], &lab.images[b]);
                b.created.cmp(&a.created).then_with(|| a.name.cmp(&b.name))
            });
            for (rank, &i) in indices.iter().enumerate() {
                decisions[i] = Some(decide_managed(lab, &lab.images[i], rank, scope, now));
            }
        }
    }
    let mut decisions: Vec<Decision> = decisions
        .into_iter()
        .map(|d| d.expect("every image decided"))
        .collect();
    // A lab whose VMs or formulas could not be read would look unused: nothing there is due
    // until it reads whole.
    if !lab.complete {
        for d in decisions
            .iter_mut()
            .filter(|d| d.state == RetentionState::Retire)
        {
            d.state = RetentionState::Kept;
            d.detail = format!(
                "not planned: the lab was only partly read, so its VMs and formulas are unknown (would be {})",
                d.reason.map(RetireReason::as_str).unwrap_or("due")
            );
            d.reason = None;
        }
    }
    LabPlan {
        lab: lab.id.clone(),
        lab_name: lab.name.clone(),
        subscription_id: lab.subscription_id.clone(),
        managed: scope.is_some(),
        denied: lab.refusal().map(str::to_string),
        decisions,
    }
}

/// What the configuration says about one managed lab.
struct LabScope<'c> {
    config: &'c FactoryConfig,
    /// `None` for the factory lab, which holds every path.
    receives: Option<&'c [ImagePath]>,
}

impl<'c> LabScope<'c> {
    fn of(lab: &LabInventory, config: &'c FactoryConfig) -> Option<LabScope<'c>> {
        if config.factory.is(lab.id.as_str()) {
            return Some(LabScope {
                config,
                receives: None,
            });
        }
        let target = config.labs.iter().find(|t| t.lab.is(lab.id.as_str()))?;
        Some(LabScope {
            config,
            receives: Some(&target.image_paths),
        })
    }

    fn subscribed(&self, path: &ImagePath) -> bool {
        self.receives
            .is_none_or(|paths| paths.iter().any(|p| p.covers(path)))
    }

    fn policy(&self, path: &ImagePath) -> RetentionPolicy {
        match self.config.images.iter().find(|d| &d.path == path) {
            Some(definition) => self.config.retention.with(&definition.retention),
            None => self.config.retention.clone(),
        }
    }

    fn defined(&self, path: &ImagePath) -> bool {
        self.config.images.iter().any(|d| &d.path == path)
    }
}

fn decide_managed(
    lab: &LabInventory,
    image: &Image,
    rank: usize,
    scope: &LabScope,
    now: OffsetDateTime,
) -> Decision {
    let path = image
        .image_path
        .as_ref()
        .expect("managed images have a path");
    let policy = scope.policy(path);
    if rank == 0 {
        return decide(
            image,
            RetentionState::Current,
            None,
            "newest of its path in this lab".into(),
        );
    }
    if let Some(pin) = &image.pin {
        return decide(
            image,
            RetentionState::Pinned,
            None,
            // The state says "pinned"; the detail is the reason, as the pin tag gives it.
            pin.clone(),
        );
    }
    if policy.protect_in_use
        && let Some(user) = user_of(lab, image)
    {
        return decide(image, RetentionState::InUse, None, user);
    }
    let nth = crate::human::ordinal(rank + 1);
    let (reason, why) = if !scope.defined(path) && policy.retire_removed_definitions {
        (
            Some(RetireReason::RemovedDefinition),
            format!("{nth} newest; no image definition {path} any more"),
        )
    } else if !scope.subscribed(path) && policy.retire_unsubscribed {
        (
            Some(RetireReason::Unsubscribed),
            format!("{nth} newest; the lab no longer subscribes to {path}"),
        )
    } else if rank >= policy.keep_latest {
        (
            Some(RetireReason::Superseded),
            format!("{nth} newest; keep_latest {}", policy.keep_latest),
        )
    } else {
        (
            None,
            format!("{nth} newest; keep_latest {}", policy.keep_latest),
        )
    };
    let Some(reason) = reason else {
        return decide(image, RetentionState::Kept, None, why);
    };
    match image.created {
        Some(created) if now - created >= policy.min_age => {
            decide(image, RetentionState::Retire, Some(reason), why)
        }
        Some(created) => {
            let age = (now - created).whole_hours().max(0);
            let min = policy.min_age.as_secs() / 3600;
            decide(
                image,
                RetentionState::TooYoung,
                None,
                format!("{why}, but {age}h old and min_age is {min}h"),
            )
        }
        // An image with no creation date cannot be shown to be old enough.
        None => decide(
            image,
            RetentionState::TooYoung,
            None,
            format!("{why}, but its creation date is unknown"),
        ),
    }
}

/// Who uses an image in its lab: a VM created from it, or a formula that starts from it.
fn user_of(lab: &LabInventory, image: &Image) -> Option<String> {
    if let Some(vm) = lab
        .vms
        .iter()
        .find(|vm| vm.custom_image_id.as_ref() == Some(&image.id))
    {
        return Some(format!("VM {} was created from it", vm.name));
    }
    if lab.formula_images.iter().any(|f| f == &image.id) {
        return Some("a formula uses it".into());
    }
    None
}

fn decide(
    image: &Image,
    state: RetentionState,
    reason: Option<RetireReason>,
    detail: String,
) -> Decision {
    Decision {
        image: image.id.clone(),
        name: image.name.clone(),
        image_path: image.image_path.clone(),
        created: image.created,
        state,
        reason,
        detail,
    }
}
