//! The console: one-way (Elm-like). `Msg` → `update(&mut Model, Msg) -> Vec<Effect>` → effects
//! run on tokio and come back as `Msg`; `view(&Model, &Theme, &mut Frame)` only reads.

mod app;
pub mod cache;
pub mod command;
pub mod effect;
pub mod keymap;
pub mod model;
pub mod msg;
mod runs;
mod settings;
pub mod theme;
pub mod update;
pub mod view;
mod widget;

pub use app::run;
pub use model::setup::Setup;
pub use runs::watch as watch_journals;
pub use settings::Settings;

/// Problems with the console's own settings (key map, theme).
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("console settings: {0}")]
    Settings(String),
    /// A setting that is wrong, by its key in `console.toml` (so the file can point at it).
    #[error("console settings: {message}")]
    Setting { key: String, message: String },
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
}
