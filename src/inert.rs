//! Text from Azure (names, tags, error messages, an artifact's output) printed so that it
//! cannot act on the terminal or the pipeline that shows it. A terminal obeys escape
//! sequences (an OSC 52 clipboard write, a screen clear); a pipeline obeys commands at the start
//! of a line (Azure DevOps' `##vso[…]` and `##[…]`, GitHub Actions' `::…::`). Control
//! characters are removed (tab kept); in a pipeline, commands are broken so that they show as
//! written and do nothing.

use std::io::{self, Write};

/// `text` without control characters (C0, DEL and C1), keeping tabs and line ends: for
/// messages of more than one line.
pub fn text(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n'))
        .collect()
}

/// `text` as one table cell: control characters removed, line ends and tabs as spaces (a
/// cell that broke its line would shift every column after it).
pub fn cell(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// One line (without its end) as a pipeline shows it without obeying it: `##vso[` and `##[`
/// anywhere (Azure DevOps' agent looks for them anywhere in a line) become `# #vso[` and `# #[`,
/// and `::` first on the line (GitHub Actions' runner looks after leading spaces) becomes `: :`.
pub fn pipeline_line(line: &str) -> String {
    let broken = line.replace("##vso[", "# #vso[").replace("##[", "# #[");
    let indent = broken.len() - broken.trim_start().len();
    if broken[indent..].starts_with("::") {
        format!("{}: :{}", &broken[..indent], &broken[indent + 2..])
    } else {
        broken
    }
}

/// What is written through a [`Writer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Prose and tables: control characters removed.
    Text,
    /// JSON (serde escapes C0 already): C1 characters and DEL, which it leaves raw inside
    /// strings, become `\u00XX` escapes, so the document means the same.
    Json,
}

/// A writer that makes whatever passes through it inert, line by line (a sequence split
/// across two writes is still seen whole). Dropping it writes what is left.
pub struct Writer<W: Write> {
    inner: W,
    kind: Kind,
    pipeline: bool,
    line: Vec<u8>,
}

impl<W: Write> Writer<W> {
    /// `pipeline`: also break pipeline commands.
    pub fn new(inner: W, kind: Kind, pipeline: bool) -> Self {
        Writer {
            inner,
            kind,
            pipeline,
            line: Vec::new(),
        }
    }

    fn emit(&mut self, end: bool) -> io::Result<()> {
        let raw = String::from_utf8_lossy(&self.line);
        let mut clean = match self.kind {
            Kind::Text => raw
                .chars()
                .filter(|c| !c.is_control() || *c == '\t')
                .collect(),
            Kind::Json => escape_c1(&raw),
        };
        if self.pipeline {
            clean = pipeline_line(&clean);
        }
        self.line.clear();
        self.inner.write_all(clean.as_bytes())?;
        if end {
            self.inner.write_all(b"\n")?;
        }
        Ok(())
    }
}

fn escape_c1(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\u{7f}'..='\u{9f}') {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

impl<W: Write> Write for Writer<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(end) = rest.iter().position(|b| *b == b'\n') {
            self.line.extend_from_slice(&rest[..end]);
            self.emit(true)?;
            rest = &rest[end + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // A line still open stays open: it may be ended by the next write.
        self.inner.flush()
    }
}

impl<W: Write> Drop for Writer<W> {
    fn drop(&mut self) {
        if !self.line.is_empty() {
            let _ = self.emit(false);
        }
        let _ = self.inner.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "lab\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}\u{1b}[2J\u{9b}31m\r\n##vso[task.setvariable variable=x]y";

    fn through(kind: Kind, pipeline: bool, pieces: &[&str]) -> String {
        let mut out = Vec::new();
        {
            let mut w = Writer::new(&mut out, kind, pipeline);
            for p in pieces {
                w.write_all(p.as_bytes()).unwrap();
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escape_sequences_lose_their_escape() {
        assert_eq!(
            text(HOSTILE),
            "lab]52;c;ZWNobyBwd25lZA==[2J31m\n##vso[task.setvariable variable=x]y"
        );
        assert_eq!(
            cell("a\tb\r\nc\u{1b}[0m\u{85}"),
            "a b  c[0m",
            "line ends as spaces"
        );
    }

    #[test]
    fn pipeline_commands_show_and_do_nothing() {
        assert_eq!(
            pipeline_line("x ##vso[task.setvariable variable=a]b"),
            "x # #vso[task.setvariable variable=a]b"
        );
        assert_eq!(pipeline_line("##[error]forged"), "# #[error]forged");
        assert_eq!(pipeline_line("  ::add-mask::x"), "  : :add-mask::x");
        assert_eq!(pipeline_line("a::b"), "a::b", "only first on the line");
    }

    #[test]
    fn the_writer_sees_a_line_whole_across_writes() {
        let out = through(
            Kind::Text,
            true,
            &["name\n:", ":warning::forged\n", "\u{1b}[2", "J"],
        );
        assert_eq!(out, "name\n: :warning::forged\n[2J");
        assert_eq!(through(Kind::Text, false, &[HOSTILE]), {
            let mut expected = text(HOSTILE);
            expected.retain(|c| c != '\r');
            expected
        });
    }

    #[test]
    fn json_keeps_its_meaning() {
        let value = serde_json::json!({"name": "a\u{9b}b\u{1b}c\u{7f}", "msg": "##vso[x]"});
        let raw = serde_json::to_string_pretty(&value).unwrap();
        let out = through(Kind::Json, true, &[&raw]);
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back["name"], value["name"]);
        assert_eq!(back["msg"], "# #vso[x]");
    }
}
