//! Record validation against the pledge document: every row read is either accepted, rejected with a reason, or
//! counted as an identical duplicate. Nothing is dropped silently: `accepted + rejected + duplicates = rows`.

use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;

use chrono::{NaiveDate, NaiveTime};
use hashbrown::{DefaultHashBuilder, HashTable};
use serde::Serialize;

use crate::pledge::{Party, Places, PlacesRule, Pledge, Target};
use crate::source::{Fields, Locator, RawRecord};
use crate::text::fold;

/// The largest count one record may carry; bigger figures are typing mistakes far more often than real.
pub const MAX_COUNT: u32 = 10_000;

/// A record that counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    /// Position in the input (0-based, across all sources), so that output keeps input order.
    pub row: usize,
    /// Where it came from.
    pub locator: Locator,
    /// Its id, unique within its source.
    pub id: String,
    /// The day it happened.
    pub date: NaiveDate,
    /// Who did it: the index of the party in the document's `parties` (a million records need no million keys).
    pub party: u32,
    /// Index of the commitment in the pledge document.
    pub commitment: usize,
    /// Index of the record's activity kind in the pledge document.
    pub activity: u32,
    /// Whether the record is a request of a conditional commitment rather than an activity toward it.
    pub request: bool,
    /// Whether the record lies in its commitment's `baseline_from` span: it counts toward the baseline only.
    pub baseline: bool,
    /// Index of the municipality in the document's list, when the record names one (or the document has one).
    pub municipality: Option<u32>,
    /// The measurement, for outcome commitments.
    pub value: Option<f64>,
    /// For commitments with places: the place's name as the document spells it; else the text as given.
    pub location: Option<String>,
    /// How many.
    pub count: u32,
    /// Milestone key, for milestone commitments.
    pub milestone: Option<String>,
    /// Internal note.
    pub note: Option<String>,
    /// The row as it was read.
    pub raw: String,
}

impl Accepted {
    fn same_content(&self, other: &Accepted) -> bool {
        (self.date, self.party, self.activity, self.municipality, &self.location, self.count, &self.milestone)
            == (
                other.date,
                other.party,
                other.activity,
                other.municipality,
                &other.location,
                other.count,
                &other.milestone,
            )
            && self.note == other.note
            && self.value.map(f64::to_bits) == other.value.map(f64::to_bits)
    }
}

/// Why a record was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    /// A required field is empty or absent.
    MissingField {
        /// The field's name.
        field: &'static str,
    },
    /// The date is not `YYYY-MM-DD` (or a timestamp), or no such day exists.
    UnparsableDate {
        /// As written.
        value: String,
    },
    /// The date is outside the pledge period.
    DateOutsidePeriod {
        /// The date.
        date: NaiveDate,
    },
    /// The date is after today: nothing that has not happened yet may count (a typo such as 2012 → 2021 in the
    /// wrong direction, or a planned activity entered early).
    DateInFuture {
        /// The date.
        date: NaiveDate,
        /// Today, when the record was read.
        today: NaiveDate,
    },
    /// The record names another pledge document than the one being validated.
    UnknownDocument {
        /// As written.
        value: String,
    },
    /// Party is not a party of the document.
    UnknownParty {
        /// As written.
        value: String,
    },
    /// The pledge document defines no such activity kind, or no commitment counts it.
    UnknownActivity {
        /// As written.
        value: String,
    },
    /// The record's party is not a party of the commitment its activity counts toward.
    PartyMismatch {
        /// The activity.
        activity: String,
        /// The commitment's parties.
        expected: Vec<Party>,
        /// The record's party.
        found: Party,
    },
    /// The municipality is not one of the document's.
    UnknownMunicipality {
        /// As written.
        value: String,
    },
    /// A measurement record (outcome commitment) without a value.
    MissingValue,
    /// The value is not a decimal number such as `42`, `-3.5` or `61,2`.
    BadValue {
        /// As written.
        value: String,
    },
    /// Count is not an integer from 1 to [`MAX_COUNT`].
    BadCount {
        /// As written.
        value: String,
    },
    /// Location is not among the commitment's places.
    LocationNotAllowed {
        /// As written (or empty).
        value: String,
        /// The commitment's places.
        allowed: std::sync::Arc<[String]>,
    },
    /// Milestone missing, unknown, or given for a commitment without milestones.
    UnknownMilestone {
        /// As written (or empty).
        value: String,
    },
    /// Another record with the same id in the same source has different content; both are kept out.
    ConflictingDuplicate {
        /// The id.
        id: String,
    },
}

