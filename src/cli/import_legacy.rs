//! `imagefactory import-legacy`: the original factory's configuration, converted.

use std::path::PathBuf;

use clap::Args;

use super::exit::Exit;
use super::output::{Table, print_json, report_error, report_warning};
use crate::config;

/// Options of `import-legacy`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The original factory's Configuration folder (holding GoldenImages/ and Labs.json).
    pub configuration_dir: PathBuf,
    /// Where to write factory.toml and images/ (must not hold them already).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: ImportArgs) -> Exit {
    let report = match config::legacy::import(&args.configuration_dir, &args.out) {
        Ok(r) => r,
        Err(e) => {
            report_error(&e.to_string());
            return Exit::Usage;
        }
    };
    if args.json {
        if let Err(e) = print_json(&report) {
            report_error(&e.to_string());
            return Exit::Failure;
        }
    } else {
        say!(
            "Wrote {} files to {}: {} image definitions, {} target labs.",
            report.written.len(),
            args.out.display(),
            report.images.len(),
            report.labs
        );
        for file in &report.written {
            say!("  {file}");
        }
        if !report.findings.is_empty() {
            say!("\nNot carried over as it was ({}):", report.findings.len());
            let mut table = Table::new(vec!["FILE", "ITEM", "WHAT HAPPENED"]);
            for f in &report.findings {
                table.row(vec![f.file.clone(), f.item.clone(), f.note.clone()]);
            }
            if let Err(e) = table.print() {
                report_error(&e.to_string());
                return Exit::Failure;
            }
        }
    }
    // Say at once whether the result loads, and if not, the first thing to fix.
    if let Err(e) = config::load(&args.out.join("factory.toml")) {
        report_warning(&format!(
            "the imported configuration does not load yet: {e}"
        ));
    }
    Exit::Ok
}
