//! Builds: the planner (pure) and the names a run gives what it creates. The engine that runs a
//! plan (steps, journal, runner) comes next; see DESIGN.md.

pub mod names;
pub mod plan;

pub use names::RunId;
pub use plan::{BuildPlan, FactoryOffer, ImageJob, PlanError, Selection, Skip, Target, plan};
