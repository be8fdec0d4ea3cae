//! `imagefactory init`: the guided setup in the console, or with `--non-interactive` the same
//! steps from flags, for scripts. Either way every answer is checked against Azure before
//! anything is written, and nothing is overwritten unless asked.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;

use super::Global;
use super::context::Context;
use super::exit::Exit;
use super::output::{report_error, report_warning};
use crate::config::write;
use crate::factory::builder::offer;
use crate::setup::{self, ChosenArtifact, Field, Problem, Step, Wizard};

/// Options of `init`.
#[derive(Debug, Args, Default)]
pub struct InitArgs {
    /// Where to write factory.toml and images/ (default: this folder).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Take every answer from the flags below instead of asking.
    #[arg(long)]
    pub non_interactive: bool,
    /// Subscriptions to look for labs in, by id or name (default: every one the identity may change).
    #[arg(long = "subscription", value_name = "ID|NAME")]
    pub subscriptions: Vec<String>,
    /// The lab where images are built, by name (RESOURCE_GROUP/NAME when names repeat).
    #[arg(long, value_name = "LAB")]
    pub factory: Option<String>,
    /// A lab that receives images, and the image paths it receives: LAB=PATH[,PATH...].
    #[arg(long = "lab", value_name = "LAB=PATHS")]
    pub labs: Vec<String>,
    /// Images of one path kept in each lab.
    #[arg(long, value_name = "N")]
    pub keep_latest: Option<String>,
    /// Images younger than this are never retired (7d, 36h, 2w).
    #[arg(long, value_name = "AGE")]
    pub min_age: Option<String>,
    /// The first image definition's path, like win2022/base.
    #[arg(long, value_name = "PATH")]
    pub image: Option<String>,
    /// Its base image from the factory lab's gallery: PUBLISHER/OFFER/SKU.
    #[arg(long, value_name = "PUBLISHER/OFFER/SKU")]
    pub base: Option<String>,
    /// An artifact to apply: SOURCE/NAME (the artifact source's name, then the artifact's).
    #[arg(long = "artifact", value_name = "SOURCE/NAME")]
    pub artifacts: Vec<String>,
    /// A parameter of an artifact: NAME.PARAMETER=VALUE.
    #[arg(long = "parameter", value_name = "ARTIFACT.PARAMETER=VALUE")]
    pub parameters: Vec<String>,
    /// Overwrite factory.toml and the definition if they exist.
    #[arg(long)]
    pub force: bool,
}

impl InitArgs {
    /// Whether any answer was given as a flag.
    fn answers_given(&self) -> bool {
        !self.subscriptions.is_empty()
            || self.factory.is_some()
            || !self.labs.is_empty()
            || self.keep_latest.is_some()
            || self.min_age.is_some()
            || self.image.is_some()
            || self.base.is_some()
            || !self.artifacts.is_empty()
            || !self.parameters.is_empty()
    }
}

pub async fn run(global: &Global, args: InitArgs) -> Exit {
    if let Some(legacy) = setup::legacy_configuration(&args.dir) {
        report_warning(&format!(
            "an original factory's configuration is in {}: `imagefactory import-legacy {} --out {}` converts it instead",
            legacy.display(),
            legacy.display(),
            args.dir.display()
        ));
    }
    if global.config.is_some() {
        report_error(
            "init writes a new configuration into --dir (default: this folder); --config names one to read, so it does not go with init",
        );
        return Exit::Usage;
    }
    if args.dir.exists() && !args.dir.is_dir() {
        report_error(&format!(
            "--dir {} is a file, not a folder: name the folder to write factory.toml and images/ into",
            args.dir.display()
        ));
        return Exit::Usage;
    }
    if !args.non_interactive {
        if args.answers_given() {
            report_error(
                "--factory, --lab, --image, --base and the other answers are for --non-interactive; without it, init asks them",
            );
            return Exit::Usage;
        }
        if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
            report_error(
                "init asks its questions in a terminal; for scripts pass --non-interactive with --factory, --lab, --image and --base (see init --help)",
            );
            return Exit::Usage;
        }
        return super::console::run_setup(global, args.dir).await;
    }
    // A configuration already there is not loaded (it may be what is being replaced).
    let context = match Context::connect(global, None) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    match answer(&context, &args).await {
        Ok(wizard) => write_files(&wizard, &args.dir),
        Err(Wrong::Answer(p)) => {
            report_error(&format!("{}: {}", flag(&p.field), p.message));
            Exit::Usage
        }
        Err(Wrong::Azure(e)) => {
            report_error(&e);
            Exit::Failure
        }
    }
}

