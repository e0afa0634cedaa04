//! Progress toward every commitment (docs/progress.md): achieved, expected by now, forecast, status, and breakdowns
//! per month, place and party, each figure with the ids of the records it sums.
//!
//! Pure: the records come in as a polars `DataFrame` ([`frame`]), the sums are one lazy query per breakdown, and the
//! status rules ([`status`]) are plain functions with exact integer comparisons, so that "exactly on target" and
//! "exactly 0.8 of expected" fall on the side docs/progress.md says.

pub(crate) mod frame;
pub mod json;
mod kinds;
pub mod status;

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::period::{Month, Period};
use crate::pledge::{Bucket, Direction, Parties, Party, Pledge, Target, TargetKind};
use crate::validate::Validated;

pub use status::{Assessment, Status, Verdict};

/// Why progress cannot be computed.
#[derive(Debug, thiserror::Error)]
pub enum ProgressError {
    /// The as-of date lies outside the pledge period.
    #[error("as-of date {as_of} is outside the pledge period of {document} ({start} – {end}): choose a period or --as-of date inside it")]
    AsOfOutsidePeriod {
        /// The document id.
        document: String,
        /// The date asked for.
        as_of: NaiveDate,
        /// First day of the pledge.
        start: NaiveDate,
        /// Last day of the pledge.
        end: NaiveDate,
    },
    /// polars failed (a bug, not bad input).
    #[error("aggregation failed: {0}")]
    Polars(#[from] polars::error::PolarsError),
}

/// The whole follow-up for one document and period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// Pledge document id.
    pub document: String,
    /// Period name.
    pub period: String,
    /// Figures count records up to and including this day.
    pub as_of: NaiveDate,
    /// Days from the pledge start to as-of, inclusive.
    pub days_elapsed: u32,
    /// Days in the pledge period, inclusive.
    pub days_total: u32,
    /// One entry per commitment, in document order.
    pub pledges: Vec<CommitmentProgress>,
    /// Sum of counted activities per party.
    pub by_party: BTreeMap<Party, u64>,
    /// The follow-up notes' public summary.
    pub summary: Option<String>,
    /// What happened to the input rows.
    pub records: RecordCounts,
}

/// Input rows, by outcome.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RecordCounts {
    /// Accepted rows (in the period; some may lie after the as-of date).
    pub accepted: usize,
    /// Rejected rows.
    pub rejected: usize,
    /// Identical repeats counted once.
    pub duplicates: usize,
    /// Accepted rows dated after the as-of date, so not counted in this report.
    pub after_as_of: usize,
    /// Rejected rows per reason code.
    pub by_reason: BTreeMap<String, usize>,
}

/// An `achieved` figure: a sum of counts, or the latest measurement of an outcome. Written as a plain JSON number.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Figure {
    /// A sum of counts (or of milestones done).
    Count(u64),
    /// A measurement.
    Measured(f64),
}

impl Figure {
    /// The count, or 0 for a measurement.
    #[must_use]
    pub fn count(self) -> u64 {
        match self {
            Figure::Count(n) => n,
            Figure::Measured(_) => 0,
        }
    }
}

/// One bucket of a rate ("minst 2 möten per termin").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketProgress {
    /// First day (clipped to the pledge period).
    pub start: NaiveDate,
    /// Last day (clipped to the pledge period).
    pub end: NaiveDate,
    /// The bucket's target.
    pub target: u32,
    /// Sum of counts dated in the bucket, up to as-of.
    pub achieved: u64,
    /// Achieved or not met for a completed bucket; the §3 rules for the current one.
    pub status: Status,
}

/// A measurement of an outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// When it was measured.
    pub date: NaiveDate,
    /// The figure.
    pub value: f64,
}

/// The figures of an outcome beside its status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeProgress {
    /// Which way is better.
    pub direction: Direction,
    /// The starting measurement.
    pub baseline: f64,
    /// The measurement that counts as reached, when the document names one.
    #[serde(default)]
    pub target: Option<f64>,
    /// Unit shown after figures.
    #[serde(default)]
    pub unit: Option<String>,
    /// Every measurement up to as-of, in date order.
    #[serde(default)]
    pub measurements: Vec<Measurement>,
}

