//! `imagefactory retire`: the retention plan across every lab, and with `--yes`, applying it.

use std::collections::BTreeMap;

use clap::Args;
use time::OffsetDateTime;

use super::Global;
use super::context;
use super::exit::Exit;
use super::output::{
    Table, age, print_json, report_error, report_problems, report_unknown_lab, report_warning,
    rfc3339,
};
use crate::arm::ResourceId;
use crate::factory::audit::{Actor, AuditLog, state_dir};
use crate::factory::builder::journal::{self, RunState};
use crate::factory::builder::{catalogue, steps};
use crate::factory::retire::{self, Guard, RetireOutcome, RetireResult, RetireTarget};
use crate::factory::{Inventory, RetentionPlan, RetentionState, RetireReason, retention};

/// Options of `retire`.
#[derive(Debug, Args)]
pub struct RetireArgs {
    /// Only this lab (its name, case-insensitive).
    #[arg(long, value_name = "NAME")]
    pub lab: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Delete the images the plan retires (without it, nothing is deleted).
    #[arg(long)]
    pub yes: bool,
    /// Retire these images (resource ids) instead of the plan's, whatever the plan says; each
    /// is checked again first, and pinned or in-use ones are skipped.
    #[arg(long = "image", value_name = "IMAGE_ID")]
    pub images: Vec<String>,
    /// With --image: also delete images that retention would never retire (the newest of their
    /// path in their lab, or not the factory's). Without it they are refused.
    #[arg(long, requires = "images")]
    pub include_unusual: bool,
}

#[derive(serde::Serialize)]
struct LabJson<'a> {
    subscription_id: &'a str,
    subscription_name: &'a str,
    lab: &'a str,
    lab_id: &'a str,
    managed: bool,
    /// Why applying the plan leaves this lab out (the identity cannot delete there).
    denied: Option<&'a str>,
    counts: BTreeMap<&'static str, usize>,
    images: Vec<DecisionJson<'a>>,
}

#[derive(serde::Serialize)]
struct DecisionJson<'a> {
    id: &'a str,
    name: &'a str,
    image_path: Option<&'a str>,
    created: Option<String>,
    state: &'static str,
    reason: Option<&'static str>,
    detail: &'a str,
}

#[derive(serde::Serialize)]
struct ResultJson<'a> {
    id: &'a str,
    lab: &'a str,
    name: &'a str,
    reason: &'static str,
    state: Option<&'static str>,
    result: &'static str,
    detail: Option<String>,
}

