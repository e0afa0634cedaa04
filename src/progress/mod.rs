//! Progress toward every commitment (docs/progress.md): achieved, expected by now, forecast, status, and breakdowns
//! per month, place and party, each figure with the ids of the records it sums.
//!
//! Pure: the records come in as a polars `DataFrame` ([`frame`]), the sums are one lazy query per breakdown, and the
//! status rules ([`status`]) are plain functions with exact integer comparisons, so that "exactly on target" and
//! "exactly 0.8 of expected" fall on the side docs/progress.md says.

pub(crate) mod frame;
pub mod json;
pub mod status;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::period::{Month, Period};
use crate::pledge::{Commitment, Party, Pledge, Target};
use crate::validate::Validated;

pub use status::Status;

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

/// Progress toward one commitment. Deserializable from a published results.json (which lacks the provenance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitmentProgress {
    /// Commitment id.
    pub id: String,
    /// Who promised.
    pub party: Party,
    /// At-least target (baseline + 1 for increases; the number of milestones for milestone targets).
    pub target: u32,
    /// The baseline of an increase target.
    #[serde(default)]
    pub baseline: Option<u32>,
    /// Sum of counts up to as-of (done milestones for milestone targets).
    pub achieved: u64,
    /// Target × elapsed / total days (at-least and increase targets).
    #[serde(default)]
    pub expected_by_now: Option<f64>,
    /// Achieved × total / elapsed days: the year-end figure at today's pace.
    #[serde(default)]
    pub forecast: Option<f64>,
    /// The status (docs/progress.md).
    pub status: Status,
    /// Month (`YYYY-MM`) → sum, every month from the start to as-of present.
    #[serde(default)]
    pub by_month: BTreeMap<String, u64>,
    /// Place → sum; for commitments with places, every place present.
    #[serde(default)]
    pub by_location: BTreeMap<String, u64>,
    /// Milestone key → done, for milestone targets.
    #[serde(default)]
    pub milestones: BTreeMap<String, bool>,
    /// Follow-ups published to the public list that count (for `counts_publications` commitments).
    #[serde(default)]
    pub publications: u64,
    /// Record ids behind each figure (internal only).
    #[serde(default)]
    pub provenance: Provenance,
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
    let sums = frame::aggregate(&frame::records_frame(&validated.accepted)?, as_of)?;
    let months = month_keys(pledge.start, as_of);
    let counted_publications: Vec<NaiveDate> = publications.iter().copied().filter(|d| *d <= as_of).collect();
    let ended = as_of >= pledge.end;
    let pledges: Vec<CommitmentProgress> = pledge
        .commitments
        .iter()
        .enumerate()
        .map(|(index, c)| {
            let mut sum = sums.commitments.get(&index).cloned().unwrap_or_default();
            let publications =
                if c.counts_publications { add_publications(&mut sum, &counted_publications) } else { 0 };
            commitment(c, sum, &months, days, ended, publications)
        })
        .collect();
    Ok(Progress {
        document: pledge.id.clone(),
        period: period.name.clone(),
        as_of,
        days_elapsed: days.elapsed,
        days_total: days.total,
        by_party: by_party(pledge, &pledges),
        pledges,
        records: record_counts(validated, sums.after_as_of),
    })
}

/// Days elapsed up to as-of and days in the whole period, both counted inclusively.
#[derive(Debug, Clone, Copy)]
struct Days {
    elapsed: u32,
    total: u32,
}

/// Follow-ups published to the public list count for `counts_publications` commitments, in their month too.
fn add_publications(sum: &mut frame::CommitmentSums, publications: &[NaiveDate]) -> u64 {
    for date in publications {
        *sum.by_month.entry(month_key(*date)).or_default() += 1;
    }
    sum.achieved += publications.len() as u64;
    publications.len() as u64
}

/// The figures and status of one commitment, with every month and every listed place present (zero when empty).
fn commitment(
    c: &Commitment,
    sum: frame::CommitmentSums,
    months: &[String],
    days: Days,
    ended: bool,
    publications: u64,
) -> CommitmentProgress {
    let mut by_month: BTreeMap<String, u64> = months.iter().map(|m| (m.clone(), 0)).collect();
    by_month.extend(sum.by_month.iter().map(|(k, v)| (k.clone(), *v)));
    let mut by_location: BTreeMap<String, u64> = c.places.iter().map(|p| (p.clone(), 0)).collect();
    by_location.extend(sum.by_location.iter().map(|(k, v)| (k.clone(), *v)));
    let (target, achieved, expected_by_now, forecast, status, milestones) = match &c.target {
        Target::Milestones { milestones } => {
            let done: BTreeMap<String, bool> =
                milestones.iter().map(|m| (m.key.clone(), sum.milestones.contains(&m.key))).collect();
            let n_done = done.values().filter(|d| **d).count();
            let status = status::milestones(n_done, milestones.len(), ended);
            (milestones.len() as u32, n_done as u64, None, None, status, done)
        }
        target => {
            let value = target.at_least().unwrap_or_default();
            let expected = f64::from(value) * f64::from(days.elapsed) / f64::from(days.total);
            let forecast = sum.achieved as f64 * f64::from(days.total) / f64::from(days.elapsed);
            let status = status::at_least(value, sum.achieved, days.elapsed, days.total);
            (value, sum.achieved, Some(expected), Some(forecast), status, BTreeMap::new())
        }
    };
    CommitmentProgress {
        id: c.id.clone(),
        party: c.party,
        target,
        baseline: match c.target {
            Target::Increase { baseline, .. } => Some(baseline),
            _ => None,
        },
        achieved,
        expected_by_now,
        forecast,
        status,
        by_month,
        by_location,
        milestones,
        publications,
        provenance: Provenance { achieved: sum.ids, by_month: sum.month_ids, by_location: sum.location_ids },
    }
}

/// Sum of counted activities per party (milestones are not activities and do not count).
fn by_party(pledge: &Pledge, pledges: &[CommitmentProgress]) -> BTreeMap<Party, u64> {
    let mut by_party: BTreeMap<Party, u64> = [(Party::Polisen, 0), (Party::Kommunen, 0)].into_iter().collect();
    for (c, p) in pledge.commitments.iter().zip(pledges) {
        if !matches!(c.target, Target::Milestones { .. }) {
            *by_party.entry(c.party).or_default() += p.achieved;
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
