//! The pledge document's types. Every shape of promise in SPEC §10 is a [`Target`]; who may report toward it is
//! [`Parties`]; where is [`Places`].

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::Party;
use crate::text::fold;

/// A whole pledge document.
#[derive(Debug, Clone, PartialEq)]
pub struct Pledge {
    /// Safe identifier used in archive paths and Message-IDs, e.g. `oskarshamn-2021`.
    pub id: String,
    /// The document's title as signed.
    pub title: String,
    /// The municipality, or the municipalities joined with ", " for a document signed for several.
    pub municipality: String,
    /// Every municipality the document is signed for, as it spells them (one or more).
    pub municipalities: Vec<String>,
    /// The local police area, e.g. "Lokalpolisområde Västervik".
    pub police_area: String,
    /// First day of the pledge period.
    pub start: NaiveDate,
    /// Last day of the pledge period (inclusive); up to five years after the start.
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
    /// The parties: `[[parties]]` when the document lists them, else polisen and kommunen.
    pub parties: Vec<PartyDef>,
    /// Who signed, with their titles (may be empty: some documents name nobody).
    pub signatories: Vec<Signatory>,
    /// Named place lists (`[places.<key>]`), reusable by commitments.
    pub place_lists: BTreeMap<String, PlaceList>,
    /// The activity kinds that records may name.
    pub activities: Vec<ActivityKind>,
    /// The commitments, in document order.
    pub commitments: Vec<Commitment>,
}

/// A party of the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartyDef {
    /// The key records use.
    pub key: Party,
    /// The name as the document gives it; `None` for the default parties, whose name is the report's own word
    /// ("Polisen", "Kommunen") in its language.
    pub name: Option<String>,
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

/// A named list of places, e.g. the schools or "per kommundel".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaceList {
    /// The heading of a breakdown over these places, e.g. "per kommundel"; `None` for an inline list.
    pub label: Option<String>,
    /// The places, as the document spells them.
    pub names: Vec<String>,
}

/// Which places a commitment's records may name, and what the list means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Places {
    /// The list.
    pub list: PlaceList,
    /// What the list means.
    pub rule: PlacesRule,
}

impl Places {
    /// The listed place that `given` names (ignoring case, accents and spaces), spelled as the document does.
    #[must_use]
    pub fn find(&self, given: &str) -> Option<&str> {
        let folded = fold(given);
        self.list.names.iter().find(|n| fold(n) == folded).map(String::as_str)
    }
}

/// What a commitment's place list means (SPEC §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlacesRule {
    /// Only the listed places count; a record elsewhere is rejected.
    Only,
    /// Any place counts; the breakdown shows each listed place plus the others together.
    Report,
    /// Coverage: every listed place needs at least `per_place`.
    Each {
        /// The sum of `count` each place needs.
        per_place: u32,
    },
}

/// Who may report toward a commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Parties {
    /// Any party of the document (`parties = ["*"]`).
    Any,
    /// These parties (one, or several for a joint promise).
    Listed(Vec<Party>),
}

impl Parties {
    /// Whether a record of `party` counts.
    #[must_use]
    pub fn admits(&self, party: &Party) -> bool {
        match self {
            Parties::Any => true,
            Parties::Listed(list) => list.contains(party),
        }
    }
}

/// One commitment of the document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Commitment {
    /// Stable id, e.g. `fotpatrull-skolor`.
    pub id: String,
    /// Who promised it.
    pub parties: Parties,
    /// The activity kinds whose records count toward it (one or several).
    pub activities: Vec<String>,
    /// Short title for tables.
    pub title: String,
    /// The commitment's verbatim text from the signed document.
    pub text: String,
    /// What counts as kept.
    pub target: Target,
    /// The places records may or must name, when the commitment has a list.
    pub places: Option<Places>,
    /// The target applies in each municipality of the document.
    pub each_municipality: bool,
    /// For an increase or a decrease: the span before the pledge period whose records are counted as the baseline.
    pub baseline_from: Option<(NaiveDate, NaiveDate)>,
    /// Whether each follow-up that lofte publishes to the public list counts toward this commitment.
    pub counts_publications: bool,
}

