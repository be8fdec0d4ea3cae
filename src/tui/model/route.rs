//! Where the operator is: a stack of routes, each a view with its own cursor, filter and sort,
//! and the rows it shows (derived, rebuilt when the data, filter or sort change).

use regex::Regex;

use crate::arm::ResourceId;

/// The kinds of view, for the command table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ViewKind {
    Labs,
    Images,
    Retention,
    Drift,
    Defs,
    Detail,
    Messages,
    Builds,
    Run,
    RunImage,
    Jobs,
    Definition,
    Check,
}

/// A view and what it is about.
#[derive(Debug, Clone, PartialEq)]
pub enum View {
    Labs,
    /// Every image, or one lab's.
    Images {
        lab: Option<ResourceId>,
    },
    Retention,
    Drift,
    Defs,
    /// One lab or image: properties, tags, raw JSON.
    Detail {
        id: ResourceId,
    },
    /// Every message of this session, newest first, in full.
    Messages,
    /// Build and distribution runs, newest first.
    Builds,
    /// One run: a row per image with its stage and copies.
    Run {
        run: String,
    },
    /// One image of a run: its stages, error, artifacts' own words, what was cleaned up.
    RunImage {
        run: String,
        image: String,
    },
    /// This console's jobs (retirements, pins, run starts).
    Jobs,
    /// One image definition in full, and the labs that receive it.
    Definition {
        path: crate::config::ImagePath,
    },
    /// What `check` finds: the configuration against Azure.
    Check,
}

impl View {
    /// The orders its list can be put in, the natural one first. A view with one has nothing
    /// to sort (its lines are a document, or time is its only order).
    pub fn sort_keys(&self) -> &'static [SortKey] {
        match self {
            View::Labs
            | View::Images { .. }
            | View::Retention
            | View::Drift
            | View::Defs
            | View::Builds => SortKey::ALL,
            View::Run { .. } => &[
                SortKey::Natural,
                SortKey::Name,
                SortKey::Path,
                SortKey::State,
            ],
            _ => &[SortKey::Natural],
        }
    }

    pub fn kind(&self) -> ViewKind {
        match self {
            View::Labs => ViewKind::Labs,
            View::Images { .. } => ViewKind::Images,
            View::Retention => ViewKind::Retention,
            View::Drift => ViewKind::Drift,
            View::Defs => ViewKind::Defs,
            View::Detail { .. } => ViewKind::Detail,
            View::Messages => ViewKind::Messages,
            View::Builds => ViewKind::Builds,
            View::Run { .. } => ViewKind::Run,
            View::RunImage { .. } => ViewKind::RunImage,
            View::Jobs => ViewKind::Jobs,
            View::Definition { .. } => ViewKind::Definition,
            View::Check => ViewKind::Check,
        }
    }
}

/// One line of a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// A subscription heading (index in the inventory).
    Sub(usize),
    /// A lab (flat index).
    Lab(usize),
    /// An image (index into `Data::images`).
    Image(usize),
    /// A drift row (index into `Data::drift`).
    Drift(usize),
    /// An image definition (index into the configuration's images).
    Def(usize),
    /// A line of a detail view.
    Line(usize),
    /// A message (index into `Model::messages`, oldest first).
    Message(usize),
    /// A subscription or configured lab that could not be read (index into the inventory's
    /// problems).
    Problem(usize),
    /// A run (index into `Runs::entries`).
    Run(usize),
    /// An image of the run shown (index into its state's images).
    RunImage(usize),
    /// A target lab of an image of the run shown (image, target).
    RunTarget(usize, usize),
    /// A job (index into `Jobs::list`).
    Job(usize),
}

/// A row filter: a regex, or its inverse with a leading `!`.
#[derive(Debug, Clone)]
pub struct Filter {
    pub text: String,
    pub regex: Regex,
    pub invert: bool,
}

impl Filter {
    /// Parses what was typed; case-insensitive unless it has capitals (as in k9s and vim).
    pub fn parse(text: &str) -> Result<Option<Filter>, String> {
        let (invert, pattern) = match text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if pattern.is_empty() {
            return Ok(None);
        }
        let smart = if pattern.chars().any(|c| c.is_uppercase()) {
            pattern.to_string()
        } else {
            format!("(?i){pattern}")
        };
        let regex = Regex::new(&smart).map_err(|e| {
            e.to_string()
                .lines()
                .last()
                .unwrap_or("bad regex")
                .trim()
                .to_string()
        })?;
        Ok(Some(Filter {
            text: text.to_string(),
            regex,
            invert,
        }))
    }

    pub fn keeps(&self, text: &str) -> bool {
        self.regex.is_match(text) != self.invert
    }
}

/// Image columns to sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// The natural order: labs by subscription, images by lab and path, newest first.
    Natural,
    Name,
    Age,
    Path,
    State,
    Lab,
}

impl SortKey {
    /// Every order, the natural one first.
    pub const ALL: &'static [SortKey] = &[
        SortKey::Natural,
        SortKey::Name,
        SortKey::Age,
        SortKey::Path,
        SortKey::State,
        SortKey::Lab,
    ];

    /// The order after this one among `keys` (a view's), back to the first after the last.
    pub fn next_among(self, keys: &[SortKey]) -> SortKey {
        let at = keys.iter().position(|k| *k == self).unwrap_or(0);
        keys[(at + 1) % keys.len()]
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Natural => "",
            SortKey::Name => "name",
            SortKey::Age => "age",
            SortKey::Path => "path",
            SortKey::State => "state",
            SortKey::Lab => "lab",
        }
    }
}

/// A view on the stack, with its own cursor, filter, sort and rows.
#[derive(Debug, Clone)]
pub struct Route {
    pub view: View,
    pub cursor: usize,
    pub offset: usize,
    pub filter: Option<Filter>,
    pub sort: SortKey,
    pub descending: bool,
    pub rows: Vec<Row>,
    /// Rows the filter hides.
    pub hidden: usize,
    /// The operator moved the cursor here: new data keeps it on its item. Until then it
    /// stays at the top while an inventory streams in (rows arrive above and below).
    pub moved: bool,
}

impl Route {
    pub fn new(view: View) -> Route {
        Route {
            view,
            cursor: 0,
            offset: 0,
            filter: None,
            sort: SortKey::Natural,
            descending: false,
            rows: Vec::new(),
            hidden: 0,
            moved: false,
        }
    }

    /// The row under the cursor.
    pub fn current(&self) -> Option<Row> {
        self.rows.get(self.cursor).copied()
    }
}
