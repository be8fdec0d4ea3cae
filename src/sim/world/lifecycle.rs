//! How a lab VM that DevTest Labs is creating moves through its life, as a function of time:
//! created, artifacts applied one by one (Pending, Installing, Succeeded or Failed), the
//! generalize artifact shutting it down, DevTest Labs deallocating it. Computed when read, so
//! that no background task has to keep the world up to date.

use std::time::{Duration, Instant};

use super::SimLab;
use crate::arm::wire::{ArtifactDeploymentStatusProperties, CloudErrorBody, LabVirtualMachine};

/// A lab VM under construction: when each stage ends, from `started`.
#[derive(Debug, Clone)]
pub struct VmBuild {
    /// The VM's name, lower-cased.
    pub vm: String,
    pub started: Instant,
    /// Until the VM exists (its compute VM and OS disk).
    pub create: Duration,
    /// How long each artifact takes, in order.
    pub artifacts: Vec<Duration>,
    /// From the generalize artifact's end (the VM shut down) to deallocated.
    pub deallocate: Duration,
    /// The artifact that fails, with the messages it fails with.
    pub failing: Option<(usize, ArtifactFailure)>,
    /// When a stop asked of DevTest Labs deallocates it (sooner than on its own).
    pub stopped_at: Option<Instant>,
    /// How the VM reports a failed artifact.
    pub reports: FailedVmShape,
    /// When the PUT's operation ends.
    pub operation: VmOperationEnd,
    /// The error the VM's creation fails with (a quota, a size the region lacks), if it does.
    pub create_error: Option<CloudErrorBody>,
}

/// How DevTest Labs reports a lab VM one of whose artifacts failed. Microsoft's own clients
/// expect both, so the emulator can serve each and our client must handle each:
/// - the original factory (`Azure/azure-devtestlab`, `Scripts/ImageFactory/Scripts/MakeVM.ps1`)
///   re-reads every VM whose deployment *succeeded* with `$expand=...Artifacts`, and deletes it
///   unless `artifactDeploymentStatus.deploymentStatus` is `Succeeded`, logging each artifact
///   that is `Failed`, `Pending` or `Skipped`: the VM itself says `Succeeded`;
/// - the DevTest Labs pipeline task (`tasks/Node/src/tasks/AzureDtlCreateVM/task.ts`) fails on
///   any `Failed` artifact and on fewer `Succeeded` than asked for, whatever the deployment said.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FailedVmShape {
    /// `provisioningState: Succeeded`, the failed artifact `Failed`, those after it (the
    /// generalize artifact among them) `Skipped`; the VM keeps running, never generalized.
    #[default]
    Succeeded,
    /// `provisioningState: Failed`, those after it `Pending`; the PUT's operation fails.
    Failed,
}

/// When a lab VM PUT's long-running operation ends. The DevTest Labs pipeline task
/// (`Azure/azure-devtestlab`, `tasks/Node/src/tasks/AzureDtlCreateVM/task.ts`) polls the VM with
/// `$expand=properties($expand=artifacts)` after its deployment has ended, while any artifact is
/// `Installing` or `Pending`: they may still be running then.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum VmOperationEnd {
    /// When its artifacts are applied (or one failed).
    #[default]
    Applied,
    /// As soon as the VM exists: its artifacts go on `Installing` under a `Succeeded` VM.
    Created,
}

/// What a failing artifact reports.
#[derive(Debug, Clone)]
pub struct ArtifactFailure {
    pub deployment_status_message: String,
    pub vm_extension_status_message: String,
}

/// Where a build stands at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildPhase {
    Creating,
    /// Compute would not make the VM (`create_error`): no compute VM, no artifact ran.
    CreateFailed,
    /// Applying the artifact at this index.
    Applying(usize),
    /// The artifact at this index failed (those after it were never applied).
    Failed(usize),
    /// All artifacts succeeded and the VM shut down; deallocated once `deallocated` is true.
    Generalized {
        deallocated: bool,
    },
}

