//! `imagefactory pin` and `unpin`: protect an image from retirement, or stop protecting it.

use clap::Args;

use super::Global;
use super::context::Context;
use super::exit::Exit;
use super::output::report_error;
use crate::arm::{ArmError, ResourceId};
use crate::factory::{FactoryError, pin};

/// Options of `pin`.
#[derive(Debug, Args)]
pub struct PinArgs {
    /// The image's resource id (as `imagefactory images --json` prints it).
    pub image_id: String,
    /// Why it is pinned (the tag's value); default: who pinned it and when.
    #[arg(long)]
    pub reason: Option<String>,
}

/// Options of `unpin`.
#[derive(Debug, Args)]
pub struct UnpinArgs {
    /// The image's resource id.
    pub image_id: String,
}

pub async fn run_pin(global: &Global, args: PinArgs) -> Exit {
    let reason = args.reason.unwrap_or_else(|| {
        let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        let today = time::OffsetDateTime::now_utc().date();
        format!("pinned by {user} on {today}")
    });
    set(global, &args.image_id, Some(&reason)).await
}

pub async fn run_unpin(global: &Global, args: UnpinArgs) -> Exit {
    set(global, &args.image_id, None).await
}

async fn set(global: &Global, image_id: &str, reason: Option<&str>) -> Exit {
    if !image_id
        .to_ascii_lowercase()
        .contains("/providers/microsoft.devtestlab/labs/")
        || !image_id.to_ascii_lowercase().contains("/customimages/")
    {
        report_error(&format!(
            "`{image_id}` is not a custom image id; expected /subscriptions/…/providers/Microsoft.DevTestLab/labs/LAB/customimages/NAME (see `imagefactory images --json`)"
        ));
        return Exit::Usage;
    }
    let context = match Context::new(global) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let image = ResourceId::new(image_id);
    match pin::set_pin(&context.client, &image, reason).await {
        Ok(_) => {
            match reason {
                Some(r) => println!(
                    "Pinned {} ({r}): retention will not retire it.",
                    image.name()
                ),
                None => println!("Unpinned {}: retention may retire it again.", image.name()),
            }
            Exit::Ok
        }
        Err(e) => {
            report_error(&e.to_string());
            match e {
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
