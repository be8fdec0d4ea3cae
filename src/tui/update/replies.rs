//! Replies from effects, and the passing of time.

use time::OffsetDateTime;

use super::super::effect::Effect;
use super::super::model::{Data, Level, Model, Overlay};
use super::super::msg::Payload;
use crate::arm::ResourceId;
use crate::factory::Inventory;
use crate::factory::retire::{RetireOutcome, RetireResult};

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

fn set_data(model: &mut Model, inventory: Inventory) {
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
        model.marks.retain(|m| live.contains(m));
    }
    model.rebuild_all();
    if let Some(data) = &model.data {
        for (route, key) in model.routes.iter_mut().zip(selected) {
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
                }
                Err(e) => {
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
            match result {
                Ok(pin) => {
                    let text = match &pin {
                        Some(_) => format!("pinned {}: retention will keep it", id.name()),
                        None => format!("unpinned {}", id.name()),
                    };
                    set_pin(model, &id, pin);
                    model.flash(Level::Info, text);
                }
                Err(e) => model.flash(Level::Error, format!("{}: {e}", id.name())),
            }
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
            if !model.settle("retire", req) {
                return Vec::new();
            }
            return retire_done(model);
        }
    }
    Vec::new()
}

/// Records a pin change locally and plans again (pure), rather than reading the whole estate.
fn set_pin(model: &mut Model, id: &ResourceId, pin: Option<String>) {
    let Some(data) = model.data.take() else {
        return;
    };
    let mut inventory = data.inventory;
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
    set_data(model, inventory);
}

pub fn retired(model: &mut Model, req: u64, outcome: RetireOutcome) -> Vec<Effect> {
    if let Overlay::Progress(progress) = &mut model.overlay
        && progress.req == req
    {
        progress.results.push((
            outcome.lab.clone(),
            outcome.name.clone(),
            outcome.result.as_str(),
            outcome.result.detail().unwrap_or_default(),
        ));
        if matches!(outcome.result, RetireResult::Retired) {
            progress.retired.push(outcome.image);
        }
        model.dirty = true;
    }
    Vec::new()
}

/// Takes retired images out of the local data and plans once; the refresh that follows
/// confirms it.
fn remove_images(model: &mut Model, ids: &[ResourceId]) {
    let Some(data) = model.data.take() else {
        return;
    };
    let gone: std::collections::HashSet<String> = ids.iter().map(ResourceId::key).collect();
    let mut inventory = data.inventory;
    for sub in &mut inventory.subscriptions {
        for lab in &mut sub.labs {
            lab.images.retain(|i| !gone.contains(&i.id.key()));
        }
    }
    model.marks.retain(|m| !gone.contains(m));
    set_data(model, inventory);
}

fn retire_done(model: &mut Model) -> Vec<Effect> {
    let retired = match &mut model.overlay {
        Overlay::Progress(progress) => std::mem::take(&mut progress.retired),
        _ => Vec::new(),
    };
    remove_images(model, &retired);
    if let Overlay::Progress(progress) = &mut model.overlay {
        progress.done = true;
        progress.stop_asked = false;
        if progress.quit_after {
            model.quit = true;
        }
        let retired = progress.results.iter().filter(|r| r.2 == "retired").count();
        let stopped = if progress.stopping { "stopped: " } else { "" };
        let text = format!(
            "{stopped}retired {retired} of {}; {} not retired (see the list)",
            progress.total,
            progress.total - retired
        );
        // What needs a look comes first: failures, then skips, then what went.
        progress.results.sort_by_key(|r| match r.2 {
            "failed" => 0,
            "skipped" => 1,
            _ => 2,
        });
        progress.scroll = 0;
        let level = if retired == progress.total {
            Level::Info
        } else {
            Level::Warn
        };
        model.flash(level, text);
    }
    refresh(model)
}
