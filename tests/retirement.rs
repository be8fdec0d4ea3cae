//! Retirement end to end against the emulator: the plan is applied exactly, and anything that
//! changed between plan and apply is skipped, not deleted.

mod common;

use std::collections::BTreeSet;
use std::sync::Mutex;

use common::*;
use imagefactory::arm::ArmClient;
use imagefactory::config::{self, FactoryConfig};
use imagefactory::factory::audit::{Actor, AuditLog};
use imagefactory::factory::retire::{self, RetireOutcome, RetireResult};
use imagefactory::factory::{Inventory, RetentionPlan, RetentionState, retention};
use imagefactory::sim::SimHandle;
use time::OffsetDateTime;

fn sample_config() -> FactoryConfig {
    config::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/factory/factory.toml"),
    )
    .unwrap()
}

fn image_ids(sim: &SimHandle) -> BTreeSet<String> {
    sim.with_world(|w| {
        w.labs()
            .flat_map(|(_, l)| l.images.iter().map(|i| i.id.to_ascii_lowercase()))
            .collect()
    })
}

struct Run {
    outcomes: Vec<RetireOutcome>,
    heard: usize,
    audit_lines: Vec<serde_json::Value>,
}

async fn apply(
    client: &ArmClient,
    inventory: &Inventory,
    config: &FactoryConfig,
    plan: &RetentionPlan,
) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let audit = AuditLog::open(dir.path()).unwrap();
    let actor = Actor::current(client).await;
    let heard = Mutex::new(0);
    let targets = retire::targets_from_plan(plan);
    let outcomes = retire::apply(
        client,
        inventory,
        Some(config),
        &targets,
        plan.now,
        &audit,
        &actor,
        &imagefactory::factory::Cancel::new(),
        &|_| *heard.lock().unwrap() += 1,
    )
    .await;
    let audit_lines = std::fs::read_to_string(audit.path())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    Run {
        outcomes,
        heard: heard.into_inner().unwrap(),
        audit_lines,
    }
}

fn retired(outcomes: &[RetireOutcome]) -> BTreeSet<String> {
    outcomes
        .iter()
        .filter(|o| matches!(o.result, RetireResult::Retired))
        .map(|o| o.image.key())
        .collect()
}

/// The outcome for an image, by id: names repeat across labs.
fn outcome<'a>(
    outcomes: &'a [RetireOutcome],
    image: &imagefactory::arm::ResourceId,
) -> &'a RetireOutcome {
    outcomes
        .iter()
        .find(|o| &o.image == image)
        .unwrap_or_else(|| panic!("no outcome for {image}"))
}

async fn planned(sim: &SimHandle, config: &FactoryConfig) -> (ArmClient, Inventory, RetentionPlan) {
    let client = client(sim);
    let inventory = Inventory::refresh(&client, Some(config)).await.unwrap();
    let plan = retention::plan(&inventory, Some(config), OffsetDateTime::now_utc());
    (client, inventory, plan)
}

