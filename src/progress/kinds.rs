//! The figures and status of one commitment, for every target kind of SPEC §10 (docs/progress.md).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use super::frame::CommitmentSums;
use super::status::{self, Status};
use super::{
    days_inclusive, BucketProgress, CommitmentProgress, Days, Evidence, Figure, Measurement, OutcomeProgress,
    Provenance,
};
use crate::pledge::{Bucket, Commitment, Parties, Party, PlacesRule, Pledge, Target};
use crate::validate::Accepted;

/// What every commitment of one report is computed against.
pub(crate) struct At<'a> {
    pub(crate) pledge: &'a Pledge,
    pub(crate) as_of: NaiveDate,
    pub(crate) days: Days,
    /// Every month from the start to as-of, as `YYYY-MM`.
    pub(crate) months: Vec<String>,
}

impl At<'_> {
    fn ended(&self) -> bool {
        self.as_of >= self.pledge.end
    }
}

/// The progress of commitment `c` from its sums.
pub(crate) fn commitment(
    at: &At,
    c: &Commitment,
    sum: &CommitmentSums,
    publications: u64,
    accepted: &[Accepted],
) -> CommitmentProgress {
    let mut p = breakdowns(at, c, sum);
    p.publications = publications;
    if !p.by_municipality.is_empty() {
        let named: u64 = p.by_municipality.values().sum();
        let unnamed = sum.achieved.saturating_sub(publications).saturating_sub(named);
        p.no_municipality = (unnamed > 0).then_some(unnamed);
    }
    let ended = at.ended();
    let achieved = sum.achieved;
    match &c.target {
        Target::AtLeast { value, per: None } => {
            let least = if c.each_municipality { least_municipality(at, sum) } else { achieved };
            at_least(at, &mut p, *value, least, achieved);
        }
        Target::Increase { baseline, .. } => {
            p.baseline = Some(*baseline);
            let least = if c.each_municipality { least_municipality(at, sum) } else { achieved };
            at_least(at, &mut p, baseline + 1, least, achieved);
        }
        Target::AtLeast { value, per: Some(bucket) } => {
            p.target = Some(*value);
            p.per = Some(*bucket);
            p.achieved = Some(Figure::Count(achieved));
            p.by_bucket = buckets(at, *bucket, *value, sum);
            p.provenance.by_bucket = p
                .by_bucket
                .iter()
                .map(|b| {
                    let days = sum.ids_by.day.range(b.start..=b.end.min(at.as_of));
                    (b.start, days.flat_map(|(_, ids)| ids.iter().cloned()).collect())
                })
                .collect();
            let statuses: Vec<Status> = p.by_bucket.iter().map(|b| b.status).collect();
            let current_complete = p.by_bucket.last().is_some_and(|b| b.end == at.as_of);
            p.status = status::buckets(&statuses, current_complete, ended);
        }
        Target::OnRequest { .. } => {
            p.requests = Some(sum.requests);
            p.target = (sum.requests > 0).then(|| u32::try_from(sum.requests).unwrap_or(u32::MAX));
            p.achieved = Some(Figure::Count(achieved));
            p.status = status::on_request(sum.requests, achieved, ended);
        }
        Target::Count => {
            p.achieved = Some(Figure::Count(achieved));
            p.status = status::count(achieved, ended);
        }
        Target::Decrease { baseline, .. } => {
            p.baseline = Some(*baseline);
            p.target = Some(baseline.saturating_sub(1));
            p.achieved = Some(Figure::Count(achieved));
            p.forecast = Some(forecast(achieved, at.days));
            // In each municipality: every one must stay under the baseline, so the highest decides.
            let most = if c.each_municipality { most_municipality(at, sum) } else { achieved };
            p.status = status::decrease(*baseline, most, at.days.elapsed, at.days.total);
        }
        Target::Milestones { milestones } => {
            let done: BTreeMap<String, bool> =
                milestones.iter().map(|m| (m.key.clone(), sum.milestones.contains(&m.key))).collect();
            let n_done = done.values().filter(|d| **d).count();
            p.target = Some(milestones.len() as u32);
            p.achieved = Some(Figure::Count(n_done as u64));
            p.status = status::milestones(n_done, milestones.len(), ended);
            p.milestones = done;
        }
        Target::Outcome { direction, baseline, target, unit, .. } => {
            let mut measurements: Vec<&(NaiveDate, f64, u64, String)> = sum.measurements.iter().collect();
            // The latest by date; on one day, the one read last.
            measurements.sort_by_key(|m| (m.0, m.2));
            let latest = measurements.last().map(|m| m.1);
            p.achieved = latest.map(Figure::Measured);
            p.status = status::outcome(*direction, *baseline, *target, latest, ended);
            p.outcome = Some(OutcomeProgress {
                direction: *direction,
                baseline: *baseline,
                target: *target,
                unit: unit.clone(),
                measurements: measurements.iter().map(|m| Measurement { date: m.0, value: m.1 }).collect(),
            });
            // A measurement is not an occasion: nothing is summed per month or place.
            p.by_month.clear();
            p.by_location.clear();
            p.by_year.clear();
            p.by_municipality.clear();
            p.no_municipality = None;
            p.by_activity.clear();
            p.by_party.clear();
            p.provenance = Provenance {
                achieved: measurements.last().map(|m| vec![m.3.clone()]).unwrap_or_default(),
                ..Provenance::default()
            };
        }
        Target::Assessed => {
            p.status = Status::NotAssessed;
            p.evidence = evidence(at, c, accepted);
        }
    }
    cover(at, c, sum, &mut p);
    p
}

