//! The runner: takes a plan (or a journal's run state, to resume) and drives every image
//! through its stages, builds bounded by the plan's parallelism and copies by
//! `[build] max_copies`, every stage under its timeout, reporting each step to a sink (the
//! journal). A failed image is cleaned up and the others carry on; a cancelled run stops new
//! work and removes what it made.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tokio::sync::{Mutex, Semaphore, watch};

use super::artifacts::{self, VmOutcome};
use super::journal::{
    Event, Line, PlannedImage, Resource, RunOutcome, RunState, Stage, Step, StepError,
    TargetOutcome,
};
use super::names::RunId;
use super::network::{self, LabSubnet};
use super::plan::{BuildPlan, ImageJob, Target};
use super::steps::{self, CATALOGUE_CONTAINER, STAGING_CONTAINER};
use crate::arm::storage::{Access, BlobAccount, CopyStatus, SHORT_SAS, blob};
use crate::arm::{ArmClient, ArmError, Begun, PendingOperation, Poll};
use crate::config::{BuildSettings, LabRef, StorageAuth};

/// What a run needs: one value instead of wide argument lists.
pub struct Context {
    pub client: ArmClient,
    pub settings: BuildSettings,
    /// Who the images name as their author.
    pub author: String,
    /// Becomes true when the run must stop (cancel, Ctrl-C, SIGTERM).
    pub cancel: watch::Receiver<bool>,
}

/// Where a run's events go.
pub trait Sink: Send + Sync {
    fn emit(&self, event: Event);
}

/// The journal, and optionally a live feed of the same lines (for `build` to print).
pub struct Recorder {
    journal: super::journal::Journal,
    live: Option<tokio::sync::mpsc::UnboundedSender<Line>>,
}

impl Recorder {
    pub fn new(
        journal: super::journal::Journal,
        live: Option<tokio::sync::mpsc::UnboundedSender<Line>>,
    ) -> Self {
        Recorder { journal, live }
    }
}

impl Sink for Recorder {
    fn emit(&self, event: Event) {
        let line = Line { at: now(), event };
        if let Err(e) = self.journal.append(&line) {
            tracing::warn!(journal = %self.journal.path().display(), error = %e, "cannot write the run journal");
        }
        if let Some(live) = &self.live {
            let _ = live.send(line);
        }
    }
}

/// The time now, as journal lines carry it.
pub fn now() -> String {
    crate::human::rfc3339(OffsetDateTime::now_utc())
}

/// The images of a plan as its journal records them.
pub fn planned(plan: &BuildPlan) -> Vec<PlannedImage> {
    plan.jobs
        .iter()
        .map(|job| PlannedImage {
            path: job.path.to_string(),
            vm_name: job.vm_name.clone(),
            image_name: job.image_name.clone(),
            definition_hash: job.definition_hash.clone(),
            targets: job.targets.iter().map(|t| t.lab.id()).collect(),
            base_version: job.base_facts.as_ref().map(|f| f.version.clone()),
            generation: job.base_facts.as_ref().map(|f| f.generation),
            vhd: (job.vhd != format!("{}.vhd", job.image_name)).then(|| job.vhd.clone()),
        })
        .collect()
}

/// Runs `plan` to its end. `from` is the run state of a journal being resumed (its images
/// continue from where they stood); else the run starts fresh. Returns how it ended.
pub async fn run(
    ctx: Arc<Context>,
    plan: &BuildPlan,
    sink: Arc<dyn Sink>,
    from: Option<RunState>,
) -> RunOutcome {
    let copies = Arc::new(Semaphore::new(ctx.settings.max_copies.max(1)));
    let builds = Arc::new(Semaphore::new(plan.parallelism.max(1)));
    let storage = Arc::new(StorageCache {
        auth: ctx.settings.storage_auth,
        ..StorageCache::default()
    });
    let subnet = Arc::new(tokio::sync::OnceCell::new());
    let mut tasks = Vec::new();
    for job in &plan.jobs {
        let state = from.as_ref().and_then(|s| {
            s.images
                .iter()
                .find(|i| i.image_name == job.image_name)
                .cloned()
        });
        let build = ImageBuild {
            ctx: ctx.clone(),
            sink: sink.clone(),
            job: job.clone(),
            factory: plan.factory.clone(),
            location: plan.factory_location.clone(),
            run: plan.run.clone(),
            copies: copies.clone(),
            storage: storage.clone(),
            subnet: subnet.clone(),
            stage: std::sync::Mutex::new(state.as_ref().map_or(Stage::Queued, |s| s.stage)),
            held: std::sync::Mutex::new(
                state
                    .as_ref()
                    .map(|s| s.resources.clone())
                    .unwrap_or_default(),
            ),
            settled: state
                .as_ref()
                .map(|s| {
                    s.targets
                        .iter()
                        .filter_map(|t| Some((t.lab.clone(), t.outcome.clone()?)))
                        .collect()
                })
                .unwrap_or_default(),
            failed_before: state.as_ref().and_then(|s| s.error.clone()),
        };
        let builds = builds.clone();
        tasks.push(tokio::spawn(async move {
            let _slot = builds.acquire_owned().await;
            build.run().await
        }));
    }
    let mut stages = Vec::new();
    for task in tasks {
        stages.push(task.await.unwrap_or(Stage::Failed));
    }
    let outcome = if *ctx.cancel.borrow() {
        RunOutcome::Cancelled
    } else if stages.iter().all(|s| *s == Stage::Done) {
        RunOutcome::Done
    } else {
        RunOutcome::SomeFailed
    };
    sink.emit(Event::Finished { outcome });
    outcome
}

