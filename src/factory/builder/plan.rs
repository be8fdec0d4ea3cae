//! The build planner: configuration + inventory + what the factory lab offers → the jobs of a
//! run (one VM per image definition, the labs each image goes to), everything skipped and why,
//! and the problems that must stop the run before anything is created. Pure and deterministic.

use std::collections::BTreeSet;

use super::generation::{BaseFacts, vhd_problem};
use super::names::{self, RunId};
use crate::config::{
    ArtifactRef, BaseImage, FactoryConfig, ImageDefinition, ImagePath, LabRef, OsType, StorageType,
    premium_capable,
};
use crate::factory::inventory::{Inventory, LabInventory};

/// The artifact source every lab has, which holds the generalize artifacts.
pub const PUBLIC_ARTIFACT_SOURCE: &str = "Public Repo";

/// The artifact that generalizes a VM of `os` and shuts it down (DevTest Labs then deallocates
/// it): applied last, always.
pub fn generalize_artifact(os: OsType) -> ArtifactRef {
    ArtifactRef {
        source: PUBLIC_ARTIFACT_SOURCE.into(),
        name: match os {
            OsType::Windows => "windows-sysprep",
            OsType::Linux => "linux-deprovision",
        }
        .into(),
        parameters: Default::default(),
        secret: Vec::new(),
    }
}

/// Premium disks on a VM size that cannot have them, if the definition asks for that.
pub fn disk_problem(config: &FactoryConfig, definition: &ImageDefinition) -> Option<OfferProblem> {
    let size = config.vm_size_of(definition);
    (config.storage_type_of(definition) == StorageType::Premium
        && premium_capable(&size) == Some(false))
    .then(|| OfferProblem {
        message: format!(
            "the VM size {size} cannot use Premium disks (storage_type = \"Premium\")"
        ),
        fix: "choose a size with an s in its name (like Standard_D4s_v5), or storage_type = \"Standard\"".into(),
    })
}

/// Whether `artifact` is a generalize artifact (of either OS).
pub fn generalizes(artifact: &ArtifactRef) -> bool {
    [OsType::Windows, OsType::Linux].iter().any(|os| {
        generalize_artifact(*os)
            .name
            .eq_ignore_ascii_case(&artifact.name)
    })
}

/// A generalize artifact in a definition's own list: the factory always applies it last
/// (as the original factory's `MakeVM.ps1` appends it), and one earlier shuts the VM down
/// part-way through the list. Needs no Azure to find.
pub fn generalize_problem(artifacts: &[ArtifactRef]) -> Option<OfferProblem> {
    let found = artifacts.iter().find(|a| generalizes(a))?;
    OfferProblem::new(
        format!(
            "artifact `{}` generalizes the VM and shuts it down: the factory applies it last, by itself, and one in the list would stop the artifacts after it",
            found.name
        ),
        "remove it from the definition's [[artifact]] list",
    )
}

/// Every problem with a definition's artifacts in the factory lab, the generalize artifact the
/// factory appends included: what the planner, `check` and the setup refuse alike.
pub fn artifacts_problems(
    offer: &FactoryOffer,
    artifacts: &[ArtifactRef],
    os: OsType,
) -> Vec<OfferProblem> {
    let generalize = generalize_artifact(os);
    generalize_problem(artifacts)
        .into_iter()
        .chain(
            artifacts
                .iter()
                .chain(std::iter::once(&generalize))
                .filter_map(|a| artifact_problem(offer, a, os)),
        )
        .collect()
}