/// Why the answers did not make a configuration.
enum Wrong {
    Answer(Problem),
    Azure(String),
}

impl From<Problem> for Wrong {
    fn from(p: Problem) -> Wrong {
        Wrong::Answer(p)
    }
}

/// Goes through the wizard's steps with the answers the flags give.
async fn answer(context: &Context, args: &InitArgs) -> Result<Wizard, Wrong> {
    let client = &context.client;
    let mode = client.auth_mode().unwrap_or(crate::arm::AuthMode::Cli);
    let mut wizard = Wizard::new(args.dir.clone(), setup::credentials::detect_here());
    let signed_in = setup::discover::sign_in(client)
        .await
        .map_err(|e| Wrong::Azure(format!("cannot sign in with {}: {e}", mode.as_str())))?;
    wizard.signed_in(mode, signed_in);
    wizard.advance()?;
    if !args.subscriptions.is_empty() {
        let all = wizard
            .signed_in
            .as_ref()
            .map(|s| s.subscriptions.clone())
            .unwrap_or_default();
        wizard.subscriptions.clear();
        for wanted in &args.subscriptions {
            let found = all
                .iter()
                .find(|s| s.id.eq_ignore_ascii_case(wanted) || s.name.eq_ignore_ascii_case(wanted));
            match found {
                Some(s) => {
                    wizard.subscriptions.insert(s.id.clone());
                }
                None => {
                    let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
                    return Err(Wrong::Answer(Problem {
                        field: Field::Subscriptions,
                        message: format!(
                            "the identity sees no subscription `{wanted}`{}; it sees: {}",
                            crate::human::nearest(wanted, &names)
                                .map(|n| format!(" (did you mean {n}?)"))
                                .unwrap_or_default(),
                            names.join(", ")
                        ),
                    }));
                }
            }
        }
    }
    wizard.advance()?;
    let chosen: Vec<String> = wizard.subscriptions.iter().cloned().collect();
    let (estate, labs) = setup::discover::labs(client, &chosen)
        .await
        .map_err(|e| Wrong::Azure(e.to_string()))?;
    wizard.set_labs(Some(estate), labs);
    if let Some(name) = &args.factory {
        let lab = find_lab(&wizard, name, Field::Factory)?;
        wizard.set_factory(lab);
    }
    wizard.advance()?;
    for lab in &args.labs {
        let (name, paths) = lab.split_once('=').ok_or_else(|| Problem {
            field: Field::Targets,
            message: format!(
                "`{lab}` has no image paths: write LAB=PATH[,PATH...], like Dev=win2022"
            ),
        })?;
        let i = find_lab(&wizard, name.trim(), Field::Targets)?;
        if wizard.targets.insert(i, paths.to_string()).is_some() {
            return Err(Wrong::Answer(Problem {
                field: Field::Targets,
                message: format!(
                    "{} is given twice: give it once, with every path it receives (LAB=PATH,PATH)",
                    wizard.labs[i].lab.name
                ),
            }));
        }
    }
    wizard.advance()?;
    if let Some(k) = &args.keep_latest {
        wizard.retention.keep_latest = k.clone();
    }
    if let Some(a) = &args.min_age {
        wizard.retention.min_age = a.clone();
    }
    wizard.advance()?;
    let factory = wizard
        .factory
        .map(|i| wizard.labs[i].lab.clone())
        .ok_or_else(|| Wrong::Azure("no factory lab".into()))?;
    let estate = wizard
        .estate
        .clone()
        .ok_or_else(|| Wrong::Azure("the labs were not read".into()))?;
    let offered = offer::read_for_setup(client, &factory, &estate)
        .await
        .map_err(|e| {
            Wrong::Azure(format!(
                "cannot read what the factory lab {} offers: {e}",
                factory.name
            ))
        })?;
    wizard.set_offer(factory.clone(), offered);
    wizard.definition_path = args.image.clone().unwrap_or_default();
    if let Some(base) = &args.base {
        let gallery = wizard
            .offer
            .as_ref()
            .map(|o| o.gallery.clone())
            .unwrap_or_default();
        let found = gallery
            .iter()
            .position(|g| g.reference().eq_ignore_ascii_case(base.trim()));
        if let Some(g) = found {
            wizard.set_base(g);
        } else {
            let known: Vec<String> = gallery.iter().map(|g| g.reference()).collect();
            let known: Vec<&str> = known.iter().map(String::as_str).collect();
            return Err(Wrong::Answer(Problem {
                field: Field::Base,
                message: format!(
                    "the factory lab offers no base image {base}{}; it offers: {}",
                    crate::human::nearest_reference(base, &known)
                        .map(|n| format!(" (did you mean {n}?)"))
                        .unwrap_or_default(),
                    known.join(", ")
                ),
            }));
        }
    }
    wizard.artifacts = artifacts(&wizard, args)?;
    wizard.advance()?;
    wizard.overwrite = args.force;
    wizard.validate(Step::Review)?;
    Ok(wizard)
}

