//! Builds in the console, driven by messages: journal reads in any order, the run views, the
//! build dialog, cancel and resume asked first, and read-only mode.

mod common;
#[path = "console/fixture.rs"]
mod fixture;
#[path = "console/runs.rs"]
mod runs;

use crossterm::event::KeyCode;
use fixture::*;
use imagefactory::factory::builder::background::Liveness;
use imagefactory::factory::builder::journal::{Event, Line, RunOutcome, RunState};
use imagefactory::factory::builder::{BuildPlan, FactoryOffer, RunId, Selection};
use imagefactory::tui::effect::Effect;
use imagefactory::tui::model::{ConfirmAction, Model, Overlay, Row, SortKey, View, detail_lines};
use imagefactory::tui::msg::{Msg, Payload};
use imagefactory::tui::update::update;
use runs::*;

fn state_of(model: &Model, run: &str) -> RunState {
    model.runs.get(run).unwrap().state.clone().unwrap()
}

/// A plan of `paths` by the real planner; with an empty offer every base image is unknown,
/// which is a plan error.
fn plan_of(model: &Model, paths: &[&str]) -> BuildPlan {
    let config = model.config.clone().unwrap();
    let inventory = &model.data.as_ref().unwrap().inventory;
    let selection = Selection::Paths(
        paths
            .iter()
            .map(|p| imagefactory::config::ImagePath::new(p))
            .collect(),
    );
    imagefactory::factory::builder::plan(
        &config,
        inventory,
        &FactoryOffer::default(),
        &selection,
        RunId::parse("20261120t120000-0c0c").unwrap(),
    )
}

#[tokio::test]
async fn journal_reads_fold_in_any_order_and_out_of_date_ones_are_dropped() {
    let mut model = model().await;
    let lines = live_run();
    let (first, second) = lines.split_at(10);
    let middle = bytes(first);
    // The second half before the first: a read was missed, so the journal is read again.
    let effects = feed(&mut model, RUN, middle, second, Liveness::Running);
    assert!(
        matches!(effects.as_slice(), [Effect::RereadJournal(r)] if r == RUN),
        "{effects:?}"
    );
    assert!(model.runs.get(RUN).is_none());
    // Another run's lines in between change nothing of this one.
    feed(&mut model, OLD_RUN, 0, &old_run(), Liveness::Finished);
    assert!(feed(&mut model, RUN, 0, first, Liveness::Running).is_empty());
    assert!(feed(&mut model, RUN, middle, second, Liveness::Running).is_empty());
    // The same read again (the watcher restarted) is out of date: dropped.
    assert!(feed(&mut model, RUN, middle, second, Liveness::Running).is_empty());
    assert!(feed(&mut model, RUN, 0, first, Liveness::Running).is_empty());
    assert_eq!(state_of(&model, RUN), RunState::fold(&lines).unwrap());
    assert_eq!(
        state_of(&model, OLD_RUN),
        RunState::fold(&old_run()).unwrap()
    );
    assert_eq!(model.runs.live(), 1, "the old run ended");
}

#[tokio::test]
async fn the_builds_view_lists_runs_newest_first_and_reaches_a_failed_artifacts_words_in_three_keys()
 {
    let mut model = model().await;
    with_runs(&mut model);
    update(&mut model, ch('6'));
    assert_eq!(model.route().view, View::Builds);
    let screen = render(&mut model, 120, 40, "dark");
    let newer = screen.find(RUN).expect("the live run is listed");
    let older = screen.find(OLD_RUN).expect("the old run is listed");
    assert!(newer < older, "newest first:\n{screen}");
    assert!(screen.contains("▶ 1 run"), "the header counts the live run");
    // Enter, G, Enter: the run, its last image (the failed one), its detail.
    update(&mut model, key(KeyCode::Enter));
    assert_eq!(model.route().view, View::Run { run: RUN.into() });
    let screen = render(&mut model, 120, 40, "dark");
    assert!(screen.contains("└ Eng-WestEurope"), "{screen}");
    assert!(
        screen.contains("40%"),
        "the copy's percent as a bar:\n{screen}"
    );
    update(&mut model, ch('G'));
    update(&mut model, key(KeyCode::Enter));
    assert!(matches!(model.route().view, View::RunImage { .. }));
    let text: Vec<String> = detail_lines(&model).into_iter().map(|l| l.text).collect();
    let all = text.join("\n");
    assert!(all.contains("ArtifactFailed"), "{all}");
    assert!(
        all.contains("Installation of VS Code failed: exit code 1603"),
        "the artifact's own words:\n{all}"
    );
    assert!(all.contains("windows-sysprep: pending"), "{all}");
    // The script's output as lines of their own, indented under the artifact.
    assert!(
        text.iter()
            .any(|l| l == "      MSI (s) (7C:40): Product: Microsoft Visual Studio Code -- Installation failed."),
        "{text:#?}"
    );
    assert!(all.contains("build VM"), "the VM it kept:\n{all}");
    // c copies the build VM's id.
    let effects = update(&mut model, ch('c'));
    assert!(
        matches!(effects.as_slice(), [Effect::Copy(id)] if id.ends_with("virtualmachines/bwin11-dev-")),
        "{effects:?}"
    );
}

