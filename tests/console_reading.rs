//! The console while the inventory is read part by part: labs shown as soon as they are
//! listed, counts as each lab arrives, in any order and with failures, the screen never blank.

mod common;
#[path = "console/fixture.rs"]
mod fixture;

use std::collections::HashMap;
use std::sync::Arc;

use crossterm::event::KeyCode;
use fixture::*;
use imagefactory::factory::inventory::{Problem, Reading};
use imagefactory::factory::{Inventory, LabInventory};
use imagefactory::tui::effect::Effect;
use imagefactory::tui::keymap::KeyMap;
use imagefactory::tui::model::{Model, Row, View};
use imagefactory::tui::msg::{Msg, Payload};
use imagefactory::tui::update::{init, update};

/// A console with nothing cached, its first reading started: the request it is for.
fn fresh_console() -> (Model, u64) {
    let keymap = KeyMap::new(&HashMap::new(), false).unwrap();
    let identity = imagefactory::tui::model::Identity {
        who: "managed-identity (tester)".into(),
        user: "tester".into(),
        auth: "managed-identity".into(),
        factory: Some("ImageFactory".into()),
        config_file: None,
        endpoint: "http://127.0.0.1:8080/".into(),
        emulator: true,
        ..Default::default()
    };
    let mut model = Model::new(
        identity,
        Some(Arc::new(sample_config())),
        keymap,
        false,
        now(),
    );
    update(&mut model, Msg::Resize(120, 40));
    let effects = init(&mut model);
    let Some(Effect::RefreshInventory(req)) = effects.first().cloned() else {
        panic!("the console starts by reading the inventory")
    };
    (model, req)
}

/// A fresh console whose first reading has listed every subscription's labs: the request,
/// and the labs' own parts still to come.
fn listed_console(inventory: &Inventory) -> (Model, u64, Vec<Reading>) {
    let (mut model, req) = fresh_console();
    let (listed, labs) = parts_of(inventory);
    feed(&mut model, req, listed);
    (model, req, labs)
}

/// Feeds `parts` of reading `req`.
fn feed(model: &mut Model, req: u64, parts: Vec<Reading>) {
    for part in parts {
        update(model, Msg::Reading(req, Box::new(part)));
    }
}

/// The parts a reading of `inventory` reports: each subscription listed (its labs as
/// "reading" shells), then each lab.
fn parts_of(inventory: &Inventory) -> (Vec<Reading>, Vec<Reading>) {
    let mut listed = Vec::new();
    let mut labs = Vec::new();
    for sub in &inventory.subscriptions {
        let mut shells = sub.clone();
        for lab in &mut shells.labs {
            *lab = LabInventory {
                images: Vec::new(),
                vms: Vec::new(),
                formula_images: Vec::new(),
                complete: false,
                reading: true,
                ..lab.clone()
            };
        }
        listed.push(Reading::Listed(shells));
        for lab in &sub.labs {
            let problem = inventory
                .problems
                .iter()
                .find(|p| p.id.eq_ignore_ascii_case(lab.id.as_str()))
                .cloned();
            labs.push(Reading::Lab(Box::new(lab.clone()), problem));
        }
    }
    // The count of subscriptions comes with the lists (in any order, when shuffled).
    listed.push(Reading::Subscriptions(inventory.subscriptions.len()));
    (listed, labs)
}

fn lab_rows(model: &Model) -> usize {
    model
        .route()
        .rows
        .iter()
        .filter(|r| matches!(r, Row::Lab(_)))
        .count()
}

/// A small deterministic shuffle (xorshift), so that a failing order can be replayed.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        items.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