/// Storage accounts already looked up in this run, by lab id: each lab is looked up once however many images ask at the same moment, and each of its
/// containers is made once.
#[derive(Default)]
struct StorageCache {
    /// How the accounts are reached (`[build] storage_auth`).
    auth: StorageAuth,
    accounts: Mutex<HashMap<String, Arc<tokio::sync::OnceCell<BlobAccount>>>>,
    containers: Mutex<HashMap<String, Arc<tokio::sync::OnceCell<()>>>>,
}

impl StorageCache {
    async fn of(&self, client: &ArmClient, lab: &LabRef) -> Result<BlobAccount, ArmError> {
        let key = lab.id().to_ascii_lowercase();
        let cell = self.accounts.lock().await.entry(key).or_default().clone();
        cell.get_or_try_init(|| steps::lab_storage(client, lab, self.auth))
            .await
            .cloned()
    }

    /// Makes `container` in `lab`'s account unless this run made (or found) it already.
    async fn container(
        &self,
        client: &ArmClient,
        lab: &LabRef,
        container: &str,
    ) -> Result<(), ArmError> {
        let key = format!("{}/{container}", lab.id().to_ascii_lowercase());
        let cell = self.containers.lock().await.entry(key).or_default().clone();
        cell.get_or_try_init(|| async {
            let account = self.of(client, lab).await?;
            let url = account.container_to_create(container, SHORT_SAS)?;
            blob::create_container(&url).await
        })
        .await
        .map(|_| ())
    }
}

/// The lifetime of a SAS that serves a copy limited by `timeout`: the copy's own time, and a
/// few minutes for the clocks of the two services to differ, not hours more.
fn sas_lifetime(timeout: Duration) -> time::Duration {
    time::Duration::seconds(timeout.as_secs() as i64) + time::Duration::minutes(10)
}

/// Why an image stopped before it was done.
enum Stop {
    Failed(StepError),
    Cancelled,
}

/// One image's build.
struct ImageBuild {
    ctx: Arc<Context>,
    sink: Arc<dyn Sink>,
    job: ImageJob,
    factory: LabRef,
    location: String,
    run: RunId,
    copies: Arc<Semaphore>,
    storage: Arc<StorageCache>,
    /// The factory lab's subnet for build VMs, read once a run.
    subnet: Arc<tokio::sync::OnceCell<LabSubnet>>,
    /// Where the image stands (from the journal, when resuming).
    stage: std::sync::Mutex<Stage>,
    /// What the run made for this image and has not removed (from the journal, when resuming,
    /// and the events since).
    held: std::sync::Mutex<Vec<Resource>>,
    /// Target labs (ids) that already have their outcome, when resuming.
    settled: Vec<(String, TargetOutcome)>,
    /// The error the image failed with before this process took over (it died cleaning up):
    /// the image ends failed, whatever is left to clean.
    failed_before: Option<StepError>,
}

impl ImageBuild {
    /// The VHD's blob name, in the catalogue and in each lab's staging container alike.
    fn vhd(&self) -> String {
        self.job.vhd.clone()
    }

    /// How events name this image: its image name, unique within a run.
    fn image(&self) -> String {
        self.job.image_name.clone()
    }

    fn emit(&self, mut event: Event) {
        // Whatever failed, its words may echo a secret parameter's value: masked before the
        // journal, the screen or a log sees them.
        if let Event::Failed { error, .. } = &mut event {
            self.mask(error);
        }
        if let Event::Target {
            outcome: super::journal::TargetOutcome::Failed { error },
            ..
        } = &mut event
        {
            self.mask(error);
        }
        {
            let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            match &event {
                Event::Created { resource, .. } if !held.contains(resource) => {
                    held.push(resource.clone())
                }
                Event::Removed { resource, .. } => held.retain(|r| r != resource),
                _ => {}
            }
        }
        self.sink.emit(event);
    }

    /// The values of the job's secret parameters.
    fn secrets(&self) -> Vec<String> {
        self.job
            .artifacts
            .iter()
            .flat_map(|a| a.secret_values().cloned())
            .collect()
    }

    /// `error` with the values of the job's secret parameters masked.
    fn mask(&self, error: &mut StepError) {
        let secrets = self.secrets();
        if secrets.is_empty() {
            return;
        }
        error.message = crate::arm::redact::redact_with(&error.message, &secrets);
        for detail in &mut error.details {
            *detail = crate::arm::redact::redact_with(detail, &secrets);
        }
    }

