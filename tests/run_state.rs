//! The run-state fold (`RunState::apply`), which `watch`, `runs`, `resume` and the console all
//! read a run through: checked against a model of what each event means, over random journals,
//! and journals written, cut short and read back.

#[path = "common/property.rs"]
mod property;

use std::collections::{BTreeMap, BTreeSet};

use imagefactory::arm::PendingOperation;
use imagefactory::factory::builder::RunId;
use imagefactory::factory::builder::journal::{
    Event, Line, PlannedImage, Resource, RunOutcome, RunState, Stage, Step, StepError,
    TargetOutcome,
};
use property::{Rng, persisted};
use proptest::prelude::*;

const STAGES: [Stage; 11] = [
    Stage::Queued,
    Stage::CreatingVm,
    Stage::ApplyingArtifacts,
    Stage::Generalizing,
    Stage::Deallocated,
    Stage::Capturing,
    Stage::Distributing,
    Stage::CleaningUp,
    Stage::Done,
    Stage::Failed,
    Stage::Cancelled,
];

fn line(n: usize, event: Event) -> Line {
    Line {
        at: format!("2026-11-27T10:{:02}:{:02}Z", n / 60 % 60, n % 60),
        event,
    }
}

fn op(n: u64) -> PendingOperation {
    PendingOperation {
        resource: format!("/r/{n}"),
        monitor: format!("https://arm/op/{n}?api-version=1"),
        by_status: n.is_multiple_of(2),
        retry_after: Some(n % 5),
        retry_after_ms: n.is_multiple_of(3).then_some(n % 700),
        result_at: n
            .is_multiple_of(4)
            .then(|| format!("https://arm/result/{n}")),
    }
}

fn error(rng: &mut Rng) -> StepError {
    StepError {
        stage: STAGES[rng.below(8) as usize],
        code: format!("Code{}", rng.below(9)),
        message: "m".into(),
        details: Vec::new(),
    }
}

/// What the events say, kept the plain way: the model the fold must agree with.
#[derive(Default, Debug)]
struct Model {
    stage: BTreeMap<String, Stage>,
    since: BTreeMap<String, String>,
    artifacts: BTreeMap<String, (u32, u32, Option<String>)>,
    capture: BTreeMap<String, u8>,
    copies: BTreeMap<(String, String), u8>,
    targets: BTreeMap<(String, String), TargetOutcome>,
    resources: BTreeMap<String, Vec<Resource>>,
    pending: BTreeMap<String, BTreeSet<String>>,
    errors: BTreeMap<String, StepError>,
    cancel: Option<String>,
    outcome: Option<RunOutcome>,
    pid: u32,
    process: Option<String>,
}

fn pending_key(step: &Step) -> String {
    match step {
        Step::CreateImage { lab } => format!("create_image:{}", lab.to_ascii_lowercase()),
        Step::CreateVm => "create_vm".into(),
        Step::StopVm => "stop_vm".into(),
        Step::GrantDiskAccess => "grant_disk_access".into(),
        Step::RevokeDiskAccess => "revoke_disk_access".into(),
        Step::DeleteVm => "delete_vm".into(),
    }
}