/// A record listed as evidence of a qualitative (`assessed`) commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// When.
    pub date: NaiveDate,
    /// The activity kind.
    pub activity: String,
    /// Where, when given.
    #[serde(default)]
    pub location: Option<String>,
    /// Internal note (internal edition only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Progress toward one commitment. Deserializable from a published results.json (which lacks the provenance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitmentProgress {
    /// Commitment id.
    pub id: String,
    /// Who promised (the first party of a joint promise; `*` for any party).
    pub party: Party,
    /// Every party of a joint promise (empty for one party).
    #[serde(default)]
    pub parties: Vec<Party>,
    /// The kind of target.
    #[serde(default = "at_least")]
    pub target_kind: TargetKind,
    /// The target: the promised minimum (per bucket for a rate), baseline + 1 for an increase, baseline − 1 for a
    /// decrease, the number of milestones, the number of requests; none for count, outcome and assessed.
    pub target: Option<u32>,
    /// The calendar unit of a rate.
    #[serde(default)]
    pub per: Option<Bucket>,
    /// The baseline of an increase or decrease target.
    #[serde(default)]
    pub baseline: Option<u32>,
    /// Sum of counts up to as-of (done milestones; the latest measurement of an outcome; none when assessed).
    pub achieved: Option<Figure>,
    /// Target × elapsed / total days (at-least and increase targets over the whole period).
    #[serde(default)]
    pub expected_by_now: Option<f64>,
    /// Achieved × total / elapsed days: the end-of-period figure at today's pace.
    #[serde(default)]
    pub forecast: Option<f64>,
    /// The status (docs/progress.md).
    pub status: Status,
    /// Month (`YYYY-MM`) → sum, every month from the start to as-of present.
    #[serde(default)]
    pub by_month: BTreeMap<String, u64>,
    /// Place → sum; for commitments with places, every listed place present.
    #[serde(default)]
    pub by_location: BTreeMap<String, u64>,
    /// Sum at places outside the list (`places_rule` `report` and `each`).
    #[serde(default)]
    pub other_places: Option<u64>,
    /// The heading of the place breakdown, from the place list's label.
    #[serde(default)]
    pub places_label: Option<String>,
    /// Listed places (coverage) or municipalities (`each_municipality`) not yet covered.
    #[serde(default)]
    pub uncovered: Vec<String>,
    /// Milestone key → done, for milestone targets.
    #[serde(default)]
    pub milestones: BTreeMap<String, bool>,
    /// Follow-ups published to the public list that count (for `counts_publications` commitments).
    #[serde(default)]
    pub publications: u64,
    /// The buckets of a rate that have started by as-of.
    #[serde(default)]
    pub by_bucket: Vec<BucketProgress>,
    /// Municipality → sum (documents for several municipalities).
    #[serde(default)]
    pub by_municipality: BTreeMap<String, u64>,
    /// Sum of the records that name no municipality (documents for several; absent when there are none), so that
    /// the per-municipality figures add up to `achieved`.
    #[serde(default)]
    pub no_municipality: Option<u64>,
    /// Year → sum (documents over several years), from the start year to as-of's year.
    #[serde(default)]
    pub by_year: BTreeMap<String, u64>,
    /// Activity kind → sum (commitments counting several kinds).
    #[serde(default)]
    pub by_activity: BTreeMap<String, u64>,
    /// Party → sum (joint commitments).
    #[serde(default)]
    pub by_party: BTreeMap<Party, u64>,
    /// Number of requests (conditional commitments).
    #[serde(default)]
    pub requests: Option<u64>,
    /// Measurements against baseline (outcome commitments).
    #[serde(default)]
    pub outcome: Option<OutcomeProgress>,
    /// The records of a qualitative commitment, by date.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// The status the figures give, before a verdict (SPEC §11): equal to `status` unless a verdict set it.
    #[serde(default)]
    pub computed_status: Option<Status>,
    /// The parties' verdict and its justification, from the follow-up notes.
    #[serde(default)]
    pub assessment: Option<Assessment>,
    /// Public text under the commitment, from the follow-up notes.
    #[serde(default)]
    pub comment: Option<String>,
    /// Internal note from the follow-up notes (internal edition only).
    #[serde(default)]
    pub internal_note: Option<String>,
    /// Record ids behind each figure (internal only).
    #[serde(default)]
    pub provenance: Provenance,
}

