//! The console's state. `update` changes it; `view` only reads it.

pub mod check;
mod data;
mod definition_lines;
mod detail;
pub mod editor;
mod jobs;
mod route;
mod rows;
pub mod run_lines;
mod runs;
pub mod setup;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use ratatui_textarea::TextArea;
use time::OffsetDateTime;

pub use check::check_lines;
pub use data::{Data, DriftRow, DriftStatus, ImageAt, LabAt};
pub use definition_lines::definition_lines;
pub use detail::{DetailKind, DetailLine, detail_lines};
pub use jobs::{ItemOutcome, Job, JobItem, JobKind, Jobs};
pub use route::{Filter, Route, Row, SortKey, View, ViewKind};
pub use rows::rebuild;
pub use run_lines::{
    clock, copy_left, in_stage, run_counts, run_image_lines, run_image_vm, stage_timeline,
};
pub use runs::{Folded, JournalRead, RunEntry, Runs};

use super::keymap::KeyMap;
use crate::config::FactoryConfig;
use crate::factory::retire::RetireTarget;

/// Identifies a request, so that a reply to a superseded one can be dropped.
pub type ReqId = u64;

/// How urgent a flash message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// A message of this session, kept in full for the messages view.
#[derive(Debug, Clone)]
pub struct Message {
    pub at: OffsetDateTime,
    pub level: Level,
    pub text: String,
}

/// How many messages the messages view keeps.
pub const MESSAGES_KEPT: usize = 500;

/// A one-line message that clears itself.
#[derive(Debug, Clone)]
pub struct Flash {
    pub level: Level,
    pub text: String,
    pub until: OffsetDateTime,
}

/// How the console ended, as the command that opened it needs to know.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ending {
    /// Opened by `init`: leaving the setup ends the program (there is no console to go to).
    pub init: bool,
    /// Ctrl-C (or a signal) ended it.
    pub interrupted: bool,
    /// The setup wrote a configuration.
    pub wrote_config: bool,
}

/// What the header says about the identity and the endpoint.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// `managed-identity (alice)`.
    pub who: String,
    /// The operating-system user (for default pin reasons).
    pub user: String,
    /// The credential mode (`managed-identity`, `cli`, ...).
    pub auth: String,
    pub tenant: Option<String>,
    pub factory: Option<String>,
    /// The configuration file in use, as a person would type it (`./factory.toml`): one in
    /// the current folder is taken up without a word, so the header names it.
    pub config_file: Option<String>,
    pub endpoint: String,
    /// The endpoint is the emulator (loopback), not Azure.
    pub emulator: bool,
    /// The emulator lives in this process (`--demo`): it ends with the console.
    pub demo: bool,
}

/// Where the data came from and how fresh it is.
#[derive(Debug, Clone, Default)]
pub struct Freshness {
    /// When the data shown was read from Azure.
    pub read_at: Option<OffsetDateTime>,
    /// The data came from the cache and no refresh has succeeded yet.
    pub from_cache: bool,
    /// A refresh is running.
    pub refreshing: Option<ReqId>,
    /// The last refresh failed: why, and when.
    pub failed: Option<(String, OffsetDateTime)>,
    /// The inventory as the refresh running has read it so far (parts arrive lab by lab).
    pub partial: Option<crate::factory::Inventory>,
    /// Parts arrived that the data shown does not have yet (it is rebuilt at most four times
    /// a second while a large estate streams in).
    pub partial_unshown: bool,
    /// When the data shown was last rebuilt from the parts.
    pub partial_shown_at: Option<OffsetDateTime>,
    /// When the next automatic refresh is due.
    pub next_refresh: Option<OffsetDateTime>,
}

/// The `:` palette.
pub struct Palette {
    pub input: TextArea<'static>,
    pub selected: usize,
}

/// Which button of a confirmation has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    Cancel,
    Confirm,
    /// The switch that includes the unusual images (shown only when there are some).
    Include,
}

/// What a confirmation does when confirmed.
#[derive(Debug, Clone)]
pub enum ConfirmAction {
    /// Retire `targets` (and the unusual ones, when included).
    Retire,
    /// Start this run (a build, or a distribution from the catalogue) in the background.
    StartRun {
        plan: Box<crate::factory::builder::BuildPlan>,
        distribution: bool,
    },
    /// Stop a run and remove what it made.
    CancelRun(String),
    /// Finish a run whose process is gone.
    ResumeRun(String),
    /// Quit the demo, whose emulator (and so the runs going against it) ends with it.
    QuitDemo,
}