/// A random journal of a run of `images` images with `labs` target labs each, and the model's
/// reading of it.
fn journal(seed: u64) -> (Vec<Line>, Model, Vec<String>, Vec<String>) {
    let mut rng = Rng(seed | 1);
    let images: Vec<String> = (0..1 + rng.below(4))
        .map(|i| format!("image-{i}"))
        .collect();
    let labs: Vec<String> = (0..1 + rng.below(3))
        .map(|l| format!("/labs/Lab{l}"))
        .collect();
    let mut lines = vec![line(
        0,
        Event::Started {
            run: RunId::parse("20261127t100000-abcd").unwrap(),
            factory: "/labs/f".into(),
            location: "westeurope".into(),
            actor: "a".into(),
            host: "h".into(),
            pid: 1,
            process: None,
            resumed: false,
            images: images
                .iter()
                .enumerate()
                .map(|(i, name)| PlannedImage {
                    // Two images may share a path (a back-fill carries versions).
                    path: format!("path/{}", i / 2),
                    vm_name: format!("vm{i}"),
                    image_name: name.clone(),
                    definition_hash: "h".into(),
                    targets: labs.clone(),
                    base_version: None,
                    generation: None,
                    vhd: None,
                })
                .collect(),
            left_out: vec!["path/9 → LabX: refused".into()],
        },
    )];
    let mut model = Model {
        pid: 1,
        ..Model::default()
    };
    for image in &images {
        model.stage.insert(image.clone(), Stage::Queued);
        model.since.insert(image.clone(), lines[0].at.clone());
    }
    for n in 1..1 + rng.below(80) as usize {
        // Now and then an event about an image the run does not have: it changes nothing.
        let image = if rng.chance(3) {
            "stranger".to_string()
        } else {
            images[rng.below(images.len() as u64) as usize].clone()
        };
        let known = image != "stranger";
        let lab = labs[rng.below(labs.len() as u64) as usize].clone();
        // Labs are matched without case, as ARM ids are.
        let lab_spelled = if rng.chance(30) {
            lab.to_ascii_lowercase()
        } else {
            lab.clone()
        };
        let resource = match rng.below(5) {
            0 => Resource::Vm {
                id: format!("vm-{image}"),
            },
            1 => Resource::DiskAccess {
                id: format!("disk-{image}"),
            },
            2 => Resource::CatalogueBlob {
                url: format!("c/{image}"),
            },
            3 => Resource::StagingBlob {
                lab: lab.clone(),
                url: format!("s/{image}"),
            },
            _ => Resource::Image {
                lab: lab.clone(),
                id: format!("i/{image}"),
            },
        };
        let at = line(n, Event::CancelAsked { by: String::new() }).at;
        let event = match rng.below(12) {
            0 | 1 => {
                let stage = STAGES[rng.below(11) as usize];
                if known && model.stage[&image] != stage {
                    model.since.insert(image.clone(), at.clone());
                }
                if known {
                    model.stage.insert(image.clone(), stage);
                }
                Event::Stage { image, stage }
            }
            2 => {
                let (applied, total) = (rng.below(4) as u32, 4);
                let current = rng.chance(50).then(|| format!("a{applied}"));
                if known {
                    model
                        .artifacts
                        .insert(image.clone(), (applied, total, current.clone()));
                }
                Event::Artifacts {
                    image,
                    applied,
                    total,
                    current,
                }
            }
            3 => {
                let percent = rng.below(101) as u8;
                let into = rng.chance(50).then(|| lab_spelled.clone());
                if known {
                    match &into {
                        None => {
                            model.capture.insert(image.clone(), percent);
                        }
                        Some(_) => {
                            model.copies.insert((image.clone(), lab.clone()), percent);
                        }
                    }
                }
                Event::Copy {
                    image,
                    lab: into,
                    percent,
                }
            }
            4 => {
                let step = match rng.below(5) {
                    0 => Step::CreateVm,
                    1 => Step::GrantDiskAccess,
                    2 => Step::RevokeDiskAccess,
                    3 => Step::DeleteVm,
                    _ => Step::CreateImage {
                        lab: lab_spelled.clone(),
                    },
                };
                if known {
                    model
                        .pending
                        .entry(image.clone())
                        .or_default()
                        .insert(pending_key(&step));
                }
                Event::Begun {
                    image,
                    step,
                    operation: op(rng.next()),
                }
            }
            5 | 6 => {
                if known {
                    let held = model.resources.entry(image.clone()).or_default();
                    if !held.contains(&resource) {
                        held.push(resource.clone());
                    }
                }
                Event::Created { image, resource }
            }
            7 => {
                if known {
                    model
                        .resources
                        .entry(image.clone())
                        .or_default()
                        .retain(|r| r != &resource);
                    let done: &[&str] = match &resource {
                        Resource::Vm { .. } => &["create_vm", "delete_vm"],
                        Resource::DiskAccess { .. } => &["grant_disk_access", "revoke_disk_access"],
                        _ => &[],
                    };
                    if let Some(p) = model.pending.get_mut(&image) {
                        for d in done {
                            p.remove(*d);
                        }
                    }
                }
                Event::Removed { image, resource }
            }
            8 => {
                let outcome = match rng.below(3) {
                    0 => TargetOutcome::Done {
                        image_id: "id".into(),
                    },
                    1 => TargetOutcome::Skipped { why: "w".into() },
                    _ => TargetOutcome::Failed {
                        error: error(&mut rng),
                    },
                };
                if known {
                    model
                        .targets
                        .insert((image.clone(), lab.clone()), outcome.clone());
                    if let Some(p) = model.pending.get_mut(&image) {
                        p.remove(&pending_key(&Step::CreateImage {
                            lab: lab_spelled.clone(),
                        }));
                    }
                }
                Event::Target {
                    image,
                    lab: lab_spelled,
                    outcome,
                }
            }
            9 => {
                let e = error(&mut rng);
                if known {
                    model.errors.insert(image.clone(), e.clone());
                }
                Event::Failed { image, error: e }
            }
            10 => {
                let by = format!("by{}", rng.below(3));
                model.cancel = Some(by.clone());
                Event::CancelAsked { by }
            }
            _ => {
                if rng.chance(50) {
                    let pid = 2 + rng.below(100) as u32;
                    model.pid = pid;
                    // Some processes say which they are, some (older journals) do not.
                    let process = rng.chance(2).then(|| format!("boot:{pid}"));
                    model.process = process.clone();
                    Event::Started {
                        run: RunId::parse("20261127t100000-abcd").unwrap(),
                        factory: "/labs/f".into(),
                        location: "westeurope".into(),
                        actor: "a".into(),
                        host: "h".into(),
                        pid,
                        process,
                        resumed: true,
                        images: Vec::new(),
                        left_out: Vec::new(),
                    }
                } else {
                    let outcome = [
                        RunOutcome::Done,
                        RunOutcome::SomeFailed,
                        RunOutcome::Cancelled,
                    ][rng.below(3) as usize];
                    model.outcome = Some(outcome);
                    Event::Finished { outcome }
                }
            }
        };
        lines.push(Line { at, event });
    }
    (lines, model, images, labs)
}