/// What the factory lab offers, read before planning (gallery images, artifact sources and
/// their artifacts, the VM limit, whether the identity may create VMs there).
#[derive(Debug, Clone, Default)]
pub struct FactoryOffer {
    /// Marketplace images the lab allows.
    pub gallery: Vec<GalleryOffer>,
    /// Artifact sources by name, with each artifact's name and its required parameters.
    pub artifact_sources: Vec<ArtifactSourceOffer>,
    /// VMs the lab allows in all (its policy), if it limits them.
    pub vm_limit: Option<usize>,
    /// Why the identity cannot create VMs in the factory lab, if it cannot.
    pub denied: Option<String>,
    /// Why no subnet of the factory lab takes a build VM, if none does (see `network`).
    pub no_subnet: Option<OfferProblem>,
    /// What Compute says of the bases asked about (see `generation`): the exact version and
    /// generation of each, or why it is not in the factory's region. A base not listed was not
    /// asked about, and is taken as it is written.
    pub bases: Vec<(BaseImage, Result<BaseFacts, OfferProblem>)>,
}

impl FactoryOffer {
    /// What Compute says of `base`, when it was asked.
    pub fn facts_of(&self, base: &BaseImage) -> Option<&Result<BaseFacts, OfferProblem>> {
        self.bases
            .iter()
            .find(|(b, _)| same_base(b, base))
            .map(|(_, facts)| facts)
    }
}

/// The same marketplace image and version, as ARM compares them (case-insensitively).
pub fn same_base(a: &BaseImage, b: &BaseImage) -> bool {
    a.publisher.eq_ignore_ascii_case(&b.publisher)
        && a.offer.eq_ignore_ascii_case(&b.offer)
        && a.sku.eq_ignore_ascii_case(&b.sku)
        && a.version.eq_ignore_ascii_case(&b.version)
}

/// An artifact source and what it holds.
#[derive(Debug, Clone, Default)]
pub struct ArtifactSourceOffer {
    pub name: String,
    pub artifacts: Vec<ArtifactOffer>,
}

/// A marketplace image the factory lab allows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GalleryOffer {
    pub publisher: String,
    pub offer: String,
    pub sku: String,
    /// `Windows` or `Linux`, as the lab says.
    pub os: Option<String>,
    /// What the portal calls it ("Windows Server 2022 Datacenter").
    pub title: String,
}

impl GalleryOffer {
    /// `publisher/offer/sku`.
    pub fn reference(&self) -> String {
        format!("{}/{}/{}", self.publisher, self.offer, self.sku)
    }
}

/// An artifact an artifact source holds, and its parameters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArtifactOffer {
    pub name: String,
    pub title: String,
    /// The OS it applies to, as the artifact says.
    pub os: Option<String>,
    pub parameters: Vec<ParameterOffer>,
}

impl ArtifactOffer {
    /// An artifact with these required parameters and nothing else said of it.
    pub fn named(name: &str, required: &[&str]) -> ArtifactOffer {
        ArtifactOffer {
            name: name.into(),
            title: String::new(),
            os: None,
            parameters: required
                .iter()
                .map(|p| ParameterOffer {
                    name: (*p).into(),
                    required: true,
                    ..ParameterOffer::default()
                })
                .collect(),
        }
    }

    /// The parameters with no default that may not be empty.
    pub fn required(&self) -> impl Iterator<Item = &str> {
        self.parameters
            .iter()
            .filter(|p| p.required)
            .map(|p| p.name.as_str())
    }
}

/// A parameter of an artifact.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParameterOffer {
    pub name: String,
    pub description: String,
    /// No default, and may not be empty.
    pub required: bool,
    pub default: Option<String>,
    /// Typed `securestring`: its value is a secret.
    pub secure: bool,
}

/// Which definitions to build.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    All,
    Paths(Vec<ImagePath>),
}

/// One lab an image goes to.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub lab: LabRef,
    pub location: String,
}

/// One image to build: the VM that builds it, and where the image goes.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageJob {
    pub path: ImagePath,
    pub os: OsType,
    pub description: String,
    pub vm_name: String,
    pub vm_size: String,
    /// The build VM's disk type.
    pub storage_type: StorageType,
    pub base: BaseImage,
    /// What `base` resolved to when planned: the exact version built, and its generation.
    pub base_facts: Option<BaseFacts>,
    /// In the order they are applied; the generalize artifact is last.
    pub artifacts: Vec<ArtifactRef>,
    pub image_name: String,
    /// The VHD's blob name, in the catalogue and in each lab's staging container alike.
    pub vhd: String,
    pub targets: Vec<Target>,
    /// What the definition asks for, hashed: an image carries it, so that a lab is up to date
    /// for a path when its newest image has the newest build's hash.
    pub definition_hash: String,
}

