//! The tables under a commitment, in words, for the PDF and the site alike: the breakdowns (per place under the
//! place list's own label, per activity, party, municipality and year), what coverage still lacks, a rate's
//! buckets, an outcome's measurements and a qualitative promise's evidence.

use serde::Serialize;

use super::{chip, join_and, party_label, Chip};
use crate::pledge::{Commitment, Places, PlacesRule, Pledge, Target};
use crate::progress::CommitmentProgress;
use crate::report::format;
use crate::report::templates::Texts;

/// One breakdown: a heading and a figure per row, in the order the document gives.
#[derive(Debug, Clone, Serialize)]
pub struct Breakdown {
    /// "Per kommundel", "Fotpatrullering per skola", "Per år" …
    pub heading: String,
    /// The heading of the label column on the site ("Plats", "År" …).
    pub column: String,
    /// The rows.
    pub rows: Vec<BreakdownRow>,
}

/// One row of a breakdown.
#[derive(Debug, Clone, Serialize)]
pub struct BreakdownRow {
    /// What the row counts: a place, a year, a party …
    pub label: String,
    /// The sum, for bar lengths.
    pub value: u64,
    /// The sum, formatted.
    pub text: String,
}

/// Every breakdown that says something about commitment `c`; none for an outcome, whose records are
/// measurements, not occasions.
#[must_use]
pub fn breakdowns(texts: &Texts, pledge: &Pledge, c: &Commitment, p: &CommitmentProgress) -> Vec<Breakdown> {
    if matches!(c.target, Target::Outcome { .. }) {
        return Vec::new();
    }
    let lang = texts.language();
    let row = |label: String, value: u64| BreakdownRow { label, value, text: format::integer(value, lang) };
    let mut out = Vec::new();
    if let Some(places) = &c.places {
        let mut rows: Vec<BreakdownRow> = places
            .list
            .names
            .iter()
            .map(|name| row(name.clone(), p.by_location.get(name).copied().unwrap_or(0)))
            .collect();
        if let Some(other) = p.other_places {
            rows.push(row(texts.plain("other_places"), other));
        }
        out.push(Breakdown { heading: places_heading(texts, c, places), column: texts.plain("col_place"), rows });
    }
    let mut add = |heading: &str, column: &str, rows: Vec<BreakdownRow>| {
        if !rows.is_empty() {
            out.push(Breakdown { heading: texts.plain(heading), column: texts.plain(column), rows });
        }
    };
    add(
        "activities_heading",
        "col_activity",
        c.activities
            .iter()
            .filter_map(|kind| {
                let n = p.by_activity.get(kind)?;
                let label =
                    pledge.activities.iter().find(|a| &a.kind == kind).map_or(kind.clone(), |a| a.label.clone());
                Some(row(label, *n))
            })
            .collect(),
    );
    add(
        "parties_heading",
        "col_party",
        pledge
            .parties
            .iter()
            .filter_map(|d| p.by_party.get(&d.key).map(|n| row(party_label(texts, pledge, &d.key), *n)))
            .collect(),
    );
    // Records that name no municipality get a row of their own, so that the rows add up to the total.
    let mut municipalities: Vec<BreakdownRow> =
        pledge.municipalities.iter().filter_map(|m| p.by_municipality.get(m).map(|n| row(m.clone(), *n))).collect();
    if let Some(n) = p.no_municipality {
        municipalities.push(row(texts.plain("no_municipality"), n));
    }
    add("municipalities_heading", "col_municipality", municipalities);
    add("years_heading", "col_year", p.by_year.iter().map(|(y, n)| row(y.clone(), *n)).collect());
    out
}

/// The heading of a place breakdown: the place list's label ("per kommundel" → "Per kommundel"). An inline list
/// has no label: the foot patrols of SPEC §1 keep the heading they always had, any other list is "Per plats".
fn places_heading(texts: &Texts, c: &Commitment, places: &Places) -> String {
    match &places.list.label {
        Some(label) => {
            let mut chars = label.trim().chars();
            chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
        }
        None if c.counts("fotpatrull_skola") => texts.plain("schools_heading"),
        None => texts.plain("places_heading"),
    }
}

