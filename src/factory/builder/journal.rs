//! A run's journal: one JSON line per event, flushed as it happens, in the state directory.
//! `RunState::apply` is the one fold from events to where the run stands; `watch`, `runs`,
//! `resume` and the console all read a run through it, so screen and journal cannot disagree.
//! Nothing secret is ever an event: no password, no SAS, no key.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::names::RunId;
use crate::arm::PendingOperation;

/// Where an image's build stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Queued,
    CreatingVm,
    ApplyingArtifacts,
    Generalizing,
    Deallocated,
    Capturing,
    Distributing,
    CleaningUp,
    Done,
    Failed,
    Cancelled,
}

impl Stage {
    /// Whether the image's build has ended.
    pub fn is_final(self) -> bool {
        matches!(self, Stage::Done | Stage::Failed | Stage::Cancelled)
    }

    /// How the stage reads in a table.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Queued => "queued",
            Stage::CreatingVm => "creating VM",
            Stage::ApplyingArtifacts => "applying artifacts",
            Stage::Generalizing => "generalizing",
            Stage::Deallocated => "deallocated",
            Stage::Capturing => "capturing",
            Stage::Distributing => "distributing",
            Stage::CleaningUp => "cleaning up",
            Stage::Done => "done",
            Stage::Failed => "failed",
            Stage::Cancelled => "cancelled",
        }
    }
}

/// Something a run made in Azure, which it must remove again or account for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Resource {
    /// The build VM (lab VM id).
    Vm { id: String },
    /// Read access granted on the build VM's OS disk (disk id).
    DiskAccess { id: String },
    /// The captured VHD in the factory lab's storage (URL without SAS): the catalogue.
    CatalogueBlob { url: String },
    /// A VHD copied into a target lab's storage, for its custom image (URL without SAS).
    StagingBlob { lab: String, url: String },
    /// A custom image in a target lab (its id).
    Image { lab: String, id: String },
}

/// A long-running step whose operation a resumed run can follow again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    CreateVm,
    StopVm,
    GrantDiskAccess,
    RevokeDiskAccess,
    CreateImage { lab: String },
    DeleteVm,
}

/// How one target lab ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TargetOutcome {
    /// The image is there (its id).
    Done {
        image_id: String,
    },
    /// Nothing was done, and why (an image of that name was there already).
    Skipped {
        why: String,
    },
    Failed {
        error: StepError,
    },
}

/// Why a step failed: where, the ARM (or storage) error code, the message, and any further
/// text from the failing thing itself (an artifact's own messages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepError {
    pub stage: Stage,
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.stage.label(), self.code, self.message)
    }
}

/// An image as the run planned it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedImage {
    pub path: String,
    pub vm_name: String,
    pub image_name: String,
    pub definition_hash: String,
    pub targets: Vec<String>,
    /// The exact marketplace version the base resolved to when planned (`latest` pinned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_version: Option<String>,
    /// The base's Hyper-V generation, as Compute said it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<super::generation::Generation>,
    /// The VHD's blob name, when it is not `{image_name}.vhd` (a back-fill from the original
    /// factory's catalogue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vhd: Option<String>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Every image was built and distributed.
    Done,
    /// Some images failed; the others are done.
    SomeFailed,
    Cancelled,
}

/// What happened in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// Events about one image name it by its image name (unique within a run).
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The run began (or a process took it over: `resumed` is true).
    Started {
        run: RunId,
        /// The factory lab's id.
        factory: String,
        /// The factory lab's region (build VMs are made there).
        #[serde(default)]
        location: String,
        actor: String,
        host: String,
        pid: u32,
        /// Which process `pid` was: the boot and its start time, so that a pid the system
        /// has given to another process since is not taken for the run's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        process: Option<String>,
        #[serde(default)]
        resumed: bool,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        images: Vec<PlannedImage>,
        /// Labs the run leaves out and why (the identity may not change them): the run cannot
        /// be complete, and says so however it is read.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        left_out: Vec<String>,
    },
    Stage {
        image: String,
        stage: Stage,
    },
    Artifacts {
        image: String,
        applied: u32,
        total: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        current: Option<String>,
    },
    /// A copy's progress: into the catalogue (`lab` none) or into a target lab.
    Copy {
        image: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lab: Option<String>,
        percent: u8,
    },
    Begun {
        image: String,
        #[serde(flatten)]
        step: Step,
        operation: PendingOperation,
    },
    Created {
        image: String,
        resource: Resource,
    },
    Removed {
        image: String,
        resource: Resource,
    },
    Target {
        image: String,
        lab: String,
        #[serde(flatten)]
        outcome: TargetOutcome,
    },
    Failed {
        image: String,
        error: StepError,
    },
    /// Someone asked the run to stop (`cancel`, Ctrl-C, SIGTERM).
    CancelAsked {
        by: String,
    },
    Finished {
        outcome: RunOutcome,
    },
}

