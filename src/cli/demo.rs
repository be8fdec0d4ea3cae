//! `--demo`: the embedded emulator, seeded with the sample world, in this process.

use super::Global;
use crate::arm::AuthMode;
use crate::sim::{self, SimHandle, SimOptions};

/// How much faster than Azure the demo runs its long operations.
const DEMO_SPEED: f64 = 10.0;

/// A bound, not yet serving, emulator.
pub struct Demo {
    listener: std::net::TcpListener,
    identity_header: String,
}

impl Demo {
    /// Binds the emulator and points this process at it: the endpoint and credential in
    /// `global`, and the managed-identity variables that `azure_identity` reads. Must run before
    /// any other thread exists, because it sets environment variables.
    pub fn prepare(global: &mut Global) -> std::io::Result<Demo> {
        let listener = sim::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let addr = listener.local_addr()?;
        let identity_header = format!("demo-{}", uuid::Uuid::new_v4().simple());
        // SAFETY: called from main before the runtime or any other thread is started.
        unsafe {
            std::env::set_var("IDENTITY_ENDPOINT", format!("http://{addr}/msi/token"));
            std::env::set_var("IDENTITY_HEADER", &identity_header);
        }
        global.endpoint =
            Some(url::Url::parse(&format!("http://{addr}/")).map_err(std::io::Error::other)?);
        global.auth = Some(AuthMode::ManagedIdentity);
        Ok(Demo {
            listener,
            identity_header,
        })
    }

    /// Starts serving the sample world (inside the runtime).
    pub fn start(self) -> std::io::Result<SimHandle> {
        let world = sim::world::parse(sim::DEMO_WORLD, time::OffsetDateTime::now_utc())
            .map_err(std::io::Error::other)?;
        let options = SimOptions {
            speed: DEMO_SPEED,
            identity_header: Some(self.identity_header),
            ..SimOptions::default()
        };
        sim::serve(self.listener, world, options)
    }
}
