//! The pledge document (medborgarlöfte) as domain types: parties, place lists, activity kinds, commitments and
//! their targets (SPEC §1 and §10).
//!
//! No I/O here: [`parse`] turns the text of a pledge TOML file into a [`Pledge`], or into every problem it has.
//! A second municipality, a new year or a new shape of promise is a new document, never new code.

mod model;
mod parse;

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use model::{
    short_municipality, Bucket, Commitment, Direction, Milestone, Parties, PartyDef, PlaceList, Places, PlacesRule,
    Pledge, Signatory, Target, TargetKind,
};
pub use parse::{is_safe_id, parse};

pub use model::ActivityKind;

/// A party key as written in data and documents: `polisen`, `kommunen`, or one a document declares under
/// `[[parties]]` (e.g. `raddningstjansten`). Cheap to clone: a million records share one allocation per party.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Party(Arc<str>);

impl Party {
    /// The party with key `key` (already checked against the document).
    #[must_use]
    pub fn new(key: &str) -> Party {
        Party(Arc::from(key))
    }

    /// The police, a default party.
    #[must_use]
    pub fn polisen() -> Party {
        Party::new("polisen")
    }

    /// The municipality, a default party.
    #[must_use]
    pub fn kommunen() -> Party {
        Party::new("kommunen")
    }

    /// The key, e.g. `polisen`.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
