//! Everything the console can do, as data. One table feeds the key map, the `:` palette, the
//! `?` help and the hint bar; commands that change Azure are marked, and read-only mode removes
//! them from all four.

use super::model::ViewKind;

/// What a command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommandId {
    Quit,
    Back,
    Help,
    Palette,
    Filter,
    Up,
    Down,
    Top,
    Bottom,
    PageDown,
    PageUp,
    Open,
    Mark,
    ClearMarks,
    Labs,
    Images,
    Retention,
    Drift,
    Defs,
    Detail,
    Refresh,
    Sort,
    SortReverse,
    TogglePin,
    RetireMarked,
    ApplyLab,
    ApplyAll,
    CopyId,
    CopyLink,
    Messages,
    Suspend,
    Builds,
    Jobs,
    Build,
    CancelRun,
    ResumeRun,
    Distribute,
    Init,
    Check,
    EditDefinition,
    NewDefinition,
}

/// Where a command applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everywhere.
    Global,
    /// Only in these views.
    Views(&'static [ViewKind]),
}

/// One command: its palette name, default keys, help, where it applies, whether it changes Azure.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    pub id: CommandId,
    /// The `:` palette name (also the key map's name for it).
    pub name: &'static str,
    /// Other palette names.
    pub aliases: &'static [&'static str],
    pub keys: &'static [&'static str],
    pub help: &'static str,
    pub scope: Scope,
    pub changes_azure: bool,
    /// Shown in the hint bar (the few that matter most in a view).
    pub hint: bool,
}

use CommandId::*;
use ViewKind as V;

const LISTS: &[ViewKind] = &[
    V::Labs,
    V::Images,
    V::Retention,
    V::Drift,
    V::Defs,
    V::Builds,
    V::Run,
    V::Jobs,
];
const IMAGE_ROWS: &[ViewKind] = &[V::Images, V::Retention];
const MARKABLE: &[ViewKind] = &[V::Images, V::Retention, V::Defs];
const WITH_IDS: &[ViewKind] = &[
    V::Labs,
    V::Images,
    V::Retention,
    V::Drift,
    V::Detail,
    V::RunImage,
];
const RUNS: &[ViewKind] = &[V::Builds, V::Run, V::RunImage];
const DEFINITIONS: &[ViewKind] = &[V::Defs, V::Definition];