impl VmBuild {
    /// The phase at `now`.
    pub fn phase(&self, now: Instant) -> BuildPhase {
        let mut elapsed = now.saturating_duration_since(self.started);
        if elapsed < self.create {
            return BuildPhase::Creating;
        }
        if self.create_error.is_some() {
            return BuildPhase::CreateFailed;
        }
        elapsed -= self.create;
        for (i, d) in self.artifacts.iter().enumerate() {
            if elapsed < *d {
                return BuildPhase::Applying(i);
            }
            if self.failing.as_ref().is_some_and(|(f, _)| *f == i) {
                return BuildPhase::Failed(i);
            }
            elapsed -= *d;
        }
        BuildPhase::Generalized {
            deallocated: elapsed >= self.deallocate || self.stopped_at.is_some_and(|at| now >= at),
        }
    }

    /// How long until the PUT's operation ends, successfully or not, from `started`.
    pub fn operation_time(&self) -> Duration {
        if self.operation == VmOperationEnd::Created || self.create_error.is_some() {
            return self.create;
        }
        let until_failure: Duration = match &self.failing {
            Some((f, _)) => self.artifacts.iter().take(f + 1).sum(),
            None => self.artifacts.iter().sum(),
        };
        self.create + until_failure
    }

    /// The error the PUT's operation fails with at `now`, if it does: the creation's own, or
    /// a failed artifact's when the VM reports it as a failure.
    pub fn operation_error(&self, now: Instant) -> Option<CloudErrorBody> {
        match self.phase(now) {
            BuildPhase::CreateFailed => self.create_error.clone(),
            BuildPhase::Failed(i) if self.reports == FailedVmShape::Failed => {
                Some(CloudErrorBody {
                    code: "ArtifactDeploymentFailed".into(),
                    message: format!(
                        "Artifact deployment failed on virtual machine '{}': artifact {} of {} failed. See the virtual machine's artifacts for their messages.",
                        self.vm,
                        i + 1,
                        self.artifacts.len()
                    ),
                    ..CloudErrorBody::default()
                })
            }
            _ => None,
        }
    }

    /// The compute VM's power state at `now`: `None` while it does not exist yet.
    pub fn power_state(&self, now: Instant) -> Option<&'static str> {
        match self.phase(now) {
            BuildPhase::Creating | BuildPhase::CreateFailed => None,
            BuildPhase::Applying(_) | BuildPhase::Failed(_) => Some("running"),
            BuildPhase::Generalized { deallocated: false } => Some("stopped"),
            BuildPhase::Generalized { deallocated: true } => Some("deallocated"),
        }
    }

    /// Writes the phase at `now` onto the VM as DevTest Labs shows it.
    pub fn show(&self, vm: &mut LabVirtualMachine, now: Instant) {
        let phase = self.phase(now);
        let p = &mut vm.properties;
        if p.provisioning_state.as_deref() == Some("Deleting") {
            return;
        }
        let total = p.artifacts.as_ref().map_or(0, Vec::len);
        let created = if self.operation == VmOperationEnd::Created {
            "Succeeded"
        } else {
            "Creating"
        };
        let (state, deployment, applied) = match phase {
            BuildPhase::Creating => ("Creating", "NotStarted", 0),
            BuildPhase::CreateFailed => ("Failed", "NotStarted", 0),
            BuildPhase::Applying(i) => (created, "Running", i),
            BuildPhase::Failed(i) if self.reports == FailedVmShape::Succeeded => {
                ("Succeeded", "Failed", i)
            }
            BuildPhase::Failed(i) => ("Failed", "Failed", i),
            BuildPhase::Generalized { .. } => ("Succeeded", "Succeeded", total),
        };
        p.provisioning_state = Some(state.into());
        p.artifact_deployment_status = Some(ArtifactDeploymentStatusProperties {
            deployment_status: Some(deployment.into()),
            artifacts_applied: Some(applied as i32),
            total_artifacts: Some(total as i32),
        });
        for (i, artifact) in p.artifacts.iter_mut().flatten().enumerate() {
            let status = match phase {
                BuildPhase::Creating | BuildPhase::CreateFailed => "Pending",
                BuildPhase::Applying(at) if i < at => "Succeeded",
                BuildPhase::Applying(at) if i == at => "Installing",
                BuildPhase::Failed(at) if i < at => "Succeeded",
                BuildPhase::Failed(at) if i == at => "Failed",
                BuildPhase::Failed(_) if self.reports == FailedVmShape::Succeeded => "Skipped",
                BuildPhase::Generalized { .. } => "Succeeded",
                _ => "Pending",
            };
            artifact.status = Some(status.into());
            if status == "Failed"
                && let Some((_, failure)) = &self.failing
            {
                artifact.deployment_status_message =
                    Some(failure.deployment_status_message.clone());
                artifact.vm_extension_status_message =
                    Some(failure.vm_extension_status_message.clone());
            }
        }
    }
}

