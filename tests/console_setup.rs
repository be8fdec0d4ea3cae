//! The guided setup in the console, driven by messages step by step against the emulator: each
//! effect it asks for is run with the real client and its reply fed back, as the app does.
//! Wrong answers are said at their field; a reader-only subscription and a lab in another
//! region are refused; the files written load, and the console takes them. Every step is
//! snapshotted at 80x24.

mod common;
#[path = "console/fixture.rs"]
mod fixture;

use std::collections::HashMap;
use std::path::Path;

use crossterm::event::KeyCode;
use fixture::{ch, ctrl, key, now, render, render_buffer, type_text};
use imagefactory::arm::{ArmClient, AuthMode};
use imagefactory::config;
use imagefactory::factory::builder::offer;
use imagefactory::setup::credentials::detect;
use imagefactory::setup::{Field, Step, discover};
use imagefactory::sim::SimHandle;
use imagefactory::tui::effect::Effect;
use imagefactory::tui::keymap::KeyMap;
use imagefactory::tui::model::setup::{Focus, Setup};
use imagefactory::tui::model::{Identity, Model};
use imagefactory::tui::msg::{Msg, Payload};
use imagefactory::tui::update::{self, update};

struct Harness {
    /// The folder written into, shown as `[dir]` in snapshots.
    dir: String,
    model: Model,
    client: ArmClient,
    _sim: SimHandle,
}

/// A console with no configuration, the setup started for `dir`, over the demo world (changed
/// by `change`), offering the credentials of a machine with a managed identity only.
async fn harness(dir: &Path, change: impl FnOnce(&mut imagefactory::sim::World)) -> Harness {
    let mut world = imagefactory::sim::world::parse(imagefactory::sim::DEMO_WORLD, now()).unwrap();
    change(&mut world);
    let sim = common::start(world, common::fast()).await;
    let client = common::client(&sim);
    let identity = Identity {
        who: "managed-identity (tester)".into(),
        auth: "managed-identity".into(),
        config_file: None,
        endpoint: "http://127.0.0.1:8080/".into(),
        emulator: true,
        ..Identity::default()
    };
    let keymap = KeyMap::new(&HashMap::new(), false).unwrap();
    let mut model = Model::new(identity, None, keymap, false, now());
    update(&mut model, Msg::Resize(80, 24));
    model.invocation.auth = Some(AuthMode::ManagedIdentity);
    update::setup::open(&mut model, Setup::Started(dir.to_path_buf()));
    let screen = model.setup.as_mut().unwrap();
    let env = |name: &str| (name == "IDENTITY_ENDPOINT").then(|| "http://127.0.0.1/".to_string());
    screen.wizard.credentials = detect(&env, &|_| false);
    screen.cursor = 1;
    Harness {
        dir: dir.display().to_string(),
        model,
        client,
        _sim: sim,
    }
}

impl Harness {
    /// Feeds `msgs`, runs the setup's effects against the emulator and feeds their replies;
    /// returns the other effects.
    async fn drive(&mut self, msgs: Vec<Msg>) -> Vec<Effect> {
        let mut rest = Vec::new();
        for msg in msgs {
            let effects = update(&mut self.model, msg);
            rest.extend(self.run(effects).await);
        }
        rest
    }

    /// Runs the setup's effects, in order, feeding their replies (and the effects those ask
    /// for); returns the others.
    async fn run(&mut self, effects: Vec<Effect>) -> Vec<Effect> {
        let mut pending: std::collections::VecDeque<Effect> = effects.into();
        let mut rest = Vec::new();
        while let Some(effect) = pending.pop_front() {
            let reply = match effect {
                Effect::SetupSignIn(req, mode) => {
                    let r = discover::sign_in(&self.client)
                        .await
                        .map_err(|e| e.to_string());
                    Msg::Loaded(req, Payload::SignedIn(mode, r))
                }
                Effect::SetupLabs(req, _, subscriptions) => {
                    let r = discover::labs(&self.client, &subscriptions).await;
                    Msg::Loaded(
                        req,
                        Payload::SetupLabs(r.map(Box::new).map_err(|e| e.to_string())),
                    )
                }
                Effect::SetupOffer(req, _, factory, estate) => {
                    let r = offer::read(&self.client, &factory, &estate, &[]).await;
                    Msg::Loaded(
                        req,
                        Payload::SetupOffer(r.map(Box::new).map_err(|e| e.to_string())),
                    )
                }
                Effect::WriteConfig(req, dir, files, overwrite) => {
                    let r = config::write::loads(&dir, &files)
                        .and_then(|_| config::write::write(&dir, &files, overwrite))
                        .and_then(|()| config::load(&dir.join("factory.toml")))
                        .map(Box::new)
                        .map_err(|e| e.to_string());
                    Msg::Loaded(req, Payload::ConfigWritten(r))
                }
                other => {
                    rest.push(other);
                    continue;
                }
            };
            pending.extend(update(&mut self.model, reply));
        }
        rest
    }