#[tokio::test]
async fn a_run_that_ends_posts_a_message_that_stays_and_reads_the_inventory_again() {
    let mut model = model().await;
    with_runs(&mut model);
    let end = vec![Line {
        at: "2026-11-20T12:00:00Z".into(),
        event: Event::Finished {
            outcome: RunOutcome::SomeFailed,
        },
    }];
    let effects = feed(
        &mut model,
        RUN,
        bytes(&live_run()),
        &end,
        Liveness::Finished,
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::RefreshInventory(_))),
        "the images it made are read: {effects:?}"
    );
    let flash = flash_text(&model);
    assert!(
        flash.contains(RUN) && flash.contains("some images failed"),
        "{flash}"
    );
    assert!(model.messages.iter().any(|m| m.text == flash));
    assert_eq!(model.runs.live(), 0);
    // An old run read for the first time (already ended) posts nothing.
    let messages = model.messages.len();
    feed(
        &mut model,
        "20261101t000000-0001",
        0,
        &old_run_as("20261101t000000-0001"),
        Liveness::Finished,
    );
    assert_eq!(model.messages.len(), messages);
}

fn old_run_as(run: &str) -> Vec<Line> {
    let mut lines = old_run();
    if let Event::Started { run: r, .. } = &mut lines[0].event {
        *r = RunId::parse(run).unwrap();
    }
    lines
}

#[tokio::test]
async fn cancel_asks_first_and_stops_only_when_confirmed() {
    let mut model = model().await;
    with_runs(&mut model);
    update(&mut model, ch('6'));
    update(&mut model, key(KeyCode::Enter));
    assert!(update(&mut model, ch('x')).is_empty());
    let Overlay::Confirm(confirm) = &model.overlay else {
        panic!("cancel asks first")
    };
    assert!(matches!(&confirm.action, ConfirmAction::CancelRun(r) if r == RUN));
    assert!(confirm.items.iter().any(|i| i.contains("process 4242")));
    // It starts on Cancel: Enter changes nothing.
    assert!(update(&mut model, key(KeyCode::Enter)).is_empty());
    assert!(matches!(model.overlay, Overlay::None));
    update(&mut model, ch('x'));
    update(&mut model, key(KeyCode::Tab));
    let effects = update(&mut model, key(KeyCode::Enter));
    let [Effect::CancelRun(req, run)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(run, RUN);
    assert!(model.jobs.get(*req).unwrap().is_running());
    update(
        &mut model,
        Msg::Loaded(
            *req,
            Payload::RunAction(Ok("asked process 4242 to stop".into())),
        ),
    );
    assert!(!model.jobs.get(*req).unwrap().is_running());
    assert!(flash_text(&model).contains("asked process 4242"));
    // The old run has ended: nothing to cancel.
    update(&mut model, ch('6'));
    update(&mut model, ch('j'));
    assert!(update(&mut model, ch('x')).is_empty());
    assert!(matches!(model.overlay, Overlay::None));
    assert!(flash_text(&model).contains("already ended"));
}

#[tokio::test]
async fn resume_is_offered_only_for_a_run_whose_process_is_gone() {
    let mut model = model().await;
    with_runs(&mut model);
    update(&mut model, ch('6'));
    update(&mut model, ch('r'));
    assert!(matches!(model.overlay, Overlay::None));
    assert!(flash_text(&model).contains("needs no resume"));
    // The watcher finds its process gone: no longer counted as going.
    feed(&mut model, RUN, bytes(&live_run()), &[], Liveness::Stopped);
    assert_eq!(model.runs.live(), 0);
    assert!(
        flash_text(&model).contains("stopped before its end"),
        "a run that stops is said at once"
    );
    assert!(render(&mut model, 120, 40, "dark").contains("stopped (r resumes)"));
    update(&mut model, ch('r'));
    let Overlay::Confirm(confirm) = &model.overlay else {
        panic!("resume asks first")
    };
    assert_eq!(
        confirm.items,
        vec!["ubuntu2204/docker: from distributing".to_string()],
        "what carries on"
    );
    update(&mut model, key(KeyCode::Tab));
    let effects = update(&mut model, key(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::ResumeRun(_, r), Effect::ScanJournals] if r == RUN),
        "{effects:?}"
    );
}

