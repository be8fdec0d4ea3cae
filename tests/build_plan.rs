//! Properties of the build planner over generated factories (pure: no network): every image
//! goes to exactly the labs that subscribe to its path in the factory's region, names fit
//! Azure and never collide, the generalize artifact comes last, and every reason to stop the
//! run is a plan error before anything is created.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use imagefactory::arm::ResourceId;
use imagefactory::config::{
    ArtifactRef, AzureSettings, BaseImage, Defaults, FactoryConfig, ImageDefinition, ImagePath,
    LabRef, OsType, RetentionPolicy, TargetLab,
};
use imagefactory::factory::builder::plan::{ArtifactOffer, ArtifactSourceOffer, GalleryOffer};
use imagefactory::factory::builder::{FactoryOffer, RunId, Selection, plan};
use imagefactory::factory::inventory::{Image, Inventory, LabInventory, SubscriptionInventory};
#[path = "common/property.rs"]
mod property;

use property::Rng;
use proptest::prelude::*;
use time::OffsetDateTime;

const SUB: &str = "0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01";
const PATHS: [&str; 6] = [
    "win2022/base",
    "win2022/vs2022",
    "win2022core/base",
    "ubuntu2404/base",
    "Win2016/Datacenter",
    "win11/dev",
];

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_795_770_900).unwrap()
}

fn lab_ref(name: &str) -> LabRef {
    LabRef {
        subscription: SUB.into(),
        resource_group: "rg".into(),
        name: name.into(),
    }
}

/// A generated factory: its configuration, the estate, and what the factory lab offers.
struct Factory {
    config: FactoryConfig,
    inventory: Inventory,
    offer: FactoryOffer,
}

fn factory(seed: u64) -> Factory {
    let mut rng = Rng(seed | 1);
    let run = RunId::new(now(), 0);
    let mut labs = vec![("factory".to_string(), "westeurope".to_string())];
    for l in 0..1 + rng.below(5) {
        let region = if rng.chance(15) {
            "eastus"
        } else {
            "WestEurope"
        };
        labs.push((format!("lab{l}"), region.to_string()));
    }
    let present: Vec<bool> = labs.iter().map(|_| rng.chance(95)).collect();
    let lab_inventories: Vec<LabInventory> = labs
        .iter()
        .zip(present)
        .filter(|(_, here)| *here)
        .map(|((name, region), _)| {
            let id = lab_ref(name).id();
            let images = (0..rng.below(4))
                .map(|i| {
                    // Names a run at `now` would pick, so that collisions happen.
                    let path = PATHS[rng.below(PATHS.len() as u64) as usize];
                    let stem = path.to_ascii_lowercase().replace('/', "-");
                    let name = if rng.chance(50) {
                        format!("{stem}-{}", &run.as_str().replace('t', "")[..12])
                    } else {
                        format!("{stem}-old{i}")
                    };
                    Image {
                        id: ResourceId::new(format!("{id}/customimages/{name}")),
                        name,
                        image_path: Some(ImagePath::new(path)),
                        created: Some(now()),
                        os_type: None,
                        author: None,
                        description: None,
                        pin: None,
                        in_use: false,
                        provisioning_state: Some("Succeeded".into()),
                        tags: BTreeMap::new(),
                    }
                })
                .collect();
            let reader = rng.chance(5).then(|| "role allows */read".to_string());
            LabInventory {
                id: ResourceId::new(id),
                name: name.clone(),
                subscription_id: SUB.into(),
                resource_group: "rg".into(),
                location: region.clone(),
                role: None,
                images,
                vms: Vec::new(),
                formula_images: Vec::new(),
                complete: true,
                // A reader's role: it may neither make images nor delete them.
                denied: reader.clone(),
                build_denied: reader,
                subscription_refuses: None,
                reading: false,
            }
        })
        .collect();
    let defined: Vec<bool> = PATHS.iter().map(|_| rng.chance(80)).collect();
    let images: Vec<ImageDefinition> = PATHS
        .iter()
        .zip(defined)
        .filter(|(_, here)| *here)
        .map(|(p, _)| {
            let os = if p.starts_with("ubuntu") {
                OsType::Linux
            } else {
                OsType::Windows
            };
            let sku = if rng.chance(10) {
                "not-offered"
            } else {
                "2022-datacenter"
            };
            let mut d = ImageDefinition::new(
                ImagePath::new(p),
                os,
                BaseImage::latest("MicrosoftWindowsServer", "WindowsServer", sku),
            );
            if rng.chance(50) {
                let name = if rng.chance(10) {
                    "windows-chocolatey-typo"
                } else {
                    "windows-chocolatey"
                };
                let mut parameters = BTreeMap::new();
                if rng.chance(90) {
                    parameters.insert("packages".to_string(), "git".to_string());
                }
                d.artifacts.push(ArtifactRef {
                    source: "Public Repo".into(),
                    name: name.into(),
                    parameters,
                    secret: Vec::new(),
                });
            }
            if rng.chance(30) {
                d.size = Some("Standard_D8s_v5".into());
            }
            d
        })
        .collect();
    let targets = labs[1..]
        .iter()
        .map(|(name, _)| TargetLab {
            lab: lab_ref(name),
            image_paths: PATHS
                .iter()
                .filter(|_| rng.chance(40))
                .map(|p| ImagePath::new(p.split('/').next().unwrap()))
                .collect(),
        })
        .filter(|t| !t.image_paths.is_empty())
        .collect();
    let config = FactoryConfig {
        path: PathBuf::from("factory.toml"),
        factory: lab_ref("factory"),
        azure: AzureSettings::default(),
        build: Default::default(),
        defaults: Defaults {
            vm_size: "Standard_D4s_v5".into(),
            parallelism: 1 + rng.below(6) as usize,
        },
        retention: RetentionPolicy::default(),
        labs: targets,
        images,
    };
    let offer = FactoryOffer {
        gallery: vec![GalleryOffer {
            publisher: "MicrosoftWindowsServer".into(),
            offer: "WindowsServer".into(),
            sku: "2022-datacenter".into(),
            ..GalleryOffer::default()
        }],
        artifact_sources: vec![ArtifactSourceOffer {
            name: "Public Repo".into(),
            artifacts: vec![
                ArtifactOffer::named("windows-sysprep", &[]),
                ArtifactOffer::named("linux-deprovision", &[]),
                ArtifactOffer::named("windows-chocolatey", &["packages"]),
            ],
        }],
        vm_limit: rng.chance(30).then(|| rng.below(4) as usize),
        denied: rng.chance(5).then(|| "role allows */read".to_string()),
        no_subnet: None,
        bases: Vec::new(),
    };
    Factory {
        config,
        inventory: Inventory {
            subscriptions: vec![SubscriptionInventory {
                id: SUB.into(),
                name: "Sub".into(),
                state: "Enabled".into(),
                tenant: None,
                labs: lab_inventories,
            }],
            problems: Vec::new(),
            taken_at: now(),
        },
        offer,
    }
}