    async fn keys(&mut self, keys: &[KeyCode]) -> Vec<Effect> {
        self.drive(keys.iter().map(|k| key(*k)).collect()).await
    }

    async fn typed(&mut self, text: &str) {
        let effects = type_text(&mut self.model, text);
        assert!(effects.is_empty(), "{effects:?}");
    }

    fn step(&self) -> Step {
        self.model.setup.as_ref().unwrap().wizard.step
    }

    fn problem(&self) -> Option<(Field, String)> {
        let p = self.model.setup.as_ref()?.problem.clone()?;
        Some((p.field, p.message))
    }

    fn screen(&mut self) -> String {
        render(&mut self.model, 80, 24, "dark").replace(&self.dir, "[dir]")
    }

    /// Puts the cursor on the row whose name is `name` in the step's list.
    fn cursor_to_lab(&mut self, name: &str) {
        let screen = self.model.setup.as_mut().unwrap();
        screen.cursor = screen
            .wizard
            .labs
            .iter()
            .position(|l| l.lab.name == name)
            .unwrap();
    }

    fn cursor_to_subscription(&mut self, name: &str) {
        let screen = self.model.setup.as_mut().unwrap();
        let subs = &screen.wizard.signed_in.as_ref().unwrap().subscriptions;
        screen.cursor = subs.iter().position(|s| s.name == name).unwrap();
    }

    /// Clears the focused text field.
    async fn clear(&mut self) {
        for _ in 0..40 {
            update(&mut self.model, key(KeyCode::Backspace));
        }
    }
}

