//! The setup's wizard on its own (pure: what Azure said is given as values): each step's
//! checks, what the answers make, and what is forgotten when an earlier answer changes.

use std::path::PathBuf;

use imagefactory::arm::{AuthMode, Principal};
use imagefactory::config::{self, LabRef};
use imagefactory::factory::builder::plan::{
    ArtifactOffer, ArtifactSourceOffer, FactoryOffer, GalleryOffer, ParameterOffer,
};
use imagefactory::factory::{Inventory, SubscriptionInventory};
use imagefactory::setup::{
    Access, ChosenArtifact, Field, LabChoice, Refusal, SignedIn, Step, SubscriptionChoice, Wizard,
    split_paths,
};

const SUB: &str = "0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01";
const READER: &str = "e3a9b0c2-8d17-4f5e-b6a4-9c0d1e2f3a03";

fn refusal() -> Access {
    Access::ReadOnly(Refusal {
        short: "role allows */read".into(),
        why: "the identity's role there allows only */read".into(),
        fix: "grant it Contributor on resource group rg".into(),
    })
}

fn lab(name: &str, location: &str, access: Access) -> LabChoice {
    LabChoice {
        lab: LabRef {
            subscription: SUB.into(),
            resource_group: format!("rg-{}", name.to_ascii_lowercase()),
            name: name.into(),
        },
        location: location.into(),
        subscription_name: "Imaging".into(),
        build: access.clone(),
        receive: access,
        paths: Vec::new(),
        images: 0,
    }
}

fn estate(subscriptions: &[&str]) -> Inventory {
    Inventory {
        subscriptions: subscriptions
            .iter()
            .map(|id| SubscriptionInventory {
                id: id.to_string(),
                name: id.to_string(),
                state: "Enabled".into(),
                tenant: None,
                labs: Vec::new(),
            })
            .collect(),
        problems: Vec::new(),
        taken_at: time::OffsetDateTime::UNIX_EPOCH,
    }
}

fn offer() -> FactoryOffer {
    let parameter = |name: &str, required: bool| ParameterOffer {
        name: name.into(),
        required,
        ..ParameterOffer::default()
    };
    let artifact = |name: &str, os: &str, parameters: Vec<ParameterOffer>| ArtifactOffer {
        name: name.into(),
        title: name.into(),
        os: Some(os.into()),
        parameters,
    };
    FactoryOffer {
        gallery: vec![
            GalleryOffer {
                publisher: "MicrosoftWindowsServer".into(),
                offer: "WindowsServer".into(),
                sku: "2022-datacenter-azure-edition".into(),
                os: Some("Windows".into()),
                title: "Windows Server 2022".into(),
            },
            GalleryOffer {
                publisher: "Canonical".into(),
                offer: "ubuntu-24_04-lts".into(),
                sku: "server".into(),
                os: Some("Linux".into()),
                title: "Ubuntu 24.04".into(),
            },
        ],
        artifact_sources: vec![ArtifactSourceOffer {
            name: "Public Repo".into(),
            artifacts: vec![
                artifact(
                    "windows-chocolatey",
                    "Windows",
                    vec![parameter("packages", true), parameter("source", false)],
                ),
                artifact("windows-sysprep", "Windows", vec![]),
                artifact("linux-deprovision", "Linux", vec![]),
                artifact(
                    "linux-apt-package",
                    "Linux",
                    vec![parameter("packages", true)],
                ),
            ],
        }],
        vm_limit: None,
        denied: None,
        no_subnet: None,
        bases: Vec::new(),
    }
}

