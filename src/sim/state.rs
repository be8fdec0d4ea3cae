use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use super::auth::TokenIssuer;
use super::faults::Injector;
use super::operations::Operation;
use super::{SimOptions, World};

/// One request as the emulator received it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub body: Option<serde_json::Value>,
    /// The client's `x-ms-client-request-id`, if it sent one.
    pub client_request_id: Option<String>,
}

/// A per-subscription token bucket, as ARM's throttling works since 2024.
pub(super) struct Bucket {
    pub tokens: f64,
    pub at: Instant,
}

/// Everything the emulator holds.
pub(super) struct SimState {
    pub world: Mutex<World>,
    pub options: SimOptions,
    pub base: String,
    pub tokens: TokenIssuer,
    pub injector: Mutex<Injector>,
    pub operations: Mutex<HashMap<String, Operation>>,
    pub buckets: Mutex<HashMap<String, Bucket>>,
    pub recorded: Mutex<Vec<RecordedRequest>>,
    pub served: AtomicU64,
    /// Requests being answered now, and the most at once (how a client's bound shows).
    pub in_flight: AtomicU64,
    pub max_in_flight: AtomicU64,
}

impl SimState {
    pub fn new(world: World, options: SimOptions, endpoint: &url::Url) -> Self {
        let origin = endpoint.origin().ascii_serialization();
        let tenant = world
            .subscriptions
            .first()
            .map(|s| s.tenant.clone())
            .unwrap_or_default();
        SimState {
            world: Mutex::new(world),
            tokens: TokenIssuer::new(&origin, options.identity_header.clone(), tenant),
            injector: Mutex::new(Injector::new(options.faults.clone(), options.seed)),
            options,
            base: origin,
            operations: Mutex::new(HashMap::new()),
            buckets: Mutex::new(HashMap::new()),
            recorded: Mutex::new(Vec::new()),
            served: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            max_in_flight: AtomicU64::new(0),
        }
    }

    /// A simulated duration of `secs` Azure seconds, scaled by `--speed`.
    pub fn scaled(&self, secs: f64) -> std::time::Duration {
        std::time::Duration::from_secs_f64((secs / self.options.speed.max(0.001)).max(0.0))
    }
}

/// Read bucket size and refill per second (ARM: 250 and 25 per subscription and principal).
pub(super) const READ_BUCKET: (f64, f64) = (250.0, 25.0);
/// Write bucket size and refill per second.
pub(super) const WRITE_BUCKET: (f64, f64) = (200.0, 10.0);
