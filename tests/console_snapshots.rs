//! Snapshots of every view and dialog, at 80x24 and 120x40, in the default and mono themes.
//! Review changes to them like code (`cargo insta review`, or INSTA_UPDATE=always and git diff).

mod common;
#[path = "console/fixture.rs"]
mod fixture;
#[path = "console/runs.rs"]
mod runs;

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
            let [Effect::Retire(req, _, targets, _)] = effects.as_slice() else {
                panic!("the retirement starts: {effects:?}")
            };
            {
                for (i, t) in targets.iter().take(5).enumerate() {
                    let result = match i {
                        3 => RetireResult::Skipped(
                            "changed since the plan: now pinned (pinned: kept for a demo)".into(),
                        ),
                        _ => RetireResult::Retired,
                    };
                    let outcome = RetireOutcome {
                        lab: "Eng-WestEurope".into(),
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
        ("builds", |m| {
            runs::with_runs(m);
            update(m, ch('6'));
        }),
        ("run_in_progress", |m| {
            runs::with_runs(m);
            update(m, ch('6'));
            update(m, key(KeyCode::Enter));
            update(m, ch('j'));
        }),
        ("run_failed_image", |m| {
            runs::with_runs(m);
            update(m, ch('6'));
            update(m, key(KeyCode::Enter));
            update(m, ch('G'));
            update(m, key(KeyCode::Enter));
        }),
        ("build_plan_error", |m| {
            update(m, ch('5'));
            update(m, ch(' '));
            update(m, ch(' '));
            let effects = update(m, ch('b'));
            let [Effect::PlanBuild(req, inventory, selection)] = effects.as_slice() else {
                panic!("b plans the build: {effects:?}")
            };
            // No offer read: the base images are unknown to the factory lab, a plan error.
            let plan = imagefactory::factory::builder::plan(
                m.config.as_deref().unwrap(),
                inventory,
                &imagefactory::factory::builder::FactoryOffer::default(),
                selection,
                imagefactory::factory::builder::RunId::parse("20261120t120000-0c0c").unwrap(),
            );
            update(
                m,
                Msg::Loaded(
                    *req,
                    Payload::RunPlan {
                        distribution: false,
                        plan: Ok(Box::new(plan)),
                    },
                ),
            );
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
                // The badge that says this is not Azure is never cut, whatever the view.
                assert!(
                    screen.lines().next().unwrap_or("").contains("EMULATOR"),
                    "{name} {w}x{h}: {screen}"
                );
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
async fn read_only_stays_in_sight_in_deep_views_at_80_columns() {
    let mut model = model_with(inventory().await, true);
    update(&mut model, ch(':'));
    type_text(&mut model, "images Dev-WestEurope");
    update(&mut model, key(KeyCode::Enter));
    update(&mut model, ch('d'));
    let screen = render(&mut model, 80, 24, "dark");
    let header = screen.lines().next().unwrap_or("");
    assert!(header.contains("READ-ONLY"), "{screen}");
    assert!(header.contains("EMULATOR"), "{screen}");
}

#[tokio::test]
async fn mono_marks_the_selection_without_colour() {
    let mut model = model_with(inventory().await, false);
    let dark = render(&mut model, 120, 40, "dark");
    let mono = render(&mut model, 120, 40, "mono");
    assert!(dark.contains("│▶"), "{dark}");
    assert!(mono.contains("│>"), "{mono}");
}

/// Where `text` starts on row `y` of the buffer, if it does.
fn find_on_row(buffer: &ratatui::buffer::Buffer, y: u16, text: &str) -> Option<u16> {
    let row: String = (0..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol().to_string())
        .collect();
    row.find(text)
        .map(|byte| row[..byte].chars().count() as u16)
}

#[tokio::test]
async fn states_have_their_colours_and_the_selection_wins_in_every_theme() {
    use imagefactory::tui::theme::Theme;
    let inventory = inventory().await;
    for name in ["dark", "light", "high-contrast", "mono"] {
        let theme = Theme::built_in(name).unwrap();
        let mut model = model_with(inventory.clone(), false);
        update(&mut model, ch('2'));
        // Put the cursor on an image due for retirement, so one "retire" is selected.
        update(&mut model, ch('/'));
        type_text(&mut model, "retire");
        update(&mut model, key(KeyCode::Enter));
        update(&mut model, ch('j'));
        let buffer = render_buffer(&mut model, 120, 40, &theme);
        let selected_y = (0..40)
            .find(|&y| find_on_row(&buffer, y, theme.marker.as_str()).is_some_and(|x| x == 1))
            .expect("the selected row shows the marker");
        let mut checked_state = false;
        for y in 4..39u16 {
            let Some(x) = find_on_row(&buffer, y, "retire") else {
                continue;
            };
            let cell = &buffer[(x, y)];
            if y == selected_y {
                assert_eq!(
                    cell.fg,
                    theme.selected.fg.unwrap_or_default(),
                    "{name}: selected fg"
                );
                assert_eq!(
                    cell.bg,
                    theme.selected.bg.unwrap_or_default(),
                    "{name}: selected bg"
                );
            } else {
                assert_eq!(
                    cell.fg,
                    theme.state_retire.fg.unwrap_or_default(),
                    "{name}: a retire cell has the retire colour"
                );
                assert!(
                    cell.modifier.contains(ratatui::style::Modifier::BOLD),
                    "{name}: retire is bold, so it reads without colour too"
                );
                checked_state = true;
            }
        }
        assert!(checked_state, "{name}: some retire cells were checked");
        if name == "mono" {
            for y in 0..40 {
                for x in 0..120 {
                    let cell = &buffer[(x, y)];
                    assert_eq!(
                        cell.fg,
                        ratatui::style::Color::Reset,
                        "mono: no colour at {x},{y}"
                    );
                }
            }
        }
        // The selection is readable: its colours differ (or mono reverses).
        assert!(
            theme.selected.fg != theme.selected.bg
                || theme
                    .selected
                    .add_modifier
                    .contains(ratatui::style::Modifier::REVERSED),
            "{name}"
        );
    }
}
