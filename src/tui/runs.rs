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
use crate::factory::builder::background::{self, Invocation, Liveness, Tail, liveness};
use crate::factory::builder::journal::{self, RunState};
use crate::factory::builder::{BuildPlan, RunId, Selection, backfill, offer, plan};

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
        let mut first = true;
        loop {
            let live = scan(&dir, &mut followed, &tx);
            if tx.is_closed() {
                return;
            }
            // After the journals' own lines, so that "no runs" is said only when there are none.
            if std::mem::take(&mut first) {
                let _ = tx.send(Msg::JournalsListed);
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
        let offer = offer::read(&ctx.client, &config.factory, &inventory, &config.bases())
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

/// Starts a planned run in a background process, and waits until that process has taken the
/// run over (its own first line in the journal) or has ended. A process that ends first made
/// nothing in Azure: the run is recorded as cancelled, with the end of its log as the reason.
pub async fn start(ctx: RunContext, req: u64, plan: Box<BuildPlan>, distribution: bool) {
    let actor = Actor::current(&ctx.client).await;
    let result = match background::start(&plan, &actor, distribution, &ctx.invocation) {
        Err(e) => Err(e),
        Ok((pid, log)) => match taken_over(&plan.run, pid).await {
            TakeOver::Taken => Ok(format!(
                "started in process {pid}, which outlives this console; its log: {}",
                log.display()
            )),
            TakeOver::Slow => Ok(format!(
                "process {pid} is still starting the run; its log: {}",
                log.display()
            )),
            TakeOver::Ended => {
                let why = log_tail(&log);
                end_unstarted(&plan.run, &why);
                Err(format!(
                    "the background process ended before it took the run over: {why} (its log: {})",
                    log.display()
                ))
            }
        },
    };
    if let Err(e) = &result {
        tracing::error!("starting run {}: {e}", plan.run);
    }
    ctx.reply(req, Payload::RunAction(result));
}

/// How a hand-over to a background process went.
enum TakeOver {
    Taken,
    /// Not yet, after a minute; the process still lives.
    Slow,
    Ended,
}

/// Waits until process `pid` names itself in the journal of `run`, or ends.
async fn taken_over(run: &RunId, pid: u32) -> TakeOver {
    let path = journal::path_of(&journal::dir(), run);
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let state = journal::read(&path).ok().and_then(|l| RunState::fold(&l));
        if state.is_some_and(|s| s.pid == pid) {
            return TakeOver::Taken;
        }
        if !background::process_alive(pid) {
            return TakeOver::Ended;
        }
    }
    TakeOver::Slow
}

/// The last lines of a background process's log: what it said before it ended.
fn log_tail(log: &std::path::Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("--- "))
        .collect();
    let tail = lines[lines.len().saturating_sub(2)..].join(" / ");
    if tail.is_empty() {
        "it wrote nothing".into()
    } else {
        crate::arm::redact::redact(&tail)
    }
}

/// Records that a run never started: nobody took it over, so nothing was made.
fn end_unstarted(run: &RunId, why: &str) {
    let Ok(journal) = journal::Journal::open(&journal::dir(), run) else {
        return;
    };
    let now = crate::factory::builder::runner::now();
    for event in [
        journal::Event::CancelAsked {
            by: format!("the console: its background process ended before starting ({why})"),
        },
        journal::Event::Finished {
            outcome: journal::RunOutcome::Cancelled,
        },
    ] {
        let _ = journal.append(&journal::Line {
            at: now.clone(),
            event,
        });
    }
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
            Liveness::Running => background::terminate(&state)
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

/// Finishes a run whose process is gone, in a background process, and waits until it has
/// taken the run over (or says why it could not).
pub async fn resume(ctx: RunContext, req: u64, run: String) {
    let log = journal::dir().join(format!("{run}.log"));
    let args = ctx.invocation.args(&["resume", &run]);
    let result = match (background::spawn_detached(&args, &log), RunId::parse(&run)) {
        (Err(e), _) => Err(format!(
            "cannot resume: {e}; run `imagefactory resume {run}`"
        )),
        (Ok(_), None) => Err(format!("{run} is not a run id")),
        (Ok(pid), Some(id)) => match taken_over(&id, pid).await {
            TakeOver::Taken => Ok(format!(
                "resumed in process {pid}, which outlives this console"
            )),
            TakeOver::Slow => Ok(format!("process {pid} is still taking the run over")),
            TakeOver::Ended => Err(format!(
                "the resume ended at once: {} (its log: {})",
                log_tail(&log),
                log.display()
            )),
        },
    };
    ctx.reply(req, Payload::RunAction(result));
}
