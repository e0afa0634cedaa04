//! The words and colours of a report that the PDF and the HTML page share, so both say the same thing.

use minijinja::context;

use super::format;
use super::layout::Rgb3;
use super::templates::Texts;
use crate::config::Language;
use crate::pledge::{Commitment, Party, Target};
use crate::progress::{CommitmentProgress, Status};

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
        Target::AtLeast { value } => {
            texts.render("target_at_least", context! { value => format::integer(u64::from(*value), lang) })
        }
        Target::Increase { baseline, .. } => {
            texts.render("target_increase", context! { baseline => format::integer(u64::from(*baseline), lang) })
        }
        Target::Milestones { milestones } => texts.render("target_milestones", context! { count => milestones.len() }),
    }
}

/// "Polisen" / "Kommunen".
#[must_use]
pub fn party_label(texts: &Texts, party: Party) -> String {
    texts.plain(&format!("party_{}", party.key()))
}

/// "I fas. 28 av 52 genomförda. Förväntat hittills: 25,79. …", or the milestones done.
#[must_use]
pub fn progress_sentence(texts: &Texts, c: &Commitment, p: &CommitmentProgress) -> String {
    let lang = texts.language();
    let status = status_label(texts, p.status);
    let line = match &c.target {
        Target::Milestones { milestones } => {
            let done = texts.render("milestones_line", context! { done => p.achieved, count => milestones.len() });
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
                achieved => format::integer(p.achieved, lang),
                target => format::integer(u64::from(p.target), lang),
                expected => p.expected_by_now.map_or_else(String::new, |e| format::decimal(e, lang)),
                forecast => p.forecast.map_or_else(String::new, |f| format::decimal(f, lang)),
            },
        ),
    };
    format!("{status}. {line}")
}
