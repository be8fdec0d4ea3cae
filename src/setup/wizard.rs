//! The setup's answers and what makes them right: one step at a time, each checked before the
//! next, and at the end the configuration they make. Pure: what Azure said arrives as values
//! (`SignedIn`, the labs, the factory lab's offer), and the console and `init
//! --non-interactive` both drive it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use time::OffsetDateTime;

use super::credentials::CredentialOption;
use super::discover::{Access, LabChoice, SignedIn};
use crate::arm::AuthMode;
use crate::config::write::{self, ConfigFile};
use crate::config::{
    ArtifactRef, AzureSettings, BaseImage, BuildSettings, Defaults, FactoryConfig, ImageDefinition,
    ImagePath, OsType, RetentionPolicy, TargetLab, parse_age,
};
use crate::factory::Inventory;
use crate::factory::build::plan::{FactoryOffer, GalleryOffer, generalize_artifact};

/// The steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    SignIn,
    Subscriptions,
    Factory,
    Targets,
    Retention,
    Definition,
    Review,
}

impl Step {
    pub const ALL: [Step; 7] = [
        Step::SignIn,
        Step::Subscriptions,
        Step::Factory,
        Step::Targets,
        Step::Retention,
        Step::Definition,
        Step::Review,
    ];

    /// Its name in the step bar.
    pub fn title(self) -> &'static str {
        match self {
            Step::SignIn => "Sign in",
            Step::Subscriptions => "Subscriptions",
            Step::Factory => "Factory lab",
            Step::Targets => "Target labs",
            Step::Retention => "Retention",
            Step::Definition => "First image",
            Step::Review => "Write",
        }
    }

    /// The step after this one.
    pub fn next(self) -> Option<Step> {
        Step::ALL.get(self.index() + 1).copied()
    }

    /// The step before this one.
    pub fn previous(self) -> Option<Step> {
        self.index().checked_sub(1).map(|i| Step::ALL[i])
    }

    /// Its place, from 0.
    pub fn index(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

/// The answer a problem is about, so that it is shown there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Credential,
    Subscriptions,
    Factory,
    /// The labs chosen (index into the labs).
    Targets,
    /// The image paths of one target lab (index into the labs).
    TargetPaths(usize),
    KeepLatest,
    MinAge,
    DefinitionPath,
    Base,
    /// The chosen artifacts.
    Artifact,
    /// A parameter of a chosen artifact (index into the chosen artifacts, name).
    Parameter(usize, String),
    /// Files that exist and would be overwritten.
    Files,
}

/// A wrong answer: where, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: Field,
    pub message: String,
}

fn problem(field: Field, message: impl Into<String>) -> Problem {
    Problem {
        field,
        message: message.into(),
    }
}

/// An artifact chosen for the first definition, with its parameters' values.
#[derive(Debug, Clone, PartialEq)]
pub struct ChosenArtifact {
    pub source: String,
    pub name: String,
    pub parameters: BTreeMap<String, String>,
}

/// The retention answers, as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct RetentionAnswers {
    pub keep_latest: String,
    pub min_age: String,
    pub protect_in_use: bool,
    pub retire_removed_definitions: bool,
    pub retire_unsubscribed: bool,
}

impl Default for RetentionAnswers {
    fn default() -> Self {
        let d = RetentionPolicy::default();
        RetentionAnswers {
            keep_latest: d.keep_latest.to_string(),
            min_age: write::duration(d.min_age),
            protect_in_use: d.protect_in_use,
            retire_removed_definitions: d.retire_removed_definitions,
            retire_unsubscribed: d.retire_unsubscribed,
        }
    }
}

/// What today's inventory would lose under the retention answers, per target lab.
#[derive(Debug, Clone, PartialEq)]
pub struct RetentionPreview {
    pub labs: Vec<LabPreview>,
}

/// One target lab in the retention preview.
#[derive(Debug, Clone, PartialEq)]
pub struct LabPreview {
    pub lab: String,
    /// Images it would retire today.
    pub retire: usize,
    /// Images it has.
    pub images: usize,
}

impl RetentionPreview {
    /// Images retired today in all.
    pub fn retire(&self) -> usize {
        self.labs.iter().map(|l| l.retire).sum()
    }