/// A confirmation of a change to Azure: it names what will change, starts on Cancel, counts
/// what the filter hides, and above a threshold wants the count typed.
pub struct Confirm {
    pub action: ConfirmAction,
    pub title: String,
    /// What will happen, one line each (image names with their lab, state and reason).
    pub items: Vec<String>,
    /// Marked images the current filter hides (they are included).
    pub hidden: usize,
    pub targets: Vec<RetireTarget>,
    /// Images retention would never retire (current, unmanaged), set apart: one line each,
    /// with what deleting them means.
    pub unusual_items: Vec<String>,
    pub unusual_targets: Vec<RetireTarget>,
    /// What deleting each kind of unusual image means, in plain words.
    pub unusual_warnings: Vec<String>,
    /// The operator explicitly included the unusual images.
    pub include_unusual: bool,
    /// What the change leaves out and why (labs where the identity cannot delete).
    pub notes: Vec<String>,
    /// Chosen images left out before anything is sent (pinned, in use), one line each: the
    /// result counts them with the rest.
    pub left_out: Vec<String>,
    /// What stops the change altogether (a plan's errors): Confirm refuses while there are any.
    pub blockers: Vec<String>,
    /// The text to type before Confirm works, for large changes.
    pub typed_required: Option<String>,
    pub typed: TextArea<'static>,
    pub focus: Button,
    /// Lines scrolled past (a run's plan can be longer than the screen).
    pub scroll: u16,
}

impl Confirm {
    /// A confirmation of `action` with these lines, starting on Cancel.
    pub fn new(action: ConfirmAction, title: String, items: Vec<String>) -> Confirm {
        Confirm {
            action,
            title,
            items,
            hidden: 0,
            targets: Vec::new(),
            unusual_items: Vec::new(),
            unusual_targets: Vec::new(),
            unusual_warnings: Vec::new(),
            include_unusual: false,
            notes: Vec::new(),
            left_out: Vec::new(),
            blockers: Vec::new(),
            typed_required: None,
            typed: TextArea::default(),
            focus: Button::Cancel,
            scroll: 0,
        }
    }

    /// How many images Confirm would retire now.
    pub fn count(&self) -> usize {
        self.targets.len()
            + if self.include_unusual {
                self.unusual_targets.len()
            } else {
                0
            }
    }
}

/// A job's window: its results as they settle. It closes while the job works (the job goes
/// on); while it runs, stopping asks first.
#[derive(Debug, Clone)]
pub struct JobWindow {
    pub job: ReqId,
    pub scroll: usize,
    /// The operator asked to stop (x, q or ctrl-c while it runs): the question is on screen.
    pub stop_asked: bool,
    /// Quit the console once the work has stopped.
    pub quit_after: bool,
}

/// Pinning (a reason to type) or unpinning (a confirmation that shows the reason it removes).
pub struct PinDialog {
    pub image: crate::arm::ResourceId,
    pub name: String,
    pub lab: String,
    /// The image's current pin reason: `Some` makes this an unpin.
    pub current: Option<String>,
    /// The reason to pin with (prefilled).
    pub reason: TextArea<'static>,
    pub focus: Button,
}

/// What covers the view, if anything.
pub enum Overlay {
    None,
    Help {
        scroll: usize,
    },
    Palette(Box<Palette>),
    Confirm(Box<Confirm>),
    Pin(Box<PinDialog>),
    Job(JobWindow),
    /// A definition's TOML being edited.
    Editor(Box<editor::Editor>),
}

/// The raw JSON of the resource a detail view shows.
#[derive(Debug, Clone)]
pub struct DetailJson {
    pub id: crate::arm::ResourceId,
    pub req: ReqId,
    pub json: Option<Result<String, String>>,
}

