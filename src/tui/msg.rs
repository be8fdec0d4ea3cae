//! Everything that happens to the console arrives as a message.

use crossterm::event::KeyEvent;
use time::OffsetDateTime;

use super::model::{JournalRead, Level, ReqId};
use crate::arm::ResourceId;
use crate::factory::Inventory;
use crate::factory::builder::BuildPlan;
use crate::factory::inventory::Reading;
use crate::factory::retire::RetireOutcome;

/// A message to `update`.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    /// Time passes (the only way `update` learns the time).
    Tick(OffsetDateTime),
    /// The inventory cached by an earlier run, read at start.
    Cached(Box<Inventory>),
    /// A reply to an effect.
    Loaded(ReqId, Payload),
    /// One image of a retirement settled.
    Retired(ReqId, RetireOutcome),
    /// Part of an inventory being read (a subscription's labs listed, or one lab read).
    Reading(ReqId, Box<Reading>),
    /// New lines of a run's journal (from the journal watcher).
    Journal(JournalRead),
    /// The journal watcher has looked at every journal once (there may be none).
    JournalsListed,
    Flash(Level, String),
}

/// What an effect brought back.
#[derive(Debug)]
pub enum Payload {
    Inventory(Result<Box<Inventory>, String>),
    /// The resource JSON for a detail view.
    Detail(Result<String, String>),
    /// An image's pin was set (`Some(reason)`) or cleared.
    Pin(ResourceId, Result<Option<String>, String>),
    /// A retirement finished.
    RetireDone,
    /// Who the credential signs in as, if its token says.
    Principal(Option<crate::arm::Principal>),
    /// The plan of a build (`distribution` false) or a distribution from the catalogue.
    RunPlan {
        distribution: bool,
        plan: Result<Box<BuildPlan>, String>,
    },
    /// A run was started, stopped or resumed in the background (what to say), or why not.
    RunAction(Result<String, String>),
    /// Setup: who signed in with this credential, and what they see.
    SignedIn(crate::arm::AuthMode, Result<crate::setup::SignedIn, String>),
    /// Setup: the estate of the chosen subscriptions and their labs.
    SetupLabs(Result<Box<(Inventory, Vec<crate::setup::LabChoice>)>, String>),
    /// Setup: what the factory lab offers.
    SetupOffer(Result<Box<crate::factory::builder::FactoryOffer>, String>),
    /// What the check found.
    Check(Vec<crate::factory::check::Finding>),
    /// A definition from a lab VM, for this path, or why not.
    VmTemplate(
        crate::config::ImagePath,
        Result<Box<crate::config::ImageDefinition>, String>,
    ),
    /// A definition was saved and the configuration loaded again, or why not.
    DefinitionSaved(
        crate::config::ImagePath,
        Result<Box<crate::config::FactoryConfig>, String>,
    ),
    /// The configuration written (or imported) and loaded.
    ConfigWritten(Result<Box<crate::config::FactoryConfig>, String>),
}