    /// Images in the target labs in all.
    pub fn images(&self) -> usize {
        self.labs.iter().map(|l| l.images).sum()
    }
}

/// The setup: what Azure said, and the answers so far.
#[derive(Debug, Clone)]
pub struct Wizard {
    pub step: Step,
    /// Where `factory.toml` and `images/` go.
    pub dir: PathBuf,
    pub credentials: Vec<CredentialOption>,
    /// The credential signed in with.
    pub auth: Option<AuthMode>,
    pub signed_in: Option<SignedIn>,
    /// Subscription ids chosen.
    pub subscriptions: BTreeSet<String>,
    /// The labs of the chosen subscriptions, and the estate they were read from.
    pub labs: Vec<LabChoice>,
    pub estate: Option<Inventory>,
    /// The factory lab (index into `labs`).
    pub factory: Option<usize>,
    /// Target labs (index into `labs`) and the image paths each receives, as typed
    /// (comma-separated).
    pub targets: BTreeMap<usize, String>,
    pub retention: RetentionAnswers,
    /// What the factory lab offers, once read, and the lab it was read from.
    pub offer: Option<FactoryOffer>,
    pub offer_for: Option<crate::config::LabRef>,
    pub definition_path: String,
    /// The base image (index into the offer's gallery).
    pub base: Option<usize>,
    pub artifacts: Vec<ChosenArtifact>,
    /// Files that exist where the configuration would be written: they are overwritten only
    /// when this is set.
    pub overwrite: bool,
}

impl Wizard {
    /// A setup writing into `dir`, offering `credentials`.
    pub fn new(dir: PathBuf, credentials: Vec<CredentialOption>) -> Wizard {
        Wizard {
            step: Step::SignIn,
            dir,
            credentials,
            auth: None,
            signed_in: None,
            subscriptions: BTreeSet::new(),
            labs: Vec::new(),
            estate: None,
            factory: None,
            targets: BTreeMap::new(),
            retention: RetentionAnswers::default(),
            offer: None,
            offer_for: None,
            definition_path: String::new(),
            base: None,
            artifacts: Vec::new(),
            overwrite: false,
        }
    }

    /// Takes what signing in found. Subscriptions the identity may change are chosen at
    /// first (reader-only ones are shown, not chosen). Later answers are forgotten: they
    /// were about another identity.
    pub fn signed_in(&mut self, mode: AuthMode, signed_in: SignedIn) {
        self.auth = Some(mode);
        self.subscriptions = signed_in
            .subscriptions
            .iter()
            .filter(|s| !s.access.read_only())
            .map(|s| s.id.clone())
            .collect();
        self.signed_in = Some(signed_in);
        self.set_labs(None, Vec::new());
        self.offer = None;
        self.offer_for = None;
    }

    /// Takes the labs of the chosen subscriptions, keeping the choices of labs still there.
    pub fn set_labs(&mut self, estate: Option<Inventory>, labs: Vec<LabChoice>) {
        let old: Vec<LabChoice> = std::mem::take(&mut self.labs);
        let find = |i: usize| labs.iter().position(|l| l.lab == old[i].lab);
        self.factory = self.factory.and_then(find);
        self.targets = std::mem::take(&mut self.targets)
            .into_iter()
            .filter_map(|(i, paths)| Some((find(i)?, paths)))
            .collect();
        self.labs = labs;
        self.estate = estate;
    }

    /// Chooses the factory lab (index into the labs); what another lab offered is forgotten.
    pub fn set_factory(&mut self, lab: usize) {
        if self.factory != Some(lab) {
            self.factory = Some(lab);
            self.offer = None;
            self.offer_for = None;
        }
    }

    /// Takes what the factory lab `lab` offers, forgetting a base and artifacts it does not.
    pub fn set_offer(&mut self, lab: crate::config::LabRef, offer: FactoryOffer) {
        self.offer_for = Some(lab);
        let base = self.base_image().cloned();
        self.base = base.and_then(|b| offer.gallery.iter().position(|g| *g == b));
        self.artifacts.retain(|a| {
            offer
                .artifact_sources
                .iter()
                .any(|s| s.name == a.source && s.artifacts.iter().any(|o| o.name == a.name))
        });
        self.offer = Some(offer);
    }