/// A wizard signed in, with three labs (the factory, a target, one elsewhere) and one
/// read-only lab, every step before `upto` answered rightly.
fn wizard(upto: Step) -> Wizard {
    let mut w = Wizard::new(PathBuf::from("/nonexistent/setup"), Vec::new());
    if upto == Step::SignIn {
        return w;
    }
    w.signed_in(
        AuthMode::Cli,
        SignedIn {
            principal: Some(Principal {
                name: "ops@contoso.com".into(),
                object_id: None,
                tenant: Some("tenant-1".into()),
            }),
            subscriptions: vec![
                SubscriptionChoice {
                    id: SUB.into(),
                    name: "Imaging".into(),
                    tenant: None,
                    state: "Enabled".into(),
                    access: Access::Changes,
                },
                SubscriptionChoice {
                    id: READER.into(),
                    name: "Partners".into(),
                    tenant: None,
                    state: "Enabled".into(),
                    access: refusal(),
                },
            ],
        },
    );
    w.step = Step::Subscriptions;
    if upto == Step::Subscriptions {
        return w;
    }
    w.set_labs(
        Some(estate(&[SUB])),
        vec![
            lab("Factory", "westeurope", Access::Changes),
            lab("Dev", "westeurope", Access::Changes),
            lab("Far", "eastus", Access::Changes),
            lab("Locked", "westeurope", refusal()),
        ],
    );
    w.step = Step::Factory;
    if upto == Step::Factory {
        return w;
    }
    w.set_factory(0);
    w.step = Step::Targets;
    if upto == Step::Targets {
        return w;
    }
    w.targets.insert(1, "win2022".into());
    w.step = Step::Retention;
    if upto == Step::Retention {
        return w;
    }
    w.step = Step::Definition;
    let factory = w.labs[0].lab.clone();
    w.set_offer(factory, offer());
    w.definition_path = "win2022/base".into();
    if upto == Step::Definition {
        return w;
    }
    w.set_base(0);
    w.step = Step::Review;
    w
}

fn problem(w: &Wizard, step: Step) -> (Field, String) {
    let p = w.validate(step).expect_err("a problem");
    (p.field, p.message)
}

#[test]
fn signing_in_chooses_the_subscriptions_that_may_change_and_forgets_later_answers() {
    let w = wizard(Step::SignIn);
    assert_eq!(problem(&w, Step::SignIn).0, Field::Credential);
    let mut w = wizard(Step::Review);
    assert!(w.validate(Step::SignIn).is_ok());
    assert_eq!(w.subscriptions.iter().collect::<Vec<_>>(), [SUB]);
    // Signing in again (as another identity) forgets the labs and what the factory offered.
    let again = w.signed_in.clone().unwrap();
    w.signed_in(AuthMode::ManagedIdentity, again);
    assert!(w.labs.is_empty());
    assert!(w.offer.is_none());
    assert_eq!(w.auth, Some(AuthMode::ManagedIdentity));
    let mut empty = wizard(Step::Subscriptions);
    empty.signed_in.as_mut().unwrap().subscriptions.clear();
    assert!(
        problem(&empty, Step::SignIn)
            .1
            .contains("sees no subscription")
    );
}

#[test]
fn subscriptions_and_labs_must_be_chosen_and_read_for_the_choice() {
    let mut w = wizard(Step::Subscriptions);
    assert!(w.validate(Step::Subscriptions).is_ok());
    w.subscriptions.clear();
    assert_eq!(problem(&w, Step::Subscriptions).0, Field::Subscriptions);
    let mut w = wizard(Step::Targets);
    assert!(w.validate(Step::Factory).is_ok());
    // The labs were read for one subscription; two chosen now: they must be read again.
    w.subscriptions.insert(READER.into());
    assert_eq!(
        problem(&w, Step::Factory).1,
        "the labs of the chosen subscriptions are not read yet"
    );
    // As many chosen as were read, but not the same ones.
    w.subscriptions.remove(SUB);
    assert_eq!(
        problem(&w, Step::Factory).1,
        "the labs of the chosen subscriptions are not read yet"
    );
}

#[test]
fn the_factory_must_be_chosen_and_may_not_be_a_lab_the_identity_only_reads() {
    let mut w = wizard(Step::Factory);
    assert_eq!(
        problem(&w, Step::Factory).1,
        "choose the lab where images are built"
    );
    w.set_factory(3);
    assert_eq!(
        problem(&w, Step::Factory).1,
        "Locked cannot be the factory lab, which needs the right to create VMs: the identity's role there allows only */read; grant it Contributor on resource group rg, or choose another lab"
    );
    w.set_factory(0);
    assert!(w.validate(Step::Factory).is_ok());
    let mut none = wizard(Step::Factory);
    none.set_labs(Some(estate(&[SUB])), Vec::new());
    assert!(
        problem(&none, Step::Factory)
            .1
            .starts_with("the chosen subscriptions have no DevTest Labs")
    );
}