fn at_least() -> TargetKind {
    TargetKind::AtLeast
}

impl CommitmentProgress {
    /// The counted figure (0 for a measurement or an assessed commitment), for tables and bars.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.achieved.map_or(0, Figure::count)
    }
}

/// The ids of the records behind each figure.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Provenance {
    /// Ids summed in `achieved`.
    pub achieved: Vec<String>,
    /// Ids per month.
    pub by_month: BTreeMap<String, Vec<String>>,
    /// Ids per place.
    pub by_location: BTreeMap<String, Vec<String>>,
    /// Ids per year (documents over several years).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_year: BTreeMap<String, Vec<String>>,
    /// Ids per municipality (documents for several).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_municipality: BTreeMap<String, Vec<String>>,
    /// Ids per activity kind (commitments counting several kinds).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_activity: BTreeMap<String, Vec<String>>,
    /// Ids per party (joint commitments).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_party: BTreeMap<Party, Vec<String>>,
    /// Ids per bucket of a rate, by the bucket's first day.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_bucket: BTreeMap<NaiveDate, Vec<String>>,
}

/// Computes the follow-up of `pledge` as of `period.as_of`.
///
/// `publications` are the dates of follow-ups published to the public list (the one being published included, when
/// publishing); those on or before as-of count toward commitments marked `counts_publications`.
pub fn compute(
    pledge: &Pledge,
    period: &Period,
    validated: &Validated,
    publications: &[NaiveDate],
) -> Result<Progress, ProgressError> {
    let as_of = period.as_of;
    if !pledge.contains(as_of) {
        return Err(ProgressError::AsOfOutsidePeriod {
            document: pledge.id.clone(),
            as_of,
            start: pledge.start,
            end: pledge.end,
        });
    }
    let days = Days { elapsed: days_inclusive(pledge.start, as_of), total: days_inclusive(pledge.start, pledge.end) };
    let shape = frame::Shape {
        party: pledge
            .commitments
            .iter()
            .any(|c| !matches!(&c.parties, crate::pledge::Parties::Listed(l) if l.len() == 1)),
        activity: pledge.commitments.iter().any(|c| c.activities.len() > 1),
        municipality: pledge.municipalities.len() > 1,
        year: pledge.multi_year(),
        day: pledge.commitments.iter().any(|c| matches!(c.target, Target::AtLeast { per: Some(_), .. })),
        requests: pledge.commitments.iter().any(|c| matches!(c.target, Target::OnRequest { .. })),
        measurements: pledge.commitments.iter().any(|c| matches!(c.target, Target::Outcome { .. })),
    };
    let mut all = frame::aggregate(
        &frame::records_frame(&validated.accepted, shape)?,
        as_of,
        shape,
        &pledge.parties.iter().map(|p| p.key.clone()).collect::<Vec<_>>(),
    )?;
    let counted_publications: Vec<NaiveDate> = publications.iter().copied().filter(|d| *d <= as_of).collect();
    let sums: Vec<(frame::CommitmentSums, u64)> = pledge
        .commitments
        .iter()
        .enumerate()
        .map(|(index, c)| {
            let mut sum = all.commitments.remove(&index).unwrap_or_default();
            let publications =
                if c.counts_publications { add_publications(&mut sum, &counted_publications) } else { 0 };
            (sum, publications)
        })
        .collect();
    let at = kinds::At { pledge, as_of, days, months: month_keys(pledge.start, as_of) };
    let pledges: Vec<CommitmentProgress> = pledge
        .commitments
        .iter()
        .zip(&sums)
        .map(|(c, (sum, publications))| kinds::commitment(&at, c, sum, *publications, &validated.accepted))
        .collect();
    Ok(Progress {
        document: pledge.id.clone(),
        period: period.name.clone(),
        as_of,
        days_elapsed: days.elapsed,
        days_total: days.total,
        by_party: by_party(pledge, &sums),
        summary: None,
        pledges,
        records: record_counts(validated, all.after_as_of),
    })
}

/// Days elapsed up to as-of and days in the whole period, both counted inclusively.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Days {
    pub(crate) elapsed: u32,
    pub(crate) total: u32,
}