pub async fn run(global: &Global, args: RetireArgs) -> Exit {
    let (context, inventory) = match context::inventory(global).await {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let Some(config) = context.config.as_ref() else {
        report_error(
            "retire needs a factory configuration: it says which labs are the factory's and what the policy is. Pass --config FILE or see README (Configuration)",
        );
        return Exit::Usage;
    };
    let mut plan = retention::plan(&inventory, Some(config), OffsetDateTime::now_utc());
    if let Some(name) = &args.lab
        && !plan
            .labs
            .iter()
            .any(|l| l.lab_name.eq_ignore_ascii_case(name))
    {
        report_unknown_lab(name, &inventory);
        return Exit::Usage;
    }
    report_problems(&inventory.problems);
    if !args.images.is_empty() {
        return retire_chosen(&args, &context, &inventory, &plan).await;
    }
    if let Some(name) = &args.lab {
        plan.labs.retain(|l| l.lab_name.eq_ignore_ascii_case(name));
    }
    let targets = retire::targets_from_plan(&plan);
    let due = targets.len();
    let held_back: usize = plan.held_back().map(|(_, n, _)| n).sum();
    // The catalogue is trimmed with the whole estate, not for one lab.
    let trims = if args.lab.is_none() {
        catalogue_trims(&context.client, config).await
    } else {
        Vec::new()
    };
    if !args.yes {
        let written = if args.json {
            let mut doc = plan_json(&inventory, &plan, None);
            doc["catalogue"] = serde_json::to_value(&trims).unwrap_or_default();
            print_json(&doc)
        } else {
            print_plan(&inventory, &plan).and_then(|()| print_trims(&trims))
        };
        if let Err(e) = written {
            report_error(&format!("cannot write the output: {e}"));
            return Exit::Failure;
        }
        if !args.json && held_back > 0 {
            say!();
            for (lab, n, why) in plan.held_back() {
                say!(
                    "Left out: {} due in {} will not be deleted: {why}",
                    crate::human::count(n, "image"),
                    lab.lab_name
                );
            }
        }
        if !args.json && due > 0 {
            let lab = args
                .lab
                .as_deref()
                .map(|l| format!(" --lab {l}"))
                .unwrap_or_default();
            say!(
                "\nNothing was deleted. `imagefactory retire{lab} --yes` retires {}.",
                match due {
                    1 => "this image".to_string(),
                    n => format!("these {n} images"),
                }
            );
        }
        return if inventory.is_complete() {
            Exit::Ok
        } else {
            Exit::Partial
        };
    }
    let outcomes = match apply_targets(&args, &context, &inventory, &plan, &targets).await {
        Ok(outcomes) => outcomes,
        Err(exit) => return exit,
    };
    let trimmed = apply_trims(&context.client, config, &trims, args.json).await;
    let retired = outcomes
        .iter()
        .filter(|o| matches!(o.result, RetireResult::Retired))
        .count();
    if args.json {
        let mut doc = plan_json(&inventory, &plan, Some(&outcomes));
        doc["catalogue"] = serde_json::to_value(&trimmed).unwrap_or_default();
        if let Err(e) = print_json(&doc) {
            report_error(&format!("cannot write the output: {e}"));
            return Exit::Failure;
        }
    } else {
        let skipped = outcomes
            .iter()
            .filter(|o| matches!(o.result, RetireResult::Skipped(_)))
            .count();
        let failed = outcomes.len() - retired - skipped;
        say!("\nRetired {retired} of {due}; skipped {skipped}; failed {failed}.");
        if held_back > 0 {
            say!("Left out {held_back} due images where the identity cannot delete.");
        }
    }
    annotate_failures(&outcomes);
    let trim_failed = trimmed.iter().any(|t| t.result != "removed");
    if retired == due && held_back == 0 && inventory.is_complete() && !trim_failed {
        Exit::Ok
    } else {
        Exit::Partial
    }
}

/// Retires `targets` (each checked again first), printing each outcome as it settles and
/// auditing every attempt; ctrl-c or SIGTERM stops it cleanly. Refuses in read-only mode.
async fn apply_targets(
    args: &RetireArgs,
    context: &context::Context,
    inventory: &Inventory,
    plan: &RetentionPlan,
    targets: &[RetireTarget],
) -> Result<Vec<RetireOutcome>, Exit> {
    if context.client.read_only() {
        report_error(&format!(
            "read-only mode: nothing was changed ({} would be retired)",
            crate::human::count(targets.len(), "image")
        ));
        return Err(Exit::Usage);
    }
    let audit = AuditLog::open(&state_dir()).map_err(|e| {
        report_error(&e.to_string());
        Exit::Failure
    })?;
    let actor = Actor::current(&context.client).await;
    if !args.json {
        say!(
            "Retiring {} (audit log: {})",
            crate::human::count(targets.len(), "image"),
            audit.path().display()
        );
    }
    let live = |o: &RetireOutcome| print_outcome(o, args.json);
    Ok(retire::apply(
        &context.client,
        inventory,
        context.config.as_ref(),
        targets,
        plan.now,
        &audit,
        &actor,
        &context::stop_on_interrupt(),
        &live,
    )
    .await)
}

/// One image's outcome, as it settles (people only; JSON gets them all at the end).
fn print_outcome(o: &RetireOutcome, json: bool) {
    if json {
        return;
    }
    let detail = o
        .result
        .detail()
        .map(|d| format!(": {d}"))
        .unwrap_or_default();
    // A reader that went away (`| head`) must not stop the deletes in flight or their audit:
    // what cannot be written is dropped.
    say!("  {:<8} {} / {}{detail}", o.result.as_str(), o.lab, o.name);
}

/// Failed deletes as the pipeline's own error annotations (skips are warnings: nothing broke).
fn annotate_failures(outcomes: &[RetireOutcome]) {
    for o in outcomes {
        match &o.result {
            RetireResult::Failed(e) => {
                report_error(&format!("retiring {} in {} failed: {e}", o.name, o.lab))
            }
            RetireResult::Skipped(why) => {
                report_warning(&format!("{} in {} skipped: {why}", o.name, o.lab))
            }
            RetireResult::Retired => {}
        }
    }
}

/// `retire --image ID...`: the images an operator names, whatever the plan says. Images that
/// retention would never retire are refused unless `--include-unusual` says so explicitly.
async fn retire_chosen(
    args: &RetireArgs,
    context: &context::Context,
    inventory: &Inventory,
    plan: &RetentionPlan,
) -> Exit {
    let mut targets = Vec::new();
    let mut unusual = Vec::new();
    for text in &args.images {
        let id = ResourceId::new(text.trim());
        let found = inventory
            .labs()
            .find_map(|(_, lab)| lab.images.iter().find(|i| i.id == id).map(|i| (lab, i)));
        let Some((lab, image)) = found else {
            report_error(&format!(
                "no custom image {text} in any visible lab: check the id (`imagefactory images --json` lists them)"
            ));
            return Exit::Usage;
        };
        // --lab bounds what may be deleted, with --image as without.
        if let Some(only) = &args.lab
            && !lab.name.eq_ignore_ascii_case(only)
        {
            report_error(&format!(
                "{} is in lab {}, not in --lab {only}; nothing was deleted",
                image.name, lab.name
            ));
            return Exit::Usage;
        }
        let state = plan.decision(&image.id).map(|d| d.state);
        if let Some(warning) = state.and_then(RetentionState::unusual_warning) {
            unusual.push(format!(
                "{} / {} is {}: {warning}",
                lab.name,
                image.name,
                state.map(RetentionState::as_str).unwrap_or_default()
            ));
        }
        targets.push(RetireTarget {
            lab: lab.id.clone(),
            image: image.id.clone(),
            name: image.name.clone(),
            image_path: image.image_path.clone(),
            reason: RetireReason::Chosen,
            guard: Guard::Chosen {
                unusual: args.include_unusual,
            },
        });
    }
    if !unusual.is_empty() && !args.include_unusual {
        for line in &unusual {
            report_error(line);
        }
        report_error(&format!(
            "refused: {} chosen retention would never retire; nothing was deleted. Add --include-unusual to delete them on purpose.",
            crate::human::count(unusual.len(), "image")
        ));
        return Exit::Usage;
    }
    if !args.yes {
        for t in &targets {
            let state = plan
                .decision(&t.image)
                .map(|d| format!("{} ({})", d.state.as_str(), d.detail))
                .unwrap_or_default();
            say!("{} / {}: {state}", t.lab.name(), t.name);
        }
        say!(
            "\nNothing was deleted. Add --yes to retire {}.",
            crate::human::count(targets.len(), "image")
        );
        return Exit::Ok;
    }
    let outcomes = match apply_targets(args, context, inventory, plan, &targets).await {
        Ok(outcomes) => outcomes,
        Err(exit) => return exit,
    };
    if args.json
        && let Err(e) = print_json(&plan_json(inventory, plan, Some(&outcomes)))
    {
        report_error(&format!("cannot write the output: {e}"));
        return Exit::Failure;
    }
    annotate_failures(&outcomes);
    if outcomes
        .iter()
        .all(|o| matches!(o.result, RetireResult::Retired))
    {
        Exit::Ok
    } else {
        Exit::Partial
    }
}

fn plan_json<'a>(
    inventory: &'a Inventory,
    plan: &'a RetentionPlan,
    outcomes: Option<&'a [RetireOutcome]>,
) -> serde_json::Value {
    let labs: Vec<LabJson> = plan
        .labs
        .iter()
        .filter_map(|l| {
            let (sub, lab) = inventory.labs().find(|(_, lab)| lab.id == l.lab)?;
            Some(LabJson {
                subscription_id: &sub.id,
                subscription_name: &sub.name,
                lab: &lab.name,
                lab_id: lab.id.as_str(),
                managed: l.managed,
                denied: l.denied.as_deref(),
                counts: l
                    .counts()
                    .into_iter()
                    .map(|(s, n)| (s.as_str(), n))
                    .collect(),
                images: l
                    .decisions
                    .iter()
                    .map(|d| DecisionJson {
                        id: d.image.as_str(),
                        name: &d.name,
                        image_path: d.image_path.as_ref().map(|p| p.as_str()),
                        created: d.created.map(rfc3339),
                        state: d.state.as_str(),
                        reason: d.reason.map(|r| r.as_str()),
                        detail: &d.detail,
                    })
                    .collect(),
            })
        })
        .collect();
    let totals: BTreeMap<&str, usize> = plan
        .counts()
        .into_iter()
        .map(|(s, n)| (s.as_str(), n))
        .collect();
    let mut doc = serde_json::json!({ "now": rfc3339(plan.now), "totals": totals, "labs": labs });
    if let Some(outcomes) = outcomes {
        let results: Vec<ResultJson> = outcomes
            .iter()
            .map(|o| ResultJson {
                id: o.image.as_str(),
                lab: &o.lab,
                name: &o.name,
                reason: o.reason.as_str(),
                state: o.state.map(RetentionState::as_str),
                result: o.result.as_str(),
                detail: o.result.detail(),
            })
            .collect();
        doc["results"] = serde_json::to_value(results).unwrap_or_default();
    }
    doc
}