#[test]
fn targets_must_be_writable_in_the_factorys_region_with_paths() {
    let mut w = wizard(Step::Targets);
    assert_eq!(problem(&w, Step::Targets).0, Field::Targets);
    w.definition_path = "ubuntu/base".into();
    w.toggle_target(1);
    assert_eq!(
        w.targets[&1], "ubuntu",
        "a first target gets the folder of the image's path"
    );
    w.toggle_target(1);
    w.definition_path.clear();
    w.toggle_target(1);
    assert_eq!(w.targets[&1], "win2022", "or a default");
    w.targets.insert(1, "win2022/vs2022".into());
    assert_eq!(
        w.suggested_path(),
        "win2022/vs2022",
        "a path with a folder is a name already"
    );
    w.targets.insert(1, "ubuntu".into());
    w.toggle_target(2);
    assert_eq!(w.targets[&2], "ubuntu", "the next gets another's paths");
    assert_eq!(
        problem(&w, Step::Targets),
        (
            Field::TargetPaths(2),
            "Far is in eastus, the factory lab in westeurope: images are copied within a region; leave it out, or choose a factory lab in eastus".into()
        )
    );
    w.toggle_target(2);
    assert!(!w.targets.contains_key(&2), "toggling again unmarks");
    w.toggle_target(3);
    assert_eq!(problem(&w, Step::Targets).0, Field::TargetPaths(3));
    w.toggle_target(3);
    w.targets.insert(1, " , ".into());
    assert_eq!(problem(&w, Step::Targets).0, Field::TargetPaths(1));
    w.targets.insert(1, "win2022, ../x".into());
    assert!(
        problem(&w, Step::Targets)
            .1
            .starts_with("`../x` is not an image path")
    );
    w.targets.insert(1, "win2022, ubuntu2404/base".into());
    assert!(w.validate(Step::Targets).is_ok());
    assert_eq!(
        split_paths("win2022, ubuntu2404/base ,,")
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>(),
        ["win2022", "ubuntu2404/base"]
    );
}

#[test]
fn retention_answers_are_counts_and_ages() {
    let mut w = wizard(Step::Retention);
    let policy = w.retention_policy().unwrap();
    assert_eq!(policy, config::RetentionPolicy::default());
    for (keep, ok) in [
        ("0", false),
        ("1", true),
        ("1000", true),
        ("1001", false),
        ("x", false),
        ("99999999999999999999", false),
    ] {
        w.retention.keep_latest = keep.into();
        assert_eq!(w.validate(Step::Retention).is_ok(), ok, "{keep}");
    }
    w.retention.keep_latest = "0".into();
    assert_eq!(
        problem(&w, Step::Retention).1,
        "`0` is not a count of 1 or more: the newest image of a path is always kept"
    );
    w.retention.keep_latest = "1001".into();
    assert_eq!(
        problem(&w, Step::Retention).1,
        "1001 is more than 1000 images of a path per lab: keep fewer"
    );
    w.retention.keep_latest = " 3 ".into();
    w.retention.min_age = "36h".into();
    w.retention.retire_unsubscribed = true;
    let policy = w.retention_policy().unwrap();
    assert_eq!(policy.keep_latest, 3);
    assert_eq!(policy.min_age, std::time::Duration::from_secs(36 * 3600));
    assert!(policy.retire_unsubscribed);
    w.retention.min_age = "7x".into();
    assert_eq!(problem(&w, Step::Retention).0, Field::MinAge);
}