    fn stage(&self) -> Stage {
        *self.stage.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn enter(&self, stage: Stage) {
        let changed = {
            let mut current = self.stage.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::replace(&mut *current, stage) != stage
        };
        if changed {
            self.emit(Event::Stage {
                image: self.image(),
                stage,
            });
        }
    }

    fn cancelled(&self) -> bool {
        *self.ctx.cancel.borrow()
    }

    /// Sleeps `d`, or less if the run is cancelled meanwhile.
    async fn pause(&self, d: Duration) -> Result<(), Stop> {
        let mut cancel = self.ctx.cancel.clone();
        tokio::select! {
            _ = tokio::time::sleep(d) => Ok(()),
            _ = cancel.wait_for(|c| *c) => Err(Stop::Cancelled),
        }
    }

    fn failed(&self, stage: Stage, error: &ArmError) -> Stop {
        Stop::Failed(step_error(stage, error))
    }

    /// Runs `work` under `limit`, named `setting` in messages.
    async fn timed<T>(
        &self,
        stage: Stage,
        limit: Duration,
        setting: &str,
        work: impl std::future::Future<Output = Result<T, Stop>>,
    ) -> Result<T, Stop> {
        match tokio::time::timeout(limit, work).await {
            Ok(result) => result,
            Err(_) => Err(Stop::Failed(StepError {
                stage,
                code: "Timeout".into(),
                message: format!(
                    "{} took longer than {} ([build] {setting}); what it made is cleaned up",
                    stage.label(),
                    crate::human::duration(limit)
                ),
                details: Vec::new(),
            })),
        }
    }

    /// A read that outlasts passing trouble (throttling, a service briefly unavailable): it is
    /// made again after a pause, until it answers or fails for real (or the stage times out).
    async fn read<T, F, Fut>(&self, stage: Stage, mut call: F) -> Result<T, Stop>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ArmError>>,
    {
        let pacer = Pacer::new(&self.ctx.client);
        loop {
            match call().await {
                Ok(value) => return Ok(value),
                Err(e) if passing(&e) => self.pause(pacer.next()).await?,
                Err(e) => return Err(self.failed(stage, &e)),
            }
        }
    }

    /// Follows an operation to its end, polling no faster than it asks.
    async fn follow(&self, stage: Stage, op: &PendingOperation) -> Result<Vec<u8>, Stop> {
        let client = &self.ctx.client;
        let mut wait = client.first_wait(op);
        let pacer = Pacer::new(client);
        loop {
            self.pause(wait).await?;
            match client.poll(op).await {
                Ok(Poll::Succeeded(body)) => return Ok(body),
                Ok(Poll::Running(hint)) => wait = hint.unwrap_or_else(|| pacer.next()),
                Err(e) if passing(&e) => wait = pacer.next(),
                Err(e) => return Err(self.failed(stage, &e)),
            }
        }
    }

    async fn run(self) -> Stage {
        if self.stage().is_final() {
            return self.stage();
        }
        if self.cancelled() {
            // A run cancelled before this image started has nothing to undo; one cancelled
            // while its process was gone (resumed only to clean up) may have.
            if self.stage() > Stage::Queued || !self.resources().is_empty() {
                self.clean_up(false, true).await;
            }
            self.enter(Stage::Cancelled);
            return Stage::Cancelled;
        }
        let outcome = match self.failed_before.clone() {
            Some(error) => Err(Stop::Failed(error)),
            None => self.build().await,
        };
        let recorded = self.failed_before.is_some();
        match outcome {
            Ok(()) => Stage::Done,
            Err(stop) => {
                let (stage, error) = match stop {
                    Stop::Cancelled => (Stage::Cancelled, None),
                    Stop::Failed(e) => (Stage::Failed, Some(e)),
                };
                if let Some(error) = error.as_ref().filter(|_| !recorded) {
                    self.emit(Event::Failed {
                        image: self.image(),
                        error: error.clone(),
                    });
                }
                // A VM is kept for a look inside only if it failed before its disk was captured:
                // after that it is generalized and of no use to anyone.
                let keep_vm = stage == Stage::Failed
                    && self.ctx.settings.keep_failed_vms
                    && error.as_ref().is_some_and(|e| e.stage < Stage::Capturing);
                self.clean_up(keep_vm, stage == Stage::Cancelled).await;
                self.enter(stage);
                stage
            }
        }
    }

    async fn build(&self) -> Result<(), Stop> {
        let settings = self.ctx.settings.clone();
        if self.stage() <= Stage::ApplyingArtifacts {
            self.timed(
                Stage::CreatingVm,
                settings.vm_timeout,
                "vm_timeout",
                self.make_vm(),
            )
            .await?;
        }
        let vm_id = steps::vm_id(&self.factory, &self.job);
        if self.stage() <= Stage::Generalizing {
            self.enter(Stage::Generalizing);
            self.timed(
                Stage::Generalizing,
                settings.generalize_timeout,
                "generalize_timeout",
                self.wait_deallocated(&vm_id),
            )
            .await?;
            self.enter(Stage::Deallocated);
        }
        if self.stage() <= Stage::Capturing {
            self.enter(Stage::Capturing);
            let result = self
                .timed(
                    Stage::Capturing,
                    settings.capture_timeout,
                    "capture_timeout",
                    self.capture(&vm_id),
                )
                .await;
            // The disk's read access ends whatever happened to the copy.
            self.revoke_access().await;
            result?;
        }
        // Once captured, the VM is of no more use: it goes while the image is distributed, so
        // that a slow lab holds no VM (nor a slot of the factory lab's VM limit).
        let delete_vm = self.timed(
            Stage::CleaningUp,
            settings.cleanup_timeout,
            "cleanup_timeout",
            self.delete_vm(),
        );
        let distributed = async {
            if self.stage() <= Stage::Distributing {
                self.enter(Stage::Distributing);
                self.distribute().await
            } else {
                Ok(())
            }
        };
        let (distributed, deleted) = tokio::join!(distributed, delete_vm);
        distributed?;
        self.enter(Stage::CleaningUp);
        if let Err(Stop::Failed(e)) = deleted {
            // Every lab has the image: a VM that would not go is the janitor's, not a failure.
            tracing::warn!(vm = self.job.vm_name, error = %e, "the build VM was not deleted; `imagefactory clean` removes it");
        }
        self.enter(Stage::Done);
        Ok(())
    }

    /// Creates the build VM (unless it is there) and follows it until its artifacts are applied.
    async fn make_vm(&self) -> Result<(), Stop> {
        let client = self.ctx.client.clone();
        let id = steps::vm_id(&self.factory, &self.job);
        let existing = self
            .read(Stage::CreatingVm, || steps::get_vm(&client, &id))
            .await?;
        let mut hint = None;
        let mut begun_operation = None;
        let held = self
            .resources()
            .iter()
            .any(|r| matches!(r, Resource::Vm { .. }));
        if existing.is_some() && !held {
            // Made by a process that died before it could say so: it is this run's to remove.
            self.emit(Event::Created {
                image: self.image(),
                resource: Resource::Vm { id: id.clone() },
            });
        }
        if existing.is_none() {
            self.enter(Stage::CreatingVm);
            let subnet = self.subnet().await?;
            let begun = steps::create_vm(
                &client,
                &self.factory,
                &subnet,
                &self.location,
                &self.job,
                self.run.as_str(),
            )
            .await
            .map_err(|e| self.failed(Stage::CreatingVm, &e))?;
            self.emit(Event::Created {
                image: self.image(),
                resource: Resource::Vm { id: id.clone() },
            });
            if let Begun::Pending(op) = begun {
                hint = Some(client.first_wait(&op));
                self.emit(Event::Begun {
                    image: self.image(),
                    step: Step::CreateVm,
                    operation: op.clone(),
                });
                begun_operation = Some(op);
            }
        }
        // The VM is followed by its artifacts (see `artifacts`), and its PUT's operation by its
        // own status, whose error (a quota, a size the region lacks, a policy) is ARM's words.
        let mut operation = begun_operation;
        let mut operation_error: Option<ArmError> = None;
        let pacer = Pacer::new(&client);
        let mut last = None;
        loop {
            if let Some(op) = &operation {
                match client.poll(op).await {
                    Ok(Poll::Succeeded(_)) => operation = None,
                    Ok(Poll::Running(_)) => {}
                    Err(e) if passing(&e) => {}
                    Err(e) => {
                        operation = None;
                        operation_error = Some(e);
                    }
                }
            }
            let vm = match steps::get_vm(&client, &id).await {
                Err(e) if passing(&e) => {
                    self.pause(pacer.next()).await?;
                    continue;
                }
                other => other,
            };
            let vm = vm.map_err(|e| self.failed(Stage::ApplyingArtifacts, &e))?;
            if vm.is_none() && operation.is_some() {
                // Not there yet, or being removed after a failure: its operation will say.
                self.pause(pacer.next()).await?;
                continue;
            }
            let Some(vm) = vm else {
                if let Some(e) = &operation_error {
                    return Err(self.failed(Stage::CreatingVm, e));
                }
                return Err(Stop::Failed(StepError {
                    stage: Stage::CreatingVm,
                    code: "VmGone".into(),
                    message: format!(
                        "the build VM {} disappeared while it was being created",
                        self.job.vm_name
                    ),
                    details: Vec::new(),
                }));
            };
            let status = vm
                .properties
                .artifact_deployment_status
                .clone()
                .unwrap_or_default();
            let applied = status.artifacts_applied.unwrap_or(0).max(0) as u32;
            let total = status
                .total_artifacts
                .unwrap_or(self.job.artifacts.len() as i32)
                .max(0) as u32;
            let current = artifacts::installing(&vm);
            if current.is_some() || applied > 0 {
                self.enter(Stage::ApplyingArtifacts);
            }
            if last != Some((applied, total, current.clone())) {
                self.emit(Event::Artifacts {
                    image: self.image(),
                    applied,
                    total,
                    current: current.clone(),
                });
                last = Some((applied, total, current));
            }
            match artifacts::outcome(&vm) {
                VmOutcome::Applied => return Ok(()),
                VmOutcome::ArtifactFailed => {
                    let mut details = artifacts::failures(&vm, &self.secrets());
                    details.extend(artifacts::statuses(&vm));
                    return Err(Stop::Failed(StepError {
                        stage: Stage::ApplyingArtifacts,
                        code: "ArtifactFailed".into(),
                        message: format!(
                            "an artifact failed on the build VM {} ({applied} of {total} applied); the artifacts after it, the generalize among them, did not run",
                            self.job.vm_name
                        ),
                        details,
                    }));
                }
                // The operation ends with the VM's reason: wait for it.
                VmOutcome::VmFailed if operation.is_some() => {}
                VmOutcome::VmFailed => {
                    return Err(match &operation_error {
                        Some(e) => self.failed(Stage::CreatingVm, e),
                        None => Stop::Failed(StepError {
                            stage: Stage::CreatingVm,
                            code: "VmProvisioningFailed".into(),
                            message: format!(
                                "the build VM {} failed to provision (DevTest Labs gave no reason)",
                                self.job.vm_name
                            ),
                            details: Vec::new(),
                        }),
                    });
                }
                VmOutcome::Going => {
                    if let Some(e) = &operation_error {
                        // The operation failed and the VM says nothing more: its error is the
                        // reason.
                        return Err(self.failed(Stage::CreatingVm, e));
                    }
                }
            }
            let wait = hint.take().unwrap_or_else(|| pacer.next());
            self.pause(wait).await?;
        }
    }

    /// The factory lab's subnet for build VMs (see `network`).
    async fn subnet(&self) -> Result<LabSubnet, Stop> {
        let read = self
            .subnet
            .get_or_try_init(|| async {
                let chosen = self
                    .read(Stage::CreatingVm, || {
                        network::read(&self.ctx.client, &self.factory)
                    })
                    .await?;
                chosen.map_err(|problem| {
                    Stop::Failed(StepError {
                        stage: Stage::CreatingVm,
                        code: "NoSubnet".into(),
                        message: problem.sentence(),
                        details: Vec::new(),
                    })
                })
            })
            .await;
        read.cloned()
    }

    async fn wait_deallocated(&self, vm_id: &str) -> Result<(), Stop> {
        let client = &self.ctx.client;
        let compute = self.compute_id(vm_id).await?;
        let pacer = Pacer::new(client);
        let mut stopping = false;
        loop {
            let power = match steps::power_state(client, &compute).await {
                Err(e) if passing(&e) => None,
                other => other.map_err(|e| self.failed(Stage::Generalizing, &e))?,
            };
            if power.as_deref() == Some("deallocated") {
                return Ok(());
            }
            if power.as_deref() == Some("stopped") && !stopping {
                // Shut down by the generalize, still allocated: deallocate it, or its disk
                // cannot be read.
                stopping = true;
                match steps::stop_vm(client, vm_id).await {
                    Ok(Begun::Pending(op)) => {
                        self.emit(Event::Begun {
                            image: self.image(),
                            step: Step::StopVm,
                            operation: op.clone(),
                        });
                        // Its operation says when it is done, better than guessing at the VM.
                        self.follow(Stage::Generalizing, &op).await?;
                        continue;
                    }
                    Ok(Begun::Done(_)) => {}
                    // DevTest Labs is deallocating it already (after a generalize it does so
                    // by itself): the power state says when it is done.
                    Err(e) if e.status() == Some(409) => stopping = false,
                    Err(e) if passing(&e) => stopping = false,
                    Err(e) => return Err(self.failed(Stage::Generalizing, &e)),
                }
            }
            self.pause(pacer.next()).await?;
        }
    }

    async fn compute_id(&self, vm_id: &str) -> Result<String, Stop> {
        let vm = self
            .read(Stage::Generalizing, || {
                steps::get_vm(&self.ctx.client, vm_id)
            })
            .await?;
        vm.and_then(|v| v.properties.compute_id).ok_or_else(|| {
            Stop::Failed(StepError {
                stage: Stage::Generalizing,
                code: "VmGone".into(),
                message: format!(
                    "the build VM {} or its compute VM is not there",
                    self.job.vm_name
                ),
                details: Vec::new(),
            })
        })
    }

    /// Copies the VM's OS disk into the catalogue (unless a copy is there or under way).
    async fn capture(&self, vm_id: &str) -> Result<(), Stop> {
        let client = self.ctx.client.clone();
        let settings = &self.ctx.settings;
        let fail = |e: ArmError| Stop::Failed(step_error(Stage::Capturing, &e));
        let account = self
            .storage
            .of(&client, &self.factory)
            .await
            .map_err(fail)?;
        let blob_name = self.vhd();
        let ttl = sas_lifetime(settings.capture_timeout);
        self.read(Stage::Capturing, || {
            self.storage
                .container(&client, &self.factory, CATALOGUE_CONTAINER)
        })
        .await?;
        // The target labs' storage is looked up while the capture runs, so that distribution
        // starts the moment it ends.
        for target in &self.job.targets {
            let (storage, client, lab) = (self.storage.clone(), client.clone(), target.lab.clone());
            tokio::spawn(async move {
                let _ = storage.container(&client, &lab, STAGING_CONTAINER).await;
            });
        }
        let target = account
            .blob(CATALOGUE_CONTAINER, &blob_name, Access::Copy, ttl)
            .map_err(fail)?;
        let existing = self
            .read(Stage::Capturing, || blob::copy_state(&target))
            .await?;
        let copying = match existing.as_ref().and_then(|(c, _)| c.clone()) {
            Some(c) if c.status == CopyStatus::Success => false,
            Some(c) if c.status == CopyStatus::Pending => true,
            _ => {
                let compute = self.compute_id(vm_id).await?;
                let disk = self
                    .read(Stage::Capturing, || steps::os_disk(&client, &compute))
                    .await?;
                // Recorded before it is asked for: access that was granted while no one noted it
                // would never be ended (ending access nobody granted is harmless).
                self.emit(Event::Created {
                    image: self.image(),
                    resource: Resource::DiskAccess { id: disk.clone() },
                });
                let begun = steps::grant_access(
                    &client,
                    &disk,
                    settings.capture_timeout.as_secs().max(3600),
                )
                .await
                .map_err(fail)?;
                let body = match begun {
                    Begun::Done(body) => body,
                    Begun::Pending(op) => {
                        self.emit(Event::Begun {
                            image: self.image(),
                            step: Step::GrantDiskAccess,
                            operation: op.clone(),
                        });
                        // Not cut short by a cancel: a grant still on its way would land after
                        // the clean-up ended access, and keep the disk (and the VM) from being
                        // deleted. It takes seconds.
                        client.wait(&op).await.map_err(fail)?
                    }
                };
                let source = steps::access_sas(&disk, &body).map_err(fail)?;
                let metadata = steps::catalogue_metadata(&self.job, self.run.as_str(), &now());
                blob::start_copy(&target, &source, &metadata)
                    .await
                    .map_err(fail)?;
                self.emit(Event::Created {
                    image: self.image(),
                    resource: Resource::CatalogueBlob {
                        url: target.public(),
                    },
                });
                true
            }
        };
        if copying {
            self.follow_copy(Stage::Capturing, &target, None).await?;
        }
        Ok(())
    }

    /// Polls a copy into `target` until it succeeds, emitting its percent.
    async fn follow_copy(
        &self,
        stage: Stage,
        target: &crate::arm::storage::SasUrl,
        lab: Option<&str>,
    ) -> Result<(), Stop> {
        let pacer = Pacer::new(&self.ctx.client);
        let mut last = None;
        // The first progress seen, to tell the copy's pace and look again when it should end.
        let mut first: Option<(Instant, u64)> = None;
        loop {
            let state = match blob::copy_state(target).await {
                Err(e) if passing(&e) => {
                    self.pause(pacer.next()).await?;
                    continue;
                }
                other => other
                    .map_err(|e| self.failed(stage, &e))?
                    .and_then(|(c, _)| c),
            };
            let Some(state) = state else {
                return Err(Stop::Failed(StepError {
                    stage,
                    code: "BlobGone".into(),
                    message: format!("the copy into {} is not there any more", target.public()),
                    details: Vec::new(),
                }));
            };
            let percent = state.percent();
            if last != Some(percent) {
                self.emit(Event::Copy {
                    image: self.image(),
                    lab: lab.map(str::to_string),
                    percent,
                });
                last = Some(percent);
            }
            match state.status {
                CopyStatus::Success => return Ok(()),
                CopyStatus::Pending => {
                    let now = Instant::now();
                    let (since, copied) = *first.get_or_insert((now, state.copied));
                    // Look again when the copy's own pace says it ends (so a copy costs a few
                    // looks and ends on time), but at least every 10 s while it runs, for its
                    // progress; until it has moved, as the pacer says.
                    let wait = match copy_eta(since, copied, now, &state) {
                        Some(eta) => eta.clamp(self.ctx.client.backoff(0), Duration::from_secs(10)),
                        None => pacer.next(),
                    };
                    self.pause(wait).await?
                }
                CopyStatus::Failed | CopyStatus::Aborted => {
                    return Err(Stop::Failed(StepError {
                        stage,
                        code: format!("Copy{:?}", state.status),
                        message: crate::arm::redact::redact(
                            state
                                .description
                                .as_deref()
                                .unwrap_or("the copy did not finish"),
                        ),
                        details: Vec::new(),
                    }));
                }
            }
        }
    }

    /// Ends the disk's read access, if this run granted it (always, even after a failure).
    async fn revoke_access(&self) {
        let granted: Vec<String> = self.granted_disks();
        for disk in granted {
            let begun = steps::revoke_access(&self.ctx.client, &disk).await;
            let done = match begun {
                Ok(Begun::Done(_)) => Ok(()),
                Ok(Begun::Pending(op)) => {
                    self.emit(Event::Begun {
                        image: self.image(),
                        step: Step::RevokeDiskAccess,
                        operation: op.clone(),
                    });
                    self.ctx.client.wait(&op).await.map(|_| ())
                }
                Err(e) => Err(e),
            };
            match done {
                Ok(()) => self.emit(Event::Removed {
                    image: self.image(),
                    resource: Resource::DiskAccess { id: disk },
                }),
                Err(e) => {
                    tracing::warn!(disk, error = %e, "cannot end the disk's read access; `imagefactory clean` retries")
                }
            }
        }
    }

    fn granted_disks(&self) -> Vec<String> {
        self.resources()
            .into_iter()
            .filter_map(|r| match r {
                Resource::DiskAccess { id } => Some(id),
                _ => None,
            })
            .collect()
    }

    async fn distribute(&self) -> Result<(), Stop> {
        let pending: Vec<Target> = self
            .job
            .targets
            .iter()
            .filter(|t| !self.settled.iter().any(|(lab, _)| t.lab.is(lab)))
            .cloned()
            .collect();
        // Each lab's outcome is recorded the moment it settles, so that a cancel or a stalled
        // lab does not hide the labs that already have the image.
        let results = futures::future::join_all(pending.iter().map(|t| async move {
            let result = self.distribute_to(t).await;
            let outcome = match &result {
                Ok(outcome) => Some(outcome.clone()),
                Err(Stop::Failed(error)) => Some(TargetOutcome::Failed {
                    error: error.clone(),
                }),
                Err(Stop::Cancelled) => None,
            };
            if let Some(outcome) = outcome {
                self.emit(Event::Target {
                    image: self.image(),
                    lab: t.lab.id(),
                    outcome,
                });
            }
            (t, result)
        }))
        .await;
        // A lab that failed before this process took over still counts.
        let mut failed: Vec<(String, StepError)> = self
            .settled
            .iter()
            .filter_map(|(lab, o)| match o {
                TargetOutcome::Failed { error } => Some((lab.clone(), error.clone())),
                _ => None,
            })
            .collect();
        for (target, result) in results {
            match result {
                Ok(_) => {}
                Err(Stop::Cancelled) => return Err(Stop::Cancelled),
                Err(Stop::Failed(error)) => failed.push((target.lab.id(), error)),
            }
        }
        let Some((_, first)) = failed.first() else {
            return Ok(());
        };
        let labs: Vec<&str> = failed
            .iter()
            .map(|(lab, _)| lab.rsplit('/').next().unwrap_or(lab))
            .collect();
        let mut error = first.clone();
        error.message = format!(
            "{} did not get the image ({}); the others did. `imagefactory distribute --lab {}` tries again from the catalogue",
            labs.join(", "),
            error.message,
            labs[0]
        );
        Err(Stop::Failed(error))
    }

    /// One target lab: its copy of the VHD, then its custom image, then the staging blob gone.
    async fn distribute_to(&self, target: &Target) -> Result<TargetOutcome, Stop> {
        let client = &self.ctx.client;
        let settings = &self.ctx.settings;
        let stage = Stage::Distributing;
        let fail = |e: ArmError| Stop::Failed(step_error(stage, &e));
        let lab = &target.lab;
        if let Some(image) = self
            .read(stage, || {
                steps::find_image(client, lab, &self.job.image_name)
            })
            .await?
        {
            let ours = crate::factory::tags::get(image.tags.as_ref(), crate::factory::tags::RUN)
                == Some(self.run.as_str());
            if !ours {
                return Ok(TargetOutcome::Skipped {
                    why: format!("an image named {} is there already", self.job.image_name),
                });
            }
            // Ours, from before this process took over: wait for it rather than make it again.
            let image_id = image.id.clone();
            let settled = self
                .timed(stage, settings.image_timeout, "image_timeout", async {
                    let pacer = Pacer::new(client);
                    let mut image = image;
                    loop {
                        let state = image
                            .properties
                            .provisioning_state
                            .clone()
                            .unwrap_or_default();
                        if state.eq_ignore_ascii_case("succeeded") {
                            return Ok(true);
                        }
                        if state.eq_ignore_ascii_case("failed") {
                            return Ok(false);
                        }
                        self.pause(pacer.next()).await?;
                        match self
                            .read(stage, || {
                                steps::find_image(client, lab, &self.job.image_name)
                            })
                            .await?
                        {
                            Some(found) => image = found,
                            None => return Ok(false),
                        }
                    }
                })
                .await?;
            if settled {
                self.remove_staging(lab).await;
                return Ok(TargetOutcome::Done { image_id });
            }
            return Err(Stop::Failed(StepError {
                stage,
                code: "ImageFailed".into(),
                message: format!(
                    "the custom image {} in {} failed or vanished while it was being created",
                    self.job.image_name, lab.name
                ),
                details: Vec::new(),
            }));
        }
        let factory = self
            .read(stage, || self.storage.of(client, &self.factory))
            .await?;
        let account = self.read(stage, || self.storage.of(client, lab)).await?;
        let blob_name = self.vhd();
        let ttl = sas_lifetime(settings.copy_timeout);
        // The copy's timeout starts when it may start: waiting for a turn is not its time, and
        // its SAS is signed then, so that a long wait in the queue does not outlive it.
        let _permit = self.copies.acquire().await;
        let staging = account
            .blob(STAGING_CONTAINER, &blob_name, Access::Copy, ttl)
            .map_err(fail)?;
        let copied = self.timed(stage, settings.copy_timeout, "copy_timeout", async {
            let existing = self
                .read(stage, || blob::copy_state(&staging))
                .await?
                .and_then(|(c, _)| c);
            match existing.map(|c| c.status) {
                Some(CopyStatus::Success) => return Ok(()),
                Some(CopyStatus::Pending) => {}
                _ => {
                    self.read(stage, || {
                        self.storage.container(client, lab, STAGING_CONTAINER)
                    })
                    .await?;
                    let source = factory
                        .copy_source(CATALOGUE_CONTAINER, &blob_name, ttl)
                        .await
                        .map_err(fail)?;
                    // Its own run's id: without metadata of its own the copy would take the
                    // catalogue's, and the janitor would take it for the capturing run's.
                    let metadata = std::collections::BTreeMap::from([
                        ("runid".to_string(), self.run.to_string()),
                        ("imagename".to_string(), self.job.image_name.clone()),
                    ]);
                    blob::start_copy(&staging, &source, &metadata)
                        .await
                        .map_err(fail)?;
                    self.emit(Event::Created {
                        image: self.image(),
                        resource: Resource::StagingBlob {
                            lab: lab.id(),
                            url: staging.public(),
                        },
                    });
                }
            }
            self.follow_copy(stage, &staging, Some(&lab.id())).await
        });
        if let Err(stop) = copied.await {
            self.remove_staging(lab).await;
            return Err(stop);
        }
        let made = self.timed(stage, settings.image_timeout, "image_timeout", async {
            let begun = steps::create_image(
                client,
                lab,
                &self.job,
                self.run.as_str(),
                &self.ctx.author,
                &staging.public(),
            )
            .await
            .map_err(fail)?;
            if let Begun::Pending(op) = begun {
                self.emit(Event::Begun {
                    image: self.image(),
                    step: Step::CreateImage { lab: lab.id() },
                    operation: op.clone(),
                });
                self.follow(stage, &op).await?;
            }
            Ok(())
        });
        let made = made.await;
        self.remove_staging(lab).await;
        made?;
        let id = format!(
            "{}/customimages/{}",
            lab.id().to_ascii_lowercase(),
            self.job.image_name.to_ascii_lowercase()
        );
        self.emit(Event::Created {
            image: self.image(),
            resource: Resource::Image {
                lab: lab.id(),
                id: id.clone(),
            },
        });
        Ok(TargetOutcome::Done { image_id: id })
    }

    /// Deletes the staging blob in `lab` (nothing if it is not there).
    async fn remove_staging(&self, lab: &LabRef) {
        let Ok(account) = self.storage.of(&self.ctx.client, lab).await else {
            return;
        };
        let blob_name = self.vhd();
        let Ok(staging) = account.blob(STAGING_CONTAINER, &blob_name, Access::Delete, SHORT_SAS)
        else {
            return;
        };
        match blob::delete(&staging).await {
            Ok(true) => self.emit(Event::Removed {
                image: self.image(),
                resource: Resource::StagingBlob {
                    lab: lab.id(),
                    url: staging.public(),
                },
            }),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(blob = staging.public(), error = %e, "cannot delete a staging blob; `imagefactory clean` retries")
            }
        }
    }

