//! Drift: for each target lab and each image path it subscribes to, whether it has the newest
//! build. Exact where images carry the definition hash a build gives them: a lab is up to date
//! for a path when its newest image carries the newest build's hash. Images of the original
//! factory carry none; for them, within a day of the newest anywhere counts as the same build.

use std::collections::HashMap;

use serde::Serialize;
use time::OffsetDateTime;

use super::{Image, Inventory, tags};
use crate::arm::ResourceId;
use crate::config::{FactoryConfig, ImagePath};

/// How a lab stands for one image path it subscribes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftStatus {
    /// It has the newest build of the path.
    Newest,
    /// Its newest image of the path is an older build.
    Outdated,
    /// It has no image of the path.
    Missing,
}

/// One lab and one path it subscribes to.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    pub lab: ResourceId,
    pub path: ImagePath,
    pub status: DriftStatus,
    pub lab_newest: Option<OffsetDateTime>,
    pub newest_anywhere: Option<OffsetDateTime>,
    /// Decided by definition hashes (else by creation times, for images without one).
    pub exact: bool,
    /// The definition in the configuration differs from what the newest build was made from:
    /// the next build makes a new version everywhere.
    pub definition_changed: bool,
}

/// Images distributed by one run land within hours of each other; a day apart is another build.
const SAME_BUILD: time::Duration = time::Duration::hours(24);

/// The newest image of a path anywhere, and the newest one carrying a definition hash.
#[derive(Default)]
struct Newest<'i> {
    any: Option<&'i Image>,
    hashed: Option<(&'i Image, &'i str)>,
}

/// Drift of every configured target lab, for every path it subscribes to.
pub fn drift(inventory: &Inventory, config: &FactoryConfig) -> Vec<Drift> {
    let mut newest: HashMap<String, Newest> = HashMap::new();
    for (_, lab) in inventory.labs() {
        for image in &lab.images {
            let (Some(path), Some(created)) = (&image.image_path, image.created) else {
                continue;
            };
            let entry = newest.entry(path.key()).or_default();
            if entry.any.is_none_or(|n| n.created < Some(created)) {
                entry.any = Some(image);
            }
            if let Some(hash) = tags::get(Some(&image.tags), tags::DEFINITION)
                && entry.hashed.is_none_or(|(n, _)| n.created < Some(created))
            {
                entry.hashed = Some((image, hash));
            }
        }
    }
    let mut rows = Vec::new();
    for (_, lab) in inventory.labs() {
        let Some(target) = config.labs.iter().find(|t| t.lab.is(lab.id.as_str())) else {
            continue;
        };
        // A lab still being read is not missing anything yet.
        if lab.reading {
            continue;
        }
        for definition in config.images.iter().filter(|d| target.receives(&d.path)) {
            let mine = lab
                .images
                .iter()
                .filter(|i| i.image_path.as_ref() == Some(&definition.path))
                .max_by_key(|i| i.created);
            let best = newest.get(&definition.path.key());
            let anywhere = best.and_then(|b| b.any).and_then(|i| i.created);
            let hashed = best.and_then(|b| b.hashed);
            let (status, exact) = match (mine, hashed) {
                (None, _) => (DriftStatus::Missing, hashed.is_some()),
                (Some(mine), Some((_, hash))) => {
                    let has = tags::get(Some(&mine.tags), tags::DEFINITION) == Some(hash);
                    // A newer image without a hash (made by hand, or by the original factory)
                    // does not make the lab's hashed build outdated, nor the other way round.
                    let status = if has {
                        DriftStatus::Newest
                    } else {
                        DriftStatus::Outdated
                    };
                    (status, true)
                }
                (Some(mine), None) => {
                    let status = match (mine.created, anywhere) {
                        (Some(m), Some(best)) if m + SAME_BUILD < best => DriftStatus::Outdated,
                        _ => DriftStatus::Newest,
                    };
                    (status, false)
                }
            };
            let definition_changed = hashed.is_some_and(|(_, hash)| {
                hash != crate::factory::builder::plan::definition_hash(definition)
            });
            rows.push(Drift {
                lab: lab.id.clone(),
                path: definition.path.clone(),
                status,
                lab_newest: mine.and_then(|i| i.created),
                newest_anywhere: anywhere,
                exact,
                definition_changed,
            });
        }
    }
    rows
}