impl Commitment {
    /// The party key `results.json` shows under `party`: the only party, the first of a joint promise, or `*`.
    #[must_use]
    pub fn lead_party(&self) -> Party {
        match &self.parties {
            Parties::Listed(list) if !list.is_empty() => list[0].clone(),
            _ => Party::new("*"),
        }
    }

    /// Whether records of `activity` count toward this commitment (as answers, measurements or evidence).
    #[must_use]
    pub fn counts(&self, activity: &str) -> bool {
        self.activities.iter().any(|a| a == activity)
    }

    /// The activity whose records are requests, for a conditional promise.
    #[must_use]
    pub fn request_activity(&self) -> Option<&str> {
        match &self.target {
            Target::OnRequest { request_activity } => Some(request_activity),
            _ => None,
        }
    }
}

/// A calendar unit a rate is promised per, clipped to the pledge period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// Calendar year.
    Year,
    /// Jan–Jun, Jul–Dec (school terms).
    Half,
    /// Jan–Apr, May–Aug, Sep–Dec.
    Tertial,
    /// Calendar quarter.
    Quarter,
    /// Calendar month.
    Month,
    /// ISO week (Monday to Sunday).
    Week,
}

impl Bucket {
    /// The key as written in documents.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Bucket::Year => "year",
            Bucket::Half => "half",
            Bucket::Tertial => "tertial",
            Bucket::Quarter => "quarter",
            Bucket::Month => "month",
            Bucket::Week => "week",
        }
    }

    /// The first and last day of the calendar unit that holds `date` (not clipped).
    #[must_use]
    pub fn around(self, date: NaiveDate) -> (NaiveDate, NaiveDate) {
        let months = |len: u32| {
            let first = (date.month0() / len) * len + 1;
            let start = NaiveDate::from_ymd_opt(date.year(), first, 1).unwrap_or(date);
            let next = if first + len > 12 {
                NaiveDate::from_ymd_opt(date.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(date.year(), first + len, 1)
            };
            (start, next.and_then(|n| n.pred_opt()).unwrap_or(date))
        };
        match self {
            Bucket::Year => months(12),
            Bucket::Half => months(6),
            Bucket::Tertial => months(4),
            Bucket::Quarter => months(3),
            Bucket::Month => months(1),
            Bucket::Week => {
                let monday = date - chrono::Duration::days(i64::from(date.weekday().num_days_from_monday()));
                (monday, monday + chrono::Duration::days(6))
            }
        }
    }

    /// The buckets of `[start, end]`, each clipped to it, in order.
    #[must_use]
    pub fn split(self, start: NaiveDate, end: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
        let mut out = Vec::new();
        let mut day = start;
        while day <= end {
            let (_, last) = self.around(day);
            let last = last.min(end);
            out.push((day, last));
            match last.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        out
    }
}

/// Whether an aim is to raise or lower a measured figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher is better (felt safety).
    Increase,
    /// Lower is better (speeding share).
    Decrease,
}

/// The `target_kind` of a commitment, as written in documents and `results.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// At least N (optionally per bucket), or as many as requested.
    AtLeast,
    /// No number promised.
    Count,
    /// Every milestone.
    Milestones,
    /// More than a baseline.
    Increase,
    /// Fewer than a baseline.
    Decrease,
    /// A measured aim.
    Outcome,
    /// A qualitative promise judged by people.
    Assessed,
}

impl TargetKind {
    /// The kind as written in documents and `results.json`.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            TargetKind::AtLeast => "at_least",
            TargetKind::Count => "count",
            TargetKind::Milestones => "milestones",
            TargetKind::Increase => "increase",
            TargetKind::Decrease => "decrease",
            TargetKind::Outcome => "outcome",
            TargetKind::Assessed => "assessed",
        }
    }
}