impl Skip {
    /// What is left out, and why: `path → lab: why`, or `path: why` for a whole image.
    pub fn said(&self) -> String {
        match &self.lab {
            Some(lab) => format!("{} → {lab}: {}", self.path, self.why),
            None => format!("{}: {}", self.path, self.why),
        }
    }
}

/// Something left out of the run, and why (a lab that does not subscribe is not listed).
#[derive(Debug, Clone, PartialEq)]
pub struct Skip {
    pub path: ImagePath,
    pub lab: Option<String>,
    pub why: String,
    /// The lab refused the identity: the run cannot be complete, and says so.
    pub refused: bool,
}

/// A problem that stops the whole run before anything is created.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanError {
    /// The image path it concerns, if one.
    pub path: Option<ImagePath>,
    pub message: String,
}

/// What a run will do.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildPlan {
    pub run: RunId,
    pub factory: LabRef,
    pub factory_location: String,
    pub jobs: Vec<ImageJob>,
    pub skipped: Vec<Skip>,
    pub errors: Vec<PlanError>,
    /// Builds at once: `[defaults] parallelism`, within the factory lab's free VM slots.
    pub parallelism: usize,
}

impl BuildPlan {
    /// Whether the run may start.
    pub fn is_runnable(&self) -> bool {
        self.errors.is_empty() && !self.jobs.is_empty()
    }
}

