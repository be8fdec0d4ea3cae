//! `imagefactory labs`: every lab in every visible subscription.

use clap::Args;

use super::Global;
use super::context;
use super::exit::Exit;
use super::output::{Table, print_json, report_error, report_problems};
use crate::factory::{Inventory, LabRole};

/// Options of `labs`.
#[derive(Debug, Args, Default)]
pub struct LabsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// A lab as `labs --json` prints it.
#[derive(serde::Serialize)]
struct LabRow<'a> {
    subscription_id: &'a str,
    subscription_name: &'a str,
    resource_group: &'a str,
    name: &'a str,
    location: &'a str,
    id: &'a str,
    image_count: usize,
    vm_count: usize,
    role: Option<LabRole>,
    complete: bool,
}

pub async fn run(global: &Global, args: LabsArgs) -> Exit {
    let inventory = match context::inventory(global).await {
        Ok((_, inventory)) => inventory,
        Err(exit) => return exit,
    };
    let rows: Vec<LabRow> = inventory
        .labs()
        .map(|(s, l)| LabRow {
            subscription_id: &s.id,
            subscription_name: &s.name,
            resource_group: &l.resource_group,
            name: &l.name,
            location: &l.location,
            id: l.id.as_str(),
            image_count: l.images.len(),
            vm_count: l.vms.len(),
            role: l.role,
            complete: l.complete,
        })
        .collect();
    let written = if args.json {
        print_json(&rows)
    } else {
        let mut table = Table::new(vec![
            "SUBSCRIPTION",
            "LAB",
            "RESOURCE GROUP",
            "LOCATION",
            "IMAGES",
            "VMS",
            "ROLE",
        ]);
        for r in &rows {
            let role = match r.role {
                Some(LabRole::Factory) => "factory",
                Some(LabRole::Target) => "target",
                None => "",
            };
            let images = if r.complete {
                r.image_count.to_string()
            } else {
                format!("{}?", r.image_count)
            };
            table.row(vec![
                r.subscription_name.into(),
                r.name.into(),
                r.resource_group.into(),
                r.location.into(),
                images,
                r.vm_count.to_string(),
                role.into(),
            ]);
        }
        table.print()
    };
    finish(&inventory, written)
}

/// The exit code for a listing: partial when some of the estate could not be read.
pub(super) fn finish(inventory: &Inventory, written: std::io::Result<()>) -> Exit {
    report_problems(&inventory.problems);
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Exit::Ok;
        }
        report_error(&format!("cannot write the output: {e}"));
        return Exit::Failure;
    }
    if inventory.is_complete() {
        Exit::Ok
    } else {
        Exit::Partial
    }
}