/// What coverage still lacks: "Ej besökta: A och B." for listed places that need one visit each ("Färre än 3
/// besök i: A och B." when each needs more), "Under målet i: Orust kommun." for the municipalities of an
/// `each_municipality` commitment.
#[must_use]
pub fn coverage_lines(texts: &Texts, pledge: &Pledge, c: &Commitment, p: &CommitmentProgress) -> Vec<String> {
    let listed = |name: &String| c.places.as_ref().is_some_and(|pl| pl.list.names.contains(name));
    let (places, rest): (Vec<String>, Vec<String>) = p.uncovered.iter().cloned().partition(listed);
    let municipalities: Vec<String> = rest.into_iter().filter(|m| pledge.municipalities.contains(m)).collect();
    let mut lines = Vec::new();
    if !places.is_empty() {
        let names = join_and(texts, &places);
        let line = match c.places.as_ref().map(|pl| pl.rule) {
            Some(PlacesRule::Each { per_place }) if per_place > 1 => texts.render(
                "uncovered_places_below",
                minijinja::context! { names => names, per_place => format::integer(u64::from(per_place), texts.language()) },
            ),
            _ => texts.render("uncovered_places", minijinja::context! { names => names }),
        };
        lines.push(line);
    }
    if !municipalities.is_empty() {
        lines.push(
            texts.render("uncovered_municipalities", minijinja::context! { names => join_and(texts, &municipalities) }),
        );
    }
    lines
}

/// One bucket of a rate, in words.
#[derive(Debug, Clone, Serialize)]
pub struct BucketRow {
    /// "1 januari–30 juni 2024".
    pub range: String,
    /// The bucket's target, formatted.
    pub target: String,
    /// Done in the bucket, formatted.
    pub achieved: String,
    /// The status as a coloured chip.
    #[serde(flatten)]
    pub chip: Chip,
}

/// The buckets of a rate that have started, in order.
#[must_use]
pub fn bucket_rows(texts: &Texts, p: &CommitmentProgress) -> Vec<BucketRow> {
    let lang = texts.language();
    p.by_bucket
        .iter()
        .map(|b| BucketRow {
            range: format::date_range(b.start, b.end, lang),
            target: format::integer(u64::from(b.target), lang),
            achieved: format::integer(b.achieved, lang),
            chip: chip(texts, b.status),
        })
        .collect()
}

/// An outcome's measurements as (date, value with unit), oldest first.
#[must_use]
pub fn measurement_rows(texts: &Texts, p: &CommitmentProgress) -> Vec<(String, String)> {
    let lang = texts.language();
    p.outcome
        .iter()
        .flat_map(|o| {
            o.measurements
                .iter()
                .map(|m| (format::date(m.date, lang), format::measure(m.value, o.unit.as_deref(), lang)))
        })
        .collect()
}

/// One record listed as evidence of a qualitative promise.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceRow {
    /// The date, in words.
    pub date: String,
    /// The activity's label from the document.
    pub activity: String,
    /// Where, or empty.
    pub place: String,
    /// The internal note; always `None` unless the caller asked for the internal edition.
    pub note: Option<String>,
}

/// The evidence of a qualitative promise, by date. Notes are copied only when `internal`: the public PDF, the
/// site and the public mail never show them.
#[must_use]
pub fn evidence_rows(texts: &Texts, pledge: &Pledge, p: &CommitmentProgress, internal: bool) -> Vec<EvidenceRow> {
    let lang = texts.language();
    p.evidence
        .iter()
        .map(|e| EvidenceRow {
            date: format::date(e.date, lang),
            activity: pledge
                .activities
                .iter()
                .find(|a| a.kind == e.activity)
                .map_or_else(|| e.activity.clone(), |a| a.label.clone()),
            place: e.location.clone().unwrap_or_default(),
            note: e.note.clone().filter(|_| internal),
        })
        .collect()
}
