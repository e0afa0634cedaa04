//! The accepted records as a polars `DataFrame`, and the lazy queries that sum them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

use crate::period::Month;
use crate::pledge::Party;
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
    /// Party index in the pledge document's `parties` (u32).
    pub const PARTY: &str = "party";
    /// Activity kind index in the pledge document (u32).
    pub const ACTIVITY: &str = "activity";
    /// Municipality index in the pledge document (u32, null when the record names none).
    pub const MUNICIPALITY: &str = "municipality";
    /// Whether the record is a request of a conditional commitment (bool).
    pub const REQUEST: &str = "request";
    /// Calendar year (i32).
    pub const YEAR: &str = "year";
    /// Measurement (f64, null for records that are not measurements).
    pub const VALUE: &str = "value";
    /// Position in the input (u64), so that "the latest measurement" is decided the same way every run.
    pub const ROW: &str = "row";
}
use columns::{
    ACTIVITY, COMMITMENT, COUNT, DAY, ID, LOCATION, MILESTONE, MONTH, MUNICIPALITY, PARTY, REQUEST, ROW, VALUE, YEAR,
};

/// Builds the records frame from accepted records, with the optional columns that `shape` asks for (a document
/// without outcomes needs no value column; a million records make each column count).
pub fn records_frame(accepted: &[Accepted], shape: Shape) -> PolarsResult<DataFrame> {
    // Records of a baseline span count toward the baseline only (`counted_baselines`), never toward progress.
    let rows = || accepted.iter().filter(|r| !r.baseline);
    let n = rows().count();
    let mut commitment = Vec::with_capacity(n);
    let mut day = Vec::with_capacity(n);
    let mut month = Vec::with_capacity(n);
    let mut location: Vec<Option<&str>> = Vec::with_capacity(n);
    let mut milestone: Vec<Option<&str>> = Vec::with_capacity(n);
    let mut count = Vec::with_capacity(n);
    let mut id: Vec<&str> = Vec::with_capacity(n);
    let mut party: Vec<u32> = Vec::with_capacity(n);
    for r in rows() {
        commitment.push(r.commitment as u32);
        day.push(r.date.num_days_from_ce());
        month.push(month_index(r.date));
        location.push(r.location.as_deref());
        milestone.push(r.milestone.as_deref());
        count.push(i64::from(r.count));
        id.push(&r.id);
        party.push(r.party);
    }
    let mut columns = vec![
        Column::new(COMMITMENT.into(), commitment),
        Column::new(DAY.into(), day),
        Column::new(MONTH.into(), month),
        Column::new(LOCATION.into(), location),
        Column::new(MILESTONE.into(), milestone),
        Column::new(COUNT.into(), count),
        Column::new(ID.into(), id),
        Column::new(PARTY.into(), party),
    ];
    if shape.activity {
        columns.push(Column::new(ACTIVITY.into(), rows().map(|r| r.activity).collect::<Vec<u32>>()));
    }
    if shape.municipality {
        let values: Vec<Option<u32>> = rows().map(|r| r.municipality).collect();
        columns.push(Column::new(MUNICIPALITY.into(), values));
    }
    if shape.year {
        columns.push(Column::new(YEAR.into(), rows().map(|r| r.date.year()).collect::<Vec<i32>>()));
    }
    if shape.requests {
        columns.push(Column::new(REQUEST.into(), rows().map(|r| r.request).collect::<Vec<bool>>()));
    }
    if shape.measurements {
        let values: Vec<Option<f64>> = rows().map(|r| r.value).collect();
        columns.push(Column::new(VALUE.into(), values));
        columns.push(Column::new(ROW.into(), rows().map(|r| r.row as u64).collect::<Vec<u64>>()));
    }
    DataFrame::new(n, columns)
}

fn month_index(date: NaiveDate) -> i32 {
    Month::of(date).index()
}

fn month_name(index: i32) -> String {
    Month::from_index(index).to_string()
}

