//! Sources of activity records: CSV files ([`csv`]) and an HTTP JSON API ([`api`]).
//!
//! A source only reads: it turns its input into [`RawRecord`]s with a locator (file and line, or page and index)
//! and hands each to a sink. Whether a record is any good is for [`crate::validate`] to say, the same way for
//! every source. A source that cannot be read at all is an error: nothing is built from partial data.

pub mod api;
pub mod csv;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// The fields of an activity record as read, still text. Empty cells are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    /// Unique per source.
    pub id: Option<String>,
    /// `YYYY-MM-DD` or a timestamp.
    pub date: Option<String>,
    /// `polisen` or `kommunen`.
    pub party: Option<String>,
    /// An activity kind of the pledge document.
    pub activity: Option<String>,
    /// Free text; a school for foot patrols.
    pub location: Option<String>,
    /// Positive integer, default 1.
    pub count: Option<String>,
    /// Milestone key.
    pub milestone: Option<String>,
    /// Internal note; never public.
    pub note: Option<String>,
    /// One of the document's municipalities (documents for several).
    pub municipality: Option<String>,
    /// A measurement (decimal with `.` or `,`), for outcome commitments.
    pub value: Option<String>,
    /// The pledge document the record belongs to.
    pub document: Option<String>,
}

/// Where a record came from, precisely enough for a coordinator to find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locator {
    /// The configured source's name (record ids are unique within it).
    pub source: Arc<str>,
    /// The file, or the URL of the page.
    pub origin: Arc<str>,
    /// Line in the file (1-based, where the record starts) or index on the page (0-based).
    pub position: Position,
}

/// A line in a file or an index in an API page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// 1-based line.
    Line(u64),
    /// 0-based index in the page's `records` array.
    Index(u64),
}

impl fmt::Display for Locator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Position::Line(n) => write!(f, "{}:{n}", self.origin),
            Position::Index(n) => write!(f, "{} record {n}", self.origin),
        }
    }
}

/// One record as read from a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// Where it came from.
    pub locator: Locator,
    /// Its fields.
    pub fields: Fields,
    /// The row as it was, for the rejected-rows file.
    pub raw: String,
}

/// A source that could not be read. Each names the source and what to do.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// No file matched a glob pattern.
    #[error("source {source_name:?}: no file matches {pattern:?}; check the path in the config or --records")]
    NoFiles {
        /// Source name.
        source_name: String,
        /// The pattern.
        pattern: String,
    },
    /// A file could not be read or parsed at all.
    #[error("{}: {cause}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong and what to do.
        #[source]
        cause: csv::CsvError,
    },
    /// An API could not be read.
    #[error("source {source_name:?} ({url}): {reason}")]
    Api {
        /// Source name.
        source_name: String,
        /// The URL of the request that failed.
        url: String,
        /// What went wrong and what to do.
        reason: String,
    },
}