#[tokio::test]
async fn building_marked_definitions_shows_the_plan_and_its_errors_block_it() {
    let mut model = model().await;
    update(&mut model, ch('5'));
    update(&mut model, ch(' '));
    update(&mut model, ch(' '));
    let effects = update(&mut model, ch('b'));
    let [Effect::PlanBuild(old_req, _, Selection::Paths(paths))] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let old_req = *old_req;
    let marked: Vec<&str> = paths.iter().map(|p| p.as_str()).collect();
    assert_eq!(
        marked,
        ["ubuntu2204/docker", "ubuntu2404/base"],
        "the two definitions marked at the top of the list"
    );
    // Asked again before the first answer: the first plan is stopped, its answer out of date.
    let effects = update(&mut model, ch('b'));
    let [Effect::Cancel(stopped), Effect::PlanBuild(req, ..)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(*stopped, old_req);
    let req = *req;
    let bad = plan_of(&model, &["ubuntu2204/docker", "ubuntu2404/base"]);
    assert!(!bad.errors.is_empty(), "no offer: unknown base images");
    update(
        &mut model,
        Msg::Loaded(
            old_req,
            Payload::RunPlan {
                distribution: false,
                plan: Ok(Box::new(bad.clone())),
            },
        ),
    );
    assert!(
        matches!(model.overlay, Overlay::None),
        "out of date: dropped"
    );
    update(
        &mut model,
        Msg::Loaded(
            req,
            Payload::RunPlan {
                distribution: false,
                plan: Ok(Box::new(bad.clone())),
            },
        ),
    );
    let Overlay::Confirm(confirm) = &model.overlay else {
        panic!("the plan is shown")
    };
    // Each error once (one missing source fails several artifacts alike).
    let mut distinct: Vec<(Option<String>, &str)> = bad
        .errors
        .iter()
        .map(|e| (e.path.as_ref().map(|p| p.to_string()), e.message.as_str()))
        .collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(confirm.blockers.len(), distinct.len());
    assert!(
        confirm
            .blockers
            .iter()
            .any(|b| b.contains("does not offer the base image"))
    );
    update(&mut model, key(KeyCode::Tab));
    assert!(
        update(&mut model, key(KeyCode::Enter)).is_empty(),
        "a plan with errors does not start"
    );
    assert!(flash_text(&model).contains("cannot run"));
    update(&mut model, key(KeyCode::Esc));

    // The same plan without its errors starts, and the screen follows the run.
    let mut good = bad;
    good.errors.clear();
    let effects = update(&mut model, ch('b'));
    let [Effect::PlanBuild(req, ..)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    update(
        &mut model,
        Msg::Loaded(
            *req,
            Payload::RunPlan {
                distribution: false,
                plan: Ok(Box::new(good)),
            },
        ),
    );
    update(&mut model, key(KeyCode::Tab));
    let effects = update(&mut model, key(KeyCode::Enter));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::StartRun(_, plan, false), Effect::ScanJournals] if plan.run.as_str() == "20261120t120000-0c0c"
        ),
        "{effects:?}"
    );
    assert_eq!(
        model.route().view,
        View::Run {
            run: "20261120t120000-0c0c".into()
        }
    );
    assert!(model.marks.is_empty(), "the marks did their job");
}

