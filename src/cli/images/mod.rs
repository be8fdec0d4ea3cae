//! `imagefactory images`: custom images across labs.

mod stream;

use std::sync::mpsc;

use clap::Args;
use time::OffsetDateTime;

use super::Global;
use super::context::{self, Context};
use super::exit::Exit;
use super::labs::finish;
use super::output::{Table, age, report_unknown_lab, rfc3339};
use crate::config::FactoryConfig;
use crate::factory::inventory::Reading;
use crate::factory::{Decision, Image, Inventory, LabInventory, retention};
use stream::JsonStream;

/// Options of `images`.
#[derive(Debug, Args, Default)]
pub struct ImagesArgs {
    /// Only the images of this lab (its name, case-insensitive).
    #[arg(long, value_name = "NAME")]
    pub lab: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Whether `lab` is among those `--lab` asks for.
fn shows(name: Option<&str>, lab: &LabInventory) -> bool {
    name.is_none_or(|n| lab.name.eq_ignore_ascii_case(n))
}

/// An image as `images --json` prints it.
#[derive(serde::Serialize)]
struct ImageRow<'a> {
    id: &'a str,
    subscription_id: &'a str,
    lab: &'a str,
    name: &'a str,
    image_path: Option<&'a str>,
    created: Option<String>,
    os_type: Option<&'a str>,
    author: Option<&'a str>,
    description: Option<&'a str>,
    pinned: bool,
    in_use: bool,
    retention: Retention<'a>,
}

/// The image's retention state, as `retire` would see it now.
#[derive(serde::Serialize)]
struct Retention<'a> {
    state: &'static str,
    reason: Option<&'static str>,
    detail: &'a str,
}

impl<'a> ImageRow<'a> {
    fn new(lab: &'a LabInventory, image: &'a Image, decision: &'a Decision) -> ImageRow<'a> {
        ImageRow {
            id: image.id.as_str(),
            subscription_id: &lab.subscription_id,
            lab: &lab.name,
            name: &image.name,
            image_path: image.image_path.as_ref().map(|p| p.as_str()),
            created: image.created.map(rfc3339),
            os_type: image.os_type.as_deref(),
            author: image.author.as_deref(),
            description: image.description.as_deref(),
            pinned: image.pin.is_some(),
            in_use: image.in_use,
            retention: Retention {
                state: decision.state.as_str(),
                reason: decision.reason.map(|r| r.as_str()),
                detail: &decision.detail,
            },
        }
    }
}

pub async fn run(global: &Global, args: ImagesArgs) -> Exit {
    let context = match Context::new(global) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    if args.json {
        json(&context, &args).await
    } else {
        table(&context, &args).await
    }
}

/// The JSON is made and written lab by lab as the labs are read (see `stream`), on a thread of
/// its own: planning and serialising 12,000 images took ~27 ms after the last response, 2% of
/// a whole inventory, and their text held at once was 7.6 MB.
async fn json(context: &Context, args: &ImagesArgs) -> Exit {
    // One moment for every lab's retention state, so that they agree with one another: the
    // start of the reading, since each lab is judged as it arrives (the table, and `retire`,
    // judge at its end; an image crossing an age limit while the estate is read can differ).
    let now = OffsetDateTime::now_utc();
    let (send, parts) = mpsc::channel::<Reading>();
    let mut stream = JsonStream::new(
        super::output::json_stdout(),
        context.config.clone(),
        now,
        args.lab.clone(),
    );
    let writer = std::thread::spawn(move || {
        for part in parts {
            stream.take(part);
        }
        stream
    });
    let listener = |reading: Reading| {
        // The writer only stops once the reading is over (the sender dropped, below).
        let _ = send.send(reading);
    };
    let inventory = context::read_inventory_telling(context, Some(&listener)).await;
    drop(send);
    let stream = writer.join().expect("the JSON writer does not panic");
    let inventory = match inventory {
        Ok(i) => i,
        Err(exit) => return exit,
    };
    let Some(labs) = shown(&inventory, args) else {
        return Exit::Usage;
    };
    let written = super::output::unless_reader_gone(stream.finish(&labs));
    let exit = finish(&inventory, written);
    leave(inventory);
    exit
}

/// The labs `args` asks for, or `None` (reported) when it names a lab that is not there.
fn shown<'i>(inventory: &'i Inventory, args: &ImagesArgs) -> Option<Vec<&'i LabInventory>> {
    let labs: Vec<_> = inventory
        .labs()
        .map(|(_, l)| l)
        .filter(|l| shows(args.lab.as_deref(), l))
        .collect();
    if let Some(name) = &args.lab
        && labs.is_empty()
    {
        report_unknown_lab(name, inventory);
        return None;
    }
    Some(labs)
}

/// One lab's rows, as `elements` writes them.
fn elements_of_lab(
    lab: &LabInventory,
    config: Option<&FactoryConfig>,
    now: OffsetDateTime,
) -> Vec<u8> {
    let plan = retention::plan_lab(lab, config, now);
    let rows: Vec<ImageRow> = lab
        .images
        .iter()
        .zip(&plan.decisions)
        .map(|(image, decision)| ImageRow::new(lab, image, decision))
        .collect();
    elements(&rows)
}

/// `rows` as the elements of a pretty JSON array at its first level of indentation, without
/// the brackets; empty when there are none.
fn elements<T: serde::Serialize>(rows: &[T]) -> Vec<u8> {
    if rows.is_empty() {
        return Vec::new();
    }
    let mut text = serde_json::to_vec_pretty(rows).expect("rows serialise");
    // "[\n  {...},\n  {...}\n]" without "[\n" and "\n]".
    text.truncate(text.len() - 2);
    text.drain(..2);
    // Kept until the end, for every lab: without the room the buffer grew into (up to as
    // much again), 12,000 images' text takes 7.6 MB.
    text.shrink_to_fit();
    text
}

async fn table(context: &Context, args: &ImagesArgs) -> Exit {
    let inventory = match context::read_inventory(context).await {
        Ok(i) => i,
        Err(exit) => return exit,
    };
    let now = inventory.taken_at;
    let Some(labs) = shown(&inventory, args) else {
        return Exit::Usage;
    };
    let mut table = Table::new(vec![
        "LAB",
        "IMAGE PATH",
        "NAME",
        "AGE",
        "OS",
        "RETENTION",
        "FLAGS",
    ]);
    for lab in &labs {
        let plan = retention::plan_lab(lab, context.config.as_ref(), now);
        for (i, d) in lab.images.iter().zip(&plan.decisions) {
            let mut flags = Vec::new();
            if i.pin.is_some() {
                flags.push("pinned");
            }
            if i.in_use {
                flags.push("in-use");
            }
            let path = i
                .image_path
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "(untagged)".into());
            let retention = match d.reason {
                Some(r) => format!("{} ({})", d.state.as_str(), r.as_str()),
                None => d.state.as_str().to_string(),
            };
            table.row(vec![
                lab.name.clone(),
                path,
                i.name.clone(),
                age(i.created, now),
                i.os_type.clone().unwrap_or_default(),
                retention,
                flags.join(","),
            ]);
        }
    }
    let written = table.print();
    let exit = finish(&inventory, written);
    leave((inventory, table));
    exit
}

/// Leaves `everything` to the end of the process, which comes next: freeing thousands of
/// images one allocation at a time would only delay it (measured: ~20 ms for 12,000 images).
fn leave<T>(everything: T) {
    std::mem::forget(everything);
}