#[tokio::test]
async fn labs_show_as_soon_as_they_are_listed_and_fill_in_lab_by_lab_in_any_order() {
    let inventory = inventory().await;
    let total: usize = inventory.labs().count();
    for seed in [1u64, 7, 42, 1234, 99_991] {
        let (mut model, req) = fresh_console();
        let (listed, labs) = parts_of(&inventory);
        let mut parts: Vec<Reading> = listed.into_iter().chain(labs).collect();
        shuffle(&mut parts, seed);
        let mut known = std::collections::HashSet::new();
        let mut clock = now();
        for (n, part) in parts.into_iter().enumerate() {
            let listing = matches!(part, Reading::Listed(_));
            match &part {
                Reading::Listed(sub) => known.extend(sub.labs.iter().map(|l| l.id.key())),
                Reading::Lab(lab, _) => {
                    known.insert(lab.id.key());
                }
                Reading::Failed(_) | Reading::Subscriptions(_) => {}
            }
            update(&mut model, Msg::Reading(req, Box::new(part)));
            // A subscription's labs show at once; a lab's contents within a second (time
            // moves on every third part here).
            if listing {
                assert!(!model.freshness.partial_unshown, "seed {seed}");
            }
            if n % 3 == 2 {
                clock += time::Duration::seconds(1);
                update(&mut model, Msg::Tick(clock));
                assert!(!model.freshness.partial_unshown, "seed {seed}");
            }
            if model.freshness.partial_unshown {
                continue;
            }
            // Only the count of subscriptions so far: there is nothing to show yet.
            if known.is_empty() {
                assert!(model.data.is_none(), "seed {seed}");
                continue;
            }
            // Every lab known so far is on screen, once; the screen is never blank.
            assert_eq!(lab_rows(&model), known.len(), "seed {seed}");
            let subs: Vec<&str> = model
                .data
                .as_ref()
                .unwrap()
                .inventory
                .subscriptions
                .iter()
                .map(|s| s.id.as_str())
                .collect();
            let mut distinct = subs.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(
                subs.len(),
                distinct.len(),
                "seed {seed}: a subscription twice"
            );
            // Nobody moved the cursor: it stays at the top while rows arrive above it.
            assert_eq!(
                (model.route().offset, model.route().cursor),
                (0, 1),
                "seed {seed}"
            );
            let screen = render(&mut model, 120, 40, "dark");
            let read = model
                .data
                .as_ref()
                .map(|d| d.inventory.labs().filter(|(_, l)| !l.reading).count())
                .unwrap_or(0);
            if read < known.len() {
                assert!(
                    screen.contains(&format!("reading {read} of {}", known.len())),
                    "seed {seed}:\n{screen}"
                );
            }
        }
        // The whole reading lands: the same labs, nothing marked reading, counts as read.
        update(
            &mut model,
            Msg::Loaded(req, Payload::Inventory(Ok(Box::new(inventory.clone())))),
        );
        assert_eq!(lab_rows(&model), total);
        let screen = render(&mut model, 120, 40, "dark");
        assert!(!screen.contains("reading"), "{screen}");
        assert!(screen.contains("updated"), "{screen}");
    }
}

#[tokio::test]
async fn a_lab_read_early_can_be_opened_and_a_lab_not_read_says_so() {
    let inventory = inventory().await;
    let (mut model, req, labs) = listed_console(&inventory);
    // Enter on the first lab before it is read: its view says it is being read.
    let first = model.route().current();
    assert!(matches!(first, Some(Row::Lab(_))), "{first:?}");
    let effects = update(&mut model, key(KeyCode::Enter));
    let View::Images { lab: Some(id) } = model.route().view.clone() else {
        panic!("the lab's images")
    };
    // Opened before it was read: it is read now, ahead of the others, as part of the reading.
    assert!(
        matches!(effects.as_slice(), [Effect::ReadLab(r, lab)] if *r == req && lab.id == id),
        "{} effects",
        effects.len()
    );
    let screen = render(&mut model, 120, 40, "dark");
    assert!(screen.contains("reading this lab"), "{screen}");
    // Its lists arrive: the open view fills in, live.
    let part = labs
        .into_iter()
        .find(|p| matches!(p, Reading::Lab(l, _) if l.id == id))
        .unwrap();
    let Reading::Lab(lab, _) = &part else {
        unreachable!()
    };
    let expected = lab.images.len();
    assert!(expected > 0);
    update(&mut model, Msg::Reading(req, Box::new(part)));
    // Shown the moment it arrives (no waiting for the next rebuild).
    assert_eq!(model.route().rows.len(), expected);
}

