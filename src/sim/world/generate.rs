//! Generated fleets (`generate:SxLxI`), deterministic by seed, for benchmarks and large tests.

use time::OffsetDateTime;

use super::build::{ImageMaker, new_lab, new_vm, uuid_from};
use super::file::default_tenant;
use super::{Access, SimSubscription, World, WorldError, days};
use crate::arm::wire::Tags;

/// Builds `generate:SxLxI`: S subscriptions of L labs of I images each, deterministic by seed.
pub fn generate(spec: &str, seed: u64, now: OffsetDateTime) -> Result<World, WorldError> {
    let bad = || WorldError::Generator { spec: spec.into() };
    let dims: Vec<usize> = spec
        .strip_prefix("generate:")
        .ok_or_else(bad)?
        .split('x')
        .map(|n| n.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let [subs, labs_per, images_per] = dims[..] else {
        return Err(bad());
    };
    const PATHS: [(&str, &str); 8] = [
        ("win2022/base", "Windows"),
        ("win2022/vs2022", "Windows"),
        ("win2019/sql2019", "Windows"),
        ("win11/dev", "Windows"),
        ("ubuntu2404/base", "Linux"),
        ("ubuntu2204/docker", "Linux"),
        ("rhel9/base", "Linux"),
        ("Win2016\\Datacenter.json", "Windows"),
    ];
    const REGIONS: [&str; 4] = ["westeurope", "eastus", "northeurope", "westus2"];
    let mut rng = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        // xorshift64*: enough spread for ages and choices, and stable across platforms.
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let mut world = World::default();
    for s in 0..subs {
        let id = uuid_from(&format!("generated-subscription-{seed}-{s}"));
        let mut labs = Vec::with_capacity(labs_per);
        for l in 0..labs_per {
            let region = REGIONS[(s + l) % REGIONS.len()];
            let mut lab = new_lab(
                &id,
                &format!("rg-labs-{s:02}"),
                &format!("lab-{s:02}-{l:02}"),
                region,
                now,
            );
            for i in 0..images_per {
                let (path, os) = PATHS[i % PATHS.len()];
                let age = (i / PATHS.len()) as f64 * 7.0 + (next() % 7000) as f64 / 1000.0;
                let name = format!(
                    "img-{}-{i:04}",
                    path.replace(['/', '\\', '.'], "-").to_ascii_lowercase()
                );
                let mut tags = Tags::new();
                if next() % 20 != 0 {
                    tags.insert("ImagePath".into(), path.into());
                }
                if next() % 40 == 0 {
                    tags.insert("ImageFactoryPin".into(), "generated pin".into());
                }
                let made = ImageMaker {
                    name: &name,
                    os,
                    author: None,
                    description: None,
                    from_vhd: path.contains('\\'),
                };
                lab.images.push(made.build(&lab, now - days(age), tags));
            }
            for v in 0..(next() % 4) as usize {
                if lab.images.is_empty() {
                    break;
                }
                let image = &lab.images[(next() as usize) % lab.images.len()];
                let (id, os) = (
                    image.id.clone(),
                    image.os_type().unwrap_or("Windows").to_string(),
                );
                let vm = new_vm(&lab, &format!("vm-{v}"), &os, Some(id), now - days(2.0));
                lab.vms.push(vm);
            }
            labs.push(lab);
        }
        world.subscriptions.push(SimSubscription {
            id,
            name: format!("Generated {s:02}"),
            tenant: default_tenant(),
            state: "Enabled".into(),
            access: if s % 5 == 4 {
                Access::Reader
            } else {
                Access::Owner
            },
            labs,
        });
    }
    Ok(world)
}
