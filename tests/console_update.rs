//! The console's `update`, driven by messages alone: no terminal, no network.

mod common;
#[path = "console/fixture.rs"]
mod fixture;

use crossterm::event::KeyCode;
use fixture::*;
use imagefactory::factory::RetentionState;
use imagefactory::factory::pin::PinChange;
use imagefactory::factory::retire::{Guard, RetireOutcome, RetireResult};
use imagefactory::tui::effect::Effect;
use imagefactory::tui::model::{Button, Level, Overlay, Row, View};
use imagefactory::tui::msg::{Msg, Payload};
use imagefactory::tui::update::update;

fn selected_image_name(model: &imagefactory::tui::model::Model) -> String {
    let data = model.data.as_ref().unwrap();
    match model.route().current() {
        Some(Row::Image(i)) => data.image(data.images[i]).name.clone(),
        other => panic!("not on an image: {other:?}"),
    }
}

#[tokio::test]
async fn navigation_follows_k9s_keys() {
    let mut model = model().await;
    assert_eq!(model.route().view, View::Labs);
    assert!(
        matches!(model.route().current(), Some(Row::Lab(_))),
        "starts on a lab, not a heading"
    );
    let rows = model.route().rows.len();
    update(&mut model, ch('G'));
    assert_eq!(model.route().cursor, rows - 1);
    update(&mut model, ch('g'));
    assert_eq!(model.route().cursor, 0);
    update(&mut model, ch('j'));
    update(&mut model, ch('j'));
    assert_eq!(model.route().cursor, 2);
    update(&mut model, ch('k'));
    assert_eq!(model.route().cursor, 1);
    update(&mut model, ch('2'));
    update(&mut model, ctrl('d'));
    assert_eq!(model.route().cursor, model.body_height() / 2);
    update(&mut model, ctrl('u'));
    assert_eq!(model.route().cursor, 0);
}

#[tokio::test]
async fn enter_opens_a_labs_images_and_esc_goes_back() {
    let mut model = model().await;
    // Labs are sorted by subscription name; the first lab is Eng-WestEurope.
    update(&mut model, key(KeyCode::Enter));
    let View::Images { lab: Some(lab) } = &model.route().view else {
        panic!("{:?}", model.route().view)
    };
    assert_eq!(lab.name(), "Eng-WestEurope");
    assert_eq!(model.routes.len(), 2);
    let data = model.data.as_ref().unwrap();
    assert!(model.route().rows.iter().all(
        |r| matches!(r, Row::Image(i) if data.lab(data.images[*i].lab).name == "Eng-WestEurope")
    ));
    update(&mut model, key(KeyCode::Esc));
    assert_eq!(model.route().view, View::Labs);
}

#[tokio::test]
async fn filter_narrows_live_inverts_and_survives_a_half_typed_regex() {
    let mut model = model().await;
    update(&mut model, ch('2'));
    let all = model.route().rows.len();
    update(&mut model, ch('/'));
    type_text(&mut model, "win11");
    let win11 = model.route().rows.len();
    assert!(win11 > 0 && win11 < all);
    assert_eq!(model.route().hidden, all - win11);
    // A half-typed regex keeps the last good filter and says why.
    type_text(&mut model, "(");
    assert_eq!(model.route().rows.len(), win11);
    assert!(model.filter_error.is_some());
    update(&mut model, key(KeyCode::Backspace));
    update(&mut model, key(KeyCode::Enter));
    assert!(model.filter_input.is_none());
    assert_eq!(model.route().filter.as_ref().unwrap().text, "win11");
    // Inverted.
    update(&mut model, ch('/'));
    update(&mut model, ctrl('u'));
    type_text(&mut model, "!win11");
    update(&mut model, key(KeyCode::Enter));
    assert_eq!(model.route().rows.len(), all - win11);
    // Esc clears the filter before it leaves the view.
    update(&mut model, key(KeyCode::Esc));
    assert!(model.route().filter.is_none());
    assert_eq!(model.route().rows.len(), all);
}

#[tokio::test]
async fn palette_completes_and_switches_views() {
    let mut model = model().await;
    update(&mut model, ch(':'));
    type_text(&mut model, "ret");
    update(&mut model, key(KeyCode::Tab));
    let Overlay::Palette(p) = &model.overlay else {
        panic!("palette open")
    };
    assert_eq!(p.input.lines()[0], "retention");
    update(&mut model, key(KeyCode::Enter));
    assert_eq!(model.route().view, View::Retention);
    update(&mut model, ch(':'));
    type_text(&mut model, "images dev-westeurope");
    update(&mut model, key(KeyCode::Enter));
    assert!(
        matches!(&model.route().view, View::Images { lab: Some(l) } if l.name() == "Dev-WestEurope")
    );
    assert_eq!(
        model.routes.len(),
        2,
        "labs › images, so esc goes back to labs"
    );
    update(&mut model, ch(':'));
    type_text(&mut model, "drfit");
    update(&mut model, key(KeyCode::Enter));
    let flash = model.flash.as_ref().unwrap();
    assert_eq!(flash.level, Level::Error);
    assert!(
        flash.text.contains("did you mean :drift?"),
        "{}",
        flash.text
    );
    update(&mut model, ch(':'));
    type_text(&mut model, "q");
    update(&mut model, key(KeyCode::Enter));
    assert!(model.quit);
}

