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
    /// Its blob in the catalogue: `{image_name}.vhd` for ours, `<guid>.vhd` for the original
    /// factory's.
    pub blob: String,
}

/// The `<guid>.json` the original factory's `SnapImagesFromVMs.ps1` writes beside each
/// `<guid>.vhd` in `imagefactoryvhds` (`Azure/azure-devtestlab`, `Scripts/ImageFactory/
/// Scripts`): it leaves no blob metadata, so this is all it says of the image.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sidecar {
    image_name: String,
    image_path: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    os_type: String,
}

impl CatalogueEntry {
    /// The entry an original factory's sidecar describes. Its `timestamp` is PowerShell's
    /// `ToString()` of a date, whose format follows the machine's culture: `created` (the VHD's
    /// own creation time) orders versions instead.
    pub fn from_sidecar(json: &[u8], created: &str) -> Option<CatalogueEntry> {
        let sidecar: Sidecar = serde_json::from_str(&powershell_text(json)).ok()?;
        let path = ImagePath::new(&sidecar.image_path);
        if path.is_empty() || !super::names::is_resource_name(&sidecar.image_name) {
            return None;
        }
        Some(CatalogueEntry {
            path,
            image_name: sidecar.image_name,
            os: match sidecar.os_type.to_ascii_lowercase().as_str() {
                "linux" => OsType::Linux,
                _ => OsType::Windows,
            },
            description: sidecar.description,
            run: String::new(),
            definition_hash: String::new(),
            created: created.to_string(),
            blob: String::new(),
        })
    }

    /// The entry a catalogue blob's metadata describes, if it describes one.
    pub fn from_metadata(metadata: &BTreeMap<String, String>) -> Option<CatalogueEntry> {
        let get = |k: &str| metadata.get(k).map(|v| decode(v));
        let image_name = get("imagename").filter(|n| {
            let plain = super::names::is_resource_name(n);
            if !plain {
                tracing::warn!(name = %crate::inert::cell(n), "a catalogue VHD names an image that cannot be an Azure resource name; left out");
            }
            plain
        })?;
        Some(CatalogueEntry {
            path: ImagePath::new(&get("imagepath")?),
            image_name,
            os: match get("ostype")?.to_ascii_lowercase().as_str() {
                "linux" => OsType::Linux,
                _ => OsType::Windows,
            },
            description: get("description").unwrap_or_default(),
            run: get("runid").unwrap_or_default(),
            definition_hash: get("definitionhash").unwrap_or_default(),
            created: get("createdat").unwrap_or_default(),
            blob: String::new(),
        })
    }
}