/// The plan for people: per subscription and lab, the counts, then every image that retention
/// acts on or protects, with the reason.
fn print_plan(inventory: &Inventory, plan: &RetentionPlan) -> std::io::Result<()> {
    const SHOWN: [RetentionState; 4] = [
        RetentionState::Retire,
        RetentionState::TooYoung,
        RetentionState::Pinned,
        RetentionState::InUse,
    ];
    let mut current_sub = "";
    for lab_plan in &plan.labs {
        let Some((sub, lab)) = inventory.labs().find(|(_, l)| l.id == lab_plan.lab) else {
            continue;
        };
        if sub.name != current_sub {
            current_sub = &sub.name;
            say!("\n{} ({})", sub.name, sub.id);
        }
        let counts = lab_plan.counts();
        let n = |s: RetentionState| counts.get(&s).copied().unwrap_or(0);
        if !lab_plan.managed {
            say!(
                "  {} ({}): not managed by this factory; {} images left alone",
                lab.name,
                lab.location,
                lab_plan.decisions.len()
            );
            continue;
        }
        let due = n(RetentionState::Retire);
        say!(
            "  {} ({}): retire {due}, leaving {} (current {}, kept {}, pinned {}, in use {}, too young {}, unmanaged {})",
            lab.name,
            lab.location,
            lab_plan.decisions.len() - due,
            n(RetentionState::Current),
            n(RetentionState::Kept),
            n(RetentionState::Pinned),
            n(RetentionState::InUse),
            n(RetentionState::TooYoung),
            n(RetentionState::Unmanaged)
        );
        let mut table = Table::new(vec!["    STATE", "IMAGE PATH", "NAME", "AGE", "WHY"]);
        for d in lab_plan
            .decisions
            .iter()
            .filter(|d| SHOWN.contains(&d.state))
        {
            let state = match d.reason {
                Some(r) => format!("    {} ({})", d.state.as_str(), r.as_str()),
                None => format!("    {}", d.state.as_str()),
            };
            table.row(vec![
                state,
                d.image_path
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                d.name.clone(),
                age(d.created, plan.now),
                d.detail.clone(),
            ]);
        }
        if lab_plan.decisions.iter().any(|d| SHOWN.contains(&d.state)) {
            table.print()?;
        }
    }
    let totals = plan.counts();
    let labs = plan.labs.iter().filter(|l| l.has_retirees()).count();
    say!(
        "\nTotal: retire {} in {}; protected: {} pinned, {} in use, {} too young.",
        crate::human::count(
            totals.get(&RetentionState::Retire).copied().unwrap_or(0),
            "image"
        ),
        crate::human::count(labs, "lab"),
        totals.get(&RetentionState::Pinned).copied().unwrap_or(0),
        totals.get(&RetentionState::InUse).copied().unwrap_or(0),
        totals.get(&RetentionState::TooYoung).copied().unwrap_or(0)
    );
    Ok(())
}

