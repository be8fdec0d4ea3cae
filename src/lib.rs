//! imagefactory: a console and headless engine for Azure DevTest Labs image factories.

pub mod arm;
pub mod cli;
pub mod config;
pub mod factory;
pub mod files;
pub mod human;
pub mod inert;
pub mod paths;
pub mod setup;
pub mod sim;
pub mod tui;
