//! The plan of a run being resumed: its images as the journal recorded them (names, targets,
//! definition hashes), with what to build taken from today's definitions of the same paths.

use super::generation::{BaseFacts, Generation};
use super::journal::RunState;
use super::plan::{BuildPlan, ImageJob, Target, generalize_artifact};
use crate::arm::ResourceId;
use crate::config::{FactoryConfig, LabRef};

/// The plan that finishes `state`. An image whose definition is gone is an error only if it
/// still needs its VM made (after that, the definition is not read again).
pub fn plan_of(state: &RunState, config: &FactoryConfig) -> Result<BuildPlan, String> {
    let factory = lab_ref(&state.factory).ok_or_else(|| {
        format!(
            "the journal's factory lab id {} is not a lab id",
            state.factory
        )
    })?;
    let mut jobs = Vec::new();
    for image in &state.images {
        let definition = config
            .images
            .iter()
            .find(|d| d.path.as_str().eq_ignore_ascii_case(&image.path));
        let needs_definition = image.stage <= super::journal::Stage::CreatingVm;
        let Some(definition) = definition else {
            if needs_definition && !image.stage.is_final() {
                return Err(format!(
                    "the run's image {} has no definition in {} any more, and its VM was never made; cancel the run instead",
                    image.path,
                    config.path.display()
                ));
            }
            continue;
        };
        let mut artifacts = definition.artifacts.clone();
        artifacts.push(generalize_artifact(definition.os));
        let targets = image
            .targets
            .iter()
            .filter_map(|t| lab_ref(&t.lab))
            .map(|lab| Target {
                lab,
                location: state.location.clone(),
            })
            .collect();
        jobs.push(ImageJob {
            path: definition.path.clone(),
            os: definition.os,
            description: definition.description.clone(),
            vm_name: image.vm_name.clone(),
            vm_size: config.vm_size_of(definition),
            storage_type: config.storage_type_of(definition),
            base: definition.base.clone(),
            base_facts: image.base_version.clone().map(|version| BaseFacts {
                version,
                generation: image.generation.unwrap_or(Generation::V1),
            }),
            artifacts,
            image_name: image.image_name.clone(),
            vhd: image
                .vhd
                .clone()
                .unwrap_or_else(|| format!("{}.vhd", image.image_name)),
            targets,
            definition_hash: image.definition_hash.clone(),
        });
    }
    Ok(BuildPlan {
        run: state.run.clone(),
        factory,
        factory_location: state.location.clone(),
        parallelism: config.defaults.parallelism.max(1).min(jobs.len().max(1)),
        jobs,
        skipped: Vec::new(),
        errors: Vec::new(),
    })
}

/// The `LabRef` of a lab id.
pub fn lab_ref(id: &str) -> Option<LabRef> {
    let id = ResourceId::new(id);
    Some(LabRef {
        subscription: id.subscription()?.to_string(),
        resource_group: id.resource_group()?.to_string(),
        name: id.segment("labs")?.to_string(),
    })
}