#[tokio::test]
async fn failures_mixed_in_are_shown_and_parts_of_an_older_reading_are_dropped() {
    let inventory = inventory().await;
    let (mut model, req) = fresh_console();
    let (listed, labs) = parts_of(&inventory);
    let sub = inventory.subscriptions[0].clone();
    // The first subscription cannot be listed; the others are.
    update(
        &mut model,
        Msg::Reading(
            req,
            Box::new(Reading::Failed(Problem {
                scope: "subscription",
                id: sub.id.clone(),
                name: sub.name.clone(),
                error: imagefactory::arm::ArmError::Api {
                    method: "GET".into(),
                    resource: format!("/subscriptions/{}", sub.id),
                    status: 403,
                    code: "AuthorizationFailed".into(),
                    message: "no access".into(),
                    request_id: None,
                },
            })),
        ),
    );
    for part in listed.into_iter().skip(1) {
        update(&mut model, Msg::Reading(req, Box::new(part)));
    }
    // A lab of another subscription read with a part missing: its problem joins the first.
    let (lab, _) = labs
        .iter()
        .find_map(|p| match p {
            Reading::Lab(l, _) if l.subscription_id != sub.id => Some((l.clone(), ())),
            _ => None,
        })
        .unwrap();
    let lab_problem = Problem {
        scope: "lab",
        id: lab.id.to_string(),
        name: lab.name.clone(),
        error: imagefactory::arm::ArmError::Api {
            method: "GET".into(),
            resource: format!("{}/virtualmachines", lab.id),
            status: 500,
            code: "InternalServerError".into(),
            message: "try later".into(),
            request_id: None,
        },
    };
    update(
        &mut model,
        Msg::Reading(req, Box::new(Reading::Lab(lab.clone(), Some(lab_problem)))),
    );
    update(&mut model, Msg::Tick(now() + time::Duration::seconds(1)));
    let problems = &model.data.as_ref().unwrap().inventory.problems;
    assert_eq!(problems.len(), 2, "both what failed are kept");
    // Read again without its problem: that problem goes, the other stays.
    update(
        &mut model,
        Msg::Reading(req, Box::new(Reading::Lab(lab, None))),
    );
    update(&mut model, Msg::Tick(now() + time::Duration::seconds(2)));
    let problems = &model.data.as_ref().unwrap().inventory.problems;
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].id, sub.id);
    let rows_before = model.route().rows.clone();
    assert!(
        rows_before.iter().any(|r| matches!(r, Row::Problem(_))),
        "the subscription that failed is a row, with why"
    );
    // A part of a reading that is not the latest is dropped.
    let stale = labs.into_iter().next().unwrap();
    assert!(update(&mut model, Msg::Reading(req + 100, Box::new(stale))).is_empty());
    assert_eq!(model.route().rows, rows_before);
}

#[tokio::test]
async fn a_refresh_replaces_data_lab_by_lab_and_keeps_the_selection() {
    let inventory = inventory().await;
    let mut model = model_with(inventory.clone(), false);
    // The cursor on a lab further down.
    for _ in 0..4 {
        update(&mut model, ch('j'));
    }
    let chosen = model.route().current();
    let Some(Row::Lab(l)) = chosen else {
        panic!("{chosen:?}")
    };
    let chosen_id = model.data.as_ref().unwrap().lab(l).id.clone();
    let effects = update(&mut model, ctrl('r'));
    let [Effect::RefreshInventory(req)] = effects.as_slice() else {
        panic!("{} effects", effects.len())
    };
    let (listed, labs) = parts_of(&inventory);
    feed(&mut model, *req, listed);
    // Listing again does not blank what was shown: the labs keep their counts.
    let data = model.data.as_ref().unwrap();
    assert!(data.inventory.labs().all(|(_, l)| !l.reading));
    // One lab's fresh read replaces it (one image fewer here), the rest stay.
    let mut part = labs.into_iter().next().unwrap();
    let Reading::Lab(lab, _) = &mut part else {
        unreachable!()
    };
    let changed = lab.id.clone();
    let fewer = lab.images.len() - 1;
    lab.images.pop();
    update(&mut model, Msg::Reading(*req, Box::new(part)));
    update(&mut model, Msg::Tick(now() + time::Duration::seconds(2)));
    let data = model.data.as_ref().unwrap();
    let at = data.lab_index(&changed).unwrap();
    assert_eq!(data.lab(at).images.len(), fewer);
    let Some(Row::Lab(l)) = model.route().current() else {
        panic!("the selection is still a lab")
    };
    assert_eq!(data.lab(l).id, chosen_id, "the selection stays on its lab");
}

#[tokio::test]
async fn snapshots_of_a_half_read_labs_view() {
    let inventory = inventory().await;
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        for theme in ["dark", "mono"] {
            let (mut model, req, labs) = listed_console(&inventory);
            // Every other lab has arrived.
            for part in labs.into_iter().step_by(2) {
                update(&mut model, Msg::Reading(req, Box::new(part)));
            }
            update(&mut model, Msg::Tick(now() + time::Duration::seconds(1)));
            model.flash = None;
            let screen = render(&mut model, w, h, theme);
            insta::assert_snapshot!(format!("labs_half_read_{w}x{h}_{theme}"), screen);
        }
    }
}

