//! The pledge document (medborgarlöfte) as domain types: parties, activity kinds, commitments and their targets.
//!
//! No I/O here: [`parse`] turns the text of a pledge TOML file into a [`Pledge`], or into every problem it has.
//! A second municipality or a new year is a new document, never new code.

mod parse;

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use parse::{is_safe_id, parse};

/// The two parties that sign a medborgarlöfte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    /// The local police area.
    Polisen,
    /// The municipality.
    Kommunen,
}

impl Party {
    /// The party's key as written in data and documents: `polisen` or `kommunen`.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Party::Polisen => "polisen",
            Party::Kommunen => "kommunen",
        }
    }

    /// Parses a party key, ignoring case and surrounding space.
    #[must_use]
    pub fn from_key(text: &str) -> Option<Party> {
        let text = text.trim();
        [Party::Polisen, Party::Kommunen].into_iter().find(|p| text.eq_ignore_ascii_case(p.key()))
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A whole pledge document.
#[derive(Debug, Clone, PartialEq)]
pub struct Pledge {
    /// Safe identifier used in archive paths and Message-IDs, e.g. `oskarshamn-2021`.
    pub id: String,
    /// The document's title as signed.
    pub title: String,
    /// The municipality, e.g. "Oskarshamns kommun".
    pub municipality: String,
    /// The local police area, e.g. "Lokalpolisområde Västervik".
    pub police_area: String,
    /// First day of the pledge period.
    pub start: NaiveDate,
    /// Last day of the pledge period (inclusive).
    pub end: NaiveDate,
    /// Date the document was signed.
    pub signed_on: NaiveDate,
    /// Place the document was signed.
    pub signed_place: String,
    /// Inledning, verbatim.
    pub introduction: String,
    /// Lägesbild, verbatim.
    pub situation: String,
    /// Syfte, verbatim.
    pub purpose: String,
    /// Problembild: the focus areas.
    pub focus_areas: Vec<String>,
    /// Who signed, with their titles.
    pub signatories: Vec<Signatory>,
    /// The activity kinds that records may name.
    pub activities: Vec<ActivityKind>,
    /// The commitments, in document order.
    pub commitments: Vec<Commitment>,
}

/// A person who signed the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signatory {
    /// Full name.
    pub name: String,
    /// Title, e.g. "Lokalpolischef LPO Västervik".
    pub title: String,
    /// The party the signatory signs for.
    pub party: Party,
}

/// A kind of activity that a record can report, e.g. `hastighetskontroll`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityKind {
    /// Key used in the data, e.g. `fotpatrull_skola`.
    pub kind: String,
    /// Human label in Swedish.
    pub label: String,
}

/// One commitment of the document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Commitment {
    /// Stable id, e.g. `fotpatrull-skolor`.
    pub id: String,
    /// Which party promised it.
    pub party: Party,
    /// The activity kind whose records count toward it.
    pub activity: String,
    /// Short title for tables.
    pub title: String,
    /// The commitment's verbatim text from the signed document.
    pub text: String,
    /// What counts as kept.
    pub target: Target,
    /// When not empty, records must name one of these places (matched ignoring case, accents and spaces).
    pub places: Vec<String>,
    /// Whether each follow-up that lofte publishes to the public list counts toward this commitment.
    pub counts_publications: bool,
}

/// What a commitment promises.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// At least `value` activities in the period.
    AtLeast {
        /// The promised minimum.
        value: u32,
    },
    /// Every milestone done.
    Milestones {
        /// The milestones, in order.
        milestones: Vec<Milestone>,
    },
    /// More than a baseline: an at-least target of `baseline + 1`.
    Increase {
        /// The figure to beat (for example last year's count).
        baseline: u32,
        /// True while the baseline is an example figure that the coordinator still has to replace.
        baseline_is_example: bool,
    },
}

impl Target {
    /// The numeric at-least target, or `None` for milestone targets.
    #[must_use]
    pub fn at_least(&self) -> Option<u32> {
        match self {
            Target::AtLeast { value } => Some(*value),
            Target::Increase { baseline, .. } => Some(baseline + 1),
            Target::Milestones { .. } => None,
        }
    }
}

/// A milestone of a milestone commitment, e.g. the LUPP survey in årskurs 8.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Milestone {
    /// Key used in the data, e.g. `ak8`.
    pub key: String,
    /// Human label.
    pub label: String,
}

impl Pledge {
    /// The commitment that records of `activity` count toward.
    #[must_use]
    pub fn commitment_for_activity(&self, activity: &str) -> Option<&Commitment> {
        self.commitments.iter().find(|c| c.activity == activity)
    }

    /// Whether `date` lies in the pledge period.
    #[must_use]
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }
}