/// An at-least target over the whole period: expected by now, forecast and the §3 status. `least` is the figure
/// the status is decided on (the lowest municipality's sum when the target applies in each).
fn at_least(at: &At, p: &mut CommitmentProgress, target: u32, least: u64, achieved: u64) {
    p.target = Some(target);
    p.achieved = Some(Figure::Count(achieved));
    p.expected_by_now = Some(f64::from(target) * f64::from(at.days.elapsed) / f64::from(at.days.total));
    p.forecast = Some(forecast(achieved, at.days));
    p.status = status::at_least(target, least, at.days.elapsed, at.days.total);
}

fn forecast(achieved: u64, days: Days) -> f64 {
    achieved as f64 * f64::from(days.total) / f64::from(days.elapsed)
}

/// The lowest sum over the document's municipalities (0 when one has none).
fn least_municipality(at: &At, sum: &CommitmentSums) -> u64 {
    (0..at.pledge.municipalities.len()).map(|m| sum.by_municipality.get(&m).copied().unwrap_or(0)).min().unwrap_or(0)
}

/// The highest sum over the document's municipalities.
fn most_municipality(at: &At, sum: &CommitmentSums) -> u64 {
    (0..at.pledge.municipalities.len()).map(|m| sum.by_municipality.get(&m).copied().unwrap_or(0)).max().unwrap_or(0)
}

/// The buckets that have started by as-of: completed ones are achieved or not met, the one holding as-of (even on
/// its last day) gets the §3 rules over its own days.
fn buckets(at: &At, bucket: Bucket, target: u32, sum: &CommitmentSums) -> Vec<BucketProgress> {
    bucket
        .split(at.pledge.start, at.pledge.end)
        .into_iter()
        .filter(|(start, _)| *start <= at.as_of)
        .map(|(start, end)| {
            let last = end.min(at.as_of);
            let achieved: u64 = sum.by_day.range(start..=last).map(|(_, n)| n).sum();
            let status = if end < at.as_of {
                if achieved >= u64::from(target) {
                    Status::Achieved
                } else {
                    Status::NotMet
                }
            } else {
                status::at_least(target, achieved, days_inclusive(start, at.as_of), days_inclusive(start, end))
            };
            BucketProgress { start, end, target, achieved, status }
        })
        .collect()
}