#[tokio::test]
async fn retention_during_a_reading_says_reading_and_applying_waits_for_it() {
    let inventory = inventory().await;
    let (mut model, req, labs) = listed_console(&inventory);
    // One lab read; the others not yet.
    let first = labs.into_iter().next().unwrap();
    update(&mut model, Msg::Reading(req, Box::new(first)));
    update(&mut model, Msg::Tick(now() + time::Duration::seconds(1)));
    update(&mut model, ch('3'));
    let screen = render(&mut model, 120, 40, "dark");
    assert!(screen.contains("reading …"), "{screen}");
    assert!(
        !screen.contains("retire 0, leave 0 ()"),
        "a lab not read is not 'nothing to retire':\n{screen}"
    );
    // Applying the whole plan waits for the labs still being read, and says so.
    assert!(update(&mut model, ch('A')).is_empty());
    assert!(matches!(
        model.overlay,
        imagefactory::tui::model::Overlay::None
    ));
    let flash = flash_text(&model);
    assert!(flash.contains("still being read"), "{flash}");
    // The reading ends: the plan's confirmation opens, and the word about waiting goes.
    update(
        &mut model,
        Msg::Loaded(req, Payload::Inventory(Ok(Box::new(inventory.clone())))),
    );
    assert!(model.flash.is_none());
    let imagefactory::tui::model::Overlay::Confirm(confirm) = &model.overlay else {
        panic!("the whole plan's confirmation opens once every lab is read")
    };
    assert!(
        confirm.title.starts_with("Apply the whole retention plan"),
        "{}",
        confirm.title
    );
    // Esc while waiting forgets it instead.
    let (mut model, req, _) = listed_console(&inventory);
    update(&mut model, ch('3'));
    update(&mut model, ch('A'));
    update(&mut model, key(KeyCode::Esc));
    update(
        &mut model,
        Msg::Loaded(req, Payload::Inventory(Ok(Box::new(inventory.clone())))),
    );
    assert!(matches!(
        model.overlay,
        imagefactory::tui::model::Overlay::None
    ));
}

#[tokio::test]
async fn while_labs_stream_in_the_screen_is_rebuilt_at_most_four_times_a_second() {
    let inventory = inventory().await;
    let (mut model, req, labs) = listed_console(&inventory);
    let mut labs = labs.into_iter();
    let mut clock = now();
    // The first lab after a while is shown at once.
    clock += time::Duration::seconds(1);
    update(&mut model, Msg::Tick(clock));
    update(
        &mut model,
        Msg::Reading(req, Box::new(labs.next().unwrap())),
    );
    assert!(!model.freshness.partial_unshown);
    // The next ones in the same quarter second wait, so a large estate costs no rebuild per lab.
    update(
        &mut model,
        Msg::Reading(req, Box::new(labs.next().unwrap())),
    );
    update(
        &mut model,
        Msg::Reading(req, Box::new(labs.next().unwrap())),
    );
    assert!(model.freshness.partial_unshown);
    let read = |m: &Model| {
        m.data
            .as_ref()
            .unwrap()
            .inventory
            .labs()
            .filter(|(_, l)| !l.reading)
            .count()
    };
    assert_eq!(read(&model), 1);
    // A quarter of a second later they are shown.
    clock += time::Duration::milliseconds(250);
    update(&mut model, Msg::Tick(clock));
    assert!(!model.freshness.partial_unshown);
    assert_eq!(read(&model), 3);
}

#[tokio::test]
async fn a_reading_that_fails_midway_leaves_no_lab_reading_for_ever() {
    let inventory = inventory().await;
    let (mut model, req, labs) = listed_console(&inventory);
    update(
        &mut model,
        Msg::Reading(req, Box::new(labs.into_iter().next().unwrap())),
    );
    update(
        &mut model,
        Msg::Loaded(
            req,
            Payload::Inventory(Err("the subscriptions' second page: 503".into())),
        ),
    );
    let data = model.data.as_ref().unwrap();
    let total = data.inventory.labs().count();
    assert!(data.inventory.labs().all(|(_, l)| !l.reading));
    let unread = data.inventory.labs().filter(|(_, l)| !l.complete).count();
    assert_eq!(
        unread,
        total - 1,
        "every lab but the one read is not read whole"
    );
    assert_eq!(data.inventory.problems.len(), total - 1, "and says why");
    assert!(
        data.inventory.problems[0]
            .error
            .to_string()
            .contains("the refresh failed before this lab was read")
    );
    let screen = render(&mut model, 120, 40, "dark");
    assert!(!screen.contains("reading …"), "{screen}");
    assert!(screen.contains("refresh failed"), "{screen}");
}

