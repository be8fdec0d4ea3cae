//! What makes the setup's answers right, step by step: each check names the field it is about
//! and says what to do, in words that serve the console and `init --non-interactive` alike.

use std::collections::BTreeSet;

use super::answers::{path_answer, split_paths};
use super::discover::Access;
use super::wizard::{Field, Problem, Step, Wizard, problem};
use crate::config::{ArtifactRef, RetentionPolicy, parse_age, write};
use crate::factory::builder::plan::artifacts_problems;

impl Wizard {
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
                    "`{}` is not an age: a number and a unit, like 7d, 36h or 2w, of at most {}d (100 years)",
                    r.min_age.trim(),
                    crate::config::MAX_AGE_DAYS
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
        if !self.labs_are_current() {
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

    pub(super) fn validate_definition(&self) -> Result<(), Problem> {
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
        let Some(chosen) = self.base_image() else {
            return Err(problem(
                Field::Base,
                "choose a base image from the factory lab's gallery",
            ));
        };
        // What Compute said of it, when the offer was read with its gallery's generations.
        let base = crate::config::BaseImage::latest(&chosen.publisher, &chosen.offer, &chosen.sku);
        if let Some(Ok(facts)) = offer.facts_of(&base)
            && let Some(p) = crate::factory::builder::generation::vhd_problem(&base, facts)
        {
            return Err(problem(Field::Base, p.sentence()));
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
        let artifacts = self.definition_artifacts();
        if let Some(p) = artifacts_problems(offer, &artifacts, os).into_iter().next() {
            return Err(problem(
                Field::Artifact,
                format!("{}; {}", p.message, p.fix),
            ));
        }
        Ok(())
    }

    /// Whether the labs were read for exactly the subscriptions chosen now.
    pub fn labs_are_current(&self) -> bool {
        let Some(estate) = &self.estate else {
            return false;
        };
        let read_for: BTreeSet<String> = estate
            .subscriptions
            .iter()
            .map(|s| s.id.to_ascii_lowercase())
            .collect();
        let chosen: BTreeSet<String> = self
            .subscriptions
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect();
        read_for == chosen
    }

    /// Whether what the factory lab offers is read, and for the chosen factory lab.
    pub fn offer_is_current(&self) -> bool {
        let factory = self.factory.and_then(|i| self.labs.get(i)).map(|l| &l.lab);
        self.offer.is_some() && factory.is_some() && self.offer_for.as_ref() == factory
    }

    /// The chosen artifacts, as the definition lists them (empty values left out).
    pub(super) fn definition_artifacts(&self) -> Vec<ArtifactRef> {
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
                secret: Vec::new(),
            })
            .collect()
    }
}
