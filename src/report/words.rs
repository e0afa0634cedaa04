//! The words and colours of a report that the PDF and the HTML page share, so both say the same thing.

use minijinja::context;

use super::format;
use super::layout::Rgb3;
use super::templates::Texts;
use crate::language::Language;
use crate::pledge::{Commitment, Party, Pledge, Target};
use crate::progress::{CommitmentProgress, RecordCounts, Status};

/// Chip fill and text colour per status: the label carries the meaning, and the text keeps its contrast when the
/// page is printed in greyscale (white on the dark fills, near-black on the light ones).
#[must_use]
pub fn status_colors(status: Status) -> (Rgb3, Rgb3) {
    const WHITE: Rgb3 = (1.0, 1.0, 1.0);
    const DARK: Rgb3 = (0.08, 0.08, 0.1);
    match status {
        Status::Achieved => ((0.05, 0.40, 0.20), WHITE),
        Status::OnTrack => ((0.62, 0.84, 0.62), DARK),
        Status::InProgress => ((0.66, 0.79, 0.93), DARK),
        Status::NotStarted => ((0.86, 0.86, 0.88), DARK),
        Status::AtRisk => ((0.99, 0.78, 0.30), DARK),
        Status::Behind => ((0.75, 0.16, 0.12), WHITE),
        Status::NotMet => ((0.36, 0.07, 0.07), WHITE),
        Status::Active | Status::Improving => ((0.62, 0.84, 0.62), DARK),
        Status::Partly | Status::Unchanged => ((0.99, 0.78, 0.30), DARK),
        Status::Worsening => ((0.75, 0.16, 0.12), WHITE),
        Status::NoData | Status::NotAssessed | Status::NotApplicable => ((0.86, 0.86, 0.88), DARK),
    }
}

/// The status label in the report's language.
#[must_use]
pub fn status_label(texts: &Texts, status: Status) -> String {
    texts.plain(&format!("status_{}", status.key()))
}

/// "minst 52", "fler än 150", "2 delmål".
#[must_use]
pub fn target_text(texts: &Texts, target: &Target, lang: Language) -> String {
    match target {
        Target::AtLeast { value, .. } => {
            texts.render("target_at_least", context! { value => format::integer(u64::from(*value), lang) })
        }
        Target::Increase { baseline, .. } => {
            texts.render("target_increase", context! { baseline => format::integer(u64::from(*baseline), lang) })
        }
        Target::Milestones { milestones } => texts.render("target_milestones", context! { count => milestones.len() }),
        _ => "–".to_string(),
    }
}

/// "Polisen" / "Kommunen".
#[must_use]
pub fn party_label(texts: &Texts, party: &Party) -> String {
    texts.plain(&format!("party_{}", party.key()))
}

/// "I fas. 28 av 52 genomförda. Förväntat hittills: 25,79. …", or the milestones done.
#[must_use]
pub fn progress_sentence(texts: &Texts, c: &Commitment, p: &CommitmentProgress) -> String {
    let lang = texts.language();
    let status = status_label(texts, p.status);
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
        _ => texts.render(
            "progress_line",
            context! {
                achieved => format::integer(p.count(), lang),
                target => format::integer(u64::from(p.target.unwrap_or_default()), lang),
                expected => p.expected_by_now.map_or_else(String::new, |e| format::decimal(e, lang)),
                forecast => p.forecast.map_or_else(String::new, |f| format::decimal(f, lang)),
            },
        ),
    };
    format!("{status}. {line}")
}

/// One row of the summary table, in words: the same in the PDF, on the site and in the mail.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SummaryRow {
    /// The commitment's short title.
    pub title: String,
    /// "Polisen" / "Kommunen".
    pub party: String,
    /// "minst 52" …
    pub target: String,
    /// Achieved, formatted.
    pub achieved: String,
    /// Expected by now, formatted ("–" for milestones).
    pub expected: String,
    /// The status label.
    pub status: String,
    /// Chip fill, as CSS.
    pub fill: String,
    /// Chip text colour, as CSS.
    pub ink: String,
    /// The status itself, for the PDF's chip colours.
    #[serde(skip)]
    pub status_value: Status,
}

/// A colour as CSS `rgb(…)`.
#[must_use]
pub fn css((r, g, b): Rgb3) -> String {
    format!("rgb({}, {}, {})", (r * 255.0).round(), (g * 255.0).round(), (b * 255.0).round())
}

/// The summary table's rows, in document order.
#[must_use]
pub fn summary_rows(texts: &Texts, pledge: &Pledge, progress: &[CommitmentProgress]) -> Vec<SummaryRow> {
    let lang = texts.language();
    pledge
        .commitments
        .iter()
        .zip(progress)
        .map(|(c, p)| {
            let (fill, ink) = status_colors(p.status);
            SummaryRow {
                title: c.title.clone(),
                party: party_label(texts, &c.lead_party()),
                target: target_text(texts, &c.target, lang),
                achieved: format::integer(p.count(), lang),
                expected: p.expected_by_now.map_or_else(|| "–".into(), |e| format::decimal(e, lang)),
                status: status_label(texts, p.status),
                fill: css(fill),
                ink: css(ink),
                status_value: p.status,
            }
        })
        .collect()
}

/// "Hastighetskontroller …: 28 (I fas)" for each commitment of `party` (milestones as "1/2").
#[must_use]
pub fn party_items(texts: &Texts, pledge: &Pledge, progress: &[CommitmentProgress], party: &Party) -> Vec<String> {
    pledge
        .commitments
        .iter()
        .zip(progress)
        .filter(|(c, _)| c.parties.admits(party))
        .map(|(c, p)| {
            let achieved = match &c.target {
                Target::Milestones { milestones } => format!("{}/{}", p.count(), milestones.len()),
                _ => format::integer(p.count(), texts.language()),
            };
            texts.render(
                "party_item",
                context! { title => c.title.clone(), achieved => achieved, status => status_label(texts, p.status) },
            )
        })
        .collect()
}

/// The data-quality section: the count sentences, and "reason: n" per rejection reason.
#[must_use]
pub fn quality(texts: &Texts, r: &RecordCounts, as_of: &str) -> (Vec<String>, Vec<String>) {
    let lang = texts.language();
    let n = |x: usize| format::integer(x as u64, lang);
    let mut counts = vec![texts.render(
        "quality_counts",
        context! {
            rows => n(r.accepted + r.rejected + r.duplicates), accepted => n(r.accepted),
            rejected => n(r.rejected), duplicates => n(r.duplicates),
        },
    )];
    if r.after_as_of > 0 {
        counts.push(texts.render("quality_after", context! { count => r.after_as_of, as_of => as_of }));
    }
    let reasons =
        r.by_reason.iter().map(|(code, n)| format!("{}: {n}", texts.plain(&format!("reason_{code}")))).collect();
    (counts, reasons)
}