    /// Deletes the build VM and waits until it is gone (nothing for a run that only
    /// distributes).
    async fn delete_vm(&self) -> Result<(), Stop> {
        if self.job.vm_name.is_empty() {
            return Ok(());
        }
        let client = &self.ctx.client;
        let id = steps::vm_id(&self.factory, &self.job);
        let begun = steps::delete_vm(client, &id)
            .await
            .map_err(|e| self.failed(Stage::CleaningUp, &e))?;
        if let Begun::Pending(op) = begun {
            self.emit(Event::Begun {
                image: self.image(),
                step: Step::DeleteVm,
                operation: op.clone(),
            });
            client
                .wait(&op)
                .await
                .map_err(|e| self.failed(Stage::CleaningUp, &e))?;
        }
        self.emit(Event::Removed {
            image: self.image(),
            resource: Resource::Vm { id },
        });
        Ok(())
    }

    /// After a failure or a cancel: the disk access ended, staging blobs and (when cancelled)
    /// an unfinished catalogue copy removed, the VM deleted unless it is to be kept.
    async fn clean_up(&self, keep_vm: bool, cancelled: bool) {
        self.enter(Stage::CleaningUp);
        self.revoke_access().await;
        for target in self.job.targets.clone() {
            self.remove_staging(&target.lab).await;
        }
        if cancelled {
            self.remove_catalogue_of_cancelled().await;
        }
        if !keep_vm {
            let limit = self.ctx.settings.cleanup_timeout;
            let deleted = tokio::time::timeout(limit, self.delete_vm()).await;
            if !matches!(deleted, Ok(Ok(()))) {
                tracing::warn!(
                    vm = self.job.vm_name,
                    "cannot delete the build VM; `imagefactory clean` finds it by its run tag"
                );
            }
        }
    }

