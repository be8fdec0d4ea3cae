//! Inventory across subscriptions against the emulator.

mod common;

use common::*;
use imagefactory::config;
use imagefactory::factory::{Inventory, LabRole};
use imagefactory::sim::{Fault, FaultRule};

fn sample_config() -> config::FactoryConfig {
    config::load(
        &std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/factory/factory.toml"),
    )
    .expect("the sample factory loads")
}

#[tokio::test]
async fn discovers_every_subscription_lab_and_image() {
    let sim = start(demo_world(), fast()).await;
    let inventory = Inventory::refresh(&client(&sim), None).await.unwrap();
    assert!(inventory.is_complete(), "{:?}", inventory.problems);
    let (subs, labs, images) =
        sim.with_world(|w| (w.subscriptions.len(), w.labs().count(), w.image_count()));
    assert_eq!(inventory.subscriptions.len(), subs);
    assert_eq!(inventory.labs().count(), labs);
    assert_eq!(
        inventory.labs().map(|(_, l)| l.images.len()).sum::<usize>(),
        images
    );
    assert!(
        images >= 140,
        "the demo world has around 150 images, not {images}"
    );
    assert!(
        inventory.labs().all(|(_, l)| l.role.is_none()),
        "no configuration, no roles"
    );
}

#[tokio::test]
async fn marks_images_in_use_pinned_and_legacy_paths() {
    let sim = start(demo_world(), fast()).await;
    let inventory = Inventory::refresh(&client(&sim), None).await.unwrap();
    let (_, dev) = inventory
        .labs()
        .find(|(_, l)| l.name == "Dev-WestEurope")
        .unwrap();
    // dev-alice-01 was created from the fourth-newest vs2022 image; its id comes back
    // lower-cased in the VM, so this also checks case-insensitive matching.
    let in_use: Vec<&str> = dev
        .images
        .iter()
        .filter(|i| i.in_use)
        .map(|i| i.name.as_str())
        .collect();
    // Two VMs' images and the one a formula starts from: in use means any user.
    assert_eq!(in_use.len(), 3, "{in_use:?}");
    // Names carry their creation date, which moves with the clock: match on the path part.
    assert!(
        in_use.iter().any(|n| n.starts_with("ubuntu2404-base-")),
        "{in_use:?}"
    );
    let vs2022: Vec<_> = dev
        .images
        .iter()
        .filter(|i| {
            i.image_path
                .as_ref()
                .is_some_and(|p| p.as_str() == "win2022/vs2022")
                && i.pin.is_none()
        })
        .collect();
    assert!(
        vs2022[3].in_use,
        "{:?}",
        vs2022
            .iter()
            .map(|i| (&i.name, i.in_use))
            .collect::<Vec<_>>()
    );
    let pinned: Vec<_> = dev.images.iter().filter(|i| i.pin.is_some()).collect();
    assert_eq!(pinned.len(), 1);
    assert_eq!(
        pinned[0].pin.as_deref(),
        Some("release/2026.2 baseline (alice)")
    );
    let legacy = dev
        .images
        .iter()
        .find(|i| i.name.starts_with("Datacenter-"))
        .unwrap();
    assert_eq!(
        legacy.image_path.as_ref().unwrap().as_str(),
        "Win2016/Datacenter"
    );
    assert_eq!(
        legacy.tags.get("ImagePath").map(String::as_str),
        Some("Win2016\\Datacenter.json")
    );
    assert!(
        dev.images.iter().any(|i| i.image_path.is_none()),
        "untagged images are kept"
    );
    assert_eq!(dev.formula_images.len(), 1);
}