proptest! {
    #![proptest_config(persisted(300, "tests/run_state.proptest-regressions"))]

    #[test]
    fn the_fold_agrees_with_what_each_event_means(seed in any::<u64>()) {
        let (lines, model, images, labs) = journal(seed);
        let state = RunState::fold(&lines).unwrap();
        prop_assert_eq!(state.images.len(), images.len());
        prop_assert_eq!(&state.updated, &lines.last().unwrap().at);
        prop_assert_eq!(&state.started, &lines[0].at);
        prop_assert_eq!(state.pid, model.pid);
        prop_assert_eq!(&state.process, &model.process);
        prop_assert_eq!(&state.cancel_asked, &model.cancel);
        prop_assert_eq!(state.outcome, model.outcome);
        // What the run left out is said once, when it starts; a process taking over keeps it.
        prop_assert_eq!(&state.left_out, &vec!["path/9 → LabX: refused".to_string()]);
        for image in &state.images {
            let name = &image.image_name;
            prop_assert_eq!(image.stage, model.stage[name], "stage of {}", name);
            prop_assert_eq!(&image.since, &model.since[name], "since of {}", name);
            prop_assert_eq!(&image.artifacts, &model.artifacts.get(name).cloned());
            prop_assert_eq!(image.capture, model.capture.get(name).copied());
            prop_assert_eq!(&image.error, &model.errors.get(name).cloned());
            prop_assert_eq!(
                &image.resources,
                &model.resources.get(name).cloned().unwrap_or_default()
            );
            let pending: BTreeSet<String> = image.pending.keys().cloned().collect();
            prop_assert_eq!(pending, model.pending.get(name).cloned().unwrap_or_default());
            prop_assert_eq!(image.targets.len(), labs.len());
            for target in &image.targets {
                let key = (name.clone(), target.lab.clone());
                prop_assert_eq!(&target.outcome, &model.targets.get(&key).cloned());
                prop_assert_eq!(target.percent, model.copies.get(&key).copied());
            }
        }
        let (done, failed, cancelled) = state.counts();
        let count = |s: Stage| model.stage.values().filter(|v| **v == s).count();
        prop_assert_eq!((done, failed, cancelled), (count(Stage::Done), count(Stage::Failed), count(Stage::Cancelled)));
        prop_assert_eq!(state.all_final(), model.stage.values().all(|s| s.is_final()));
    }

    #[test]
    fn folding_at_once_or_line_by_line_or_from_the_file_is_the_same(seed in any::<u64>()) {
        let (lines, _, _, _) = journal(seed);
        let whole = RunState::fold(&lines).unwrap();
        let mut step = RunState::begin(&lines[0]).unwrap();
        for line in &lines[1..] {
            step.apply(line);
        }
        prop_assert_eq!(&whole, &step);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jsonl");
        let mut text: String = lines
            .iter()
            .map(|l| serde_json::to_string(l).unwrap() + "\n")
            .collect();
        // A process killed mid-write leaves half a line: it is not an event, and not an error.
        text.push_str("{\"at\":\"2026-11-27T11:");
        std::fs::write(&path, text).unwrap();
        let read = imagefactory::factory::builder::journal::read(&path).unwrap();
        prop_assert_eq!(RunState::fold(&read).unwrap(), whole);
    }
}

