//! Build benchmark: the engine (planner output run by the runner, journal included) against the
//! emulator at known durations. Azure's own durations are the physical limit; this measures
//! what the engine adds to them.
//!
//! 1. IMAGES x LABS (default 20 x 10) at `--speed` BENCH_SPEED (default 100): wall time against
//!    the critical path of the emulated durations (every image builds at once, every copy runs
//!    at once, so the critical path is one image's chain of stages), ARM and blob requests per
//!    image, and polls per long-running operation against the fewest its `Retry-After` allows.
//! 2. 50 x 10 at zero durations: the engine's own time per image.
//!
//! `cargo bench --bench build`. Environment: BENCH_IMAGES, BENCH_LABS, BENCH_SPEED.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use imagefactory::arm::{ArmClient, ArmClientOptions, TokenSource, scope_for};
use imagefactory::config::{
    ArtifactRef, BaseImage, BuildSettings, Defaults, FactoryConfig, ImageDefinition, ImagePath,
    LabRef, OsType, RetentionOverride, RetentionPolicy, TargetLab,
};
use imagefactory::factory::Inventory;
use imagefactory::factory::builder::journal::{Journal, RunOutcome};
use imagefactory::factory::builder::runner::{self, Context, Recorder, Sink};
use imagefactory::factory::builder::{RunId, Selection, offer, plan};
use imagefactory::sim::world::{SimSubscription, World, new_lab};
use imagefactory::sim::{self, SimOptions};

const SUBSCRIPTIONS: [&str; 2] = [
    "11111111-1111-4111-8111-111111111111",
    "22222222-2222-4222-8222-222222222222",
];

/// Azure durations of one image's chain (see the emulator's table in the README), seconds:
/// VM, one artifact, generalize, stop (deallocation), disk access, capture, copy, image, VM
/// delete.
const CHAIN: [f64; 9] = [240.0, 60.0, 120.0, 30.0, 10.0, 240.0, 180.0, 90.0, 60.0];

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn world(labs: usize) -> World {
    let now = time::OffsetDateTime::now_utc();
    let mut world = World::default();
    for (s, id) in SUBSCRIPTIONS.iter().enumerate() {
        let mut sub = SimSubscription {
            id: id.to_string(),
            name: format!("Bench {s}"),
            tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
            state: "Enabled".into(),
            access: Default::default(),
            labs: Vec::new(),
        };
        if s == 0 {
            sub.labs
                .push(new_lab(id, "rg-factory", "Factory", "westeurope", now));
        }
        for l in (0..labs).filter(|l| l % SUBSCRIPTIONS.len() == s) {
            sub.labs.push(new_lab(
                id,
                &format!("rg-lab{l}"),
                &format!("Lab{l:02}"),
                "westeurope",
                now,
            ));
        }
        world.subscriptions.push(sub);
    }
    world
}

fn config(images: usize, labs: usize, dir: &std::path::Path) -> FactoryConfig {
    let lab = |s: usize, rg: String, name: String| LabRef {
        subscription: SUBSCRIPTIONS[s].into(),
        resource_group: rg,
        name,
    };
    FactoryConfig {
        path: dir.join("factory.toml"),
        factory: lab(0, "rg-factory".into(), "Factory".into()),
        azure: Default::default(),
        defaults: Defaults {
            vm_size: "Standard_D4s_v5".into(),
            parallelism: images,
        },
        build: BuildSettings {
            // Every copy at once: the benchmark measures the engine, not a chosen bound.
            max_copies: images * labs,
            ..BuildSettings::default()
        },
        retention: RetentionPolicy::default(),
        labs: (0..labs)
            .map(|l| TargetLab {
                lab: lab(
                    l % SUBSCRIPTIONS.len(),
                    format!("rg-lab{l}"),
                    format!("Lab{l:02}"),
                ),
                image_paths: vec![ImagePath::new("bench")],
            })
            .collect(),
        images: (0..images)
            .map(|i| {
                let mut d = ImageDefinition::new(
                    ImagePath::new(&format!("bench/image{i:02}")),
                    OsType::Windows,
                    BaseImage {
                        publisher: "MicrosoftWindowsServer".into(),
                        offer: "WindowsServer".into(),
                        sku: "2022-datacenter-azure-edition".into(),
                        version: "latest".into(),
                    },
                );
                d.artifacts = vec![ArtifactRef {
                    source: "Public Repo".into(),
                    name: "windows-vscode".into(),
                    parameters: BTreeMap::new(),
                    secret: Vec::new(),
                }];
                d.retention = RetentionOverride::default();
                d
            })
            .collect(),
    }
}

struct Measured {
    wall: Duration,
    requests: u64,
    outcome: RunOutcome,
    recorded: Vec<sim::RecordedRequest>,
}