#[tokio::test]
async fn applying_the_plan_removes_exactly_the_planned_images() {
    let sim = start(demo_world(), fast()).await;
    let config = sample_config();
    let (client, inventory, plan) = planned(&sim, &config).await;
    // What applying takes on: everything due, less the labs where the identity cannot delete
    // (the reader-only subscription), which are held back rather than tried.
    let due: BTreeSet<String> = retire::targets_from_plan(&plan)
        .iter()
        .map(|t| t.image.key())
        .collect();
    assert!(
        due.len() > 40,
        "the demo world has plenty to retire: {}",
        due.len()
    );
    let held_back: Vec<&str> = plan
        .held_back()
        .map(|(l, _, _)| l.lab_name.as_str())
        .collect();
    assert_eq!(held_back, ["Partner-NorthEurope"]);
    let before = image_ids(&sim);
    let run = apply(&client, &inventory, &config, &plan).await;
    let after = image_ids(&sim);

    let gone: BTreeSet<String> = before.difference(&after).cloned().collect();
    assert_eq!(
        gone,
        retired(&run.outcomes),
        "exactly the retired images are gone, nothing else"
    );
    let not_retired: BTreeSet<String> = run
        .outcomes
        .iter()
        .filter(|o| !matches!(o.result, RetireResult::Retired))
        .map(|o| o.image.key())
        .collect();
    assert_eq!(
        gone,
        due.difference(&not_retired).cloned().collect(),
        "deleted = planned - skipped - failed"
    );
    // The reader-only subscription was held back, so nothing was tried there and nothing failed.
    assert!(failed_ids(&run.outcomes).is_empty(), "no 403s collected");
    assert!(run.outcomes.iter().all(|o| o.lab != "Partner-NorthEurope"));
    assert_eq!(
        run.heard,
        due.len(),
        "every image was reported as it settled"
    );
    assert_eq!(
        run.audit_lines.len(),
        due.len(),
        "every attempt is in the audit log"
    );
    let line = &run.audit_lines[0];
    for key in ["at", "who", "action", "image", "lab", "why", "result"] {
        assert!(!line[key].is_null(), "audit line has {key}: {line}");
    }

    // The inventory afterwards agrees, and a new plan has nothing left but the held-back ones.
    let (_, inventory, replan) = planned(&sim, &config).await;
    let left: BTreeSet<String> = replan.to_retire().map(|(_, d)| d.image.key()).collect();
    let held: BTreeSet<String> = plan
        .to_retire()
        .filter(|(l, _)| l.denied.is_some())
        .map(|(_, d)| d.image.key())
        .collect();
    assert!(!held.is_empty());
    assert_eq!(left, held);
    assert_eq!(
        inventory.labs().map(|(_, l)| l.images.len()).sum::<usize>(),
        after.len()
    );
}

fn failed_ids(outcomes: &[RetireOutcome]) -> BTreeSet<String> {
    outcomes
        .iter()
        .filter(|o| matches!(o.result, RetireResult::Failed(_)))
        .map(|o| o.image.key())
        .collect()
}

#[tokio::test]
async fn applying_the_same_plan_twice_deletes_nothing_the_second_time() {
    let sim = start(demo_world(), fast()).await;
    let config = sample_config();
    let (client, inventory, plan) = planned(&sim, &config).await;
    let first = apply(&client, &inventory, &config, &plan).await;
    assert!(!retired(&first.outcomes).is_empty());
    let before = image_ids(&sim);
    let second = apply(&client, &inventory, &config, &plan).await;
    assert!(retired(&second.outcomes).is_empty());
    assert_eq!(image_ids(&sim), before);
    assert!(
        second
            .outcomes
            .iter()
            .filter(|o| matches!(o.result, RetireResult::Skipped(_)))
            .all(|o| o.result.detail().unwrap() == "already gone")
    );
}

#[tokio::test]
async fn an_image_pinned_between_plan_and_apply_survives() {
    let sim = start(demo_world(), fast()).await;
    let config = sample_config();
    let (client, inventory, plan) = planned(&sim, &config).await;
    let (_, victim) = plan
        .to_retire()
        .find(|(l, _)| l.lab_name == "Dev-WestEurope")
        .unwrap();
    let victim_name = victim.name.clone();
    change_lab(&sim, IMAGING, "rg-dev-we", "Dev-WestEurope", |lab| {
        let image = lab
            .images
            .iter_mut()
            .find(|i| i.name == victim_name)
            .unwrap();
        image
            .tags
            .get_or_insert_default()
            .insert("ImageFactoryPin".into(), "pinned by carol mid-run".into());
    });
    let run = apply(&client, &inventory, &config, &plan).await;
    let o = outcome(&run.outcomes, &victim.image);
    assert!(
        matches!(&o.result, RetireResult::Skipped(why) if why.contains("now pinned")),
        "{:?}",
        o.result
    );
    assert!(
        image_ids(&sim).contains(&victim.image.key()),
        "the pinned image is still there"
    );
}

