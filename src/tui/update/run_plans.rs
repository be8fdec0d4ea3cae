//! Planning a run from the console: the definitions marked (or all), `:build PATH...`,
//! `:distribute [LAB]`, and the plan's confirmation with what it makes, skips and why, and
//! the errors that stop it. The plan itself is made by an effect (it reads what the factory
//! lab offers, or the catalogue).

use super::super::effect::Effect;
use super::super::model::{Confirm, ConfirmAction, Data, Level, Model, Overlay};
use crate::factory::builder::{BuildPlan, Selection};

/// The definitions marked in the Definitions view; none marked: all of them.
fn marked_selection(model: &Model) -> Selection {
    let Some(config) = &model.config else {
        return Selection::All;
    };
    let marked: Vec<_> = config
        .images
        .iter()
        .filter(|d| model.marks.contains(&def_mark(&d.path)))
        .map(|d| d.path.clone())
        .collect();
    if marked.is_empty() {
        Selection::All
    } else {
        Selection::Paths(marked)
    }
}

/// The mark of a definition (marks are otherwise image ids).
pub fn def_mark(path: &crate::config::ImagePath) -> String {
    format!("def:{}", path.key())
}

/// `b`: plans a build of the marked definitions (all when none is marked).
pub fn build(model: &mut Model, selection: Option<Selection>) -> Vec<Effect> {
    if model.config.is_none() {
        model.flash(
            Level::Warn,
            "building needs a factory configuration: pass --config FILE or create ./factory.toml",
        );
        return Vec::new();
    }
    let Some(inventory) = inventory_for_plan(model) else {
        return Vec::new();
    };
    let selection = selection.unwrap_or_else(|| marked_selection(model));
    let mut effects = superseded_plan(model);
    let req = model.request("run-plan");
    let what = match &selection {
        Selection::All => "every definition".to_string(),
        Selection::Paths(p) => crate::human::count(p.len(), "definition"),
    };
    model.flash(Level::Info, format!("planning a build of {what}…"));
    effects.push(Effect::PlanBuild(req, inventory, selection));
    effects
}

/// `:build PATH...`: the paths must be definitions (a typo gets the nearest one).
pub fn build_paths(model: &mut Model, words: &str) -> Vec<Effect> {
    let Some(config) = &model.config else {
        return build(model, None);
    };
    let mut paths = Vec::new();
    for word in words.split_whitespace() {
        match config
            .images
            .iter()
            .find(|d| d.path.key() == word.to_ascii_lowercase())
        {
            Some(d) => paths.push(d.path.clone()),
            None => {
                let known: Vec<&str> = config.images.iter().map(|d| d.path.as_str()).collect();
                let hint = crate::human::nearest(word, &known)
                    .map(|n| format!("; did you mean {n}?"))
                    .unwrap_or_default();
                model.flash(Level::Error, format!("no image definition {word}{hint}"));
                return Vec::new();
            }
        }
    }
    let selection = if paths.is_empty() {
        None
    } else {
        Some(Selection::Paths(paths))
    };
    build(model, selection)
}

/// `:distribute [LAB]`: plans copies from the catalogue to labs that miss retained images.
pub fn distribute(model: &mut Model, lab: &str) -> Vec<Effect> {
    let Some(config) = &model.config else {
        model.flash(
            Level::Warn,
            "distributing needs a factory configuration: pass --config FILE or create ./factory.toml",
        );
        return Vec::new();
    };
    let lab = lab.trim();
    let only = if lab.is_empty() {
        None
    } else {
        let names: Vec<&str> = config.labs.iter().map(|l| l.lab.name.as_str()).collect();
        match names.iter().find(|n| n.eq_ignore_ascii_case(lab)) {
            Some(n) => Some(n.to_string()),
            None => {
                let hint = crate::human::nearest(lab, &names)
                    .map(|n| format!("; did you mean {n}?"))
                    .unwrap_or_default();
                model.flash(
                    Level::Error,
                    format!("no target lab {lab} in the configuration{hint}"),
                );
                return Vec::new();
            }
        }
    };
    let Some(inventory) = inventory_for_plan(model) else {
        return Vec::new();
    };
    let mut effects = superseded_plan(model);
    let req = model.request("run-plan");
    model.flash(Level::Info, "reading the catalogue…");
    effects.push(Effect::PlanDistribution(req, inventory, only));
    effects
}

