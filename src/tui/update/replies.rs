//! Replies from effects, and the passing of time.

use time::OffsetDateTime;

use super::super::effect::Effect;
use super::super::model::{Data, ItemOutcome, JobItem, Level, Model, Overlay};
use super::super::msg::Payload;
use crate::arm::ResourceId;
use crate::factory::Inventory;

/// Starts a refresh unless one is running.
pub fn refresh(model: &mut Model) -> Vec<Effect> {
    if model.freshness.refreshing.is_some() {
        return Vec::new();
    }
    let req = model.request("inventory");
    model.freshness.refreshing = Some(req);
    model.dirty = true;
    vec![Effect::RefreshInventory(req)]
}

/// Time passes: flashes expire, refreshes fall due, the age shown in the header moves on.
pub fn tick(model: &mut Model, now: OffsetDateTime) -> Vec<Effect> {
    let before = age_label(model);
    model.now = now;
    if model.flash.as_ref().is_some_and(|f| f.until <= now) {
        model.flash = None;
        model.dirty = true;
    }
    if age_label(model) != before {
        model.dirty = true;
    }
    // A run going on screen shows the time in each stage: it moves with the clock.
    if model.runs.live() > 0
        && matches!(
            model.route().view,
            super::super::model::View::Builds
                | super::super::model::View::Run { .. }
                | super::super::model::View::RunImage { .. }
        )
    {
        model.dirty = true;
    }
    super::reading::show(model);
    match model.freshness.next_refresh {
        Some(due) if due <= now => refresh(model),
        _ => Vec::new(),
    }
}

/// The part of the header that changes with time alone.
pub fn age_label(model: &Model) -> String {
    crate::human::age(model.freshness.read_at, model.now)
}

/// The inventory cached by an earlier run: shown at once, marked stale, until the refresh lands.
pub fn cached(model: &mut Model, inventory: Inventory) -> Vec<Effect> {
    if model.data.is_none() {
        model.freshness.read_at = Some(inventory.taken_at);
        model.freshness.from_cache = true;
        set_data(model, inventory);
    }
    Vec::new()
}

/// Shows an inventory (whole, or read so far), keeping each view's selection on its item.
pub fn set_data(model: &mut Model, inventory: Inventory) {
    let config = model.config.clone();
    // Rows are indices into the data, and new data may put another item at an index: remember
    // what each view had selected by what it is, and find it again after.
    let selected: Vec<Option<String>> = model
        .routes
        .iter()
        .map(|r| {
            let data = model.data.as_ref()?;
            data.row_key(r.current()?)
        })
        .collect();
    for route in &mut model.routes {
        route.rows.clear();
    }
    model.data = Some(Data::new(inventory, config.as_deref(), model.now));
    // Marks on images that are gone go with them.
    if let Some(data) = &model.data {
        let live: std::collections::HashSet<String> = data
            .images
            .iter()
            .map(|at| data.image(*at).id.key())
            .collect();
        // Marked definitions are not images: they stay.
        model
            .marks
            .retain(|m| m.starts_with("def:") || live.contains(m));
    }
    if let Some(data) = &model.data {
        model.runs.found_in_azure(&data.inventory);
    }
    model.rebuild_all();
    if let Some(data) = &model.data {
        for (route, key) in model.routes.iter_mut().zip(selected) {
            // While an inventory streams in, rows arrive above and below: an operator who has
            // not moved yet is kept at the top.
            if !route.moved && model.freshness.partial.is_some() {
                route.top();
                continue;
            }
            let Some(key) = key else { continue };
            if let Some(at) = route
                .rows
                .iter()
                .position(|r| data.row_key(*r).as_deref() == Some(key.as_str()))
            {
                route.cursor = at;
                route.offset = route.offset.min(at);
            }
        }
    }
    model.dirty = true;
}

