//! Pledge TOML text → [`Pledge`], reporting every problem at once with its line and column.

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;
use toml::Spanned;

use super::{ActivityKind, Commitment, Milestone, Party, Pledge, Signatory, Target};
use crate::problem::{Problem, Problems};

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
    let start = date(&raw.period.get_ref().start, "period.start", &mut problems);
    let end = date(&raw.period.get_ref().end, "period.end", &mut problems);
    let signed_on = date(&raw.signed.date, "signed.date", &mut problems);
    if let (Some(start), Some(end)) = (start, end) {
        if end < start {
            problems.at(
                raw.period.get_ref().end.span(),
                format!("period ends ({end}) before it starts ({start}): swap the dates or correct the year"),
            );
        }
    }

    let mut signatories = Vec::new();
    for s in raw.signatories {
        match Party::from_key(s.party.get_ref()) {
            Some(party) => signatories.push(Signatory { name: s.name, title: s.title, party }),
            None => problems.at(s.party.span(), unknown_party(s.party.get_ref())),
        }
    }

    let mut activities: Vec<ActivityKind> = Vec::new();
    for a in raw.activities {
        let (span, a) = (a.span(), a.into_inner());
        if activities.iter().any(|b| b.kind == *a.kind.get_ref()) {
            problems.at(span, format!("activity kind {:?} is defined twice", a.kind.get_ref()));
        }
        activities.push(ActivityKind { kind: a.kind.into_inner(), label: a.label });
    }

    let id_span = raw.id.span();
    let commitments = commitments(raw.commitments, &activities, &mut problems);
    if commitments.is_empty() && problems.list.is_empty() {
        problems.at(
            id_span,
            "the document has no commitments: add at least one [[commitments]] entry (an empty report would be published)",
        );
    }

    match (start, end, signed_on) {
        (Some(start), Some(end), Some(signed_on)) if problems.list.is_empty() => Ok(Pledge {
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
        }),
        _ => Err(problems.list),
    }
}

/// The commitments, each checked against the activity kinds and the others.
fn commitments(
    raw: Vec<Spanned<RawCommitment>>,
    activities: &[ActivityKind],
    problems: &mut Problems,
) -> Vec<Commitment> {
    let mut commitments: Vec<Commitment> = Vec::new();
    let mut ids = HashSet::new();
    for c in raw {
        let (span, c) = (c.span(), c.into_inner());
        if !ids.insert(c.id.get_ref().clone()) {
            problems.at(
                c.id.span(),
                format!("commitment id {:?} is used twice: give each commitment its own id", c.id.get_ref()),
            );
        }
        if !activities.iter().any(|a| a.kind == *c.activity.get_ref()) {
            problems.at(
                c.activity.span(),
                format!(
                    "commitment {:?} names activity kind {:?}, which no [[activities]] entry defines",
                    c.id.get_ref(),
                    c.activity.get_ref()
                ),
            );
        } else if commitments.iter().any(|d| d.activity == *c.activity.get_ref()) {
            problems.at(
                c.activity.span(),
                format!(
                    "activity kind {:?} already counts toward another commitment; each kind may count toward one",
                    c.activity.get_ref()
                ),
            );
        }
        let party = Party::from_key(c.party.get_ref());
        if party.is_none() {
            problems.at(c.party.span(), unknown_party(c.party.get_ref()));
        }
        if let (Some(party), Some(target)) = (party, target(&c, span, problems)) {
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
    commitments
}

/// The commitment's target, or a problem (at the commitment's table when a key is missing).
fn target(c: &RawCommitment, span: Range<usize>, problems: &mut Problems) -> Option<Target> {
    let id = c.id.get_ref();
    match c.target_kind {
        TargetKind::AtLeast => {
            let Some(t) = &c.target else {
                problems.at(span, format!("commitment {id:?}: target_kind \"at_least\" needs `target = N`"));
                return None;
            };
            match u32::try_from(*t.get_ref()) {
                Ok(value) if value > 0 => Some(Target::AtLeast { value }),
                _ => {
                    problems.at(
                        t.span(),
                        format!("commitment {id:?}: target must be a positive whole number, not {}", t.get_ref()),
                    );
                    None
                }
            }
        }
        TargetKind::Increase => {
            let Some(b) = &c.baseline else {
                problems.at(span, format!("commitment {id:?}: target_kind \"increase\" needs `baseline = N`"));
                return None;
            };
            match u32::try_from(*b.get_ref()) {
                Ok(baseline) if baseline < u32::MAX => {
                    Some(Target::Increase { baseline, baseline_is_example: c.baseline_is_example })
                }
                _ => {
                    problems
                        .at(b.span(), format!("commitment {id:?}: baseline must be 0 or more, not {}", b.get_ref()));
                    None
                }
            }
        }
        TargetKind::Milestones if c.milestones.is_empty() => {
            problems.at(
                span,
                format!("commitment {id:?} is a milestone commitment without milestones: add [[commitments.milestones]] entries"),
            );
            None
        }
        TargetKind::Milestones
            if c.milestones
                .iter()
                .enumerate()
                .any(|(i, m)| c.milestones[..i].iter().any(|n| n.key.eq_ignore_ascii_case(&m.key))) =>
        {
            problems.at(
                span,
                format!("commitment {id:?} names a milestone key twice (keys are compared without case); a repeated key could never be reached: give each milestone its own key"),
            );
            None
        }
        TargetKind::Milestones => Some(Target::Milestones {
            milestones: c.milestones.iter().map(|m| Milestone { key: m.key.clone(), label: m.label.clone() }).collect(),
        }),
    }
}

fn date(value: &Spanned<toml::value::Datetime>, what: &str, problems: &mut Problems) -> Option<NaiveDate> {
    let date = toml_date(value.get_ref());
    if date.is_none() {
        problems.at(value.span(), format!("{what} must be a date like 2021-01-01"));
    }
    date
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