/// The records of a qualitative commitment up to as-of, by date (notes kept here; the public edition drops them).
fn evidence(at: &At, c: &Commitment, accepted: &[Accepted]) -> Vec<Evidence> {
    let index = at.pledge.commitments.iter().position(|d| d.id == c.id);
    let mut list: Vec<&Accepted> =
        accepted.iter().filter(|r| Some(r.commitment) == index && !r.request && r.date <= at.as_of).collect();
    list.sort_by_key(|r| (r.date, r.row));
    list.into_iter()
        .map(|r| Evidence {
            date: r.date,
            activity: at.pledge.activities.get(r.activity as usize).map(|a| a.kind.clone()).unwrap_or_default(),
            location: r.location.clone(),
            note: r.note.clone(),
        })
        .collect()
}

/// Every breakdown, each key present with zero when empty; breakdowns that say nothing for this document (one
/// municipality, one year, one kind, one party) stay empty.
fn breakdowns(at: &At, c: &Commitment, sum: &CommitmentSums) -> CommitmentProgress {
    let pledge = at.pledge;
    let mut by_month: BTreeMap<String, u64> = at.months.iter().map(|m| (m.clone(), 0)).collect();
    by_month.extend(sum.by_month.iter().map(|(k, v)| (k.clone(), *v)));
    let (by_location, other_places, places_label) = match &c.places {
        None => (sum.by_location.clone(), None, None),
        Some(places) => {
            let mut listed: BTreeMap<String, u64> = places.list.names.iter().map(|n| (n.clone(), 0)).collect();
            let mut other = 0;
            for (place, n) in &sum.by_location {
                match listed.get_mut(place) {
                    Some(v) => *v += n,
                    None => other += n,
                }
            }
            let other = (places.rule != PlacesRule::Only).then_some(other);
            (listed, other, places.list.label.clone())
        }
    };
    let by_municipality = if pledge.municipalities.len() > 1 {
        pledge
            .municipalities
            .iter()
            .enumerate()
            .map(|(i, m)| (m.clone(), sum.by_municipality.get(&i).copied().unwrap_or(0)))
            .collect()
    } else {
        BTreeMap::new()
    };
    let by_year = if pledge.multi_year() {
        (pledge.start.year()..=at.as_of.year())
            .map(|y| (y.to_string(), sum.by_year.get(&y).copied().unwrap_or(0)))
            .collect()
    } else {
        BTreeMap::new()
    };
    let by_activity = if c.activities.len() > 1 {
        c.activities
            .iter()
            .map(|kind| {
                let index = pledge.activities.iter().position(|a| &a.kind == kind);
                (kind.clone(), index.and_then(|i| sum.by_activity.get(&i)).copied().unwrap_or(0))
            })
            .collect()
    } else {
        BTreeMap::new()
    };
    let joint: Vec<Party> = match &c.parties {
        Parties::Listed(list) if list.len() > 1 => list.clone(),
        Parties::Listed(_) => Vec::new(),
        Parties::Any => pledge.parties.iter().map(|p| p.key.clone()).collect(),
    };
    let by_party = joint.iter().map(|p| (p.clone(), sum.by_party.get(p).copied().unwrap_or(0))).collect();
    let provenance = provenance(at, c, sum, &joint);
    CommitmentProgress {
        id: c.id.clone(),
        party: c.lead_party(),
        parties: joint,
        target_kind: c.target.kind(),
        target: None,
        per: None,
        baseline: None,
        achieved: None,
        expected_by_now: None,
        forecast: None,
        status: Status::NotStarted,
        by_month,
        by_location,
        other_places,
        places_label,
        uncovered: Vec::new(),
        milestones: BTreeMap::new(),
        publications: 0,
        by_bucket: Vec::new(),
        by_municipality,
        no_municipality: None,
        by_year,
        by_activity,
        by_party,
        requests: None,
        outcome: None,
        evidence: Vec::new(),
        computed_status: None,
        assessment: None,
        comment: None,
        internal_note: None,
        provenance,
    }
}