    /// Chooses the base image (index into the gallery); artifacts for the other OS are
    /// dropped (they could not be applied, and would no longer be listed to unmark).
    pub fn set_base(&mut self, gallery: usize) {
        self.base = Some(gallery);
        let os = self.os();
        let Some(offer) = &self.offer else { return };
        let wrong_os = |a: &ChosenArtifact| {
            offer
                .artifact_sources
                .iter()
                .filter(|s| s.name == a.source)
                .flat_map(|s| s.artifacts.iter().filter(|o| o.name == a.name))
                .any(|o| {
                    o.os.as_deref()
                        .is_some_and(|o| !o.eq_ignore_ascii_case(&format!("{os:?}")))
                })
        };
        self.artifacts.retain(|a| !wrong_os(a));
    }

    /// The chosen base image.
    pub fn base_image(&self) -> Option<&GalleryOffer> {
        self.offer.as_ref()?.gallery.get(self.base?)
    }

    /// The OS of the first image: its base image's.
    pub fn os(&self) -> OsType {
        match self.base_image().and_then(|g| g.os.as_deref()) {
            Some(os) if os.eq_ignore_ascii_case("linux") => OsType::Linux,
            _ => OsType::Windows,
        }
    }

    /// Marks or unmarks a target lab; a lab marked gets the paths of another marked lab (or the
    /// folder of the first image's path), so that a list of labs is quick to mark.
    pub fn toggle_target(&mut self, lab: usize) {
        if self.targets.remove(&lab).is_none() {
            let paths = self
                .targets
                .values()
                .next_back()
                .cloned()
                .unwrap_or_else(|| self.default_paths());
            self.targets.insert(lab, paths);
        }
    }

    /// A path for the first image under what the first target lab receives (`win2022` →
    /// `win2022/base`), when none is typed yet.
    pub fn suggested_path(&self) -> String {
        let first = self.targets.values().flat_map(|p| split_paths(p)).next();
        match first {
            Some(p) if p.as_str().contains('/') => p.as_str().to_string(),
            Some(p) => format!("{p}/base"),
            None => String::new(),
        }
    }

    fn default_paths(&self) -> String {
        let path = ImagePath::new(&self.definition_path);
        match path.as_str().split('/').next() {
            Some(first) if !first.is_empty() => first.to_string(),
            _ => "win2022".into(),
        }
    }

    /// The retention policy the answers make.
    pub fn retention_policy(&self) -> Result<RetentionPolicy, Problem> {
        let r = &self.retention;
        let keep_latest = match r.keep_latest.trim().parse::<usize>() {
            Ok(n) if (1..=crate::config::MAX_KEEP_LATEST).contains(&n) => n,
            Ok(n) if n > crate::config::MAX_KEEP_LATEST => {
                return Err(problem(
                    Field::KeepLatest,
                    format!(
                        "{n} is more than {} images of a path per lab: keep fewer",
                        crate::config::MAX_KEEP_LATEST
                    ),
                ));
            }
            _ => {
                return Err(problem(
                    Field::KeepLatest,
                    format!(
                        "`{}` is not a count of 1 or more: the newest image of a path is always kept",
                        r.keep_latest.trim()
                    ),
                ));
            }
        };
        let Some(min_age) = parse_age(&r.min_age) else {
            return Err(problem(
                Field::MinAge,
                format!(
                    "`{}` is not an age: a number and a unit, like 7d, 36h or 2w",
                    r.min_age.trim()
                ),
            ));
        };
        Ok(RetentionPolicy {
            keep_latest,
            min_age,
            protect_in_use: r.protect_in_use,
            retire_removed_definitions: r.retire_removed_definitions,
            retire_unsubscribed: r.retire_unsubscribed,
        })
    }

    /// What the retention answers would retire today in the chosen target labs.
    pub fn retention_preview(&self, now: OffsetDateTime) -> Result<RetentionPreview, Problem> {
        let retention = self.retention_policy()?;
        let mut config = self.skeleton(retention);
        config.labs = self.target_labs();
        let Some(estate) = &self.estate else {
            return Ok(RetentionPreview { labs: Vec::new() });
        };
        let plan = crate::factory::retention::plan(estate, Some(&config), now);
        let labs = plan
            .labs
            .iter()
            .filter(|l| config.labs.iter().any(|t| t.lab.is(l.lab.as_str())))
            .map(|l| {
                let retire = l
                    .decisions
                    .iter()
                    .filter(|d| d.state == crate::factory::RetentionState::Retire)
                    .count();
                LabPreview {
                    lab: l.lab_name.clone(),
                    retire,
                    images: l.decisions.len(),
                }
            })
            .collect();
        Ok(RetentionPreview { labs })
    }

