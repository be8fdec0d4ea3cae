//! The console's loop: terminal in, messages through `update`, effects out on tokio, `view`
//! when something changed. Sleeps until the next event, reply or deadline; an idle console
//! wakes only when the time shown would change or a refresh falls due.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use time::OffsetDateTime;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::ConsoleError;
use super::cache::{cache_path, read_cache, write_cache};
use super::effect::Effect;
use super::keymap::KeyMap;
use super::model::{Identity, Level, Model, ReqId};
use super::msg::{Msg, Payload};
use super::runs::{RunContext, WatchRequest};
use super::settings::Settings;
use super::update::{init, update};
use super::view::view;
use crate::arm::ArmClient;
use crate::arm::wire::DTL_API_VERSION;
use crate::config::FactoryConfig;
use crate::factory::audit::{Actor, AuditLog, state_dir};
use crate::factory::builder::background::Invocation;
use crate::factory::builder::journal;
use crate::factory::{Cancel, Inventory, pin, retire};

/// What effects need from the outside world.
#[derive(Clone)]
struct Context {
    client: ArmClient,
    /// Clients for the other credentials the setup tried, by credential.
    clients: Arc<Mutex<HashMap<crate::arm::AuthMode, ArmClient>>>,
    config: Option<Arc<FactoryConfig>>,
    cache: PathBuf,
    tx: UnboundedSender<Msg>,
    /// The cancellation of each running piece of work, by the request that started it.
    cancels: Arc<Mutex<HashMap<ReqId, Cancel>>>,
    /// Tasks that only read (plans): a superseded one is aborted, by the request that
    /// started it.
    tasks: Arc<Mutex<HashMap<ReqId, tokio::task::AbortHandle>>>,
    /// How background runs are started (the same Azure, credential and configuration).
    invocation: Invocation,
    /// The journal watcher.
    watcher: UnboundedSender<WatchRequest>,
}

impl Context {
    /// The client that signs in with `mode`: this console's, or one made for it (kept, so
    /// that its tokens are too).
    fn client_for(&self, mode: crate::arm::AuthMode) -> Result<ArmClient, String> {
        if self.client.auth_mode() == Some(mode) {
            return Ok(self.client.clone());
        }
        let mut clients = self.clients.lock().expect("clients lock");
        if let Some(client) = clients.get(&mode) {
            return Ok(client.clone());
        }
        let client = self
            .client
            .signing_in_with(mode)
            .map_err(|e| e.to_string())?;
        clients.insert(mode, client.clone());
        Ok(client)
    }

    fn runs(&self) -> RunContext {
        RunContext {
            client: self.client.clone(),
            config: self.config.clone(),
            invocation: self.invocation.clone(),
            tx: self.tx.clone(),
        }
    }
}

