//! `imagefactory retire`: the retention plan across every lab, and with `--yes`, applying it.

use std::collections::BTreeMap;

use clap::Args;
use time::OffsetDateTime;

use super::Global;
use super::context;
use super::exit::Exit;
use super::output::{
    Table, age, print_json, report_error, report_problems, report_unknown_lab, rfc3339,
};
use crate::factory::audit::{Actor, AuditLog, state_dir};
use crate::factory::retire::{self, RetireOutcome, RetireResult};
use crate::factory::{Inventory, RetentionPlan, RetentionState, retention};

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
}

#[derive(serde::Serialize)]
struct LabJson<'a> {
    subscription_id: &'a str,
    subscription_name: &'a str,
    lab: &'a str,
    lab_id: &'a str,
    managed: bool,
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
    if let Some(name) = &args.lab {
        plan.labs.retain(|l| l.lab_name.eq_ignore_ascii_case(name));
        if plan.labs.is_empty() {
            report_unknown_lab(name, &inventory);
            return Exit::Usage;
        }
    }
    report_problems(&inventory.problems);
    let due = plan.to_retire().count();
    if !args.yes {
        let written = if args.json {
            print_json(&plan_json(&inventory, &plan, None))
        } else {
            print_plan(&inventory, &plan)
        };
        if let Err(e) = written {
            report_error(&format!("cannot write the output: {e}"));
            return Exit::Failure;
        }
        if !args.json && due > 0 {
            let lab = args
                .lab
                .as_deref()
                .map(|l| format!(" --lab {l}"))
                .unwrap_or_default();
            println!(
                "\nNothing was deleted. `imagefactory retire{lab} --yes` retires these {due} images."
            );
        }
        return if inventory.is_complete() {
            Exit::Ok
        } else {
            Exit::Partial
        };
    }
    if context.client.read_only() {
        report_error(&format!(
            "read-only mode: nothing was changed ({due} images would be retired)"
        ));
        return Exit::Usage;
    }
    let audit = match AuditLog::open(&state_dir()) {
        Ok(a) => a,
        Err(e) => {
            report_error(&e.to_string());
            return Exit::Failure;
        }
    };
    let actor = Actor::of(&context.client);
    if !args.json {
        println!(
            "Retiring {due} images (audit log: {})",
            audit.path().display()
        );
    }
    let live = |o: &RetireOutcome| {
        if !args.json {
            let detail = o
                .result
                .detail()
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            println!("  {:<8} {} / {}{detail}", o.result.as_str(), o.lab, o.name);
        }
    };
    let targets = retire::targets_from_plan(&plan);
    let outcomes = retire::apply(
        &context.client,
        &inventory,
        Some(config),
        &targets,
        plan.now,
        &audit,
        &actor,
        &live,
    )
    .await;
    let retired = outcomes
        .iter()
        .filter(|o| matches!(o.result, RetireResult::Retired))
        .count();
    if args.json {
        if let Err(e) = print_json(&plan_json(&inventory, &plan, Some(&outcomes))) {
            report_error(&format!("cannot write the output: {e}"));
            return Exit::Failure;
        }
    } else {
        let skipped = outcomes
            .iter()
            .filter(|o| matches!(o.result, RetireResult::Skipped(_)))
            .count();
        let failed = outcomes.len() - retired - skipped;
        println!("\nRetired {retired} of {due}; skipped {skipped}; failed {failed}.");
    }
    if retired == due && inventory.is_complete() {
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
            println!("\n{} ({})", sub.name, sub.id);
        }
        let counts = lab_plan.counts();
        let n = |s: RetentionState| counts.get(&s).copied().unwrap_or(0);
        if !lab_plan.managed {
            println!(
                "  {} ({}): not managed by this factory; {} images left alone",
                lab.name,
                lab.location,
                lab_plan.decisions.len()
            );
            continue;
        }
        let due = n(RetentionState::Retire);
        println!(
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
    println!(
        "\nTotal: retire {} images in {labs} labs; protected: {} pinned, {} in use, {} too young.",
        totals.get(&RetentionState::Retire).copied().unwrap_or(0),
        totals.get(&RetentionState::Pinned).copied().unwrap_or(0),
        totals.get(&RetentionState::InUse).copied().unwrap_or(0),
        totals.get(&RetentionState::TooYoung).copied().unwrap_or(0)
    );
    Ok(())
}
