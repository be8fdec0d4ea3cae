//! `--demo`: the embedded emulator, seeded with the sample world, in this process.

use super::Global;
use crate::arm::AuthMode;
use crate::sim::{self, SimHandle, SimOptions};

/// The sample factory, in the binary as the world is: an installed binary (a release archive,
/// `cargo install`) has no checkout to read it from. Written to a private temporary folder
/// when first asked for, so that the console's editors have files to open.
const SAMPLE_FACTORY: &[(&str, &str)] = &[
    (
        "factory.toml",
        include_str!("../../samples/factory/factory.toml"),
    ),
    (
        "images/Win2016/Datacenter.toml",
        include_str!("../../samples/factory/images/Win2016/Datacenter.toml"),
    ),
    (
        "images/Win2016/SQLServer 2016 Express.toml",
        include_str!("../../samples/factory/images/Win2016/SQLServer 2016 Express.toml"),
    ),
    (
        "images/ubuntu2204/docker.toml",
        include_str!("../../samples/factory/images/ubuntu2204/docker.toml"),
    ),
    (
        "images/ubuntu2404/base.toml",
        include_str!("../../samples/factory/images/ubuntu2404/base.toml"),
    ),
    (
        "images/win11/dev.toml",
        include_str!("../../samples/factory/images/win11/dev.toml"),
    ),
    (
        "images/win2019/sql2019.toml",
        include_str!("../../samples/factory/images/win2019/sql2019.toml"),
    ),
    (
        "images/win2022/base.toml",
        include_str!("../../samples/factory/images/win2022/base.toml"),
    ),
    (
        "images/win2022/vs2022.toml",
        include_str!("../../samples/factory/images/win2022/vs2022.toml"),
    ),
];

static SAMPLE_DIR: std::sync::OnceLock<std::io::Result<std::path::PathBuf>> =
    std::sync::OnceLock::new();

/// The sample factory's `factory.toml`, written out (once per process) to a temporary folder
/// of this user's.
pub fn sample_factory() -> std::io::Result<std::path::PathBuf> {
    let dir = SAMPLE_DIR.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir =
            std::env::temp_dir().join(format!("imagefactory-demo-{}-{nanos}", std::process::id()));
        crate::files::private_dir(&dir)?;
        for (relative, text) in SAMPLE_FACTORY {
            let path = dir.join(relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            crate::files::write_private(&path, text.as_bytes())?;
        }
        Ok(dir)
    });
    match dir {
        Ok(dir) => Ok(dir.join("factory.toml")),
        Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
    }
}

/// Removes the sample factory written for this process, if it was.
pub fn remove_sample_factory() {
    if let Some(Ok(dir)) = SAMPLE_DIR.get() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

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
