//! The console's edge for runs: a watcher that reads the run journals as they grow (every
//! half second while a run here is going, every few seconds otherwise, and at once when asked)
//! and the effects that plan, start, stop and resume runs. Runs are processes of their own:
//! the console starts them detached and follows their journals, so closing it stops none.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::model::JournalRead;
use super::msg::{Msg, Payload};
use crate::arm::ArmClient;
use crate::config::FactoryConfig;
use crate::factory::Inventory;
use crate::factory::audit::Actor;
use crate::factory::build::background::{self, Invocation, Liveness, Tail, liveness};
use crate::factory::build::journal::{self, RunState};
use crate::factory::build::{BuildPlan, RunId, Selection, backfill, offer, plan};

/// What the watcher can be asked.
#[derive(Debug)]
pub enum WatchRequest {
    /// Look for new journals now.
    Scan,
    /// Read this run's journal again from its start.
    Reread(String),
}

/// How often journals are looked at while a run on this machine is going, and otherwise.
const LIVE_EVERY: Duration = Duration::from_millis(500);
const IDLE_EVERY: Duration = Duration::from_secs(5);

/// One journal being followed.
struct Followed {
    tail: Tail,
    state: Option<RunState>,
    liveness: Option<Liveness>,
}

/// Starts the watcher of the journals in `dir`; it reports each journal's new lines as
/// `Msg::Journal` and stops when the console's channel closes.
pub fn watch(dir: PathBuf, tx: UnboundedSender<Msg>) -> UnboundedSender<WatchRequest> {
    let (requests, mut rx) = unbounded_channel();
    tokio::spawn(async move {
        let mut followed: HashMap<String, Followed> = HashMap::new();
        loop {
            let live = scan(&dir, &mut followed, &tx);
            if tx.is_closed() {
                return;
            }
            let wait = if live { LIVE_EVERY } else { IDLE_EVERY };
            tokio::select! {
                request = rx.recv() => match request {
                    Some(WatchRequest::Reread(run)) => {
                        followed.remove(&run.to_ascii_lowercase());
                    }
                    Some(WatchRequest::Scan) => {}
                    None => return,
                },
                _ = tokio::time::sleep(wait) => {}
            }
        }
    });
    requests
}

/// Reads what each journal gained; returns whether a run here is going.
fn scan(
    dir: &std::path::Path,
    followed: &mut HashMap<String, Followed>,
    tx: &UnboundedSender<Msg>,
) -> bool {
    let mut live = false;
    for (run, path) in journal::list(dir) {
        let key = run.as_str().to_ascii_lowercase();
        let entry = followed.entry(key.clone()).or_insert_with(|| Followed {
            tail: Tail::new(&path),
            state: None,
            liveness: None,
        });
        // An ended run's journal does not change again.
        if entry.liveness == Some(Liveness::Finished) {
            continue;
        }
        let from = entry.tail.offset();
        let Ok(lines) = entry.tail.read() else {
            continue;
        };
        for line in &lines {
            match &mut entry.state {
                Some(state) => state.apply(line),
                None => entry.state = RunState::begin(line),
            }
        }
        let Some(state) = &entry.state else { continue };
        let now = liveness(state);
        live |= now == Liveness::Running;
        if lines.is_empty() && entry.liveness == Some(now) {
            continue;
        }
        entry.liveness = Some(now);
        let read = JournalRead {
            run: key,
            from,
            to: entry.tail.offset(),
            lines,
            liveness: now,
        };
        if tx.send(Msg::Journal(read)).is_err() {
            return false;
        }
    }
    live
}

/// What the run effects need.
#[derive(Clone)]
pub struct RunContext {
    pub client: ArmClient,
    pub config: Option<std::sync::Arc<FactoryConfig>>,
    pub invocation: Invocation,
    pub tx: UnboundedSender<Msg>,
}

impl RunContext {
    fn reply(&self, req: u64, payload: Payload) {
        let _ = self.tx.send(Msg::Loaded(req, payload));
    }