#[tokio::test]
async fn build_and_distribute_from_the_palette_check_their_arguments() {
    let mut model = model().await;
    update(&mut model, ch(':'));
    type_text(&mut model, "build win2022/bse");
    assert!(update(&mut model, key(KeyCode::Enter)).is_empty());
    let flash = flash_text(&model);
    assert!(flash.contains("did you mean win2022/base"), "{flash}");
    update(&mut model, ch(':'));
    type_text(&mut model, "build win2022/base");
    let effects = update(&mut model, key(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::PlanBuild(_, _, Selection::Paths(p))] if p.len() == 1),
        "{effects:?}"
    );
    update(&mut model, ch(':'));
    type_text(&mut model, "distribute qa-westeurope");
    let effects = update(&mut model, key(KeyCode::Enter));
    // The build's plan, still being made, is not needed any more.
    assert!(
        matches!(effects.as_slice(), [Effect::Cancel(_), Effect::PlanDistribution(_, _, Some(l))] if l == "QA-WestEurope"),
        "{} effects",
        effects.len()
    );
}

#[tokio::test]
async fn read_only_shows_runs_but_cannot_build_cancel_or_resume() {
    let mut model = model_with(inventory().await, true);
    with_runs(&mut model);
    update(&mut model, ch('6'));
    assert_eq!(model.route().rows.len(), 2);
    update(&mut model, key(KeyCode::Enter));
    for c in ['x', 'r'] {
        assert!(update(&mut model, ch(c)).is_empty());
        assert!(matches!(model.overlay, Overlay::None));
        assert!(flash_text(&model).contains("read-only"));
    }
    update(&mut model, ch('5'));
    assert!(update(&mut model, ch('b')).is_empty());
    assert!(flash_text(&model).contains("read-only"));
    let help = {
        update(&mut model, ch('?'));
        render(&mut model, 120, 40, "dark")
    };
    assert!(!help.contains("build the marked"), "{help}");
}

#[tokio::test]
async fn a_missed_read_keeps_the_run_on_screen_and_its_end_read_again_is_still_said() {
    let mut model = model().await;
    with_runs(&mut model);
    let all = bytes(&live_run());
    let end = vec![Line {
        at: "2026-11-20T12:00:00Z".into(),
        event: Event::Finished {
            outcome: RunOutcome::Done,
        },
    }];
    // A read past what was folded: read again, but what is known stays shown meanwhile.
    let effects = feed(&mut model, RUN, all + 10, &end, Liveness::Finished);
    assert!(matches!(effects.as_slice(), [Effect::RereadJournal(r)] if r == RUN));
    assert!(model.runs.get(RUN).unwrap().state.is_some());
    // A read that is not from the start is of no use now.
    assert!(feed(&mut model, RUN, all, &end, Liveness::Finished).is_empty());
    assert!(
        model
            .runs
            .get(RUN)
            .unwrap()
            .state
            .as_ref()
            .unwrap()
            .outcome
            .is_none()
    );
    // The whole journal, with its end: the end is said.
    let mut whole = live_run();
    whole.extend(end);
    let effects = feed(&mut model, RUN, 0, &whole, Liveness::Finished);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::RefreshInventory(_)))
    );
    assert!(flash_text(&model).contains("ended: done"));
    assert_eq!(state_of(&model, RUN), RunState::fold(&whole).unwrap());
}

#[tokio::test]
async fn quitting_while_a_run_is_handed_over_waits_for_it_and_the_run_is_left_alone_meanwhile() {
    let mut model = model().await;
    with_runs(&mut model);
    feed(&mut model, RUN, bytes(&live_run()), &[], Liveness::Stopped);
    update(&mut model, ch('6'));
    update(&mut model, ch('r'));
    update(&mut model, key(KeyCode::Tab));
    let effects = update(&mut model, key(KeyCode::Enter));
    let [Effect::ResumeRun(req, _), Effect::ScanJournals] = effects.as_slice() else {
        panic!("{} effects", effects.len())
    };
    let req = *req;
    // While it is handed over, neither r nor x starts anything else for that run.
    assert!(update(&mut model, ch('r')).is_empty());
    let flash = flash_text(&model);
    assert!(flash.contains("wait a moment"), "{flash}");
    assert!(update(&mut model, ch('x')).is_empty());
    assert!(matches!(model.overlay, Overlay::None));
    // q waits until the run is handed over, then quits.
    update(&mut model, ch('q'));
    assert!(!model.quit);
    assert!(flash_text(&model).contains("quitting once"));
    let effects = update(
        &mut model,
        Msg::Loaded(req, Payload::RunAction(Ok("resumed in process 77".into()))),
    );
    assert!(model.quit);
    assert!(matches!(effects.as_slice(), [Effect::ScanJournals]));
}

