//! Definitions in the console, driven by messages: a definition in full, editing its TOML
//! (a mistake is shown at its line and nothing is written; a good save is loaded and planned),
//! a new definition from a template or a lab VM, and the Check view against the emulator.

mod common;
#[path = "console/fixture.rs"]
mod fixture;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fixture::*;
use imagefactory::config::{self, ImagePath};
use imagefactory::factory::check;
use imagefactory::tui::effect::Effect;
use imagefactory::tui::model::{Model, Overlay, View, detail_lines};
use imagefactory::tui::msg::{Msg, Payload};
use imagefactory::tui::update::update;

/// A copy of the sample factory in a folder of its own (edits must not touch samples/).
fn factory_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = common::fixed_length_tempdir();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/factory");
    copy(&from, dir.path());
    let path = dir.path().join("factory.toml");
    (dir, path)
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The console over the demo world with the copy's configuration, on the Definitions view.
async fn console(config: &Path) -> Model {
    let mut model = model().await;
    model.config = Some(Arc::new(config::load(config).unwrap()));
    model.rebuild_all();
    update(&mut model, ch('5'));
    model
}

fn ctrl_s() -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL))
}

fn cursor_to(model: &mut Model, path: &str) {
    let config = model.config.clone().unwrap();
    let i = config
        .images
        .iter()
        .position(|d| d.path.as_str() == path)
        .unwrap();
    let row = model
        .route()
        .rows
        .iter()
        .position(|r| *r == imagefactory::tui::model::Row::Def(i))
        .unwrap();
    model.route_mut().cursor = row;
}

fn editor_text(model: &Model) -> String {
    match &model.overlay {
        Overlay::Editor(e) => e.content(),
        _ => panic!("the editor is open"),
    }
}

/// Runs a SaveDefinition effect as the app does, and feeds its reply.
fn run_save(model: &mut Model, effects: Vec<Effect>) -> Vec<Effect> {
    let config = model.config.clone().unwrap();
    let Some(Effect::SaveDefinition(req, path, file, text, new)) = effects
        .into_iter()
        .find(|e| matches!(e, Effect::SaveDefinition(..)))
    else {
        panic!("a save is asked for");
    };
    let result = config::write::save_definition(&config, &file, &text, new)
        .map(Box::new)
        .map_err(|e| e.to_string());
    update(
        model,
        Msg::Loaded(req, Payload::DefinitionSaved(path, result)),
    )
}

#[tokio::test]
async fn enter_shows_a_definition_in_full_with_the_labs_that_receive_it() {
    let (_dir, path) = factory_copy();
    let mut model = console(&path).await;
    cursor_to(&mut model, "win2022/vs2022");
    update(&mut model, key(KeyCode::Enter));
    assert!(
        matches!(&model.route().view, View::Definition { path } if path.as_str() == "win2022/vs2022")
    );
    let text: Vec<String> = detail_lines(&model).into_iter().map(|l| l.text).collect();
    let has = |s: &str| text.iter().any(|l| l.contains(s));
    assert!(has("Image definition win2022/vs2022"), "{text:?}");
    assert!(has("images/win2022/vs2022.toml"), "{text:?}");
    assert!(has("windows-sysprep is applied last"), "{text:?}");
    assert!(has("Eng-Workstations"), "{text:?}");
    insta::assert_snapshot!(
        "definition_120x40",
        render(&mut model, 120, 40, "dark")
            .replace(&path.parent().unwrap().display().to_string(), "[dir]")
    );
}

