//! The setup's answers and what makes them right: one step at a time, each checked before the
//! next, and at the end the configuration they make. Pure: what Azure said arrives as values
//! (`SignedIn`, the labs, the factory lab's offer), and the console and `init
//! --non-interactive` both drive it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::answers::split_paths;
use super::credentials::CredentialOption;
use super::discover::{LabChoice, SignedIn};
use crate::arm::AuthMode;
use crate::config::write;
use crate::config::{ImagePath, OsType, RetentionPolicy};
use crate::factory::Inventory;
use crate::factory::builder::plan::{FactoryOffer, GalleryOffer};

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

pub(super) fn problem(field: Field, message: impl Into<String>) -> Problem {
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

    /// The parameters of the chosen artifacts: (artifact index, name, required).
    pub fn parameters(&self) -> Vec<(usize, String, bool)> {
        let Some(offer) = &self.offer else {
            return Vec::new();
        };
        self.artifacts
            .iter()
            .enumerate()
            .flat_map(|(i, chosen)| {
                offer
                    .artifact_sources
                    .iter()
                    .filter(|s| s.name == chosen.source)
                    .flat_map(|s| s.artifacts.iter().filter(|a| a.name == chosen.name))
                    .flat_map(move |a| {
                        a.parameters
                            .iter()
                            .map(move |p| (i, p.name.clone(), p.required))
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
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
}