#[tokio::test]
async fn the_setup_goes_from_sign_in_to_a_factory_the_console_loads() {
    let dir = common::fixed_length_tempdir();
    let mut h = harness(dir.path(), |_| {}).await;
    insta::assert_snapshot!("setup_1_sign_in_80x24", h.screen());

    h.keys(&[KeyCode::Enter]).await;
    assert_eq!(
        h.step(),
        Step::SignIn,
        "signing in shows who, then Enter goes on"
    );
    let screen = h.screen();
    assert!(
        screen.contains("Signed in as factory@contoso.com"),
        "{screen}"
    );
    assert!(screen.contains("(2 read only)"), "{screen}");
    insta::assert_snapshot!("setup_1_signed_in_80x24", screen);

    h.keys(&[KeyCode::Enter]).await;
    assert_eq!(h.step(), Step::Subscriptions);
    insta::assert_snapshot!("setup_2_subscriptions_80x24", h.screen());

    h.keys(&[KeyCode::Enter]).await;
    assert_eq!(h.step(), Step::Factory);
    h.cursor_to_lab("ImageFactory");
    insta::assert_snapshot!("setup_3_factory_80x24", h.screen());

    h.keys(&[KeyCode::Enter]).await;
    assert_eq!(h.step(), Step::Targets);
    h.cursor_to_lab("Dev-WestEurope");
    h.drive(vec![ch(' ')]).await;
    h.cursor_to_lab("QA-WestEurope");
    h.drive(vec![ch(' ')]).await;
    h.keys(&[KeyCode::Tab]).await;
    h.clear().await;
    h.typed("win2022").await;
    insta::assert_snapshot!("setup_4_targets_80x24", h.screen());

    h.keys(&[KeyCode::Enter]).await;
    assert_eq!(h.step(), Step::Retention);
    h.clear().await;
    h.typed("3").await;
    let screen = h.screen();
    assert!(screen.contains("Today this would retire"), "{screen}");
    insta::assert_snapshot!("setup_5_retention_80x24", screen);

    h.keys(&[KeyCode::Enter]).await;
    assert_eq!(h.step(), Step::Definition);
    assert_eq!(
        h.model.setup.as_ref().unwrap().wizard.definition_path,
        "win2022/base",
        "the path is suggested under what the labs receive"
    );
    h.keys(&[KeyCode::Tab]).await;
    h.typed("2022 azure").await;
    insta::assert_snapshot!("setup_6_base_search_80x24", h.screen());
    h.keys(&[KeyCode::Enter]).await;
    h.typed("choco").await;
    h.drive(vec![ch(' ')]).await;
    h.keys(&[KeyCode::Tab]).await;
    h.typed("git,7zip").await;
    insta::assert_snapshot!("setup_6_definition_80x24", h.screen());

    h.keys(&[KeyCode::Enter]).await;
    assert_eq!(h.step(), Step::Review);
    insta::assert_snapshot!("setup_7_review_80x24", h.screen());
    // The files scroll, no further than their end at the bottom of the screen.
    let top = h.screen();
    h.drive(vec![ch('j')]).await;
    assert_ne!(h.screen(), top, "j scrolls the files");
    h.drive((0..300).map(|_| ch('j')).collect()).await;
    let bottom = h.screen();
    assert!(
        bottom.contains("git,7zip"),
        "the definition's end is on screen:\n{bottom}"
    );
    h.drive(vec![ch('k')]).await;
    assert_ne!(h.screen(), bottom, "one k scrolls back at once");
    h.drive((0..300).map(|_| ch('k')).collect()).await;
    assert_eq!(h.screen(), top);
    assert!(
        !dir.path().join("factory.toml").exists(),
        "nothing is written before Enter"
    );

    let effects = h.keys(&[KeyCode::Enter]).await;
    assert!(h.model.setup.is_none(), "the console takes over");
    let loaded = h.model.config.clone().expect("the new factory is loaded");
    assert_eq!(loaded.factory.name, "ImageFactory");
    assert_eq!(loaded.labs.len(), 2);
    assert_eq!(loaded.retention.keep_latest, 3);
    assert_eq!(
        loaded.images[0].artifacts[0].parameters["packages"],
        "git,7zip"
    );
    assert_eq!(loaded.azure.auth, Some(AuthMode::ManagedIdentity));
    assert!(
        matches!(effects.as_slice(), [Effect::UseConfig(c), Effect::RefreshInventory(_)] if c.factory.name == "ImageFactory"),
        "{effects:?}"
    );
    assert_eq!(
        config::load(&dir.path().join("factory.toml")).unwrap(),
        *loaded
    );
    assert!(
        fixture::flash_text(&h.model)
            .contains("written and loaded: factory ImageFactory, 2 labs, 1 definition")
    );
}

