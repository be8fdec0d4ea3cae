//! `clean`: the janitor. Shows what runs that are no longer running left behind (build VMs,
//! their disks' read access, staging blobs, unfinished captures); with `--yes`, removes it.

use clap::Args;
use serde::Serialize;

use super::Global;
use super::exit::Exit;
use super::output::{Table, print_json, report_error, report_warning};
use crate::arm::storage::{Access, blob};
use crate::arm::{ArmClient, ArmError, Begun};
use crate::config::{FactoryConfig, LabRef};
use crate::factory::audit::{Actor, AuditEntry, AuditLog};
use crate::factory::builder::background::{Liveness, liveness};
use crate::factory::builder::janitor::{
    self, BlobPlace, BlobSeen, CleanPlan, Item, RunLiveness, VmSeen,
};
use crate::factory::builder::journal::{self, RunState};
use crate::factory::builder::steps::{self, CATALOGUE_CONTAINER, STAGING_CONTAINER};

#[derive(Debug, Args)]
pub struct CleanArgs {
    /// Remove what the preview lists (without it, nothing is changed).
    #[arg(long)]
    pub yes: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Outcome<'a> {
    item: &'a Item,
    result: String,
}

pub async fn run(global: &Global, args: CleanArgs) -> Exit {
    let (context, config) = match super::context::with_config(
        global,
        "clean needs the factory configuration (its factory lab and target labs)",
    ) {
        Ok(found) => found,
        Err(exit) => return exit,
    };
    let client = &context.client;
    let inventory = match super::context::read_inventory(&context).await {
        Ok(i) => i,
        Err(exit) => return exit,
    };
    let vms: Vec<VmSeen> = inventory
        .labs()
        .map(|(_, l)| l)
        .filter(|l| config.factory.is(l.id.as_str()))
        .flat_map(|l| l.vms.iter())
        .map(|v| VmSeen {
            id: v.id.as_str().to_string(),
            name: v.name.clone(),
            tags: v.tags.clone(),
            created: v.created,
        })
        .collect();
    let blobs = read_blobs(client, &config).await;
    let runs: Vec<RunState> = journal::list(&journal::dir())
        .into_iter()
        .filter_map(|(_, path)| RunState::fold(&journal::read(&path).ok()?))
        .collect();
    let live = |run: &str| match runs
        .iter()
        .find(|r| r.run.as_str().eq_ignore_ascii_case(run))
    {
        None => RunLiveness::Unknown,
        Some(state) => match liveness(state) {
            Liveness::Running => RunLiveness::Running,
            Liveness::Elsewhere => RunLiveness::Unknown,
            Liveness::Finished | Liveness::Stopped => RunLiveness::Over,
        },
    };
    let b = &config.build;
    let grace = b.vm_timeout
        + b.generalize_timeout
        + b.capture_timeout
        + b.copy_timeout
        + b.image_timeout
        + b.cleanup_timeout;
    let plan = janitor::plan(&vms, &blobs, &live, time::OffsetDateTime::now_utc(), grace);
    if !args.yes {
        if args.json {
            let _ = print_json(&plan);
        } else {
            print_plan(&plan);
            if !plan.remove.is_empty() {
                say!("\nnothing was changed; `imagefactory clean --yes` removes the above");
            }
        }
        return Exit::Ok;
    }
    let actor = Actor::current(client).await;
    let audit = match AuditLog::open(&crate::paths::state_dir()) {
        Ok(a) => a,
        Err(e) => {
            report_error(&e.to_string());
            return Exit::Failure;
        }
    };
    let mut outcomes = Vec::new();
    for item in &plan.remove {
        let result = remove(client, &config, item).await;
        let text = match &result {
            Ok(()) => "removed".to_string(),
            Err(e) => format!("failed: {e}"),
        };
        let (name, lab) = match item {
            Item::Vm { name, .. } => (name.as_str(), config.factory.name.as_str()),
            Item::Blob { name, lab, .. } => (name.as_str(), lab.as_str()),
        };
        let recorded = audit.record(&AuditEntry {
            at: time::OffsetDateTime::now_utc(),
            who: &actor,
            action: "clean",
            image: name,
            lab,
            image_path: None,
            state: None,
            why: item.why(),
            result: if result.is_ok() { "removed" } else { "failed" },
            detail: result.as_ref().err().map(String::as_str),
        });
        if let Err(e) = recorded {
            report_error(&e.to_string());
            return Exit::Failure;
        }
        if !args.json {
            say!("{name} ({lab}): {text}");
        }
        outcomes.push(Outcome { item, result: text });
    }
    if args.json {
        let _ = print_json(&outcomes);
    }
    if outcomes.iter().any(|o| o.result != "removed") {
        for o in outcomes.iter().filter(|o| o.result != "removed") {
            report_error(&o.result);
        }
        return Exit::Partial;
    }
    Exit::Ok
}