/// The whole console state.
pub struct Model {
    pub now: OffsetDateTime,
    pub width: u16,
    pub height: u16,
    pub read_only: bool,
    pub identity: Identity,
    pub config: Option<Arc<FactoryConfig>>,
    pub data: Option<Data>,
    pub freshness: Freshness,
    pub routes: Vec<Route>,
    pub overlay: Overlay,
    /// The filter being typed, if any (applied live).
    pub filter_input: Option<TextArea<'static>>,
    pub filter_error: Option<String>,
    /// Marked images, by lower-cased id.
    pub marks: BTreeSet<String>,
    pub flash: Option<Flash>,
    /// Every message shown in the flash line, in full (oldest first, bounded).
    pub messages: Vec<Message>,
    pub detail: Option<DetailJson>,
    /// Work this console started (retirements, pins, run starts).
    pub jobs: Jobs,
    /// Build and distribution runs, from the journals here and Azure's tags.
    pub runs: Runs,
    /// The options a background run is started with (config, endpoint, credential).
    pub invocation: crate::factory::builder::background::Invocation,
    pub keymap: KeyMap,
    pub refresh_every: Duration,
    /// Requests in flight, by purpose.
    pub pending: HashMap<&'static str, ReqId>,
    pub next_req: ReqId,
    pub quit: bool,
    /// How the console ends, for the command that opened it (`init` says whether it wrote).
    pub ending: Ending,
    /// A retention plan asked for while labs it touches were being read (`Some(None)`: the
    /// whole plan): its confirmation opens when the reading ends.
    pub apply_when_read: Option<Option<crate::arm::ResourceId>>,
    /// Quit once the runs being handed to background processes are (q was pressed then).
    pub quit_when_handed_over: bool,
    /// The Check view's findings.
    pub check: check::CheckState,
    /// The guided setup, when it is on screen (it takes the keys and the screen).
    pub setup: Option<Box<setup::SetupScreen>>,
    /// Something visible changed since the last frame.
    pub dirty: bool,
}

/// How long a flash message stays.
pub const FLASH_FOR: Duration = Duration::from_secs(4);

impl Model {
    /// A console with no data yet, on the labs view.
    pub fn new(
        identity: Identity,
        config: Option<Arc<FactoryConfig>>,
        keymap: KeyMap,
        read_only: bool,
        now: OffsetDateTime,
    ) -> Model {
        Model {
            now,
            width: 80,
            height: 24,
            read_only,
            identity,
            config,
            data: None,
            freshness: Freshness::default(),
            routes: vec![Route::new(View::Labs)],
            overlay: Overlay::None,
            filter_input: None,
            filter_error: None,
            marks: BTreeSet::new(),
            flash: None,
            messages: Vec::new(),
            detail: None,
            jobs: Jobs::default(),
            runs: Runs::default(),
            invocation: Default::default(),
            keymap,
            refresh_every: Duration::from_secs(120),
            pending: HashMap::new(),
            next_req: 1,
            quit: false,
            ending: Ending::default(),
            quit_when_handed_over: false,
            apply_when_read: None,
            check: Default::default(),
            setup: None,
            dirty: true,
        }
    }

    /// The route on top of the stack.
    pub fn route(&self) -> &Route {
        self.routes.last().expect("there is always a route")
    }

    pub fn route_mut(&mut self) -> &mut Route {
        self.routes.last_mut().expect("there is always a route")
    }

    /// A new request id.
    pub fn request(&mut self, purpose: &'static str) -> ReqId {
        let id = self.next_req;
        self.next_req += 1;
        self.pending.insert(purpose, id);
        id
    }

    /// Whether `id` is the latest request for `purpose` (and forgets it).
    pub fn settle(&mut self, purpose: &'static str, id: ReqId) -> bool {
        if self.pending.get(purpose) == Some(&id) {
            self.pending.remove(purpose);
            true
        } else {
            false
        }
    }

    /// Shows a flash message, and keeps it in full in the messages view.
    pub fn flash(&mut self, level: Level, text: impl Into<String>) {
        let hold = if level == Level::Error {
            FLASH_FOR * 2
        } else {
            FLASH_FOR
        };
        // Every message may carry an error's words from Azure: never a secret on the screen.
        let text = crate::arm::redact::redact(&text.into());
        if self.messages.len() >= MESSAGES_KEPT {
            self.messages.remove(0);
        }
        self.messages.push(Message {
            at: self.now,
            level,
            text: text.clone(),
        });
        self.flash = Some(Flash {
            level,
            text,
            until: self.now + hold,
        });
        self.dirty = true;
        if matches!(self.route().view, View::Messages) {
            self.rebuild_top();
        }
    }

    /// Rows that fit the body of the screen (for paging and scrolling).
    pub fn body_height(&self) -> usize {
        // Header (2), table borders and column titles (3), hint line (1).
        (self.height as usize).saturating_sub(6).max(1)
    }

    /// Rebuilds the rows of every route (after new data).
    pub fn rebuild_all(&mut self) {
        for i in 0..self.routes.len() {
            let mut route = std::mem::replace(&mut self.routes[i], Route::new(View::Labs));
            rebuild(&mut route, self);
            self.routes[i] = route;
        }
    }

    /// Rebuilds the rows of the top route (after a filter or sort change).
    pub fn rebuild_top(&mut self) {
        let mut route = self.routes.pop().expect("there is always a route");
        rebuild(&mut route, self);
        self.routes.push(route);
    }
}