#[tokio::test]
async fn wrong_answers_are_said_at_their_field_and_the_step_waits() {
    let dir = common::fixed_length_tempdir();
    let mut h = harness(dir.path(), |_| {}).await;
    // A credential this machine does not have.
    h.model.setup.as_mut().unwrap().cursor = 0;
    h.keys(&[KeyCode::Enter]).await;
    assert_eq!(
        h.problem(),
        Some((
            Field::Credential,
            "cli cannot be used here: az is not on PATH".into()
        ))
    );
    h.model.setup.as_mut().unwrap().cursor = 1;
    h.keys(&[KeyCode::Enter, KeyCode::Enter]).await;
    // No subscription.
    // (Contoso Legacy is disabled and the partners' read only: neither starts marked.)
    for name in ["Contoso Engineering", "Contoso Imaging"] {
        h.cursor_to_subscription(name);
        h.drive(vec![ch(' ')]).await;
    }
    h.keys(&[KeyCode::Enter]).await;
    assert_eq!(h.step(), Step::Subscriptions);
    assert_eq!(
        h.problem(),
        Some((
            Field::Subscriptions,
            "choose at least one subscription".into()
        ))
    );
    h.cursor_to_subscription("Contoso Imaging");
    h.drive(vec![ch(' ')]).await;
    h.keys(&[KeyCode::Enter]).await;
    h.cursor_to_lab("ImageFactory");
    h.keys(&[KeyCode::Enter]).await;
    // No target lab, then a lab whose paths are emptied.
    h.keys(&[KeyCode::Enter]).await;
    assert_eq!(
        h.problem(),
        Some((
            Field::Targets,
            "choose at least one lab to receive images".into()
        ))
    );
    h.cursor_to_lab("Dev-WestEurope");
    h.drive(vec![ch(' ')]).await;
    h.keys(&[KeyCode::Tab]).await;
    h.clear().await;
    h.keys(&[KeyCode::Enter]).await;
    let (field, message) = h.problem().unwrap();
    assert_eq!(
        field,
        Field::TargetPaths(h.model.setup.as_ref().unwrap().cursor)
    );
    assert!(
        message.starts_with("Dev-WestEurope receives no image paths"),
        "{message}"
    );
    insta::assert_snapshot!("setup_4_targets_error_80x24", h.screen());
    h.keys(&[KeyCode::Tab]).await;
    h.typed("win2022, ubuntu2404").await;
    h.keys(&[KeyCode::Enter]).await;
    // Retention: a count of 0, then an age without a unit.
    h.clear().await;
    h.typed("0").await;
    h.keys(&[KeyCode::Enter]).await;
    assert_eq!(
        h.problem(),
        Some((
            Field::KeepLatest,
            "`0` is not a count of 1 or more: the newest image of a path is always kept".into()
        ))
    );
    insta::assert_snapshot!("setup_5_retention_error_80x24", h.screen());
    h.clear().await;
    h.typed("2").await;
    h.keys(&[KeyCode::Tab]).await;
    h.clear().await;
    h.typed("7x").await;
    h.keys(&[KeyCode::Enter]).await;
    assert_eq!(
        h.problem(),
        Some((
            Field::MinAge,
            "`7x` is not an age: a number and a unit, like 7d, 36h or 2w, of at most 36500d (100 years)".into()
        ))
    );
    h.clear().await;
    h.typed("10d").await;
    h.keys(&[KeyCode::Enter]).await;
    assert_eq!(h.step(), Step::Definition);
    // The lab also receives ubuntu2404: one definition under win2022 leaves it unmatched.
    h.keys(&[KeyCode::Enter]).await;
    let (field, message) = h.problem().unwrap();
    assert_eq!(field, Field::DefinitionPath);
    assert_eq!(
        message,
        "Dev-WestEurope also receives ubuntu2404, and this image is not under it: every path a lab receives needs a definition, and the setup makes one. Take ubuntu2404 out of what the lab receives (add it with its definitions after the setup), or name this image under it"
    );
    // Back to the labs, fix the paths, and on.
    h.keys(&[KeyCode::Esc, KeyCode::Esc]).await;
    assert_eq!(h.step(), Step::Targets);
    h.cursor_to_lab("Dev-WestEurope");
    h.keys(&[KeyCode::Tab]).await;
    h.clear().await;
    h.typed("win2022").await;
    h.keys(&[KeyCode::Enter, KeyCode::Enter]).await;
    assert_eq!(h.step(), Step::Definition);
    // A path that climbs out of images/.
    h.clear().await;
    h.typed("../win2022/base").await;
    h.keys(&[KeyCode::Enter]).await;
    assert_eq!(h.problem().map(|p| p.0), Some(Field::DefinitionPath));
    // A typo mended in the middle: the cursor moves, and is drawn where it is.
    h.clear().await;
    h.typed("win2022/bse").await;
    h.keys(&[KeyCode::Left, KeyCode::Left]).await;
    h.typed("a").await;
    let theme = imagefactory::tui::theme::Theme::built_in("dark").unwrap();
    let buffer = render_buffer(&mut h.model, 80, 24, &theme);
    let (x, y) = (0..24u16)
        .find_map(|y| {
            let row: String = (0..80u16)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect();
            row.find("[win2022/base]").map(|at| {
                (
                    row[..at].chars().count() as u16 + "[win2022/ba".len() as u16,
                    y,
                )
            })
        })
        .expect("the field shows the mended path");
    assert_eq!(buffer[(x, y)].symbol(), "s");
    assert!(
        buffer[(x, y)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED),
        "the cursor is on the s"
    );
    // No base image yet.
    h.keys(&[KeyCode::Enter]).await;
    assert_eq!(
        h.problem(),
        Some((
            Field::Base,
            "choose a base image from the factory lab's gallery".into()
        ))
    );
    assert_eq!(
        h.model.setup.as_ref().unwrap().focus,
        Focus::Base,
        "the field with the problem gets the keys"
    );
    h.typed("2022 datacenter azure").await;
    h.keys(&[KeyCode::Enter]).await;
    // An artifact with a required parameter left empty.
    h.typed("chocolatey").await;
    h.drive(vec![ch(' ')]).await;
    h.keys(&[KeyCode::Enter]).await;
    assert_eq!(
        h.problem(),
        Some((
            Field::Parameter(0, "packages".into()),
            "windows-chocolatey needs packages".into()
        ))
    );
    insta::assert_snapshot!("setup_6_parameter_error_80x24", h.screen());
    h.typed("git").await;
    h.keys(&[KeyCode::Enter]).await;
    assert_eq!(h.step(), Step::Review);
    // An existing file is not overwritten unless asked.
    std::fs::write(dir.path().join("factory.toml"), "mine").unwrap();
    h.keys(&[KeyCode::Enter]).await;
    let (field, message) = h.problem().unwrap();
    assert_eq!(field, Field::Files);
    assert!(
        message.ends_with(
            "already exists: nothing is overwritten unless allowed (o here; --force with init --non-interactive), or write the configuration in another folder"
        ),
        "{message}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("factory.toml")).unwrap(),
        "mine"
    );
    h.drive(vec![ch('o')]).await;
    h.keys(&[KeyCode::Enter]).await;
    assert!(h.model.setup.is_none());
    assert!(config::load(&dir.path().join("factory.toml")).is_ok());
}