/// Plans, lets `put_in_use` make the first due image of Eng-WestEurope used (by name `user`),
/// applies the old plan, and checks that image was skipped as in use and is still there.
async fn a_user_made_after_the_plan_protects_its_image(
    user: &str,
    put_in_use: impl FnOnce(&mut imagefactory::sim::world::SimLab, String),
) {
    let sim = start(demo_world(), fast()).await;
    let config = sample_config();
    let (client, inventory, plan) = planned(&sim, &config).await;
    let (_, victim) = plan
        .to_retire()
        .find(|(l, _)| l.lab_name == "Eng-WestEurope")
        .unwrap();
    change_lab(&sim, ENGINEERING, "rg-eng-we", "Eng-WestEurope", |lab| {
        put_in_use(lab, victim.image.to_string())
    });
    let run = apply(&client, &inventory, &config, &plan).await;
    let o = outcome(&run.outcomes, &victim.image);
    assert!(
        matches!(&o.result, RetireResult::Skipped(why) if why.contains("now in_use") && why.contains(user)),
        "{:?}",
        o.result
    );
    assert!(image_ids(&sim).contains(&victim.image.key()));
}

#[tokio::test]
async fn a_vm_made_from_an_image_after_the_plan_protects_it() {
    a_user_made_after_the_plan_protects_its_image("late-vm", |lab, image| {
        let vm = imagefactory::sim::world::new_vm(
            lab,
            "late-vm",
            "Windows",
            Some(image),
            OffsetDateTime::now_utc(),
        );
        lab.vms.push(vm);
    })
    .await;
}

#[tokio::test]
async fn a_formula_made_from_an_image_after_the_plan_protects_it() {
    a_user_made_after_the_plan_protects_its_image("formula", |lab, image| {
        let content = imagefactory::sim::world::new_vm(
            lab,
            "late-formula",
            "Windows",
            Some(image),
            OffsetDateTime::now_utc(),
        );
        lab.formulas.push(imagefactory::arm::wire::Formula {
            id: format!("{}/formulas/late-formula", lab.child_prefix()),
            name: "late-formula".into(),
            location: None,
            properties: imagefactory::arm::wire::FormulaProperties {
                formula_content: Some(content),
                ..Default::default()
            },
        });
    })
    .await;
}

#[tokio::test]
async fn when_a_newer_image_vanishes_the_older_one_is_kept() {
    let sim = start(demo_world(), fast()).await;
    let config = sample_config();
    let (client, inventory, plan) = planned(&sim, &config).await;
    // Training keeps 3 of win11/dev and retires the 4th; take away the newest before applying.
    let lab_plan = plan.labs.iter().find(|l| l.lab_name == "Training").unwrap();
    let victim = lab_plan
        .decisions
        .iter()
        .find(|d| {
            d.state == imagefactory::factory::RetentionState::Retire
                && d.image_path.as_ref().unwrap().as_str() == "win11/dev"
        })
        .unwrap();
    let newest = lab_plan
        .decisions
        .iter()
        .find(|d| {
            d.state == imagefactory::factory::RetentionState::Current
                && d.image_path == victim.image_path
        })
        .unwrap()
        .name
        .clone();
    change_lab(&sim, ENGINEERING, "rg-training", "Training", |lab| {
        lab.images.retain(|i| i.name != newest)
    });
    let run = apply(&client, &inventory, &config, &plan).await;
    let o = outcome(&run.outcomes, &victim.image);
    assert!(
        matches!(&o.result, RetireResult::Skipped(why) if why.contains("now kept")),
        "{:?}",
        o.result
    );
    assert!(image_ids(&sim).contains(&victim.image.key()));
}