/// An event with the time it happened (RFC 3339, UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub at: String,
    #[serde(flatten)]
    pub event: Event,
}

/// One target lab of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetState {
    pub lab: String,
    pub percent: Option<u8>,
    /// When the percent was last said (for the copy's pace).
    pub percent_at: Option<String>,
    pub outcome: Option<TargetOutcome>,
}

/// One image of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageState {
    pub path: String,
    pub vm_name: String,
    pub image_name: String,
    pub definition_hash: String,
    /// The exact base version built and its generation, when the plan read them.
    pub base_version: Option<String>,
    pub generation: Option<super::generation::Generation>,
    /// The VHD's blob name, when it is not `{image_name}.vhd`.
    pub vhd: Option<String>,
    pub stage: Stage,
    /// When it entered its stage.
    pub since: String,
    /// Each stage it entered, with when (the first is `queued`, when the run began).
    pub history: Vec<(Stage, String)>,
    /// Artifacts applied, of how many, and the one being applied (in JSON as
    /// `{applied, total, current}`).
    #[serde(serialize_with = "artifacts_named")]
    pub artifacts: Option<(u32, u32, Option<String>)>,
    /// Percent of the capture copied into the catalogue.
    pub capture: Option<u8>,
    /// When the capture's percent was last said.
    pub capture_at: Option<String>,
    pub targets: Vec<TargetState>,
    pub error: Option<StepError>,
    /// What the run made for this image and has not removed.
    pub resources: Vec<Resource>,
    /// Operations begun and not known to be finished, by step: the runner's own state (for
    /// `resume`), not part of what a run says.
    #[serde(skip)]
    pub pending: BTreeMap<String, (Step, PendingOperation)>,
}

/// An image's artifact progress with its fields named.
fn artifacts_named<S: serde::Serializer>(
    value: &Option<(u32, u32, Option<String>)>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Progress<'a> {
        applied: u32,
        total: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        current: &'a Option<String>,
    }
    match value {
        Some((applied, total, current)) => Some(Progress {
            applied: *applied,
            total: *total,
            current,
        })
        .serialize(serializer),
        None => serializer.serialize_none(),
    }
}

/// Where a run stands: the fold of its journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunState {
    pub run: RunId,
    pub factory: String,
    pub location: String,
    pub actor: String,
    pub host: String,
    /// The process running it now (the last to start or resume it).
    pub pid: u32,
    /// Which process that was (see `Event::Started`).
    pub process: Option<String>,
    pub started: String,
    pub updated: String,
    pub images: Vec<ImageState>,
    pub cancel_asked: Option<String>,
    pub outcome: Option<RunOutcome>,
    /// Labs the run left out, and why.
    pub left_out: Vec<String>,
}

impl RunState {
    /// The state after the first line, if it starts a run.
    pub fn begin(line: &Line) -> Option<RunState> {
        let Event::Started {
            run,
            factory,
            location,
            actor,
            host,
            pid,
            process,
            images,
            left_out,
            ..
        } = &line.event
        else {
            return None;
        };
        Some(RunState {
            run: run.clone(),
            factory: factory.clone(),
            location: location.clone(),
            actor: actor.clone(),
            host: host.clone(),
            pid: *pid,
            process: process.clone(),
            started: line.at.clone(),
            updated: line.at.clone(),
            images: images
                .iter()
                .map(|p| ImageState {
                    path: p.path.clone(),
                    vm_name: p.vm_name.clone(),
                    image_name: p.image_name.clone(),
                    definition_hash: p.definition_hash.clone(),
                    base_version: p.base_version.clone(),
                    generation: p.generation,
                    vhd: p.vhd.clone(),
                    stage: Stage::Queued,
                    since: line.at.clone(),
                    history: vec![(Stage::Queued, line.at.clone())],
                    artifacts: None,
                    capture: None,
                    capture_at: None,
                    targets: p
                        .targets
                        .iter()
                        .map(|lab| TargetState {
                            lab: lab.clone(),
                            percent: None,
                            percent_at: None,
                            outcome: None,
                        })
                        .collect(),
                    error: None,
                    resources: Vec::new(),
                    pending: BTreeMap::new(),
                })
                .collect(),
            cancel_asked: None,
            outcome: None,
            left_out: left_out.clone(),
        })
    }

