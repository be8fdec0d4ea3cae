//! Output: aligned tables for people, JSON for programs, and pipeline annotations when running
//! under Azure DevOps (`TF_BUILD`) or GitHub Actions (`GITHUB_ACTIONS`).

use std::io::Write;

use crate::arm::redact::redact;
use crate::factory::Problem;
use crate::inert;

/// Prints a line on stdout, inert (see `crate::inert`): every headless command prints through
/// this (`say!`) or `tell!` (stderr), never `println!`, because what it prints holds text from
/// Azure.
macro_rules! say {
    () => { $crate::cli::output::say_line(format_args!("")) };
    ($($t:tt)*) => { $crate::cli::output::say_line(format_args!($($t)*)) };
}

/// `say!` for stderr.
macro_rules! tell {
    () => { $crate::cli::output::tell_line(format_args!("")) };
    ($($t:tt)*) => { $crate::cli::output::tell_line(format_args!($($t)*)) };
}

/// Stdout, made inert, for prose and tables.
pub fn stdout() -> inert::Writer<std::io::StdoutLock<'static>> {
    inert::Writer::new(std::io::stdout().lock(), inert::Kind::Text, in_pipeline())
}

/// Stderr, made inert.
pub fn stderr() -> inert::Writer<std::io::StderrLock<'static>> {
    inert::Writer::new(std::io::stderr().lock(), inert::Kind::Text, in_pipeline())
}

/// Stdout, made inert, for JSON written by another thread.
pub fn json_stdout() -> inert::Writer<std::io::Stdout> {
    inert::Writer::new(std::io::stdout(), inert::Kind::Json, in_pipeline())
}

/// Text from Azure as part of one printed line: in a pipeline its line ends are folded, so it
/// cannot start a line of its own that looks like this program's (or a command); elsewhere it
/// keeps them (the inert writer still strips what a terminal would obey).
pub fn azure_line(text: &str) -> String {
    if in_pipeline() {
        inert::cell(text)
    } else {
        text.to_string()
    }
}

/// What `say!` calls. A reader gone (a closed pipe) is not an error worth a panic.
pub fn say_line(args: std::fmt::Arguments) {
    let _ = writeln!(stdout(), "{args}");
}

/// What `tell!` calls.
pub fn tell_line(args: std::fmt::Arguments) {
    let _ = writeln!(stderr(), "{args}");
}

/// The CI system whose log annotations to write, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pipeline {
    AzureDevOps,
    GitHubActions,
}

fn pipeline() -> Option<Pipeline> {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "false");
    if set("TF_BUILD") {
        Some(Pipeline::AzureDevOps)
    } else if set("GITHUB_ACTIONS") {
        Some(Pipeline::GitHubActions)
    } else {
        None
    }
}

/// The line to write for a message of `level` (`error` or `warning`), annotated for the
/// pipeline when there is one.
fn annotate(level: &str, message: &str) -> String {
    annotate_file(level, message, None, None)
}

/// Whether this runs inside a pipeline (Azure DevOps or GitHub Actions).
pub fn in_pipeline() -> bool {
    pipeline().is_some()
}

// Pipeline commands (groups, progress, annotations) go to stderr: the agent reads both
// streams, and stdout stays what the command prints (only JSON with `--json`).

/// Opens a collapsible group in the pipeline's log (nothing outside a pipeline).
pub fn group_start(title: &str) {
    match pipeline() {
        Some(Pipeline::AzureDevOps) => eprintln!("##[group]{}", inert::cell(title)),
        Some(Pipeline::GitHubActions) => eprintln!("::group::{}", inert::cell(title)),
        None => {}
    }
}

/// Closes the group `group_start` opened.
pub fn group_end() {
    match pipeline() {
        Some(Pipeline::AzureDevOps) => eprintln!("##[endgroup]"),
        Some(Pipeline::GitHubActions) => eprintln!("::endgroup::"),
        None => {}
    }
}

/// The task's progress in Azure DevOps (its percent in the run's timeline).
pub fn progress(percent: usize, what: &str) {
    if pipeline() == Some(Pipeline::AzureDevOps) {
        eprintln!(
            "##vso[task.setprogress value={percent};]{}",
            inert::pipeline_line(&inert::cell(what))
        );
    }
}

