//! A base image's Hyper-V generation and exact version, from Compute: the version `latest`
//! stands for (the highest of `VirtualMachineImages_List`) and its `hyperVGeneration`
//! (`VirtualMachineImages_Get`; Microsoft's examples `VirtualMachineImage_List_MaximumSet_Gen.json`
//! and `VirtualMachineImage_Get_MaximumSet_Gen.json`).
//!
//! Why it matters: a DevTest Labs custom image made from a VHD (`vhd: {imageName, sysPrep,
//! osType}`, api-version 2018-09-15) carries no generation, so an image captured from a
//! Generation 2 VM is created `Succeeded` and then does not boot (reported against Microsoft's
//! own template, MicrosoftDocs/azure-docs#84881). The VHD way distributes Generation 1 images
//! only.

use std::cmp::Ordering;

use super::plan::OfferProblem;
use crate::arm::wire::{COMPUTE_API_VERSION, VirtualMachineImage, VirtualMachineImageResource};
use crate::arm::{ArmClient, ArmError};
use crate::config::BaseImage;

/// A VM's Hyper-V generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Generation {
    V1,
    V2,
}

impl Generation {
    /// As Compute spells it (`hyperVGeneration`); an image that gives none is Generation 1.
    pub fn parse(text: Option<&str>) -> Generation {
        match text {
            Some(t) if t.eq_ignore_ascii_case("v2") => Generation::V2,
            _ => Generation::V1,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Generation::V1 => "V1",
            Generation::V2 => "V2",
        }
    }
}

/// What Compute says of a base image: the exact version a build of it gets, and its generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseFacts {
    pub version: String,
    pub generation: Generation,
}

/// The highest of marketplace versions (`major.minor.build`, compared part by part as numbers).
pub fn latest(versions: &[String]) -> Option<&str> {
    versions
        .iter()
        .max_by(|a, b| compare(a, b))
        .map(String::as_str)
}

fn compare(a: &str, b: &str) -> Ordering {
    let parts = |v: &str| -> Vec<u64> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parts(a).cmp(&parts(b)).then_with(|| a.cmp(b))
}

/// Reads `base` in `location` of `subscription`: its exact version and generation, or why it
/// has none there (no such image or version in that region's marketplace).
pub async fn read(
    client: &ArmClient,
    subscription: &str,
    location: &str,
    base: &BaseImage,
) -> Result<Result<BaseFacts, OfferProblem>, ArmError> {
    let versions = format!(
        "/subscriptions/{subscription}/providers/Microsoft.Compute/locations/{location}/publishers/{}/artifacttypes/vmimage/offers/{}/skus/{}/versions",
        base.publisher, base.offer, base.sku
    );
    let reference = format!("{}/{}/{}", base.publisher, base.offer, base.sku);
    let missing = |what: String| {
        OfferProblem {
        message: format!("{what} is not in the marketplace of {location}"),
        fix: "choose a version (or `latest`) that the region offers: `az vm image list --all` lists them".into(),
    }
    };
    let version = if base.version.eq_ignore_ascii_case("latest") {
        let listed: Vec<VirtualMachineImageResource> =
            match client.get(&versions, COMPUTE_API_VERSION).await {
                Ok(list) => list,
                Err(e) if e.status() == Some(404) => {
                    return Ok(Err(missing(format!("the base image {reference}"))));
                }
                Err(e) => return Err(e),
            };
        let names: Vec<String> = listed.into_iter().map(|v| v.name).collect();
        match latest(&names) {
            Some(v) => v.to_string(),
            None => return Ok(Err(missing(format!("any version of {reference}")))),
        }
    } else {
        base.version.clone()
    };
    let image: VirtualMachineImage = match client
        .get(&format!("{versions}/{version}"), COMPUTE_API_VERSION)
        .await
    {
        Ok(image) => image,
        Err(e) if e.status() == Some(404) => {
            return Ok(Err(missing(format!("version {version} of {reference}"))));
        }
        Err(e) => return Err(e),
    };
    Ok(Ok(BaseFacts {
        version,
        generation: Generation::parse(image.properties.hyper_v_generation.as_deref()),
    }))
}

/// Why `base` (of `facts`) cannot be built the VHD way, if it cannot.
pub fn vhd_problem(base: &BaseImage, facts: &BaseFacts) -> Option<OfferProblem> {
    (facts.generation == Generation::V2).then(|| OfferProblem {
        message: format!(
            "the base image {}/{}/{} is Generation 2 (hyperVGeneration V2, version {}): a DevTest Labs custom image made from a VHD carries no generation and would not boot",
            base.publisher, base.offer, base.sku, facts.version
        ),
        fix: "choose a Generation 1 SKU of it (like 2022-datacenter instead of 2022-datacenter-azure-edition, or server-gen1 for Ubuntu 24.04); Generation 2 images need the Compute Gallery way, which is not built yet".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_version_compares_numbers_part_by_part() {
        let v = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            latest(&v(&["2024.9.10", "2024.10.8", "2024.11.1"])),
            Some("2024.11.1")
        );
        assert_eq!(
            latest(&v(&["20348.2849.241109", "20348.987.220908"])),
            Some("20348.2849.241109")
        );
        assert_eq!(latest(&v(&["1.0.9", "1.0.10"])), Some("1.0.10"));
        assert_eq!(latest(&[]), None);
    }

    #[test]
    fn a_generation_is_v2_only_when_compute_says_so() {
        assert_eq!(Generation::parse(Some("V2")), Generation::V2);
        assert_eq!(Generation::parse(Some("v2")), Generation::V2);
        assert_eq!(Generation::parse(Some("V1")), Generation::V1);
        assert_eq!(Generation::parse(None), Generation::V1);
    }
}