#[tokio::test]
async fn read_only_refuses_run_commands_typed_in_the_palette_too() {
    let mut model = model_with(inventory().await, true);
    with_runs(&mut model);
    for typed in ["build win2022/base", "distribute", "cancel", "resume"] {
        update(&mut model, ch(':'));
        type_text(&mut model, typed);
        assert!(
            update(&mut model, key(KeyCode::Enter)).is_empty(),
            "{typed}"
        );
        let flash = model
            .flash
            .clone()
            .map(|f| f.text)
            .unwrap_or_else(|| panic!("{typed}: nothing said"));
        assert!(flash.contains("read-only"), "{typed}: {flash}");
    }
}

#[tokio::test]
async fn a_run_known_from_azure_first_takes_its_journal_when_it_appears() {
    let mut inventory = inventory().await;
    let lab = &mut inventory.subscriptions[0].labs[0];
    lab.images[0]
        .tags
        .insert("ImageFactoryRun".into(), RUN.to_uppercase());
    lab.vms[0].tags.insert("ImageFactoryRun".into(), RUN.into());
    let mut model = model_with(inventory, false);
    let entry = model.runs.get(RUN).expect("found through the tag");
    assert!(entry.state.is_none());
    assert_eq!(entry.in_azure, Some((1, 1)));
    update(&mut model, ch('6'));
    assert!(render(&mut model, 120, 40, "dark").contains("in Azure only"));
    // A read that does not start at the journal's start cannot be folded: read it whole.
    let lines = live_run();
    let effects = feed(&mut model, RUN, 10, &lines, Liveness::Running);
    assert!(matches!(effects.as_slice(), [Effect::RereadJournal(_)]));
    assert!(model.runs.get(RUN).unwrap().state.is_none());
    feed(&mut model, RUN, 0, &lines, Liveness::Running);
    let entry = model.runs.get(RUN).unwrap();
    assert_eq!(entry.state, RunState::fold(&lines));
    assert_eq!(entry.in_azure, Some((1, 1)), "what Azure holds stays known");
    assert!(entry.followed, "its end will be said");
    // And it goes on from there.
    let end = vec![Line {
        at: "2026-11-20T12:00:00Z".into(),
        event: Event::Finished {
            outcome: RunOutcome::Done,
        },
    }];
    let effects = feed(&mut model, RUN, bytes(&lines), &end, Liveness::Finished);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::RefreshInventory(_)))
    );
    assert_eq!(
        model.runs.get(RUN).unwrap().state.as_ref().unwrap().outcome,
        Some(RunOutcome::Done)
    );
}