/// A base Compute says is Generation 2 is refused where it is chosen: the VHD way cannot carry
/// its generation (see `factory::builder::generation`).
#[test]
fn a_generation_2_base_is_refused_where_it_is_chosen() {
    let mut w = wizard(Step::Definition);
    w.set_base(0);
    assert!(w.validate(Step::Definition).is_ok());
    let chosen = w.base_image().unwrap().clone();
    let base = config::BaseImage::latest(&chosen.publisher, &chosen.offer, &chosen.sku);
    let facts = |generation| {
        Ok(imagefactory::factory::builder::generation::BaseFacts {
            version: "2024.11.12".into(),
            generation,
        })
    };
    use imagefactory::factory::builder::generation::Generation;
    w.offer.as_mut().unwrap().bases = vec![(base.clone(), facts(Generation::V2))];
    let (field, message) = problem(&w, Step::Definition);
    assert_eq!(field, Field::Base);
    assert!(
        message.contains("is Generation 2 (hyperVGeneration V2, version 2024.11.12)"),
        "{message}"
    );
    w.offer.as_mut().unwrap().bases = vec![(base, facts(Generation::V1))];
    assert!(w.validate(Step::Definition).is_ok());
}

#[test]
fn the_first_image_lives_under_what_every_target_receives_from_a_base_the_lab_offers() {
    let mut w = wizard(Step::Definition);
    assert_eq!(w.suggested_path(), "win2022/base");
    assert_eq!(problem(&w, Step::Definition).0, Field::Base);
    w.set_base(0);
    assert!(w.validate(Step::Definition).is_ok());
    for (path, field) in [
        ("", Field::DefinitionPath),
        ("../win2022/base", Field::DefinitionPath),
        ("win2022/ba:se", Field::DefinitionPath),
        ("ubuntu/base", Field::DefinitionPath),
    ] {
        w.definition_path = path.into();
        assert_eq!(problem(&w, Step::Definition).0, field, "{path}");
    }
    w.definition_path = "win2022/base".into();
    w.targets.insert(1, "win2022, ubuntu".into());
    assert!(
        problem(&w, Step::Definition)
            .1
            .starts_with("Dev also receives ubuntu")
    );
    w.targets.insert(1, "win2022".into());
    // An offer read for another lab is not this factory's.
    let other = w.labs[1].lab.clone();
    w.offer_for = Some(other);
    assert!(
        problem(&w, Step::Definition)
            .1
            .starts_with("what the factory lab offers is not read yet")
    );
    w.offer_for = Some(w.labs[0].lab.clone());
    assert!(w.validate(Step::Definition).is_ok());
    w.set_factory(1);
    assert!(
        w.offer.is_none(),
        "choosing another factory forgets what the first offered"
    );
    assert!(
        problem(&w, Step::Definition)
            .1
            .starts_with("what the factory lab offers is not read yet")
    );
}

#[test]
fn artifacts_are_checked_for_their_parameters_and_os() {
    let mut w = wizard(Step::Review);
    w.artifacts.push(ChosenArtifact {
        source: "Public Repo".into(),
        name: "windows-chocolatey".into(),
        parameters: Default::default(),
    });
    assert_eq!(
        problem(&w, Step::Definition),
        (
            Field::Parameter(0, "packages".into()),
            "windows-chocolatey needs packages".into()
        )
    );
    w.artifacts[0]
        .parameters
        .insert("packages".into(), "  ".into());
    assert_eq!(
        problem(&w, Step::Definition).0,
        Field::Parameter(0, "packages".into())
    );
    w.artifacts[0]
        .parameters
        .insert("packages".into(), "git".into());
    assert!(w.validate(Step::Definition).is_ok());
    w.artifacts[0]
        .parameters
        .insert("colour".into(), "red".into());
    assert!(
        problem(&w, Step::Definition)
            .1
            .starts_with("artifact `windows-chocolatey` has no parameter colour")
    );
    w.artifacts[0].parameters.remove("colour");
    // Choosing a Linux base drops the Windows artifact (it could not be applied).
    w.set_base(1);
    assert!(w.artifacts.is_empty());
    w.artifacts.push(ChosenArtifact {
        source: "Public Repo".into(),
        name: "windows-chocolatey".into(),
        parameters: [("packages".to_string(), "git".to_string())].into(),
    });
    assert!(
        problem(&w, Step::Definition)
            .1
            .starts_with("artifact `windows-chocolatey` is for Windows, and this image is Linux")
    );
}