#[tokio::test]
async fn a_reading_that_fails_after_every_lab_arrived_shows_all_it_learnt() {
    let inventory = inventory().await;
    let (mut model, req) = fresh_console();
    let (listed, labs) = parts_of(&inventory);
    for part in listed.into_iter().chain(labs) {
        update(&mut model, Msg::Reading(req, Box::new(part)));
    }
    assert!(
        model.freshness.partial_unshown,
        "the last parts are not shown yet"
    );
    update(
        &mut model,
        Msg::Loaded(
            req,
            Payload::Inventory(Err("the subscriptions' second page: 503".into())),
        ),
    );
    let data = model.data.as_ref().unwrap();
    assert!(data.inventory.labs().all(|(_, l)| !l.reading));
    assert_eq!(
        data.inventory.labs().filter(|(_, l)| l.complete).count(),
        inventory.labs().filter(|(_, l)| l.complete).count(),
        "every lab that was read is shown as read"
    );
}

#[tokio::test]
async fn during_a_reading_a_lab_gone_from_its_list_goes_and_a_pin_is_not_undone() {
    let inventory = inventory().await;
    let mut model = model_with(inventory.clone(), false);
    let effects = update(&mut model, ctrl('r'));
    let [Effect::RefreshInventory(req)] = effects.as_slice() else {
        panic!("{} effects", effects.len())
    };
    let req = *req;
    let (listed, labs) = parts_of(&inventory);
    // The first subscription's list no longer has its first lab.
    let mut parts = listed.into_iter();
    let Some(Reading::Listed(mut first)) = parts.next() else {
        panic!()
    };
    let gone = first.labs.remove(0);
    update(
        &mut model,
        Msg::Reading(req, Box::new(Reading::Listed(first))),
    );
    let data = model.data.as_ref().unwrap();
    assert!(data.lab_index(&gone.id).is_none(), "{} is gone", gone.name);
    // A pin set while the reading runs survives the next parts being shown.
    let image = data
        .inventory
        .labs()
        .flat_map(|(_, l)| l.images.iter())
        .find(|i| i.pin.is_none() && i.image_path.is_some())
        .unwrap()
        .clone();
    update(
        &mut model,
        Msg::Loaded(
            7777,
            Payload::Pin(image.id.clone(), Ok(Some("keep".into()))),
        ),
    );
    for part in
        parts.chain(labs.into_iter().filter(
            |p| !matches!(p, Reading::Lab(l, _) if l.images.iter().any(|i| i.id == image.id)),
        ))
    {
        update(&mut model, Msg::Reading(req, Box::new(part)));
    }
    update(&mut model, Msg::Tick(now() + time::Duration::seconds(1)));
    let data = model.data.as_ref().unwrap();
    let pinned = data
        .inventory
        .labs()
        .flat_map(|(_, l)| l.images.iter())
        .find(|i| i.id == image.id)
        .unwrap();
    assert_eq!(pinned.pin.as_deref(), Some("keep"));
}

#[tokio::test]
async fn a_plan_waiting_for_a_reading_that_fails_says_so_and_builds_wait_for_the_reading() {
    let inventory = inventory().await;
    let (mut model, req, _) = listed_console(&inventory);
    update(&mut model, ch('5'));
    assert!(
        update(&mut model, ch('b')).is_empty(),
        "no plan on labs not read"
    );
    assert!(flash_text(&model).contains("still being read"));
    update(&mut model, ch('3'));
    update(&mut model, ch('A'));
    update(
        &mut model,
        Msg::Loaded(req, Payload::Inventory(Err("503".into()))),
    );
    assert!(matches!(
        model.overlay,
        imagefactory::tui::model::Overlay::None
    ));
    assert!(
        model
            .messages
            .iter()
            .any(|m| m.text.contains("the retention plan did not open"))
    );
    assert!(
        model.apply_when_read.is_none(),
        "forgotten, not opened by a later refresh"
    );
}