/// The table.
pub const COMMANDS: &[Command] = &[
    Command {
        id: Help,
        name: "help",
        aliases: &["?"],
        keys: &["?"],
        help: "show this help",
        scope: Scope::Global,
        changes_azure: false,
        hint: true,
    },
    Command {
        id: Palette,
        name: "palette",
        aliases: &[],
        keys: &[":"],
        help: "command palette (Tab completes)",
        scope: Scope::Global,
        changes_azure: false,
        hint: true,
    },
    Command {
        id: Filter,
        name: "filter",
        aliases: &[],
        keys: &["/"],
        help: "filter rows by regex; start with ! to invert",
        scope: Scope::Views(LISTS),
        changes_azure: false,
        hint: true,
    },
    Command {
        id: Back,
        name: "back",
        aliases: &[],
        keys: &["esc"],
        help: "back (clear the filter first)",
        scope: Scope::Global,
        changes_azure: false,
        hint: false,
    },
    Command {
        id: Quit,
        name: "quit",
        aliases: &["q", "q!", "exit"],
        keys: &["q", "ctrl-c"],
        help: "quit",
        scope: Scope::Global,
        changes_azure: false,
        hint: true,
    },
    Command {
        id: Up,
        name: "up",
        aliases: &[],
        keys: &["k", "up"],
        help: "move up",
        scope: Scope::Global,
        changes_azure: false,
        hint: false,
    },
    Command {
        id: Down,
        name: "down",
        aliases: &[],
        keys: &["j", "down"],
        help: "move down",
        scope: Scope::Global,
        changes_azure: false,
        hint: false,
    },
    Command {
        id: Top,
        name: "top",
        aliases: &[],
        keys: &["g", "home"],
        help: "go to the first row",
        scope: Scope::Global,
        changes_azure: false,
        hint: false,
    },
    Command {
        id: Bottom,
        name: "bottom",
        aliases: &[],
        keys: &["G", "end"],
        help: "go to the last row",
        scope: Scope::Global,
        changes_azure: false,
        hint: false,
    },
    Command {
        id: PageDown,
        name: "page-down",
        aliases: &[],
        keys: &["ctrl-d", "pagedown"],
        help: "half a page down",
        scope: Scope::Global,
        changes_azure: false,
        hint: false,
    },
    Command {
        id: PageUp,
        name: "page-up",
        aliases: &[],
        keys: &["ctrl-u", "pageup"],
        help: "half a page up",
        scope: Scope::Global,
        changes_azure: false,
        hint: false,
    },
    Command {
        id: Open,
        name: "open",
        aliases: &[],
        keys: &["enter"],
        help: "open: a lab's images, an image's detail, a run, a run's image",
        scope: Scope::Views(LISTS),
        changes_azure: false,
        hint: true,
    },
    Command {
        id: Detail,
        name: "detail",
        aliases: &["describe"],
        keys: &["d"],
        help: "properties, tags and raw JSON of the row",
        scope: Scope::Views(WITH_IDS),
        changes_azure: false,
        hint: true,
    },
    Command {
        id: Mark,
        name: "mark",
        aliases: &[],
        keys: &["space"],
        help: "mark or unmark the image or definition",
        scope: Scope::Views(MARKABLE),
        changes_azure: false,
        hint: true,
    },
    Command {
        id: ClearMarks,
        name: "unmark-all",
        aliases: &[],
        keys: &["ctrl-space", "U"],
        help: "clear all marks",
        scope: Scope::Views(MARKABLE),
        changes_azure: false,
        hint: false,
    },
    Command {
        id: Labs,
        name: "labs",
        aliases: &["lab"],
        keys: &["1"],
        help: "labs across subscriptions",
        scope: Scope::Global,
        changes_azure: false,
        hint: false,
    },
    Command {
        id: Images,
        name: "images",
        aliases: &["img", "image"],
        keys: &["2"],
        help: "custom images of all labs",
        scope: Scope::Global,
        changes_azure: false,
        hint: false,
    },
    Command {
        id: Retention,
        name: "retention",
        aliases: &["ret", "plan"],
        keys: &["3"],
        help: "the retention plan across all labs",
        scope: Scope::Global,
        changes_azure: false,
        hint: false,
    },
    Command {
        id: Drift,
        name: "drift",
        aliases: &[],
        keys: &["4"],
        help: "labs by image path: newest, outdated, missing",
        scope: Scope::Global,
        changes_azure: false,
        hint: false,
    },
    Command {
        id: Defs,
        name: "defs",
        aliases: &["definitions"],
        keys: &["5"],
        help: "image definitions and the labs that receive them",
        scope: Scope::Global,
        changes_azure: false,
        hint: false,
    },
    Command {
        id: Suspend,
        name: "suspend",
        aliases: &[],
        keys: &["ctrl-z"],
        help: "suspend to the shell (fg resumes)",
        scope: Scope::Global,
        changes_azure: false,
        hint: false,
    },
    Command {
        id: Check,
        name: "check",
        aliases: &[],
        keys: &["8"],
        help: "the configuration checked against Azure (what would stop a build)",
        scope: Scope::Global,
        changes_azure: false,
        hint: false,
    },
    Command {
        id: EditDefinition,
        name: "edit",
        aliases: &[],
        keys: &["e"],
        help: "edit the definition's TOML here (checked as you save, then planned)",
        scope: Scope::Views(DEFINITIONS),
        changes_azure: false,
        hint: true,
    },
    Command {
        id: NewDefinition,
        name: "new",
        aliases: &["new-definition"],
        keys: &["n"],
        help: "a new image definition: :new PATH, or :new PATH LAB/VM from a lab VM's base and artifacts",
        scope: Scope::Views(DEFINITIONS),
        changes_azure: false,
        hint: false,
    },
    Command {
        id: Init,
        name: "init",
        aliases: &["setup"],
        keys: &[],
        help: "the guided setup: sign in, choose the labs and policy, write factory.toml",
        scope: Scope::Global,
        changes_azure: false,
        hint: false,
    },
    Command {
        id: Messages,
        name: "messages",
        aliases: &["msgs", "log"],
        keys: &["m"],
        help: "every message of this session, newest first, in full",
        scope: Scope::Global,
        changes_azure: false,
        hint: false,
    },
    Command {
        id: Refresh,
        name: "refresh",
        aliases: &[],
        keys: &["ctrl-r"],
        help: "refresh from Azure now",
        scope: Scope::Global,
        changes_azure: false,
        hint: false,
    },
    Command {
        id: Sort,
        name: "sort",
        aliases: &[],
        keys: &["o"],
        help: "sort by the next column",
        scope: Scope::Views(&[V::Images]),
        changes_azure: false,
        hint: false,
    },
    Command {
        id: SortReverse,
        name: "sort-reverse",
        aliases: &[],
        keys: &["O"],
        help: "reverse the sort",
        scope: Scope::Views(&[V::Images]),
        changes_azure: false,
        hint: false,
    },
    Command {
        id: CopyId,
        name: "copy-id",
        aliases: &[],
        keys: &["c"],
        help: "copy the resource id (OSC 52)",
        scope: Scope::Views(WITH_IDS),
        changes_azure: false,
        hint: false,
    },
    Command {
        id: CopyLink,
        name: "copy-link",
        aliases: &[],
        keys: &["C"],
        help: "copy the Azure portal link (OSC 52)",
        scope: Scope::Views(WITH_IDS),
        changes_azure: false,
        hint: false,
    },
    Command {
        id: TogglePin,
        name: "pin",
        aliases: &["unpin"],
        keys: &["p"],
        help: "pin or unpin the image",
        scope: Scope::Views(IMAGE_ROWS),
        changes_azure: true,
        hint: true,
    },
    Command {
        id: RetireMarked,
        name: "retire",
        aliases: &["delete"],
        keys: &["D"],
        help: "retire the marked images (or the selected one)",
        scope: Scope::Views(IMAGE_ROWS),
        changes_azure: true,
        hint: true,
    },
    Command {
        id: ApplyLab,
        name: "apply-lab",
        aliases: &[],
        keys: &["a"],
        help: "apply the retention plan of the lab under the cursor",
        scope: Scope::Views(&[V::Retention]),
        changes_azure: true,
        hint: true,
    },
    Command {
        id: Builds,
        name: "builds",
        aliases: &["runs"],
        keys: &["6"],
        help: "build and distribution runs (here and found in Azure)",
        scope: Scope::Global,
        changes_azure: false,
        hint: false,
    },
    Command {
        id: Jobs,
        name: "jobs",
        aliases: &[],
        keys: &["7"],
        help: "this console's jobs (retirements, pins, runs started)",
        scope: Scope::Global,
        changes_azure: false,
        hint: false,
    },
    Command {
        id: Build,
        name: "build",
        aliases: &[],
        keys: &["b"],
        help: "build the marked definitions (or all): the plan first",
        scope: Scope::Views(&[V::Defs]),
        changes_azure: true,
        hint: true,
    },
    Command {
        id: CancelRun,
        name: "cancel",
        aliases: &[],
        keys: &["x"],
        help: "stop the run and remove what it made (asks first)",
        scope: Scope::Views(RUNS),
        changes_azure: true,
        hint: true,
    },
    Command {
        id: ResumeRun,
        name: "resume",
        aliases: &[],
        keys: &["r"],
        help: "finish a run whose process is gone (asks first)",
        scope: Scope::Views(RUNS),
        changes_azure: true,
        hint: true,
    },
    Command {
        id: Distribute,
        name: "distribute",
        aliases: &[],
        keys: &[],
        help: "copy retained images from the catalogue to labs missing them (:distribute LAB)",
        scope: Scope::Global,
        changes_azure: true,
        hint: false,
    },
    Command {
        id: ApplyAll,
        name: "apply-all",
        aliases: &[],
        keys: &["A"],
        help: "apply the whole retention plan",
        scope: Scope::Views(&[V::Retention]),
        changes_azure: true,
        hint: true,
    },
];