/// Follow-ups published to the public list count for `counts_publications` commitments, in their month too.
fn add_publications(sum: &mut frame::CommitmentSums, publications: &[NaiveDate]) -> u64 {
    for date in publications {
        *sum.by_month.entry(month_key(*date)).or_default() += 1;
        *sum.by_day.entry(*date).or_default() += 1;
        *sum.by_year.entry(date.year()).or_default() += 1;
    }
    sum.achieved += publications.len() as u64;
    publications.len() as u64
}

/// Sum of counted activities per party, every party of the document present (milestones, outcomes and
/// qualitative promises are not counts and are left out). A publication counts for the commitment's lead party
/// (for none when any party may report).
fn by_party(pledge: &Pledge, sums: &[(frame::CommitmentSums, u64)]) -> BTreeMap<Party, u64> {
    let mut by_party: BTreeMap<Party, u64> = pledge.parties.iter().map(|p| (p.key.clone(), 0)).collect();
    for (c, (sum, publications)) in pledge.commitments.iter().zip(sums) {
        // Milestones, measurements and verdicts are not counts; a decrease counts incidents, not what a party did.
        if matches!(
            c.target,
            Target::Milestones { .. } | Target::Outcome { .. } | Target::Assessed | Target::Decrease { .. }
        ) {
            continue;
        }
        for (party, n) in &sum.by_party {
            *by_party.entry(party.clone()).or_default() += n;
        }
        // Only a party of the document gets a key: `*` (any party) is not one.
        if *publications > 0 && matches!(c.parties, Parties::Listed(_)) {
            *by_party.entry(c.lead_party()).or_default() += publications;
        }
    }
    by_party
}

/// What happened to the input rows, with the rejected ones per reason.
fn record_counts(validated: &Validated, after_as_of: usize) -> RecordCounts {
    RecordCounts {
        accepted: validated.accepted.len(),
        rejected: validated.rejected.len(),
        duplicates: validated.duplicates,
        after_as_of,
        by_reason: validated.rejected.iter().fold(BTreeMap::new(), |mut m, r| {
            *m.entry(r.reason.code().to_string()).or_default() += 1;
            m
        }),
    }
}

/// The pledge with every baseline that is counted from records (`baseline_from`) filled in: the sum of `count` of
/// the commitment's accepted records in that span. A follow-up computes and renders with this pledge.
#[must_use]
pub fn counted_baselines(pledge: &Pledge, validated: &Validated) -> Pledge {
    let mut pledge = pledge.clone();
    for (index, c) in pledge.commitments.iter_mut().enumerate() {
        if c.baseline_from.is_none() {
            continue;
        }
        let counted: u64 =
            validated.accepted.iter().filter(|r| r.baseline && r.commitment == index).map(|r| u64::from(r.count)).sum();
        let counted = u32::try_from(counted).unwrap_or(u32::MAX - 1);
        if let Target::Increase { baseline, .. } | Target::Decrease { baseline, .. } = &mut c.target {
            *baseline = counted;
        }
    }
    pledge
}

/// The pledge with the baselines a published follow-up counted (from its `results.json`), for rendering it again.
#[must_use]
pub fn published_baselines(pledge: &Pledge, commitments: &[CommitmentProgress]) -> Pledge {
    let mut pledge = pledge.clone();
    for (c, p) in pledge.commitments.iter_mut().zip(commitments) {
        if let (Some(_), Some(counted)) = (c.baseline_from, p.baseline) {
            if let Target::Increase { baseline, .. } | Target::Decrease { baseline, .. } = &mut c.target {
                *baseline = counted;
            }
        }
    }
    pledge
}

/// Days from `start` to `end`, both included.
#[must_use]
pub fn days_inclusive(start: NaiveDate, end: NaiveDate) -> u32 {
    ((end - start).num_days() + 1).max(0) as u32
}

/// `YYYY-MM` of a date.
#[must_use]
pub fn month_key(date: NaiveDate) -> String {
    Month::of(date).to_string()
}

/// Every month (`YYYY-MM`) from `start`'s to `end`'s, both included.
#[must_use]
pub fn month_keys(start: NaiveDate, end: NaiveDate) -> Vec<String> {
    Month::range(start, end).into_iter().map(|m| m.to_string()).collect()
}