#[tokio::test]
async fn retiring_marked_images_confirms_first_and_counts_what_the_filter_hides() {
    let mut model = model().await;
    update(&mut model, key(KeyCode::Enter)); // Eng-WestEurope images
    update(&mut model, ch('/'));
    type_text(&mut model, "docker");
    update(&mut model, key(KeyCode::Enter));
    update(&mut model, ch('G'));
    let first = selected_image_name(&model);
    update(&mut model, ch(' '));
    update(&mut model, ch('k'));
    update(&mut model, ch('k'));
    update(&mut model, ch(' '));
    assert_eq!(model.marks.len(), 2);
    // Change the filter so one marked image is hidden.
    update(&mut model, ch('/'));
    update(&mut model, ctrl('u'));
    type_text(&mut model, &first);
    update(&mut model, key(KeyCode::Enter));
    let effects = update(&mut model, ch('D'));
    assert!(
        effects.is_empty(),
        "nothing happens before the confirmation"
    );
    let Overlay::Confirm(confirm) = &model.overlay else {
        panic!("a confirmation")
    };
    assert_eq!(confirm.focus, Button::Cancel, "starts on Cancel");
    assert_eq!(confirm.items.len(), 2);
    assert_eq!(confirm.hidden, 1);
    assert!(confirm.typed_required.is_none());
    // Enter on Cancel changes nothing.
    assert!(update(&mut model, key(KeyCode::Enter)).is_empty());
    assert!(matches!(model.overlay, Overlay::None));
    update(&mut model, ch('D'));
    update(&mut model, key(KeyCode::Tab));
    let effects = update(&mut model, key(KeyCode::Enter));
    let [Effect::Retire(_, labs, targets, _)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(targets.len(), 2);
    assert_eq!(
        labs.subscriptions.iter().flat_map(|s| &s.labs).count(),
        1,
        "the effect carries only the lab involved"
    );
    assert!(matches!(model.overlay, Overlay::Job(_)));
}

#[tokio::test]
async fn applying_a_large_plan_wants_the_count_typed() {
    let mut model = model().await;
    update(&mut model, ch('3'));
    update(&mut model, ch('A'));
    let Overlay::Confirm(confirm) = &model.overlay else {
        panic!("a confirmation")
    };
    let required = confirm
        .typed_required
        .clone()
        .expect("a large change wants typing");
    // Everything due, less what the plan holds back where the identity cannot delete (the
    // reader-only subscription), which the dialog names instead.
    let data = model.data.as_ref().unwrap();
    let held_back: usize = data.plan.held_back().map(|(_, n, _)| n).sum();
    assert!(
        held_back > 0,
        "the demo's reader-only subscription has due images"
    );
    let due: usize = data.due.iter().sum::<usize>() - held_back;
    assert_eq!(required, due.to_string());
    assert!(
        confirm
            .notes
            .iter()
            .any(|n| n.contains("does not allow Microsoft.DevTestLab/labs/customImages/delete")),
        "{:?}",
        confirm.notes
    );
    update(&mut model, key(KeyCode::Tab));
    assert!(
        update(&mut model, key(KeyCode::Enter)).is_empty(),
        "not without the count"
    );
    assert!(
        model
            .flash
            .as_ref()
            .unwrap()
            .text
            .contains(&format!("type {required} to confirm"))
    );
    type_text(&mut model, &required);
    let effects = update(&mut model, key(KeyCode::Enter));
    assert!(matches!(effects.as_slice(), [Effect::Retire(_, _, t, _)] if t.len() == due));
}

#[tokio::test]
async fn read_only_mode_has_no_changing_commands_anywhere() {
    let mut model = model_with(inventory().await, true);
    update(&mut model, ch('2'));
    assert!(update(&mut model, ch('p')).is_empty());
    assert!(update(&mut model, ch('D')).is_empty());
    assert!(matches!(model.overlay, Overlay::None));
    update(&mut model, ch(':'));
    type_text(&mut model, "retire");
    update(&mut model, key(KeyCode::Enter));
    assert!(
        model
            .flash
            .as_ref()
            .unwrap()
            .text
            .starts_with("read-only console: :retire changes Azure")
    );
    let screen = render(&mut model, 120, 40, "dark");
    assert!(screen.contains("READ-ONLY"));
    assert!(
        !screen.contains("<p> pin") && !screen.contains("<D> retire"),
        "{screen}"
    );
    update(&mut model, ch('?'));
    let help = render(&mut model, 120, 40, "dark");
    assert!(
        !help.contains(":pin") && !help.contains(":apply-all"),
        "{help}"
    );
}

#[tokio::test]
async fn replies_to_superseded_requests_are_dropped_and_failures_keep_the_data() {
    let mut model = model().await;
    let effects = update(&mut model, ctrl('r'));
    let [Effect::RefreshInventory(req)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(
        update(&mut model, ctrl('r')).is_empty(),
        "one refresh at a time"
    );
    // A reply to some older request is ignored.
    update(
        &mut model,
        Msg::Loaded(req - 1, Payload::Inventory(Err("old".into()))),
    );
    assert!(model.freshness.failed.is_none());
    update(
        &mut model,
        Msg::Loaded(*req, Payload::Inventory(Err("connection refused".into()))),
    );
    assert!(model.data.is_some(), "a failed refresh keeps the last data");
    assert_eq!(
        model.freshness.failed.as_ref().unwrap().0,
        "connection refused"
    );
    assert!(
        model
            .flash
            .as_ref()
            .unwrap()
            .text
            .contains("refresh failed: connection refused")
    );
    let screen = render(&mut model, 120, 40, "dark");
    assert!(screen.contains("refresh failed"), "{screen}");
}

#[tokio::test]
async fn a_cached_inventory_shows_at_once_marked_stale() {
    let inventory = inventory().await;
    let model = model_with(inventory.clone(), false);
    let mut fresh = imagefactory::tui::model::Model::new(
        model.identity.clone(),
        model.config.clone(),
        model.keymap.clone(),
        false,
        now(),
    );
    update(&mut fresh, Msg::Cached(Box::new(inventory)));
    assert!(fresh.data.is_some());
    assert!(fresh.freshness.from_cache);
    let screen = render(&mut fresh, 120, 40, "dark");
    assert!(screen.contains("cached, 0m old (stale)"), "{screen}");
    assert!(!model.freshness.from_cache);
}

#[tokio::test]
async fn pinning_asks_for_a_reason_then_replans_at_once() {
    let mut model = model().await;
    update(&mut model, ch('3'));
    update(&mut model, ch('j'));
    let name = selected_image_name(&model);
    assert!(
        update(&mut model, ch('p')).is_empty(),
        "nothing before the reason"
    );
    let Overlay::Pin(dialog) = &model.overlay else {
        panic!("a pin dialog")
    };
    assert!(dialog.current.is_none());
    let prefilled = dialog.reason.lines()[0].clone();
    assert!(prefilled.contains("pinned by tester"), "{prefilled}");
    // Replace the prefilled reason with one of our own.
    update(&mut model, ctrl('u'));
    type_text(&mut model, "release baseline");
    let effects = update(&mut model, key(KeyCode::Enter));
    let [Effect::SetPin(req, id, _, PinChange::Pin { reason, overwrite })] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(reason, "release baseline");
    assert!(!overwrite, "the console never replaces another reason");
    update(
        &mut model,
        Msg::Loaded(*req, Payload::Pin(id.clone(), Ok(Some(reason.clone())))),
    );
    let data = model.data.as_ref().unwrap();
    let at = data
        .images
        .iter()
        .copied()
        .find(|at| &data.image(*at).id == id)
        .unwrap();
    assert_eq!(data.decision(at).state, RetentionState::Pinned, "{name}");
    let flash = model.flash.clone().unwrap().text;
    assert_eq!(
        flash,
        format!("pinned {}: retention will keep it", id.name()),
        "what the pin did, in a flash that stays in the messages"
    );
    assert!(
        !model.route().rows.contains(&Row::Image(
            data.images.iter().position(|a| *a == at).unwrap()
        )),
        "no longer in the plan"
    );
}

/// Puts the cursor of the all-images view on the image named `name`.
fn select_image(model: &mut imagefactory::tui::model::Model, name: &str) {
    update(model, ch('2'));
    update(model, ch('/'));
    type_text(model, name);
    update(model, key(KeyCode::Enter));
    assert_eq!(selected_image_name(model), name);
}

#[tokio::test]
async fn unpinning_shows_the_reason_it_removes_and_starts_on_cancel() {
    let mut model = model().await;
    let pinned = {
        let data = model.data.as_ref().unwrap();
        data.images
            .iter()
            .map(|at| data.image(*at))
            .find(|i| i.pin.as_deref() == Some("release/2026.2 baseline (alice)"))
            .expect("the demo world's pinned image")
            .name
            .clone()
    };
    select_image(&mut model, &pinned);
    assert!(update(&mut model, ch('p')).is_empty());
    let Overlay::Pin(dialog) = &model.overlay else {
        panic!("an unpin confirmation")
    };
    assert_eq!(
        dialog.current.as_deref(),
        Some("release/2026.2 baseline (alice)")
    );
    let screen = render(&mut model, 120, 40, "dark");
    assert!(
        screen.contains("release/2026.2 baseline (alice)"),
        "the reason is on screen: {screen}"
    );
    // Enter on Cancel changes nothing.
    assert!(update(&mut model, key(KeyCode::Enter)).is_empty());
    assert!(matches!(model.overlay, Overlay::None));
    update(&mut model, ch('p'));
    update(&mut model, key(KeyCode::Tab));
    let effects = update(&mut model, key(KeyCode::Enter));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::SetPin(_, _, _, PinChange::Unpin)]
        ),
        "{effects:?}"
    );
}