impl Command {
    /// Whether the command applies in `view`.
    pub fn applies(&self, view: ViewKind) -> bool {
        match self.scope {
            Scope::Global => true,
            Scope::Views(views) => views.contains(&view),
        }
    }

    /// Whether read-only mode leaves it available.
    pub fn allowed(&self, read_only: bool) -> bool {
        !(read_only && self.changes_azure)
    }
}

/// The commands available in `view`, in table order.
pub fn available(view: ViewKind, read_only: bool) -> impl Iterator<Item = &'static Command> {
    COMMANDS
        .iter()
        .filter(move |c| c.allowed(read_only) && c.applies(view))
}

/// The command with this palette name or alias.
pub fn by_name(name: &str, read_only: bool) -> Option<&'static Command> {
    COMMANDS
        .iter()
        .filter(|c| c.allowed(read_only))
        .find(|c| c.name == name || c.aliases.contains(&name))
}

/// Palette completions for what has been typed.
pub fn complete(typed: &str, read_only: bool) -> Vec<&'static Command> {
    let typed = typed.trim();
    COMMANDS
        .iter()
        .filter(|c| {
            c.allowed(read_only)
                && !matches!(
                    c.id,
                    Up | Down | Top | Bottom | PageDown | PageUp | Palette | Back
                )
        })
        .filter(|c| c.name.starts_with(typed) || c.aliases.iter().any(|a| a.starts_with(typed)))
        .collect()
}