/// Whole path segments, without case, worked out here rather than with the library's own.
fn subscribes(prefix: &ImagePath, path: &ImagePath) -> bool {
    let want: Vec<String> = prefix.key().split('/').map(str::to_string).collect();
    let have: Vec<String> = path.key().split('/').map(str::to_string).collect();
    have.len() >= want.len() && have[..want.len()] == want[..]
}

fn cases() -> ProptestConfig {
    property::persisted(400, "tests/build_plan.proptest-regressions")
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn each_image_goes_to_exactly_the_labs_that_take_it(seed in any::<u64>()) {
        let f = factory(seed);
        let plan = plan(&f.config, &f.inventory, &f.offer, &Selection::All, RunId::new(now(), 0));
        let lab = |name: &str| f.inventory.labs().map(|(_, l)| l).find(|l| l.name == name);
        if lab("factory").is_none() {
            // Without the factory lab there is no region to compare with: that alone stops it.
            prop_assert!(plan.errors.iter().any(|e| e.message.contains("factory lab factory")));
            prop_assert!(!plan.is_runnable());
            return Ok(());
        }
        for definition in &f.config.images {
            let job = plan.jobs.iter().find(|j| j.path == definition.path);
            for target in &f.config.labs {
                let takes = target.image_paths.iter().any(|p| subscribes(p, &definition.path));
                let in_job = job.is_some_and(|j| j.targets.iter().any(|t| t.lab == target.lab));
                let skipped = plan.skipped.iter().any(|s| s.path == definition.path && s.lab.as_deref() == Some(target.lab.name.as_str()));
                let stopped = plan.errors.iter().any(|e| e.path.as_ref() == Some(&definition.path) && e.message.contains(&target.lab.name));
                if !takes {
                    prop_assert!(!in_job, "{} got {} without subscribing", target.lab.name, definition.path);
                    continue;
                }
                match lab(&target.lab.name) {
                    None => prop_assert!(skipped, "a missing lab is skipped with why"),
                    // A lab that refuses the identity is skipped, with why, wherever it is.
                    Some(l) if l.build_denied.is_some() => {
                        let refused = plan.skipped.iter().any(|s| s.refused && s.path == definition.path && s.lab.as_deref() == Some(l.name.as_str()));
                        prop_assert!(refused && !in_job && !stopped, "{} refuses: skipped, not an error", l.name)
                    }
                    Some(l) if !l.location.eq_ignore_ascii_case("westeurope") => {
                        prop_assert!(stopped && !in_job, "another region is a plan error: {}", l.name)
                    }
                    // A lab that can take it makes the job, and is in it.
                    Some(_) => prop_assert!(in_job, "{} should get {}", target.lab.name, definition.path),
                }
            }
            if job.is_none() {
                prop_assert!(
                    plan.skipped.iter().any(|s| s.path == definition.path && s.lab.is_none())
                        || plan.errors.iter().any(|e| e.path.as_ref() == Some(&definition.path)),
                    "{} is neither built nor said why", definition.path
                );
            }
        }
    }

    #[test]
    fn names_fit_azure_and_never_collide(seed in any::<u64>()) {
        let f = factory(seed);
        let plan = plan(&f.config, &f.inventory, &f.offer, &Selection::All, RunId::new(now(), 0));
        let mut vms = BTreeSet::new();
        for job in &plan.jobs {
            let max = match job.os { OsType::Windows => 15, OsType::Linux => 62 };
            prop_assert!(job.vm_name.len() <= max, "{}", job.vm_name);
            prop_assert!(job.vm_name.starts_with(|c: char| c.is_ascii_lowercase()));
            prop_assert!(!job.vm_name.ends_with('-'));
            prop_assert!(job.vm_name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
            prop_assert!(vms.insert(job.vm_name.clone()), "VM names repeat: {}", job.vm_name);
            prop_assert!(job.image_name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
            for target in &job.targets {
                let lab = f.inventory.labs().map(|(_, l)| l).find(|l| l.name == target.lab.name).unwrap();
                prop_assert!(
                    lab.images.iter().all(|i| !i.name.eq_ignore_ascii_case(&job.image_name)),
                    "{} already holds {}", lab.name, job.image_name
                );
            }
            // The generalize artifact, once, last.
            let last = job.artifacts.last().unwrap();
            let generalize = match job.os { OsType::Windows => "windows-sysprep", OsType::Linux => "linux-deprovision" };
            prop_assert_eq!(last.name.as_str(), generalize);
            prop_assert_eq!(job.artifacts.iter().filter(|a| a.name == generalize).count(), 1);
        }
        prop_assert!(plan.parallelism >= 1 && plan.parallelism <= f.config.defaults.parallelism.max(1));
    }

    #[test]
    fn every_reason_to_stop_is_a_plan_error(seed in any::<u64>()) {
        let f = factory(seed);
        let plan = plan(&f.config, &f.inventory, &f.offer, &Selection::All, RunId::new(now(), 0));
        let has_error = |text: &str| plan.errors.iter().any(|e| e.message.contains(text));
        for job in &plan.jobs {
            let d = f.config.images.iter().find(|d| d.path == job.path).unwrap();
            if d.base.sku == "not-offered" {
                prop_assert!(has_error("does not offer the base image"));
            }
            for a in &d.artifacts {
                if a.name == "windows-chocolatey-typo" {
                    prop_assert!(has_error("has no artifact `windows-chocolatey-typo`"));
                } else if !a.parameters.contains_key("packages") {
                    prop_assert!(has_error("needs the parameter packages"));
                }
            }
        }
        if f.offer.denied.is_some() {
            prop_assert!(has_error("cannot create VMs in the factory lab"));
        }
        if f.offer.vm_limit == Some(0) && !plan.jobs.is_empty() {
            prop_assert!(has_error("no room for a build VM"));
        }
        // The generated factory lab runs no VMs: any limit above zero leaves room.
        if f.offer.vm_limit.is_none_or(|limit| limit > 0) {
            prop_assert!(!has_error("no room for a build VM"));
        }
        prop_assert_eq!(plan.is_runnable(), plan.errors.is_empty() && !plan.jobs.is_empty());
        // The same inputs, the same plan.
        let again = imagefactory::factory::builder::plan(&f.config, &f.inventory, &f.offer, &Selection::All, RunId::new(now(), 0));
        prop_assert_eq!(&plan, &again);
    }
}

#[test]
fn an_unknown_path_is_an_error_with_a_suggestion() {
    let f = factory(3);
    let wanted = Selection::Paths(vec![ImagePath::new("win2022/vs2002")]);
    let plan = plan(
        &f.config,
        &f.inventory,
        &f.offer,
        &wanted,
        RunId::new(now(), 0),
    );
    let messages: Vec<&str> = plan.errors.iter().map(|e| e.message.as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("no image definition win2022/vs2002")),
        "{messages:?}"
    );
}

/// A generalize artifact in a definition's own list is a plan error (the factory applies it
/// last, by itself).
#[test]
fn a_generalize_artifact_in_a_definitions_list_is_a_plan_error() {
    let mut f = factory(3);
    let definition = &mut f.config.images[0];
    let path = definition.path.clone();
    definition.artifacts.insert(
        0,
        ArtifactRef {
            source: "Public Repo".into(),
            name: "Linux-Deprovision".into(),
            parameters: BTreeMap::new(),
            secret: Vec::new(),
        },
    );
    let plan = plan(
        &f.config,
        &f.inventory,
        &f.offer,
        &Selection::All,
        RunId::new(now(), 0),
    );
    assert!(
        plan.errors.iter().any(|e| e.path.as_ref() == Some(&path)
            && e.message
                .starts_with("artifact `Linux-Deprovision` generalizes the VM")),
        "{:?}",
        plan.errors
    );
    assert!(!plan.is_runnable());
}