#[tokio::test]
async fn configuration_marks_the_factory_and_target_labs() {
    let sim = start(demo_world(), fast()).await;
    let config = sample_config();
    let inventory = Inventory::refresh(&client(&sim), Some(&config))
        .await
        .unwrap();
    let role = |name: &str| {
        inventory
            .labs()
            .find(|(_, l)| l.name == name)
            .unwrap()
            .1
            .role
    };
    assert_eq!(role("ImageFactory"), Some(LabRole::Factory));
    assert_eq!(role("Dev-WestEurope"), Some(LabRole::Target));
    assert_eq!(role("Partner-Sandbox"), None);
    assert_eq!(
        inventory
            .labs()
            .filter(|(_, l)| l.role == Some(LabRole::Target))
            .count(),
        config.labs.len()
    );
    assert!(inventory.is_complete());
}

#[tokio::test]
async fn a_configured_lab_that_does_not_exist_is_a_problem() {
    let sim = start(demo_world(), fast()).await;
    sim.change_world(|w| {
        w.subscription_mut(ENGINEERING)
            .unwrap()
            .labs
            .retain(|l| l.lab.name != "Training")
    });
    let inventory = Inventory::refresh(&client(&sim), Some(&sample_config()))
        .await
        .unwrap();
    assert_eq!(inventory.problems.len(), 1);
    assert_eq!(inventory.problems[0].name, "Training");
    assert_eq!(
        inventory.problems[0].error.code(),
        Some("ConfiguredLabNotFound")
    );
}

#[tokio::test]
async fn a_lab_that_cannot_be_read_is_reported_and_the_rest_shown() {
    let sim = start(demo_world(), fast()).await;
    change_lab(
        &sim,
        PARTNER,
        "rg-partner-ne",
        "Partner-NorthEurope",
        |lab| lab.deny_read = true,
    );
    let inventory = Inventory::refresh(&client(&sim), None).await.unwrap();
    assert_eq!(inventory.problems.len(), 1);
    let problem = &inventory.problems[0];
    assert_eq!(
        (problem.scope, problem.name.as_str()),
        ("lab", "Partner-NorthEurope")
    );
    assert_eq!(problem.error.status(), Some(403));
    assert_eq!(problem.error.code(), Some("AuthorizationFailed"));
    let (_, lab) = inventory
        .labs()
        .find(|(_, l)| l.name == "Partner-NorthEurope")
        .unwrap();
    assert!(!lab.complete);
    let readable: usize = inventory
        .labs()
        .filter(|(_, l)| l.complete)
        .map(|(_, l)| l.images.len())
        .sum();
    let expected = sim.with_world(|w| {
        w.labs()
            .filter(|(_, l)| !l.deny_read)
            .map(|(_, l)| l.images.len())
            .sum::<usize>()
    });
    assert_eq!(readable, expected);
}

#[tokio::test]
async fn a_subscription_that_cannot_be_read_is_reported_and_the_rest_shown() {
    let sim = start(demo_world(), fast()).await;
    sim.inject(FaultRule {
        method: None,
        path_contains: format!("/subscriptions/{ENGINEERING}/providers/Microsoft.DevTestLab/labs"),
        fault: Fault::Status(403),
        times: 1,
    });
    let inventory = Inventory::refresh(&client(&sim), None).await.unwrap();
    assert_eq!(inventory.problems.len(), 1);
    assert_eq!(inventory.problems[0].scope, "subscription");
    assert_eq!(inventory.problems[0].name, "Contoso Engineering");
    assert!(
        inventory
            .subscriptions
            .iter()
            .find(|s| s.id == ENGINEERING)
            .unwrap()
            .labs
            .is_empty()
    );
    assert!(inventory.labs().count() >= 6);
}

#[tokio::test]
async fn throttled_past_its_retries_is_a_problem_not_a_crash() {
    let sim = start(demo_world(), fast()).await;
    sim.inject(FaultRule {
        method: None,
        path_contains: "/labs/training/customimages".into(),
        fault: Fault::Throttle {
            retry_after: "0".into(),
        },
        times: 100,
    });
    let inventory = Inventory::refresh(&client(&sim), None).await.unwrap();
    assert_eq!(inventory.problems.len(), 1);
    assert_eq!(inventory.problems[0].error.status(), Some(429));
}