/// The artifacts `--artifact` names, with the values `--parameter` gives them.
fn artifacts(wizard: &Wizard, args: &InitArgs) -> Result<Vec<ChosenArtifact>, Wrong> {
    let offer = wizard.offer.clone().unwrap_or_default();
    let mut chosen = Vec::new();
    for raw in &args.artifacts {
        let bad = |message: String| {
            Wrong::Answer(Problem {
                field: Field::Artifact,
                message,
            })
        };
        let (source, name) = raw.rsplit_once('/').ok_or_else(|| {
            bad(format!(
                "`{raw}` is not SOURCE/NAME, like \"Public Repo/windows-chocolatey\""
            ))
        })?;
        let found = offer
            .artifact_sources
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(source.trim()))
            .and_then(|s| {
                s.artifacts
                    .iter()
                    .find(|a| a.name.eq_ignore_ascii_case(name.trim()))
                    .map(|a| (s, a))
            });
        let Some((s, a)) = found else {
            let known: Vec<String> = offer
                .artifact_sources
                .iter()
                .flat_map(|s| {
                    s.artifacts
                        .iter()
                        .map(move |a| format!("{}/{}", s.name, a.name))
                })
                .collect();
            let known: Vec<&str> = known.iter().map(String::as_str).collect();
            return Err(bad(format!(
                "the factory lab has no artifact {raw}{}",
                crate::human::nearest(raw, &known)
                    .map(|n| format!("; did you mean {n}?"))
                    .unwrap_or_default()
            )));
        };
        let mut parameters = BTreeMap::new();
        for (artifact, parameter, value) in parameter_flags(args)? {
            if artifact.eq_ignore_ascii_case(&a.name) {
                parameters.insert(parameter, value);
            }
        }
        chosen.push(ChosenArtifact {
            source: s.name.clone(),
            name: a.name.clone(),
            parameters,
        });
    }
    // A parameter for an artifact not chosen is a mistake, not something to ignore.
    for (artifact, parameter, _) in parameter_flags(args)? {
        if !chosen
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(&artifact))
        {
            return Err(Wrong::Answer(Problem {
                field: Field::Parameter(0, parameter.clone()),
                message: format!(
                    "{artifact}.{parameter} is for an artifact not chosen: add --artifact SOURCE/{artifact}, or fix the name before the dot"
                ),
            }));
        }
    }
    Ok(chosen)
}