    /// The fold of a whole journal; `None` if it does not start with a run.
    pub fn fold<'l>(lines: impl IntoIterator<Item = &'l Line>) -> Option<RunState> {
        let mut lines = lines.into_iter();
        let mut state = RunState::begin(lines.next()?)?;
        for line in lines {
            state.apply(line);
        }
        Some(state)
    }

    /// Applies one event.
    pub fn apply(&mut self, line: &Line) {
        self.updated = line.at.clone();
        match &line.event {
            Event::Started {
                pid, host, process, ..
            } => {
                self.pid = *pid;
                self.host = host.clone();
                self.process = process.clone();
            }
            Event::CancelAsked { by } => self.cancel_asked = Some(by.clone()),
            Event::Finished { outcome } => self.outcome = Some(*outcome),
            Event::Stage { image, stage } => {
                if let Some(i) = self.image_mut(image)
                    && i.stage != *stage
                {
                    i.stage = *stage;
                    i.since = line.at.clone();
                    i.history.push((*stage, line.at.clone()));
                }
            }
            Event::Artifacts {
                image,
                applied,
                total,
                current,
            } => {
                if let Some(i) = self.image_mut(image) {
                    i.artifacts = Some((*applied, *total, current.clone()));
                }
            }
            Event::Copy {
                image,
                lab,
                percent,
            } => {
                if let Some(i) = self.image_mut(image) {
                    match lab {
                        None => {
                            i.capture = Some(*percent);
                            i.capture_at = Some(line.at.clone());
                        }
                        Some(lab) => {
                            if let Some(t) = i.target_mut(lab) {
                                t.percent = Some(*percent);
                                t.percent_at = Some(line.at.clone());
                            }
                        }
                    }
                }
            }
            Event::Begun {
                image,
                step,
                operation,
            } => {
                if let Some(i) = self.image_mut(image) {
                    i.pending
                        .insert(step_key(step), (step.clone(), operation.clone()));
                }
            }
            Event::Created { image, resource } => {
                if let Some(i) = self.image_mut(image)
                    && !i.resources.contains(resource)
                {
                    i.resources.push(resource.clone());
                }
            }
            Event::Removed { image, resource } => {
                if let Some(i) = self.image_mut(image) {
                    i.resources.retain(|r| r != resource);
                    // An operation that made or removed it is over.
                    let done = match resource {
                        Resource::Vm { .. } => vec![Step::CreateVm, Step::DeleteVm],
                        Resource::DiskAccess { .. } => {
                            vec![Step::GrantDiskAccess, Step::RevokeDiskAccess]
                        }
                        _ => Vec::new(),
                    };
                    for step in done {
                        i.pending.remove(&step_key(&step));
                    }
                }
            }
            Event::Target {
                image,
                lab,
                outcome,
            } => {
                if let Some(i) = self.image_mut(image) {
                    i.pending
                        .remove(&step_key(&Step::CreateImage { lab: lab.clone() }));
                    if let Some(t) = i.target_mut(lab) {
                        t.outcome = Some(outcome.clone());
                    }
                }
            }
            Event::Failed { image, error } => {
                if let Some(i) = self.image_mut(image) {
                    i.error = Some(error.clone());
                }
            }
        }
    }

    /// The image an event names: by its image name, unique in a run (a run that back-fills
    /// may carry several versions of one path).
    fn image_mut(&mut self, key: &str) -> Option<&mut ImageState> {
        self.images.iter_mut().find(|i| i.image_name == key)
    }

    /// How to show the image an event names: its path, with the image name when the run has
    /// several images of that path.
    pub fn label(&self, key: &str) -> String {
        let Some(image) = self.images.iter().find(|i| i.image_name == key) else {
            return key.to_string();
        };
        let same_path = self.images.iter().filter(|i| i.path == image.path).count();
        if same_path > 1 {
            format!("{} ({})", image.path, image.image_name)
        } else {
            image.path.clone()
        }
    }

    /// Whether every image has ended (the run may still be cleaning up until `Finished`).
    pub fn all_final(&self) -> bool {
        self.images.iter().all(|i| i.stage.is_final())
    }

    /// Images done, failed and cancelled.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |s: Stage| self.images.iter().filter(|i| i.stage == s).count();
        (
            count(Stage::Done),
            count(Stage::Failed),
            count(Stage::Cancelled),
        )
    }

    /// How its images stand, in the words every view uses: `2 done, 1 failed of 5`.
    pub fn counts_text(&self) -> String {
        let (done, failed, cancelled) = self.counts();
        let mut parts = vec![format!("{done} done")];
        if failed > 0 {
            parts.push(format!("{failed} failed"));
        }
        if cancelled > 0 {
            parts.push(format!("{cancelled} cancelled"));
        }
        format!("{} of {}", parts.join(", "), self.images.len())
    }

    /// How it ended, in the words every view and command uses (a run whose images are done
    /// but that left labs out did not do all it was asked: it exits 3, and says so).
    pub fn outcome_text(&self) -> Option<&'static str> {
        Some(match self.outcome? {
            RunOutcome::Done if !self.left_out.is_empty() => "done, labs left out",
            RunOutcome::Done => "done",
            RunOutcome::SomeFailed => "some failed",
            RunOutcome::Cancelled => "cancelled",
        })
    }
}