#[test]
fn a_journal_that_does_not_start_a_run_folds_to_nothing() {
    assert!(RunState::fold(&[]).is_none());
    assert!(RunState::fold(&[line(0, Event::CancelAsked { by: "x".into() })]).is_none());
}

#[test]
fn an_image_is_shown_by_its_path_unless_the_run_has_two_of_that_path() {
    let (lines, _, images, _) = journal(7);
    let state = RunState::fold(&lines).unwrap();
    for image in &images {
        let same = state
            .images
            .iter()
            .filter(|i| {
                i.path
                    == state
                        .images
                        .iter()
                        .find(|j| &j.image_name == image)
                        .unwrap()
                        .path
            })
            .count();
        let label = state.label(image);
        if same > 1 {
            assert!(label.contains(image.as_str()), "{label}");
        } else {
            assert!(
                label.starts_with("path/") && !label.contains(image.as_str()),
                "{label}"
            );
        }
    }
    assert_eq!(state.label("stranger"), "stranger");
}

fn started(images: &[(&str, &str)]) -> Line {
    line(
        0,
        Event::Started {
            run: RunId::parse("20261127t100000-abcd").unwrap(),
            factory: "/labs/f".into(),
            location: "westeurope".into(),
            actor: "a".into(),
            host: "h".into(),
            pid: 1,
            process: None,
            resumed: false,
            images: images
                .iter()
                .map(|(path, name)| PlannedImage {
                    path: path.to_string(),
                    vm_name: String::new(),
                    image_name: name.to_string(),
                    definition_hash: String::new(),
                    targets: Vec::new(),
                    base_version: None,
                    generation: None,
                    vhd: None,
                })
                .collect(),
            left_out: Vec::new(),
        },
    )
}

#[test]
fn two_versions_of_a_path_are_told_apart_by_name_one_is_shown_by_its_path() {
    let state =
        RunState::fold(&[started(&[("a/b", "a-b-1"), ("a/b", "a-b-2"), ("c", "c-1")])]).unwrap();
    assert_eq!(state.label("a-b-1"), "a/b (a-b-1)");
    assert_eq!(state.label("a-b-2"), "a/b (a-b-2)");
    assert_eq!(state.label("c-1"), "c");
}

#[test]
fn stages_end_where_they_should_and_read_as_words() {
    let finals: Vec<Stage> = STAGES.iter().copied().filter(|s| s.is_final()).collect();
    assert_eq!(finals, [Stage::Done, Stage::Failed, Stage::Cancelled]);
    let labels: BTreeSet<&str> = STAGES.iter().map(|s| s.label()).collect();
    assert_eq!(labels.len(), STAGES.len(), "every stage reads differently");
    assert_eq!(Stage::ApplyingArtifacts.label(), "applying artifacts");
    let e = StepError {
        stage: Stage::Capturing,
        code: "InternalDiskManagementError".into(),
        message: "try again".into(),
        details: Vec::new(),
    };
    assert_eq!(
        e.to_string(),
        "capturing: InternalDiskManagementError: try again"
    );
}

#[test]
fn journals_are_written_line_by_line_listed_newest_first_and_read_strictly() {
    use imagefactory::factory::builder::journal::{Journal, list, path_of, read};
    let dir = tempfile::tempdir().unwrap();
    let older = RunId::parse("20261126t100000-0001").unwrap();
    let newer = RunId::parse("20261127t100000-0002").unwrap();
    for run in [&older, &newer] {
        let journal = Journal::open(dir.path(), run).unwrap();
        assert_eq!(journal.path(), path_of(dir.path(), run));
        journal.append(&started(&[("a", "a-1")])).unwrap();
        journal
            .append(&line(1, Event::CancelAsked { by: "x".into() }))
            .unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "not a journal").unwrap();
    let runs: Vec<RunId> = list(dir.path()).into_iter().map(|(r, _)| r).collect();
    assert_eq!(runs, [newer.clone(), older]);
    let path = path_of(dir.path(), &newer);
    assert!(path.ends_with("20261127t100000-0002.jsonl"));
    assert_eq!(read(&path).unwrap().len(), 2);
    // A bad line that is not the last is an error naming it; a whole last line that is not an
    // event is one too (only a line cut short, without its newline, is forgiven).
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}{{\"at\":1}}\n")).unwrap();
    assert!(read(&path).unwrap_err().contains(":3: not a journal event"));
    std::fs::write(&path, format!("garbage\n{text}")).unwrap();
    assert!(read(&path).unwrap_err().contains(":1: not a journal event"));
    assert!(imagefactory::factory::builder::journal::dir().ends_with("runs"));
}
