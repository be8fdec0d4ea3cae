//! Snapshots of every view and dialog, at 80x24 and 120x40, in the default and mono themes.
//! Review changes to them like code (`cargo insta review`, or INSTA_UPDATE=always and git diff).

mod common;
#[path = "console/fixture.rs"]
mod fixture;

use crossterm::event::KeyCode;
use fixture::*;
use imagefactory::factory::RetireReason;
use imagefactory::factory::retire::{RetireOutcome, RetireResult};
use imagefactory::tui::effect::Effect;
use imagefactory::tui::model::Model;
use imagefactory::tui::msg::{Msg, Payload};
use imagefactory::tui::update::update;

type Setup = fn(&mut Model);

fn scenarios() -> Vec<(&'static str, Setup)> {
    vec![
        ("labs", |_| {}),
        ("images_all", |m| {
            update(m, ch('2'));
        }),
        ("images_one_lab", |m| {
            update(m, ch(':'));
            type_text(m, "images Dev-WestEurope");
            update(m, key(KeyCode::Enter));
            update(m, ch('j'));
            update(m, ch(' '));
        }),
        ("images_filtered_sorted", |m| {
            update(m, ch('2'));
            update(m, ch('/'));
            type_text(m, "vs2022");
            update(m, key(KeyCode::Enter));
            update(m, ch('o'));
            update(m, ch('o'));
        }),
        ("filter_typing", |m| {
            update(m, ch('2'));
            update(m, ch('/'));
            type_text(m, "win(");
        }),
        ("retention", |m| {
            update(m, ch('3'));
        }),
        ("drift", |m| {
            update(m, ch('4'));
        }),
        ("definitions", |m| {
            update(m, ch('5'));
        }),
        ("detail", |m| {
            update(m, ch(':'));
            type_text(m, "images Dev-WestEurope");
            update(m, key(KeyCode::Enter));
            let effects = update(m, ch('d'));
            let [Effect::LoadDetail(req, _)] = effects.as_slice() else {
                panic!("the detail view loads its JSON: {effects:?}")
            };
            let json = "{\n  \"name\": \"alice-debug-snapshot\",\n  \"properties\": {\n    \"author\": \"alice@contoso.com\"\n  }\n}";
            update(m, Msg::Loaded(*req, Payload::Detail(Ok(json.into()))));
        }),
        ("help", |m| {
            update(m, ch('?'));
        }),
        ("palette", |m| {
            update(m, ch(':'));
            type_text(m, "re");
        }),
        ("confirm", |m| {
            update(m, ch('3'));
            update(m, ch('/'));
            type_text(m, "Training");
            update(m, key(KeyCode::Enter));
            update(m, ch('a'));
        }),
        ("confirm_unusual", |m| {
            // An untagged image and a current one, marked and retired on purpose.
            let current = {
                let data = m.data.as_ref().unwrap();
                data.images
                    .iter()
                    .find(|at| {
                        data.decision(**at).state == imagefactory::factory::RetentionState::Current
                    })
                    .map(|at| data.image(*at).name.clone())
                    .unwrap()
            };
            update(m, ch('2'));
            update(m, ch('/'));
            type_text(m, &format!("alice-debug-snapshot|{current}"));
            update(m, key(KeyCode::Enter));
            update(m, ch(' '));
            update(m, ch(' '));
            update(m, ch('D'));
            assert!(
                matches!(&m.overlay, imagefactory::tui::model::Overlay::Confirm(c) if c.unusual_items.len() == 2),
                "both are set apart as unusual"
            );
        }),
        ("pin_reason", |m| {
            update(m, ch('2'));
            update(m, ch('p'));
            assert!(matches!(
                &m.overlay,
                imagefactory::tui::model::Overlay::Pin(_)
            ));
        }),
        ("confirm_typed", |m| {
            update(m, ch('3'));
            update(m, ch('A'));
            update(m, key(KeyCode::Tab));
            type_text(m, "6");
        }),
        ("progress", |m| {
            update(m, ch('3'));
            update(m, ch('A'));
            update(m, key(KeyCode::Tab));
            let n = match &m.overlay {
                imagefactory::tui::model::Overlay::Confirm(c) => {
                    c.typed_required.clone().unwrap_or_default()
                }
                _ => String::new(),
            };
            type_text(m, &n);
            let effects = update(m, key(KeyCode::Enter));
            if let [Effect::Retire(req, _, targets, _)] = effects.as_slice() {
                for (i, t) in targets.iter().take(5).enumerate() {
                    let result = match i {
                        3 => RetireResult::Skipped(
                            "changed since the plan: now pinned (pinned: kept for a demo)".into(),
                        ),
                        _ => RetireResult::Retired,
                    };
                    let outcome = RetireOutcome {
                        lab: "Eng-EastUS".into(),
                        image: t.image.clone(),
                        name: t.name.clone(),
                        image_path: None,
                        reason: RetireReason::Superseded,
                        state: None,
                        result,
                    };
                    update(m, Msg::Retired(*req, outcome));
                }
            }
        }),
    ]
}

#[tokio::test]
async fn every_view_and_dialog_at_both_sizes_in_both_themes() {
    let inventory = inventory().await;
    for (name, setup) in scenarios() {
        for (w, h) in [(80u16, 24u16), (120, 40)] {
            for theme in ["dark", "mono"] {
                let mut model = model_with(inventory.clone(), false);
                update(&mut model, Msg::Resize(w, h));
                setup(&mut model);
                model.flash = None;
                let screen = render(&mut model, w, h, theme);
                insta::assert_snapshot!(format!("{name}_{w}x{h}_{theme}"), screen);
            }
        }
    }
}

#[tokio::test]
async fn read_only_console_shows_its_badge_and_no_changing_hints() {
    let mut model = model_with(inventory().await, true);
    update(&mut model, ch('3'));
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        let screen = render(&mut model, w, h, "dark");
        insta::assert_snapshot!(format!("read_only_retention_{w}x{h}_dark"), screen);
    }
}

#[tokio::test]
async fn mono_marks_the_selection_without_colour() {
    let mut model = model_with(inventory().await, false);
    let dark = render(&mut model, 120, 40, "dark");
    let mono = render(&mut model, 120, 40, "mono");
    assert!(dark.contains("│▶"), "{dark}");
    assert!(mono.contains("│>"), "{mono}");
}