/// Sums for one commitment.
#[derive(Debug, Clone, Default, PartialEq)]
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
    /// Party → sum.
    pub by_party: BTreeMap<Party, u64>,
    /// Activity kind index → sum.
    pub by_activity: BTreeMap<usize, u64>,
    /// Municipality index → sum (records that name one).
    pub by_municipality: BTreeMap<usize, u64>,
    /// Year → sum.
    pub by_year: BTreeMap<i32, u64>,
    /// Day → sum, for the buckets of a rate.
    pub by_day: BTreeMap<NaiveDate, u64>,
    /// Sum of the requests' counts (conditional commitments).
    pub requests: u64,
    /// Ids per party, activity kind index, municipality index, year and day, when [`Shape`] asks for them.
    pub ids_by: IdsBy,
    /// Measurements (date, value, input row, id), in input order.
    pub measurements: Vec<(NaiveDate, f64, u64, String)>,
}

/// The record ids behind the breakdowns that a document shows (kept only there: a million ids per breakdown
/// that nobody reads would double the memory of a large run).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdsBy {
    /// Party → ids.
    pub party: BTreeMap<Party, Vec<String>>,
    /// Activity kind index → ids.
    pub activity: BTreeMap<usize, Vec<String>>,
    /// Municipality index → ids.
    pub municipality: BTreeMap<usize, Vec<String>>,
    /// Year → ids.
    pub year: BTreeMap<i32, Vec<String>>,
    /// Day → ids.
    pub day: BTreeMap<NaiveDate, Vec<String>>,
}

/// What a document needs beyond the sums every document has (per commitment, month, place, milestone, party):
/// each optional breakdown is summed, and its ids kept, only when the document shows it.
#[derive(Debug, Clone, Copy, Default)]
#[allow(clippy::struct_excessive_bools)] // one switch per breakdown, read by name
pub struct Shape {
    /// Ids per party (joint commitments; the sums per party are always made).
    pub party: bool,
    /// Per activity kind (commitments counting several kinds).
    pub activity: bool,
    /// Per municipality (documents for several).
    pub municipality: bool,
    /// Per year (documents over several years).
    pub year: bool,
    /// Per day (rates, for their buckets).
    pub day: bool,
    /// Requests apart (conditional commitments).
    pub requests: bool,
    /// Measurements (outcome commitments).
    pub measurements: bool,
}

/// Sums of all commitments up to as-of.
#[derive(Debug, Clone, Default)]
pub struct Sums {
    /// By commitment index; commitments without records are absent.
    pub commitments: HashMap<usize, CommitmentSums>,
    /// Rows dated after as-of (not summed).
    pub after_as_of: usize,
}

/// Sums the records frame up to and including `as_of`, per commitment and per month, place, milestone, party,
/// activity kind, municipality, year and day; requests and measurements apart.
/// `parties` are the document's party keys, which the records frame holds by index.
pub fn aggregate(records: &DataFrame, as_of: NaiveDate, shape: Shape, parties: &[Party]) -> PolarsResult<Sums> {
    let until = records.clone().lazy().filter(col(DAY).lt_eq(lit(as_of.num_days_from_ce())));
    // Requests are not activities toward the commitment: they only set its target.
    let counted = if shape.requests { until.clone().filter(col(REQUEST).not()) } else { until.clone() };
    // Ids stay in input order (the order of the files and rows), which is stable from run to run.
    let sum_and_ids = || [col(COUNT).sum().alias(COUNT), col(ID).alias(ID)];
    let sum = || [col(COUNT).sum().alias(COUNT)];

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
        .agg(sum())
        .collect()?;
    let counted_rows = until.clone().select([len().alias("rows")]).collect()?;

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
    add_breakdowns(&mut sums, &counted, shape, parties)?;
    if shape.requests {
        let requests = until.clone().filter(col(REQUEST)).group_by([col(COMMITMENT)]).agg(sum()).collect()?;
        for (c, n) in keyed(&requests)? {
            sums.commitments.entry(c).or_default().requests = n;
        }
    }
    if shape.measurements {
        let measurements = counted
            .filter(col(VALUE).is_not_null())
            .select([col(COMMITMENT), col(DAY), col(VALUE), col(ROW), col(ID)])
            .collect()?;
        add_measurements(&mut sums, &measurements)?;
    }
    Ok(sums)
}

