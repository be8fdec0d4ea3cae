//! Back-fill from the catalogue (the original's separate distribution pipeline, run when
//! `Labs.json` changed): a lab added to the configuration, or one that missed a run, gets the
//! retained versions (`keep_latest`, newest first) of the paths it subscribes to that it does
//! not have. Pure: configuration, inventory and catalogue in; image jobs that start at
//! distribution out, with what is skipped and why.

use std::collections::BTreeMap;

use super::catalogue::CatalogueEntry;
use super::plan::{ImageJob, Skip, Target};
use crate::config::{BaseImage, FactoryConfig, ImagePath};
use crate::factory::Inventory;

/// What a back-fill would do.
#[derive(Debug, Clone, Default)]
pub struct Backfill {
    pub jobs: Vec<ImageJob>,
    pub skipped: Vec<Skip>,
}

/// Plans the back-fill of `only` (a lab name) or of every configured lab.
pub fn plan(
    config: &FactoryConfig,
    inventory: &Inventory,
    catalogue: &[CatalogueEntry],
    factory_location: &str,
    only: Option<&str>,
) -> Backfill {
    let mut out = Backfill::default();
    let mut jobs: BTreeMap<String, ImageJob> = BTreeMap::new();
    for target in config
        .labs
        .iter()
        .filter(|t| only.is_none_or(|name| t.lab.name.eq_ignore_ascii_case(name)))
    {
        let Some(lab) = inventory
            .labs()
            .map(|(_, l)| l)
            .find(|l| target.lab.is(l.id.as_str()))
        else {
            continue;
        };
        // A path the lab receives, with no image of it there and nothing in the catalogue to
        // copy, is what Drift shows missing: said, not passed over as if all were well.
        for definition in config.images.iter().filter(|d| target.receives(&d.path)) {
            let held = lab
                .images
                .iter()
                .any(|i| i.image_path.as_ref() == Some(&definition.path));
            let catalogued = catalogue.iter().any(|e| e.path == definition.path);
            if !held && !catalogued {
                out.skipped.push(Skip {
                    path: definition.path.clone(),
                    lab: Some(lab.name.clone()),
                    why: format!(
                        "the lab has no image of it and the catalogue no version to copy: build it (`imagefactory build {}`)",
                        definition.path
                    ),
                    refused: false,
                });
            }
        }
        let mut paths: Vec<&ImagePath> = catalogue
            .iter()
            .map(|e| &e.path)
            .filter(|p| target.receives(p))
            .collect();
        paths.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        paths.dedup_by(|a, b| a.as_str() == b.as_str());
        for path in paths {
            let skip = |why: String| Skip {
                path: path.clone(),
                lab: Some(lab.name.clone()),
                why,
                refused: false,
            };
            if let Some(why) = lab.build_refusal() {
                out.skipped.push(Skip {
                    refused: true,
                    ..skip(format!(
                        "the identity may not make images in this lab: {why}"
                    ))
                });
                continue;
            }
            if !lab.location.eq_ignore_ascii_case(factory_location) {
                out.skipped.push(skip(format!(
                    "the lab is in {}, the catalogue in {factory_location}",
                    lab.location
                )));
                continue;
            }
            let keep = super::catalogue::keep_latest(config, path);
            let mut versions: Vec<&CatalogueEntry> =
                catalogue.iter().filter(|e| &e.path == path).collect();
            versions.sort_by(|a, b| b.created.cmp(&a.created));
            for entry in versions.into_iter().take(keep) {
                let present = lab
                    .images
                    .iter()
                    .any(|i| i.name.eq_ignore_ascii_case(&entry.image_name));
                if present {
                    continue;
                }
                jobs.entry(entry.image_name.clone())
                    .or_insert_with(|| job_of(config, entry))
                    .targets
                    .push(Target {
                        lab: target.lab.clone(),
                        location: lab.location.clone(),
                    });
            }
        }
    }
    out.jobs = jobs.into_values().collect();
    out
}

/// A job that only distributes `entry` (no VM: it starts from the catalogue).
fn job_of(config: &FactoryConfig, entry: &CatalogueEntry) -> ImageJob {
    let definition = config.images.iter().find(|d| d.path == entry.path);
    ImageJob {
        path: entry.path.clone(),
        os: entry.os,
        description: definition
            .map(|d| d.description.clone())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| entry.description.clone()),
        vm_name: String::new(),
        vm_size: String::new(),
        storage_type: config.build.storage_type,
        base_facts: None,
        base: definition.map(|d| d.base.clone()).unwrap_or(BaseImage {
            publisher: String::new(),
            offer: String::new(),
            sku: String::new(),
            version: String::new(),
        }),
        artifacts: Vec::new(),
        image_name: entry.image_name.clone(),
        vhd: if entry.blob.is_empty() {
            format!("{}.vhd", entry.image_name)
        } else {
            entry.blob.clone()
        },
        targets: Vec::new(),
        definition_hash: entry.definition_hash.clone(),
    }
}

/// Plans a distribution run: reads the catalogue in the factory lab's storage, then plans the
/// back-fill of `only` (a lab name) or every configured lab, as a run whose images start at
/// distribution.
pub async fn plan_run(
    client: &crate::arm::ArmClient,
    config: &FactoryConfig,
    inventory: &Inventory,
    only: Option<&str>,
) -> Result<super::BuildPlan, String> {
    let Some(factory) = inventory
        .labs()
        .map(|(_, l)| l)
        .find(|l| config.factory.is(l.id.as_str()))
    else {
        return Err(format!(
            "the factory lab {} cannot be read; its catalogue is in its storage account",
            config.factory.name
        ));
    };
    let location = factory.location.clone();
    let catalogue = super::catalogue::read(client, &config.factory, config.build.storage_auth)
        .await
        .map_err(|e| format!("cannot read the catalogue: {e}"))?
        .into_iter()
        .map(|(_, e)| e)
        .collect::<Vec<_>>();
    let backfill = plan(config, inventory, &catalogue, &location, only);
    Ok(super::BuildPlan {
        run: super::RunId::new(time::OffsetDateTime::now_utc(), rand::random()),
        factory: config.factory.clone(),
        factory_location: location,
        parallelism: config.defaults.parallelism.max(1),
        jobs: backfill.jobs,
        skipped: backfill.skipped,
        errors: Vec::new(),
    })
}