#[tokio::test]
async fn a_mistake_is_shown_at_its_line_and_nothing_is_written() {
    let (_dir, path) = factory_copy();
    let mut model = console(&path).await;
    cursor_to(&mut model, "win2022/base");
    update(&mut model, ch('e'));
    let file = path.parent().unwrap().join("images/win2022/base.toml");
    let before = std::fs::read_to_string(&file).unwrap();
    assert_eq!(editor_text(&model), before);
    // Line 2 is `os = "Windows"`: make it something else.
    update(&mut model, key(KeyCode::Down));
    update(&mut model, key(KeyCode::End));
    for _ in 0.."Windows\"".len() {
        update(&mut model, key(KeyCode::Backspace));
    }
    type_text(&mut model, "Windoze\"");
    let effects = update(&mut model, ctrl_s());
    assert!(effects.is_empty(), "nothing is saved: {effects:?}");
    let Overlay::Editor(editor) = &model.overlay else {
        panic!()
    };
    let error = editor.error.clone().unwrap();
    assert_eq!(error.at, Some((2, 6)));
    assert_eq!(
        error.message,
        "os `windoze` is not an OS; expected \"Windows\" or \"Linux\""
    );
    assert_eq!(
        editor.text.cursor(),
        (1, 5),
        "the cursor is put at the mistake"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
    insta::assert_snapshot!(
        "definition_edit_error_80x24",
        render(&mut model, 80, 24, "dark")
            .replace(&path.parent().unwrap().display().to_string(), "[dir]")
    );
    // Esc with changes asks once; the second leaves them.
    update(&mut model, key(KeyCode::Esc));
    assert!(matches!(model.overlay, Overlay::Editor(_)));
    update(&mut model, key(KeyCode::Esc));
    assert!(matches!(model.overlay, Overlay::None));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
}

#[tokio::test]
async fn a_good_save_is_written_loaded_and_planned() {
    let (_dir, path) = factory_copy();
    let mut model = console(&path).await;
    cursor_to(&mut model, "win2022/base");
    update(&mut model, ch('e'));
    // A tag at the end.
    for _ in 0..40 {
        update(&mut model, key(KeyCode::Down));
    }
    update(&mut model, key(KeyCode::End));
    update(&mut model, key(KeyCode::Enter));
    type_text(&mut model, "Owner = \"images\"");
    let effects = update(&mut model, ctrl_s());
    if let Overlay::Editor(e) = &model.overlay {
        assert!(e.error.is_none(), "{:?}\n{}", e.error, e.content());
    }
    let effects = run_save(&mut model, effects);
    assert!(
        matches!(model.overlay, Overlay::None),
        "the editor closes on a save"
    );
    let loaded = model.config.clone().unwrap();
    let d = loaded
        .images
        .iter()
        .find(|d| d.path.as_str() == "win2022/base")
        .unwrap();
    assert_eq!(d.tags["Owner"], "images");
    assert!(
        matches!(effects.first(), Some(Effect::UseConfig(c)) if c.images.len() == loaded.images.len()),
        "{effects:?}"
    );
    assert!(
        effects.iter().any(|e| matches!(e, Effect::PlanBuild(_, _, imagefactory::factory::builder::Selection::Paths(p)) if p == &vec![ImagePath::new("win2022/base")])),
        "the plan of a build of it is asked for: {effects:?}"
    );
    assert!(
        matches!(&model.route().view, View::Definition { path } if path.as_str() == "win2022/base")
    );
}

#[tokio::test]
async fn a_new_definition_starts_from_a_template_or_a_lab_vm() {
    let (_dir, path) = factory_copy();
    let mut model = console(&path).await;
    // `n` opens the palette ready for the path.
    update(&mut model, ch('n'));
    type_text(&mut model, "win2022/tools");
    update(&mut model, key(KeyCode::Enter));
    assert!(editor_text(&model).contains("sku = \"2022-datacenter\""));
    let effects = update(&mut model, ctrl_s());
    run_save(&mut model, effects);
    let file = path.parent().unwrap().join("images/win2022/tools.toml");
    assert!(file.is_file());
    assert!(
        model
            .config
            .as_ref()
            .unwrap()
            .images
            .iter()
            .any(|d| d.path.as_str() == "win2022/tools")
    );
    // An existing path is refused.
    update(&mut model, ch('5'));
    update(&mut model, ch(':'));
    type_text(&mut model, "new win2022/base");
    update(&mut model, key(KeyCode::Enter));
    assert!(
        flash_text(&model).starts_with("win2022/base is already defined by"),
        "{}",
        flash_text(&model)
    );

    // From the factory lab's VM (a gallery image, no artifacts), read from the emulator.
    let world = imagefactory::sim::world::parse(imagefactory::sim::DEMO_WORLD, now()).unwrap();
    let sim = common::start(world, common::fast()).await;
    let client = common::client(&sim);
    update(&mut model, ch(':'));
    type_text(
        &mut model,
        "new win2022/agent ImageFactory/factory-build-01",
    );
    let effects = update(&mut model, key(KeyCode::Enter));
    let Some(Effect::LoadVmTemplate(req, id, wanted)) = effects.into_iter().next() else {
        panic!("the VM is read")
    };
    let vm: serde_json::Value = client
        .get(
            &format!("{id}?$expand=properties($expand=artifacts)"),
            imagefactory::arm::wire::DTL_API_VERSION,
        )
        .await
        .unwrap();
    let result = config::legacy::definition_from_vm(&vm, id.name(), wanted.clone()).map(Box::new);
    // Keys typed while it loads act nowhere, and do not land in the new file.
    type_text(&mut model, "jjx");
    update(&mut model, key(KeyCode::Enter));
    assert!(matches!(model.overlay, Overlay::None));
    update(
        &mut model,
        Msg::Loaded(req, Payload::VmTemplate(wanted, result)),
    );
    let text = editor_text(&model);
    assert!(!text.contains("jjx"), "{text}");
    assert!(text.starts_with('#'), "{text}");
    assert!(text.contains("sku = \"2022-datacenter\""), "{text}");
    assert!(
        text.contains("From a lab VM's base image and artifacts"),
        "{text}"
    );
    // A VM made from a custom image has no gallery base to start from.
    let vm: serde_json::Value = client
        .get(
            "/subscriptions/0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01/resourceGroups/rg-dev-we/providers/Microsoft.DevTestLab/labs/Dev-WestEurope/virtualmachines/dev-alice-01",
            imagefactory::arm::wire::DTL_API_VERSION,
        )
        .await
        .unwrap();
    let error =
        config::legacy::definition_from_vm(&vm, "dev-alice-01", ImagePath::new("x/y")).unwrap_err();
    assert!(
        error.starts_with("dev-alice-01: the VM starts from a custom image"),
        "{error}"
    );
}

#[tokio::test]
async fn the_check_view_shows_what_check_finds() {
    let (_dir, path) = factory_copy();
    let mut model = console(&path).await;
    let effects = update(&mut model, ch('8'));
    assert!(matches!(model.route().view, View::Check));
    let Some(Effect::Check(req, inventory)) = effects.into_iter().next() else {
        panic!("a check is asked for")
    };
    let world = imagefactory::sim::world::parse(imagefactory::sim::DEMO_WORLD, now()).unwrap();
    let sim = common::start(world, common::fast()).await;
    let client = common::client(&sim);
    let config = model.config.clone().unwrap();
    let findings = check::check_estate(&client, &config, &inventory).await;
    // Drawn when it arrives, with no key pressed: the event loop draws a model that is dirty.
    model.dirty = false;
    update(&mut model, Msg::Loaded(req, Payload::Check(findings)));
    assert!(model.dirty, "a reply is drawn at once");
    let text: Vec<String> = detail_lines(&model).into_iter().map(|l| l.text).collect();
    assert!(
        text[0].ends_with("1 error, 2 warnings (a build or a retirement would stop)"),
        "{text:?}"
    );
    assert!(
        text.iter().any(|l| l == "warning: lab Partner-NorthEurope"),
        "{text:?}"
    );
    assert_eq!(
        text[2], "error: image win11/dev",
        "the Generation 2 definition"
    );
    insta::assert_snapshot!(
        "check_80x24",
        render(&mut model, 80, 24, "dark")
            .replace(&path.parent().unwrap().display().to_string(), "[dir]")
    );
}
