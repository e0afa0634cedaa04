//! The accepted records as a polars `DataFrame`, and the lazy queries that sum them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

use crate::period::Month;
use crate::validate::Accepted;

/// Column names of the records frame.
pub mod columns {
    /// Commitment index in the pledge document (u32).
    pub const COMMITMENT: &str = "commitment";
    /// Days since 0001-01-01 (i32), so that "up to as-of" is an integer comparison.
    pub const DAY: &str = "day";
    /// `year * 12 + month - 1` (i32).
    pub const MONTH: &str = "month";
    /// Place (string, null when none was given).
    pub const LOCATION: &str = "location";
    /// Milestone key (string, null when none).
    pub const MILESTONE: &str = "milestone";
    /// Count (i64).
    pub const COUNT: &str = "count";
    /// Record id (string).
    pub const ID: &str = "id";
}
use columns::{COMMITMENT, COUNT, DAY, ID, LOCATION, MILESTONE, MONTH};

/// Builds the records frame from accepted records.
pub fn records_frame(accepted: &[Accepted]) -> PolarsResult<DataFrame> {
    let n = accepted.len();
    let mut commitment = Vec::with_capacity(n);
    let mut day = Vec::with_capacity(n);
    let mut month = Vec::with_capacity(n);
    let mut location: Vec<Option<&str>> = Vec::with_capacity(n);
    let mut milestone: Vec<Option<&str>> = Vec::with_capacity(n);
    let mut count = Vec::with_capacity(n);
    let mut id: Vec<&str> = Vec::with_capacity(n);
    for r in accepted {
        commitment.push(r.commitment as u32);
        day.push(r.date.num_days_from_ce());
        month.push(month_index(r.date));
        location.push(r.location.as_deref());
        milestone.push(r.milestone.as_deref());
        count.push(i64::from(r.count));
        id.push(&r.id);
    }
    DataFrame::new(
        n,
        vec![
            Column::new(COMMITMENT.into(), commitment),
            Column::new(DAY.into(), day),
            Column::new(MONTH.into(), month),
            Column::new(LOCATION.into(), location),
            Column::new(MILESTONE.into(), milestone),
            Column::new(COUNT.into(), count),
            Column::new(ID.into(), id),
        ],
    )
}

fn month_index(date: NaiveDate) -> i32 {
    Month::of(date).index()
}

fn month_name(index: i32) -> String {
    Month::from_index(index).to_string()
}

/// Sums for one commitment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitmentSums {
    /// Sum of counts.
    pub achieved: u64,
    /// Ids summed.
    pub ids: Vec<String>,
    /// `YYYY-MM` → sum (months with records only).
    pub by_month: BTreeMap<String, u64>,
    /// `YYYY-MM` → ids.
    pub month_ids: BTreeMap<String, Vec<String>>,
    /// Place → sum (places with records only).
    pub by_location: BTreeMap<String, u64>,
    /// Place → ids.
    pub location_ids: BTreeMap<String, Vec<String>>,
    /// Milestone keys with at least one record.
    pub milestones: BTreeSet<String>,
}

/// Sums of all commitments up to as-of.
#[derive(Debug, Clone, Default)]
pub struct Sums {
    /// By commitment index; commitments without records are absent.
    pub commitments: HashMap<usize, CommitmentSums>,
    /// Rows dated after as-of (not summed).
    pub after_as_of: usize,
}

/// Sums the records frame up to and including `as_of`, per commitment, month, place and milestone.
pub fn aggregate(records: &DataFrame, as_of: NaiveDate) -> PolarsResult<Sums> {
    let counted = records.clone().lazy().filter(col(DAY).lt_eq(lit(as_of.num_days_from_ce())));
    // Ids stay in input order (the order of the files and rows), which is stable from run to run.
    let sum_and_ids = || [col(COUNT).sum().alias(COUNT), col(ID).alias(ID)];

    let totals = counted.clone().group_by([col(COMMITMENT)]).agg(sum_and_ids()).collect()?;
    let months = counted.clone().group_by([col(COMMITMENT), col(MONTH)]).agg(sum_and_ids()).collect()?;
    let places = counted
        .clone()
        .filter(col(LOCATION).is_not_null())
        .group_by([col(COMMITMENT), col(LOCATION)])
        .agg(sum_and_ids())
        .collect()?;
    let milestones = counted
        .clone()
        .filter(col(MILESTONE).is_not_null())
        .group_by([col(COMMITMENT), col(MILESTONE)])
        .agg([col(COUNT).sum().alias(COUNT)])
        .collect()?;
    let counted_rows = counted.select([len().alias("rows")]).collect()?;

    let mut sums = Sums {
        after_as_of: records.height() - counted_rows.column("rows")?.u32()?.get(0).unwrap_or(0) as usize,
        ..Sums::default()
    };
    for (c, count, ids) in rows(&totals)? {
        let entry = sums.commitments.entry(c).or_default();
        entry.achieved = count;
        entry.ids = ids;
    }
    let month_keys = months.column(MONTH)?.i32()?.clone();
    for (i, (c, count, ids)) in rows(&months)?.into_iter().enumerate() {
        let key = month_name(month_keys.get(i).unwrap_or_default());
        let entry = sums.commitments.entry(c).or_default();
        entry.by_month.insert(key.clone(), count);
        entry.month_ids.insert(key, ids);
    }
    for (i, (c, count, ids)) in rows(&places)?.into_iter().enumerate() {
        let place = places.column(LOCATION)?.str()?.get(i).unwrap_or_default().to_string();
        let entry = sums.commitments.entry(c).or_default();
        entry.by_location.insert(place.clone(), count);
        entry.location_ids.insert(place, ids);
    }
    let commitment_column = milestones.column(COMMITMENT)?.u32()?;
    let milestone_column = milestones.column(MILESTONE)?.str()?;
    for (c, m) in commitment_column.iter().zip(milestone_column.iter()) {
        if let (Some(c), Some(m)) = (c, m) {
            sums.commitments.entry(c as usize).or_default().milestones.insert(m.to_string());
        }
    }
    Ok(sums)
}

/// (commitment, sum, ids) for each row of a grouped frame.
fn rows(frame: &DataFrame) -> PolarsResult<Vec<(usize, u64, Vec<String>)>> {
    let commitments = frame.column(COMMITMENT)?.u32()?;
    let counts = frame.column(COUNT)?.i64()?;
    let ids = frame.column(ID)?.list()?;
    let mut out = Vec::with_capacity(frame.height());
    for ((c, n), list) in commitments.iter().zip(counts.iter()).zip(ids.series_iter()) {
        let list_ids = match list {
            Some(series) => series.str()?.iter().flatten().map(str::to_string).collect(),
            None => Vec::new(),
        };
        out.push((c.unwrap_or_default() as usize, n.unwrap_or_default().max(0) as u64, list_ids));
    }
    Ok(out)
}
