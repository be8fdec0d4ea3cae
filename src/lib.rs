//! imagefactory: a console and headless engine for Azure DevTest Labs image factories.

pub mod age;
pub mod arm;
pub mod cli;
pub mod config;
pub mod factory;
pub mod sim;
pub mod tui;