/// The ids behind each figure, for the breakdowns this document shows.
fn provenance(at: &At, c: &Commitment, sum: &CommitmentSums, joint: &[Party]) -> Provenance {
    let pledge = at.pledge;
    let ids = &sum.ids_by;
    let ids_of = |found: Option<&Vec<String>>| found.cloned().unwrap_or_default();
    Provenance {
        achieved: sum.ids.clone(),
        by_month: sum.month_ids.clone(),
        by_location: sum.location_ids.clone(),
        by_year: if pledge.multi_year() {
            (pledge.start.year()..=at.as_of.year()).map(|y| (y.to_string(), ids_of(ids.year.get(&y)))).collect()
        } else {
            BTreeMap::new()
        },
        by_municipality: if pledge.municipalities.len() > 1 {
            pledge
                .municipalities
                .iter()
                .enumerate()
                .map(|(i, m)| (m.clone(), ids_of(ids.municipality.get(&i))))
                .collect()
        } else {
            BTreeMap::new()
        },
        by_activity: if c.activities.len() > 1 {
            c.activities
                .iter()
                .map(|kind| {
                    let index = pledge.activities.iter().position(|a| &a.kind == kind);
                    (kind.clone(), ids_of(index.and_then(|i| ids.activity.get(&i))))
                })
                .collect()
        } else {
            BTreeMap::new()
        },
        by_party: joint.iter().map(|p| (p.clone(), ids_of(ids.party.get(p)))).collect(),
        by_bucket: BTreeMap::new(),
    }
}

/// Coverage (`places_rule = "each"`, `each_municipality`): lists what is not covered, and lets it decide the
/// status. A target reached with places left is on track while running and not met at the end; on a `count`
/// commitment, covering everything is `achieved`. A decrease in each municipality is decided by the highest one
/// (in `commitment`), not by coverage.
fn cover(at: &At, c: &Commitment, sum: &CommitmentSums, p: &mut CommitmentProgress) {
    let mut uncovered = Vec::new();
    if let Some(places) = &c.places {
        if let PlacesRule::Each { per_place } = places.rule {
            uncovered.extend(
                places
                    .list
                    .names
                    .iter()
                    .filter(|n| p.by_location.get(*n).copied().unwrap_or(0) < u64::from(per_place))
                    .cloned(),
            );
        }
    }
    // A decrease is kept by doing less: a municipality with nothing is not "uncovered".
    let municipalities = c.each_municipality && !matches!(c.target, Target::Decrease { .. });
    if municipalities {
        let need = match c.target {
            Target::AtLeast { value, per: None } => u64::from(value),
            Target::Increase { baseline, .. } => u64::from(baseline) + 1,
            _ => 1,
        };
        uncovered.extend(
            at.pledge
                .municipalities
                .iter()
                .enumerate()
                .filter(|(i, _)| sum.by_municipality.get(i).copied().unwrap_or(0) < need)
                .map(|(_, m)| m.clone()),
        );
    }
    let coverage = municipalities || matches!(c.places.as_ref().map(|p| p.rule), Some(PlacesRule::Each { .. }));
    if coverage {
        let ended = at.ended();
        match (&c.target, uncovered.is_empty()) {
            (Target::Count, true) => p.status = Status::Achieved,
            (Target::Count, false) if ended => p.status = Status::NotMet,
            (Target::Assessed | Target::Outcome { .. } | Target::Decrease { .. }, _) => {}
            (_, false) if p.status == Status::Achieved => {
                p.status = if ended { Status::NotMet } else { Status::OnTrack };
            }
            _ => {}
        }
    }
    p.uncovered = uncovered;
}
