//! The two editions of a report: public (citizens, the public list) and internal (police chief, board chair).

use serde::{Deserialize, Serialize};

/// Which edition of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Edition {
    /// No notes, no record ids, no names of private persons.
    Public,
    /// Adds data-quality detail, rejected rows and the ids behind each figure.
    Internal,
}

impl Edition {
    /// `public` or `internal`.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Edition::Public => "public",
            Edition::Internal => "internal",
        }
    }
}