/// Every reason's code, in the order docs/records.md lists the checks.
pub const REASON_CODES: [&str; 15] = [
    "missing_field",
    "unknown_document",
    "unparsable_date",
    "date_outside_period",
    "date_in_future",
    "unknown_party",
    "unknown_activity",
    "party_mismatch",
    "bad_count",
    "bad_value",
    "missing_value",
    "unknown_municipality",
    "location_not_allowed",
    "unknown_milestone",
    "conflicting_duplicate",
];

impl Reason {
    /// Short stable code, used to count reasons.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Reason::MissingField { .. } => "missing_field",
            Reason::UnparsableDate { .. } => "unparsable_date",
            Reason::DateOutsidePeriod { .. } => "date_outside_period",
            Reason::DateInFuture { .. } => "date_in_future",
            Reason::UnknownDocument { .. } => "unknown_document",
            Reason::UnknownParty { .. } => "unknown_party",
            Reason::UnknownActivity { .. } => "unknown_activity",
            Reason::PartyMismatch { .. } => "party_mismatch",
            Reason::BadCount { .. } => "bad_count",
            Reason::LocationNotAllowed { .. } => "location_not_allowed",
            Reason::UnknownMilestone { .. } => "unknown_milestone",
            Reason::UnknownMunicipality { .. } => "unknown_municipality",
            Reason::MissingValue => "missing_value",
            Reason::BadValue { .. } => "bad_value",
            Reason::ConflictingDuplicate { .. } => "conflicting_duplicate",
        }
    }
}

impl Reason {
    /// The offending value, for a short localized message such as "ogiltigt datum: 2021-02-30".
    #[must_use]
    pub fn detail(&self) -> String {
        match self {
            Reason::MissingField { field } => (*field).to_string(),
            Reason::UnparsableDate { value }
            | Reason::UnknownParty { value }
            | Reason::UnknownActivity { value }
            | Reason::BadCount { value }
            | Reason::LocationNotAllowed { value, .. }
            | Reason::UnknownMilestone { value }
            | Reason::UnknownDocument { value }
            | Reason::UnknownMunicipality { value }
            | Reason::BadValue { value } => value.clone(),
            Reason::MissingValue => "value".to_string(),
            Reason::DateOutsidePeriod { date } | Reason::DateInFuture { date, .. } => date.to_string(),
            Reason::PartyMismatch { activity, found, .. } => format!("{activity}, {found}"),
            Reason::ConflictingDuplicate { id } => id.clone(),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::MissingField { field } => write!(f, "missing field {field}"),
            Reason::UnparsableDate { value } => write!(f, "date {value:?} is not a date like 2021-03-15"),
            Reason::DateOutsidePeriod { date } => write!(f, "date {date} is outside the pledge period"),
            Reason::DateInFuture { date, today } => {
                write!(f, "date {date} is after today ({today}); enter an activity once it has taken place")
            }
            Reason::UnknownDocument { value } => {
                write!(f, "document {value:?} is not the pledge document these records are read for")
            }
            Reason::UnknownParty { value } => write!(f, "party {value:?} is not a party of the pledge document"),
            Reason::UnknownActivity { value } => {
                write!(f, "activity {value:?} is not an activity kind of the pledge document")
            }
            Reason::PartyMismatch { activity, expected, found } => {
                let expected: Vec<&str> = expected.iter().map(Party::key).collect();
                write!(
                    f,
                    "activity {activity:?} is a commitment of {}, but the record says {found}",
                    expected.join(" and ")
                )
            }
            Reason::UnknownMunicipality { value } => {
                write!(f, "municipality {value:?} is not one of the pledge document's municipalities")
            }
            Reason::MissingValue => write!(f, "value missing: a measurement needs its figure, e.g. 61.2"),
            Reason::BadValue { value } => write!(f, "value {value:?} is not a number like 61.2 or 61,2"),
            Reason::BadCount { value } => write!(f, "count {value:?} is not a whole number from 1 to {MAX_COUNT}"),
            Reason::LocationNotAllowed { value, allowed } => {
                write!(f, "location {value:?} is not one of {}", allowed.join(", "))
            }
            Reason::UnknownMilestone { value } if value.is_empty() => write!(f, "milestone missing"),
            Reason::UnknownMilestone { value } => {
                write!(f, "milestone {value:?} is not a milestone of this commitment")
            }
            Reason::ConflictingDuplicate { id } => {
                write!(f, "id {id:?} appears again with different content; both rows are kept out")
            }
        }
    }
}