    async fn remove_catalogue_of_cancelled(&self) {
        let Ok(account) = self.storage.of(&self.ctx.client, &self.factory).await else {
            return;
        };
        let name = self.vhd();
        let Ok(url) = account.blob(CATALOGUE_CONTAINER, &name, Access::Delete, SHORT_SAS) else {
            return;
        };
        // A cancel removes what the run made, its capture too (finished or not): left, the
        // catalogue would offer `distribute` an image nobody asked to keep. A catalogue VHD of
        // an earlier run (a distribution's source) is not this run's: it is never taken.
        let made_here = self
            .resources()
            .iter()
            .any(|r| matches!(r, Resource::CatalogueBlob { .. }));
        let unfinished = matches!(
            blob::copy_state(&url).await,
            Ok(Some((Some(copy), _))) if copy.status != CopyStatus::Success
        );
        if (made_here || unfinished) && blob::delete(&url).await.unwrap_or(false) {
            self.emit(Event::Removed {
                image: self.image(),
                resource: Resource::CatalogueBlob { url: url.public() },
            });
        }
    }

    /// What this image's run made and still holds.
    fn resources(&self) -> Vec<Resource> {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// How often to look at something that gives no `Retry-After`: a fraction of the time waited
/// so far (so a wait overshoots its end by at most that fraction), between the client's floor
/// and 10 s.
struct Pacer {
    started: Instant,
    floor: Duration,
}

impl Pacer {
    fn new(client: &ArmClient) -> Pacer {
        Pacer {
            started: Instant::now(),
            floor: client.backoff(0),
        }
    }

    fn next(&self) -> Duration {
        (self.started.elapsed() / 10).clamp(self.floor, Duration::from_secs(10))
    }
}

/// When a copy should end, from its pace since it was first seen (`None` before it moved).
fn copy_eta(
    since: Instant,
    copied_then: u64,
    now: Instant,
    state: &crate::arm::storage::CopyState,
) -> Option<Duration> {
    let moved = state.copied.checked_sub(copied_then).filter(|m| *m > 0)?;
    let per_byte = now.duration_since(since).as_secs_f64() / moved as f64;
    let left = state.total.saturating_sub(state.copied) as f64 * per_byte;
    Some(Duration::from_secs_f64(left.min(3600.0)))
}

/// Whether a failed look at something under way is only a passing trouble (throttling that
/// outlasted the client's retries, a service briefly unavailable, a lost connection): the
/// look is made again later, within the stage's timeout, instead of failing the image.
///
/// A refused connection is not: Azure's endpoints do not refuse connections, so the endpoint
/// itself is gone (an emulator that ended, a proxy stopped), and waiting out the stage's
/// timeout would hold the run (and its VM) for hours. The client has already retried it.
fn passing(error: &ArmError) -> bool {
    match error {
        ArmError::Transport { reason, .. } => !reason.contains("Connection refused"),
        other => matches!(other.status(), Some(429 | 500 | 502 | 503 | 504)),
    }
}

fn step_error(stage: Stage, error: &ArmError) -> StepError {
    let (code, message) = match error {
        ArmError::Api { code, message, .. } | ArmError::OperationFailed { code, message, .. } => {
            (code.clone(), message.clone())
        }
        ArmError::Storage { code, message, .. } if !code.is_empty() => {
            (code.clone(), message.clone())
        }
        other => ("Error".to_string(), other.to_string()),
    };
    StepError {
        stage,
        code,
        message: crate::arm::redact::redact(&message),
        details: Vec::new(),
    }
}