/// What a commitment promises.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// At least `value` activities in the period, or in each bucket of `per`.
    AtLeast {
        /// The promised minimum.
        value: u32,
        /// The calendar unit of a rate ("minst 2 möten per termin").
        per: Option<Bucket>,
    },
    /// As many answers as there are requests ("om önskemål finns … bistå").
    OnRequest {
        /// The activity kind whose records are requests.
        request_activity: String,
    },
    /// No number was promised: the count is reported as it is.
    Count,
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
    /// Fewer than a baseline: met when the total is at most `baseline − 1` at the end.
    Decrease {
        /// The figure to stay under.
        baseline: u32,
        /// True while the baseline is an example figure.
        baseline_is_example: bool,
    },
    /// An aim measured, not counted: the latest measurement against a baseline.
    Outcome {
        /// Whether higher or lower is better.
        direction: Direction,
        /// The starting measurement.
        baseline: f64,
        /// True while the baseline is an example figure.
        baseline_is_example: bool,
        /// The measurement that counts as reached, when the document names one.
        target: Option<f64>,
        /// Unit shown after figures, e.g. "%".
        unit: Option<String>,
    },
    /// A qualitative promise: records are evidence, people give the verdict.
    Assessed,
}

impl Target {
    /// The numeric at-least target over the whole period, or `None` when the kind has none.
    #[must_use]
    pub fn at_least(&self) -> Option<u32> {
        match self {
            Target::AtLeast { value, per: None } => Some(*value),
            Target::Increase { baseline, .. } => Some(baseline + 1),
            _ => None,
        }
    }

    /// The kind, as written in documents.
    #[must_use]
    pub fn kind(&self) -> TargetKind {
        match self {
            Target::AtLeast { .. } | Target::OnRequest { .. } => TargetKind::AtLeast,
            Target::Count => TargetKind::Count,
            Target::Milestones { .. } => TargetKind::Milestones,
            Target::Increase { .. } => TargetKind::Increase,
            Target::Decrease { .. } => TargetKind::Decrease,
            Target::Outcome { .. } => TargetKind::Outcome,
            Target::Assessed => TargetKind::Assessed,
        }
    }

    /// The baseline as written, for a target that has one.
    #[must_use]
    pub fn baseline_text(&self) -> Option<String> {
        match self {
            Target::Increase { baseline, .. } | Target::Decrease { baseline, .. } => Some(baseline.to_string()),
            Target::Outcome { baseline, .. } => Some(baseline.to_string()),
            _ => None,
        }
    }

    /// Whether the baseline is an example figure that must be replaced before publication.
    #[must_use]
    pub fn example_baseline(&self) -> bool {
        matches!(
            self,
            Target::Increase { baseline_is_example: true, .. }
                | Target::Decrease { baseline_is_example: true, .. }
                | Target::Outcome { baseline_is_example: true, .. }
        )
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
    /// The index of the commitment that records of `activity` count toward (answers, measurements, evidence).
    #[must_use]
    pub fn commitment_for_activity(&self, activity: &str) -> Option<usize> {
        self.commitments.iter().position(|c| c.counts(activity))
    }

    /// The index of the conditional commitment whose requests are records of `activity`.
    #[must_use]
    pub fn commitment_for_request(&self, activity: &str) -> Option<usize> {
        self.commitments.iter().position(|c| c.request_activity() == Some(activity))
    }

    /// Whether `date` lies in the pledge period.
    #[must_use]
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }

    /// The party with key `text` (ignoring case and surrounding space).
    #[must_use]
    pub fn party(&self, text: &str) -> Option<&Party> {
        let text = text.trim();
        self.parties.iter().map(|p| &p.key).find(|p| p.key().eq_ignore_ascii_case(text))
    }

    /// The municipality that `text` names (ignoring case, accents and spaces), spelled as the document does.
    #[must_use]
    pub fn find_municipality(&self, text: &str) -> Option<&str> {
        let folded = fold(text);
        self.municipalities
            .iter()
            .find(|m| fold(m) == folded || fold(short_municipality(m)) == folded)
            .map(String::as_str)
    }

    /// Whether the period runs over more than one calendar year.
    #[must_use]
    pub fn multi_year(&self) -> bool {
        self.start.year() != self.end.year()
    }
}

/// A municipality's name without the word "kommun" or "stad" after it ("Vingelby kommun" → "Vingelby"), the way
/// records often write it.
#[must_use]
pub fn short_municipality(name: &str) -> &str {
    let trimmed = name.trim();
    for word in [" kommun", " stad", " Kommun", " Stad"] {
        if let Some(short) = trimmed.strip_suffix(word) {
            return short.trim_end();
        }
    }
    trimmed
}
