//! What a lab VM's artifacts say of its build. A lab VM's outcome is its artifacts, not its
//! `provisioningState`: Microsoft's own clients read them after the VM's deployment has ended
//! - the original factory (`Azure/azure-devtestlab`, `Scripts/ImageFactory/Scripts/MakeVM.ps1`)
//!   re-reads a VM whose deployment *succeeded* with its artifacts expanded, and deletes it
//!   unless `artifactDeploymentStatus.deploymentStatus` is `Succeeded`;
//! - the DevTest Labs pipeline task (`tasks/Node/src/tasks/AzureDtlCreateVM/task.ts`) waits
//!   while any artifact is `Installing` or `Pending`, then fails on any `Failed` artifact or on
//!   fewer `Succeeded` than it asked for (so a `Skipped` one fails it too).
//!
//! The spec (`DTL.json` 2018-09-15) types both statuses as free strings, so the fold compares
//! case-insensitively and takes any status it does not know as still going.

use serde::Deserialize;

use crate::arm::wire::{ArtifactInstallProperties, LabVirtualMachine};

/// Where a lab VM's build stands, from its artifacts and its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VmOutcome {
    /// Still being made, or artifacts still to apply.
    Going,
    /// Made, and every artifact applied: the generalize artifact among them.
    Applied,
    /// An artifact failed or was skipped: nothing after it will run (the generalize included).
    ArtifactFailed,
    /// The VM failed with every artifact it reports either applied or not started.
    VmFailed,
}

/// The outcome of `vm` as DevTest Labs shows it now.
pub fn outcome(vm: &LabVirtualMachine) -> VmOutcome {
    let p = &vm.properties;
    let artifacts = p.artifacts.as_deref().unwrap_or_default();
    if artifacts
        .iter()
        .any(|a| is(a, "failed") || is(a, "skipped"))
    {
        return VmOutcome::ArtifactFailed;
    }
    let state = p.provisioning_state.as_deref().unwrap_or_default();
    let deployment = p
        .artifact_deployment_status
        .as_ref()
        .and_then(|d| d.deployment_status.as_deref())
        .unwrap_or_default();
    if state.eq_ignore_ascii_case("failed") {
        return if deployment.eq_ignore_ascii_case("failed") {
            VmOutcome::ArtifactFailed
        } else {
            VmOutcome::VmFailed
        };
    }
    if !state.eq_ignore_ascii_case("succeeded") {
        return VmOutcome::Going;
    }
    if deployment.eq_ignore_ascii_case("failed") {
        return VmOutcome::ArtifactFailed;
    }
    // Without the artifacts listed, the deployment status says it (as MakeVM.ps1 reads it).
    let applied = if artifacts.is_empty() {
        deployment.eq_ignore_ascii_case("succeeded")
            || p.artifact_deployment_status
                .as_ref()
                .is_some_and(|d| d.total_artifacts == Some(0))
    } else {
        artifacts.iter().all(|a| is(a, "succeeded"))
    };
    if applied {
        VmOutcome::Applied
    } else {
        VmOutcome::Going
    }
}

fn is(a: &ArtifactInstallProperties, status: &str) -> bool {
    a.status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case(status))
}

/// The artifact now installing, by name.
pub fn installing(vm: &LabVirtualMachine) -> Option<String> {
    vm.properties
        .artifacts
        .iter()
        .flatten()
        .find(|a| is(a, "installing"))
        .map(|a| name(a).to_string())
}

/// The failing artifacts' own messages, one line each, with `secrets` (the values of secret
/// parameters) masked wherever they appear.
pub fn failures(vm: &LabVirtualMachine, secrets: &[String]) -> Vec<String> {
    vm.properties
        .artifacts
        .iter()
        .flatten()
        .filter(|a| is(a, "failed"))
        .map(|a| {
            let mut text = format!(
                "{}: {}",
                name(a),
                a.deployment_status_message.as_deref().unwrap_or("")
            );
            if let Some(ext) = &a.vm_extension_status_message {
                let output = extension_text(ext);
                if !output.is_empty() {
                    text.push('\n');
                    text.push_str(&output);
                }
            }
            // A script's output may echo a secret parameter or a download URL with its SAS.
            crate::arm::redact::redact_with(&text, secrets)
        })
        .collect()
}

/// An artifact's name: the last segment of its id.
fn name(a: &ArtifactInstallProperties) -> &str {
    a.artifact_id
        .as_deref()
        .and_then(|id| id.rsplit('/').next())
        .unwrap_or("artifact")
}

/// How each artifact that did not fail ended (`name: succeeded`, `name: skipped`), to show
/// after a failure's own words: what ran before it, and what never ran.
pub fn statuses(vm: &LabVirtualMachine) -> Vec<String> {
    vm.properties
        .artifacts
        .iter()
        .flatten()
        .filter(|a| !is(a, "failed"))
        .map(|a| {
            format!(
                "{}: {}",
                name(a),
                a.status
                    .as_deref()
                    .unwrap_or("not started")
                    .to_ascii_lowercase()
            )
        })
        .collect()
}

