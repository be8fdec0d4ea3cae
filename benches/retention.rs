//! Retention planning benchmark: the pure planner over a generated fleet's inventory
//! (default generate:20x10x60 = 12,000 images), every lab managed, every path defined.
//!
//! `cargo bench --bench retention` (BENCH_WORLD and BENCH_RUNS to change it).

use std::time::{Duration, Instant};

use imagefactory::arm::{ArmClient, ArmClientOptions, TokenSource, scope_for};
use imagefactory::config::{
    AzureSettings, BaseImage, Defaults, FactoryConfig, ImageDefinition, ImagePath, LabRef, OsType,
    RetentionPolicy, TargetLab,
};
use imagefactory::factory::{Inventory, RetentionState, retention};
use imagefactory::sim::{self, SimOptions};

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

fn main() {
    let spec = std::env::var("BENCH_WORLD").unwrap_or_else(|_| "generate:20x10x60".into());
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(50);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let world = sim::world::generate(&spec, 1, now).unwrap();
    let labs: Vec<LabRef> = world
        .labs()
        .map(|(s, l)| LabRef {
            subscription: s.id.clone(),
            resource_group: l.resource_group.clone(),
            name: l.lab.name.clone(),
        })
        .collect();
    let inventory = runtime.block_on(async {
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
        Inventory::refresh(&client, None).await.unwrap()
    });
    let images: usize = inventory.labs().map(|(_, l)| l.images.len()).sum();
    let config = FactoryConfig {
        path: "factory.toml".into(),
        factory: labs[0].clone(),
        azure: AzureSettings::default(),
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
    };
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut retire = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let plan = retention::plan(&inventory, Some(&config), now);
        times.push(started.elapsed());
        retire = plan
            .counts()
            .get(&RetentionState::Retire)
            .copied()
            .unwrap_or(0);
        std::hint::black_box(plan);
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "fleet: {spec} = {images} images in {} labs; {retire} due for retirement",
        labs.len()
    );
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| planning time, median of {runs} | {:.2} ms (target under 50 ms) |",
        ms(times[runs / 2])
    );
    println!(
        "| planning time, slowest of {runs} | {:.2} ms |",
        ms(times[runs - 1])
    );
}