#[tokio::test]
async fn a_conflict_skips_that_image_and_the_rest_goes_on() {
    let sim = start(demo_world(), fast()).await;
    let mut config = sample_config();
    // Without protection, an image a VM is being made from stays due, and Azure refuses with 409.
    config.retention.protect_in_use = false;
    let (_, _, first) = planned(&sim, &config).await;
    let (_, victim) = first
        .to_retire()
        .find(|(l, _)| l.lab_name == "Dev-WestEurope")
        .unwrap();
    let victim_id = victim.image.to_string();
    change_lab(&sim, IMAGING, "rg-dev-we", "Dev-WestEurope", |lab| {
        let mut vm = imagefactory::sim::world::new_vm(
            lab,
            "being-made",
            "Windows",
            Some(victim_id),
            OffsetDateTime::now_utc(),
        );
        vm.properties.provisioning_state = Some("Creating".into());
        lab.vms.push(vm);
    });
    let (client, inventory, mut plan) = planned(&sim, &config).await;
    plan.labs.retain(|l| l.lab_name == "Dev-WestEurope");
    let due = plan.to_retire().count();
    let run = apply(&client, &inventory, &config, &plan).await;
    let o = outcome(&run.outcomes, &victim.image);
    let RetireResult::Failed(e) = &o.result else {
        panic!("expected the delete to fail: {:?}", o.result)
    };
    assert_eq!(e.status(), Some(409));
    assert_eq!(
        e.code(),
        Some("OperationNotAllowedOnVMImageAsVMsBeingProvisioned")
    );
    assert_eq!(
        retired(&run.outcomes).len(),
        due - 1,
        "every other image was retired"
    );
    assert!(image_ids(&sim).contains(&victim.image.key()));
}

#[tokio::test]
async fn read_only_mode_retires_nothing() {
    let sim = start(demo_world(), fast()).await;
    let config = sample_config();
    let mut options = client_options(&sim);
    options.read_only = true;
    let client = client_with(&sim, options);
    let inventory = Inventory::refresh(&client, Some(&config)).await.unwrap();
    let plan = retention::plan(&inventory, Some(&config), OffsetDateTime::now_utc());
    let before = image_ids(&sim);
    let run = apply(&client, &inventory, &config, &plan).await;
    assert_eq!(image_ids(&sim), before);
    assert!(run.outcomes.iter().all(|o| matches!(
        &o.result,
        RetireResult::Failed(imagefactory::arm::ArmError::ReadOnly { .. })
    )));
}

mod generated {
    //! Properties of applying plans on generated fleets with random policies.

    use super::*;
    use imagefactory::config::{
        AzureSettings, BaseImage, Defaults, ImageDefinition, ImagePath, LabRef, OsType,
        RetentionPolicy, TargetLab,
    };
    use imagefactory::sim::{self, SimOptions};
    use proptest::prelude::*;

    const PATHS: [&str; 8] = [
        "win2022/base",
        "win2022/vs2022",
        "win2019/sql2019",
        "win11/dev",
        "ubuntu2404/base",
        "ubuntu2204/docker",
        "rhel9/base",
        "Win2016/Datacenter",
    ];

