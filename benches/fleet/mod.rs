//! A generated fleet for benchmarks: its inventory (read through the emulator) and a
//! configuration that manages every lab and defines every path.

#![allow(dead_code)]

use imagefactory::arm::{ArmClient, ArmClientOptions, TokenSource, scope_for};
use imagefactory::config::{
    AzureSettings, BaseImage, Defaults, FactoryConfig, ImageDefinition, ImagePath, LabRef, OsType,
    RetentionPolicy, TargetLab,
};
use imagefactory::factory::Inventory;
use imagefactory::sim::{self, SimOptions, World};

pub const PATHS: [&str; 8] = [
    "win2022/base",
    "win2022/vs2022",
    "win2019/sql2019",
    "win11/dev",
    "ubuntu2404/base",
    "ubuntu2204/docker",
    "rhel9/base",
    "Win2016/Datacenter",
];

/// The generated world for `spec` (default generate:20x10x60).
pub fn world(now: time::OffsetDateTime) -> (String, World) {
    let spec = std::env::var("BENCH_WORLD").unwrap_or_else(|_| "generate:20x10x60".into());
    let world = sim::world::generate(&spec, 1, now).expect("world");
    (spec, world)
}

/// Every lab managed (the first is the factory), every path defined, keep_latest 3.
pub fn config(world: &World) -> FactoryConfig {
    let labs: Vec<LabRef> = world
        .labs()
        .map(|(s, l)| LabRef {
            subscription: s.id.clone(),
            resource_group: l.resource_group.clone(),
            name: l.lab.name.clone(),
        })
        .collect();
    FactoryConfig {
        path: "factory.toml".into(),
        factory: labs[0].clone(),
        azure: AzureSettings::default(),
        build: Default::default(),
        defaults: Defaults {
            vm_size: "Standard_D4s_v5".into(),
            parallelism: 4,
        },
        retention: RetentionPolicy {
            keep_latest: 3,
            ..RetentionPolicy::default()
        },
        labs: labs[1..]
            .iter()
            .map(|l| TargetLab {
                lab: l.clone(),
                image_paths: PATHS.iter().map(|p| ImagePath::new(p)).collect(),
            })
            .collect(),
        images: PATHS
            .iter()
            .map(|p| {
                ImageDefinition::new(
                    ImagePath::new(p),
                    OsType::Windows,
                    BaseImage::latest("p", "o", "s"),
                )
            })
            .collect(),
    }
}

/// The world's inventory, read by the real client from the emulator (no latency).
pub fn inventory(
    runtime: &tokio::runtime::Runtime,
    world: World,
    config: &FactoryConfig,
) -> Inventory {
    runtime.block_on(async {
        let handle = sim::start(
            world,
            SimOptions {
                page_size: 100,
                ..SimOptions::default()
            },
        )
        .await
        .unwrap();
        let http = ArmClient::http_client().unwrap();
        let tokens = TokenSource::fixed(&scope_for(&handle.endpoint), handle.mint_token());
        let client = ArmClient::new(http, tokens, ArmClientOptions::new(handle.endpoint.clone()));
        Inventory::refresh(&client, Some(config)).await.unwrap()
    })
}
