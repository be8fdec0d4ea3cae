//! Builds: the planner (pure), the names a run gives what it creates, the run journal with
//! its fold, the steps (ARM and blob calls per stage) and the runner.

pub mod artifacts;
pub mod backfill;
pub mod background;
pub mod catalogue;
pub mod generation;
pub mod janitor;
pub mod journal;
pub mod names;
pub mod network;
pub mod offer;
pub mod plan;
pub mod resume;
pub mod runner;
pub mod steps;

pub use names::RunId;
pub use plan::{BuildPlan, FactoryOffer, ImageJob, PlanError, Selection, Skip, Target, plan};