/// What retention trims from the catalogue (nothing when it cannot be read, with a warning).
async fn catalogue_trims(
    client: &crate::arm::ArmClient,
    config: &crate::config::FactoryConfig,
) -> Vec<catalogue::Trim> {
    // Reading the catalogue takes the account's keys (a POST), which read-only mode refuses.
    if client.read_only() {
        return Vec::new();
    }
    let entries = match catalogue::read(client, &config.factory, config.build.storage_auth).await {
        Ok(entries) => entries,
        Err(e) => {
            report_warning(&format!(
                "the catalogue is left as it is: cannot read it ({e})"
            ));
            return Vec::new();
        }
    };
    let running: Vec<RunState> = journal::list(&journal::dir())
        .into_iter()
        .filter_map(|(_, path)| RunState::fold(&journal::read(&path).ok()?))
        .filter(|s| {
            crate::factory::builder::background::liveness(s)
                == crate::factory::builder::background::Liveness::Running
        })
        .collect();
    let needed = |entry: &catalogue::CatalogueEntry| {
        running.iter().find_map(|run| {
            run.images
                .iter()
                .any(|i| i.image_name == entry.image_name && !i.stage.is_final())
                .then(|| format!("run {} is distributing it", run.run))
        })
    };
    catalogue::trim(config, &entries, &needed)
}