/// Runs the console until the operator quits. The terminal is restored on every way out,
/// panics included (ratatui's init installs the hook).
pub async fn run(
    client: ArmClient,
    config: Option<FactoryConfig>,
    settings: Settings,
    read_only: bool,
    demo: bool,
    setup: Option<super::Setup>,
) -> Result<super::model::Ending, ConsoleError> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = settings.theme(no_color)?;
    let keymap = KeyMap::new(&settings.keys, read_only)?;
    let config = config.map(Arc::new);
    let now = OffsetDateTime::now_utc();
    let mut identity = identity(&client, config.as_deref());
    identity.demo = demo;
    let mut model = Model::new(identity, config.clone(), keymap, read_only, now);
    model.refresh_every = settings.refresh_every();
    let cache = cache_path(client.endpoint());
    if let Some(inventory) = read_cache(&cache) {
        update(&mut model, Msg::Cached(Box::new(inventory)));
    }
    let (tx, mut rx) = unbounded_channel();
    let invocation = Invocation {
        config: config.as_ref().map(|c| c.path.clone()),
        endpoint: Some(client.endpoint().clone()),
        auth: client.auth_mode(),
        concurrency: None,
        read_only,
        allow_plain_http: client.allows_plain_http(),
        verbose: false,
    };
    model.invocation = invocation.clone();
    if let Some(setup) = setup {
        // Started from the command line: `init`, which is the setup alone.
        match setup {
            super::Setup::Started(dir) => super::update::setup::open_for_init(&mut model, dir),
            offered => super::update::setup::open(&mut model, offered),
        }
    }
    let watcher = super::runs::watch(journal::dir(), tx.clone());
    let mut context = Context {
        clients: Arc::default(),
        client,
        config,
        cache,
        tx,
        cancels: Arc::default(),
        tasks: Arc::default(),
        invocation,
        watcher,
    };

    let mut terminal = ratatui::init();
    let size = terminal.size()?;
    update(&mut model, Msg::Resize(size.width, size.height));
    for effect in init(&mut model) {
        spawn(effect, &context);
    }
    let mut events = EventStream::new();
    // SIGTERM and SIGHUP (a closed SSH session) end the console as q does: the terminal is
    // restored, and runs go on in their own processes.
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let result = loop {
        if model.dirty {
            if let Err(e) = terminal.draw(|frame| view(&model, &theme, frame)) {
                break Err(ConsoleError::Terminal(e));
            }
            model.dirty = false;
        }
        if model.quit {
            break Ok(());
        }
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => Msg::Key(key),
                Some(Ok(Event::Resize(w, h))) => Msg::Resize(w, h),
                Some(Ok(_)) => continue,
                Some(Err(e)) => break Err(ConsoleError::Terminal(e)),
                None => break Ok(()),
            },
            Some(msg) = rx.recv() => msg,
            _ = terminate.recv() => {
                model.ending.interrupted = true;
                break Ok(());
            }
            _ = hangup.recv() => {
                model.ending.interrupted = true;
                break Ok(());
            }
            _ = tokio::time::sleep(next_wake(&model)) => Msg::Tick(OffsetDateTime::now_utc()),
        };
        // Every message carries the time forward, so `update` never reads the clock.
        let now = OffsetDateTime::now_utc();
        // (a quarter of a second: a reading's parts are shown that often while they stream)
        if !matches!(msg, Msg::Tick(_)) && now - model.now >= time::Duration::milliseconds(250) {
            for effect in update(&mut model, Msg::Tick(now)) {
                spawn(effect, &context);
            }
        }
        for effect in update(&mut model, msg) {
            if matches!(effect, Effect::Suspend) {
                suspend(&mut terminal);
                model.dirty = true;
                continue;
            }
            // The setup's new configuration: effects from now on use it and its credential.
            if let Effect::UseConfig(config) = effect {
                if let Some(mode) = config.azure.auth
                    && let Ok(client) = context.client_for(mode)
                {
                    context.client = client;
                }
                context.invocation.config = Some(config.path.clone());
                context.invocation.auth = context.client.auth_mode();
                context.config = Some(config);
                continue;
            }
            spawn(effect, &context);
        }
    };
    ratatui::restore();
    result.map(|()| model.ending)
}

