//! What each target kind of SPEC §10 says about itself: its target in the summary table, its achieved figure and
//! the sentence under its heading. A count says "303 genomförda", never "303 av …" of a number nobody promised;
//! only the kinds with a number to reach get a progress bar, an expected figure and a forecast.

use minijinja::context;

use super::status_label;
use crate::pledge::{Bucket, Commitment, Direction, Pledge, Target};
use crate::progress::{CommitmentProgress, Figure, Status};
use crate::report::format;
use crate::report::templates::Texts;

/// "termin", "år", "vecka" … for a rate's calendar unit.
#[must_use]
pub fn unit_word(texts: &Texts, bucket: Bucket) -> String {
    texts.plain(&format!("per_{}", bucket.key()))
}

/// The target column: "minst 52", "minst 2 per termin", "inget antal utlovat", "färre än 40", "från 55 % till
/// 65 %", "4 förfrågningar" …; a target that applies in each municipality says so ("minst 2 i varje kommun").
#[must_use]
pub fn target_text(texts: &Texts, c: &Commitment, p: &CommitmentProgress) -> String {
    if c.each_municipality {
        return match c.target {
            Target::Count => texts.plain("target_count_each"),
            // Refused by the pledge parser; said plainly should one slip through.
            Target::Outcome { .. } | Target::Assessed => plain_target(texts, c, p),
            _ => texts.render("target_each", context! { target => plain_target(texts, c, p) }),
        };
    }
    plain_target(texts, c, p)
}

/// The target as the document states it, for the whole document.
fn plain_target(texts: &Texts, c: &Commitment, p: &CommitmentProgress) -> String {
    let lang = texts.language();
    let int = |n: u32| format::integer(u64::from(n), lang);
    match &c.target {
        Target::AtLeast { value, per: None } => texts.render("target_at_least", context! { value => int(*value) }),
        Target::AtLeast { value, per: Some(bucket) } => {
            texts.render("target_per", context! { value => int(*value), unit => unit_word(texts, *bucket) })
        }
        Target::OnRequest { .. } => match p.requests.filter(|n| *n > 0) {
            Some(n) => texts.render("target_requests", context! { n => n, count => format::integer(n, lang) }),
            None => texts.plain("target_on_request"),
        },
        Target::Count => texts.plain("target_count"),
        Target::Milestones { milestones } => texts.render("target_milestones", context! { count => milestones.len() }),
        Target::Increase { baseline, .. } => texts.render("target_increase", context! { baseline => int(*baseline) }),
        Target::Decrease { baseline, .. } => texts.render("target_decrease", context! { baseline => int(*baseline) }),
        Target::Outcome { direction, baseline, target, unit, .. } => {
            let m = |x: f64| format::measure(x, unit.as_deref(), lang);
            if let Some(t) = target {
                return texts.render("target_outcome_to", context! { baseline => m(*baseline), target => m(*t) });
            }
            let key = match direction {
                Direction::Increase => "target_outcome_increase",
                Direction::Decrease => "target_outcome_decrease",
            };
            texts.render(key, context! { baseline => m(*baseline) })
        }
        Target::Assessed => texts.plain("target_assessed"),
    }
}

/// The achieved column: a count, the latest measurement with its unit, "ingen förfrågan" for a conditional promise
/// nobody has invoked, or "–" where nothing is summed.
#[must_use]
pub fn achieved_text(texts: &Texts, c: &Commitment, p: &CommitmentProgress) -> String {
    let lang = texts.language();
    match (&c.target, p.achieved) {
        (Target::Assessed, _) | (_, None) => "–".to_string(),
        // Nobody has asked: "0" would read as a promise broken.
        (Target::OnRequest { .. }, _) if p.requests.is_none_or(|n| n == 0) => texts.plain("no_request"),
        (Target::Outcome { unit, .. }, Some(Figure::Measured(v))) => format::measure(v, unit.as_deref(), lang),
        (_, Some(Figure::Count(n))) => format::integer(n, lang),
        (_, Some(Figure::Measured(v))) => format::decimal(v, lang),
    }
}

/// Whether a progress bar toward a number means anything: a count, a rate (its table says more), a decrease, an
/// outcome and a qualitative promise have none, and a conditional one only once requests have come in.
#[must_use]
pub fn has_bar(c: &Commitment, p: &CommitmentProgress) -> bool {
    match &c.target {
        Target::AtLeast { per: None, .. } | Target::Increase { .. } | Target::Milestones { .. } => true,
        Target::OnRequest { .. } => p.requests.is_some_and(|n| n > 0),
        _ => false,
    }
}

/// Whether a monthly chart of counts fits the kind: milestones, measurements and judged promises are not counts,
/// and a conditional promise that nobody has asked for has nothing to chart.
#[must_use]
pub fn monthly(c: &Commitment, p: &CommitmentProgress) -> bool {
    match c.target {
        Target::Milestones { .. } | Target::Outcome { .. } | Target::Assessed => false,
        Target::OnRequest { .. } => p.requests.is_some_and(|n| n > 0),
        _ => true,
    }
}