fn print_trims(trims: &[catalogue::Trim]) -> std::io::Result<()> {
    if trims.is_empty() {
        return Ok(());
    }
    say!("\nCatalogue (captured VHDs in the factory lab's storage):");
    let mut table = Table::new(vec!["ACTION", "VHD", "PATH", "CAPTURED", "WHY"]);
    for t in trims {
        table.row(vec![
            if t.remove { "delete" } else { "keep" }.into(),
            t.blob.clone(),
            t.entry.path.to_string(),
            t.entry.created.clone(),
            t.why.clone(),
        ]);
    }
    table.print()
}

#[derive(serde::Serialize)]
struct TrimResult<'a> {
    #[serde(flatten)]
    trim: &'a catalogue::Trim,
    result: String,
}

/// Deletes the catalogue VHDs `trims` removes, auditing each.
async fn apply_trims<'a>(
    client: &crate::arm::ArmClient,
    config: &crate::config::FactoryConfig,
    trims: &'a [catalogue::Trim],
    json: bool,
) -> Vec<TrimResult<'a>> {
    let removals: Vec<&catalogue::Trim> = trims.iter().filter(|t| t.remove).collect();
    if removals.is_empty() {
        return Vec::new();
    }
    let account = match steps::lab_storage(client, &config.factory, config.build.storage_auth).await
    {
        Ok(a) => a,
        Err(e) => {
            report_error(&format!("cannot reach the catalogue: {e}"));
            return removals
                .into_iter()
                .map(|trim| TrimResult {
                    trim,
                    result: format!("failed: {e}"),
                })
                .collect();
        }
    };
    let actor = Actor::current(client).await;
    let audit = match AuditLog::open(&state_dir()) {
        Ok(a) => a,
        Err(e) => {
            report_error(&e.to_string());
            return removals
                .into_iter()
                .map(|trim| TrimResult {
                    trim,
                    result: format!("not deleted: {e}"),
                })
                .collect();
        }
    };
    let mut results = Vec::new();
    for trim in removals {
        let deleted = async {
            let url = account.blob(
                steps::CATALOGUE_CONTAINER,
                &trim.blob,
                crate::arm::storage::Access::Delete,
                crate::arm::storage::SHORT_SAS,
            )?;
            crate::arm::storage::blob::delete(&url).await
        }
        .await;
        let result = match &deleted {
            Ok(_) => "removed".to_string(),
            Err(e) => format!("failed: {e}"),
        };
        {
            let _ = audit.record(&crate::factory::audit::AuditEntry {
                at: OffsetDateTime::now_utc(),
                who: &actor,
                action: "trim-catalogue",
                image: &trim.blob,
                lab: &config.factory.name,
                image_path: Some(trim.entry.path.as_str()),
                state: None,
                why: &trim.why,
                result: if deleted.is_ok() { "removed" } else { "failed" },
                detail: deleted.as_ref().err().map(|_| result.as_str()),
            });
        }
        if !json {
            say!("catalogue {}: {result}", trim.blob);
        }
        if deleted.is_err() {
            report_error(&format!("catalogue {}: {result}", trim.blob));
        }
        results.push(TrimResult { trim, result });
    }
    results
}