/// A record that does not count, with why, and the row as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Position in the input (0-based, across all sources).
    pub row: usize,
    /// Where it came from.
    pub locator: Locator,
    /// The id, when the row had one.
    pub id: Option<String>,
    /// The rule the row broke.
    pub reason: Reason,
    /// The row as it was read.
    pub raw: String,
}

/// The outcome of validation.
#[derive(Debug, Clone, Default)]
pub struct Validated {
    /// Records that count, in input order.
    pub accepted: Vec<Accepted>,
    /// Records that do not, in input order.
    pub rejected: Vec<Rejected>,
    /// Identical repeats of an accepted record (same source, id and content), counted once.
    pub duplicates: usize,
    /// Rows read.
    pub rows: usize,
}

/// Validates records one at a time as a source reads them, so that no source needs to hold its rows.
pub struct Validator<'a> {
    pledge: &'a Pledge,
    /// Records dated after this day are rejected (`NaiveDate::MAX` when no clock applies).
    today: NaiveDate,
    /// Folded place name → place name, per commitment.
    places: Vec<HashMap<String, String>>,
    /// Folded municipality name → its index in the document's list.
    municipalities: HashMap<String, u32>,
    /// Activity kind → (its index, the commitment it counts toward, whether its records are requests).
    kinds: HashMap<String, Kind>,
    /// Each commitment's places, shared by every rejection that lists them (a million rejected rows must not
    /// hold a million copies).
    allowed: Vec<std::sync::Arc<[String]>>,
    /// One entry per (source, id) accepted so far, found by hashing the pair; the key itself lives in
    /// `out.accepted`, so a million ids are not stored twice.
    seen: HashTable<Seen>,
    hasher: DefaultHashBuilder,
    /// How many ids are in conflict (their first row still sits in `out.accepted` until `finish`).
    conflicts: usize,
    out: Validated,
}

/// What an activity kind is in the document.
#[derive(Debug, Clone, Copy)]
struct Kind {
    index: u32,
    commitment: usize,
    request: bool,
}

/// The first accepted row of an id, and whether a later row contradicted it.
struct Seen {
    index: usize,
    conflict: bool,
}

fn key(record: &Accepted) -> (&str, &str) {
    (&record.locator.source, &record.id)
}

impl<'a> Validator<'a> {
    /// A validator for records of `pledge`.
    #[must_use]
    pub fn new(pledge: &'a Pledge) -> Self {
        let names = |c: &crate::pledge::Commitment| c.places.as_ref().map(|p| p.list.names.clone()).unwrap_or_default();
        let places = pledge.commitments.iter().map(|c| names(c).into_iter().map(|p| (fold(&p), p)).collect()).collect();
        let allowed = pledge.commitments.iter().map(|c| std::sync::Arc::from(names(c))).collect();
        // "Vingelby" names "Vingelby kommun": records often leave out the word the document spells out.
        let municipalities = pledge
            .municipalities
            .iter()
            .zip(0..)
            .flat_map(|(m, i): (&String, u32)| [(fold(m), i), (fold(crate::pledge::short_municipality(m)), i)])
            .collect();
        let kinds = pledge
            .activities
            .iter()
            .enumerate()
            .filter_map(|(index, a)| {
                let answer = pledge.commitment_for_activity(&a.kind).map(|c| (c, false));
                let (commitment, request) =
                    answer.or_else(|| pledge.commitment_for_request(&a.kind).map(|c| (c, true)))?;
                let index = u32::try_from(index).ok()?;
                Some((a.kind.clone(), Kind { index, commitment, request }))
            })
            .collect();
        Validator {
            pledge,
            today: NaiveDate::MAX,
            places,
            municipalities,
            kinds,
            allowed,
            seen: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
            conflicts: 0,
            out: Validated::default(),
        }
    }

