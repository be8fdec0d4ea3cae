//! What Azure answered the setup (who signed in, the labs, what the factory lab offers), and
//! the configuration written: the console takes it.

use std::sync::Arc;

use super::super::super::effect::Effect;
use super::super::super::model::setup::{Focus, SetupScreen};
use super::super::super::model::{Level, Model};
use super::fields::focus;
use crate::arm::AuthMode;
use crate::config::FactoryConfig;
use crate::factory::Inventory;
use crate::factory::builder::plan::FactoryOffer;
use crate::setup::{LabChoice, SignedIn};

/// The reply to a setup request, if it is the one awaited.
fn awaited(model: &mut Model, req: crate::tui::model::ReqId) -> Option<&mut SetupScreen> {
    if !model.settle("setup", req) {
        return None;
    }
    model.dirty = true;
    let screen = model.setup.as_mut()?;
    screen.busy = None;
    Some(screen)
}

/// Signing in answered.
pub fn signed_in(
    model: &mut Model,
    req: crate::tui::model::ReqId,
    mode: AuthMode,
    result: Result<SignedIn, String>,
) {
    let Some(screen) = awaited(model, req) else {
        return;
    };
    match result {
        Ok(s) => {
            screen.wizard.signed_in(mode, s);
            screen.failure = None;
            screen.wizard.offer = None;
        }
        Err(e) => screen.failure = Some(e),
    }
}

/// The labs of the chosen subscriptions were read.
pub fn labs_read(
    model: &mut Model,
    req: crate::tui::model::ReqId,
    result: Result<Box<(Inventory, Vec<LabChoice>)>, String>,
) {
    let Some(screen) = awaited(model, req) else {
        return;
    };
    match result {
        Ok(read) => {
            let (estate, labs) = *read;
            screen.wizard.set_labs(Some(estate), labs);
            screen.cursor = screen.wizard.factory.unwrap_or(0);
            screen.failure = None;
        }
        Err(e) => screen.failure = Some(e),
    }
}

/// What the factory lab offers was read.
pub fn offer_read(
    model: &mut Model,
    req: crate::tui::model::ReqId,
    result: Result<Box<FactoryOffer>, String>,
) {
    let Some(screen) = awaited(model, req) else {
        return;
    };
    match result {
        Ok(offer) => {
            let w = &mut screen.wizard;
            let Some(lab) = w.factory.and_then(|i| w.labs.get(i)).map(|l| l.lab.clone()) else {
                return;
            };
            w.set_offer(lab, *offer);
            screen.failure = None;
            focus(screen, Focus::DefinitionPath);
        }
        Err(e) => screen.failure = Some(e),
    }
}

/// The configuration was written (or imported) and loaded: the console takes it.
pub fn written(
    model: &mut Model,
    req: crate::tui::model::ReqId,
    result: Result<Box<FactoryConfig>, String>,
) -> Vec<Effect> {
    let Some(screen) = awaited(model, req) else {
        return Vec::new();
    };
    match result {
        Err(e) => {
            screen.failure = Some(e);
            Vec::new()
        }
        Ok(config) => {
            let config = Arc::new(*config);
            model.setup = None;
            model.ending.wrote_config = true;
            model.identity.factory = Some(config.factory.name.clone());
            model.invocation.config = Some(config.path.clone());
            if let Some(mode) = config.azure.auth {
                model.invocation.auth = Some(mode);
                model.identity.auth = mode.as_str().to_string();
            }
            model.config = Some(config.clone());
            model.flash(
                Level::Info,
                format!(
                    "{} written and loaded: factory {}, {}, {} (:check checks it)",
                    config.path.display(),
                    config.factory.name,
                    crate::human::count(config.labs.len(), "lab"),
                    crate::human::count(config.images.len(), "definition")
                ),
            );
            model.rebuild_all();
            let mut effects = vec![Effect::UseConfig(config)];
            effects.extend(super::super::replies::refresh(model));
            effects
        }
    }
}
