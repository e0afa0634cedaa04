//! `results.json` (docs/progress.md): the machine-readable follow-up, written and read through one type,
//! [`Results`]. Its field names are fixed; record ids appear only in the internal edition, under `provenance`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{
    Assessment, BucketProgress, CommitmentProgress, Evidence, Figure, OutcomeProgress, Progress, Provenance,
    RecordCounts, Status,
};
use crate::edition::Edition;
use crate::pledge::{Bucket, Party, TargetKind};

/// Rounds to two decimals for publication (`25.79`, docs/progress.md); full precision stays in [`Progress`].
#[must_use]
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The whole `results.json` of one edition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// Pledge document id.
    pub document: String,
    /// Period name.
    pub period: String,
    /// The figures' as-of date.
    pub as_of: NaiveDate,
    /// Which edition this is.
    pub edition: Edition,
    /// Days from the pledge start to as-of, inclusive.
    pub days_elapsed: u32,
    /// Days in the pledge period, inclusive.
    pub days_total: u32,
    /// One entry per commitment, in document order.
    pub pledges: Vec<PublishedCommitment>,
    /// Sum of counted activities per party.
    pub by_party: BTreeMap<Party, u64>,
    /// What happened to the input rows.
    pub records: RecordCounts,
    /// The follow-up notes' public summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The as-of date had not passed when this was made: a forecast, not the follow-up (absent when final).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub provisional: bool,
}

/// One commitment as `results.json` has it: the figures rounded for publication, the record ids and evidence
/// notes only in the internal edition. Fields that do not apply to a commitment's kind are left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedCommitment {
    /// Commitment id.
    pub id: String,
    /// Who promised (the first party of a joint promise; `*` for any party).
    pub party: Party,
    /// The target (see [`CommitmentProgress::target`]); null when nothing was promised as a number.
    pub target: Option<u32>,
    /// Sum of counts up to as-of; the latest measurement of an outcome; null when assessed or not measured.
    pub achieved: Option<Figure>,
    /// Expected by now, two decimals.
    pub expected_by_now: Option<f64>,
    /// Forecast at today's pace, two decimals.
    pub forecast: Option<f64>,
    /// The status.
    pub status: Status,
    /// Month (`YYYY-MM`) → sum.
    #[serde(default)]
    pub by_month: BTreeMap<String, u64>,
    /// Place → sum.
    #[serde(default)]
    pub by_location: BTreeMap<String, u64>,
    /// The baseline of an increase or decrease target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<u32>,
    /// Milestone key → done.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub milestones: BTreeMap<String, bool>,
    /// Follow-ups published to the public list that count.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub publications: u64,
    /// The kind of target.
    #[serde(default = "at_least")]
    pub target_kind: TargetKind,
    /// Every party of a joint promise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<Party>,
    /// The calendar unit of a rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<Bucket>,
    /// The buckets of a rate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_bucket: Vec<BucketProgress>,
    /// Sum at places outside the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_places: Option<u64>,
    /// The heading of the place breakdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub places_label: Option<String>,
    /// Places or municipalities not yet covered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uncovered: Vec<String>,
    /// Municipality → sum.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_municipality: BTreeMap<String, u64>,
    /// Sum of records that name no municipality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_municipality: Option<u64>,
    /// Year → sum.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_year: BTreeMap<String, u64>,
    /// Activity kind → sum.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_activity: BTreeMap<String, u64>,
    /// Party → sum, for joint promises.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_party: BTreeMap<Party, u64>,
    /// Number of requests of a conditional promise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    /// Measurements of an outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OutcomeProgress>,
    /// The records of a qualitative promise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
    /// The status the figures give, before a verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed_status: Option<Status>,
    /// The parties' verdict and its justification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<Assessment>,
    /// Public text under the commitment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Internal note (internal edition only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_note: Option<String>,
    /// Record ids behind each figure (internal edition only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
}