    /// Rejects records dated after `today` with `date_in_future`.
    #[must_use]
    pub fn until(mut self, today: NaiveDate) -> Self {
        self.today = today;
        self
    }

    /// Validates one record.
    pub fn push(&mut self, record: RawRecord) {
        let row = self.out.rows;
        self.out.rows += 1;
        match self.check(&record.fields) {
            Err(reason) => {
                self.out.rejected.push(Rejected {
                    row,
                    id: record.fields.id,
                    locator: record.locator,
                    reason,
                    raw: record.raw,
                });
            }
            Ok(valid) => self.dedupe(Accepted {
                row,
                id: record.fields.id.unwrap_or_default(),
                date: valid.date,
                party: valid.party,
                commitment: valid.commitment,
                activity: valid.activity,
                request: valid.request,
                baseline: valid.baseline,
                municipality: valid.municipality,
                value: valid.value,
                location: valid.location,
                count: valid.count,
                milestone: valid.milestone,
                note: record.fields.note,
                locator: record.locator,
                raw: record.raw,
            }),
        }
    }

    fn dedupe(&mut self, accepted: Accepted) {
        let Validator { seen, hasher, out, conflicts, .. } = self;
        let hash = hasher.hash_one(key(&accepted));
        let earlier = &out.accepted;
        match seen.find_mut(hash, |s| key(&earlier[s.index]) == key(&accepted)) {
            None => {
                seen.insert_unique(hash, Seen { index: earlier.len(), conflict: false }, |s| {
                    hasher.hash_one(key(&earlier[s.index]))
                });
                out.accepted.push(accepted);
            }
            Some(s) if !s.conflict && earlier[s.index].same_content(&accepted) => out.duplicates += 1,
            Some(s) => {
                // A conflict: this row is out, and so is the first one (moved out in `finish`).
                if !s.conflict {
                    s.conflict = true;
                    *conflicts += 1;
                }
                out.rejected.push(Rejected {
                    row: accepted.row,
                    locator: accepted.locator,
                    reason: Reason::ConflictingDuplicate { id: accepted.id.clone() },
                    id: Some(accepted.id),
                    raw: accepted.raw,
                });
            }
        }
    }

    /// The outcome, once every source has been read.
    #[must_use]
    pub fn finish(mut self) -> Validated {
        if self.conflicts > 0 {
            let mut out_of_order = vec![false; self.out.accepted.len()];
            for s in self.seen.iter().filter(|s| s.conflict) {
                out_of_order[s.index] = true;
            }
            let accepted = std::mem::take(&mut self.out.accepted);
            for (record, conflicted) in accepted.into_iter().zip(out_of_order) {
                if conflicted {
                    self.out.rejected.push(Rejected {
                        row: record.row,
                        locator: record.locator,
                        reason: Reason::ConflictingDuplicate { id: record.id.clone() },
                        id: Some(record.id),
                        raw: record.raw,
                    });
                } else {
                    self.out.accepted.push(record);
                }
            }
            self.out.rejected.sort_by_key(|r| r.row);
        }
        self.out
    }

