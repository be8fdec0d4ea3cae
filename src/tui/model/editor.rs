//! The definition editor: a definition's TOML in a text area, checked as it is saved.

use std::path::PathBuf;

use ratatui_textarea::TextArea;

use super::ReqId;
use crate::config::ImagePath;

/// Where the last save found the text wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditError {
    /// 1-based, when the problem is at a place in the text.
    pub at: Option<(usize, usize)>,
    pub message: String,
}

/// A definition being edited (or made).
pub struct Editor {
    pub path: ImagePath,
    /// The file it is saved to.
    pub file: PathBuf,
    /// The folder image paths are relative to (`images/` beside factory.toml).
    pub images_dir: PathBuf,
    /// A new definition: its file must not exist yet.
    pub new: bool,
    pub text: TextArea<'static>,
    /// The text as it is on disk (or as it was made, for a new one).
    pub saved: String,
    pub error: Option<EditError>,
    /// Leaving with unsaved changes was asked once: asking again leaves.
    pub leave_asked: bool,
    /// The save being written.
    pub saving: Option<ReqId>,
}

impl Editor {
    /// An editor on `text`, the cursor at its start.
    pub fn new(
        path: ImagePath,
        file: PathBuf,
        images_dir: PathBuf,
        new: bool,
        text: &str,
    ) -> Editor {
        let mut area = TextArea::new(text.lines().map(str::to_string).collect());
        area.set_line_number_style(
            ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::DIM),
        );
        Editor {
            path,
            file,
            images_dir,
            new,
            text: area,
            saved: text.to_string(),
            error: None,
            leave_asked: false,
            saving: None,
        }
    }

    /// The text as typed, ending in a newline.
    pub fn content(&self) -> String {
        let mut text = self.text.lines().join("\n");
        text.push('\n');
        text
    }

    /// Whether the text differs from what is saved.
    pub fn changed(&self) -> bool {
        self.content().trim_end() != self.saved.trim_end()
    }
}
