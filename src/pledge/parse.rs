//! Pledge TOML text → [`Pledge`], reporting every problem at once with its line and column.

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;
use toml::Spanned;

use super::{ActivityKind, Commitment, Milestone, Party, Pledge, Signatory, Target};
use crate::problem::Problem;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPledge {
    id: Spanned<String>,
    title: String,
    municipality: String,
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
    #[serde(default)]
    signatories: Vec<RawSignatory>,
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
struct RawSignatory {
    name: String,
    title: String,
    party: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawActivity {
    kind: Spanned<String>,
    label: String,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum TargetKind {
    AtLeast,
    Milestones,
    Increase,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommitment {
    id: Spanned<String>,
    party: Spanned<String>,
    activity: Spanned<String>,
    title: String,
    text: String,
    target_kind: TargetKind,
    target: Option<Spanned<i64>>,
    baseline: Option<Spanned<i64>>,
    #[serde(default)]
    baseline_is_example: bool,
    #[serde(default)]
    milestones: Vec<RawMilestone>,
    #[serde(default)]
    places: Vec<String>,
    #[serde(default)]
    counts_publications: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMilestone {
    key: String,
    label: String,
}

/// Parses and validates a pledge document. `file` is only used to name the place of each problem.
pub fn parse(file: &Path, text: &str) -> Result<Pledge, Vec<Problem>> {
    let raw: RawPledge = toml::from_str(text).map_err(|e| vec![Problem::at(file, text, e.span(), e.message())])?;
    let mut problems = Vec::new();
    let mut at = |span: Range<usize>, message: String| problems.push(Problem::at(file, text, Some(span), message));

    if !is_safe_id(raw.id.get_ref()) {
        at(
            raw.id.span(),
            format!(
                "document id {:?} may only hold a–z, 0–9 and '-' (it becomes a folder name in the archive)",
                raw.id.get_ref()
            ),
        );
    }

    let mut date = |value: &Spanned<toml::value::Datetime>, what: &str| -> NaiveDate {
        toml_date(value.get_ref()).unwrap_or_else(|| {
            at(value.span(), format!("{what} must be a date like 2021-01-01"));
            NaiveDate::MIN
        })
    };
    let start = date(&raw.period.get_ref().start, "period.start");
    let end = date(&raw.period.get_ref().end, "period.end");
    let signed_on = date(&raw.signed.date, "signed.date");
    if start != NaiveDate::MIN && end != NaiveDate::MIN && end < start {
        at(
            raw.period.get_ref().end.span(),
            format!("period ends ({end}) before it starts ({start}): swap the dates or correct the year"),
        );
    }

    let mut signatories = Vec::new();
    for s in raw.signatories {
        match Party::from_key(s.party.get_ref()) {
            Some(party) => signatories.push(Signatory { name: s.name, title: s.title, party }),
            None => at(s.party.span(), unknown_party(s.party.get_ref())),
        }
    }

    let mut activities = Vec::new();
    let mut kinds = HashSet::new();
    for a in raw.activities {
        let (span, a) = (a.span(), a.into_inner());
        if !kinds.insert(a.kind.get_ref().clone()) {
            at(span, format!("activity kind {:?} is defined twice", a.kind.get_ref()));
        }
        activities.push(ActivityKind { kind: a.kind.into_inner(), label: a.label });
    }

    let mut commitments = Vec::new();
    let mut ids = HashSet::new();
    let mut used_activities = HashSet::new();
    for c in raw.commitments {
        let (span, c) = (c.span(), c.into_inner());
        if !ids.insert(c.id.get_ref().clone()) {
            at(
                c.id.span(),
                format!("commitment id {:?} is used twice: give each commitment its own id", c.id.get_ref()),
            );
        }
        if !kinds.contains(c.activity.get_ref()) {
            at(
                c.activity.span(),
                format!(
                    "commitment {:?} names activity kind {:?}, which no [[activities]] entry defines",
                    c.id.get_ref(),
                    c.activity.get_ref()
                ),
            );
        } else if !used_activities.insert(c.activity.get_ref().clone()) {
            at(
                c.activity.span(),
                format!(
                    "activity kind {:?} already counts toward another commitment; each kind may count toward one",
                    c.activity.get_ref()
                ),
            );
        }
        let party = Party::from_key(c.party.get_ref());
        if party.is_none() {
            at(c.party.span(), unknown_party(c.party.get_ref()));
        }
        let target = match c.target_kind {
            TargetKind::AtLeast => match &c.target {
                Some(t) if *t.get_ref() > 0 && *t.get_ref() <= i64::from(u32::MAX) => {
                    Some(Target::AtLeast { value: *t.get_ref() as u32 })
                }
                Some(t) => {
                    at(
                        t.span(),
                        format!(
                            "commitment {:?}: target must be a positive whole number, not {}",
                            c.id.get_ref(),
                            t.get_ref()
                        ),
                    );
                    None
                }
                None => {
                    at(
                        span.clone(),
                        format!("commitment {:?}: target_kind \"at_least\" needs `target = N`", c.id.get_ref()),
                    );
                    None
                }
            },
            TargetKind::Increase => match &c.baseline {
                Some(b) if *b.get_ref() >= 0 && *b.get_ref() < i64::from(u32::MAX) => {
                    Some(Target::Increase { baseline: *b.get_ref() as u32, baseline_is_example: c.baseline_is_example })
                }
                Some(b) => {
                    at(
                        b.span(),
                        format!("commitment {:?}: baseline must be 0 or more, not {}", c.id.get_ref(), b.get_ref()),
                    );
                    None
                }
                None => {
                    at(
                        span.clone(),
                        format!("commitment {:?}: target_kind \"increase\" needs `baseline = N`", c.id.get_ref()),
                    );
                    None
                }
            },
            TargetKind::Milestones => {
                if c.milestones.is_empty() {
                    at(
                        span.clone(),
                        format!(
                            "commitment {:?} is a milestone commitment without milestones: add [[commitments.milestones]] entries",
                            c.id.get_ref()
                        ),
                    );
                    None
                } else {
                    Some(Target::Milestones {
                        milestones: c
                            .milestones
                            .into_iter()
                            .map(|m| Milestone { key: m.key, label: m.label })
                            .collect(),
                    })
                }
            }
        };
        if let (Some(party), Some(target)) = (party, target) {
            commitments.push(Commitment {
                id: c.id.into_inner(),
                party,
                activity: c.activity.into_inner(),
                title: c.title,
                text: c.text,
                target,
                places: c.places,
                counts_publications: c.counts_publications,
            });
        }
    }

    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Pledge {
        id: raw.id.into_inner(),
        title: raw.title,
        municipality: raw.municipality,
        police_area: raw.police_area,
        start,
        end,
        signed_on,
        signed_place: raw.signed.place,
        introduction: raw.introduction,
        situation: raw.situation,
        purpose: raw.purpose,
        focus_areas: raw.focus_areas,
        signatories,
        activities,
        commitments,
    })
}

fn unknown_party(text: &str) -> String {
    format!("party {text:?} is not known: write \"polisen\" or \"kommunen\"")
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
