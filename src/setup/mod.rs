//! The guided first-time setup: from an Azure account to a working `factory.toml` and a first
//! image definition. `wizard` holds the answers and checks them (pure); `credentials` finds
//! what can sign in here; `discover` reads what the choices are offered from. The console's
//! setup screens and `init --non-interactive` drive the same wizard.

mod answers;
pub mod credentials;
pub mod discover;
mod validate;
pub mod wizard;

pub use answers::{path_answer, split_paths};
pub use credentials::{Availability, CredentialOption};
pub use discover::{Access, LabChoice, Refusal, SignedIn, SubscriptionChoice};
pub use wizard::{ChosenArtifact, Field, LabPreview, Problem, RetentionPreview, Step, Wizard};

/// The original factory's `Configuration` folder in `dir` (or `dir` itself, when it is one):
/// the setup offers to convert it.
pub fn legacy_configuration(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    [dir.join("Configuration"), dir.to_path_buf()]
        .into_iter()
        .find(|d| d.join("GoldenImages").is_dir())
}