/// The extension status message is a JSON list of `{code, message}`; its messages are the
/// script's own output, which is what a person needs to read.
fn extension_text(raw: &str) -> String {
    #[derive(Deserialize)]
    struct Status {
        #[serde(default)]
        message: String,
    }
    match serde_json::from_str::<Vec<Status>>(raw) {
        Ok(list) => list
            .into_iter()
            // The script's lines as lines: the console shows them under the artifact, and a
            // one-line summary takes the first.
            .flat_map(|s| {
                s.message
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Err(_) => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::wire::ArtifactDeploymentStatusProperties;

    fn vm(state: &str, deployment: Option<&str>, statuses: &[&str]) -> LabVirtualMachine {
        let mut vm: LabVirtualMachine = serde_json::from_str("{}").unwrap();
        vm.properties.provisioning_state = Some(state.into());
        vm.properties.artifact_deployment_status =
            deployment.map(|d| ArtifactDeploymentStatusProperties {
                deployment_status: Some(d.into()),
                artifacts_applied: None,
                total_artifacts: Some(statuses.len() as i32),
            });
        vm.properties.artifacts = Some(
            statuses
                .iter()
                .enumerate()
                .map(|(i, s)| ArtifactInstallProperties {
                    artifact_id: Some(format!("/x/artifacts/a{i}")),
                    status: Some((*s).into()),
                    ..Default::default()
                })
                .collect(),
        );
        vm
    }

    #[test]
    fn a_vm_that_succeeded_with_a_failed_artifact_failed() {
        let v = vm(
            "Succeeded",
            Some("Failed"),
            &["Succeeded", "Failed", "Skipped"],
        );
        assert_eq!(outcome(&v), VmOutcome::ArtifactFailed);
        assert_eq!(statuses(&v), ["a0: succeeded", "a2: skipped"]);
    }

    #[test]
    fn a_skipped_artifact_alone_fails_the_vm() {
        let v = vm("Succeeded", Some("Succeeded"), &["Succeeded", "skipped"]);
        assert_eq!(outcome(&v), VmOutcome::ArtifactFailed);
    }

    #[test]
    fn artifacts_still_installing_under_a_vm_that_succeeded_are_going() {
        for statuses in [
            &["Succeeded", "Installing"][..],
            &["Succeeded", "Pending"],
            &["Succeeded", "SomethingNew"],
        ] {
            let v = vm("Succeeded", Some("Running"), statuses);
            assert_eq!(outcome(&v), VmOutcome::Going, "{statuses:?}");
        }
        assert_eq!(
            installing(&vm("Succeeded", None, &["Succeeded", "Installing"])).as_deref(),
            Some("a1")
        );
    }

    #[test]
    fn every_artifact_succeeded_under_a_vm_that_succeeded_is_applied() {
        let v = vm("succeeded", Some("Succeeded"), &["Succeeded", "SUCCEEDED"]);
        assert_eq!(outcome(&v), VmOutcome::Applied);
        assert_eq!(installing(&v), None);
    }

    #[test]
    fn a_vm_still_creating_is_going_even_with_its_artifacts_done() {
        let v = vm("Creating", Some("Succeeded"), &["Succeeded"]);
        assert_eq!(outcome(&v), VmOutcome::Going);
    }

    #[test]
    fn without_artifacts_listed_the_deployment_status_decides() {
        let mut v = vm("Succeeded", Some("Succeeded"), &[]);
        v.properties.artifacts = None;
        assert_eq!(outcome(&v), VmOutcome::Applied);
        let mut v = vm("Succeeded", Some("Failed"), &[]);
        v.properties.artifacts = None;
        assert_eq!(outcome(&v), VmOutcome::ArtifactFailed);
        let mut v = vm("Succeeded", Some("Running"), &["x"]);
        v.properties.artifacts = None;
        v.properties
            .artifact_deployment_status
            .as_mut()
            .unwrap()
            .total_artifacts = Some(1);
        assert_eq!(outcome(&v), VmOutcome::Going);
        let mut v = vm("Succeeded", None, &[]);
        v.properties.artifacts = None;
        assert_eq!(outcome(&v), VmOutcome::Going);
    }

    #[test]
    fn a_failed_vm_is_an_artifacts_failure_only_when_its_deployment_says_so() {
        assert_eq!(
            outcome(&vm("Failed", Some("NotStarted"), &["Pending"])),
            VmOutcome::VmFailed
        );
        assert_eq!(
            outcome(&vm("Failed", Some("Failed"), &["Succeeded", "Pending"])),
            VmOutcome::ArtifactFailed
        );
        assert_eq!(
            outcome(&vm("Failed", None, &["Succeeded", "Failed", "Pending"])),
            VmOutcome::ArtifactFailed
        );
    }

    #[test]
    fn a_failures_words_are_its_messages_and_the_scripts_lines() {
        let mut v = vm("Succeeded", Some("Failed"), &["Failed"]);
        let a = &mut v.properties.artifacts.as_mut().unwrap()[0];
        a.deployment_status_message = Some("exit code 1".into());
        a.vm_extension_status_message = Some(
            r#"[{"code":"out","message":"one\n twofold\n"},{"code":"err","message":"three"}]"#
                .into(),
        );
        assert_eq!(failures(&v, &[]), ["a0: exit code 1\none\ntwofold\nthree"]);
        assert_eq!(
            failures(&v, &["twofold".to_string()]),
            ["a0: exit code 1\none\nREDACTED\nthree"]
        );
    }
}