#[tokio::test]
async fn a_reading_reports_each_subscriptions_labs_before_their_contents_and_adds_up_to_the_whole()
{
    use imagefactory::factory::inventory::Reading;
    let world = imagefactory::sim::world::parse(
        imagefactory::sim::DEMO_WORLD,
        time::OffsetDateTime::now_utc(),
    )
    .unwrap();
    let sim = start(world, fast()).await;
    let client = client(&sim);
    let config = sample_config();
    let parts = std::sync::Mutex::new(Vec::new());
    let report = |part: Reading| parts.lock().unwrap().push(part);
    let whole = Inventory::refresh_reporting(&client, Some(&config), &report)
        .await
        .unwrap();
    let parts = parts.into_inner().unwrap();
    let mut listed = std::collections::HashSet::new();
    let mut read = Vec::new();
    let mut factory_seen = false;
    let mut counted = None;
    for part in &parts {
        match part {
            Reading::Listed(sub) => {
                assert!(sub.labs.iter().all(|l| l.reading && l.images.is_empty()));
                // Roles are known from the configuration before the contents.
                let factory = sub.labs.iter().find(|l| l.name == "ImageFactory");
                if let Some(f) = factory {
                    assert_eq!(f.role, Some(LabRole::Factory));
                    factory_seen = true;
                }
                listed.extend(sub.labs.iter().map(|l| l.id.key()));
            }
            Reading::Lab(lab, _) => {
                assert!(
                    listed.contains(&lab.id.key()),
                    "{} before its list",
                    lab.name
                );
                assert!(!lab.reading);
                read.push(lab.clone());
            }
            Reading::Failed(p) => panic!("nothing fails here: {}", p.name),
            Reading::Subscriptions(n) => {
                assert!(counted.is_none(), "counted once");
                counted = Some(*n);
            }
        }
    }
    assert_eq!(
        counted,
        Some(whole.subscriptions.len()),
        "the count of subscriptions is told"
    );
    assert!(factory_seen, "the factory lab is listed, with its role");
    assert_eq!(read.len(), whole.labs().count(), "every lab once");
    for (_, lab) in whole.labs() {
        let part = read.iter().find(|l| l.id == lab.id).unwrap();
        assert_eq!(part.images.len(), lab.images.len(), "{}", lab.name);
        assert_eq!(part.vms.len(), lab.vms.len(), "{}", lab.name);
        assert_eq!(part.role, lab.role, "{}", lab.name);
    }
}

#[tokio::test]
async fn a_reading_of_some_subscriptions_reads_only_their_labs() {
    let sim = start(demo_world(), recording()).await;
    let all = Inventory::refresh(&client(&sim), None).await.unwrap();
    assert!(all.subscriptions.len() > 2);
    let chosen = all.subscriptions[1].id.clone();
    let before = sim.recorded().len();
    // Named in another case, as a person might type it.
    let some = Inventory::refresh_of(&client(&sim), &[chosen.to_ascii_uppercase()])
        .await
        .unwrap();
    assert_eq!(some.subscriptions.len(), 1);
    assert_eq!(some.subscriptions[0].id, chosen);
    let labs_of = |inventory: &Inventory| -> Vec<String> {
        inventory.labs().map(|(_, l)| l.id.key()).collect()
    };
    let expected: Vec<String> = all.subscriptions[1]
        .labs
        .iter()
        .map(|l| l.id.key())
        .collect();
    assert_eq!(labs_of(&some), expected);
    // Nothing of the other subscriptions was asked for beyond their listing.
    let asked: Vec<String> = sim.recorded()[before..]
        .iter()
        .map(|r| r.path.to_ascii_lowercase())
        .filter(|p| p != "/subscriptions" && !p.starts_with("/msi"))
        .collect();
    assert!(!asked.is_empty());
    for path in &asked {
        assert!(
            path.starts_with(&format!("/subscriptions/{}", chosen.to_ascii_lowercase())),
            "{path}"
        );
    }
}