impl SimLab {
    /// The build of VM `name`, if the emulator is building it.
    pub fn build_of(&self, name: &str) -> Option<&VmBuild> {
        self.builds.iter().find(|b| b.vm.eq_ignore_ascii_case(name))
    }

    /// The VM as DevTest Labs shows it now.
    pub fn vm_now(&self, vm: &LabVirtualMachine, now: Instant) -> LabVirtualMachine {
        let mut vm = vm.clone();
        if let Some(build) = self.build_of(&vm.name) {
            build.show(&mut vm, now);
        }
        vm
    }
}

/// What Compute answers when it cannot make a VM, as Azure words it: `quota` (the family's
/// cores are used up) or `sku` (the size is not offered in the region).
pub fn create_failure(kind: &str, vm: &str, size: &str, location: &str) -> Option<CloudErrorBody> {
    let (code, message) = match kind {
        "quota" => (
            "OperationNotAllowed",
            format!(
                "Operation could not be completed as it results in exceeding approved standardDSv5Family Cores quota. Additional details - Deployment Model: Resource Manager, Location: {location}, Current Limit: 10, Current Usage: 8, Additional Required: 4, (Minimum) New Limit Required: 12."
            ),
        ),
        "sku" => (
            "SkuNotAvailable",
            format!(
                "The requested size for resource '{vm}' is currently not available in location '{location}' zones '' for subscription. Please try another size ({size}) or deploy to a different location or zones."
            ),
        ),
        _ => return None,
    };
    let cause = CloudErrorBody {
        code: code.into(),
        message,
        ..CloudErrorBody::default()
    };
    // DevTest Labs makes the VM through a deployment of its own, whose failure may wrap the
    // cause: the quota's is served wrapped, the size's bare, so that the client reads both.
    if kind == "quota" {
        return Some(CloudErrorBody {
            code: "DeploymentFailed".into(),
            message: "At least one resource deployment operation failed. Please list deployment operations for details.".into(),
            details: vec![cause],
            ..CloudErrorBody::default()
        });
    }
    Some(cause)
}

/// The messages a realistic failing artifact leaves (a package manager that could not install
/// what it was asked for). Its script logs how it was invoked, `arguments` (the public
/// artifacts' PowerShell scripts start with their parameters' values), secret ones included.
pub fn artifact_failure(artifact: &str, arguments: &str) -> ArtifactFailure {
    // Inside a JSON string below: escaped as JSON.
    let quoted = serde_json::to_string(arguments).unwrap_or_default();
    let arguments = quoted.trim_matches('"');
    ArtifactFailure {
        deployment_status_message: format!(
            "The artifact '{artifact}' failed to apply: the script exited with code 1. \
             See vmExtensionStatusMessage for the script's output."
        ),
        vm_extension_status_message: format!(
            "[{{\"code\":\"ComponentStatus/StdOut/succeeded\",\"message\":\"Invoked with {arguments}\\nInstalling packages: git, nodejs-lts, azure-cli\\nChocolatey installed 2/3 packages.\"}},\
             {{\"code\":\"ComponentStatus/StdErr/succeeded\",\"message\":\"{artifact}: azure-cli not installed. The remote server returned an error: (503) Server Unavailable.\\nThe install of azure-cli was NOT successful.\"}}]"
        ),
    }
}