/// A text file as Windows PowerShell writes it: `Out-File` writes UTF-16 (little-endian) with
/// a byte order mark in Windows PowerShell 5.1, `Set-Content` and PowerShell 7 UTF-8, with or
/// without one.
fn powershell_text(bytes: &[u8]) -> String {
    let utf16 = |rest: &[u8], from: fn([u8; 2]) -> u16| {
        let units: Vec<u16> = rest.chunks_exact(2).map(|c| from([c[0], c[1]])).collect();
        String::from_utf16_lossy(&units)
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
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
    let listed = blob::list(&container, None).await?;
    let names: std::collections::BTreeSet<&str> = listed.iter().map(|b| b.name.as_str()).collect();
    let mut entries = Vec::new();
    for b in &listed {
        let complete = b
            .copy
            .as_ref()
            .is_none_or(|c| c.status == CopyStatus::Success);
        if !complete {
            continue;
        }
        if let Some(entry) = CatalogueEntry::from_metadata(&b.metadata) {
            entries.push((
                b.name.clone(),
                CatalogueEntry {
                    blob: b.name.clone(),
                    ..entry
                },
            ));
            continue;
        }
        // The original factory's VHD: its description is in `<guid>.json` beside it.
        let Some(stem) = b.name.strip_suffix(".vhd") else {
            continue;
        };
        let sidecar = format!("{stem}.json");
        if !names.contains(sidecar.as_str()) {
            continue;
        }
        let url = account.blob(
            CATALOGUE_CONTAINER,
            &sidecar,
            Access::Read,
            crate::arm::storage::SHORT_SAS,
        )?;
        let created = b.created.map(crate::human::rfc3339).unwrap_or_default();
        // One unreadable sidecar leaves its VHD out, not the whole catalogue.
        let bytes = match blob::read_all(&url).await {
            Ok(Some(bytes)) => bytes,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(blob = sidecar, error = %e, "an original factory's sidecar cannot be read; its VHD is left out");
                continue;
            }
        };
        match CatalogueEntry::from_sidecar(&bytes, &created) {
            Some(entry) => entries.push((
                b.name.clone(),
                CatalogueEntry {
                    blob: b.name.clone(),
                    ..entry
                },
            )),
            None => tracing::warn!(
                blob = sidecar,
                "an original factory's sidecar that does not describe an image; left out"
            ),
        }
    }
    Ok(entries)
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

#[cfg(test)]
mod sidecar_tests {
    use super::*;

    #[test]
    fn an_original_factorys_sidecar_describes_its_vhd() {
        // Windows paths, a .json suffix, a UTF-8 byte order mark.
        let json = "\u{feff}{\"imageName\":\"Win2016-Datacenter-1120\",\"imagePath\":\"Win2016\\\\Datacenter.json\",\"description\":\"d\",\"osType\":\"Linux\",\"vhdFileName\":\"g.vhd\",\"timestamp\":\"20.11.2026 22:00:00\"}";
        let entry = CatalogueEntry::from_sidecar(json.as_bytes(), "2026-11-20T22:00:00Z").unwrap();
        assert_eq!(entry.path.as_str(), "Win2016/Datacenter");
        assert_eq!(entry.image_name, "Win2016-Datacenter-1120");
        assert_eq!(entry.os, OsType::Linux);
        assert_eq!(entry.created, "2026-11-20T22:00:00Z");
        assert!(entry.run.is_empty() && entry.definition_hash.is_empty());
    }

    #[test]
    fn a_sidecar_in_utf16_as_windows_powershell_writes_it_is_read() {
        let json = r#"{"imageName":"n","imagePath":"a\\b.json","osType":"Windows"}"#;
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(json.encode_utf16().flat_map(|u| u.to_le_bytes()));
        let entry = CatalogueEntry::from_sidecar(&bytes, "").unwrap();
        assert_eq!(entry.path.as_str(), "a/b");
        let mut bytes = vec![0xFE, 0xFF];
        bytes.extend(json.encode_utf16().flat_map(|u| u.to_be_bytes()));
        assert_eq!(
            CatalogueEntry::from_sidecar(&bytes, "").unwrap().image_name,
            "n"
        );
    }

    #[test]
    fn a_sidecar_without_a_name_or_path_describes_nothing() {
        for json in [
            r#"{"imageName":"","imagePath":"a/b"}"#,
            r#"{"imageName":"x","imagePath":"\\"}"#,
            r#"{"imagePath":"a/b"}"#,
            "not json",
        ] {
            assert_eq!(
                CatalogueEntry::from_sidecar(json.as_bytes(), ""),
                None,
                "{json}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(name: &str) -> BTreeMap<String, String> {
        [
            ("imagepath", "win2022/base"),
            ("imagename", name),
            ("ostype", "Windows"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn a_name_read_back_from_azure_must_be_a_plain_resource_name() {
        assert!(CatalogueEntry::from_metadata(&metadata("win2022-base-1")).is_some());
        for hostile in [
            "..%2F..%2Fsubscriptions%2Fx",
            "a/../../b",
            "x?api-version=1",
            "a b",
        ] {
            assert!(
                CatalogueEntry::from_metadata(&metadata(hostile)).is_none(),
                "{hostile}"
            );
        }
        let sidecar = br#"{"imageName":"../x","imagePath":"win2022/base","osType":"Windows"}"#;
        assert!(CatalogueEntry::from_sidecar(sidecar, "2026-12-08T00:00:00Z").is_none());
    }
}