/// `--parameter ARTIFACT.PARAMETER=VALUE` flags, split (an artifact's name may hold dots; a
/// parameter's does not).
fn parameter_flags(args: &InitArgs) -> Result<Vec<(String, String, String)>, Wrong> {
    args.parameters
        .iter()
        .map(|p| {
            let split = p
                .split_once('=')
                .and_then(|(key, value)| key.rsplit_once('.').map(|(a, k)| (a, k, value)));
            match split {
                Some((a, k, v)) if !a.is_empty() && !k.is_empty() => {
                    Ok((a.to_string(), k.to_string(), v.to_string()))
                }
                _ => Err(Wrong::Answer(Problem {
                    field: Field::Parameter(0, String::new()),
                    message: format!(
                        "`{p}` is not ARTIFACT.PARAMETER=VALUE, like windows-chocolatey.packages=git"
                    ),
                })),
            }
        })
        .collect()
}

/// The lab `name` names among the wizard's labs (`RESOURCE_GROUP/NAME` when names repeat).
fn find_lab(wizard: &Wizard, name: &str, field: Field) -> Result<usize, Problem> {
    let (group, lab) = match name.split_once('/') {
        Some((g, n)) => (Some(g), n),
        None => (None, name),
    };
    let matches: Vec<usize> = wizard
        .labs
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            l.lab.name.eq_ignore_ascii_case(lab)
                && group.is_none_or(|g| l.lab.resource_group.eq_ignore_ascii_case(g))
        })
        .map(|(i, _)| i)
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => {
            let known: Vec<&str> = wizard.labs.iter().map(|l| l.lab.name.as_str()).collect();
            Err(Problem {
                field,
                message: format!(
                    "no lab `{name}` in the chosen subscriptions{}",
                    crate::human::nearest(lab, &known)
                        .map(|n| format!("; did you mean {n}?"))
                        .unwrap_or_else(|| format!("; labs there: {}", known.join(", ")))
                ),
            })
        }
        many => Err(Problem {
            field,
            message: format!(
                "`{name}` names {} labs; write RESOURCE_GROUP/NAME: {}",
                many.len(),
                many.iter()
                    .map(|i| format!(
                        "{}/{}",
                        wizard.labs[*i].lab.resource_group, wizard.labs[*i].lab.name
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

/// The flag that gives the answer `field` is about.
fn flag(field: &Field) -> &'static str {
    match field {
        Field::Credential => "--auth",
        Field::Subscriptions => "--subscription",
        Field::Factory => "--factory",
        Field::Targets | Field::TargetPaths(_) => "--lab",
        Field::KeepLatest => "--keep-latest",
        Field::MinAge => "--min-age",
        Field::DefinitionPath => "--image",
        Field::Base => "--base",
        Field::Artifact => "--artifact",
        Field::Parameter(..) => "--parameter",
        Field::Files => "--force",
    }
}

fn write_files(wizard: &Wizard, dir: &Path) -> Exit {
    let files = match wizard.files() {
        Ok(f) => f,
        Err(p) => {
            report_error(&format!("{}: {}", flag(&p.field), p.message));
            return Exit::Usage;
        }
    };
    if let Err(e) = write::loads(dir, &files) {
        report_error(&format!(
            "the configuration would not load, so nothing was written: {e}"
        ));
        return Exit::Failure;
    }
    if let Err(e) = write::write(dir, &files, wizard.overwrite) {
        report_error(&e.to_string());
        return Exit::Failure;
    }
    for f in &files {
        say!("wrote {}", dir.join(&f.relative).display());
    }
    // Written elsewhere than here: the commands need to be told where.
    let config = if dir == std::path::Path::new(".") {
        String::new()
    } else {
        format!(" --config {}", dir.join("factory.toml").display())
    };
    say!(
        "next: `imagefactory{config} check` checks it against Azure; `imagefactory{config}` opens the console on it"
    );
    Exit::Ok
}