#[tokio::test]
async fn retiring_unusual_images_needs_their_own_confirmation() {
    let mut model = model().await;
    // The newest image of its path, and an untagged one: retention would never retire them.
    let current = {
        let data = model.data.as_ref().unwrap();
        data.images
            .iter()
            .find(|at| {
                data.decision(**at).state == RetentionState::Current
                    && data.lab(at.lab).name == "Eng-WestEurope"
            })
            .map(|at| data.image(*at).name.clone())
            .unwrap()
    };
    select_image(&mut model, &current);
    update(&mut model, ch(' '));
    select_image(&mut model, "alice-debug-snapshot");
    update(&mut model, ch(' '));
    let usual = {
        let data = model.data.as_ref().unwrap();
        data.images
            .iter()
            .find(|at| data.decision(**at).state == RetentionState::Retire)
            .map(|at| data.image(*at).name.clone())
            .unwrap()
    };
    select_image(&mut model, &usual);
    update(&mut model, ch(' '));
    update(&mut model, key(KeyCode::Esc));
    assert!(update(&mut model, ch('D')).is_empty());
    let Overlay::Confirm(confirm) = &model.overlay else {
        panic!("a confirmation")
    };
    assert_eq!(confirm.targets.len(), 1, "only the usual one by default");
    assert_eq!(confirm.unusual_targets.len(), 2);
    assert!(
        confirm.items[0].contains(": retire ("),
        "{:?}",
        confirm.items
    );
    assert!(
        confirm
            .unusual_items
            .iter()
            .any(|i| i.contains(": current (")),
        "{:?}",
        confirm.unusual_items
    );
    assert!(
        confirm
            .unusual_items
            .iter()
            .any(|i| i.contains(": unmanaged (")),
        "{:?}",
        confirm.unusual_items
    );
    let screen = render(&mut model, 120, 40, "dark");
    assert!(screen.contains("Unusual"), "{screen}");
    assert!(screen.contains("[ ] include the 2 unusual"), "{screen}");
    // Confirm without including them retires the usual one only.
    update(&mut model, key(KeyCode::Tab));
    assert_eq!(
        match &model.overlay {
            Overlay::Confirm(c) => c.focus,
            _ => panic!(),
        },
        Button::Confirm
    );
    update(&mut model, key(KeyCode::Tab));
    update(&mut model, key(KeyCode::Enter));
    let Overlay::Confirm(confirm) = &model.overlay else {
        panic!("still confirming")
    };
    assert!(confirm.include_unusual);
    assert_eq!(confirm.count(), 3);
    update(&mut model, key(KeyCode::BackTab));
    let effects = update(&mut model, key(KeyCode::Enter));
    let [Effect::Retire(_, _, targets, _)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(targets.len(), 3);
    let unusual: Vec<_> = targets
        .iter()
        .filter(|t| t.guard == Guard::Chosen { unusual: true })
        .map(|t| t.name.clone())
        .collect();
    assert_eq!(unusual.len(), 2, "{unusual:?}");
    assert!(unusual.contains(&"alice-debug-snapshot".to_string()));
    assert!(unusual.contains(&current));
}

#[tokio::test]
async fn read_only_says_why_changing_keys_do_nothing() {
    let mut model = model_with(inventory().await, true);
    update(&mut model, ch('3'));
    for c in ['p', 'D', 'a', 'A'] {
        model.flash = None;
        assert!(update(&mut model, ch(c)).is_empty());
        let flash = model
            .flash
            .as_ref()
            .map(|f| f.text.clone())
            .unwrap_or_default();
        assert!(flash.contains("read-only console"), "{c}: {flash:?}");
    }
    update(&mut model, ch(':'));
    type_text(&mut model, "pin");
    update(&mut model, key(KeyCode::Enter));
    let flash = model.flash.as_ref().unwrap().text.clone();
    assert!(
        flash.contains("read-only console: :pin changes Azure"),
        "{flash}"
    );
}

#[tokio::test]
async fn ctrl_c_quits_from_the_filter_the_palette_the_help_and_dialogs() {
    for open in [
        vec![ch('/')],
        vec![ch(':')],
        vec![ch('?')],
        vec![ch('3'), ch('A')],
    ] {
        let mut model = model().await;
        press(&mut model, open);
        assert!(!model.quit);
        update(&mut model, ctrl('c'));
        assert!(model.quit);
    }
    let mut model = model().await;
    assert!(matches!(
        update(&mut model, ctrl('z')).as_slice(),
        [Effect::Suspend]
    ));
}

#[tokio::test]
async fn stopping_a_running_retirement_asks_then_cancels_and_quits_when_done() {
    let mut model = model().await;
    update(&mut model, ch('3'));
    update(&mut model, ch('A'));
    let required = match &model.overlay {
        Overlay::Confirm(c) => c.typed_required.clone(),
        _ => panic!("a confirmation"),
    };
    // Typing the count is the confirmation: the focus moves to Retire by itself.
    type_text(&mut model, &required.expect("a large plan wants the count"));
    let effects = update(&mut model, key(KeyCode::Enter));
    let [Effect::Retire(req, ..)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let req = *req;
    // q asks first, and nothing new starts while the question is up; n carries on.
    let effects = update(&mut model, ch('q'));
    assert!(
        matches!(effects.as_slice(), [Effect::Hold(r)] if *r == req),
        "{effects:?}"
    );
    assert!(matches!(&model.overlay, Overlay::Job(w) if w.stop_asked));
    assert!(render(&mut model, 120, 40, "dark").contains("Stop the retirement and quit?"));
    let effects = update(&mut model, ch('n'));
    assert!(
        matches!(effects.as_slice(), [Effect::Release(r)] if *r == req),
        "{effects:?}"
    );
    assert!(matches!(&model.overlay, Overlay::Job(w) if !w.stop_asked && !w.quit_after));
    // ctrl-c asks (holding the work), y stops it.
    assert!(matches!(
        update(&mut model, ctrl('c')).as_slice(),
        [Effect::Hold(_)]
    ));
    let effects = update(&mut model, ch('y'));
    assert!(
        matches!(effects.as_slice(), [Effect::Cancel(r)] if *r == req),
        "{effects:?}"
    );
    assert!(!model.quit, "waits for what is in flight");
    update(&mut model, Msg::Loaded(req, Payload::RetireDone));
    assert!(model.quit, "quits once the retirement has stopped");
    let flash = model.flash.as_ref().unwrap().text.clone();
    assert!(flash.starts_with("stopped: retired 0 of"), "{flash}");
}

#[tokio::test]
async fn retirement_results_arrive_live_and_a_refresh_follows() {
    let mut model = model().await;
    update(&mut model, ch('3'));
    update(&mut model, ch('a'));
    update(&mut model, key(KeyCode::Tab));
    let confirm_effects = update(&mut model, key(KeyCode::Enter));
    let [Effect::Retire(req, _, targets, _)] = confirm_effects.as_slice() else {
        // Over the threshold the count must be typed first.
        let Overlay::Confirm(c) = &model.overlay else {
            panic!()
        };
        let n = c.typed_required.clone().unwrap();
        type_text(&mut model, &n);
        let effects = update(&mut model, key(KeyCode::Enter));
        let [Effect::Retire(req, _, targets, _)] = effects.as_slice() else {
            panic!("{effects:?}")
        };
        return check_progress(&mut model, *req, targets.clone());
    };
    check_progress(&mut model, *req, targets.clone());
}

fn check_progress(
    model: &mut imagefactory::tui::model::Model,
    req: u64,
    targets: Vec<imagefactory::factory::retire::RetireTarget>,
) {
    let before = model.data.as_ref().unwrap().images.len();
    for (i, t) in targets.iter().enumerate() {
        let result = if i == 0 {
            RetireResult::Skipped("changed since the plan: now pinned (x)".into())
        } else {
            RetireResult::Retired
        };
        update(
            model,
            Msg::Retired(
                req,
                RetireOutcome {
                    lab: "lab".into(),
                    image: t.image.clone(),
                    name: t.name.clone(),
                    image_path: None,
                    reason: t.reason,
                    state: None,
                    result,
                },
            ),
        );
    }
    let Overlay::Job(w) = &model.overlay else {
        panic!("the retirement's window")
    };
    let job = model.jobs.get(w.job).unwrap();
    assert_eq!(job.items.len(), targets.len());
    assert!(job.is_running());
    assert_eq!(
        model.data.as_ref().unwrap().images.len(),
        before,
        "the data stays put while results arrive"
    );
    let effects = update(model, Msg::Loaded(req, Payload::RetireDone));
    assert_eq!(
        model.data.as_ref().unwrap().images.len(),
        before - (targets.len() - 1),
        "retired images leave the data in one go when it ends"
    );
    assert!(
        matches!(effects.as_slice(), [Effect::RefreshInventory(_)]),
        "{effects:?}"
    );
    let Overlay::Job(w) = &model.overlay else {
        panic!("the retirement's window")
    };
    assert!(!model.jobs.get(w.job).unwrap().is_running());
    update(model, key(KeyCode::Esc));
    assert!(matches!(model.overlay, Overlay::None));
}

#[tokio::test]
async fn time_expires_flashes_and_starts_the_next_refresh() {
    let mut model = model().await;
    model.flash(Level::Info, "hello");
    let due = model
        .freshness
        .next_refresh
        .expect("a refresh is scheduled");
    assert!(update(&mut model, Msg::Tick(now() + time::Duration::seconds(5))).is_empty());
    assert!(model.flash.is_none());
    let effects = update(&mut model, Msg::Tick(due));
    assert!(matches!(effects.as_slice(), [Effect::RefreshInventory(_)]));
}

#[tokio::test]
async fn detail_loads_the_resource_json_and_copy_uses_the_id() {
    let mut model = model().await;
    update(&mut model, key(KeyCode::Enter));
    let effects = update(&mut model, ch('d'));
    let [Effect::LoadDetail(req, id)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(matches!(&model.route().view, View::Detail { .. }));
    update(
        &mut model,
        Msg::Loaded(*req, Payload::Detail(Ok("{\n  \"name\": \"x\"\n}".into()))),
    );
    let lines = imagefactory::tui::model::detail_lines(&model);
    assert!(lines.iter().any(|l| l.text.contains("\"name\": \"x\"")));
    let effects = update(&mut model, ch('c'));
    assert!(
        matches!(effects.as_slice(), [Effect::Copy(text)] if text == id.as_str()),
        "{effects:?} {id}"
    );
    let effects = update(&mut model, ch('C'));
    assert!(
        matches!(effects.as_slice(), [Effect::Copy(text)] if text.starts_with("https://portal.azure.com/#@72f988bf-86f1-41af-91ab-2d7cd011db47/resource/subscriptions/"))
    );
}

#[tokio::test]
async fn the_labs_view_says_what_is_due_and_what_is_up_to_date() {
    let mut model = model().await;
    let data = model.data.as_ref().unwrap();
    let l = (0..data.labs.len())
        .find(|&l| data.lab(l).name == "Eng-Workstations")
        .unwrap();
    assert_eq!(
        data.up_to_date[l],
        Some(false),
        "its newest vs2022 is a week behind"
    );
    assert!(data.due[l] > 0);
    let screen = render(&mut model, 80, 24, "dark");
    assert!(screen.contains("Eng-Workstations [T]"), "{screen}");
}

#[tokio::test]
async fn a_first_refresh_that_fails_says_why_instead_of_loading_forever() {
    let fresh = model().await;
    let mut model = imagefactory::tui::model::Model::new(
        fresh.identity.clone(),
        fresh.config.clone(),
        fresh.keymap.clone(),
        false,
        now(),
    );
    let effects = imagefactory::tui::update::init(&mut model);
    let [Effect::RefreshInventory(req), Effect::LoadPrincipal] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(render(&mut model, 80, 24, "dark").contains("reading the inventory"));
    update(
        &mut model,
        Msg::Loaded(
            *req,
            Payload::Inventory(Err("AuthorizationFailed: no access".into())),
        ),
    );
    for view in ['1', '3'] {
        update(&mut model, ch(view));
        let screen = render(&mut model, 120, 40, "dark");
        assert!(
            screen.contains(
                "could not read the inventory: AuthorizationFailed: no access. ctrl-r tries again."
            ),
            "{screen}"
        );
    }
    let effects = update(&mut model, ctrl('r'));
    assert!(matches!(effects.as_slice(), [Effect::RefreshInventory(_)]));
}

#[tokio::test]
async fn the_header_names_the_principal_once_its_token_says_who() {
    let mut model = model().await;
    assert!(render(&mut model, 120, 40, "dark").contains("managed-identity (tester)"));
    update(
        &mut model,
        Msg::Loaded(
            0,
            Payload::Principal(Some(imagefactory::arm::Principal {
                name: "factory@contoso.com".into(),
                object_id: None,
                tenant: None,
            })),
        ),
    );
    let screen = render(&mut model, 120, 40, "dark");
    assert!(
        screen.contains("factory@contoso.com (managed-identity)"),
        "{screen}"
    );
}

#[tokio::test]
async fn messages_keep_every_flash_in_full_and_a_long_flash_points_to_them() {
    let mut model = model().await;
    let long = format!(
        "AuthorizationFailed (HTTP 403): The client 'factory@contoso.com' does not have authorization to perform action 'Microsoft.DevTestLab/labs/customImages/delete' {}",
        "x".repeat(60)
    );
    update(&mut model, Msg::Flash(Level::Error, long.clone()));
    let screen = render(&mut model, 80, 24, "dark");
    assert!(screen.contains("(m: messages)"), "{screen}");
    // Time passes; the flash goes, the message stays.
    update(&mut model, Msg::Tick(now() + time::Duration::minutes(5)));
    assert!(model.flash.is_none());
    update(&mut model, ch('m'));
    assert_eq!(model.route().view, View::Messages);
    let screen = render(&mut model, 120, 40, "dark");
    assert!(
        screen.contains("error AuthorizationFailed (HTTP 403)"),
        "{screen}"
    );
    assert!(
        screen.contains("xxxxxxxxxx"),
        "the whole text, wrapped: {screen}"
    );
    // Newest first.
    update(
        &mut model,
        Msg::Flash(Level::Info, "a newer message".into()),
    );
    assert_eq!(model.route().rows.first(), Some(&Row::Message(1)));
}

#[tokio::test]
async fn a_partial_inventory_says_so_and_names_what_could_not_be_read() {
    let mut inventory = inventory().await;
    inventory.problems.push(imagefactory::factory::Problem {
        scope: "lab",
        id: "/subscriptions/0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01/resourceGroups/rg-dev-we/providers/Microsoft.DevTestLab/labs/Dev-WestEurop".into(),
        name: "Dev-WestEurop".into(),
        error: imagefactory::arm::ArmError::Api {
            method: "GET".into(),
            resource: "Dev-WestEurop".into(),
            status: 404,
            code: "ConfiguredLabNotFound".into(),
            message: "lab Dev-WestEurop is in the configuration but not among the labs of its subscription".into(),
            request_id: None,
        },
    });
    let mut model = model_with(inventory, false);
    let screen = render(&mut model, 120, 40, "dark");
    assert!(screen.contains("PARTIAL: 1 unreadable"), "{screen}");
    assert!(
        screen.contains("✗ Dev-WestEurop: 404 ConfiguredLabNotFound"),
        "{screen}"
    );
    // Enter on it says why in full, and the message is kept.
    update(&mut model, ch('G'));
    assert!(matches!(model.route().current(), Some(Row::Problem(0))));
    update(&mut model, key(KeyCode::Enter));
    assert!(
        model
            .messages
            .last()
            .unwrap()
            .text
            .contains("not among the labs of its subscription")
    );
}

#[tokio::test]
async fn without_a_configuration_the_retention_view_says_why_it_is_empty() {
    let mut model = model().await;
    model.config = None;
    update(&mut model, ch('3'));
    let screen = render(&mut model, 80, 24, "dark");
    assert!(
        screen.contains("no factory configuration, so retention manages nothing"),
        "{screen}"
    );
}

#[tokio::test]
async fn the_palette_completes_lab_names_scrolls_and_takes_a_prefix() {
    let mut model = model().await;
    // Tab keeps the argument and completes the lab.
    update(&mut model, ch(':'));
    type_text(&mut model, "images QA");
    update(&mut model, key(KeyCode::Tab));
    let Overlay::Palette(p) = &model.overlay else {
        panic!("palette open")
    };
    assert_eq!(p.input.lines()[0], "images QA-WestEurope");
    update(&mut model, key(KeyCode::Esc));
    // A unique prefix is enough.
    update(&mut model, ch(':'));
    type_text(&mut model, "images qa");
    update(&mut model, key(KeyCode::Enter));
    assert!(
        matches!(&model.route().view, View::Images { lab: Some(l) } if l.name() == "QA-WestEurope"),
        "{:?}",
        model.route().view
    );
    // An ambiguous one says which labs it could be.
    update(&mut model, ch(':'));
    type_text(&mut model, "images eng");
    update(&mut model, key(KeyCode::Enter));
    let flash = model.flash.as_ref().unwrap().text.clone();
    assert!(
        flash.contains("Eng-WestEurope") && flash.contains("Eng-Workstations"),
        "{flash}"
    );
    // Every command can be reached: the list scrolls with the selection.
    update(&mut model, ch(':'));
    for _ in 0..40 {
        update(&mut model, key(KeyCode::Down));
    }
    let screen = render(&mut model, 80, 24, "dark");
    let last = imagefactory::tui::update::completions(&model, "")
        .last()
        .unwrap()
        .text
        .clone();
    assert!(
        screen.contains(&last),
        "the last command is in sight: {screen}"
    );
    // Enter runs the one selected, which is on screen (the last: apply the whole plan).
    assert_eq!(last, "apply-all");
    update(&mut model, key(KeyCode::Enter));
    assert!(matches!(model.overlay, Overlay::Confirm(_)));
}

#[tokio::test]
async fn enter_on_a_drift_row_opens_that_labs_images_of_that_path() {
    let mut model = model().await;
    update(&mut model, ch('4'));
    // The first row whose lab has images of its path (missing ones come first).
    while matches!(model.route().current(), Some(Row::Drift(d))
        if model.data.as_ref().unwrap().drift[d].status
            == imagefactory::tui::model::DriftStatus::Missing)
    {
        update(&mut model, ch('j'));
    }
    let (lab, path) = {
        let data = model.data.as_ref().unwrap();
        let Some(Row::Drift(d)) = model.route().current() else {
            panic!("on a drift row")
        };
        let row = &data.drift[d];
        (data.lab(row.lab).name.clone(), row.path.clone())
    };
    update(&mut model, key(KeyCode::Enter));
    assert!(matches!(&model.route().view, View::Images { lab: Some(l) } if l.name() == lab));
    let data = model.data.as_ref().unwrap();
    assert!(!model.route().rows.is_empty());
    for row in &model.route().rows {
        let Row::Image(i) = row else {
            panic!("{row:?}")
        };
        assert_eq!(data.image(data.images[*i]).image_path.as_ref(), Some(&path));
    }
}

#[tokio::test]
async fn every_list_sorts_and_the_selection_stays_on_its_item() {
    for view in ['1', '2', '3', '4', '5'] {
        let mut model = model().await;
        update(&mut model, ch(view));
        update(&mut model, ch('j'));
        update(&mut model, ch('j'));
        let selected = model.route().current();
        let natural = model.route().rows.clone();
        let mut changed = false;
        for _ in 0..6 {
            update(&mut model, ch('o'));
            assert_eq!(
                model.route().current(),
                selected,
                "view {view}: the selection stays"
            );
            changed |= model.route().rows != natural;
            let mut rows = model.route().rows.clone();
            rows.sort_by_key(|r| format!("{r:?}"));
            let mut before = natural.clone();
            before.sort_by_key(|r| format!("{r:?}"));
            assert_eq!(rows, before, "view {view}: sorting keeps every row");
        }
        update(&mut model, ch('O'));
        changed |= model.route().rows != natural;
        assert!(changed, "view {view}: some sort changes the order");
    }
}

#[tokio::test]
async fn drift_puts_what_is_missing_and_outdated_first() {
    let mut model = model().await;
    update(&mut model, ch('4'));
    let data = model.data.as_ref().unwrap();
    let rank = |r: &Row| match r {
        Row::Drift(d) => match data.drift[*d].status {
            imagefactory::tui::model::DriftStatus::Missing => 0,
            imagefactory::tui::model::DriftStatus::Outdated => 1,
            imagefactory::tui::model::DriftStatus::Newest => 2,
        },
        _ => panic!("{r:?}"),
    };
    let ranks: Vec<i32> = model.route().rows.iter().map(rank).collect();
    let mut sorted = ranks.clone();
    sorted.sort();
    assert_eq!(ranks, sorted);
    assert!(ranks.first() < ranks.last(), "{ranks:?}");
}

#[tokio::test]
async fn a_terminal_too_small_says_so_and_the_help_wraps_instead_of_cutting() {
    let mut model = model().await;
    let screen = render(&mut model, 50, 10, "dark");
    assert!(screen.contains("terminal too small: 50x10"), "{screen}");
    update(&mut model, ch('?'));
    let screen = render(&mut model, 200, 50, "dark");
    // The longest help text is on screen whole.
    assert!(
        screen.contains("every message of this session, newest first, in full"),
        "{screen}"
    );
    // G and g go to the ends of the help, as in every list.
    update(&mut model, ch('G'));
    assert!(matches!(model.overlay, Overlay::Help { scroll } if scroll > 0));
    update(&mut model, ch('g'));
    assert!(matches!(model.overlay, Overlay::Help { scroll: 0 }));
}

#[tokio::test]
async fn a_refresh_keeps_the_selection_on_the_same_image_when_others_go() {
    let mut model = model().await;
    update(&mut model, ch('2'));
    for _ in 0..5 {
        update(&mut model, ch('j'));
    }
    let selected = selected_image_name(&model);
    let effects = update(&mut model, ctrl('r'));
    let [Effect::RefreshInventory(req)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    // The next read: the first two images of the list are gone.
    let mut inventory = model.data.as_ref().unwrap().inventory.clone();
    let gone: Vec<String> = {
        let data = model.data.as_ref().unwrap();
        model.route().rows[..2]
            .iter()
            .map(|r| match r {
                Row::Image(i) => data.image(data.images[*i]).id.key(),
                _ => panic!(),
            })
            .collect()
    };
    for sub in &mut inventory.subscriptions {
        for lab in &mut sub.labs {
            lab.images.retain(|i| !gone.contains(&i.id.key()));
        }
    }
    update(
        &mut model,
        Msg::Loaded(*req, Payload::Inventory(Ok(Box::new(inventory)))),
    );
    assert_eq!(
        selected_image_name(&model),
        selected,
        "the same image, not the same row"
    );
}

#[tokio::test]
async fn d_on_a_drift_row_opens_its_paths_definition() {
    let mut model = model().await;
    update(&mut model, ch('4'));
    let path = {
        let data = model.data.as_ref().unwrap();
        let Some(Row::Drift(d)) = model.route().current() else {
            panic!("on a drift row")
        };
        data.drift[d].path.clone()
    };
    update(&mut model, ch('d'));
    assert_eq!(model.route().view, View::Defs);
    let config = model.config.clone().unwrap();
    let rows: Vec<_> = model
        .route()
        .rows
        .iter()
        .map(|r| match r {
            Row::Def(i) => config.images[*i].path.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(rows, [path]);
}

#[tokio::test]
async fn enter_on_a_missing_drift_row_says_so_instead_of_an_empty_list() {
    let mut model = model().await;
    update(&mut model, ch('4'));
    // Missing rows come first.
    let Some(Row::Drift(d)) = model.route().current() else {
        panic!("on a drift row")
    };
    assert_eq!(
        model.data.as_ref().unwrap().drift[d].status,
        imagefactory::tui::model::DriftStatus::Missing
    );
    update(&mut model, key(KeyCode::Enter));
    assert_eq!(model.route().view, View::Drift, "no empty list");
    let flash = model.flash.as_ref().unwrap().text.clone();
    assert!(flash.contains("has no image of"), "{flash}");
}

#[tokio::test]
async fn a_long_id_wraps_in_the_detail_view_without_losing_characters() {
    let mut model = model().await;
    update(&mut model, ch('2'));
    let id = {
        let data = model.data.as_ref().unwrap();
        let Some(Row::Image(i)) = model.route().current() else {
            panic!()
        };
        data.image(data.images[i]).id.to_string()
    };
    update(&mut model, ch('d'));
    let screen = render(&mut model, 80, 24, "mono");
    let lines: Vec<&str> = screen.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.contains(" Id "))
        .expect("the Id line");
    let mut text = lines[start]
        .trim_matches('│')
        .split_once(" Id ")
        .unwrap()
        .1
        .trim()
        .to_string();
    for l in &lines[start + 1..] {
        let inner = l.trim_matches('│');
        // Continuation lines are indented by four (marker column and two).
        match inner.strip_prefix("    ") {
            Some(rest) if !rest.starts_with(' ') => text.push_str(rest.trim_end()),
            _ => break,
        }
    }
    assert_eq!(text, id);
}

#[tokio::test]
async fn the_header_names_the_configuration_file_and_marks_an_endpoint_that_is_not_azures() {
    let mut model = model().await;
    model.identity.config_file = Some("./factory.toml".into());
    model.identity.emulator = false;
    model.identity.endpoint = "https://arm.attacker.example/".into();
    // At 120 columns the endpoint comes before the rest; the file where there is room.
    let screen = render(&mut model, 120, 40, "dark");
    let second = screen.lines().nth(1).unwrap();
    assert!(
        second.contains("endpoint https://arm.attacker.example/"),
        "{second}"
    );
    let screen = render(&mut model, 160, 40, "dark");
    let second = screen.lines().nth(1).unwrap();
    assert!(second.contains("(./factory.toml)"), "{second}");
    // Azure's own endpoint is not marked.
    model.identity.endpoint = "https://management.azure.com/".into();
    let screen = render(&mut model, 120, 40, "dark");
    assert!(
        !screen.lines().nth(1).unwrap().contains("endpoint "),
        "{screen}"
    );
}

#[tokio::test]
async fn a_retirement_counts_every_chosen_image_and_takes_the_marks_with_it() {
    let mut model = model().await;
    update(&mut model, ch('3'));
    let (pinned, usual, current) = {
        let data = model.data.as_ref().unwrap();
        let find = |f: &dyn Fn(&imagefactory::tui::model::Data, _) -> bool| {
            data.images
                .iter()
                .find(|at| f(data, **at))
                .map(|at| data.image(*at).name.clone())
                .unwrap()
        };
        (
            find(&|d, at| d.image(at).pin.is_some()),
            find(&|d, at| d.decision(at).state == RetentionState::Retire),
            find(&|d, at| d.decision(at).state == RetentionState::Current),
        )
    };
    for name in [&pinned, &usual, &current] {
        select_image(&mut model, name);
        update(&mut model, ch(' '));
    }
    update(&mut model, key(KeyCode::Esc));
    assert_eq!(model.marks.len(), 3);
    update(&mut model, ch('D'));
    // Confirm, leaving the unusual one out.
    update(&mut model, key(KeyCode::Tab));
    let effects = update(&mut model, key(KeyCode::Enter));
    let [Effect::Retire(req, _, targets, _)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(targets.len(), 1);
    assert!(model.marks.is_empty(), "the marks went with the action");
    let job = model.jobs.get(*req).unwrap();
    assert_eq!(job.total, 3, "every chosen image is counted");
    let skipped: Vec<&str> = job.items.iter().map(|i| i.detail.as_str()).collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(
        skipped
            .iter()
            .any(|d| d.starts_with("left out: it is pinned")),
        "{skipped:?}"
    );
    assert!(skipped.iter().any(|d| d.contains("unusual")), "{skipped:?}");
}

#[tokio::test]
async fn every_top_level_view_replaces_the_breadcrumb() {
    let mut model = model().await;
    update(&mut model, ch('2'));
    update(&mut model, key(KeyCode::Enter));
    assert_eq!(model.routes.len(), 2, "a detail is pushed");
    for c in ['1', '2', '3', '4', '5', '6', '7', '8', 'm'] {
        update(&mut model, ch(c));
        assert_eq!(model.routes.len(), 1, "`{c}` replaces the stack");
    }
}

#[tokio::test]
async fn a_dialog_that_opens_clears_a_flash_from_before_it() {
    let mut model = model().await;
    update(&mut model, ch('3'));
    model.flash(Level::Warn, "an old word about something else");
    update(&mut model, ch('A'));
    assert!(matches!(model.overlay, Overlay::Confirm(_)));
    assert!(model.flash.is_none(), "{:?}", model.flash);
}

#[tokio::test]
async fn a_first_read_that_fails_says_nothing_was_read_not_an_unknown_age() {
    let keymap = imagefactory::tui::keymap::KeyMap::new(&Default::default(), false).unwrap();
    let mut model = imagefactory::tui::model::Model::new(
        imagefactory::tui::model::Identity::default(),
        None,
        keymap,
        false,
        fixture::now(),
    );
    let effects = imagefactory::tui::update::init(&mut model);
    let Some(Effect::RefreshInventory(req)) = effects.into_iter().next() else {
        panic!("a read is asked for")
    };
    update(
        &mut model,
        Msg::Loaded(req, Payload::Inventory(Err("connection refused".into()))),
    );
    let screen = render(&mut model, 120, 40, "dark");
    assert!(screen.contains("nothing read yet"), "{screen}");
    assert!(!screen.contains("? old"), "{screen}");
}