/// Plans a run of `selection` at `run`.
pub fn plan(
    config: &FactoryConfig,
    inventory: &Inventory,
    offer: &FactoryOffer,
    selection: &Selection,
    run: RunId,
) -> BuildPlan {
    let mut errors = Vec::new();
    let mut skipped = Vec::new();
    let factory = find_lab(inventory, &config.factory);
    let factory_location = factory.map(|l| l.location.clone()).unwrap_or_default();
    if factory.is_none() {
        errors.push(PlanError {
            path: None,
            message: format!(
                "the factory lab {} (resource group {}) is not among the labs of its subscription: check [factory] in {}",
                config.factory.name,
                config.factory.resource_group,
                config.path.display()
            ),
        });
    }
    if let Some(why) = &offer.denied {
        errors.push(PlanError {
            path: None,
            message: format!(
                "the identity cannot create VMs in the factory lab {}: {why}",
                config.factory.name
            ),
        });
    }
    if let Some(problem) = &offer.no_subnet {
        errors.push(PlanError {
            path: None,
            message: format!("no build VM can be created: {}", problem.sentence()),
        });
    }
    let definitions: Vec<_> = match selection {
        Selection::All => config.images.iter().collect(),
        Selection::Paths(paths) => {
            let mut chosen = Vec::new();
            for path in paths {
                match config.images.iter().find(|d| &d.path == path) {
                    Some(d) => chosen.push(d),
                    None => {
                        let known: Vec<&str> =
                            config.images.iter().map(|d| d.path.as_str()).collect();
                        let hint = crate::human::nearest(path.as_str(), &known)
                            .map(|n| format!("; did you mean {n}?"))
                            .unwrap_or_default();
                        errors.push(PlanError {
                            path: Some(path.clone()),
                            message: format!("no image definition {path}{hint}"),
                        });
                    }
                }
            }
            chosen
        }
    };
    let mut jobs = Vec::new();
    for (index, definition) in definitions.into_iter().enumerate() {
        let path = &definition.path;
        let mut error = |message: String| {
            errors.push(PlanError {
                path: Some(path.clone()),
                message,
            })
        };
        let base = &definition.base;
        let offered = base_problem(offer, base, definition.os);
        let facts = offered.is_none().then(|| offer.facts_of(base)).flatten();
        if let Some(problem) = offered {
            error(problem.sentence());
        }
        let base_facts = match facts {
            Some(Ok(facts)) => match vhd_problem(base, facts) {
                // Asked for by name, it stops the run; in a build of everything, it is left
                // out and said (as a lab that refuses the identity is), so that one Windows 11
                // definition does not stop the factory's Generation 1 images.
                Some(problem) if *selection == Selection::All => {
                    skipped.push(Skip {
                        path: path.clone(),
                        lab: None,
                        why: problem.sentence(),
                        refused: true,
                    });
                    continue;
                }
                Some(problem) => {
                    error(problem.sentence());
                    None
                }
                None => Some(facts.clone()),
            },
            Some(Err(problem)) => {
                error(problem.sentence());
                None
            }
            None => None,
        };
        for problem in artifacts_problems(offer, &definition.artifacts, definition.os) {
            error(problem.sentence());
        }
        if let Some(problem) = disk_problem(config, definition) {
            error(problem.sentence());
        }
        let mut artifacts = definition.artifacts.clone();
        for artifact in &mut artifacts {
            artifact.secret.extend(secure_parameters(offer, artifact));
        }
        artifacts.push(generalize_artifact(definition.os));
        let mut targets = Vec::new();
        let mut taken: BTreeSet<String> = BTreeSet::new();
        for target in config.labs.iter().filter(|t| t.receives(path)) {
            let Some(lab) = find_lab(inventory, &target.lab) else {
                skipped.push(Skip {
                    path: path.clone(),
                    lab: Some(target.lab.name.clone()),
                    why: "the lab is not among the labs of its subscription (or cannot be read)"
                        .into(),
                    refused: false,
                });
                continue;
            };
            // A lab the identity may not write to gets nothing, and says why; the others still
            // get the image (a partner lab whose access was revoked must not stop the factory).
            // The run reports it as partly done.
            // The build's own reasons (making an image there), all of them: a lab refused for
            // its role and in another region too needs both fixed.
            if let Some(why) = lab.build_refusal() {
                let mut why = format!("the identity may not make images in this lab: {why}");
                if factory.is_some() && !lab.location.eq_ignore_ascii_case(&factory_location) {
                    why.push_str(&format!(
                        "; and it is in {}, the factory lab in {factory_location} (images are copied within a region)",
                        lab.location
                    ));
                }
                skipped.push(Skip {
                    path: path.clone(),
                    lab: Some(lab.name.clone()),
                    why,
                    refused: true,
                });
                continue;
            }
            // A VHD is copied within a region: the original factory skipped the others
            // silently; here they stop the run, so that the configuration is fixed.
            if factory.is_some() && !lab.location.eq_ignore_ascii_case(&factory_location) {
                error(format!(
                    "target lab {} is in {}, the factory lab in {}: images are copied within a region; take {path} out of its image_paths or build it in a factory there",
                    lab.name, lab.location, factory_location
                ));
                continue;
            }
            taken.extend(lab.images.iter().map(|i| i.name.to_ascii_lowercase()));
            targets.push(Target {
                lab: target.lab.clone(),
                location: lab.location.clone(),
            });
        }
        if targets.is_empty() {
            skipped.push(Skip {
                path: path.clone(),
                lab: None,
                why: "no lab receives this path: nothing to build it for".into(),
                refused: false,
            });
            continue;
        }
        let image_name = names::image_name(&run, path, &taken);
        jobs.push(ImageJob {
            path: path.clone(),
            os: definition.os,
            description: definition.description.clone(),
            vm_name: names::vm_name(&run, index, path, definition.os),
            vm_size: config.vm_size_of(definition),
            storage_type: config.storage_type_of(definition),
            base: base.clone(),
            base_facts,
            artifacts,
            vhd: format!("{image_name}.vhd"),
            image_name,
            targets,
            definition_hash: definition_hash(definition),
        });
    }
    let in_use = factory.map(|l| l.vms.len()).unwrap_or(0);
    let free = offer.vm_limit.map(|limit| limit.saturating_sub(in_use));
    if free == Some(0) && !jobs.is_empty() {
        errors.push(PlanError {
            path: None,
            message: format!(
                "the factory lab allows {} VMs and has {in_use}: no room for a build VM; delete VMs there or raise the lab's limit",
                offer.vm_limit.unwrap_or(0)
            ),
        });
    }
    let parallelism = config
        .defaults
        .parallelism
        .max(1)
        .min(free.unwrap_or(usize::MAX).max(1))
        .min(jobs.len().max(1));
    BuildPlan {
        run,
        factory: config.factory.clone(),
        factory_location,
        jobs,
        skipped,
        errors,
        parallelism,
    }
}

