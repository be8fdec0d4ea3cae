//! Runs for the console tests: journals written as the engine writes them (a run with an
//! image done, one distributing with a copy part way, one failed at its artifacts), fed to
//! `update` the way the journal watcher feeds them.

#![allow(dead_code)]

use imagefactory::factory::builder::RunId;
use imagefactory::factory::builder::background::Liveness;
use imagefactory::factory::builder::journal::{
    Event, Line, PlannedImage, Resource, RunOutcome, Stage, StepError, TargetOutcome,
};
use imagefactory::tui::effect::Effect;
use imagefactory::tui::model::{JournalRead, Model};
use imagefactory::tui::msg::Msg;
use imagefactory::tui::update::update;

pub const RUN: &str = "20261120t114000-00a1";
pub const OLD_RUN: &str = "20261119t020000-00b2";
const FACTORY: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-factory/providers/Microsoft.DevTestLab/labs/ImageFactory";

fn lab(name: &str) -> String {
    format!(
        "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-labs/providers/Microsoft.DevTestLab/labs/{name}"
    )
}

fn at(minute: u32, second: u32) -> String {
    format!("2026-11-20T11:{minute:02}:{second:02}Z")
}

fn line(minute: u32, second: u32, event: Event) -> Line {
    Line {
        at: at(minute, second),
        event,
    }
}

fn stage(minute: u32, image: &str, stage: Stage) -> Line {
    line(
        minute,
        0,
        Event::Stage {
            image: image.into(),
            stage,
        },
    )
}

fn planned(path: &str, image: &str, targets: &[&str]) -> PlannedImage {
    PlannedImage {
        path: path.into(),
        vm_name: format!("b{}", &image[..image.len().min(10)]),
        image_name: image.into(),
        definition_hash: "0123456789abcdef".into(),
        targets: targets.iter().map(|t| lab(t)).collect(),
        base_version: None,
        generation: None,
        vhd: None,
    }
}

/// The first line of a run.
pub fn started(run: &str, minute: u32, images: Vec<PlannedImage>) -> Line {
    line(
        minute,
        0,
        Event::Started {
            run: RunId::parse(run).unwrap(),
            factory: FACTORY.into(),
            location: "westeurope".into(),
            actor: "alice@contoso.com".into(),
            host: "jumpbox-1".into(),
            pid: 4242,
            process: None,
            resumed: false,
            images,
            left_out: Vec::new(),
        },
    )
}

/// A run going at 12:00: win2022/base done, ubuntu2204/docker distributing (one lab done,
/// one at 40%), win11/dev failed at its artifacts, its VM kept.
pub fn live_run() -> Vec<Line> {
    let (base, docker, dev) = (
        "win2022-base-20261120",
        "ubuntu2204-docker-20261120",
        "win11-dev-20261120",
    );
    let mut lines = vec![started(
        RUN,
        40,
        vec![
            planned("win2022/base", base, &["Dev-WestEurope", "QA-WestEurope"]),
            planned(
                "ubuntu2204/docker",
                docker,
                &["QA-WestEurope", "Eng-WestEurope"],
            ),
            planned("win11/dev", dev, &["Eng-WestEurope"]),
        ],
    )];
    for image in [base, docker, dev] {
        lines.push(stage(41, image, Stage::CreatingVm));
        lines.push(line(
            41,
            5,
            Event::Created {
                image: image.into(),
                resource: Resource::Vm {
                    id: format!("{FACTORY}/virtualmachines/b{}", &image[..10]),
                },
            },
        ));
    }
    for image in [base, docker, dev] {
        lines.push(stage(44, image, Stage::ApplyingArtifacts));
        lines.push(line(
            45,
            0,
            Event::Artifacts {
                image: image.into(),
                applied: 1,
                total: 3,
                current: Some("windows-sysprep".into()),
            },
        ));
    }
    lines.push(stage(46, dev, Stage::Failed));
    lines.push(line(
        46,
        0,
        Event::Failed {
            image: dev.into(),
            error: StepError {
                stage: Stage::ApplyingArtifacts,
                code: "ArtifactFailed".into(),
                message: "an artifact failed on the build VM bwin11-dev- (1 of 3 applied)".into(),
                details: vec![
                    "windows-vs-code: Installation of VS Code failed: exit code 1603\nDownloading VSCodeSetup-x64.exe\nMSI (s) (7C:40): Product: Microsoft Visual Studio Code -- Installation failed.".into(),
                    "windows-chrome: succeeded".into(),
                    "windows-sysprep: pending".into(),
                ],
            },
        },
    ));
    for image in [base, docker] {
        lines.push(stage(48, image, Stage::Generalizing));
        lines.push(stage(50, image, Stage::Deallocated));
        lines.push(stage(51, image, Stage::Capturing));
        lines.push(line(
            52,
            0,
            Event::Copy {
                image: image.into(),
                lab: None,
                percent: 100,
            },
        ));
        lines.push(stage(54, image, Stage::Distributing));
    }
    lines.push(line(
        56,
        0,
        Event::Target {
            image: base.into(),
            lab: lab("Dev-WestEurope"),
            outcome: TargetOutcome::Done {
                image_id: format!("{}/customimages/{base}", lab("Dev-WestEurope")),
            },
        },
    ));
    lines.push(line(
        56,
        30,
        Event::Target {
            image: base.into(),
            lab: lab("QA-WestEurope"),
            outcome: TargetOutcome::Done {
                image_id: format!("{}/customimages/{base}", lab("QA-WestEurope")),
            },
        },
    ));
    lines.push(stage(57, base, Stage::Done));
    lines.push(line(
        57,
        0,
        Event::Target {
            image: docker.into(),
            lab: lab("QA-WestEurope"),
            outcome: TargetOutcome::Done {
                image_id: format!("{}/customimages/{docker}", lab("QA-WestEurope")),
            },
        },
    ));
    lines.push(line(
        58,
        0,
        Event::Copy {
            image: docker.into(),
            lab: Some(lab("Eng-WestEurope")),
            percent: 40,
        },
    ));
    lines
}

/// An older run that ended with everything done.
pub fn old_run() -> Vec<Line> {
    let image = "win2022-base-20261119";
    vec![
        started(
            OLD_RUN,
            0,
            vec![planned("win2022/base", image, &["Dev-WestEurope"])],
        ),
        stage(1, image, Stage::CreatingVm),
        stage(20, image, Stage::Distributing),
        stage(30, image, Stage::Done),
        line(
            31,
            0,
            Event::Finished {
                outcome: RunOutcome::Done,
            },
        ),
    ]
}

/// The bytes `lines` take in a journal (as offsets for reads).
pub fn bytes(lines: &[Line]) -> u64 {
    lines
        .iter()
        .map(|l| serde_json::to_string(l).unwrap().len() as u64 + 1)
        .sum()
}

/// Feeds `lines` of `run` as one read from byte `from`.
pub fn feed(
    model: &mut Model,
    run: &str,
    from: u64,
    lines: &[Line],
    liveness: Liveness,
) -> Vec<Effect> {
    update(
        model,
        Msg::Journal(JournalRead {
            run: run.into(),
            from,
            to: from + bytes(lines),
            lines: lines.to_vec(),
            liveness,
        }),
    )
}

/// The console with both runs read, the live one running.
pub fn with_runs(model: &mut Model) {
    feed(model, OLD_RUN, 0, &old_run(), Liveness::Finished);
    feed(model, RUN, 0, &live_run(), Liveness::Running);
}