    /// Checks the answers of `step`: the first problem, at its field.
    pub fn validate(&self, step: Step) -> Result<(), Problem> {
        match step {
            Step::SignIn => match &self.signed_in {
                None => Err(problem(
                    Field::Credential,
                    "not signed in yet: choose a credential and press Enter to try it",
                )),
                Some(s) if s.subscriptions.is_empty() => Err(problem(
                    Field::Credential,
                    "signed in, but the identity sees no subscription: grant it Reader (or Contributor) on the subscriptions of your labs, or sign in as another",
                )),
                Some(_) => Ok(()),
            },
            Step::Subscriptions => {
                if self.subscriptions.is_empty() {
                    return Err(problem(
                        Field::Subscriptions,
                        "choose at least one subscription",
                    ));
                }
                Ok(())
            }
            Step::Factory => self.validate_factory(),
            Step::Targets => self.validate_targets(),
            Step::Retention => self.retention_policy().map(|_| ()),
            Step::Definition => self.validate_definition(),
            Step::Review => {
                let existing = write::existing(&self.dir, &self.files()?);
                if !existing.is_empty() && !self.overwrite {
                    let names: Vec<String> =
                        existing.iter().map(|p| p.display().to_string()).collect();
                    return Err(problem(
                        Field::Files,
                        format!(
                            "{} already {}: nothing is overwritten unless allowed (o here; --force with init --non-interactive), or write the configuration in another folder",
                            names.join(", "),
                            if names.len() == 1 { "exists" } else { "exist" }
                        ),
                    ));
                }
                Ok(())
            }
        }
    }

    fn validate_factory(&self) -> Result<(), Problem> {
        let read_for: BTreeSet<String> = self
            .estate
            .iter()
            .flat_map(|e| e.subscriptions.iter().map(|s| s.id.clone()))
            .collect();
        let chosen: BTreeSet<String> = self.subscriptions.iter().cloned().collect();
        let same = read_for.len() == chosen.len()
            && chosen
                .iter()
                .all(|c| read_for.iter().any(|r| r.eq_ignore_ascii_case(c)));
        if self.estate.is_none() || !same {
            return Err(problem(
                Field::Factory,
                "the labs of the chosen subscriptions are not read yet",
            ));
        }
        let Some(lab) = self.factory.and_then(|i| self.labs.get(i)) else {
            return Err(problem(
                Field::Factory,
                if self.labs.is_empty() {
                    "the chosen subscriptions have no DevTest Labs: create one in the portal (or choose other subscriptions), then come back"
                } else {
                    "choose the lab where images are built"
                },
            ));
        };
        match &lab.build {
            Access::ReadOnly(r) => Err(problem(
                Field::Factory,
                format!(
                    "{} cannot be the factory lab, which needs the right to create VMs: {}; {}, or choose another lab",
                    lab.lab.name, r.why, r.fix
                ),
            )),
            _ => Ok(()),
        }
    }

    fn validate_targets(&self) -> Result<(), Problem> {
        if self.targets.is_empty() {
            return Err(problem(
                Field::Targets,
                "choose at least one lab to receive images",
            ));
        }
        let factory = self.factory.and_then(|i| self.labs.get(i));
        for (&i, paths) in &self.targets {
            let lab = &self.labs[i];
            if let Access::ReadOnly(r) = &lab.receive {
                return Err(problem(
                    Field::TargetPaths(i),
                    format!(
                        "{} cannot receive images: {}; {}, or leave the lab out",
                        lab.lab.name, r.why, r.fix
                    ),
                ));
            }
            if let Some(factory) = factory
                && !lab.location.eq_ignore_ascii_case(&factory.location)
            {
                return Err(problem(
                    Field::TargetPaths(i),
                    format!(
                        "{} is in {}, the factory lab in {}: images are copied within a region; leave it out, or choose a factory lab in {}",
                        lab.lab.name, lab.location, factory.location, lab.location
                    ),
                ));
            }
            if split_paths(paths).is_empty() {
                return Err(problem(
                    Field::TargetPaths(i),
                    format!(
                        "{} receives no image paths: type at least one, like win2022 (a folder takes every image under it)",
                        lab.lab.name
                    ),
                ));
            }
            for raw in paths.split(',').filter(|p| !p.trim().is_empty()) {
                path_answer(raw).map_err(|m| problem(Field::TargetPaths(i), m))?;
            }
        }
        Ok(())
    }