#[tokio::test]
async fn a_reader_only_subscription_is_left_unmarked_and_its_lab_cannot_be_the_factory() {
    let dir = common::fixed_length_tempdir();
    let mut h = harness(dir.path(), |_| {}).await;
    h.keys(&[KeyCode::Enter]).await;
    let wizard = &h.model.setup.as_ref().unwrap().wizard;
    let partner = wizard
        .signed_in
        .as_ref()
        .unwrap()
        .subscriptions
        .iter()
        .find(|s| s.name == "Partner Labs (read only)")
        .unwrap()
        .clone();
    assert!(partner.access.read_only());
    assert!(
        !wizard.subscriptions.contains(&partner.id),
        "reader-only subscriptions start unmarked"
    );
    h.keys(&[KeyCode::Enter]).await;
    h.cursor_to_subscription("Partner Labs (read only)");
    h.drive(vec![ch(' ')]).await;
    h.keys(&[KeyCode::Enter]).await;
    h.cursor_to_lab("Partner-NorthEurope");
    h.keys(&[KeyCode::Enter]).await;
    assert_eq!(h.step(), Step::Factory);
    assert_eq!(
        h.problem(),
        Some((
            Field::Factory,
            "Partner-NorthEurope cannot be the factory lab, which needs the right to create VMs: the identity's role there allows only */read; grant it Contributor on resource group rg-partner-ne, or choose another lab".into()
        ))
    );
    insta::assert_snapshot!("setup_3_factory_reader_only_80x24", h.screen());
}

#[tokio::test]
async fn a_lab_in_another_region_is_flagged_and_refused_as_a_target() {
    let dir = common::fixed_length_tempdir();
    let mut h = harness(dir.path(), |world| {
        let lab = world
            .subscription_mut("7c4d2e9a-5b3f-4a61-9e0d-2f8b6c1a4e02")
            .unwrap()
            .lab_mut("rg-training", "Training")
            .unwrap();
        lab.lab.location = Some("eastus".into());
    })
    .await;
    h.keys(&[KeyCode::Enter, KeyCode::Enter, KeyCode::Enter])
        .await;
    h.cursor_to_lab("ImageFactory");
    h.keys(&[KeyCode::Enter]).await;
    h.cursor_to_lab("Training");
    h.drive(vec![ch(' ')]).await;
    let screen = h.screen();
    assert!(screen.contains("⚠ outside westeurope"), "{screen}");
    h.keys(&[KeyCode::Enter]).await;
    assert_eq!(h.step(), Step::Targets);
    assert_eq!(
        h.problem(),
        Some((
            Field::TargetPaths(h.model.setup.as_ref().unwrap().cursor),
            "Training is in eastus, the factory lab in westeurope: images are copied within a region; leave it out, or choose a factory lab in eastus".into()
        ))
    );
    insta::assert_snapshot!("setup_4_targets_cross_region_80x24", h.screen());
}

