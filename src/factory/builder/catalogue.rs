//! The catalogue: the factory lab's captured VHDs with their metadata (path, image name, OS,
//! run, definition hash, time). It lives in Azure, so any machine can back-fill from it;
//! retention trims it to `keep_latest` per path, never taking a VHD a running run needs.

use std::collections::BTreeMap;

use serde::Serialize;

use super::steps::{self, CATALOGUE_CONTAINER};
use crate::arm::storage::{Access, CopyStatus, blob};
use crate::arm::{ArmClient, ArmError};
use crate::config::{FactoryConfig, ImagePath, LabRef, OsType};

/// A captured VHD in the catalogue, from its metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogueEntry {
    pub path: ImagePath,
    pub image_name: String,
    pub os: OsType,
    pub description: String,
    pub run: String,
    pub definition_hash: String,
    /// When it was captured (RFC 3339), which orders versions.
    pub created: String,
}

impl CatalogueEntry {
    /// The entry a catalogue blob's metadata describes, if it describes one.
    pub fn from_metadata(metadata: &BTreeMap<String, String>) -> Option<CatalogueEntry> {
        let get = |k: &str| metadata.get(k).map(|v| decode(v));
        Some(CatalogueEntry {
            path: ImagePath::new(&get("imagepath")?),
            image_name: get("imagename")?,
            os: match get("ostype")?.to_ascii_lowercase().as_str() {
                "linux" => OsType::Linux,
                _ => OsType::Windows,
            },
            description: get("description").unwrap_or_default(),
            run: get("runid").unwrap_or_default(),
            definition_hash: get("definitionhash").unwrap_or_default(),
            created: get("createdat").unwrap_or_default(),
        })
    }
}

fn decode(value: &str) -> String {
    percent_encoding::percent_decode_str(value)
        .decode_utf8_lossy()
        .into_owned()
}

/// The catalogue's complete captures: (blob name, entry).
pub async fn read(
    client: &ArmClient,
    factory: &LabRef,
    auth: crate::config::StorageAuth,
) -> Result<Vec<(String, CatalogueEntry)>, ArmError> {
    let account = steps::lab_storage(client, factory, auth).await?;
    let container = account.container(
        CATALOGUE_CONTAINER,
        Access::List,
        crate::arm::storage::SHORT_SAS,
    )?;
    Ok(blob::list(&container, None)
        .await?
        .into_iter()
        .filter(|b| {
            b.copy
                .as_ref()
                .is_none_or(|c| c.status == CopyStatus::Success)
        })
        .filter_map(|b| Some((b.name.clone(), CatalogueEntry::from_metadata(&b.metadata)?)))
        .collect())
}

/// How many versions of `path` retention keeps (its definition's override, else the policy's).
pub fn keep_latest(config: &FactoryConfig, path: &ImagePath) -> usize {
    config
        .images
        .iter()
        .find(|d| &d.path == path)
        .map(|d| config.retention.with(&d.retention).keep_latest)
        .unwrap_or(config.retention.keep_latest)
}

/// A catalogue VHD retention removes, or keeps because a run needs it, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trim {
    pub blob: String,
    pub entry: CatalogueEntry,
    pub remove: bool,
    pub why: String,
}

/// The catalogue VHDs beyond `keep_latest` of their path (newest first by capture time);
/// those `needed` by a running run are kept, with why.
pub fn trim(
    config: &FactoryConfig,
    entries: &[(String, CatalogueEntry)],
    needed: &dyn Fn(&CatalogueEntry) -> Option<String>,
) -> Vec<Trim> {
    let mut by_path: BTreeMap<String, Vec<&(String, CatalogueEntry)>> = BTreeMap::new();
    for e in entries {
        by_path
            .entry(e.1.path.as_str().to_ascii_lowercase())
            .or_default()
            .push(e);
    }
    let mut out = Vec::new();
    for versions in by_path.values_mut() {
        versions.sort_by(|a, b| b.1.created.cmp(&a.1.created));
        let path = &versions[0].1.path;
        let keep = keep_latest(config, path);
        for (rank, (blob, entry)) in versions.iter().map(|e| (&e.0, &e.1)).enumerate().skip(keep) {
            let (remove, why) = match needed(entry) {
                Some(why) => (false, why),
                None => (
                    true,
                    format!(
                        "{} newest of {path} in the catalogue; keep_latest {keep}",
                        crate::human::ordinal(rank + 1)
                    ),
                ),
            };
            out.push(Trim {
                blob: blob.clone(),
                entry: entry.clone(),
                remove,
                why,
            });
        }
    }
    out
}