    /// The checks (docs/records.md), in the order a person would fix them.
    fn check(&self, f: &Fields) -> Result<Valid, Reason> {
        let required = [("id", &f.id), ("date", &f.date), ("party", &f.party), ("activity", &f.activity)];
        if let Some((field, _)) = required.into_iter().find(|(_, v)| v.is_none()) {
            return Err(Reason::MissingField { field });
        }
        let (date_text, party_text, activity) = (
            f.date.as_deref().unwrap_or_default(),
            f.party.as_deref().unwrap_or_default(),
            f.activity.as_deref().unwrap_or_default(),
        );
        if let Some(document) = &f.document {
            if !document.eq_ignore_ascii_case(&self.pledge.id) {
                return Err(Reason::UnknownDocument { value: document.clone() });
            }
        }
        let date = parse_date(date_text).ok_or_else(|| Reason::UnparsableDate { value: date_text.to_string() })?;
        // Before the pledge period, a record of a commitment that counts its baseline from that span is kept for it.
        let baseline = !self.pledge.contains(date)
            && self.kinds.get(activity).is_some_and(|k| {
                !k.request
                    && self.pledge.commitments[k.commitment]
                        .baseline_from
                        .is_some_and(|(start, end)| start <= date && date <= end)
            });
        if !self.pledge.contains(date) && !baseline {
            return Err(Reason::DateOutsidePeriod { date });
        }
        if date > self.today {
            return Err(Reason::DateInFuture { date, today: self.today });
        }
        let (party_index, party) = self
            .pledge
            .parties
            .iter()
            .zip(0..)
            .find(|(p, _)| p.key.key().eq_ignore_ascii_case(party_text.trim()))
            .map(|(p, i): (_, u32)| (i, &p.key))
            .ok_or_else(|| Reason::UnknownParty { value: party_text.to_string() })?;
        let kind = *self.kinds.get(activity).ok_or_else(|| Reason::UnknownActivity { value: activity.to_string() })?;
        let commitment = &self.pledge.commitments[kind.commitment];
        if !commitment.parties.admits(party) {
            let expected = match &commitment.parties {
                crate::pledge::Parties::Listed(list) => list.clone(),
                crate::pledge::Parties::Any => Vec::new(),
            };
            return Err(Reason::PartyMismatch { activity: activity.to_string(), expected, found: party.clone() });
        }
        let count = match &f.count {
            None => 1,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_COUNT).contains(n) && !text.starts_with('+'))
                .ok_or_else(|| Reason::BadCount { value: text.clone() })?,
        };
        // A value that is not a number is a mistake wherever it stands; only a measurement keeps it.
        let value = match &f.value {
            Some(text) => Some(parse_value(text).ok_or_else(|| Reason::BadValue { value: text.clone() })?),
            None => None,
        };
        let value = match (&commitment.target, kind.request) {
            (Target::Outcome { .. }, false) => Some(value.ok_or(Reason::MissingValue)?),
            _ => None,
        };
        let municipality = match &f.municipality {
            Some(given) => Some(
                *self
                    .municipalities
                    .get(&fold(given))
                    .ok_or_else(|| Reason::UnknownMunicipality { value: given.clone() })?,
            ),
            None if self.pledge.municipalities.len() == 1 => Some(0),
            None if commitment.each_municipality => return Err(Reason::MissingField { field: "municipality" }),
            None => None,
        };
        let location = self.location(f, kind)?;
        let milestone = milestone(&commitment.target, f)?;
        Ok(Valid {
            date,
            baseline,
            party: party_index,
            commitment: kind.commitment,
            activity: kind.index,
            request: kind.request,
            municipality,
            value,
            location,
            count,
            milestone,
        })
    }

    /// The record's place: one of the commitment's places under `places_rule = "only"` (as the document spells
    /// it), a listed place's spelling or the text as given under the other rules, the text as given without a list.
    fn location(&self, f: &Fields, kind: Kind) -> Result<Option<String>, Reason> {
        let commitment = &self.pledge.commitments[kind.commitment];
        Ok(match (&commitment.places, kind.request) {
            (Some(Places { rule: PlacesRule::Only, .. }), false) => {
                let given = f.location.clone().unwrap_or_default();
                let place = self.places[kind.commitment].get(&fold(&given)).cloned();
                Some(place.ok_or_else(|| Reason::LocationNotAllowed {
                    value: given,
                    allowed: self.allowed[kind.commitment].clone(),
                })?)
            }
            // A listed place is kept as the document spells it, so that its sum is found under that name.
            (Some(_), false) => f
                .location
                .as_ref()
                .map(|given| self.places[kind.commitment].get(&fold(given)).cloned().unwrap_or_else(|| given.clone())),
            _ => f.location.clone(),
        })
    }
}

