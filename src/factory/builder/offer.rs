//! What the factory lab offers a build, read before planning: the marketplace images it
//! allows, its artifact sources with their artifacts and required parameters, its VM limit,
//! whether it has a subnet for build VMs, and whether the identity may create VMs there.

use serde::Deserialize;

use super::generation;
use super::plan::{
    ArtifactOffer, ArtifactSourceOffer, FactoryOffer, GalleryOffer, ParameterOffer, same_base,
};
use crate::arm::wire::{Artifact, ArtifactSource, DTL_API_VERSION, GalleryImage};
use crate::arm::{ArmClient, ArmError};
use crate::config::{BaseImage, LabRef};
use crate::factory::Inventory;

/// A lab policy (`policySets/default/policies`): only what the VM limit needs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Policy {
    #[serde(default)]
    properties: PolicyProperties,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PolicyProperties {
    #[serde(default)]
    fact_name: Option<String>,
    #[serde(default)]
    threshold: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

/// Reads what `factory` offers. `inventory` says whether the identity may write there, and
/// where the lab is; `bases` are read from Compute in that region (see `generation`).
pub async fn read(
    client: &ArmClient,
    factory: &LabRef,
    inventory: &Inventory,
    bases: &[&BaseImage],
) -> Result<FactoryOffer, ArmError> {
    let lab = factory.id();
    let (gallery_path, sources_path, policies_path) = (
        format!("{lab}/galleryimages"),
        format!("{lab}/artifactsources"),
        format!("{lab}/policysets/default/policies"),
    );
    let (gallery, sources, policies, subnet) = futures::try_join!(
        client.list::<GalleryImage>(&gallery_path, DTL_API_VERSION),
        client.list::<ArtifactSource>(&sources_path, DTL_API_VERSION),
        client.list::<Policy>(&policies_path, DTL_API_VERSION),
        super::network::read(client, factory),
    )?;
    let artifact_paths: Vec<String> = sources
        .iter()
        .map(|s| format!("{lab}/artifactsources/{}/artifacts", s.name))
        .collect();
    let artifact_lists = futures::future::try_join_all(
        artifact_paths
            .iter()
            .map(|path| client.list::<Artifact>(path, DTL_API_VERSION)),
    )
    .await?;
    let found = inventory
        .labs()
        .map(|(_, l)| l)
        .find(|l| factory.is(l.id.as_str()));
    let denied = found.and_then(|l| l.refusal().map(str::to_string));
    let facts = match found {
        Some(lab) => read_facts(client, factory, &lab.location, bases).await?,
        None => Vec::new(),
    };
    Ok(FactoryOffer {
        gallery: gallery
            .into_iter()
            .filter(|g| g.properties.enabled != Some(false))
            .filter_map(|g| {
                let r = g.properties.image_reference?;
                Some(GalleryOffer {
                    publisher: r.publisher?,
                    offer: r.offer?,
                    sku: r.sku?,
                    os: r.os_type,
                    title: g.name,
                })
            })
            .collect(),
        artifact_sources: sources
            .iter()
            .zip(artifact_lists)
            .map(|(source, artifacts)| ArtifactSourceOffer {
                name: source.name.clone(),
                artifacts: artifacts
                    .into_iter()
                    .map(|a| ArtifactOffer {
                        title: a.properties.title.clone().unwrap_or_default(),
                        os: a.properties.target_os_type.clone(),
                        parameters: parameters(a.properties.parameters.as_ref()),
                        name: a.name,
                    })
                    .collect(),
            })
            .collect(),
        vm_limit: policies.iter().find_map(|p| {
            let props = &p.properties;
            let enabled = props
                .status
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case("enabled"));
            (enabled && props.fact_name.as_deref() == Some("LabVmCount"))
                .then(|| props.threshold.as_deref()?.trim().parse().ok())
                .flatten()
        }),
        denied,
        no_subnet: subnet.err(),
        bases: facts,
    })
}

/// The gallery images whose generation the setup reads at most: a lab that restricts its
/// marketplace images offers a few dozen; one that does not offers hundreds, and those past
/// this are checked by `check` and the plan instead.
const SETUP_BASES: usize = 64;

/// What the setup reads of `factory`: its offer, with the generation of its gallery images (so
/// that a Generation 2 base is refused where it is chosen).
pub async fn read_for_setup(
    client: &ArmClient,
    factory: &LabRef,
    inventory: &Inventory,
) -> Result<FactoryOffer, ArmError> {
    let mut offer = read(client, factory, inventory, &[]).await?;
    let location = inventory
        .labs()
        .map(|(_, l)| l)
        .find(|l| factory.is(l.id.as_str()))
        .map(|l| l.location.clone());
    if let Some(location) = location {
        let bases: Vec<BaseImage> = offer
            .gallery
            .iter()
            .take(SETUP_BASES)
            .map(|g| BaseImage::latest(&g.publisher, &g.offer, &g.sku))
            .collect();
        let bases: Vec<&BaseImage> = bases.iter().collect();
        offer.bases = read_facts(client, factory, &location, &bases).await?;
    }
    Ok(offer)
}

/// What Compute says of each of `bases` (once each) in `location`.
async fn read_facts(
    client: &ArmClient,
    factory: &LabRef,
    location: &str,
    bases: &[&BaseImage],
) -> Result<
    Vec<(
        BaseImage,
        Result<generation::BaseFacts, super::plan::OfferProblem>,
    )>,
    ArmError,
> {
    let mut asked: Vec<BaseImage> = Vec::new();
    for base in bases {
        if !asked.iter().any(|b| same_base(b, base)) {
            asked.push((*base).clone());
        }
    }
    let facts = futures::future::try_join_all(asked.into_iter().map(|base| async move {
        match generation::read(client, &factory.subscription, location, &base).await {
            Ok(facts) => Ok(Some((base, facts))),
            // Marketplace versions are read at the subscription's scope, which an identity
            // granted only on resource groups may not: the base is then taken as written, and
            // its generation is not known (the plan and `check` say nothing of it).
            Err(e) if e.status() == Some(403) => {
                tracing::warn!(error = %e, "the base image's generation cannot be read; it is built as written");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }))
    .await?;
    Ok(facts.into_iter().flatten().collect())
}

/// An artifact's parameters (`{name: {type, description, defaultValue, allowEmpty}}`): a
/// parameter is required when it has no default and may not be empty.
fn parameters(parameters: Option<&serde_json::Value>) -> Vec<ParameterOffer> {
    let Some(map) = parameters.and_then(|p| p.as_object()) else {
        return Vec::new();
    };
    map.iter()
        .map(|(name, spec)| {
            let default = spec.get("defaultValue").map(|v| match v.as_str() {
                Some(s) => s.to_string(),
                None => v.to_string(),
            });
            ParameterOffer {
                name: name.clone(),
                description: spec
                    .get("description")
                    .or_else(|| spec.get("displayName"))
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string(),
                required: default.is_none()
                    && spec.get("allowEmpty").and_then(|v| v.as_bool()) != Some(true),
                default,
                // Artifact files type parameters `string`, `securestring`, `int`, `bool`,
                // `array` (the DevTest Labs artifact schema).
                secure: spec
                    .get("type")
                    .and_then(|t| t.as_str())
                    .is_some_and(|t| t.eq_ignore_ascii_case("securestring")),
            }
        })
        .collect()
}