    fn validate_definition(&self) -> Result<(), Problem> {
        let raw = self.definition_path.trim();
        if raw.is_empty() {
            return Err(problem(
                Field::DefinitionPath,
                "name the image: folders and a name joined by /, like win2022/base",
            ));
        }
        let path = path_answer(raw).map_err(|m| problem(Field::DefinitionPath, m))?;
        for (&i, paths) in &self.targets {
            let received = split_paths(paths);
            let name = &self.labs[i].lab.name;
            if !received.iter().any(|p| p.covers(&path)) {
                let first = received.first().map(|p| p.as_str()).unwrap_or("win2022");
                return Err(problem(
                    Field::DefinitionPath,
                    format!(
                        "{name} receives {} only: name the image under one of them (like {first}/base), or change what the lab receives",
                        paths.trim()
                    ),
                ));
            }
            // Every path a lab receives must match a definition, or factory.toml does not
            // load; the setup makes one definition.
            if let Some(other) = received.iter().find(|p| !p.covers(&path)) {
                return Err(problem(
                    Field::DefinitionPath,
                    format!(
                        "{name} also receives {other}, and this image is not under it: every path a lab receives needs a definition, and the setup makes one. Take {other} out of what the lab receives (add it with its definitions after the setup), or name this image under it"
                    ),
                ));
            }
        }
        let Some(offer) = self.offer.as_ref().filter(|_| self.offer_is_current()) else {
            return Err(problem(
                Field::Base,
                "what the factory lab offers is not read yet: its gallery and artifacts are needed",
            ));
        };
        if self.base_image().is_none() {
            return Err(problem(
                Field::Base,
                "choose a base image from the factory lab's gallery",
            ));
        }
        let os = self.os();
        for (i, chosen) in self.artifacts.iter().enumerate() {
            let offered = offer
                .artifact_sources
                .iter()
                .find(|s| s.name == chosen.source)
                .and_then(|s| s.artifacts.iter().find(|a| a.name == chosen.name));
            for required in offered.into_iter().flat_map(|a| a.required()) {
                let value = chosen.parameters.get(required).map(|v| v.trim());
                if value.is_none_or(str::is_empty) {
                    return Err(problem(
                        Field::Parameter(i, required.to_string()),
                        format!("{} needs {required}", chosen.name),
                    ));
                }
            }
        }
        // What the planner would refuse: an artifact for the other OS, a parameter it does
        // not have, a generalize artifact the lab does not offer.
        let mut artifacts = self.definition_artifacts();
        artifacts.push(generalize_artifact(os));
        if let Some(p) = artifacts
            .iter()
            .find_map(|a| crate::factory::build::plan::artifact_problem(offer, a, os))
        {
            return Err(problem(
                Field::Artifact,
                format!("{}; {}", p.message, p.fix),
            ));
        }
        Ok(())
    }

    /// Whether the offer read is the chosen factory lab's.
    fn offer_is_current(&self) -> bool {
        let factory = self.factory.and_then(|i| self.labs.get(i)).map(|l| &l.lab);
        factory.is_some() && self.offer_for.as_ref() == factory
    }

    /// The chosen artifacts, as the definition lists them (empty values left out).
    fn definition_artifacts(&self) -> Vec<ArtifactRef> {
        self.artifacts
            .iter()
            .map(|a| ArtifactRef {
                source: a.source.clone(),
                name: a.name.clone(),
                parameters: a
                    .parameters
                    .iter()
                    .filter(|(_, v)| !v.trim().is_empty())
                    .map(|(k, v)| (k.clone(), v.trim().to_string()))
                    .collect(),
            })
            .collect()
    }

    /// The first step whose answers are wrong, with its problem; none when all are right.
    pub fn first_problem(&self) -> Option<(Step, Problem)> {
        Step::ALL
            .into_iter()
            .find_map(|s| self.validate(s).err().map(|p| (s, p)))
    }

