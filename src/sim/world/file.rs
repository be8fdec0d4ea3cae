//! World files: TOML that describes subscriptions, labs, images (one by one or as a series),
//! VMs and formulas, with ages relative to the moment the emulator starts.

use std::path::Path;

use serde::Deserialize;
use time::OffsetDateTime;

use super::build::{ImageMaker, new_lab, new_vm};
use super::{Access, SimLab, SimSubscription, World, days};
use crate::arm::wire::{CustomImage, Formula, FormulaProperties, Tags};

/// Errors loading a world.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error("cannot read world file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("world file {path}: {message}")]
    Parse { path: String, message: String },
    #[error(
        "bad world generator {spec:?}: expected generate:SUBSxLABSxIMAGES, for example generate:20x10x60"
    )]
    Generator { spec: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorldFile {
    #[serde(default)]
    subscription: Vec<SubscriptionSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscriptionSpec {
    id: String,
    name: String,
    #[serde(default = "default_tenant")]
    tenant: String,
    #[serde(default = "default_state")]
    state: String,
    #[serde(default)]
    access: Access,
    #[serde(default)]
    lab: Vec<LabSpec>,
}

pub(super) fn default_tenant() -> String {
    "72f988bf-86f1-41af-91ab-2d7cd011db47".into()
}
fn default_state() -> String {
    "Enabled".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabSpec {
    name: String,
    resource_group: String,
    location: String,
    #[serde(default)]
    tags: Tags,
    #[serde(default)]
    deny_read: bool,
    /// The lab's `LabVmCount` policy: VMs allowed in all.
    #[serde(default)]
    max_vms: Option<usize>,
    #[serde(default)]
    image: Vec<ImageSpec>,
    #[serde(default)]
    series: Vec<SeriesSpec>,
    #[serde(default)]
    vm: Vec<VmSpec>,
    #[serde(default)]
    formula: Vec<FormulaSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageSpec {
    name: String,
    /// The raw `ImagePath` tag; absent for an untagged image.
    #[serde(default)]
    path: Option<String>,
    age_days: f64,
    #[serde(default = "default_os")]
    os: String,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    tags: Tags,
    /// True for an image made from a VHD (as the original factory did) rather than from a VM.
    #[serde(default)]
    from_vhd: bool,
}

/// A run of images of one path, one every `every_days`, the newest `newest_age_days` old.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeriesSpec {
    path: String,
    count: u32,
    every_days: f64,
    newest_age_days: f64,
    #[serde(default = "default_os")]
    os: String,
    #[serde(default)]
    author: Option<String>,
    /// Name prefix; defaults to the path with `/` and spaces as `-`.
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    from_vhd: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VmSpec {
    name: String,
    /// The custom image the VM was created from: a name in this lab, or `PATH@RANK`.
    #[serde(default)]
    image: Option<String>,
    #[serde(default = "default_os")]
    os: String,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    tags: Tags,
    #[serde(default = "default_succeeded")]
    provisioning_state: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormulaSpec {
    name: String,
    image: String,
}

fn default_os() -> String {
    "Windows".into()
}
fn default_succeeded() -> String {
    "Succeeded".into()
}

/// Loads a world from a TOML file; image ages are relative to `now`.
pub fn load(path: &Path, now: OffsetDateTime) -> Result<World, WorldError> {
    let text = std::fs::read_to_string(path).map_err(|source| WorldError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse(&text, now).map_err(|message| WorldError::Parse {
        path: path.display().to_string(),
        message,
    })
}

/// Parses a world from TOML text.
pub fn parse(text: &str, now: OffsetDateTime) -> Result<World, String> {
    let file: WorldFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut world = World::default();
    for sub in file.subscription {
        let mut labs = Vec::new();
        for spec in sub.lab {
            labs.push(build_lab(&sub.id, spec, now)?);
        }
        world.subscriptions.push(SimSubscription {
            id: sub.id,
            name: sub.name,
            tenant: sub.tenant,
            state: sub.state,
            access: sub.access,
            labs,
        });
    }
    Ok(world)
}

fn build_lab(subscription: &str, spec: LabSpec, now: OffsetDateTime) -> Result<SimLab, String> {
    let mut lab = new_lab(
        subscription,
        &spec.resource_group,
        &spec.name,
        &spec.location,
        now,
    );
    lab.lab.tags = (!spec.tags.is_empty()).then_some(spec.tags);
    lab.deny_read = spec.deny_read;
    lab.vm_limit = spec.max_vms;
    for image in spec.image {
        let mut tags = image.tags;
        if let Some(path) = image.path {
            tags.insert("ImagePath".into(), path);
        }
        let made = ImageMaker {
            name: &image.name,
            os: &image.os,
            author: image.author.as_deref(),
            description: image.description.as_deref(),
            from_vhd: image.from_vhd,
        };
        lab.images
            .push(made.build(&lab, now - days(image.age_days), tags));
    }
    for series in spec.series {
        let prefix = series.prefix.clone().unwrap_or_else(|| {
            series
                .path
                .replace(['/', '\\', ' ', '.'], "-")
                .to_ascii_lowercase()
        });
        for i in 0..series.count {
            let created = now - days(series.newest_age_days + series.every_days * i as f64);
            let name = format!(
                "{prefix}-{}",
                created
                    .format(time::macros::format_description!("[year][month][day]"))
                    .unwrap_or_default()
            );
            let tags = Tags::from([("ImagePath".to_string(), series.path.clone())]);
            let made = ImageMaker {
                name: &name,
                os: &series.os,
                author: series.author.as_deref(),
                description: None,
                from_vhd: series.from_vhd,
            };
            lab.images.push(made.build(&lab, created, tags));
        }
    }
    for vm in spec.vm {
        let image_id = match &vm.image {
            Some(reference) => Some(
                resolve_image(&lab, reference)
                    .map(|i| i.id.clone())
                    .ok_or_else(|| {
                        format!(
                            "lab {}: vm {} names image {reference}, which the lab does not have",
                            spec.name, vm.name
                        )
                    })?,
            ),
            None => None,
        };
        let mut made = new_vm(&lab, &vm.name, &vm.os, image_id, now - days(3.0));
        made.properties.created_by_user = vm.owner;
        made.properties.provisioning_state = Some(vm.provisioning_state);
        made.tags = (!vm.tags.is_empty()).then_some(vm.tags);
        lab.vms.push(made);
    }
    for formula in spec.formula {
        let image = resolve_image(&lab, &formula.image).ok_or_else(|| {
            format!(
                "lab {}: formula {} names image {}, which the lab does not have",
                spec.name, formula.name, formula.image
            )
        })?;
        let content = new_vm(
            &lab,
            &formula.name,
            image.os_type().unwrap_or("Windows"),
            Some(image.id.clone()),
            now,
        );
        lab.formulas.push(Formula {
            id: format!(
                "{}/formulas/{}",
                lab.child_prefix(),
                formula.name.to_ascii_lowercase()
            ),
            name: formula.name,
            location: Some(lab.location()),
            properties: FormulaProperties {
                description: Some("Formula".into()),
                author: Some("lab-owner@contoso.com".into()),
                os_type: image.os_type().map(str::to_string),
                formula_content: Some(content),
            },
        });
    }
    Ok(lab)
}

/// An image by name, or by `PATH@RANK` (0 = the newest image tagged with that path), so that
/// world files need not name images by the date they were generated for.
fn resolve_image<'l>(lab: &'l SimLab, reference: &str) -> Option<&'l CustomImage> {
    if let Some((path, rank)) = reference.rsplit_once('@') {
        let rank: usize = rank.parse().ok()?;
        let mut tagged: Vec<&CustomImage> = lab
            .images
            .iter()
            .filter(|i| {
                i.tags
                    .as_ref()
                    .and_then(|t| t.get("ImagePath"))
                    .is_some_and(|p| p == path)
            })
            .collect();
        tagged.sort_by(|a, b| b.properties.creation_date.cmp(&a.properties.creation_date));
        return tagged.get(rank).copied();
    }
    lab.images
        .iter()
        .find(|i| i.name.eq_ignore_ascii_case(reference))
}