    fn config_for(
        sim: &SimHandle,
        policy: RetentionPolicy,
        removed: usize,
        subscribed: &[bool],
    ) -> FactoryConfig {
        let labs: Vec<LabRef> = sim.with_world(|w| {
            w.labs()
                .map(|(s, l)| LabRef {
                    subscription: s.id.clone(),
                    resource_group: l.resource_group.clone(),
                    name: l.lab.name.clone(),
                })
                .collect()
        });
        let definition = |p: &str| {
            ImageDefinition::new(
                ImagePath::new(p),
                OsType::Windows,
                BaseImage::latest("p", "o", "s"),
            )
        };
        let image_paths: Vec<ImagePath> = PATHS
            .iter()
            .zip(subscribed)
            .filter(|(_, s)| **s)
            .map(|(p, _)| ImagePath::new(p))
            .collect();
        FactoryConfig {
            path: "factory.toml".into(),
            factory: labs[0].clone(),
            azure: AzureSettings::default(),
            build: Default::default(),
            defaults: Defaults {
                vm_size: "Standard_D2s_v5".into(),
                parallelism: 2,
            },
            retention: policy,
            labs: labs[1..]
                .iter()
                .map(|l| TargetLab {
                    lab: l.clone(),
                    image_paths: image_paths.clone(),
                })
                .collect(),
            images: PATHS
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != removed)
                .map(|(_, p)| definition(p))
                .collect(),
        }
    }

    proptest! {
        // Failing seeds are kept in the repository and replayed for ever.
        #![proptest_config(ProptestConfig {
            cases: 12,
            failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct(
                "tests/retirement.proptest-regressions",
            ))),
            ..ProptestConfig::default()
        })]

        #[test]
        fn applying_deletes_the_plan_less_what_was_skipped_and_twice_deletes_nothing(
            seed in any::<u64>(),
            keep in 1usize..4,
            min_age_days in 0u64..30,
            protect in any::<bool>(),
            retire_removed in any::<bool>(),
            retire_unsubscribed in any::<bool>(),
            removed in 0usize..8,
            subscribed in proptest::collection::vec(any::<bool>(), 8),
        ) {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(async {
                let now = OffsetDateTime::now_utc();
                let world = sim::world::generate("generate:2x3x24", seed, now).unwrap();
                let sim = start(world, SimOptions { seed, ..fast() }).await;
                let policy = RetentionPolicy {
                    keep_latest: keep,
                    min_age: std::time::Duration::from_secs(min_age_days * 86_400),
                    protect_in_use: protect,
                    retire_removed_definitions: retire_removed,
                    retire_unsubscribed,
                };
                let config = config_for(&sim, policy, removed, &subscribed);
                let (client, inventory, plan) = planned(&sim, &config).await;
                // What applying takes on: everything due, less labs the identity cannot delete in.
                let due: BTreeSet<String> = retire::targets_from_plan(&plan).iter().map(|t| t.image.key()).collect();
                let before = image_ids(&sim);
                let first = apply(&client, &inventory, &config, &plan).await;
                let gone: BTreeSet<String> = before.difference(&image_ids(&sim)).cloned().collect();
                // Nothing changed between plan and apply: every image due is retired, no more.
                assert_eq!(&gone, &due, "deleted = planned, when nothing changed: {:?}", first.outcomes.iter().filter(|o| !matches!(o.result, RetireResult::Retired)).map(|o| (&o.name, o.result.detail())).collect::<Vec<_>>());
                assert_eq!(first.outcomes.len(), due.len());
                // Only the factory's labs and its target labs ever lose an image.
                for image in &gone {
                    let id = imagefactory::arm::ResourceId::new(image.clone());
                    let lab = id.parent();
                    assert!(
                        config.factory.is(lab.as_str()) || config.labs.iter().any(|t| t.lab.is(lab.as_str())),
                        "{image} is in a lab outside the configuration"
                    );
                }
                let after_first = image_ids(&sim);
                let second = apply(&client, &inventory, &config, &plan).await;
                assert!(retired(&second.outcomes).is_empty(), "the second apply deletes nothing");
                assert_eq!(image_ids(&sim), after_first);
            });
        }
    }
}

