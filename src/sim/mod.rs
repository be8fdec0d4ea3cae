//! An ARM emulator for the subset of Azure the factory uses, served over HTTP on loopback:
//! subscriptions, DevTest Labs, long-running operations, and a managed-identity token endpoint.
//! It behaves as Azure does (bearer tokens, lower-cased ids, paging, throttling, error
//! envelopes) so that the real client is what gets tested.

mod auth;
mod blob;
mod blob_auth;
mod compute;
mod custom_images;
mod delay;
mod faults;
mod lab_vms;
mod operations;
mod paging;
mod reply;
mod routes;
mod server;
mod state;
mod storage;
mod vm_images;
pub mod world;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use faults::{Fault, FaultPlan, FaultRule};
pub use state::RecordedRequest;
pub use world::World;

use state::SimState;

/// The sample world the demo and the tests use, built into the binary.
pub const DEMO_WORLD: &str = include_str!("../../samples/world/demo.toml");

/// How the emulator behaves.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Time scale of simulated durations (2.0 = twice as fast as Azure).
    pub speed: f64,
    /// How long every request takes, from its arrival to its answer (the work included).
    pub latency: Duration,
    /// Items per page of every list.
    pub page_size: usize,
    /// Random faults.
    pub faults: FaultPlan,
    /// Seed of the random faults.
    pub seed: u64,
    /// Keep every request received, for conformance checks.
    pub record: bool,
    /// Insert an empty page (that still carries a `nextLink`) before every page after the first.
    pub empty_pages: bool,
    /// Make the last page's `nextLink` point back at the first page (a server bug to survive).
    pub looping_next_link: bool,
    /// Answer long-running operations with `Location` only (no `Azure-AsyncOperation`), as
    /// some Azure resource providers do.
    pub location_only_operations: bool,
    /// The managed-identity secret; generated when `None`.
    pub identity_header: Option<String>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            speed: 1.0,
            latency: Duration::ZERO,
            page_size: 10,
            faults: FaultPlan::default(),
            seed: 1,
            record: false,
            empty_pages: false,
            looping_next_link: false,
            location_only_operations: false,
            identity_header: None,
        }
    }
}

/// A running emulator.
pub struct SimHandle {
    /// The ARM endpoint (`http://127.0.0.1:PORT/`).
    pub endpoint: url::Url,
    /// The managed-identity token endpoint.
    pub identity_endpoint: url::Url,
    /// The secret clients send as `X-IDENTITY-HEADER`.
    pub identity_header: String,
    state: Arc<SimState>,
    task: tokio::task::JoinHandle<()>,
}

/// Binds the emulator's socket without serving yet, so that a process can learn the address
/// (and set the environment that points at it) before it starts threads.
pub fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Serves `world` on `listener` until the handle is dropped.
pub fn serve(
    listener: std::net::TcpListener,
    world: World,
    options: SimOptions,
) -> std::io::Result<SimHandle> {
    let addr = listener.local_addr()?;
    let endpoint = url::Url::parse(&format!("http://{addr}/")).map_err(std::io::Error::other)?;
    let identity_endpoint = endpoint.join("msi/token").map_err(std::io::Error::other)?;
    let state = Arc::new(SimState::new(world, options, &endpoint));
    let identity_header = state.tokens.identity_header.clone();
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let app = server::router(state.clone());
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("emulator stopped: {e}");
        }
    });
    Ok(SimHandle {
        endpoint,
        identity_endpoint,
        identity_header,
        state,
        task,
    })
}

/// Binds `127.0.0.1:0` and serves: the usual way for tests.
pub async fn start(world: World, options: SimOptions) -> std::io::Result<SimHandle> {
    let listener = bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    serve(listener, world, options)
}

impl SimHandle {
    /// The `NAME=VALUE` pairs that point another process at this emulator.
    pub fn exports(&self) -> Vec<(&'static str, String)> {
        vec![
            ("IMAGEFACTORY_ENDPOINT", self.endpoint.to_string()),
            ("IMAGEFACTORY_AUTH", "managed-identity".into()),
            ("IDENTITY_ENDPOINT", self.identity_endpoint.to_string()),
            ("IDENTITY_HEADER", self.identity_header.clone()),
        ]
    }

    /// A valid bearer token, for tests that do not exercise the credential itself.
    pub fn mint_token(&self) -> String {
        self.state.tokens.issue().0
    }

    /// Adds a scripted fault.
    pub fn inject(&self, rule: FaultRule) {
        self.state.injector.lock().expect("injector lock").add(rule);
    }

    /// Reads the world.
    pub fn with_world<R>(&self, f: impl FnOnce(&World) -> R) -> R {
        f(&self.state.world.lock().expect("world lock"))
    }

    /// Changes the world (as something outside the factory would: a portal user, a pipeline).
    pub fn change_world<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut self.state.world.lock().expect("world lock"))
    }

    /// Every request received so far (when recording).
    pub fn recorded(&self) -> Vec<RecordedRequest> {
        self.state.recorded.lock().expect("record lock").clone()
    }

    /// Requests served so far.
    pub fn request_count(&self) -> u64 {
        self.state.served.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The most requests the emulator was answering at once.
    pub fn max_in_flight(&self) -> u64 {
        self.state
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}