pub fn loaded(model: &mut Model, req: u64, payload: Payload) -> Vec<Effect> {
    match payload {
        Payload::Inventory(result) => {
            if !model.settle("inventory", req) {
                return Vec::new();
            }
            model.freshness.refreshing = None;
            model.freshness.next_refresh = Some(model.now + model.refresh_every);
            // The whole inventory (or the failure) replaces what the parts built; a word that
            // something waits for the reading is out of date.
            if model
                .flash
                .as_ref()
                .is_some_and(|f| f.text.contains("still being read"))
            {
                model.flash = None;
            }
            let partial = model.freshness.partial.take();
            let waiting_apply = model.apply_when_read.take();
            model.freshness.partial_unshown = false;
            model.freshness.partial_shown_at = None;
            match result {
                Ok(inventory) => {
                    let problems = inventory.problems.len();
                    if let Some(first) = inventory.problems.first() {
                        let text = format!(
                            "{problems} part(s) could not be read: {} {}: {}",
                            first.scope,
                            first.name,
                            first.error.short_reason()
                        );
                        model.flash(Level::Warn, text);
                    }
                    model.freshness.read_at = Some(inventory.taken_at);
                    model.freshness.from_cache = false;
                    model.freshness.failed = None;
                    if let Some(tenant) = inventory
                        .subscriptions
                        .first()
                        .and_then(|s| s.tenant.clone())
                    {
                        model.identity.tenant = Some(tenant);
                    }
                    set_data(model, *inventory);
                    // The plan asked for while labs were being read: now they are.
                    match waiting_apply {
                        Some(only) if matches!(model.overlay, Overlay::None) => {
                            super::commands::apply_plan_of(model, only)
                        }
                        Some(_) => model.flash(
                            Level::Info,
                            "the inventory is read: the retention plan can be applied now (a or A)",
                        ),
                        None => {}
                    }
                    // A Check view open is checked again on what was read.
                    return super::definitions::inventory_read(model);
                }
                Err(e) => {
                    // Labs the failed reading listed but never read are not "reading" any more:
                    // they are unread, and say why.
                    // Everything the reading learnt is shown (parts may not have been yet).
                    let learnt = partial.or_else(|| {
                        model
                            .data
                            .as_ref()
                            .filter(|d| d.labs_reading() > 0)
                            .map(|d| d.inventory.clone())
                    });
                    if let Some(inventory) = learnt {
                        set_data(model, super::reading::unread(inventory, &e));
                    }
                    if waiting_apply.is_some() {
                        model.flash(
                            Level::Warn,
                            "the retention plan did not open: the inventory could not be read whole",
                        );
                    }
                    // Keep what is shown; say how old it is.
                    let age = crate::human::age(model.freshness.read_at, model.now);
                    model.flash(
                        Level::Error,
                        format!("refresh failed: {e} (showing data from {age} ago)"),
                    );
                    model.freshness.failed = Some((e, model.now));
                }
            }
        }
        Payload::Detail(result) => {
            if !model.settle("detail", req) {
                return Vec::new();
            }
            if let Some(detail) = model.detail.as_mut().filter(|d| d.req == req) {
                detail.json = Some(result);
            }
            model.rebuild_top();
            model.dirty = true;
        }
        Payload::Pin(id, result) => {
            model.settle("pin", req);
            let name = id.name();
            let item = match &result {
                Ok(Some(_)) => (
                    ItemOutcome::Done,
                    format!("pinned {name}: retention will keep it"),
                ),
                Ok(None) => (ItemOutcome::Done, format!("unpinned {name}")),
                Err(e) => (ItemOutcome::Failed, format!("{name}: {e}")),
            };
            model.jobs.settle(
                req,
                JobItem {
                    subject: id.name().to_string(),
                    outcome: item.0,
                    detail: item.1,
                },
            );
            if let Ok(pin) = result {
                set_pin(model, &id, pin);
            }
            // The job's end says how it went, in the flash and the messages.
            super::jobs::end(model, req);
        }
        Payload::Principal(principal) => {
            if let Some(p) = principal {
                model.identity.who = format!("{} ({})", p.name, model.identity.auth);
                if model.identity.tenant.is_none() {
                    model.identity.tenant = p.tenant;
                }
                model.dirty = true;
            }
        }
        Payload::RetireDone => {
            model.settle("retire", req);
            return retire_done(model, req);
        }
        Payload::RunPlan { distribution, plan } => {
            return super::run_plans::plan_ready(model, req, distribution, plan);
        }
        Payload::RunAction(result) => return super::builds::action_done(model, req, result),
        Payload::SignedIn(mode, result) => super::setup::signed_in(model, req, mode, result),
        Payload::SetupLabs(result) => super::setup::labs_read(model, req, result),
        Payload::SetupOffer(result) => super::setup::offer_read(model, req, result),
        Payload::ConfigWritten(result) => return super::setup::written(model, req, result),
        Payload::Check(findings) => super::definitions::checked(model, req, findings),
        Payload::VmTemplate(path, result) => {
            super::definitions::vm_template(model, req, path, result)
        }
        Payload::DefinitionSaved(path, result) => {
            return super::definitions::saved(model, req, path, result);
        }
    }
    Vec::new()
}

/// Records a pin change locally and plans again (pure), rather than reading the whole estate.
fn set_pin(model: &mut Model, id: &ResourceId, pin: Option<String>) {
    edit_inventory(model, |inventory| {
        for sub in &mut inventory.subscriptions {
            for lab in &mut sub.labs {
                for image in lab.images.iter_mut().filter(|i| &i.id == id) {
                    image.pin = pin.clone();
                    match &pin {
                        Some(p) => {
                            image
                                .tags
                                .insert(crate::factory::tags::PIN.to_string(), p.clone());
                        }
                        None => image
                            .tags
                            .retain(|k, _| !k.eq_ignore_ascii_case(crate::factory::tags::PIN)),
                    }
                }
            }
        }
    });
}

/// Takes retired images out of the local data and plans once; the refresh that follows
/// confirms it.
fn remove_images(model: &mut Model, ids: &[ResourceId]) {
    let gone: std::collections::HashSet<String> = ids.iter().map(ResourceId::key).collect();
    edit_inventory(model, |inventory| {
        for sub in &mut inventory.subscriptions {
            for lab in &mut sub.labs {
                lab.images.retain(|i| !gone.contains(&i.id.key()));
            }
        }
    });
    model.marks.retain(|m| !gone.contains(m));
}

/// Changes the inventory shown, and the one a reading is assembling (else the next parts
/// shown would undo the change), then plans once.
fn edit_inventory(model: &mut Model, edit: impl Fn(&mut Inventory)) {
    if let Some(partial) = &mut model.freshness.partial {
        edit(partial);
    }
    let Some(data) = model.data.take() else {
        return;
    };
    let mut inventory = data.inventory;
    edit(&mut inventory);
    set_data(model, inventory);
}

fn retire_done(model: &mut Model, req: u64) -> Vec<Effect> {
    let retired = super::jobs::end(model, req);
    remove_images(model, &retired);
    refresh(model)
}
