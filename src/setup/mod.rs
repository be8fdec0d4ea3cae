//! The guided first-time setup: from an Azure account to a working `factory.toml` and a first
//! image definition. `wizard` holds the answers and checks them (pure); `credentials` finds
//! what can sign in here; `discover` reads what the choices are offered from. The console's
//! setup screens and `init --non-interactive` drive the same wizard.

pub mod credentials;
pub mod discover;
pub mod wizard;

pub use credentials::{Availability, CredentialOption};
pub use discover::{Access, LabChoice, SignedIn, SubscriptionChoice};
pub use wizard::{ChosenArtifact, Field, Problem, RetentionPreview, Step, Wizard};
