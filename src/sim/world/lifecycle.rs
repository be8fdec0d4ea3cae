//! How a lab VM that DevTest Labs is creating moves through its life, as a function of time:
//! created, artifacts applied one by one (Pending, Installing, Succeeded or Failed), the
//! generalize artifact shutting it down, DevTest Labs deallocating it. Computed when read, so
//! that no background task has to keep the world up to date.

use std::time::{Duration, Instant};

use super::SimLab;
use crate::arm::wire::{ArtifactDeploymentStatusProperties, LabVirtualMachine};

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

    /// How long until the VM's creation ends, successfully or not, from `started`.
    pub fn creation_time(&self) -> Duration {
        let until_failure: Duration = match &self.failing {
            Some((f, _)) => self.artifacts.iter().take(f + 1).sum(),
            None => self.artifacts.iter().sum(),
        };
        self.create + until_failure
    }

    /// The compute VM's power state at `now`: `None` while it does not exist yet.
    pub fn power_state(&self, now: Instant) -> Option<&'static str> {
        match self.phase(now) {
            BuildPhase::Creating => None,
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
        let (state, deployment, applied) = match phase {
            BuildPhase::Creating => ("Creating", "NotStarted", 0),
            BuildPhase::Applying(i) => ("Creating", "Running", i),
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
                BuildPhase::Creating => "Pending",
                BuildPhase::Applying(at) if i < at => "Succeeded",
                BuildPhase::Applying(at) if i == at => "Installing",
                BuildPhase::Failed(at) if i < at => "Succeeded",
                BuildPhase::Failed(at) if i == at => "Failed",
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

/// The messages a realistic failing artifact leaves (a package manager that could not install
/// what it was asked for).
pub fn artifact_failure(artifact: &str) -> ArtifactFailure {
    ArtifactFailure {
        deployment_status_message: format!(
            "The artifact '{artifact}' failed to apply: the script exited with code 1. \
             See vmExtensionStatusMessage for the script's output."
        ),
        vm_extension_status_message: format!(
            "[{{\"code\":\"ComponentStatus/StdOut/succeeded\",\"message\":\"Installing packages: git, nodejs-lts, azure-cli\\nChocolatey installed 2/3 packages.\"}},\
             {{\"code\":\"ComponentStatus/StdErr/succeeded\",\"message\":\"{artifact}: azure-cli not installed. The remote server returned an error: (503) Server Unavailable.\\nThe install of azure-cli was NOT successful.\"}}]"
        ),
    }
}
