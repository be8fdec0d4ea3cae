//! `distribute`: back-fills labs from the catalogue. Shows what each lab would get; with
//! `--yes`, runs it as a run of its own (journal, `watch`, `resume`, `cancel` all apply).

use clap::Args;

use super::Global;
use super::build::{execute, started_here};
use super::exit::Exit;
use super::output::{Table, report_error, report_warning};
use crate::factory::audit::Actor;
use crate::factory::build::journal::{self, Event, Journal, Line, RunState, Stage};
use crate::factory::build::runner::now;
use crate::factory::build::{BuildPlan, RunId};
use crate::factory::build::{backfill, catalogue};

#[derive(Debug, Args)]
pub struct DistributeArgs {
    /// Only this lab (by name).
    #[arg(long, value_name = "NAME")]
    pub lab: Option<String>,
    /// Distribute what the preview lists (without it, nothing is changed).
    #[arg(long)]
    pub yes: bool,
    /// Print the run's final state as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(global: &Global, args: DistributeArgs) -> Exit {
    let (context, config) = match super::context::with_config(
        global,
        "distribute needs the factory configuration (its factory lab and target labs)",
    ) {
        Ok(found) => found,
        Err(exit) => return exit,
    };
    if let Some(name) = &args.lab
        && !config
            .labs
            .iter()
            .any(|l| l.lab.name.eq_ignore_ascii_case(name))
    {
        let known: Vec<&str> = config.labs.iter().map(|l| l.lab.name.as_str()).collect();
        let hint = crate::human::nearest(name, &known)
            .map(|n| format!(" Did you mean `{n}`?"))
            .unwrap_or_default();
        report_error(&format!(
            "no target lab named `{name}` in {}.{hint}",
            config.path.display()
        ));
        return Exit::Usage;
    }
    let client = &context.client;
    let inventory = match super::context::read_inventory(&context).await {
        Ok(i) => i,
        Err(exit) => return exit,
    };
    let Some(factory) = inventory
        .labs()
        .map(|(_, l)| l)
        .find(|l| config.factory.is(l.id.as_str()))
    else {
        report_error(&format!(
            "the factory lab {} cannot be read; its catalogue is in its storage account",
            config.factory.name
        ));
        return Exit::Failure;
    };
    let location = factory.location.clone();
    let catalogue = match catalogue::read(client, &config.factory).await {
        Ok(c) => c.into_iter().map(|(_, e)| e).collect::<Vec<_>>(),
        Err(e) => {
            report_error(&format!("cannot read the catalogue: {e}"));
            return Exit::Failure;
        }
    };
    let backfill = backfill::plan(
        &config,
        &inventory,
        &catalogue,
        &location,
        args.lab.as_deref(),
    );
    for s in &backfill.skipped {
        report_warning(&format!(
            "{} → {}: {}",
            s.path,
            s.lab.as_deref().unwrap_or("?"),
            s.why
        ));
    }
    if backfill.jobs.is_empty() {
        println!(
            "every lab has the retained versions of the paths it subscribes to; nothing to distribute"
        );
        return Exit::Ok;
    }
    let mut table = Table::new(vec!["PATH", "IMAGE", "LAB"]);
    for job in &backfill.jobs {
        for t in &job.targets {
            table.row(vec![
                job.path.to_string(),
                job.image_name.clone(),
                t.lab.name.clone(),
            ]);
        }
    }
    if !args.yes {
        let _ = table.print();
        println!(
            "\nnothing was changed; `imagefactory distribute --yes` copies these from the catalogue"
        );
        return Exit::Ok;
    }
    let run = RunId::new(time::OffsetDateTime::now_utc(), rand::random());
    let plan = BuildPlan {
        run: run.clone(),
        factory: config.factory.clone(),
        factory_location: location.clone(),
        parallelism: config.defaults.parallelism.max(1),
        jobs: backfill.jobs,
        skipped: backfill.skipped,
        errors: Vec::new(),
    };
    let actor = Actor::current(client).await;
    let dir = journal::dir();
    let journal = match Journal::open(&dir, &run) {
        Ok(j) => j,
        Err(e) => {
            report_error(&format!(
                "cannot write the run journal in {}: {e}",
                dir.display()
            ));
            return Exit::Failure;
        }
    };
    // The run starts at distribution: its journal says so before anything is done.
    let mut lines = vec![Line {
        at: now(),
        event: started_here(&plan, &actor, false),
    }];
    lines.extend(plan.jobs.iter().map(|j| Line {
        at: now(),
        event: Event::Stage {
            image: j.image_name.clone(),
            stage: Stage::Distributing,
        },
    }));
    for line in &lines {
        if let Err(e) = journal.append(line) {
            report_error(&format!("cannot write the run journal: {e}"));
            return Exit::Failure;
        }
    }
    let state = RunState::fold(&lines);
    execute(
        &context,
        &config,
        &plan,
        journal,
        None,
        state.map(|s| (s, false)),
        &actor,
        args.json,
    )
    .await
}
