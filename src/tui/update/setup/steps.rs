//! Enter on a step: its answers checked (a problem is shown at its field, which gets the keys),
//! then the next step, starting what it needs read from Azure.

use super::super::super::effect::Effect;
use super::super::super::model::Model;
use super::super::super::model::setup::{Focus, SetupScreen};
use super::fields::{focus, go_to};
use super::wait;
use crate::arm::AuthMode;
use crate::setup::{Availability, Field, Step};

pub(super) fn enter(model: &mut Model) -> Vec<Effect> {
    let Some(screen) = model.setup.as_mut() else {
        return Vec::new();
    };
    let step = screen.step();
    match (step, screen.focus.clone()) {
        (Step::SignIn, _) => {
            let Some(chosen) = screen.wizard.credentials.get(screen.cursor).cloned() else {
                return Vec::new();
            };
            if screen.wizard.auth == Some(chosen.mode) && screen.wizard.signed_in.is_some() {
                return advance(model);
            }
            if let Availability::Missing(why) = &chosen.availability {
                screen.problem = Some(crate::setup::Problem {
                    field: Field::Credential,
                    message: format!("{} cannot be used here: {why}", chosen.mode.as_str()),
                });
                return Vec::new();
            }
            screen.failure = None;
            let req = wait(
                model,
                format!("signing in with {}", chosen.mode.as_str()),
                false,
            );
            vec![Effect::SetupSignIn(req, chosen.mode)]
        }
        (Step::Factory, Focus::List) => {
            // A lab that cannot be the factory is not marked as it: the choice stays as it was.
            let before = screen.wizard.factory;
            if screen.cursor < screen.wizard.labs.len() {
                screen.wizard.set_factory(screen.cursor);
            }
            let effects = advance(model);
            if let Some(screen) = model.setup.as_mut()
                && screen.step() == Step::Factory
            {
                match before {
                    Some(before) => screen.wizard.set_factory(before),
                    None => screen.wizard.factory = None,
                }
            }
            effects
        }
        (Step::Definition, Focus::Base) => {
            if let Some(g) = screen.gallery_shown().get(screen.cursor) {
                screen.wizard.set_base(*g);
                screen.problem = None;
                focus(screen, Focus::Artifacts);
            }
            Vec::new()
        }
        (Step::Review, _) => {
            if let Err(p) = screen.wizard.validate(Step::Review) {
                screen.problem = Some(p);
                return Vec::new();
            }
            let files = match screen.wizard.files() {
                Ok(f) => f,
                Err(p) => {
                    show_problem(screen, p);
                    return Vec::new();
                }
            };
            let (dir, overwrite) = (screen.wizard.dir.clone(), screen.wizard.overwrite);
            let req = wait(model, "writing".into(), true);
            vec![Effect::WriteConfig(req, dir, files, overwrite)]
        }
        _ => advance(model),
    }
}

/// Checks the step and goes on, starting what the next step needs read.
pub(super) fn advance(model: &mut Model) -> Vec<Effect> {
    let Some(screen) = model.setup.as_mut() else {
        return Vec::new();
    };
    if let Err(p) = screen.wizard.validate(screen.step()) {
        show_problem(screen, p);
        return Vec::new();
    }
    let Some(next) = screen.step().next() else {
        return Vec::new();
    };
    go_to(screen, next);
    let w = &screen.wizard;
    let mode = w.auth.unwrap_or(AuthMode::Cli);
    match next {
        Step::Factory => {
            // The labs are read for the subscriptions chosen now.
            if w.labs_are_current() {
                return Vec::new();
            }
            let chosen: Vec<String> = w.subscriptions.iter().cloned().collect();
            let req = wait(
                model,
                "reading the labs of the chosen subscriptions".into(),
                false,
            );
            vec![Effect::SetupLabs(req, mode, chosen)]
        }
        Step::Definition => {
            let Some(factory) = w.factory.and_then(|i| w.labs.get(i)).map(|l| l.lab.clone()) else {
                return Vec::new();
            };
            if w.offer_is_current() {
                return Vec::new();
            }
            let Some(estate) = w.estate.clone().map(Box::new) else {
                return Vec::new();
            };
            let req = wait(
                model,
                format!("reading what {} offers", factory.name),
                false,
            );
            vec![Effect::SetupOffer(req, mode, factory, estate)]
        }
        _ => Vec::new(),
    }
}

/// Shows a wrong answer at its field, giving that field the keys when it is on screen.
pub(super) fn show_problem(screen: &mut SetupScreen, p: crate::setup::Problem) {
    match &p.field {
        Field::TargetPaths(i) => {
            screen.cursor = *i;
            focus(screen, Focus::List);
        }
        Field::KeepLatest => focus(screen, Focus::KeepLatest),
        Field::MinAge => focus(screen, Focus::MinAge),
        Field::DefinitionPath => focus(screen, Focus::DefinitionPath),
        Field::Base => focus(screen, Focus::Base),
        Field::Parameter(i, name) => focus(screen, Focus::Parameter(*i, name.clone())),
        _ => {}
    }
    screen.problem = Some(p);
}