#[test]
fn the_answers_make_a_configuration_that_loads_back_the_same() {
    let mut w = wizard(Step::Review);
    w.artifacts.push(ChosenArtifact {
        source: "Public Repo".into(),
        name: "windows-chocolatey".into(),
        parameters: [
            ("packages".to_string(), " git ".to_string()),
            ("source".to_string(), "".to_string()),
        ]
        .into(),
    });
    let config = w.configuration().unwrap();
    assert_eq!(config.factory.name, "Factory");
    assert_eq!(config.azure.auth, Some(AuthMode::Cli));
    assert_eq!(config.labs.len(), 1);
    let d = &config.images[0];
    assert_eq!(d.base.sku, "2022-datacenter-azure-edition");
    assert_eq!(d.description, "Windows Server 2022");
    assert_eq!(
        d.artifacts[0].parameters,
        [("packages".to_string(), "git".to_string())].into(),
        "values are trimmed and empty ones left out"
    );
    let files = w.files().unwrap();
    assert_eq!(files.len(), 2);
    assert!(
        !files[0].text.contains("ops@contoso.com"),
        "who signed in is not written"
    );
    let dir = tempfile::tempdir().unwrap();
    w.dir = dir.path().to_path_buf();
    let files = w.files().unwrap();
    config::write::write(dir.path(), &files, false).unwrap();
    let loaded = config::load(&dir.path().join("factory.toml")).unwrap();
    assert_eq!(loaded, w.configuration().unwrap());
    // Now the files exist: the last step wants leave to overwrite them.
    assert_eq!(problem(&w, Step::Review).0, Field::Files);
    w.overwrite = true;
    assert!(w.validate(Step::Review).is_ok());
    assert_eq!(w.first_problem(), None);
}

#[test]
fn advancing_goes_on_only_when_the_step_is_answered() {
    let mut w = wizard(Step::Factory);
    assert!(w.advance().is_err());
    assert_eq!(w.step, Step::Factory);
    w.set_factory(0);
    assert_eq!(w.advance().unwrap(), Step::Targets);
    assert_eq!(w.first_problem().map(|(s, _)| s), Some(Step::Targets));
    assert_eq!(Step::Review.next(), None);
    let titles: Vec<&str> = Step::ALL.iter().map(|s| s.title()).collect();
    assert_eq!(
        titles,
        [
            "Sign in",
            "Subscriptions",
            "Factory lab",
            "Target labs",
            "Retention",
            "First image",
            "Write"
        ]
    );
    assert_eq!(Step::SignIn.previous(), None);
    assert_eq!(Step::Targets.previous(), Some(Step::Factory));
}