#[tokio::test]
async fn chosen_images_go_unless_pinned_or_in_use() {
    use imagefactory::factory::RetireReason;
    use imagefactory::factory::retire::{Guard, RetireTarget};
    let sim = start(demo_world(), fast()).await;
    let config = sample_config();
    let (client, inventory, plan) = planned(&sim, &config).await;
    let (_, dev) = inventory
        .labs()
        .find(|(_, l)| l.name == "Dev-WestEurope")
        .unwrap();
    let pick = |pred: &dyn Fn(&imagefactory::factory::Image) -> bool| {
        dev.images.iter().find(|i| pred(i)).unwrap()
    };
    let untagged = pick(&|i| i.image_path.is_none());
    let pinned = pick(&|i| i.pin.is_some());
    let used = pick(&|i| i.in_use);
    let current = pick(&|i| plan.decision(&i.id).unwrap().state == RetentionState::Current);
    let target = |i: &imagefactory::factory::Image, unusual: bool| RetireTarget {
        lab: dev.id.clone(),
        image: i.id.clone(),
        name: i.name.clone(),
        image_path: None,
        reason: RetireReason::Chosen,
        guard: Guard::Chosen { unusual },
    };
    // The untagged image is confirmed as unusual; the current one is not, so it must stay.
    let targets = vec![
        target(untagged, true),
        target(pinned, true),
        target(used, true),
        target(current, false),
    ];
    let dir = tempfile::tempdir().unwrap();
    let audit = AuditLog::open(dir.path()).unwrap();
    let actor = Actor::current(&client).await;
    let outcomes = retire::apply(
        &client,
        &inventory,
        Some(&config),
        &targets,
        plan.now,
        &audit,
        &actor,
        &imagefactory::factory::Cancel::new(),
        &|_| {},
    )
    .await;
    assert!(
        matches!(
            outcome(&outcomes, &untagged.id).result,
            RetireResult::Retired
        ),
        "an unmanaged image can be chosen, when confirmed as unusual"
    );
    assert!(
        matches!(&outcome(&outcomes, &current.id).result, RetireResult::Skipped(why) if why.starts_with("now current")),
        "a current image not confirmed as unusual is kept: {:?}",
        outcome(&outcomes, &current.id).result
    );
    assert!(
        matches!(&outcome(&outcomes, &pinned.id).result, RetireResult::Skipped(why) if why.starts_with("pinned"))
    );
    assert!(
        matches!(&outcome(&outcomes, &used.id).result, RetireResult::Skipped(why) if why.starts_with("in use"))
    );
    let audit_text = std::fs::read_to_string(audit.path()).unwrap();
    assert!(audit_text.contains("\"why\":\"chosen\""));
    // The state at deletion is on record.
    assert!(
        audit_text
            .lines()
            .any(|l| l.contains(untagged.name.as_str()) && l.contains("\"state\":\"unmanaged\"")),
        "{audit_text}"
    );
}

#[tokio::test]
async fn a_target_whose_lab_is_not_in_the_inventory_is_skipped_not_lost() {
    use imagefactory::factory::RetireReason;
    use imagefactory::factory::retire::{Guard, RetireTarget};
    let sim = start(demo_world(), fast()).await;
    let config = sample_config();
    let (client, mut inventory, plan) = planned(&sim, &config).await;
    inventory.subscriptions.clear();
    let lab = imagefactory::arm::ResourceId::new(DEV_LAB);
    let image =
        imagefactory::arm::ResourceId::new(format!("{DEV_LAB}/customimages/alice-debug-snapshot"));
    let target = RetireTarget {
        lab,
        image: image.clone(),
        name: "alice-debug-snapshot".into(),
        image_path: None,
        reason: RetireReason::Chosen,
        guard: Guard::Chosen { unusual: false },
    };
    let dir = tempfile::tempdir().unwrap();
    let audit = AuditLog::open(dir.path()).unwrap();
    let actor = Actor::current(&client).await;
    let outcomes = retire::apply(
        &client,
        &inventory,
        Some(&config),
        &[target],
        plan.now,
        &audit,
        &actor,
        &imagefactory::factory::Cancel::new(),
        &|_| {},
    )
    .await;
    assert!(
        matches!(&outcome(&outcomes, &image).result, RetireResult::Skipped(why) if why.contains("not in the inventory"))
    );
    assert!(
        image_ids(&sim).contains(&image.key()),
        "nothing was deleted blind"
    );
    assert_eq!(
        std::fs::read_to_string(audit.path())
            .unwrap()
            .lines()
            .count(),
        1,
        "and the skip is audited"
    );
}