fn print_plan(plan: &CleanPlan) {
    if plan.remove.is_empty() && plan.keep.is_empty() {
        say!("nothing left behind by any run");
        return;
    }
    let mut table = Table::new(vec!["ACTION", "WHAT", "WHERE", "WHY"]);
    let rows = plan
        .remove
        .iter()
        .map(|i| ("remove", i))
        .chain(plan.keep.iter().map(|i| ("keep", i)));
    for (action, item) in rows {
        let (what, place) = match item {
            Item::Vm { name, .. } => (format!("VM {name}"), "factory lab".to_string()),
            Item::Blob {
                lab, place, name, ..
            } => (
                format!("blob {name}"),
                format!(
                    "{lab} {}",
                    match place {
                        BlobPlace::Catalogue => "catalogue",
                        BlobPlace::Staging => "staging",
                    }
                ),
            ),
        };
        table.row(vec![action.into(), what, place, item.why().to_string()]);
    }
    let _ = table.print();
}

/// The catalogue and every target lab's staging container, as the janitor sees them.
async fn read_blobs(client: &ArmClient, config: &FactoryConfig) -> Vec<BlobSeen> {
    let mut places: Vec<(LabRef, BlobPlace, &str)> = vec![(
        config.factory.clone(),
        BlobPlace::Catalogue,
        CATALOGUE_CONTAINER,
    )];
    places.extend(
        config
            .labs
            .iter()
            .map(|l| (l.lab.clone(), BlobPlace::Staging, STAGING_CONTAINER)),
    );
    let reads = places.iter().map(|(lab, place, container)| async move {
        let listed = async {
            let account = steps::lab_storage(client, lab, config.build.storage_auth).await?;
            let url = account.container(container, Access::List, crate::arm::storage::SHORT_SAS)?;
            blob::list(&url, None).await
        }
        .await;
        match listed {
            Ok(entries) => entries
                .into_iter()
                .map(|e| BlobSeen {
                    lab: lab.name.clone(),
                    place: *place,
                    run: e.metadata.get("runid").cloned(),
                    complete: e
                        .copy
                        .as_ref()
                        .is_none_or(|c| c.status == crate::arm::storage::CopyStatus::Success),
                    created: e.created,
                    name: e.name,
                })
                .collect(),
            Err(e) => {
                report_warning(&format!(
                    "cannot read the {container} container of lab {}: {e}",
                    lab.name
                ));
                Vec::new()
            }
        }
    });
    futures::future::join_all(reads)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Removes one item: a VM (its disk's read access first), or a blob.
async fn remove(client: &ArmClient, config: &FactoryConfig, item: &Item) -> Result<(), String> {
    let text = |e: ArmError| e.to_string();
    match item {
        Item::Vm { id, .. } => {
            if let Some(vm) = steps::get_vm(client, id).await.map_err(text)?
                && let Some(compute) = vm.properties.compute_id
                && let Ok(disk) = steps::os_disk(client, &compute).await
                && let Ok(Begun::Pending(op)) = steps::revoke_access(client, &disk).await
            {
                // Ending access nobody granted is harmless; a failure here must not keep the VM.
                let _ = client.wait(&op).await;
            }
            match steps::delete_vm(client, id).await.map_err(text)? {
                Begun::Pending(op) => client.wait(&op).await.map(|_| ()).map_err(text),
                Begun::Done(_) => Ok(()),
            }
        }
        Item::Blob {
            lab, place, name, ..
        } => {
            let lab_ref = match place {
                BlobPlace::Catalogue => config.factory.clone(),
                BlobPlace::Staging => config
                    .labs
                    .iter()
                    .find(|l| l.lab.name == *lab)
                    .map(|l| l.lab.clone())
                    .ok_or_else(|| format!("lab {lab} is not in the configuration"))?,
            };
            let container = match place {
                BlobPlace::Catalogue => CATALOGUE_CONTAINER,
                BlobPlace::Staging => STAGING_CONTAINER,
            };
            let account = steps::lab_storage(client, &lab_ref, config.build.storage_auth)
                .await
                .map_err(text)?;
            let url = account
                .blob(
                    container,
                    name,
                    Access::Delete,
                    crate::arm::storage::SHORT_SAS,
                )
                .map_err(text)?;
            blob::delete(&url).await.map(|_| ()).map_err(text)
        }
    }
}
