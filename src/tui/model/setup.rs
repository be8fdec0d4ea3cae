//! The setup's screens: the wizard's answers (`setup::Wizard`, pure) and what the screens add
//! to them — which field has the keys, the text being typed, the list cursor, what is being
//! read from Azure and what went wrong.

use std::path::PathBuf;

use ratatui_textarea::TextArea;

use super::ReqId;

/// Rows of the setup's screen around its body: the title, the steps' bar (two) and the keys.
pub const SETUP_CHROME_ROWS: u16 = 4;
use crate::factory::builder::plan::{ArtifactOffer, GalleryOffer};
use crate::setup::{Problem, Step, Wizard};

/// How the console starts with the setup.
#[derive(Debug, Clone, PartialEq)]
pub enum Setup {
    /// No configuration was found: offer the setup (writing into this folder).
    Offered(PathBuf),
    /// `imagefactory init`: start it (writing into this folder).
    Started(PathBuf),
}

/// Which answer the keys go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Focus {
    /// The step's list (credentials, subscriptions, labs, the files to write).
    List,
    /// The image paths of the lab under the cursor.
    TargetPaths,
    KeepLatest,
    MinAge,
    ProtectInUse,
    RetireRemoved,
    RetireUnsubscribed,
    DefinitionPath,
    /// The gallery, searched by what is typed.
    Base,
    /// The artifacts, searched by what is typed; space adds or removes one.
    Artifacts,
    /// A parameter of a chosen artifact (index into the chosen artifacts, name).
    Parameter(usize, String),
}

/// Work the setup waits for.
#[derive(Debug, Clone, PartialEq)]
pub struct Busy {
    pub req: ReqId,
    /// What it is, for the screen.
    pub what: String,
    /// It writes files: it is not stopped by Esc (its end must be heard).
    pub writes: bool,
}

/// The setup on screen.
pub struct SetupScreen {
    pub wizard: Wizard,
    /// The offer shown when no configuration was found (Enter starts the setup).
    pub welcome: bool,
    /// An original factory's `Configuration` folder found where the files would go.
    pub legacy: Option<PathBuf>,
    pub focus: Focus,
    /// The text of the focused field, as typed.
    pub input: TextArea<'static>,
    /// The list cursor of the step (or of the searched list that has the focus).
    pub cursor: usize,
    /// What is being read from Azure or written, and the request it is.
    pub busy: Option<Busy>,
    /// The first wrong answer, shown at its field.
    pub problem: Option<Problem>,
    /// What Azure answered when a read failed.
    pub failure: Option<String>,
    /// Rows scrolled past in the files shown before writing.
    pub scroll: u16,
}

impl SetupScreen {
    /// The setup at its first step (`welcome`: after the offer).
    pub fn new(wizard: Wizard, welcome: bool, legacy: Option<PathBuf>) -> SetupScreen {
        SetupScreen {
            wizard,
            welcome,
            legacy,
            focus: Focus::List,
            input: TextArea::default(),
            cursor: 0,
            busy: None,
            problem: None,
            failure: None,
            scroll: 0,
        }
    }

    /// The step on screen.
    pub fn step(&self) -> Step {
        self.wizard.step
    }

    /// The gallery images the base search shows (indexes into the offer's gallery).
    pub fn gallery_shown(&self) -> Vec<usize> {
        let Some(offer) = &self.wizard.offer else {
            return Vec::new();
        };
        let search = self.search_text(Focus::Base);
        offer
            .gallery
            .iter()
            .enumerate()
            .filter(|(_, g)| matches_search(&search, &gallery_words(g)))
            .map(|(i, _)| i)
            .collect()
    }

    /// The artifacts the artifact search shows, for the first image's OS: (source, artifact).
    pub fn artifacts_shown(&self) -> Vec<(String, ArtifactOffer)> {
        let Some(offer) = &self.wizard.offer else {
            return Vec::new();
        };
        let os = match self.wizard.os() {
            crate::config::OsType::Windows => "windows",
            crate::config::OsType::Linux => "linux",
        };
        let search = self.search_text(Focus::Artifacts);
        offer
            .artifact_sources
            .iter()
            .flat_map(|s| s.artifacts.iter().map(move |a| (s.name.clone(), a.clone())))
            .filter(|(_, a)| a.os.as_deref().is_none_or(|o| o.eq_ignore_ascii_case(os)))
            // Applied last by every build: not the user's to choose.
            .filter(|(source, a)| {
                !crate::factory::builder::plan::generalizes(&crate::config::ArtifactRef {
                    source: source.clone(),
                    name: a.name.clone(),
                    parameters: Default::default(),
                    secret: Vec::new(),
                })
            })
            .filter(|(_, a)| matches_search(&search, &format!("{} {}", a.name, a.title)))
            .collect()
    }

    /// The text typed for a searched list, when it has the focus (else no search).
    fn search_text(&self, focus: Focus) -> String {
        if self.focus == focus {
            self.input.lines().join("")
        } else {
            String::new()
        }
    }
}

fn gallery_words(g: &GalleryOffer) -> String {
    format!("{} {}", g.title, g.reference())
}

/// Whether every word of `search` is in `text` (case aside).
fn matches_search(search: &str, text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    search
        .split_whitespace()
        .all(|w| text.contains(&w.to_ascii_lowercase()))
}