fn at_least() -> TargetKind {
    TargetKind::AtLeast
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl From<PublishedCommitment> for CommitmentProgress {
    fn from(p: PublishedCommitment) -> Self {
        CommitmentProgress {
            id: p.id,
            party: p.party,
            parties: p.parties,
            target_kind: p.target_kind,
            target: p.target,
            per: p.per,
            baseline: p.baseline,
            achieved: p.achieved,
            expected_by_now: p.expected_by_now,
            forecast: p.forecast,
            status: p.status,
            by_month: p.by_month,
            by_location: p.by_location,
            other_places: p.other_places,
            places_label: p.places_label,
            uncovered: p.uncovered,
            milestones: p.milestones,
            publications: p.publications,
            by_bucket: p.by_bucket,
            by_municipality: p.by_municipality,
            no_municipality: p.no_municipality,
            by_year: p.by_year,
            by_activity: p.by_activity,
            by_party: p.by_party,
            requests: p.requests,
            outcome: p.outcome,
            evidence: p.evidence,
            computed_status: p.computed_status,
            assessment: p.assessment,
            comment: p.comment,
            internal_note: p.internal_note,
            provenance: p.provenance.unwrap_or_default(),
        }
    }
}

/// A `results.json` that cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a lofte `results.json`.
    #[error("{}: not a lofte results.json ({source})", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
}

impl Results {
    /// The follow-up as [`Progress`], to render an archived follow-up again (an approved draft's public edition):
    /// the figures are the archived ones, rounded as published.
    #[must_use]
    pub fn into_progress(self) -> Progress {
        let pledges = self.commitments();
        Progress {
            document: self.document,
            period: self.period,
            as_of: self.as_of,
            days_elapsed: self.days_elapsed,
            days_total: self.days_total,
            pledges,
            by_party: self.by_party,
            summary: self.summary,
            records: self.records,
        }
    }

    /// Reads an archived `results.json`.
    pub fn read(path: &Path) -> Result<Results, ResultsError> {
        let bytes = std::fs::read(path).map_err(|source| ResultsError::Io { path: path.to_path_buf(), source })?;
        serde_json::from_slice(&bytes).map_err(|source| ResultsError::Format { path: path.to_path_buf(), source })
    }

    /// The commitments as [`CommitmentProgress`], for the wording shared with the report.
    #[must_use]
    pub fn commitments(&self) -> Vec<CommitmentProgress> {
        self.pledges.iter().cloned().map(CommitmentProgress::from).collect()
    }
}

/// The results document for `edition`; `provisional` when the as-of date had not passed.
#[must_use]
pub fn results(progress: &Progress, edition: Edition, provisional: bool) -> Results {
    let pledges = progress
        .pledges
        .iter()
        .map(|p| PublishedCommitment {
            id: p.id.clone(),
            party: p.party.clone(),
            target: p.target,
            achieved: p.achieved,
            expected_by_now: p.expected_by_now.map(round2),
            forecast: p.forecast.map(round2),
            status: p.status,
            by_month: p.by_month.clone(),
            by_location: p.by_location.clone(),
            baseline: p.baseline,
            milestones: p.milestones.clone(),
            publications: p.publications,
            target_kind: p.target_kind,
            parties: p.parties.clone(),
            per: p.per,
            by_bucket: p.by_bucket.clone(),
            other_places: p.other_places,
            places_label: p.places_label.clone(),
            uncovered: p.uncovered.clone(),
            by_municipality: p.by_municipality.clone(),
            no_municipality: p.no_municipality,
            by_year: p.by_year.clone(),
            by_activity: p.by_activity.clone(),
            by_party: p.by_party.clone(),
            requests: p.requests,
            outcome: p.outcome.clone(),
            evidence: p
                .evidence
                .iter()
                .map(|e| Evidence { note: e.note.clone().filter(|_| edition == Edition::Internal), ..e.clone() })
                .collect(),
            computed_status: p.computed_status,
            assessment: p.assessment.clone(),
            comment: p.comment.clone(),
            internal_note: p.internal_note.clone().filter(|_| edition == Edition::Internal),
            provenance: (edition == Edition::Internal).then(|| p.provenance.clone()),
        })
        .collect();
    Results {
        document: progress.document.clone(),
        period: progress.period.clone(),
        as_of: progress.as_of,
        edition,
        days_elapsed: progress.days_elapsed,
        days_total: progress.days_total,
        pledges,
        by_party: progress.by_party.clone(),
        records: progress.records.clone(),
        summary: progress.summary.clone(),
        provisional,
    }
}