impl ImageState {
    fn target_mut(&mut self, lab: &str) -> Option<&mut TargetState> {
        self.targets
            .iter_mut()
            .find(|t| t.lab.eq_ignore_ascii_case(lab))
    }
}

fn step_key(step: &Step) -> String {
    match step {
        Step::CreateImage { lab } => format!("create_image:{}", lab.to_ascii_lowercase()),
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| v.get("step").and_then(|s| s.as_str()).map(str::to_string))
            .unwrap_or_default(),
    }
}

/// Where run journals are kept.
pub fn dir() -> PathBuf {
    crate::paths::state_dir().join("runs")
}

/// The journal file of `run` in `dir`.
pub fn path_of(dir: &Path, run: &RunId) -> PathBuf {
    dir.join(format!("{run}.jsonl"))
}

/// An open journal, appended to line by line.
pub struct Journal {
    path: PathBuf,
    file: Mutex<std::fs::File>,
}

impl Journal {
    /// Opens (creating if needed) the journal of `run` in `dir`, for appending, and holds it:
    /// one process writes a run at a time (another gets `WouldBlock`). A line left cut short
    /// by a process that died writing it is ended first, so the next one stands on its own.
    pub fn open(dir: &Path, run: &RunId) -> std::io::Result<Journal> {
        crate::files::private_dir(dir)?;
        let path = path_of(dir, run);
        let mut file = crate::files::append_private(&path)?;
        hold(&file)?;
        let len = file.metadata()?.len();
        if len > 0 {
            use std::io::{Read, Seek, SeekFrom};
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1))?;
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                file.write_all(b"\n")?;
            }
        }
        Ok(Journal {
            path,
            file: Mutex::new(file),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line and flushes it to the file system.
    pub fn append(&self, line: &Line) -> std::io::Result<()> {
        let mut text = serde_json::to_string(line).map_err(std::io::Error::other)?;
        text.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(text.as_bytes())?;
        file.flush()
    }
}

/// Takes the journal for this process (released when the file is closed).
#[cfg(unix)]
fn hold(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a descriptor this function borrows; it does not outlive the file.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(());
    }
    let error = std::io::Error::last_os_error();
    if error.kind() == std::io::ErrorKind::WouldBlock {
        return Err(std::io::Error::new(
            std::io::ErrorKind::WouldBlock,
            "another process is running this run",
        ));
    }
    Err(error)
}

#[cfg(not(unix))]
fn hold(_file: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}

/// Reads a journal. A last line cut short (the process killed while writing it) is skipped;
/// any other line that is not an event is an error naming the line.
pub fn read(path: &Path) -> Result<Vec<Line>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the journal {}: {e}", path.display()))?;
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::with_capacity(lines.len());
    for (n, raw) in lines.iter().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Line>(raw) {
            Ok(line) => out.push(line),
            Err(_) if n + 1 == lines.len() && !text.ends_with('\n') => break,
            Err(e) => {
                return Err(format!(
                    "{}:{}: not a journal event ({e}); the run cannot be read past it",
                    path.display(),
                    n + 1
                ));
            }
        }
    }
    Ok(out)
}