/// A stable hash of what a definition asks for (FNV-1a, 64 bits, hex): its OS, base image,
/// size, artifacts with their parameters, tags and description. Stable across versions of this
/// program and of Rust, since images keep it for years.
pub fn definition_hash(definition: &crate::config::ImageDefinition) -> String {
    let mut text = format!(
        "os={:?}\nbase={}/{}/{}/{}\nsize={}\ndescription={}\n",
        definition.os,
        definition.base.publisher,
        definition.base.offer,
        definition.base.sku,
        definition.base.version,
        definition.size.as_deref().unwrap_or(""),
        definition.description
    );
    for a in &definition.artifacts {
        text.push_str(&format!("artifact={}/{}", a.source, a.name));
        for (k, v) in &a.parameters {
            text.push_str(&format!(";{k}={v}"));
        }
        text.push('\n');
    }
    for (k, v) in &definition.tags {
        text.push_str(&format!("tag={k}={v}\n"));
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

fn find_lab<'i>(inventory: &'i Inventory, lab: &LabRef) -> Option<&'i LabInventory> {
    inventory
        .labs()
        .map(|(_, l)| l)
        .find(|l| lab.is(l.id.as_str()))
}

/// A problem with what a definition asks of the factory lab, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OfferProblem {
    pub message: String,
    pub fix: String,
}

impl OfferProblem {
    fn new(message: String, fix: impl Into<String>) -> Option<OfferProblem> {
        Some(OfferProblem {
            message,
            fix: fix.into(),
        })
    }

    /// The problem and its fix in one sentence (for a plan's errors).
    pub fn sentence(&self) -> String {
        format!("{}; {}", self.message, self.fix)
    }
}

/// Whether the factory lab offers `base` (its allowed marketplace images).
pub fn offers_base(offer: &FactoryOffer, base: &BaseImage) -> bool {
    offered_base(offer, base).is_some()
}

fn offered_base<'o>(offer: &'o FactoryOffer, base: &BaseImage) -> Option<&'o GalleryOffer> {
    offer.gallery.iter().find(|g| {
        g.publisher.eq_ignore_ascii_case(&base.publisher)
            && g.offer.eq_ignore_ascii_case(&base.offer)
            && g.sku.eq_ignore_ascii_case(&base.sku)
    })
}

fn os_name(os: OsType) -> &'static str {
    match os {
        OsType::Windows => "Windows",
        OsType::Linux => "Linux",
    }
}

/// Why a definition of `os` cannot start from `base` in the factory lab, if it cannot.
pub fn base_problem(offer: &FactoryOffer, base: &BaseImage, os: OsType) -> Option<OfferProblem> {
    let asked = format!("{}/{}/{}", base.publisher, base.offer, base.sku);
    let Some(offered) = offered_base(offer, base) else {
        let known: Vec<String> = offer.gallery.iter().map(GalleryOffer::reference).collect();
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        let hint = crate::human::nearest_reference(&asked, &known)
            .map(|n| format!("; the nearest it offers is {n}"))
            .unwrap_or_default();
        return OfferProblem::new(
            format!("the factory lab does not offer the base image {asked}"),
            format!(
                "allow it in the lab's marketplace images policy, or change [base] in the definition{hint}"
            ),
        );
    };
    match offered.os.as_deref() {
        Some(o) if !o.eq_ignore_ascii_case(os_name(os)) => OfferProblem::new(
            format!(
                "the base image {asked} is a {o} image, and the definition says os = \"{}\"",
                os_name(os)
            ),
            "make os match the base image, or choose another base",
        ),
        _ => None,
    }
}

