//! Pledge TOML text → [`Pledge`], reporting every problem at once with its line and column.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;
use toml::Spanned;

use super::model::{
    ActivityKind, Bucket, Commitment, Direction, Milestone, Parties, PartyDef, PlaceList, Places, PlacesRule, Pledge,
    Signatory, Target, TargetKind,
};
use super::Party;
use crate::problem::{Problem, Problems};
use crate::text::fold;

/// The longest pledge period a document may have (SPEC §10).
const MAX_YEARS: i32 = 5;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPledge {
    id: Spanned<String>,
    title: String,
    municipality: Option<Spanned<String>>,
    municipalities: Option<Spanned<Vec<String>>>,
    police_area: String,
    period: Spanned<RawPeriod>,
    signed: RawSigned,
    #[serde(default)]
    introduction: String,
    #[serde(default)]
    situation: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    focus_areas: Vec<String>,
    parties: Option<Vec<Spanned<RawParty>>>,
    #[serde(default)]
    signatories: Vec<RawSignatory>,
    #[serde(default)]
    places: BTreeMap<String, Spanned<RawPlaceList>>,
    #[serde(default)]
    activities: Vec<Spanned<RawActivity>>,
    #[serde(default)]
    commitments: Vec<Spanned<RawCommitment>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    start: Spanned<toml::value::Datetime>,
    end: Spanned<toml::value::Datetime>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSigned {
    date: Spanned<toml::value::Datetime>,
    place: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParty {
    key: Spanned<String>,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignatory {
    name: String,
    title: String,
    party: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlaceList {
    /// The breakdown's heading; without it the report says "Per plats".
    label: Option<String>,
    names: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawActivity {
    kind: Spanned<String>,
    label: String,
}

/// `places = "key"` (a named list) or `places = ["A", "B"]` (inline).
#[derive(Deserialize)]
#[serde(untagged)]
enum RawPlaces {
    Named(String),
    Inline(Vec<String>),
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum RawRule {
    Only,
    Report,
    Each,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommitment {
    id: Spanned<String>,
    party: Option<Spanned<String>>,
    parties: Option<Spanned<Vec<String>>>,
    activity: Option<Spanned<String>>,
    activities: Option<Spanned<Vec<String>>>,
    title: String,
    text: String,
    target_kind: Spanned<TargetKind>,
    target: Option<Spanned<f64>>,
    per: Option<Spanned<Bucket>>,
    baseline: Option<Spanned<f64>>,
    baseline_from: Option<Spanned<RawPeriod>>,
    #[serde(default)]
    baseline_is_example: bool,
    direction: Option<Spanned<Direction>>,
    unit: Option<Spanned<String>>,
    on_request: Option<Spanned<bool>>,
    request_activity: Option<Spanned<String>>,
    #[serde(default)]
    milestones: Vec<RawMilestone>,
    places: Option<Spanned<RawPlaces>>,
    places_rule: Option<Spanned<RawRule>>,
    per_place: Option<Spanned<i64>>,
    each_municipality: Option<Spanned<bool>>,
    #[serde(default)]
    counts_publications: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMilestone {
    key: String,
    label: String,
}

/// What the commitments are checked against: the document-level lists.
struct Context<'a> {
    parties: &'a [PartyDef],
    place_lists: &'a BTreeMap<String, PlaceList>,
    activities: &'a [ActivityKind],
    municipalities: usize,
    period: Option<(NaiveDate, NaiveDate)>,
}

/// Parses and validates a pledge document. `file` is only used to name the place of each problem.
pub fn parse(file: &Path, text: &str) -> Result<Pledge, Vec<Problem>> {
    let raw: RawPledge = toml::from_str(text)
        .map_err(|e| vec![Problem::at(file, text, e.span(), crate::problem::without_values(e.message()))])?;
    let mut problems = Problems::new(file, text);
    if !is_safe_id(raw.id.get_ref()) {
        problems.at(
            raw.id.span(),
            format!(
                "document id {:?} may only hold a–z, 0–9 and '-' (it becomes a folder name in the archive)",
                raw.id.get_ref()
            ),
        );
    }
    let municipalities = municipalities(&raw, &mut problems);
    let start = date(&raw.period.get_ref().start, "period.start", &mut problems);
    let end = date(&raw.period.get_ref().end, "period.end", &mut problems);
    let signed_on = date(&raw.signed.date, "signed.date", &mut problems);
    let end_span = raw.period.get_ref().end.span();
    let period = start.zip(end).filter(|(start, end)| period_ok(*start, *end, end_span.clone(), &mut problems));

    let parties = parties(raw.parties, raw.id.span(), &mut problems);
    let mut signatories = Vec::new();
    for s in raw.signatories {
        match find_party(&parties, s.party.get_ref()) {
            Some(party) => signatories.push(Signatory { name: s.name, title: s.title, party }),
            None => problems.at(s.party.span(), unknown_party(s.party.get_ref(), &parties)),
        }
    }
    let place_lists = place_lists(raw.places, &mut problems);

    let mut activities: Vec<ActivityKind> = Vec::new();
    for a in raw.activities {
        let (span, a) = (a.span(), a.into_inner());
        if activities.iter().any(|b| b.kind == *a.kind.get_ref()) {
            problems.at(span, format!("activity kind {:?} is defined twice", a.kind.get_ref()));
        }
        activities.push(ActivityKind { kind: a.kind.into_inner(), label: a.label });
    }

    let id_span = raw.id.span();
    let context = Context {
        parties: &parties,
        place_lists: &place_lists,
        activities: &activities,
        municipalities: municipalities.len(),
        period,
    };
    let commitments = commitments(raw.commitments, &context, &mut problems);
    if commitments.is_empty() && problems.list.is_empty() {
        problems.at(
            id_span,
            "the document has no commitments: add at least one [[commitments]] entry (an empty report would be published)",
        );
    }

    match (period, signed_on) {
        (Some((start, end)), Some(signed_on)) if problems.list.is_empty() => Ok(Pledge {
            id: raw.id.into_inner(),
            title: raw.title,
            municipality: municipalities.join(", "),
            municipalities,
            police_area: raw.police_area,
            start,
            end,
            signed_on,
            signed_place: raw.signed.place,
            introduction: raw.introduction,
            situation: raw.situation,
            purpose: raw.purpose,
            focus_areas: raw.focus_areas,
            parties,
            signatories,
            place_lists,
            activities,
            commitments,
        }),
        _ => Err(problems.list),
    }
}

/// `municipality = "…"` or `municipalities = [...]`, exactly one of them, without repeats.
fn municipalities(raw: &RawPledge, problems: &mut Problems) -> Vec<String> {
    match (&raw.municipality, &raw.municipalities) {
        (Some(one), None) => vec![one.get_ref().clone()],
        (None, Some(list)) if list.get_ref().is_empty() => {
            problems.at(list.span(), "municipalities is empty: name the municipality the document is signed for");
            Vec::new()
        }
        (None, Some(list)) => {
            let mut seen = HashSet::new();
            for m in list.get_ref() {
                if !seen.insert(fold(m)) {
                    problems.at(list.span(), format!("municipality {m:?} is listed twice"));
                }
            }
            list.get_ref().clone()
        }
        (Some(one), Some(_)) => {
            problems.at(one.span(), "give either municipality = \"…\" or municipalities = [...], not both");
            Vec::new()
        }
        (None, None) => {
            problems.at(
                raw.id.span(),
                "the document names no municipality: add municipality = \"…\" (or municipalities = [...] for several)",
            );
            Vec::new()
        }
    }
}

/// The period must run forwards and for at most [`MAX_YEARS`] years.
fn period_ok(start: NaiveDate, end: NaiveDate, span: Range<usize>, problems: &mut Problems) -> bool {
    if end < start {
        problems
            .at(span, format!("period ends ({end}) before it starts ({start}): swap the dates or correct the year"));
        return false;
    }
    let limit = start.checked_add_months(chrono::Months::new(12 * MAX_YEARS.unsigned_abs())).unwrap_or(start);
    if end >= limit {
        problems.at(
            span,
            format!(
                "period {start} – {end} is longer than {MAX_YEARS} years: a pledge document covers at most {MAX_YEARS}"
            ),
        );
        return false;
    }
    true
}

/// `[[parties]]` when given (the complete list), else polisen and kommunen.
fn parties(raw: Option<Vec<Spanned<RawParty>>>, id_span: Range<usize>, problems: &mut Problems) -> Vec<PartyDef> {
    let Some(raw) = raw else {
        return vec![PartyDef { key: Party::polisen(), name: None }, PartyDef { key: Party::kommunen(), name: None }];
    };
    if raw.is_empty() {
        problems.at(id_span, "[[parties]] is empty: list every party, or leave it out for polisen and kommunen");
    }
    let mut parties: Vec<PartyDef> = Vec::new();
    for p in raw {
        let p = p.into_inner();
        let key = p.key.get_ref();
        if !is_party_key(key) {
            problems.at(p.key.span(), format!("party key {key:?} may only hold a–z, 0–9, '_' and '-'"));
        } else if parties.iter().any(|q| q.key.key() == key) {
            problems.at(p.key.span(), format!("party {key:?} is listed twice"));
        } else if p.name.trim().is_empty() {
            problems.at(p.key.span(), format!("party {key:?} has no name: write the name the document uses"));
        } else {
            parties.push(PartyDef { key: Party::new(key), name: Some(p.name) });
        }
    }
    parties
}

fn is_party_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn find_party(parties: &[PartyDef], text: &str) -> Option<Party> {
    parties.iter().map(|p| &p.key).find(|p| p.key().eq_ignore_ascii_case(text.trim())).cloned()
}

/// `[places.<key>]` lists: a label and at least one name, no name twice.
fn place_lists(raw: BTreeMap<String, Spanned<RawPlaceList>>, problems: &mut Problems) -> BTreeMap<String, PlaceList> {
    let mut lists = BTreeMap::new();
    for (key, list) in raw {
        let span = list.span();
        let list = list.into_inner();
        if list.names.is_empty() {
            problems.at(span.clone(), format!("place list {key:?} has no names"));
        }
        if let Some(twice) = repeated(&list.names) {
            problems.at(
                span,
                format!("place list {key:?} names {twice:?} twice (compared without case, accents and spaces)"),
            );
        }
        lists.insert(key, PlaceList { label: list.label, names: list.names });
    }
    lists
}

/// The first name that appears twice, compared the way records are matched.
fn repeated(names: &[String]) -> Option<&String> {
    let mut seen = HashSet::new();
    names.iter().find(|n| !seen.insert(fold(n)))
}

/// The commitments, each checked against the document's lists and the other commitments.
fn commitments(raw: Vec<Spanned<RawCommitment>>, cx: &Context, problems: &mut Problems) -> Vec<Commitment> {
    let mut commitments: Vec<Commitment> = Vec::new();
    let mut ids = HashSet::new();
    // Each activity kind counts toward one commitment, as answers or as requests: kind → commitment id.
    let mut used: BTreeMap<String, String> = BTreeMap::new();
    for c in raw {
        let (span, c) = (c.span(), c.into_inner());
        let id = c.id.get_ref().clone();
        if !ids.insert(id.clone()) {
            problems.at(c.id.span(), format!("commitment id {id:?} is used twice: give each commitment its own id"));
        }
        let before = problems.list.len();
        let parties = commitment_parties(&c, span.clone(), cx, problems);
        let activities = commitment_activities(&c, span.clone(), cx, &mut used, problems);
        let target = target(&c, span.clone(), cx, &mut used, problems);
        let places = places(&c, cx, problems);
        let each_municipality = each_municipality(&c, cx, problems);
        let baseline_from = baseline_from(&c, cx, problems);
        if let (Some(parties), Some(target), true) = (parties, target, problems.list.len() == before) {
            commitments.push(Commitment {
                id: c.id.into_inner(),
                parties,
                activities,
                title: c.title,
                text: c.text,
                target,
                places,
                each_municipality,
                baseline_from,
                counts_publications: c.counts_publications,
            });
        }
    }
    commitments
}

/// `party = "x"` or `parties = [...]` (`["*"]` for any party of the document).
fn commitment_parties(c: &RawCommitment, span: Range<usize>, cx: &Context, problems: &mut Problems) -> Option<Parties> {
    let id = c.id.get_ref();
    let (list, list_span) = match (&c.party, &c.parties) {
        (Some(one), None) => (vec![one.get_ref().clone()], one.span()),
        (None, Some(many)) => (many.get_ref().clone(), many.span()),
        (Some(one), Some(_)) => {
            problems.at(one.span(), format!("commitment {id:?}: give either party or parties, not both"));
            return None;
        }
        (None, None) => {
            problems
                .at(span, format!("commitment {id:?} names no party: add party = \"…\" or parties = [\"…\", \"…\"]"));
            return None;
        }
    };
    if list.iter().any(|p| p == "*") {
        if list.len() > 1 {
            problems.at(
                list_span,
                format!("commitment {id:?}: \"*\" already means every party; write parties = [\"*\"] alone"),
            );
            return None;
        }
        return Some(Parties::Any);
    }
    if list.is_empty() {
        problems.at(list_span, format!("commitment {id:?}: parties is empty"));
        return None;
    }
    let mut found = Vec::new();
    for p in &list {
        match find_party(cx.parties, p) {
            Some(party) if !found.contains(&party) => found.push(party),
            Some(_) => problems.at(list_span.clone(), format!("commitment {id:?} names party {p:?} twice")),
            None => problems.at(list_span.clone(), unknown_party(p, cx.parties)),
        }
    }
    (found.len() == list.len()).then_some(Parties::Listed(found))
}

/// `activity = "a"` or `activities = ["a", "b"]`, each defined and counting toward no other commitment.
fn commitment_activities(
    c: &RawCommitment,
    span: Range<usize>,
    cx: &Context,
    used: &mut BTreeMap<String, String>,
    problems: &mut Problems,
) -> Vec<String> {
    let id = c.id.get_ref();
    let (list, list_span) = match (&c.activity, &c.activities) {
        (Some(one), None) => (vec![one.get_ref().clone()], one.span()),
        (None, Some(many)) if !many.get_ref().is_empty() => (many.get_ref().clone(), many.span()),
        (None, Some(many)) => {
            problems.at(many.span(), format!("commitment {id:?}: activities is empty"));
            return Vec::new();
        }
        (Some(one), Some(_)) => {
            problems.at(one.span(), format!("commitment {id:?}: give either activity or activities, not both"));
            return Vec::new();
        }
        (None, None) => {
            problems.at(span, format!("commitment {id:?} names no activity kind: add activity = \"…\""));
            return Vec::new();
        }
    };
    for kind in &list {
        claim_activity(id, kind, list_span.clone(), cx, used, problems);
    }
    list
}

/// Checks that `kind` is defined and not already counted by another commitment, and claims it for `id`.
fn claim_activity(
    id: &str,
    kind: &str,
    span: Range<usize>,
    cx: &Context,
    used: &mut BTreeMap<String, String>,
    problems: &mut Problems,
) {
    if !cx.activities.iter().any(|a| a.kind == kind) {
        problems
            .at(span, format!("commitment {id:?} names activity kind {kind:?}, which no [[activities]] entry defines"));
    } else if let Some(other) = used.get(kind) {
        let whose = if other == id { "this commitment".to_string() } else { format!("commitment {other:?}") };
        problems.at(
            span,
            format!(
                "activity kind {kind:?} already counts toward {whose}; each kind may count toward one commitment, once"
            ),
        );
    } else {
        used.insert(kind.to_string(), id.to_string());
    }
}

/// The commitment's target, or a problem (at the commitment's table when a key is missing).
fn target(
    c: &RawCommitment,
    span: Range<usize>,
    cx: &Context,
    used: &mut BTreeMap<String, String>,
    problems: &mut Problems,
) -> Option<Target> {
    let id = c.id.get_ref();
    let kind = *c.target_kind.get_ref();
    let on_request = c.on_request.as_ref().is_some_and(|b| *b.get_ref());
    foreign_keys(c, span.clone(), problems);
    let before = problems.list.len();
    let target = match kind {
        TargetKind::AtLeast if on_request => {
            let Some(r) = &c.request_activity else {
                problems.at(span, format!("commitment {id:?}: on_request needs request_activity = \"kind\" (the records that are requests)"));
                return None;
            };
            claim_activity(id, r.get_ref(), r.span(), cx, used, problems);
            Some(Target::OnRequest { request_activity: r.get_ref().clone() })
        }
        TargetKind::AtLeast => {
            let Some(t) = &c.target else {
                problems.at(span, format!("commitment {id:?}: target_kind \"at_least\" needs `target = N` (write target_kind = \"count\" when no number was promised)"));
                return None;
            };
            let value = whole(t, id, "target", 1, problems)?;
            let per = c.per.as_ref().map(|p| (*p.get_ref(), p.span()));
            if let (Some((bucket, per_span)), Some((start, end))) = (per.clone(), cx.period) {
                if end < one_unit_from(bucket, start) {
                    problems.at(
                        per_span,
                        format!("commitment {id:?}: per = \"{}\" is longer than the pledge period {start} – {end}; use a shorter unit or no per", bucket.key()),
                    );
                }
            }
            Some(Target::AtLeast { value, per: per.map(|p| p.0) })
        }
        TargetKind::Count => Some(Target::Count),
        TargetKind::Assessed => Some(Target::Assessed),
        TargetKind::Increase | TargetKind::Decrease => {
            let baseline = count_baseline(c, span.clone(), kind, problems)?;
            let baseline_is_example = c.baseline_is_example;
            Some(if kind == TargetKind::Increase {
                Target::Increase { baseline, baseline_is_example }
            } else {
                Target::Decrease { baseline, baseline_is_example }
            })
        }
        TargetKind::Outcome => {
            let direction = c.direction.as_ref().map(|d| *d.get_ref());
            let baseline = c.baseline.as_ref().map(|b| *b.get_ref());
            if direction.is_none() {
                problems.at(span.clone(), format!("commitment {id:?}: an outcome needs direction = \"increase\" or \"decrease\" (which way is better)"));
            }
            if baseline.is_none() {
                problems.at(
                    span.clone(),
                    format!("commitment {id:?}: an outcome needs baseline = N (the measurement it starts from)"),
                );
            }
            let target = c.target.as_ref().map(|t| *t.get_ref());
            if let (Some(d), Some(b), Some(t), Some(ts)) = (direction, baseline, target, &c.target) {
                let better = match d {
                    Direction::Increase => t > b,
                    Direction::Decrease => t < b,
                };
                if !better {
                    problems.at(
                        ts.span(),
                        format!(
                            "commitment {id:?}: target {t} is not better than baseline {b} in direction \"{}\"",
                            direction_key(d)
                        ),
                    );
                }
            }
            Some(Target::Outcome {
                direction: direction?,
                baseline: baseline?,
                baseline_is_example: c.baseline_is_example,
                target,
                unit: c.unit.as_ref().map(|u| u.get_ref().clone()),
            })
        }
        TargetKind::Milestones => milestones(c, span.clone(), problems),
    };
    if c.baseline_is_example && !matches!(kind, TargetKind::Increase | TargetKind::Decrease | TargetKind::Outcome) {
        problems.at(span, format!("commitment {id:?}: baseline_is_example applies only to a baseline: remove it"));
    }
    target.filter(|_| problems.list.len() == before)
}

/// Keys that belong to other target kinds than the commitment's: each is a problem at the key.
fn foreign_keys(c: &RawCommitment, span: Range<usize>, problems: &mut Problems) {
    let id = c.id.get_ref();
    let kind = *c.target_kind.get_ref();
    let kind_name = kind.key();
    let on_request = c.on_request.as_ref().is_some_and(|b| *b.get_ref());
    let mut refuse = |key: &str, span: Range<usize>, why: &str| {
        problems.at(
            span,
            format!("commitment {id:?}: `{key}` does not apply to target_kind \"{kind_name}\" ({why}): remove it"),
        );
    };
    if let Some(per) = &c.per {
        if kind != TargetKind::AtLeast || on_request {
            refuse("per", per.span(), "only an at_least target with a number can be a rate");
        }
    }
    if let Some(t) = &c.target {
        if !matches!(kind, TargetKind::AtLeast | TargetKind::Outcome) || on_request {
            let why = if on_request { "the requests are the target" } else { "this kind promises no number" };
            refuse("target", t.span(), why);
        }
    }
    if let Some(b) = &c.baseline {
        if !matches!(kind, TargetKind::Increase | TargetKind::Decrease | TargetKind::Outcome) {
            refuse("baseline", b.span(), "only increase, decrease and outcome have a baseline");
        }
    }
    if let Some(d) = &c.direction {
        if kind != TargetKind::Outcome {
            refuse("direction", d.span(), "only an outcome has a direction");
        }
    }
    if let Some(u) = &c.unit {
        if kind != TargetKind::Outcome {
            refuse("unit", u.span(), "only an outcome is measured in a unit");
        }
    }
    if let Some(r) = &c.on_request {
        if *r.get_ref() && kind != TargetKind::AtLeast {
            refuse("on_request", r.span(), "a conditional promise is an at_least target without a number");
        }
    }
    if let Some(r) = &c.request_activity {
        if !on_request {
            refuse("request_activity", r.span(), "it names the requests of an on_request commitment");
        }
    }
    if !c.milestones.is_empty() && kind != TargetKind::Milestones {
        refuse("milestones", span.clone(), "only a milestones target has milestones");
    }
}

/// The last day of one whole `bucket` counted from `start`: a period shorter than that cannot hold one. Counted in
/// calendar months, so that a year from 1 March 2024 (over a leap day) ends on 28 February 2025.
fn one_unit_from(bucket: Bucket, start: NaiveDate) -> NaiveDate {
    let months = match bucket {
        Bucket::Week => return start + chrono::Duration::days(6),
        Bucket::Month => 1,
        Bucket::Quarter => 3,
        Bucket::Tertial => 4,
        Bucket::Half => 6,
        Bucket::Year => 12,
    };
    start.checked_add_months(chrono::Months::new(months)).and_then(|d| d.pred_opt()).unwrap_or(start)
}

/// The baseline of an increase or a decrease: `baseline = N`, or 0 until a follow-up counts it from the records of
/// its `baseline_from` span (`progress::counted_baselines`).
fn count_baseline(c: &RawCommitment, span: Range<usize>, kind: TargetKind, problems: &mut Problems) -> Option<u32> {
    let id = c.id.get_ref();
    match (&c.baseline, &c.baseline_from) {
        (Some(b), None) => whole(b, id, "baseline", u32::from(kind == TargetKind::Decrease), problems),
        (None, Some(_)) => Some(0),
        (Some(b), Some(_)) => {
            problems.at(
                b.span(),
                format!("commitment {id:?}: give either baseline = N or baseline_from = {{ start, end }}, not both"),
            );
            None
        }
        (None, None) => {
            problems.at(span, format!("commitment {id:?}: target_kind \"{}\" needs `baseline = N`, or `baseline_from = {{ start = …, end = … }}` to count it from the records of an earlier span", kind.key()));
            None
        }
    }
}

fn milestones(c: &RawCommitment, span: Range<usize>, problems: &mut Problems) -> Option<Target> {
    let id = c.id.get_ref();
    if c.milestones.is_empty() {
        problems.at(
            span,
            format!("commitment {id:?} is a milestone commitment without milestones: add [[commitments.milestones]] entries"),
        );
        return None;
    }
    if c.milestones
        .iter()
        .enumerate()
        .any(|(i, m)| c.milestones[..i].iter().any(|n| n.key.eq_ignore_ascii_case(&m.key)))
    {
        problems.at(
            span,
            format!("commitment {id:?} names a milestone key twice (keys are compared without case); a repeated key could never be reached: give each milestone its own key"),
        );
        return None;
    }
    Some(Target::Milestones {
        milestones: c.milestones.iter().map(|m| Milestone { key: m.key.clone(), label: m.label.clone() }).collect(),
    })
}

/// A whole number of at least `least`, written as a TOML integer (or a float with no fraction).
fn whole(value: &Spanned<f64>, id: &str, key: &str, least: u32, problems: &mut Problems) -> Option<u32> {
    let v = *value.get_ref();
    if v.fract() == 0.0 && v >= f64::from(least) && v < f64::from(u32::MAX) {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked just above
        return Some(v as u32);
    }
    let what = if least == 0 { "0 or more" } else { "a positive whole number" };
    let what = if least > 1 { format!("a whole number of at least {least}") } else { what.to_string() };
    problems.at(value.span(), format!("commitment {id:?}: {key} must be {what}, not {v}"));
    None
}

fn direction_key(d: Direction) -> &'static str {
    match d {
        Direction::Increase => "increase",
        Direction::Decrease => "decrease",
    }
}

/// `places` (a list key or an inline list) with `places_rule` and `per_place`.
fn places(c: &RawCommitment, cx: &Context, problems: &mut Problems) -> Option<Places> {
    let id = c.id.get_ref();
    let Some(raw) = &c.places else {
        if let Some(rule) = &c.places_rule {
            problems.at(
                rule.span(),
                format!("commitment {id:?}: places_rule without places: add places = \"<list>\" or remove it"),
            );
        }
        if let Some(n) = &c.per_place {
            problems.at(n.span(), format!("commitment {id:?}: per_place without places: remove it"));
        }
        return None;
    };
    let list = match raw.get_ref() {
        RawPlaces::Named(key) => {
            if let Some(list) = cx.place_lists.get(key) {
                list.clone()
            } else {
                let known: Vec<&str> = cx.place_lists.keys().map(String::as_str).collect();
                let hint = if known.is_empty() {
                    "the document has no [places.<key>] lists".to_string()
                } else {
                    format!("known lists: {}", known.join(", "))
                };
                problems.at(
                    raw.span(),
                    format!("commitment {id:?} names place list {key:?}, which is not defined ({hint})"),
                );
                return None;
            }
        }
        RawPlaces::Inline(names) => {
            if names.is_empty() {
                problems
                    .at(raw.span(), format!("commitment {id:?}: places is empty: list the places or remove the key"));
                return None;
            }
            if let Some(twice) = repeated(names) {
                problems.at(raw.span(), format!("commitment {id:?} names place {twice:?} twice"));
            }
            PlaceList { label: None, names: names.clone() }
        }
    };
    let rule = c.places_rule.as_ref().map_or(RawRule::Only, |r| *r.get_ref());
    let per_place = match (&c.per_place, rule) {
        (None, _) => 1,
        (Some(n), RawRule::Each) => match u32::try_from(*n.get_ref()) {
            Ok(v) if v > 0 => v,
            _ => {
                problems.at(
                    n.span(),
                    format!("commitment {id:?}: per_place must be a positive whole number, not {}", n.get_ref()),
                );
                1
            }
        },
        (Some(n), _) => {
            problems.at(
                n.span(),
                format!("commitment {id:?}: per_place applies only with places_rule = \"each\": remove it"),
            );
            1
        }
    };
    if rule == RawRule::Each
        && matches!(c.target_kind.get_ref(), TargetKind::Decrease | TargetKind::Outcome | TargetKind::Assessed)
    {
        problems.at(
            c.places_rule.as_ref().map_or(raw.span(), Spanned::span),
            format!("commitment {id:?}: places_rule = \"each\" (every place covered) does not fit a decrease, an outcome or an assessed promise: use \"report\" or \"only\""),
        );
    }
    let rule = match rule {
        RawRule::Only => PlacesRule::Only,
        RawRule::Report => PlacesRule::Report,
        RawRule::Each => PlacesRule::Each { per_place },
    };
    Some(Places { list, rule })
}

/// `baseline_from = { start, end }`: a span before the pledge period whose records of the commitment's activities
/// are counted as its baseline (an increase or a decrease over last year, say).
fn baseline_from(c: &RawCommitment, cx: &Context, problems: &mut Problems) -> Option<(NaiveDate, NaiveDate)> {
    let raw = c.baseline_from.as_ref()?;
    let id = c.id.get_ref();
    if !matches!(c.target_kind.get_ref(), TargetKind::Increase | TargetKind::Decrease) {
        problems.at(
            raw.span(),
            format!("commitment {id:?}: baseline_from applies to an increase or a decrease target only"),
        );
        return None;
    }
    if c.baseline_is_example {
        problems.at(
            raw.span(),
            format!("commitment {id:?}: a baseline counted from records is no example: remove baseline_is_example"),
        );
    }
    let start = date(&raw.get_ref().start, "baseline_from.start", problems)?;
    let end = date(&raw.get_ref().end, "baseline_from.end", problems)?;
    if end < start {
        problems.at(raw.span(), format!("commitment {id:?}: baseline_from ends ({end}) before it starts ({start})"));
        return None;
    }
    if let Some((period_start, _)) = cx.period {
        if end >= period_start {
            problems.at(
                raw.span(),
                format!("commitment {id:?}: baseline_from must end before the pledge period starts ({period_start}): it is the figure to beat, counted before the promise"),
            );
            return None;
        }
    }
    Some((start, end))
}

fn each_municipality(c: &RawCommitment, cx: &Context, problems: &mut Problems) -> bool {
    let Some(flag) = &c.each_municipality else { return false };
    if *flag.get_ref() && cx.municipalities < 2 {
        problems.at(
            flag.span(),
            format!("commitment {:?}: each_municipality needs a document signed for several municipalities (municipalities = [...])", c.id.get_ref()),
        );
    }
    // The target is judged in each municipality for these kinds only (docs/progress.md); a rate, milestones, a
    // conditional, a measured aim or a verdict per municipality is one commitment per municipality.
    let kind = *c.target_kind.get_ref();
    let fits = match kind {
        TargetKind::AtLeast => c.per.is_none() && !c.on_request.as_ref().is_some_and(|b| *b.get_ref()),
        TargetKind::Count | TargetKind::Increase | TargetKind::Decrease => true,
        TargetKind::Milestones | TargetKind::Outcome | TargetKind::Assessed => false,
    };
    if *flag.get_ref() && !fits {
        problems.at(
            flag.span(),
            format!(
                "commitment {:?}: each_municipality applies to at_least (without per or on_request), count, increase and decrease targets, not to this one; write one commitment per municipality instead",
                c.id.get_ref()
            ),
        );
    }
    *flag.get_ref()
}

fn date(value: &Spanned<toml::value::Datetime>, what: &str, problems: &mut Problems) -> Option<NaiveDate> {
    let date = toml_date(value.get_ref());
    if date.is_none() {
        problems.at(value.span(), format!("{what} must be a date like 2021-01-01"));
    }
    date
}

fn unknown_party(text: &str, parties: &[PartyDef]) -> String {
    let keys: Vec<String> = parties.iter().map(|p| format!("{:?}", p.key.key())).collect();
    format!("party {text:?} is not a party of this document: write one of {}", keys.join(", "))
}

/// Ids become folder names and Message-ID parts, so they are kept to a safe alphabet.
#[must_use]
pub fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('-')
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn toml_date(value: &toml::value::Datetime) -> Option<NaiveDate> {
    if value.time.is_some() || value.offset.is_some() {
        return None;
    }
    let d = value.date?;
    NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
}