/// A line for `message` of `level` (`error` or `warning`), about `file` if it names one,
/// annotated for the pipeline when there is one (its log links the annotation to the file).
pub fn annotate_file(
    level: &str,
    message: &str,
    file: Option<&str>,
    at: Option<(usize, usize)>,
) -> String {
    let message = inert::text(&redact(message));
    let file = file.map(from_repository_root);
    let file = file.as_deref();
    match pipeline() {
        Some(Pipeline::AzureDevOps) => {
            let mut source = file.map(|f| format!(";sourcepath={f}")).unwrap_or_default();
            if let (Some(_), Some((line, column))) = (file, at) {
                source.push_str(&format!(";linenumber={line};columnnumber={column}"));
            }
            format!(
                "##vso[task.logissue type={level}{source}]{}",
                inert::pipeline_line(&inert::cell(&message))
            )
        }
        Some(Pipeline::GitHubActions) => {
            let mut source = file.map(|f| format!(" file={f}")).unwrap_or_default();
            if let (Some(_), Some((line, column))) = (file, at) {
                source.push_str(&format!(",line={line},col={column}"));
            }
            // Escaped as the runner unescapes: the message stays one line, with its line ends.
            format!(
                "::{level}{source}::{}",
                inert::pipeline_line(&message)
                    .replace('%', "%25")
                    .replace('\r', "%0D")
                    .replace('\n', "%0A")
            )
        }
        None => format!("{level}: {message}"),
    }
}

/// `file` as the pipeline links it: relative to the repository's root (the checkout the
/// pipeline made: `GITHUB_WORKSPACE`, `BUILD_SOURCESDIRECTORY`), else to the current folder,
/// when it is inside; else as given.
fn from_repository_root(file: &str) -> String {
    let path = std::path::absolute(file).unwrap_or_else(|_| file.into());
    let roots = ["GITHUB_WORKSPACE", "BUILD_SOURCESDIRECTORY"]
        .into_iter()
        .filter_map(|v| std::env::var_os(v).filter(|r| !r.is_empty()))
        .map(std::path::PathBuf::from)
        .chain(std::env::current_dir().ok());
    for root in roots {
        if let Ok(inside) = path.strip_prefix(&root) {
            return inside.to_string_lossy().replace('\\', "/");
        }
    }
    file.to_string()
}

/// Writes an error to stderr.
pub fn report_error(message: &str) {
    eprintln!("{}", annotate("error", message));
}

/// Writes a warning to stderr.
pub fn report_warning(message: &str) {
    eprintln!("{}", annotate("warning", message));
}

/// Reports the parts of the estate that could not be read.
pub fn report_problems(problems: &[Problem]) {
    for p in problems {
        report_warning(&format!(
            "{} {} could not be read: {}",
            p.scope, p.name, p.error
        ));
    }
}

/// Says that no visible lab has this name, suggesting the nearest one.
pub fn report_unknown_lab(name: &str, inventory: &crate::factory::Inventory) {
    let known: Vec<&str> = inventory.labs().map(|(_, l)| l.name.as_str()).collect();
    let hint = crate::human::nearest(name, &known)
        .map(|n| format!(" Did you mean `{n}`?"))
        .unwrap_or_default();
    report_error(&format!(
        "no lab named `{name}` in any visible subscription.{hint} `imagefactory labs` lists them."
    ));
}

/// `result`, with a reader that went away (`| head`) taken as success: what it did not read
/// it did not want, and a command ends quietly, with its own exit code.
pub fn unless_reader_gone(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> std::io::Result<()> {
    unless_reader_gone(write_json(value))
}

fn write_json<T: serde::Serialize>(value: &T) -> std::io::Result<()> {
    // Buffered: stdout flushes at every newline, which for pretty JSON of thousands of images
    // is hundreds of thousands of writes.
    let inert = inert::Writer::new(std::io::stdout().lock(), inert::Kind::Json, in_pipeline());
    let mut out = std::io::BufWriter::with_capacity(1 << 16, inert);
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    out.flush()
}

/// A plain text table, columns padded to their widest cell.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: Vec<&'static str>) -> Self {
        Table {
            headers,
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        // A row short of a cell would print every later value under the wrong heading.
        assert_eq!(cells.len(), self.headers.len(), "one cell per column");
        // Made inert before the widths are measured: a cell is one line of what shows.
        self.rows
            .push(cells.iter().map(|c| inert::cell(c)).collect());
    }

    /// Writes the table to stdout.
    pub fn print(&self) -> std::io::Result<()> {
        unless_reader_gone(self.write())
    }

    fn write(&self) -> std::io::Result<()> {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = std::io::BufWriter::new(stdout());
        let line = |cells: Vec<&str>| {
            let last = cells.len().saturating_sub(1);
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if i == last {
                        c.to_string()
                    } else {
                        format!("{c:<w$}", w = widths[i])
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
        };
        writeln!(out, "{}", line(self.headers.clone()).trim_end())?;
        for row in &self.rows {
            writeln!(
                out,
                "{}",
                line(row.iter().map(String::as_str).collect()).trim_end()
            )?;
        }
        out.flush()
    }
}

pub use crate::human::{age, rfc3339};
