//! `imagefactory pin` and `unpin`: protect an image from retirement, or stop protecting it.
//! Both are audited; `pin` never replaces another reason silently.

use clap::Args;

use super::Global;
use super::context::Context;
use super::exit::Exit;
use super::output::report_error;
use crate::arm::{ArmError, ResourceId};
use crate::factory::audit::{Actor, AuditLog, state_dir};
use crate::factory::pin::{self, PinChange};
use crate::factory::{FactoryError, Inventory};

/// Options of `pin`.
#[derive(Debug, Args)]
pub struct PinArgs {
    /// The image's resource id (as `imagefactory images --json` prints it), or with --lab its
    /// name.
    pub image: String,
    /// The lab the image is in, when IMAGE is a name rather than an id.
    #[arg(long, value_name = "LAB")]
    pub lab: Option<String>,
    /// Why it is pinned (the tag's value); default: who pinned it and when.
    #[arg(long)]
    pub reason: Option<String>,
    /// Replace the reason of an image that is already pinned for another reason.
    #[arg(long)]
    pub force: bool,
}

/// Options of `unpin`.
#[derive(Debug, Args)]
pub struct UnpinArgs {
    /// The image's resource id, or with --lab its name.
    pub image: String,
    /// The lab the image is in, when IMAGE is a name rather than an id.
    #[arg(long, value_name = "LAB")]
    pub lab: Option<String>,
}

pub async fn run_pin(global: &Global, args: PinArgs) -> Exit {
    let reason = args.reason.clone().unwrap_or_else(|| {
        let today = time::OffsetDateTime::now_utc().date();
        format!("pinned by {} on {today}", crate::factory::audit::os_user())
    });
    let change = PinChange::Pin {
        reason,
        overwrite: args.force,
    };
    set(global, &args.image, args.lab.as_deref(), &change).await
}

pub async fn run_unpin(global: &Global, args: UnpinArgs) -> Exit {
    set(global, &args.image, args.lab.as_deref(), &PinChange::Unpin).await
}

async fn set(global: &Global, image: &str, lab: Option<&str>, change: &PinChange) -> Exit {
    let looks_like_id = {
        let lower = image.to_ascii_lowercase();
        lower.contains("/providers/microsoft.devtestlab/labs/") && lower.contains("/customimages/")
    };
    if lab.is_none() && !looks_like_id {
        report_error(&format!(
            "`{image}` is not a custom image id; expected /subscriptions/…/providers/Microsoft.DevTestLab/labs/LAB/customimages/NAME (see `imagefactory images --json`), or pass its lab: --lab LAB {image}"
        ));
        return Exit::Usage;
    }
    let context = match Context::new(global) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let (image, lab_name) = match lab {
        None => {
            let id = ResourceId::new(image);
            let lab = id.segment("labs").unwrap_or_default().to_string();
            (id, lab)
        }
        Some(lab) => match Inventory::find_labs(&context.client, lab).await {
            Ok(labs) if labs.len() == 1 => (
                ResourceId::new(format!("{}/customimages/{image}", labs[0].as_str())),
                labs[0].name().to_string(),
            ),
            Ok(labs) if labs.is_empty() => {
                report_error(&format!(
                    "no lab named `{lab}` in any visible subscription; `imagefactory labs` lists them"
                ));
                return Exit::Usage;
            }
            Ok(labs) => {
                let ids: Vec<&str> = labs.iter().map(|l| l.as_str()).collect();
                report_error(&format!(
                    "{} labs are named `{lab}`; pass the image's resource id instead: {}",
                    labs.len(),
                    ids.join(", ")
                ));
                return Exit::Usage;
            }
            Err(e) => {
                report_error(&e.to_string());
                return Exit::Failure;
            }
        },
    };
    if context.client.read_only() {
        report_error("read-only mode: nothing was changed");
        return Exit::Usage;
    }
    let audit = match AuditLog::open(&state_dir()) {
        Ok(a) => a,
        Err(e) => {
            report_error(&e.to_string());
            return Exit::Failure;
        }
    };
    let actor = Actor::current(&context.client).await;
    match pin::set_pin(&context.client, &image, &lab_name, change, &audit, &actor).await {
        Ok(outcome) => {
            match change {
                PinChange::Pin { reason, .. } => match &outcome.previous {
                    Some(previous) if previous != reason => say!(
                        "Pinned {} ({reason}), replacing the reason `{previous}`: retention will not retire it.",
                        image.name()
                    ),
                    _ => say!(
                        "Pinned {} ({reason}): retention will not retire it.",
                        image.name()
                    ),
                },
                PinChange::Unpin => match &outcome.previous {
                    Some(previous) => say!(
                        "Unpinned {} (it was pinned: {previous}): retention may retire it again.",
                        image.name()
                    ),
                    None => say!("{} was not pinned; nothing changed.", image.name()),
                },
            }
            Exit::Ok
        }
        Err(e) => {
            report_error(&e.to_string());
            match e {
                FactoryError::AlreadyPinned { .. } => Exit::Usage,
                FactoryError::Image { error, .. }
                    if matches!(*error, ArmError::ReadOnly { .. })
                        || error.status() == Some(404) =>
                {
                    Exit::Usage
                }
                _ => Exit::Failure,
            }
        }
    }
}