    fn config(&self) -> Result<&FactoryConfig, String> {
        self.config
            .as_deref()
            .ok_or_else(|| "no factory configuration".to_string())
    }
}

/// Plans a build of `selection`: what the factory lab offers, then the pure planner.
pub async fn plan_build(
    ctx: RunContext,
    req: u64,
    inventory: Box<Inventory>,
    selection: Selection,
) {
    let result = async {
        let config = ctx.config()?;
        let offer = offer::read(&ctx.client, &config.factory, &inventory)
            .await
            .map_err(|e| {
                format!(
                    "cannot read what the factory lab {} offers: {e}",
                    config.factory.name
                )
            })?;
        let run = RunId::new(time::OffsetDateTime::now_utc(), rand::random());
        Ok(Box::new(plan(config, &inventory, &offer, &selection, run)))
    }
    .await;
    ctx.reply(
        req,
        Payload::RunPlan {
            distribution: false,
            plan: result,
        },
    );
}

/// Plans a distribution from the catalogue.
pub async fn plan_distribution(
    ctx: RunContext,
    req: u64,
    inventory: Box<Inventory>,
    only: Option<String>,
) {
    let result = async {
        let config = ctx.config()?;
        backfill::plan_run(&ctx.client, config, &inventory, only.as_deref())
            .await
            .map(Box::new)
    }
    .await;
    ctx.reply(
        req,
        Payload::RunPlan {
            distribution: true,
            plan: result,
        },
    );
}

/// Starts a planned run in a background process.
pub async fn start(ctx: RunContext, req: u64, plan: Box<BuildPlan>, distribution: bool) {
    let actor = Actor::current(&ctx.client).await;
    let result =
        background::start(&plan, &actor, distribution, &ctx.invocation).map(|(pid, log)| {
            format!(
                "started in process {pid}, which outlives this console; its log: {}",
                log.display()
            )
        });
    ctx.reply(req, Payload::RunAction(result));
}

/// Stops a run: its process cleans up on SIGTERM; a run without a process is cleaned up by
/// a background `cancel`.
pub fn cancel(ctx: RunContext, req: u64, run: String) {
    let result = (|| {
        let id = RunId::parse(&run).ok_or_else(|| format!("{run} is not a run id"))?;
        let path = journal::path_of(&journal::dir(), &id);
        let state = RunState::fold(&journal::read(&path)?)
            .ok_or_else(|| format!("{} holds no run", path.display()))?;
        match liveness(&state) {
            Liveness::Finished => Ok(format!("run {run} had already ended")),
            Liveness::Elsewhere => {
                Err(format!("run {run} runs on {}: cancel it there", state.host))
            }
            Liveness::Running => background::terminate(state.pid)
                .map(|()| {
                    format!(
                        "asked process {} to stop; it cleans up what the run made",
                        state.pid
                    )
                })
                .map_err(|e| format!("cannot signal process {}: {e}", state.pid)),
            Liveness::Stopped => {
                let log = journal::dir().join(format!("{run}.cancel.log"));
                let args = ctx.invocation.args(&["cancel", &run]);
                background::spawn_detached(&args, &log)
                    .map(|pid| {
                        format!("its process was gone: process {pid} cleans up what it made")
                    })
                    .map_err(|e| {
                        format!("cannot start the clean-up: {e}; run `imagefactory cancel {run}`")
                    })
            }
        }
    })();
    ctx.reply(req, Payload::RunAction(result));
}

/// Finishes a run whose process is gone, in a background process.
pub fn resume(ctx: RunContext, req: u64, run: String) {
    let log = journal::dir().join(format!("{run}.log"));
    let args = ctx.invocation.args(&["resume", &run]);
    let result = background::spawn_detached(&args, &log)
        .map(|pid| format!("resumed in process {pid}, which outlives this console"))
        .map_err(|e| format!("cannot resume: {e}; run `imagefactory resume {run}`"));
    ctx.reply(req, Payload::RunAction(result));
}
