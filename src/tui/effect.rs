//! What `update` asks the outside world to do. The runner (in `app`) performs these on tokio and
//! answers with messages.

use super::model::ReqId;
use time::OffsetDateTime;

use crate::arm::ResourceId;
use crate::factory::Inventory;
use crate::factory::builder::{BuildPlan, Selection};
use crate::factory::pin::PinChange;
use crate::factory::retire::RetireTarget;

/// An effect to run.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Read the whole inventory again.
    RefreshInventory(ReqId),
    /// Read one lab now, ahead of the reading `ReqId` is making (the operator opened it), and
    /// report it as a part of that reading.
    ReadLab(ReqId, Box<crate::factory::LabInventory>),
    /// Read who the credential signs in as (from its token).
    LoadPrincipal,
    /// Read one resource's JSON for a detail view.
    LoadDetail(ReqId, ResourceId),
    /// Pin or unpin an image (with its lab's name, for the audit log).
    SetPin(ReqId, ResourceId, String, PinChange),
    /// Retire these images (each checked again first), with the labs they are in and the time
    /// the plan was made.
    Retire(ReqId, Box<Inventory>, Vec<RetireTarget>, OffsetDateTime),
    /// Put text on the terminal's clipboard (OSC 52).
    Copy(String),
    /// Stop the work started by this request: nothing new starts, what is in flight finishes.
    Cancel(ReqId),
    /// Hold that work before its next step (the operator is asked whether to stop it).
    Hold(ReqId),
    /// Let held work go on.
    Release(ReqId),
    /// Plan a build of these definitions against this inventory (reads what the factory
    /// lab offers).
    PlanBuild(ReqId, Box<Inventory>, Selection),
    /// Plan a distribution from the catalogue, to one lab or every configured lab.
    PlanDistribution(ReqId, Box<Inventory>, Option<String>),
    /// Start a planned run in the background (a process of its own, which outlives the
    /// console); `distribution` when its images start at distribution.
    StartRun(ReqId, Box<BuildPlan>, bool),
    /// Stop a run (its process cleans up; a run without one is cleaned up by a background
    /// `cancel`).
    CancelRun(ReqId, String),
    /// Finish a run whose process is gone, in the background.
    ResumeRun(ReqId, String),
    /// Read a run's journal again from its start (a read was missed).
    RereadJournal(String),
    /// Look for new journals now (a run was just started).
    ScanJournals,
    /// Suspend the console (ctrl-z): give the terminal back until the shell resumes it.
    Suspend,
    /// Setup: sign in with this credential and list what it sees.
    SetupSignIn(ReqId, crate::arm::AuthMode),
    /// Setup: read the labs of these subscriptions, with what the identity may do in each.
    SetupLabs(ReqId, crate::arm::AuthMode, Vec<String>),
    /// Setup: read what the chosen factory lab offers.
    SetupOffer(
        ReqId,
        crate::arm::AuthMode,
        crate::config::LabRef,
        Box<Inventory>,
    ),
    /// Write the configuration's files into this folder (over existing ones if allowed),
    /// then load it.
    WriteConfig(
        ReqId,
        std::path::PathBuf,
        Vec<crate::config::write::ConfigFile>,
        bool,
    ),
    /// Convert the original factory's configuration (from, into), then load it.
    ImportLegacy(ReqId, std::path::PathBuf, std::path::PathBuf),
    /// Check the configuration against Azure, on this inventory.
    Check(ReqId, Box<Inventory>),
    /// Read a lab VM (with its artifacts) to start a definition of this path from.
    LoadVmTemplate(ReqId, ResourceId, crate::config::ImagePath),
    /// Write a definition's text to its file (a new one must not exist), then load the
    /// configuration again.
    SaveDefinition(
        ReqId,
        crate::config::ImagePath,
        std::path::PathBuf,
        String,
        bool,
    ),
    /// From now on, work with this configuration (and its credential).
    UseConfig(std::sync::Arc<crate::config::FactoryConfig>),
}