#[test]
fn the_retention_preview_counts_what_the_policy_would_retire_in_the_targets_only() {
    use imagefactory::arm::ResourceId;
    use imagefactory::factory::inventory::{Image, LabInventory};
    let now = time::macros::datetime!(2026-11-20 12:00 UTC);
    let lab_of = |l: &LabChoice, days: &[i64]| {
        let id = format!(
            "/subscriptions/{SUB}/resourceGroups/{}/providers/Microsoft.DevTestLab/labs/{}",
            l.lab.resource_group, l.lab.name
        );
        LabInventory {
            id: ResourceId::new(id.clone()),
            name: l.lab.name.clone(),
            subscription_id: SUB.into(),
            resource_group: l.lab.resource_group.clone(),
            location: l.location.clone(),
            role: None,
            images: days
                .iter()
                .map(|d| Image {
                    id: ResourceId::new(format!("{id}/customimages/img-{d}")),
                    name: format!("img-{d}"),
                    image_path: Some(config::ImagePath::new("win2022/base")),
                    created: Some(now - time::Duration::days(*d)),
                    os_type: Some("Windows".into()),
                    author: None,
                    description: None,
                    pin: None,
                    in_use: false,
                    provisioning_state: Some("Succeeded".into()),
                    tags: Default::default(),
                })
                .collect(),
            vms: Vec::new(),
            formula_images: Vec::new(),
            complete: true,
            denied: None,
            build_denied: None,
            subscription_refuses: None,
            reading: false,
        }
    };
    let mut w = wizard(Step::Retention);
    let mut inventory = estate(&[SUB]);
    inventory.subscriptions[0].labs = vec![
        lab_of(&w.labs[0], &[1, 2, 3, 4, 5]),
        lab_of(&w.labs[1], &[10, 20, 30, 40]),
        lab_of(&w.labs[2], &[10, 20, 30]),
    ];
    let labs = w.labs.clone();
    w.set_labs(Some(inventory), labs);
    // Keep 2, none younger than a week: Dev retires its 30- and 40-day-old images; the
    // factory lab and Far receive nothing and are not in the preview.
    let preview = w.retention_preview(now).unwrap();
    assert_eq!(preview.labs.len(), 1);
    assert_eq!(
        (
            preview.labs[0].lab.as_str(),
            preview.labs[0].retire,
            preview.labs[0].images
        ),
        ("Dev", 2, 4)
    );
    assert_eq!((preview.retire(), preview.images()), (2, 4));
    w.retention.min_age = "25d".into();
    assert_eq!(w.retention_preview(now).unwrap().retire(), 2);
    w.retention.min_age = "35d".into();
    assert_eq!(w.retention_preview(now).unwrap().retire(), 1);
    w.retention.keep_latest = "0".into();
    assert!(w.retention_preview(now).is_err());
}

#[test]
fn choices_follow_their_labs_and_offers_when_they_are_read_again() {
    let mut w = wizard(Step::Review);
    // The labs read again, in another order, and without Far: the factory and the target
    // follow their labs.
    let labs = vec![w.labs[3].clone(), w.labs[1].clone(), w.labs[0].clone()];
    w.targets.insert(2, "win2022".into());
    w.set_labs(Some(estate(&[SUB])), labs);
    assert_eq!(w.factory, Some(2));
    assert_eq!(
        w.targets.keys().copied().collect::<Vec<_>>(),
        [1],
        "Far is gone"
    );
    // The offer read again, its gallery in another order and one artifact no longer there:
    // the base follows its image; artifacts not offered (or from another source) are dropped.
    let chocolatey = |source: &str| ChosenArtifact {
        source: source.into(),
        name: "windows-chocolatey".into(),
        parameters: [("packages".to_string(), "git".to_string())].into(),
    };
    w.artifacts = vec![
        chocolatey("Public Repo"),
        chocolatey("Other Repo"),
        ChosenArtifact {
            source: "Public Repo".into(),
            name: "windows-sysprep".into(),
            parameters: Default::default(),
        },
    ];
    assert_eq!(
        w.parameters(),
        [
            (0, "packages".to_string(), true),
            (0, "source".to_string(), false)
        ],
        "the parameters of the chosen artifacts that are offered"
    );
    let mut again = offer();
    again.gallery.reverse();
    again.artifact_sources[0]
        .artifacts
        .retain(|a| a.name != "windows-sysprep");
    let factory = w.labs[2].lab.clone();
    w.set_offer(factory, again);
    assert_eq!(w.base, Some(1));
    assert_eq!(w.base_image().unwrap().sku, "2022-datacenter-azure-edition");
    assert_eq!(
        w.artifacts
            .iter()
            .map(|a| (a.source.as_str(), a.name.as_str()))
            .collect::<Vec<_>>(),
        [("Public Repo", "windows-chocolatey")]
    );
    // A Linux base keeps the Linux artifacts chosen.
    w.artifacts = vec![ChosenArtifact {
        source: "Public Repo".into(),
        name: "linux-apt-package".into(),
        parameters: [("packages".to_string(), "git".to_string())].into(),
    }];
    w.set_base(0);
    assert_eq!(w.os(), config::OsType::Linux);
    assert_eq!(w.artifacts.len(), 1);
}