    /// Goes to the next step when this one's answers are right.
    pub fn advance(&mut self) -> Result<Step, Problem> {
        self.validate(self.step)?;
        if let Some(next) = self.step.next() {
            self.step = next;
        }
        Ok(self.step)
    }

    /// The target labs the answers make.
    pub fn target_labs(&self) -> Vec<TargetLab> {
        self.targets
            .iter()
            .map(|(&i, paths)| TargetLab {
                lab: self.labs[i].lab.clone(),
                image_paths: split_paths(paths),
            })
            .collect()
    }

    fn skeleton(&self, retention: RetentionPolicy) -> FactoryConfig {
        let factory = self
            .factory
            .and_then(|i| self.labs.get(i))
            .map(|l| l.lab.clone())
            .unwrap_or_else(|| crate::config::LabRef {
                subscription: String::new(),
                resource_group: String::new(),
                name: String::new(),
            });
        FactoryConfig {
            path: self.dir.join("factory.toml"),
            factory,
            azure: AzureSettings {
                auth: self.auth,
                ..AzureSettings::default()
            },
            defaults: Defaults {
                vm_size: crate::config::DEFAULT_VM_SIZE.into(),
                parallelism: crate::config::DEFAULT_PARALLELISM,
            },
            build: BuildSettings::default(),
            retention,
            labs: Vec::new(),
            images: Vec::new(),
        }
    }

    /// The first image definition the answers make.
    pub fn definition(&self) -> Result<ImageDefinition, Problem> {
        self.validate_definition()?;
        let g = self.base_image().cloned().unwrap_or_default();
        let path = ImagePath::new(&self.definition_path);
        let mut definition = ImageDefinition::new(
            path.clone(),
            self.os(),
            BaseImage::latest(&g.publisher, &g.offer, &g.sku),
        );
        definition.file = self.dir.join(write::definition_file(&path));
        definition.description = g.title.clone();
        definition.artifacts = self.definition_artifacts();
        Ok(definition)
    }

    /// The configuration the answers make; the first wrong answer otherwise.
    pub fn configuration(&self) -> Result<FactoryConfig, Problem> {
        for step in &Step::ALL[..Step::Review.index()] {
            self.validate(*step)?;
        }
        let mut config = self.skeleton(self.retention_policy()?);
        config.labs = self.target_labs();
        config.images = vec![self.definition()?];
        Ok(config)
    }

    /// The files the answers make: `factory.toml` and the first definition.
    pub fn files(&self) -> Result<Vec<ConfigFile>, Problem> {
        let config = self.configuration()?;
        let mut files = vec![ConfigFile {
            relative: PathBuf::from("factory.toml"),
            text: write::factory_toml(
                &config,
                &[
                    "Written by `imagefactory init`.".into(),
                    "Image definitions live under images/ (a file's path is its image path)."
                        .into(),
                    "`imagefactory check` checks this against Azure.".into(),
                ],
            ),
        }];
        for d in &config.images {
            let generalize = generalize_artifact(d.os).name;
            files.push(ConfigFile {
                relative: write::definition_file(&d.path),
                text: write::definition_toml(
                    d,
                    &[format!(
                        "Every build applies {generalize} last: it is not listed here."
                    )],
                ),
            });
        }
        Ok(files)
    }
}

/// An image path as typed, or what is wrong with it: folders and a name joined by `/`, none
/// of them `.` or `..`, no characters a file name cannot hold on Windows.
pub fn path_answer(raw: &str) -> Result<ImagePath, String> {
    let bad = raw
        .split(['/', '\\'])
        .any(|s| matches!(s.trim(), "." | "..") || s.contains([':', '*', '?', '"', '<', '>', '|']));
    let path = ImagePath::new(raw);
    if bad || path.is_empty() {
        return Err(format!(
            "`{}` is not an image path: folders and a name joined by /, like win2022/base (no . or .. folders, no : * ? \" < > |)",
            raw.trim()
        ));
    }
    Ok(path)
}

/// Image paths typed as a list, separated by commas (a path may hold a space).
pub fn split_paths(text: &str) -> Vec<ImagePath> {
    text.split(',')
        .map(ImagePath::new)
        .filter(|p| !p.is_empty())
        .collect()
}