/// The journals in `dir`, newest run first.
pub fn list(dir: &Path) -> Vec<(RunId, PathBuf)> {
    let mut runs: Vec<(RunId, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let path = e.path();
            let stem = path.file_name()?.to_str()?.strip_suffix(".jsonl")?;
            Some((RunId::parse(stem)?, path))
        })
        .collect();
    runs.sort_by(|a, b| b.0.cmp(&a.0));
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(event: Event) -> Line {
        Line {
            at: "2026-11-27T10:00:00Z".into(),
            event,
        }
    }

    #[test]
    fn every_event_reads_back_as_written() {
        let op = PendingOperation {
            resource: "/subscriptions/s/x".into(),
            monitor: "https://management.azure.com/op?api-version=1".into(),
            by_status: true,
            retry_after: Some(10),
            retry_after_ms: None,
            result_at: None,
        };
        let error = StepError {
            stage: Stage::Capturing,
            code: "Code".into(),
            message: "message".into(),
            details: vec!["detail".into()],
        };
        let events = vec![
            Event::Started {
                run: RunId::parse("20261127t100000-abcd").unwrap(),
                factory: "/subscriptions/s/resourceGroups/r/providers/Microsoft.DevTestLab/labs/f"
                    .into(),
                location: "westeurope".into(),
                actor: "a".into(),
                host: "h".into(),
                pid: 7,
                process: Some("boot:123".into()),
                resumed: false,
                images: vec![PlannedImage {
                    path: "p".into(),
                    vm_name: "v".into(),
                    image_name: "i".into(),
                    definition_hash: "0123456789abcdef".into(),
                    base_version: None,
                    generation: None,
                    vhd: None,
                    targets: vec!["lab".into()],
                }],
                left_out: vec!["p → lab: why".into()],
            },
            Event::Stage {
                image: "p".into(),
                stage: Stage::Distributing,
            },
            Event::Artifacts {
                image: "p".into(),
                applied: 1,
                total: 2,
                current: Some("a".into()),
            },
            Event::Copy {
                image: "p".into(),
                lab: Some("lab".into()),
                percent: 50,
            },
            Event::Copy {
                image: "p".into(),
                lab: None,
                percent: 5,
            },
            Event::Begun {
                image: "p".into(),
                step: Step::CreateImage { lab: "lab".into() },
                operation: op.clone(),
            },
            Event::Begun {
                image: "p".into(),
                step: Step::CreateVm,
                operation: op,
            },
            Event::Created {
                image: "p".into(),
                resource: Resource::Vm { id: "vm".into() },
            },
            Event::Removed {
                image: "p".into(),
                resource: Resource::StagingBlob {
                    lab: "lab".into(),
                    url: "u".into(),
                },
            },
            Event::Target {
                image: "p".into(),
                lab: "lab".into(),
                outcome: TargetOutcome::Done {
                    image_id: "id".into(),
                },
            },
            Event::Target {
                image: "p".into(),
                lab: "lab".into(),
                outcome: TargetOutcome::Skipped { why: "w".into() },
            },
            Event::Target {
                image: "p".into(),
                lab: "lab".into(),
                outcome: TargetOutcome::Failed {
                    error: error.clone(),
                },
            },
            Event::Failed {
                image: "p".into(),
                error,
            },
            Event::CancelAsked {
                by: "signal".into(),
            },
            Event::Finished {
                outcome: RunOutcome::SomeFailed,
            },
        ];
        for event in events {
            let written = serde_json::to_string(&line(event.clone())).unwrap();
            let read: Line =
                serde_json::from_str(&written).unwrap_or_else(|e| panic!("{e}: {written}"));
            assert_eq!(read.event, event, "{written}");
        }
    }

    #[test]
    fn a_line_cut_short_at_the_end_is_skipped_and_one_in_the_middle_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let good = serde_json::to_string(&line(Event::CancelAsked { by: "x".into() })).unwrap();
        let path = dir.path().join("r.jsonl");
        std::fs::write(&path, format!("{good}\n{{\"at\":\"2026")).unwrap();
        assert_eq!(read(&path).unwrap().len(), 1);
        std::fs::write(&path, format!("{{\"at\":\"2026\n{good}\n")).unwrap();
        let error = read(&path).unwrap_err();
        assert!(error.contains("r.jsonl:1: not a journal event"), "{error}");
    }
}