/// The inventory a plan starts from, or a word that it is still being read.
fn inventory_for_plan(model: &mut Model) -> Option<Box<crate::factory::Inventory>> {
    // A lab not read yet looks empty: a plan made on it would copy what it already has.
    let reading = model.data.as_ref().map(Data::labs_reading).unwrap_or(0);
    if reading > 0 {
        model.flash(
            Level::Warn,
            format!(
                "{} still being read: plan once the header says the inventory is read",
                crate::human::count(reading, "lab")
            ),
        );
        return None;
    }
    match &model.data {
        Some(data) => Some(Box::new(data.inventory.clone())),
        None => {
            model.flash(
                Level::Warn,
                "the inventory is still being read: try again in a moment",
            );
            None
        }
    }
}

/// A plan still being made when another is asked for is not needed any more: stop it.
fn superseded_plan(model: &Model) -> Vec<Effect> {
    model
        .pending
        .get("run-plan")
        .map(|old| Effect::Cancel(*old))
        .into_iter()
        .collect()
}

/// A plan arrived: its confirmation shows what it would make, what it skips and why, and the
/// errors that stop it.
pub fn plan_ready(
    model: &mut Model,
    req: u64,
    distribution: bool,
    plan: Result<Box<BuildPlan>, String>,
) -> Vec<Effect> {
    if !model.settle("run-plan", req) {
        return Vec::new();
    }
    // "planning…" has been answered.
    model.flash = None;
    let plan = match plan {
        Ok(plan) => plan,
        Err(e) => {
            model.flash(Level::Error, format!("cannot plan: {e}"));
            return Vec::new();
        }
    };
    if plan.jobs.is_empty() && plan.errors.is_empty() {
        let text = if distribution {
            "every lab has the retained versions of the paths it subscribes to; nothing to distribute"
        } else {
            "nothing to build: no selected definition has a lab that receives it"
        };
        model.flash(Level::Info, text);
        return Vec::new();
    }
    let labs: std::collections::BTreeSet<String> = plan
        .jobs
        .iter()
        .flat_map(|j| j.targets.iter().map(|t| t.lab.name.to_ascii_lowercase()))
        .collect();
    let copies: usize = plan.jobs.iter().map(|j| j.targets.len()).sum();
    let title = if distribution {
        format!(
            "Distribute {} from the catalogue: {} to {}",
            crate::human::count(plan.jobs.len(), "image"),
            crate::human::count(copies, "copy"),
            crate::human::count(labs.len(), "lab")
        )
    } else {
        format!(
            "Build {}: {} in {}, then {} in {}",
            crate::human::count(plan.jobs.len(), "definition"),
            crate::human::count(plan.jobs.len(), "VM"),
            plan.factory.name,
            crate::human::count(copies, "image"),
            crate::human::count(labs.len(), "lab")
        )
    };
    let items = plan
        .jobs
        .iter()
        .map(|j| {
            let to: Vec<&str> = j.targets.iter().map(|t| t.lab.name.as_str()).collect();
            if distribution {
                format!("{} ({}) → {}", j.path, j.image_name, to.join(", "))
            } else {
                format!(
                    "{}: {}/{} + {} → {}",
                    j.path,
                    j.base.offer,
                    j.base.sku,
                    crate::human::count(j.artifacts.len(), "artifact"),
                    to.join(", ")
                )
            }
        })
        .collect();
    let notes = plan
        .skipped
        .iter()
        .map(|s| {
            format!(
                "skipped {} → {}: {}",
                s.path,
                s.lab.as_deref().unwrap_or("every lab"),
                s.why
            )
        })
        .collect();
    let mut blockers: Vec<String> = Vec::new();
    for e in &plan.errors {
        let text = match &e.path {
            Some(p) => format!("{p}: {}", e.message),
            None => e.message.clone(),
        };
        // One missing source can fail several artifacts: say it once.
        if !blockers.contains(&text) {
            blockers.push(text);
        }
    }
    let action = ConfirmAction::StartRun { plan, distribution };
    let mut confirm = Confirm::new(action, title, items);
    let mut notes: Vec<String> = notes;
    if model.identity.demo {
        notes.push(
            "--demo: the emulator lives in this console, so quitting it ends this run's Azure (use `imagefactory sim` for runs that outlive the console)".into(),
        );
    }
    confirm.notes = notes;
    confirm.blockers = blockers;
    model.overlay = Overlay::Confirm(Box::new(confirm));
    model.dirty = true;
    Vec::new()
}
