//! A configuration problem with its place in a file, so that `lofte check` can print every problem at once as
//! `file:line:column: message`, the way compilers do and editors understand.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One thing wrong in a configuration file, a pledge document or the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file (or a pseudo-path such as `environment LOFTE_SMTP_URL`) the problem is in.
    pub file: PathBuf,
    /// 1-based line, when the problem has a place in the file.
    pub line: Option<usize>,
    /// 1-based column (in characters), when the problem has a place in the file.
    pub column: Option<usize>,
    /// What is wrong and what to do, in one sentence or two.
    pub message: String,
}

impl Problem {
    /// A problem that concerns a whole file or the environment, not one place in it.
    pub fn whole(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self { file: file.into(), line: None, column: None, message: message.into() }
    }

    /// A problem at the byte range `span` of `text`, the contents of `file`.
    pub fn at(file: &Path, text: &str, span: Option<Range<usize>>, message: impl Into<String>) -> Self {
        let (line, column) = match span {
            Some(span) => {
                let (line, column) = line_column(text, span.start);
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        Self { file: file.to_path_buf(), line, column, message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// Collects the problems of one file as validation finds them.
#[derive(Debug)]
pub struct Problems<'a> {
    file: &'a Path,
    text: &'a str,
    /// What was found so far.
    pub list: Vec<Problem>,
}

impl<'a> Problems<'a> {
    /// An empty list for `file`, whose contents are `text`.
    #[must_use]
    pub fn new(file: &'a Path, text: &'a str) -> Self {
        Problems { file, text, list: Vec::new() }
    }

    /// Records a problem at the byte range `span`.
    pub fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.list.push(Problem::at(self.file, self.text, Some(span), message));
    }
}

/// 1-based line and column (counted in characters) of byte `offset` in `text`.
#[must_use]
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A TOML parser message without the value it quotes: a secret typed under the wrong key (`timeout_secs =
/// "hemligt"`) must not be printed back into a terminal or a log. The key and the place are enough to fix it.
#[must_use]
pub fn without_values(message: &str) -> String {
    let mut out = message.to_string();
    for (marker, quote) in [("string \"", '"'), ("variant `", '`')] {
        while let Some(start) = out.find(marker) {
            let value_start = start + marker.len();
            let Some(len) = out[value_start..].find(quote) else { break };
            let replacement = if marker.starts_with("string") { "a string" } else { "variant" };
            out.replace_range(start..=(value_start + len), replacement);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters_not_bytes() {
        let text = "a = 1\nnamn = \"Rödsle\"\nx";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // The byte after "ö" (two bytes) is the eleventh character of line 2.
        let offset = text.find("sle").unwrap();
        assert_eq!(line_column(text, offset), (2, 12));
    }

    #[test]
    fn display_is_file_line_column_message() {
        let p = Problem::at(Path::new("c.toml"), "x\ny", Some(2..3), "bad");
        assert_eq!(p.to_string(), "c.toml:2:1: bad");
        assert_eq!(Problem::whole("env", "oops").to_string(), "env: oops");
    }
}