/// The sums per party, activity kind, municipality, year and day, the optional ones and their ids where `shape` asks.
fn add_breakdowns(sums: &mut Sums, counted: &LazyFrame, shape: Shape, parties: &[Party]) -> PolarsResult<()> {
    for (c, key, n, ids) in numbered(counted, PARTY, true, shape.party)? {
        if let Some(p) = usize::try_from(key).ok().and_then(|i| parties.get(i)).cloned() {
            let entry = sums.commitments.entry(c).or_default();
            entry.by_party.insert(p.clone(), n);
            if shape.party {
                entry.ids_by.party.insert(p, ids);
            }
        }
    }
    for (c, key, n, ids) in numbered(counted, ACTIVITY, shape.activity, shape.activity)? {
        let entry = sums.commitments.entry(c).or_default();
        entry.by_activity.insert(key as usize, n);
        if shape.activity {
            entry.ids_by.activity.insert(key as usize, ids);
        }
    }
    for (c, key, n, ids) in numbered(counted, MUNICIPALITY, shape.municipality, shape.municipality)? {
        let entry = sums.commitments.entry(c).or_default();
        entry.by_municipality.insert(key as usize, n);
        if shape.municipality {
            entry.ids_by.municipality.insert(key as usize, ids);
        }
    }
    for (c, key, n, ids) in numbered(counted, YEAR, shape.year, shape.year)? {
        let entry = sums.commitments.entry(c).or_default();
        entry.by_year.insert(key as i32, n);
        if shape.year {
            entry.ids_by.year.insert(key as i32, ids);
        }
    }
    for (c, key, n, ids) in numbered(counted, DAY, shape.day, shape.day)? {
        if let Some(day) = i32::try_from(key).ok().and_then(NaiveDate::from_num_days_from_ce_opt) {
            let entry = sums.commitments.entry(c).or_default();
            entry.by_day.insert(day, n);
            if shape.day {
                entry.ids_by.day.insert(day, ids);
            }
        }
    }
    Ok(())
}

/// The records grouped by commitment and `key`: the sum of counts, and the ids when `ids` (else an empty list).
fn grouped(counted: &LazyFrame, key: &str, ids: bool) -> PolarsResult<DataFrame> {
    let mut agg = vec![col(COUNT).sum().alias(COUNT)];
    agg.push(if ids { col(ID).alias(ID) } else { col(ID).head(Some(0)).alias(ID) });
    counted.clone().filter(col(key).is_not_null()).group_by([col(COMMITMENT), col(key)]).agg(agg).collect()
}

/// One group of a numeric key: (commitment, key, sum, ids).
type Numbered = (usize, i64, u64, Vec<String>);

/// The groups of a numeric `key` (kind and municipality indexes, years, days).
fn numbered(counted: &LazyFrame, key: &str, needed: bool, ids: bool) -> PolarsResult<Vec<Numbered>> {
    if !needed {
        return Ok(Vec::new());
    }
    let frame = grouped(counted, key, ids)?;
    let keys = frame.column(key)?.cast(&DataType::Int64)?;
    let keys = keys.i64()?;
    Ok(rows(&frame)?.into_iter().enumerate().filter_map(|(i, (c, n, ids))| Some((c, keys.get(i)?, n, ids))).collect())
}

/// The measurements (commitment, day, value, row, id) into each commitment's sums, in input order.
fn add_measurements(sums: &mut Sums, m: &DataFrame) -> PolarsResult<()> {
    let days = m.column(DAY)?.i32()?;
    let values = m.column(VALUE)?.f64()?;
    let input_rows = m.column(ROW)?.u64()?;
    let ids = m.column(ID)?.str()?;
    for i in 0..m.height() {
        let c = m.column(COMMITMENT)?.u32()?.get(i).unwrap_or_default() as usize;
        if let (Some(d), Some(v), Some(r)) =
            (days.get(i).and_then(NaiveDate::from_num_days_from_ce_opt), values.get(i), input_rows.get(i))
        {
            let id = ids.get(i).unwrap_or_default().to_string();
            sums.commitments.entry(c).or_default().measurements.push((d, v, r, id));
        }
    }
    for entry in sums.commitments.values_mut() {
        entry.measurements.sort_by_key(|m| m.2);
    }
    Ok(())
}

/// (commitment, sum) for each row of a frame grouped by commitment.
fn keyed(frame: &DataFrame) -> PolarsResult<impl Iterator<Item = (usize, u64)> + '_> {
    let commitments = frame.column(COMMITMENT)?.u32()?;
    let counts = frame.column(COUNT)?.i64()?;
    Ok(commitments
        .iter()
        .zip(counts.iter())
        .map(|(c, n)| (c.unwrap_or_default() as usize, n.unwrap_or_default().max(0) as u64)))
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