/// The record's milestone, spelled as the document does: required and known for a milestone commitment, absent
/// for any other.
fn milestone(target: &Target, f: &Fields) -> Result<Option<String>, Reason> {
    Ok(match (target, &f.milestone) {
        // The document's own spelling is kept, so that `AK8` in a record counts toward the milestone `ak8`.
        (Target::Milestones { milestones }, Some(m)) if milestones.iter().any(|x| x.key.eq_ignore_ascii_case(m)) => {
            milestones.iter().find(|x| x.key.eq_ignore_ascii_case(m)).map(|x| x.key.clone())
        }
        (Target::Milestones { .. }, given) | (_, given @ Some(_)) => {
            return Err(Reason::UnknownMilestone { value: given.clone().unwrap_or_default() });
        }
        (_, None) => None,
    })
}

/// What the checks make of a record's fields.
struct Valid {
    date: NaiveDate,
    baseline: bool,
    party: u32,
    commitment: usize,
    activity: u32,
    request: bool,
    municipality: Option<u32>,
    value: Option<f64>,
    location: Option<String>,
    count: u32,
    milestone: Option<String>,
}

/// A measurement: an optional minus sign, digits, and optionally `.` or `,` and digits (SPEC §10).
#[must_use]
pub fn parse_value(text: &str) -> Option<f64> {
    let text = text.trim();
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match digits.split_once(['.', ',']) {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
        return None;
    }
    text.replace(',', ".").parse().ok()
}

/// `YYYY-MM-DD`, or a timestamp `YYYY-MM-DD HH:MM[:SS]` (space or `T`) whose date is used.
#[must_use]
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let (date, rest) = (text.get(..10)?, text.get(10..)?);
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10)) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(date[..4].parse().ok()?, date[5..7].parse().ok()?, date[8..].parse().ok()?)?;
    if rest.is_empty() {
        return Some(date);
    }
    let time = rest.strip_prefix([' ', 'T'])?;
    let valid_time =
        NaiveTime::parse_from_str(time, "%H:%M:%S").is_ok() || NaiveTime::parse_from_str(time, "%H:%M").is_ok();
    valid_time.then_some(date)
}

/// Validates every record of an in-memory list (the sources stream instead).
#[must_use]
pub fn validate_all(pledge: &Pledge, records: impl IntoIterator<Item = RawRecord>) -> Validated {
    let mut validator = Validator::new(pledge);
    for r in records {
        validator.push(r);
    }
    validator.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_codes_lists_every_reason() {
        let date = NaiveDate::MIN;
        let every = [
            Reason::MissingField { field: "id" },
            Reason::UnknownDocument { value: String::new() },
            Reason::UnparsableDate { value: String::new() },
            Reason::DateOutsidePeriod { date },
            Reason::DateInFuture { date, today: date },
            Reason::UnknownParty { value: String::new() },
            Reason::UnknownActivity { value: String::new() },
            Reason::PartyMismatch { activity: String::new(), expected: Vec::new(), found: Party::polisen() },
            Reason::BadCount { value: String::new() },
            Reason::BadValue { value: String::new() },
            Reason::MissingValue,
            Reason::UnknownMunicipality { value: String::new() },
            Reason::LocationNotAllowed { value: String::new(), allowed: std::sync::Arc::from(Vec::new()) },
            Reason::UnknownMilestone { value: String::new() },
            Reason::ConflictingDuplicate { id: String::new() },
        ];
        // `code` matches every variant, so a new variant fails to compile there; this keeps the list in step.
        let codes: Vec<&str> = every.iter().map(Reason::code).collect();
        assert_eq!(codes, REASON_CODES);
    }
}
