use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::human::nearest_key;

/// A configuration problem, with where it is and what to do about it.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// No configuration was found where one is looked for.
    #[error("no factory configuration found; looked in: {}. Make one with `imagefactory init` (or `imagefactory import-legacy` from the original factory), or pass --config FILE", .searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    NotFound { searched: Vec<PathBuf> },
    /// A file could not be read.
    #[error("{path}: cannot read: {reason}")]
    Read { path: PathBuf, reason: String },
    /// A file could not be written.
    #[error("{path}: cannot write: {reason}")]
    Write { path: PathBuf, reason: String },
    /// Something at a position in a file is wrong.
    #[error("{}:{line}:{column}: {message}", .path.display())]
    At {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// Something about a file as a whole is wrong.
    #[error("{}: {message}", .path.display())]
    File { path: PathBuf, message: String },
}

impl ConfigError {
    /// The file the problem is in, if it is in one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            ConfigError::NotFound { .. } => None,
            ConfigError::Read { path, .. }
            | ConfigError::Write { path, .. }
            | ConfigError::At { path, .. }
            | ConfigError::File { path, .. } => Some(path),
        }
    }

    /// An error at byte `offset` of `text` (a file's contents).
    pub fn at(path: &Path, text: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_column(text, offset);
        ConfigError::At {
            path: path.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    /// Turns a TOML parse or type error into a positioned error, suggesting the nearest key for
    /// an unknown one.
    pub fn from_toml(path: &Path, text: &str, error: &toml::de::Error) -> Self {
        let message = explain(error.message());
        match error.span() {
            Some(span) => ConfigError::at(path, text, span.start, message),
            None => ConfigError::File {
                path: path.to_path_buf(),
                message,
            },
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

/// Rewrites serde's wording into what a person editing the file needs.
fn explain(message: &str) -> String {
    let message = message.trim();
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((field, expected)) = rest.split_once('`')
    {
        let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let mut out = format!("unknown key `{field}`");
        match nearest_key(field, &known) {
            Some(best) => out.push_str(&format!("; did you mean `{best}`?")),
            None if !known.is_empty() => {
                out.push_str(&format!("; expected one of: {}", known.join(", ")))
            }
            None => {}
        }
        return out;
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return format!("missing key `{field}`");
    }
    if let Some(rest) = message.strip_prefix("unknown variant `")
        && let Some((value, expected)) = rest.split_once('`')
    {
        let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        return format!(
            "`{value}` is not allowed here; expected one of: {}",
            known.join(", ")
        );
    }
    // An unquoted word that happens to start like a number or a boolean (`ImageFactory`,
    // `true1`) gets TOML's guess at what it was; the fix is the same as for any bare word.
    if message.starts_with("string values must be quoted")
        || message.starts_with("invalid float")
        || message.starts_with("invalid boolean")
        || message.starts_with("invalid integer")
    {
        return "text must be quoted: write key = \"value\"".into();
    }
    // serde's words name Rust types (`expected i64`): said as a person writes TOML.
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        let wanted = match expected.trim() {
            "i64" | "u64" | "u32" | "u16" | "u8" | "usize" | "i32" => {
                "a whole number, without quotes (like 3)".to_string()
            }
            "f64" | "f32" => "a number without quotes".to_string(),
            "a boolean" | "bool" => "true or false, without quotes".to_string(),
            "a string" => "text in quotes (key = \"value\")".to_string(),
            "a sequence" => "a list in brackets ([\"a\", \"b\"])".to_string(),
            other => other.to_string(),
        };
        return format!("this is {found}; it should be {wanted}");
    }
    message.replace("invalid type: ", "wrong type: ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        assert_eq!(line_column("a = 1\nbb = 2\n", 6), (2, 1));
        assert_eq!(line_column("a = 1\nbb = 2\n", 11), (2, 6));
    }
}

#[cfg(test)]
mod explain_tests {
    use super::*;

    #[test]
    fn bare_words_are_told_to_be_quoted_whatever_toml_guessed() {
        for text in ["auth = cli\n", "lab = ImageFactory\n", "x = true1\n"] {
            let e = toml::from_str::<toml::Table>(text).unwrap_err();
            let error = ConfigError::from_toml(Path::new("factory.toml"), text, &e);
            assert!(
                error
                    .to_string()
                    .contains("text must be quoted: write key = \"value\""),
                "{text:?}: {error}"
            );
            assert!(error.to_string().starts_with("factory.toml:1:"), "{error}");
        }
    }
}