#[tokio::test]
async fn without_a_configuration_the_console_offers_the_setup_and_esc_leaves_it() {
    let keymap = KeyMap::new(&HashMap::new(), false).unwrap();
    let mut model = Model::new(Identity::default(), None, keymap, false, now());
    update(&mut model, Msg::Resize(80, 24));
    update::setup::open(&mut model, Setup::Offered(".".into()));
    let screen = render(&mut model, 80, 24, "dark");
    assert!(
        screen.contains("No factory is configured here yet."),
        "{screen}"
    );
    insta::assert_snapshot!("setup_0_offered_80x24", screen);
    update(&mut model, key(KeyCode::Esc));
    assert!(model.setup.is_none());
    assert!(fixture::flash_text(&model).contains(":init sets one up"));
    // `:init` opens it again, at its first step.
    fixture::press(&mut model, vec![ch(':')]);
    type_text(&mut model, "init");
    update(&mut model, key(KeyCode::Enter));
    let setup = model.setup.as_ref().expect("the setup is open");
    assert!(!setup.welcome);
    assert_eq!(setup.wizard.step, Step::SignIn);
}

#[tokio::test]
async fn an_original_factorys_configuration_here_is_offered_for_conversion_first() {
    let dir = common::fixed_length_tempdir();
    let legacy = dir.path().join("Configuration/GoldenImages");
    std::fs::create_dir_all(&legacy).unwrap();
    let keymap = KeyMap::new(&HashMap::new(), false).unwrap();
    let mut model = Model::new(Identity::default(), None, keymap, false, now());
    update(&mut model, Msg::Resize(80, 24));
    update::setup::open(&mut model, Setup::Started(dir.path().to_path_buf()));
    let screen = render(&mut model, 80, 24, "dark");
    assert!(
        screen.contains("convert the original PowerShell factory's configuration"),
        "{screen}"
    );
    let effects = update(&mut model, ch('i'));
    assert!(
        matches!(effects.as_slice(), [Effect::ImportLegacy(_, from, to)] if from == &dir.path().join("Configuration") && to == dir.path()),
        "{effects:?}"
    );
    // Nothing else happens while it writes: Esc does not drop its answer.
    update(&mut model, key(KeyCode::Esc));
    assert!(model.setup.as_ref().is_some_and(|s| s.busy.is_some()));
}

#[tokio::test]
async fn leaving_init_before_it_writes_ends_it_and_says_how() {
    for (leave, interrupted) in [(key(KeyCode::Esc), false), (ctrl('c'), true)] {
        let keymap = KeyMap::new(&HashMap::new(), false).unwrap();
        let mut model = Model::new(Identity::default(), None, keymap, false, now());
        update(&mut model, Msg::Resize(80, 24));
        update::setup::open_for_init(&mut model, ".".into());
        assert!(model.ending.init);
        update(&mut model, leave);
        // No console without the configuration: `init` ends, and its command says nothing
        // was written (130 after Ctrl-C, so that `init && build` stops).
        assert!(model.quit, "interrupted: {interrupted}");
        assert_eq!(model.ending.interrupted, interrupted);
        assert!(!model.ending.wrote_config);
    }
    // `:init` in a console is another thing: leaving it returns to the console.
    let keymap = KeyMap::new(&HashMap::new(), false).unwrap();
    let mut model = Model::new(Identity::default(), None, keymap, false, now());
    update::setup::open(&mut model, Setup::Started(".".into()));
    update(&mut model, key(KeyCode::Esc));
    assert!(!model.quit);
}
