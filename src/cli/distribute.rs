//! `distribute`: back-fills labs from the catalogue. Shows what each lab would get; with
//! `--yes`, runs it as a run of its own (journal, `watch`, `resume`, `cancel` all apply).

use clap::Args;

use super::Global;
use super::build::execute;
use super::exit::Exit;
use super::output::{Table, report_error, report_warning};
use crate::factory::audit::Actor;
use crate::factory::builder::backfill;
use crate::factory::builder::journal::{self, Journal, RunState};

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
    let plan = match backfill::plan_run(client, &config, &inventory, args.lab.as_deref()).await {
        Ok(plan) => plan,
        Err(e) => {
            report_error(&e);
            return Exit::Failure;
        }
    };
    for s in &plan.skipped {
        report_warning(&format!(
            "{} → {}: {}",
            s.path,
            s.lab.as_deref().unwrap_or("?"),
            s.why
        ));
    }
    if plan.jobs.is_empty() {
        if plan.skipped.is_empty() {
            say!(
                "every lab has the retained versions of the paths it subscribes to; nothing to distribute"
            );
        } else {
            say!(
                "nothing can be distributed from the catalogue; {} left as the warnings above say",
                crate::human::count(plan.skipped.len(), "path")
            );
        }
        return Exit::Ok;
    }
    let mut table = Table::new(vec!["PATH", "IMAGE", "LAB"]);
    for job in &plan.jobs {
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
        say!(
            "\nnothing was changed; `imagefactory distribute{} --yes` copies these from the catalogue",
            args.lab
                .as_deref()
                .map(|l| format!(" --lab {l}"))
                .unwrap_or_default()
        );
        return Exit::Ok;
    }
    let actor = Actor::current(client).await;
    let dir = journal::dir();
    let journal = match Journal::open(&dir, &plan.run) {
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
    let lines = crate::factory::builder::background::first_lines(&plan, &actor, true);
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