/// The parameters of `artifact` that the artifact itself types `securestring`, as the
/// factory lab offers it.
fn secure_parameters(offer: &FactoryOffer, artifact: &ArtifactRef) -> Vec<String> {
    offer
        .artifact_sources
        .iter()
        .filter(|s| s.name.eq_ignore_ascii_case(&artifact.source))
        .flat_map(|s| &s.artifacts)
        .filter(|a| a.name.eq_ignore_ascii_case(&artifact.name))
        .flat_map(|a| &a.parameters)
        .filter(|p| {
            p.secure
                && !artifact
                    .secret
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(&p.name))
        })
        .map(|p| p.name.clone())
        .collect()
}

/// Why an artifact cannot be applied to a VM of `os` in the factory lab, if it cannot: no
/// such source or artifact, one for another OS, a parameter it does not have, or a required
/// one missing.
pub fn artifact_problem(
    offer: &FactoryOffer,
    artifact: &ArtifactRef,
    os: OsType,
) -> Option<OfferProblem> {
    let Some(source) = offer
        .artifact_sources
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(&artifact.source))
    else {
        let known: Vec<&str> = offer
            .artifact_sources
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        let has = if known.is_empty() {
            "it has none".to_string()
        } else {
            format!("it has: {}", known.join(", "))
        };
        return OfferProblem::new(
            format!(
                "the factory lab has no artifact source `{}` ({has})",
                artifact.source
            ),
            "fix the [[artifact]]'s source, or add the artifact source to the factory lab",
        );
    };
    let Some(offered) = source
        .artifacts
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(&artifact.name))
    else {
        let known: Vec<&str> = source.artifacts.iter().map(|a| a.name.as_str()).collect();
        let hint = crate::human::nearest(&artifact.name, &known)
            .map(|n| format!("; did you mean `{n}`?"))
            .unwrap_or_default();
        return OfferProblem::new(
            format!(
                "artifact source `{}` has no artifact `{}`{hint}",
                source.name, artifact.name
            ),
            "fix the [[artifact]]'s name in the definition",
        );
    };
    if let Some(o) = offered.os.as_deref()
        && !o.eq_ignore_ascii_case(os_name(os))
    {
        return OfferProblem::new(
            format!(
                "artifact `{}` is for {o}, and this image is {}",
                artifact.name,
                os_name(os)
            ),
            "remove it from the definition, or choose one for this OS",
        );
    }
    let unknown: Vec<&str> = artifact
        .parameters
        .keys()
        .filter(|k| {
            !offered
                .parameters
                .iter()
                .any(|p| p.name.eq_ignore_ascii_case(k))
        })
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        let has: Vec<&str> = offered.parameters.iter().map(|p| p.name.as_str()).collect();
        return OfferProblem::new(
            format!(
                "artifact `{}` has no parameter {} (it has: {})",
                artifact.name,
                unknown.join(", "),
                if has.is_empty() {
                    "none".to_string()
                } else {
                    has.join(", ")
                }
            ),
            "fix the names under [artifact.parameters]",
        );
    }
    let missing: Vec<&str> = offered
        .required()
        .filter(|p| {
            !artifact
                .parameters
                .iter()
                .any(|(k, v)| k.eq_ignore_ascii_case(p) && !v.trim().is_empty())
        })
        .collect();
    if missing.is_empty() {
        return None;
    }
    OfferProblem::new(
        format!(
            "artifact `{}` needs the {} {}",
            artifact.name,
            if missing.len() == 1 {
                "parameter"
            } else {
                "parameters"
            },
            missing.join(", ")
        ),
        "add them under [artifact.parameters]",
    )
}