async fn run(images: usize, labs: usize, speed: f64) -> Measured {
    let sim = sim::start(
        world(labs),
        SimOptions {
            speed,
            record: true,
            ..SimOptions::default()
        },
    )
    .await
    .expect("the emulator starts");
    let dir = tempfile::tempdir().unwrap();
    let config = config(images, labs, dir.path());
    let http = ArmClient::http_client().unwrap();
    let tokens = TokenSource::fixed(&scope_for(&sim.endpoint), sim.mint_token());
    let mut options = ArmClientOptions::new(sim.endpoint.clone());
    options.concurrency = 64;
    let client = ArmClient::new(http, tokens, options);
    let inventory = Inventory::refresh(&client, Some(&config)).await.unwrap();
    let offer = offer::read(&client, &config.factory, &inventory, &config.bases())
        .await
        .unwrap();
    let plan = plan(
        &config,
        &inventory,
        &offer,
        &Selection::All,
        RunId::new(time::OffsetDateTime::now_utc(), 1),
    );
    assert!(plan.is_runnable(), "{:?}", plan.errors);
    let journal = Journal::open(&PathBuf::from(dir.path()), &plan.run).unwrap();
    let sink: Arc<dyn Sink> = Arc::new(Recorder::new(journal, None));
    let (_cancel, cancelled) = tokio::sync::watch::channel(false);
    let ctx = Arc::new(Context {
        client,
        settings: config.build.clone(),
        author: "bench".into(),
        cancel: cancelled,
    });
    let before = sim.request_count();
    let started = Instant::now();
    let outcome = runner::run(ctx, &plan, sink, None).await;
    if std::env::var("BENCH_STAGES").is_ok() {
        let lines = imagefactory::factory::builder::journal::read(
            &imagefactory::factory::builder::journal::path_of(dir.path(), &plan.run),
        )
        .unwrap();
        for l in lines.iter().filter(|l| {
            serde_json::to_value(&l.event).unwrap()["image"] == plan.jobs[0].image_name.as_str()
        }) {
            println!("{} {}", l.at, serde_json::to_string(&l.event).unwrap());
        }
    }
    Measured {
        wall: started.elapsed(),
        requests: sim.request_count() - before,
        outcome,
        recorded: sim.recorded(),
    }
}

fn count(recorded: &[sim::RecordedRequest], method: &str, needle: &str) -> usize {
    recorded
        .iter()
        .filter(|r| r.method == method && r.path.to_ascii_lowercase().contains(needle))
        .count()
}

#[tokio::main]
async fn main() {
    let images = env_or("BENCH_IMAGES", 20usize);
    let labs = env_or("BENCH_LABS", 10usize);
    let speed = env_or("BENCH_SPEED", 100.0f64);

    let m = run(images, labs, speed).await;
    assert_eq!(m.outcome, RunOutcome::Done);
    let critical = Duration::from_secs_f64(CHAIN.iter().sum::<f64>() / speed);
    let r = &m.recorded;
    let lro_polls = count(r, "GET", "/operations/") + count(r, "GET", "/operationresults/");
    let lros = count(r, "POST", "/stop")
        + count(r, "POST", "/begingetaccess")
        + count(r, "POST", "/endgetaccess")
        + count(r, "PUT", "/customimages/")
        + count(r, "DELETE", "/virtualmachines/");
    let vm_polls = count(r, "GET", "/virtualmachines/");
    let power_polls = count(r, "GET", "/instanceview");
    let copy_polls = count(r, "HEAD", "/blob/");
    // The fewest looks `Retry-After` allows: the emulator says min(time left, 10 s) in whole
    // seconds, floored at the client's 0.2 s; per operation that is about its duration over
    // its Retry-After, at least one.
    println!("build benchmark: {images} images x {labs} labs, emulator speed {speed}");
    println!(
        "  wall {:.2} s, critical path {:.2} s: {:.3}x",
        m.wall.as_secs_f64(),
        critical.as_secs_f64(),
        m.wall.as_secs_f64() / critical.as_secs_f64()
    );
    println!(
        "  requests {} ({:.1} per image, {:.1} per image and lab)",
        m.requests,
        m.requests as f64 / images as f64,
        m.requests as f64 / (images * labs) as f64
    );
    println!(
        "  long-running operations {lros}, polls {lro_polls} ({:.2} per operation)",
        lro_polls as f64 / lros.max(1) as f64
    );
    println!(
        "  looks at a VM being made {:.1} per image, at its power state {:.1}, at copies {:.1} per copy",
        vm_polls as f64 / images as f64,
        power_polls as f64 / images as f64,
        copy_polls as f64 / (images * (labs + 1)) as f64
    );

    let zero_images = 50;
    let m = run(zero_images, labs, 1e9).await;
    assert_eq!(m.outcome, RunOutcome::Done);
    println!("zero durations: {zero_images} images x {labs} labs");
    println!(
        "  wall {:.2} s: {:.1} ms of engine time per image ({:.2} ms per image and lab), {} requests",
        m.wall.as_secs_f64(),
        m.wall.as_secs_f64() * 1000.0 / zero_images as f64,
        m.wall.as_secs_f64() * 1000.0 / (zero_images * labs) as f64,
        m.requests
    );
}
