//! Marketplace image versions (`Microsoft.Compute/locations/{region}/publishers/{publisher}/
//! artifacttypes/vmimage/offers/{offer}/skus/{sku}/versions[/{version}]`), shaped as
//! Microsoft's examples `VirtualMachineImage_List_MaximumSet_Gen.json` (a bare JSON array of
//! names) and `VirtualMachineImage_Get_MaximumSet_Gen.json` (`properties.hyperVGeneration`).
//! The images are those some lab's gallery offers; each has three versions.

use std::sync::Arc;

use axum::http::StatusCode;

use super::reply::{Answer, ArmFault, json};
use super::state::SimState;
use crate::arm::wire::{
    VirtualMachineImage, VirtualMachineImageFeature, VirtualMachineImageProperties,
    VirtualMachineImageResource,
};

/// The versions every offered image has, oldest first.
const VERSIONS: [&str; 3] = ["2024.9.10", "2024.10.8", "2024.11.12"];

/// Whether a marketplace SKU is Generation 2, by Microsoft's naming of the sample's images:
/// `-gen2`/`-g2` SKUs, Windows Server's Azure Edition, every Windows 11 SKU, and Ubuntu
/// 24.04's `server` (its Generation 1 twin is `server-gen1`).
pub fn generation_of(offer: &str, sku: &str) -> &'static str {
    let (offer, sku) = (offer.to_ascii_lowercase(), sku.to_ascii_lowercase());
    let v2 = sku.contains("gen2")
        || sku.ends_with("-g2")
        || sku.contains("azure-edition")
        || sku.starts_with("win11")
        || (offer == "ubuntu-24_04-lts" && sku == "server");
    if v2 { "V2" } else { "V1" }
}

/// `GET .../versions` (`version` none) or `GET .../versions/{version}`.
pub(super) fn get(
    state: &Arc<SimState>,
    subscription: &str,
    location: &str,
    reference: (&str, &str, &str),
    version: Option<&str>,
) -> Answer {
    let (publisher, offer, sku) = reference;
    let offered = {
        let world = state.world.lock().expect("world lock");
        world.labs().any(|(_, lab)| {
            lab.gallery.iter().any(|g| {
                g.properties.image_reference.as_ref().is_some_and(|r| {
                    let same = |a: &Option<String>, b: &str| {
                        a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(b))
                    };
                    same(&r.publisher, publisher) && same(&r.offer, offer) && same(&r.sku, sku)
                })
            })
        })
    };
    // Compute's own words for an image that is not there.
    let not_found = || {
        ArmFault::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            "Artifact: VMImage was not found.",
        )
    };
    if !offered {
        return Err(not_found());
    }
    let id = |v: &str| {
        format!(
            "/Subscriptions/{subscription}/Providers/Microsoft.Compute/Locations/{location}/Publishers/{publisher}/ArtifactTypes/VMImage/Offers/{offer}/Skus/{sku}/Versions/{v}"
        )
    };
    let Some(version) = version else {
        let list: Vec<VirtualMachineImageResource> = VERSIONS
            .iter()
            .map(|v| VirtualMachineImageResource {
                name: (*v).into(),
                location: Some(location.into()),
                id: Some(id(v)),
            })
            .collect();
        return Ok(json(StatusCode::OK, &list));
    };
    let version = VERSIONS
        .iter()
        .find(|v| v.eq_ignore_ascii_case(version))
        .ok_or_else(not_found)?;
    let generation = generation_of(offer, sku);
    let features = if generation == "V2" {
        vec![VirtualMachineImageFeature {
            name: "SecurityType".into(),
            value: "TrustedLaunchSupported".into(),
        }]
    } else {
        Vec::new()
    };
    Ok(json(
        StatusCode::OK,
        &VirtualMachineImage {
            name: (*version).into(),
            location: Some(location.into()),
            id: Some(id(version)),
            properties: VirtualMachineImageProperties {
                hyper_v_generation: Some(generation.into()),
                features,
            },
        },
    ))
}
