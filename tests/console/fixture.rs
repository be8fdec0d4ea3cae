//! A console model over the demo world at a fixed time, filled the way the app fills it: the
//! refresh effect's reply carries an inventory read by the real client from the emulator.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use imagefactory::config;
use imagefactory::factory::Inventory;
use imagefactory::tui::effect::Effect;
use imagefactory::tui::keymap::KeyMap;
use imagefactory::tui::model::{Identity, Model};
use imagefactory::tui::msg::{Msg, Payload};
use imagefactory::tui::theme::Theme;
use imagefactory::tui::update::{init, update};
use imagefactory::tui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use time::OffsetDateTime;

use super::common;

/// The moment every console test lives at.
pub fn now() -> OffsetDateTime {
    time::macros::datetime!(2026-11-20 12:00:00 UTC)
}

pub fn sample_config() -> config::FactoryConfig {
    config::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/factory/factory.toml"),
    )
    .unwrap()
}

/// The demo world's inventory as of `now()`, read through the emulator.
pub async fn inventory() -> Inventory {
    let world = imagefactory::sim::world::parse(imagefactory::sim::DEMO_WORLD, now()).unwrap();
    let sim = common::start(world, common::fast()).await;
    let client = common::client(&sim);
    let config = sample_config();
    let mut inventory = Inventory::refresh(&client, Some(&config)).await.unwrap();
    inventory.taken_at = now();
    inventory
}

/// A model as the app builds it, with the inventory delivered as the reply to the first refresh.
pub fn model_with(inventory: Inventory, read_only: bool) -> Model {
    let identity = Identity {
        who: "managed-identity (tester)".into(),
        user: "tester".into(),
        auth: "managed-identity".into(),
        tenant: None,
        factory: Some("ImageFactory".into()),
        config_file: None,
        endpoint: "http://127.0.0.1:8080/".into(),
        emulator: true,
        demo: false,
    };
    let keymap = KeyMap::new(&HashMap::new(), read_only).unwrap();
    let mut model = Model::new(
        identity,
        Some(Arc::new(sample_config())),
        keymap,
        read_only,
        now(),
    );
    update(&mut model, Msg::Resize(120, 40));
    let effects = init(&mut model);
    let Some(Effect::RefreshInventory(req)) = effects.first().cloned() else {
        panic!("the console starts by reading the inventory: {effects:?}")
    };
    update(
        &mut model,
        Msg::Loaded(req, Payload::Inventory(Ok(Box::new(inventory)))),
    );
    model.flash = None;
    model
}

pub async fn model() -> Model {
    model_with(inventory().await, false)
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ch(c: char) -> Msg {
    let modifiers = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Msg::Key(KeyEvent::new(KeyCode::Char(c), modifiers))
}

pub fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Types each character of `text`, collecting the effects.
pub fn type_text(model: &mut Model, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| update(model, ch(c))).collect()
}

/// Presses keys given as text (`:ret⏎` style is not needed: one char, one key).
pub fn press(model: &mut Model, msgs: Vec<Msg>) -> Vec<Effect> {
    msgs.into_iter().flat_map(|m| update(model, m)).collect()
}

/// The flash line's text (there must be one).
pub fn flash_text(model: &Model) -> String {
    model.flash.as_ref().expect("a flash").text.clone()
}

/// The screen as text at `width` x `height`, in `theme`.
pub fn render(model: &mut Model, width: u16, height: u16, theme: &str) -> String {
    update(model, Msg::Resize(width, height));
    let theme = Theme::built_in(theme).unwrap();
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view(model, &theme, f)).unwrap();
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        let line: String = (0..width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The screen as a buffer (text and styles) at `width` x `height`, in `theme`.
pub fn render_buffer(
    model: &mut Model,
    width: u16,
    height: u16,
    theme: &Theme,
) -> ratatui::buffer::Buffer {
    update(model, Msg::Resize(width, height));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view(model, theme, f)).unwrap();
    terminal.backend().buffer().clone()
}
