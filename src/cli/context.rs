//! Everything a command needs to talk to Azure: configuration, endpoint, credential, client.

use std::path::PathBuf;

use super::Global;
use super::exit::Exit;
use super::output::report_error;
use crate::arm::{ArmClient, ArmClientOptions, AuthMode, TokenSource};
use crate::config::{self, FactoryConfig};
use crate::factory::Inventory;
use crate::factory::inventory::{Reading, Reporter};

const PUBLIC_ARM: &str = "https://management.azure.com/";

/// A ready client and the configuration, if any.
pub struct Context {
    pub client: ArmClient,
    pub config: Option<FactoryConfig>,
    /// Show how far a reading has got on stderr (`--progress`, or stderr is a terminal).
    pub progress: bool,
}

impl Context {
    /// Loads the configuration and builds the client; errors are reported and turned into
    /// the exit code to leave with.
    pub fn new(global: &Global) -> Result<Context, Exit> {
        let config = discover(global).map_err(|e| {
            report_error(&e.to_string());
            Exit::Usage
        })?;
        Context::connect(global, config)
    }

    /// Builds the client for `global`'s options over `config`'s settings (none: the defaults,
    /// as for `init`, which makes the configuration).
    pub fn connect(global: &Global, config: Option<FactoryConfig>) -> Result<Context, Exit> {
        let settings = config.as_ref().map(|c| c.azure.clone()).unwrap_or_default();
        let endpoint = global
            .endpoint
            .clone()
            .or(settings.endpoint)
            .unwrap_or_else(|| {
                url::Url::parse(PUBLIC_ARM).expect("the public ARM endpoint is a URL")
            });
        let auth = global.auth.or(settings.auth).unwrap_or(AuthMode::Cli);
        let mut options = ArmClientOptions::new(endpoint);
        options.read_only = global.read_only || settings.read_only;
        options.allow_plain_http = global.allow_plain_http;
        if let Some(n) = global.concurrency.map(usize::from).or(settings.concurrency) {
            options.concurrency = n;
        }
        let http = ArmClient::http_client().map_err(|e| {
            report_error(&e.to_string());
            Exit::Failure
        })?;
        let tokens = TokenSource::new(auth, http.clone()).map_err(|e| {
            report_error(&e.to_string());
            Exit::Usage
        })?;
        Ok(Context {
            client: ArmClient::new(http, tokens, options),
            config,
            progress: global.progress || std::io::IsTerminal::is_terminal(&std::io::stderr()),
        })
    }
}

/// The configuration `global` names or discovery finds; in the demo, the sample factory when
/// there is none (a `factory.toml` here, made by `init`, comes first).
pub fn discover(global: &Global) -> Result<Option<FactoryConfig>, config::ConfigError> {
    match config::discover(global.config.as_deref())? {
        Some(found) => Ok(Some(found)),
        None if global.demo => match demo_config() {
            Some(sample) => config::load(&sample).map(Some),
            None => Ok(None),
        },
        None => Ok(None),
    }
}

/// The sample factory, embedded in the binary (see `demo`).
fn demo_config() -> Option<PathBuf> {
    super::demo::sample_factory()
        .map_err(|e| tracing::warn!("cannot write the demo's sample factory: {e}"))
        .ok()
}

/// Builds the context and reads the whole inventory: what every listing command starts with.
pub async fn inventory(global: &Global) -> Result<(Context, Inventory), Exit> {
    let context = Context::new(global)?;
    let inventory = read_inventory(&context).await?;
    Ok((context, inventory))
}

/// Reads the inventory through `context` (its configuration's labs, when it has one), or
/// reports why it cannot be read.
pub async fn read_inventory(context: &Context) -> Result<Inventory, Exit> {
    read_inventory_telling(context, None).await
}

/// `read_inventory`, also telling `listener` what the reading learns as it learns it.
pub async fn read_inventory_telling(
    context: &Context,
    listener: Option<&Reporter<'_>>,
) -> Result<Inventory, Exit> {
    let progress = context
        .progress
        .then(super::progress::InventoryProgress::new);
    let report = |part: Reading| {
        if let Some(progress) = &progress {
            progress.step(&part);
        }
        if let Some(listener) = listener {
            listener(part);
        }
    };
    // Without a listener, nothing is copied out of the reading.
    let result = if progress.is_some() || listener.is_some() {
        Inventory::refresh_reporting(&context.client, context.config.as_ref(), &report).await
    } else {
        Inventory::refresh(&context.client, context.config.as_ref()).await
    };
    if let Some(progress) = progress {
        progress.finish();
    }
    result.map_err(|e| {
        report_error(&e.to_string());
        Exit::Failure
    })
}

/// Waits for Ctrl-C or SIGTERM.
pub async fn interrupted() {
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

/// The context of a command that needs the factory configuration, or the usage error that
/// says so (`what` names the command and why it needs it).
pub fn with_config(global: &Global, what: &str) -> Result<(Context, FactoryConfig), Exit> {
    let context = Context::new(global)?;
    match context.config.clone() {
        Some(config) => Ok((context, config)),
        None => {
            report_error(&format!(
                "{what}; none was found here: `imagefactory init` makes one, or pass --config FILE (or set IMAGEFACTORY_CONFIG)"
            ));
            Err(Exit::Usage)
        }
    }
}

/// A cancellation raised by ctrl-c or SIGTERM: the work stops starting new steps, lets what is
/// in flight finish and be recorded, and the command ends normally.
pub fn stop_on_interrupt() -> crate::factory::Cancel {
    let cancel = crate::factory::Cancel::new();
    let raise = cancel.clone();
    tokio::spawn(async move {
        interrupted().await;
        tell!(
            "stopping: nothing new starts; waiting for what is in flight (ctrl-c again quits at once)"
        );
        raise.cancel();
        // A second ctrl-c: the operator will not wait. What was in flight is in the audit log
        // only if it finished; say so.
        if tokio::signal::ctrl_c().await.is_ok() {
            tell!(
                "quitting now: operations in flight may have finished in Azure without an audit line"
            );
            std::process::exit(130);
        }
    });
    cancel
}