#[tokio::test]
async fn an_image_still_being_created_does_not_push_out_the_one_before() {
    let sim = start(demo_world(), fast()).await;
    let config = sample_config();
    // A build in progress: the newest image of win2022/base in Dev-WestEurope, still Creating
    // (as the emulator shows an image while its PUT runs).
    change_lab(&sim, IMAGING, "rg-dev-we", "Dev-WestEurope", |lab| {
        let mut image = lab
            .images
            .iter()
            .find(|i| {
                i.tags
                    .as_ref()
                    .and_then(|t| t.get("ImagePath"))
                    .is_some_and(|p| p == "win2022/base")
            })
            .cloned()
            .unwrap();
        image.name = "win2022-base-creating".into();
        image.id = format!("{}/customimages/win2022-base-creating", lab.child_prefix());
        image.properties.provisioning_state = Some("Creating".into());
        image.properties.creation_date = Some(
            OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap(),
        );
        lab.images.push(image);
    });
    let (client, inventory, plan) = planned(&sim, &config).await;
    let dev = plan
        .labs
        .iter()
        .find(|l| l.lab_name == "Dev-WestEurope")
        .unwrap();
    let creating = dev
        .decisions
        .iter()
        .find(|d| d.name == "win2022-base-creating")
        .unwrap();
    assert_eq!(creating.state, RetentionState::Kept, "{}", creating.detail);
    let current = dev
        .decisions
        .iter()
        .find(|d| {
            d.state == RetentionState::Current
                && d.image_path
                    .as_ref()
                    .is_some_and(|p| p.as_str() == "win2022/base")
        })
        .expect("the last finished image is still the current one");
    let current_id = current.image.key();
    apply(&client, &inventory, &config, &plan).await;
    let left = image_ids(&sim);
    assert!(left.contains(&current_id), "the previous image stays");
    assert!(left.iter().any(|id| id.ends_with("/win2022-base-creating")));
}

/// Applies `config`'s plan to the demo world and returns the plan and what happened.
async fn apply_with(config: FactoryConfig) -> (RetentionPlan, Run, BTreeSet<String>) {
    let sim = start(demo_world(), fast()).await;
    let (client, inventory, plan) = planned(&sim, &config).await;
    let before = image_ids(&sim);
    let run = apply(&client, &inventory, &config, &plan).await;
    let gone = before.difference(&image_ids(&sim)).cloned().collect();
    (plan, run, gone)
}

#[tokio::test]
async fn images_younger_than_min_age_are_too_young_and_stay() {
    let mut config = sample_config();
    config.retention.min_age = std::time::Duration::from_secs(10_000 * 86_400);
    let (plan, run, gone) = apply_with(config).await;
    assert!(
        plan.labs
            .iter()
            .flat_map(|l| &l.decisions)
            .any(|d| d.state == RetentionState::TooYoung)
    );
    assert_eq!(plan.to_retire().count(), 0);
    assert!(run.outcomes.is_empty() && gone.is_empty());
}

#[tokio::test]
async fn a_removed_definitions_images_are_retired_with_that_reason() {
    use imagefactory::factory::RetireReason;
    let mut config = sample_config();
    config.retention.retire_removed_definitions = true;
    config
        .images
        .retain(|d| d.path.as_str() != "win2022/vs2022");
    let (plan, run, gone) = apply_with(config).await;
    let removed: BTreeSet<String> = plan
        .to_retire()
        .filter(|(l, d)| l.denied.is_none() && d.reason == Some(RetireReason::RemovedDefinition))
        .map(|(_, d)| d.image.key())
        .collect();
    assert!(!removed.is_empty());
    assert!(removed.is_subset(&gone), "they were retired");
    assert!(
        run.outcomes
            .iter()
            .all(|o| !removed.contains(&o.image.key())
                || o.reason == RetireReason::RemovedDefinition)
    );
}

#[tokio::test]
async fn a_path_a_lab_no_longer_takes_is_retired_there_as_unsubscribed() {
    use imagefactory::factory::RetireReason;
    let mut config = sample_config();
    config.retention.retire_unsubscribed = true;
    let eng = config
        .labs
        .iter_mut()
        .find(|t| t.lab.name == "Eng-WestEurope")
        .unwrap();
    eng.image_paths.retain(|p| p.as_str() != "win11");
    let (plan, _run, gone) = apply_with(config).await;
    let unsubscribed: Vec<_> = plan
        .to_retire()
        .filter(|(l, d)| {
            l.lab_name == "Eng-WestEurope" && d.reason == Some(RetireReason::Unsubscribed)
        })
        .collect();
    assert!(!unsubscribed.is_empty());
    for (_, d) in unsubscribed {
        assert!(
            d.image_path
                .as_ref()
                .unwrap()
                .as_str()
                .starts_with("win11/")
        );
        assert!(gone.contains(&d.image.key()));
    }
}