/// "I fas. 28 av 52 genomförda. Förväntat hittills: 25,79. …", "Genomförs. 303 genomförda.", and so on per kind.
#[must_use]
pub fn progress_sentence(texts: &Texts, pledge: &Pledge, c: &Commitment, p: &CommitmentProgress) -> String {
    let lang = texts.language();
    let int = |n: u64| format::integer(n, lang);
    let forecast_label = texts.plain(if super::calendar_year(pledge) { "forecast_year" } else { "forecast_period" });
    let forecast = p.forecast.map_or_else(String::new, |f| format::decimal(f, lang));
    let line = match &c.target {
        Target::Milestones { milestones } => {
            let done = texts.render("milestones_line", context! { done => p.count(), count => milestones.len() });
            let list: Vec<String> = milestones
                .iter()
                .map(|m| {
                    let state = if p.milestones.get(&m.key).copied().unwrap_or(false) {
                        "milestone_done"
                    } else {
                        "milestone_pending"
                    };
                    format!("{}: {}", m.label, texts.plain(state))
                })
                .collect();
            format!("{done} {}", list.join(". "))
        }
        Target::AtLeast { value, per: Some(bucket) } => rate(texts, *bucket, *value, p),
        Target::OnRequest { .. } => match p.requests.filter(|n| *n > 0) {
            Some(n) => {
                texts.render("request_line", context! { answered => int(p.count()), requests => int(n), n => n })
            }
            None => texts.plain("request_none"),
        },
        Target::Count => texts.render("count_line", context! { achieved => int(p.count()) }),
        Target::Decrease { baseline, .. } if c.each_municipality => {
            let (names, most) = extreme(texts, pledge, p, true);
            // The status follows the highest municipality's pace, so its forecast is the one shown.
            let total = p.count();
            let forecast = p.forecast.map_or_else(String::new, |f| {
                let share = if total == 0 { 0.0 } else { most as f64 / total as f64 };
                format::decimal(f * share, lang)
            });
            texts.render(
                "decrease_line_each",
                context! { names => names, most => int(most), baseline => int(u64::from(*baseline)),
                achieved => int(total), forecast_label => forecast_label, forecast => forecast },
            )
        }
        Target::AtLeast { per: None, .. } | Target::Increase { .. } if c.each_municipality => {
            let (names, least) = extreme(texts, pledge, p, false);
            texts.render(
                "progress_line_each",
                context! {
                    names => names,
                    least => int(least),
                    target => int(u64::from(p.target.unwrap_or_default())),
                    achieved => int(p.count()),
                    expected => p.expected_by_now.map_or_else(String::new, |e| format::decimal(e, lang)),
                },
            )
        }
        Target::Decrease { baseline, .. } => texts.render(
            "decrease_line",
            context! { achieved => int(p.count()), baseline => int(u64::from(*baseline)),
            forecast_label => forecast_label, forecast => forecast },
        ),
        Target::Outcome { .. } => outcome(texts, p),
        Target::Assessed => {
            texts.render("assessed_line", context! { n => p.evidence.len(), count => int(p.evidence.len() as u64) })
        }
        Target::AtLeast { per: None, .. } | Target::Increase { .. } => texts.render(
            "progress_line",
            context! {
                achieved => int(p.count()),
                target => int(u64::from(p.target.unwrap_or_default())),
                expected => p.expected_by_now.map_or_else(String::new, |e| format::decimal(e, lang)),
                forecast_label => forecast_label,
                forecast => forecast,
            },
        ),
    };
    format!("{}. {line}", status_label(texts, p.status))
}

/// The municipalities with the lowest (or, for a decrease, the highest) sum, named, and that sum: the figure a
/// target in each municipality is decided on.
fn extreme(texts: &Texts, pledge: &Pledge, p: &CommitmentProgress, highest: bool) -> (String, u64) {
    let sum = |m: &String| p.by_municipality.get(m).copied().unwrap_or(0);
    let sums = pledge.municipalities.iter().map(sum);
    let Some(value) = (if highest { sums.max() } else { sums.min() }) else { return (String::new(), 0) };
    let names: Vec<String> = pledge.municipalities.iter().filter(|m| sum(m) == value).cloned().collect();
    (super::join_and(texts, &names), value)
}

/// A rate: the total since the start, how many completed buckets met the target, and the current bucket (the last
/// one judged: it holds the as-of date, even on its last day).
fn rate(texts: &Texts, bucket: Bucket, value: u32, p: &CommitmentProgress) -> String {
    let lang = texts.language();
    let unit = unit_word(texts, bucket);
    let value_text = format::integer(u64::from(value), lang);
    let mut parts = vec![texts.render(
        "rate_line",
        context! { achieved => format::integer(p.count(), lang), value => value_text.clone(), unit => unit.clone() },
    )];
    if let Some((current, completed)) = p.by_bucket.split_last() {
        if !completed.is_empty() {
            let met = completed.iter().filter(|b| b.status == Status::Achieved).count();
            parts.push(texts.render("rate_completed", context! { met => met, count => completed.len() }));
        }
        parts.push(texts.render(
            "rate_current",
            context! { unit => unit, range => format::date_range(current.start, current.end, lang),
            achieved => format::integer(current.achieved, lang), value => value_text },
        ));
    }
    parts.join(" ")
}

/// An outcome: the latest measurement against the baseline and the target, or that nothing is measured yet.
fn outcome(texts: &Texts, p: &CommitmentProgress) -> String {
    let lang = texts.language();
    let Some(o) = &p.outcome else { return String::new() };
    let m = |x: f64| format::measure(x, o.unit.as_deref(), lang);
    let target = o.target.map(m).unwrap_or_default();
    match o.measurements.last() {
        Some(latest) => texts.render(
            "outcome_line",
            context! { value => m(latest.value), date => format::date(latest.date, lang),
            baseline => m(o.baseline), target => target },
        ),
        None => texts.render("outcome_none", context! { baseline => m(o.baseline), target => target }),
    }
}