#[tokio::test]
async fn runs_and_a_runs_images_sort_and_a_view_read_top_to_bottom_says_it_has_no_order() {
    let mut model = model().await;
    with_runs(&mut model);
    update(&mut model, ch('6'));
    let runs = |model: &Model| -> Vec<String> {
        model
            .route()
            .rows
            .iter()
            .map(|row| match row {
                Row::Run(r) => model.runs.entries[*r].id.clone(),
                other => format!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(runs(&model), [RUN, OLD_RUN], "newest first");
    // The selection stays on its run while the order changes under it.
    update(&mut model, ch('j'));
    let mut orders = Vec::new();
    for _ in 0..5 {
        update(&mut model, ch('o'));
        assert_eq!(
            model.route().current().map(|r| match r {
                Row::Run(r) => model.runs.entries[r].id.clone(),
                other => format!("{other:?}"),
            }),
            Some(OLD_RUN.to_string())
        );
        let screen = render(&mut model, 120, 40, "dark");
        let label = model.route().sort.label();
        assert!(screen.contains(&format!("↓{label}")), "{label}:\n{screen}");
        orders.push((label, runs(&model)));
    }
    assert_eq!(
        orders,
        [
            ("name", vec![OLD_RUN.to_string(), RUN.to_string()]),
            // Youngest first.
            ("age", vec![RUN.to_string(), OLD_RUN.to_string()]),
            // Both build win2022/base first: then by id.
            ("path", vec![OLD_RUN.to_string(), RUN.to_string()]),
            // The one still going before the one done.
            ("state", vec![RUN.to_string(), OLD_RUN.to_string()]),
            // One factory lab: then by id.
            ("lab", vec![OLD_RUN.to_string(), RUN.to_string()]),
        ]
    );
    update(&mut model, ch('O'));
    assert_eq!(runs(&model), [RUN, OLD_RUN], "reversed");

    // One run's images, each with its copies under it.
    update(&mut model, ch('o'));
    update(&mut model, ch('O'));
    assert_eq!(model.route().sort, SortKey::Natural);
    update(&mut model, ch('g'));
    update(&mut model, key(KeyCode::Enter));
    assert_eq!(model.route().view, View::Run { run: RUN.into() });
    let natural = model.route().rows.clone();
    assert_eq!(
        natural,
        [
            Row::RunImage(0),
            Row::RunImage(1),
            Row::RunTarget(1, 0),
            Row::RunTarget(1, 1),
            Row::RunImage(2)
        ]
    );
    update(&mut model, ch('o'));
    assert_eq!(model.route().sort, SortKey::Name);
    assert_eq!(
        model.route().rows,
        [
            Row::RunImage(1),
            Row::RunTarget(1, 0),
            Row::RunTarget(1, 1),
            Row::RunImage(2),
            Row::RunImage(0)
        ],
        "ubuntu2204-docker, win11-dev, win2022-base"
    );
    update(&mut model, ch('o'));
    assert_eq!(model.route().sort, SortKey::Path);
    update(&mut model, ch('o'));
    assert_eq!(model.route().sort, SortKey::State);
    assert_eq!(
        model.route().rows,
        [
            Row::RunImage(2),
            Row::RunImage(1),
            Row::RunTarget(1, 0),
            Row::RunTarget(1, 1),
            Row::RunImage(0)
        ],
        "failed, then distributing, then done"
    );
    update(&mut model, ch('o'));
    assert_eq!(
        model.route().sort,
        SortKey::Natural,
        "back to the run's order"
    );
    assert_eq!(model.route().rows, natural);

    // A failed image's detail is read top to bottom: sorting it is refused, with why.
    update(&mut model, ch('G'));
    update(&mut model, key(KeyCode::Enter));
    assert!(matches!(model.route().view, View::RunImage { .. }));
    let lines = model.route().rows.clone();
    update(&mut model, ch('o'));
    update(&mut model, ch('O'));
    assert_eq!(model.route().rows, lines);
    assert_eq!(model.route().sort, SortKey::Natural);
    assert!(!model.route().descending);
    let screen = render(&mut model, 120, 40, "dark");
    assert!(
        screen.contains("nothing to sort here: this view is read top to bottom"),
        "{screen}"
    );
    // The messages: newest first, always.
    update(&mut model, ch(':'));
    type_text(&mut model, "messages");
    update(&mut model, key(KeyCode::Enter));
    assert_eq!(model.route().view, View::Messages);
    update(&mut model, ch('o'));
    let screen = render(&mut model, 120, 40, "dark");
    assert!(screen.contains("newest first, always"), "{screen}");
}

#[tokio::test]
async fn with_no_journals_the_builds_view_says_there_are_no_runs_and_how_to_start_one() {
    // The watcher says so once it has looked, though it found nothing to send.
    let dir = tempfile::tempdir().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _watcher = imagefactory::tui::watch_journals(dir.path().to_path_buf(), tx);
    let said = tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv())
        .await
        .expect("the watcher speaks")
        .unwrap();
    assert!(matches!(said, Msg::JournalsListed), "{said:?}");

    let mut model = model().await;
    update(&mut model, ch('6'));
    assert!(
        render(&mut model, 120, 40, "dark").contains("reading the run journals"),
        "before the watcher has looked"
    );
    model.dirty = false;
    update(&mut model, said);
    assert!(model.dirty);
    let screen = render(&mut model, 120, 40, "dark");
    assert!(
        screen.contains("no runs on this machine or in Azure yet"),
        "{screen}"
    );
    assert!(screen.contains("b builds them"), "{screen}");
}

#[tokio::test]
async fn the_run_image_view_scrolls_to_what_is_below_the_screen() {
    let mut model = model().await;
    with_runs(&mut model);
    update(&mut model, ch('6'));
    update(&mut model, key(KeyCode::Enter));
    update(&mut model, ch('G'));
    update(&mut model, key(KeyCode::Enter));
    assert!(matches!(model.route().view, View::RunImage { .. }));
    update(&mut model, Msg::Resize(80, 24));
    let lines = detail_lines(&model);
    assert!(lines.len() > 20, "longer than the screen: {}", lines.len());
    let last = lines.last().unwrap().text.clone();
    let top = render(&mut model, 80, 24, "dark");
    assert!(!top.contains(&last), "the last line is below:\n{top}");
    for (name, key_pressed) in [
        ("j", ch('j')),
        ("Down", key(KeyCode::Down)),
        ("ctrl-d", ctrl('d')),
    ] {
        let before = model.route().cursor;
        update(&mut model, key_pressed);
        assert!(model.route().cursor > before, "{name} moves down");
    }
    update(&mut model, ch('G'));
    let bottom = render(&mut model, 80, 24, "dark");
    assert!(bottom.contains(&last), "G reaches the end:\n{bottom}");
    update(&mut model, ch('g'));
    update(&mut model, key(KeyCode::End));
    assert!(
        render(&mut model, 80, 24, "dark").contains(&last),
        "End too"
    );
}

#[tokio::test]
async fn quitting_the_demo_while_a_run_goes_asks_first() {
    let mut model = model().await;
    with_runs(&mut model);
    assert_eq!(model.runs.live(), 1);
    model.identity.demo = true;
    update(&mut model, ch('q'));
    assert!(!model.quit, "asked, not quit");
    assert!(
        matches!(&model.overlay, Overlay::Confirm(c) if matches!(c.action, ConfirmAction::QuitDemo)),
        "a confirmation"
    );
    let screen = render(&mut model, 80, 24, "dark");
    assert!(screen.contains("[ Stay ]"), "{screen}");
    // It starts on Stay: Enter keeps the console.
    update(&mut model, key(KeyCode::Enter));
    assert!(!model.quit);
    assert!(matches!(model.overlay, Overlay::None));
    update(&mut model, ch('q'));
    update(&mut model, key(KeyCode::Tab));
    update(&mut model, key(KeyCode::Enter));
    assert!(model.quit, "quit once confirmed");
    // Outside the demo runs live on in their own processes: q quits at once.
    let mut outside = fixture::model().await;
    with_runs(&mut outside);
    update(&mut outside, ch('q'));
    assert!(outside.quit);
}

#[tokio::test]
async fn the_cancel_dialogs_no_says_keep_running() {
    let mut model = model().await;
    with_runs(&mut model);
    update(&mut model, ch('6'));
    update(&mut model, ch('x'));
    let screen = render(&mut model, 120, 40, "dark");
    assert!(screen.contains("[ Keep running ]"), "{screen}");
    assert!(!screen.contains("[ Cancel ]"), "{screen}");
}

#[tokio::test]
async fn a_copy_past_its_pace_has_no_estimate_rather_than_zero_left() {
    let mut model = model().await;
    with_runs(&mut model);
    let state = state_of(&model, RUN);
    let copying = state
        .images
        .iter()
        .find(|i| i.stage == imagefactory::factory::builder::journal::Stage::Distributing)
        .expect("a copy under way");
    let now = fixture::now();
    let left = imagefactory::tui::model::copy_left(copying, now);
    assert!(left.is_some_and(|l| !l.is_zero()), "{left:?}");
    let much_later = now + time::Duration::hours(10);
    assert_eq!(
        imagefactory::tui::model::copy_left(copying, much_later),
        None
    );
}