fn identity(client: &ArmClient, config: Option<&FactoryConfig>) -> Identity {
    let user = crate::factory::audit::os_user();
    let mode = client
        .auth_mode()
        .map(|m| m.as_str())
        .unwrap_or("fixed token");
    let who = format!("{mode} ({user})");
    let endpoint = client.endpoint();
    let emulator = matches!(endpoint.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
        || endpoint.host_str() == Some("localhost");
    Identity {
        who,
        user,
        auth: mode.to_string(),
        tenant: None,
        factory: config.map(|c| c.factory.name.clone()),
        config_file: config.map(|c| shown_path(&c.path)),
        endpoint: endpoint.to_string(),
        emulator,
        demo: false,
    }
}

/// `path` as a person would type it here: relative to the current folder when inside it
/// (`./factory.toml`), from `~` when in the home folder.
fn shown_path(path: &std::path::Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    if let Ok(here) = std::env::current_dir()
        && let Ok(inside) = absolute.strip_prefix(&here)
    {
        return format!("./{}", inside.display());
    }
    crate::paths::from_home(&absolute)
}

/// How long to sleep before time alone would change the screen or start a refresh.
fn next_wake(model: &Model) -> Duration {
    let mut deadlines = Vec::new();
    if let Some(f) = &model.flash {
        deadlines.push(f.until);
    }
    if let Some(r) = model.freshness.next_refresh {
        deadlines.push(r);
    }
    // Parts of a reading not shown yet are shown within a quarter of a second.
    if model.freshness.partial_unshown {
        deadlines.push(model.now + super::update::SHOW_PARTS_EVERY);
    }
    // The header's age is shown in minutes: wake at the next whole minute of it.
    if let Some(read) = model.freshness.read_at {
        let into = (model.now - read).whole_seconds().rem_euclid(60);
        deadlines.push(model.now + time::Duration::seconds(60 - into));
    }
    // A run going on screen shows the time in each stage: once a second.
    if model.runs.live() > 0
        && matches!(
            model.route().view,
            super::model::View::Builds
                | super::model::View::Run { .. }
                | super::model::View::RunImage { .. }
        )
    {
        deadlines.push(model.now + time::Duration::seconds(1));
    }
    let now = OffsetDateTime::now_utc();
    deadlines
        .into_iter()
        .map(|d| (d - now).max(time::Duration::milliseconds(50)))
        .min()
        .and_then(|d| d.try_into().ok())
        .unwrap_or(Duration::from_secs(3600))
}

fn spawn(effect: Effect, context: &Context) {
    let context = context.clone();
    match effect {
        Effect::Copy(text) => copy_to_clipboard(&text),
        Effect::Suspend | Effect::UseConfig(_) => {}
        Effect::SetupSignIn(req, mode) => setup_read(
            context,
            req,
            mode,
            |client| async move { crate::setup::discover::sign_in(&client).await },
            move |result| Payload::SignedIn(mode, result),
        ),
        Effect::SetupLabs(req, mode, subscriptions) => setup_read(
            context,
            req,
            mode,
            |client| async move {
                crate::setup::discover::labs(&client, &subscriptions)
                    .await
                    .map(Box::new)
            },
            Payload::SetupLabs,
        ),
        Effect::SetupOffer(req, mode, factory, estate) => setup_read(
            context,
            req,
            mode,
            |client| async move {
                crate::factory::builder::offer::read_for_setup(&client, &factory, &estate)
                    .await
                    .map(Box::new)
            },
            Payload::SetupOffer,
        ),
        Effect::WriteConfig(req, dir, files, overwrite) => {
            tokio::task::spawn_blocking(move || {
                let result = crate::config::write::loads(&dir, &files)
                    .and_then(|_| crate::config::write::write(&dir, &files, overwrite))
                    .and_then(|()| crate::config::load(&dir.join("factory.toml")))
                    .map(Box::new)
                    .map_err(|e| e.to_string());
                let _ = context
                    .tx
                    .send(Msg::Loaded(req, Payload::ConfigWritten(result)));
            });
        }
        Effect::Check(req, inventory) => {
            let Some(config) = context.config.clone() else {
                return;
            };
            tokio::spawn(async move {
                let findings =
                    crate::factory::check::check_estate(&context.client, &config, &inventory).await;
                let _ = context.tx.send(Msg::Loaded(req, Payload::Check(findings)));
            });
        }
        Effect::LoadVmTemplate(req, id, path) => {
            tokio::spawn(async move {
                let expanded = format!("{id}?$expand=properties($expand=artifacts)");
                let result = context
                    .client
                    .get::<serde_json::Value>(&expanded, DTL_API_VERSION)
                    .await
                    .map_err(|e| format!("{} could not be read: {e}", id.name()))
                    .and_then(|vm| {
                        crate::config::legacy::definition_from_vm(&vm, id.name(), path.clone())
                            .map(Box::new)
                    });
                let _ = context
                    .tx
                    .send(Msg::Loaded(req, Payload::VmTemplate(path, result)));
            });
        }
        Effect::SaveDefinition(req, path, file, text, new) => {
            let Some(config) = context.config.clone() else {
                return;
            };
            tokio::task::spawn_blocking(move || {
                let result = crate::config::write::save_definition(&config, &file, &text, new)
                    .map(Box::new)
                    .map_err(|e| e.to_string());
                let _ = context
                    .tx
                    .send(Msg::Loaded(req, Payload::DefinitionSaved(path, result)));
            });
        }
        Effect::ImportLegacy(req, from, to) => {
            tokio::task::spawn_blocking(move || {
                let result = crate::config::legacy::import(&from, &to)
                    .map_err(|e| e.to_string())
                    .and_then(|report| {
                        crate::config::load(&to.join("factory.toml")).map(Box::new).map_err(|e| {
                            format!(
                                "converted {} definitions and {} labs into {}, but the result does not load yet: {e}. Fix it there (the original factory named its factory lab in the pipeline), then start imagefactory again",
                                report.images.len(),
                                report.labs,
                                to.display()
                            )
                        })
                    });
                let _ = context
                    .tx
                    .send(Msg::Loaded(req, Payload::ConfigWritten(result)));
            });
        }
        Effect::ScanJournals => {
            let _ = context.watcher.send(WatchRequest::Scan);
        }
        Effect::RereadJournal(run) => {
            let _ = context.watcher.send(WatchRequest::Reread(run));
            let _ = context.watcher.send(WatchRequest::Scan);
        }
        Effect::PlanBuild(req, inventory, selection) => {
            let task = tokio::spawn(super::runs::plan_build(
                context.runs(),
                req,
                inventory,
                selection,
            ));
            track(&context, req, task);
        }
        Effect::PlanDistribution(req, inventory, only) => {
            let task = tokio::spawn(super::runs::plan_distribution(
                context.runs(),
                req,
                inventory,
                only,
            ));
            track(&context, req, task);
        }
        Effect::StartRun(req, plan, distribution) => {
            tokio::spawn(super::runs::start(context.runs(), req, plan, distribution));
        }
        Effect::CancelRun(req, run) => {
            let ctx = context.runs();
            tokio::task::spawn_blocking(move || super::runs::cancel(ctx, req, run));
        }
        Effect::ResumeRun(req, run) => {
            tokio::spawn(super::runs::resume(context.runs(), req, run));
        }
        Effect::ReadLab(req, lab) => {
            tokio::spawn(async move {
                // A failure here is the reading's to report, in its own time.
                if let Ok(fresh) = lab.reread(&context.client).await {
                    let part = crate::factory::inventory::Reading::Lab(Box::new(fresh), None);
                    let _ = context.tx.send(Msg::Reading(req, Box::new(part)));
                }
            });
        }
        Effect::LoadPrincipal => {
            tokio::spawn(async move {
                let principal = context.client.principal().await;
                let _ = context
                    .tx
                    .send(Msg::Loaded(0, Payload::Principal(principal)));
            });
        }
        Effect::Cancel(req)
            if let Some(task) = context.tasks.lock().expect("task lock").remove(&req) =>
        {
            task.abort();
        }
        Effect::Cancel(req) | Effect::Hold(req) | Effect::Release(req) => {
            if let Some(cancel) = context.cancels.lock().expect("cancel lock").get(&req) {
                match effect {
                    Effect::Cancel(_) => cancel.cancel(),
                    Effect::Hold(_) => cancel.hold(),
                    _ => cancel.release(),
                }
            }
        }
        Effect::RefreshInventory(req) => {
            tokio::spawn(async move {
                let tx = context.tx.clone();
                let report = move |part| {
                    let _ = tx.send(Msg::Reading(req, Box::new(part)));
                };
                let result = Inventory::refresh_reporting(
                    &context.client,
                    context.config.as_deref(),
                    &report,
                )
                .await;
                let payload = match result {
                    Ok(inventory) => {
                        write_cache(&context.cache, &inventory);
                        Ok(Box::new(inventory))
                    }
                    Err(e) => {
                        tracing::error!("refresh failed: {e}");
                        Err(e.to_string())
                    }
                };
                let _ = context
                    .tx
                    .send(Msg::Loaded(req, Payload::Inventory(payload)));
            });
        }
        Effect::LoadDetail(req, id) => {
            tokio::spawn(async move {
                let result = context
                    .client
                    .get::<serde_json::Value>(id.as_str(), DTL_API_VERSION)
                    .await;
                let payload = result
                    .map(|v| serde_json::to_string_pretty(&v).unwrap_or_default())
                    .map_err(|e| e.to_string());
                let _ = context.tx.send(Msg::Loaded(req, Payload::Detail(payload)));
            });
        }
        Effect::SetPin(req, id, lab, change) => {
            tokio::spawn(async move {
                let reason = match &change {
                    pin::PinChange::Pin { reason, .. } => Some(reason.clone()),
                    pin::PinChange::Unpin => None,
                };
                let actor = Actor::current(&context.client).await;
                let result = match AuditLog::open(&state_dir()) {
                    Ok(audit) => pin::set_pin(&context.client, &id, &lab, &change, &audit, &actor)
                        .await
                        .map(|_| reason),
                    Err(e) => Err(e),
                }
                .map_err(|e| {
                    tracing::error!("{e}");
                    e.to_string()
                });
                let _ = context.tx.send(Msg::Loaded(req, Payload::Pin(id, result)));
            });
        }
        Effect::Retire(req, inventory, targets, now) => {
            // Registered before anything is awaited, so that a stop pressed at once is heard.
            let cancel = Cancel::new();
            context
                .cancels
                .lock()
                .expect("cancel lock")
                .insert(req, cancel.clone());
            tokio::spawn(async move {
                let audit = match AuditLog::open(&state_dir()) {
                    Ok(a) => a,
                    Err(e) => {
                        context.cancels.lock().expect("cancel lock").remove(&req);
                        let _ = context.tx.send(Msg::Flash(Level::Error, e.to_string()));
                        let _ = context.tx.send(Msg::Loaded(req, Payload::RetireDone));
                        return;
                    }
                };
                let actor = Actor::current(&context.client).await;
                let tx = context.tx.clone();
                let report: Box<dyn Fn(&retire::RetireOutcome) + Send + Sync> =
                    Box::new(move |o| {
                        let _ = tx.send(Msg::Retired(req, o.clone()));
                    });
                retire::apply(
                    &context.client,
                    &inventory,
                    context.config.as_deref(),
                    &targets,
                    now,
                    &audit,
                    &actor,
                    &cancel,
                    &*report,
                )
                .await;
                context.cancels.lock().expect("cancel lock").remove(&req);
                let _ = context.tx.send(Msg::Loaded(req, Payload::RetireDone));
            });
        }
    }
}

/// A read the setup asked for, made with the client of the credential it chose; its result
/// (or why the client could not be made) comes back as `reply` makes it.
fn setup_read<T, E, F, Fut>(
    context: Context,
    req: ReqId,
    mode: crate::arm::AuthMode,
    read: F,
    reply: impl FnOnce(Result<T, String>) -> Payload + Send + 'static,
) where
    F: FnOnce(ArmClient) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, E>> + Send,
    E: std::fmt::Display,
{
    tokio::spawn(async move {
        let result = match context.client_for(mode) {
            Ok(client) => read(client).await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        let _ = context.tx.send(Msg::Loaded(req, reply(result)));
    });
}

/// Keeps the abort handle of a read-only task until it ends, so that it can be stopped when
/// superseded.
fn track(context: &Context, req: ReqId, task: tokio::task::JoinHandle<()>) {
    let tasks = context.tasks.clone();
    tasks
        .lock()
        .expect("task lock")
        .insert(req, task.abort_handle());
    tokio::spawn(async move {
        let _ = task.await;
        tasks.lock().expect("task lock").remove(&req);
    });
}

/// ctrl-z: the terminal goes back to the shell as it was, the process stops (SIGTSTP, as a
/// shell job), and when `fg` resumes it the console takes the screen again and redraws whole.
fn suspend(terminal: &mut ratatui::DefaultTerminal) {
    ratatui::restore();
    #[cfg(unix)]
    // SAFETY: raise only sends a signal to this process; no memory is shared with it.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    // Execution continues here after SIGCONT.
    let _ = crossterm::terminal::enable_raw_mode();
    let _ = crossterm::execute!(std::io::stdout(), crossterm::terminal::EnterAlternateScreen);
    let _ = terminal.clear();
}

/// OSC 52: the terminal puts the text on the clipboard (works over SSH, in tmux with
/// `set-clipboard on`).
fn copy_to_clipboard(text: &str) {
    use base64::Engine;
    use std::io::Write;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = std::io::stdout();
    let _ = write!(out, "\x1b]52;c;{encoded}\x07");
    let _ = out.flush();
}
