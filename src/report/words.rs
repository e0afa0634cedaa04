//! The words and colours of a report that the PDF, the HTML page and the mail share, so all three say the same
//! thing. What each target kind says about itself is in [`kinds`]; the tables and breakdowns under a commitment
//! are in [`breakdown`].

mod breakdown;
mod kinds;

use chrono::Datelike;
use minijinja::context;

use super::format;
use super::layout::Rgb3;
use super::templates::Texts;
use crate::pledge::{Commitment, Parties, Party, Pledge, Target};
use crate::progress::{CommitmentProgress, RecordCounts, Status, Verdict};

pub use breakdown::{breakdowns, bucket_rows, coverage_lines, evidence_rows, measurement_rows, Breakdown};
pub use kinds::{achieved_text, has_bar, monthly, progress_sentence, target_text, unit_word};

/// Chip fill and text colour per status: the label carries the meaning, and the text keeps its contrast when the
/// page is printed in greyscale (white on the dark fills, near-black on the light ones; a unit test holds every
/// pair to WCAG's 4.5:1).
#[must_use]
pub fn status_colors(status: Status) -> (Rgb3, Rgb3) {
    const WHITE: Rgb3 = (1.0, 1.0, 1.0);
    const DARK: Rgb3 = (0.08, 0.08, 0.1);
    match status {
        Status::Achieved => ((0.05, 0.40, 0.20), WHITE),
        Status::OnTrack | Status::Active | Status::Improving => ((0.62, 0.84, 0.62), DARK),
        Status::InProgress => ((0.66, 0.79, 0.93), DARK),
        Status::NotStarted | Status::NoData | Status::NotAssessed | Status::NotApplicable => ((0.86, 0.86, 0.88), DARK),
        Status::AtRisk => ((0.99, 0.78, 0.30), DARK),
        // Orange, between at risk and behind: some buckets were met, some were not.
        Status::Partly => ((0.96, 0.62, 0.26), DARK),
        // A cool grey-blue rather than amber: an unchanged outcome is not a warning about pace.
        Status::Unchanged => ((0.78, 0.82, 0.88), DARK),
        Status::Behind | Status::Worsening => ((0.75, 0.16, 0.12), WHITE),
        Status::NotMet => ((0.36, 0.07, 0.07), WHITE),
    }
}

/// The status label in the report's language.
#[must_use]
pub fn status_label(texts: &Texts, status: Status) -> String {
    texts.plain(&format!("status_{}", status.key()))
}

/// A party's name: the one the document declares under `[[parties]]`, else the report's own word for the default
/// parties ("Polisen" / "Kommunen"), else the key as written.
#[must_use]
pub fn party_label(texts: &Texts, pledge: &Pledge, party: &Party) -> String {
    if let Some(name) = pledge.parties.iter().find(|p| &p.key == party).and_then(|p| p.name.clone()) {
        return name;
    }
    let key = format!("party_{}", party.key());
    if texts.has(&key) {
        texts.plain(&key)
    } else {
        party.key().to_string()
    }
}

/// Every party of a commitment, named: "Polisen och Kommunen"; any party names every party of the document.
#[must_use]
pub fn parties_label(texts: &Texts, pledge: &Pledge, c: &Commitment) -> String {
    let names: Vec<String> = match &c.parties {
        Parties::Listed(list) => list.iter().map(|p| party_label(texts, pledge, p)).collect(),
        Parties::Any => pledge.parties.iter().map(|p| party_label(texts, pledge, &p.key)).collect(),
    };
    join_and(texts, &names)
}

/// "A", "A och B", "A, B och C".
#[must_use]
pub fn join_and(texts: &Texts, items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [head @ .., last] => format!("{} {} {last}", head.join(", "), texts.plain("and")),
    }
}

/// The heading of "what this party did": the report's own sentence for the default parties, one built from the
/// declared name otherwise.
#[must_use]
pub fn party_heading(texts: &Texts, pledge: &Pledge, party: &Party) -> String {
    let declared = pledge.parties.iter().find(|p| &p.key == party).and_then(|p| p.name.clone());
    let key = format!("party_heading_{}", party.key());
    match declared {
        None if texts.has(&key) => texts.plain(&key),
        _ => texts.render("party_heading_named", context! { name => party_label(texts, pledge, party) }),
    }
}

/// The title page's opening: who promised to report back, and how far into the period the report is ("30 juni
/// 2021, 181 av årets 365 dagar" for a calendar-year document, "dag 546 av periodens 731" for any other).
#[must_use]
pub fn intro(texts: &Texts, pledge: &Pledge, as_of: &str, elapsed: u32, total: u32) -> String {
    let declared = pledge.parties.iter().any(|p| p.name.is_some());
    let who = if declared {
        let names: Vec<String> = pledge.parties.iter().map(|p| party_label(texts, pledge, &p.key)).collect();
        join_and(texts, &names)
    } else {
        texts.plain("intro_who")
    };
    let when_key = if calendar_year(pledge) { "intro_when_year" } else { "intro_when_period" };
    let when = texts.render(when_key, context! { elapsed => elapsed, total => total });
    texts.render("intro", context! { who => who, as_of => as_of, when => when })
}

/// Whether the pledge period is exactly one calendar year, so that "årets dagar" and "hela året" are true; any
/// other period (two years, a school year, a year begun in March) is spoken of as "perioden".
#[must_use]
pub fn calendar_year(pledge: &Pledge) -> bool {
    !pledge.multi_year() && pledge.start.ordinal() == 1 && pledge.end.succ_opt().is_none_or(|d| d.ordinal() == 1)
}

/// One row of the summary table, in words: the same in the PDF, on the site and in the mail.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SummaryRow {
    /// The commitment's short title.
    pub title: String,
    /// Every party of the commitment, named.
    pub party: String,
    /// "minst 52", "minst 2 per termin", "inget antal utlovat" …
    pub target: String,
    /// Achieved, formatted ("61,2 %" for a measurement, "–" for a qualitative promise).
    pub achieved: String,
    /// Expected by now, formatted ("–" where the kind has none).
    pub expected: String,
    /// The status as a coloured chip.
    #[serde(flatten)]
    pub chip: Chip,
    /// The follow-up notes' assessment, as [`assessment_line`] words it.
    pub assessment: Option<String>,
    /// The follow-up notes' public comment, on one line.
    pub comment: Option<String>,
}

/// A status as the coloured chip that the PDF and the site show: the label, and its fill and text colours.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Chip {
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

/// The chip of `status` in the report's language.
#[must_use]
pub fn chip(texts: &Texts, status: Status) -> Chip {
    let (fill, ink) = status_colors(status);
    Chip { status: status_label(texts, status), fill: css(fill), ink: css(ink), status_value: status }
}

/// Marks every example figure in a draft's rows ("fler än 150, exempelvärde"), as the draft's PDF does, so that the
/// reviewers see which figure to replace (the mail and the preview site use it).
pub fn mark_examples(texts: &Texts, pledge: &Pledge, rows: &mut [SummaryRow]) {
    for (row, c) in rows.iter_mut().zip(&pledge.commitments) {
        if c.target.example_baseline() {
            row.target = texts.render("example_figure_target", context! { target => row.target.clone() });
        }
    }
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
        .map(|(c, p)| SummaryRow {
            title: c.title.clone(),
            party: parties_label(texts, pledge, c),
            target: target_text(texts, c, p),
            achieved: achieved_text(texts, c, p),
            expected: p.expected_by_now.map_or_else(|| "–".into(), |e| format::decimal(e, lang)),
            chip: chip(texts, p.status),
            assessment: assessment_line(texts, c, p),
            comment: p.comment.as_deref().map(|t| paragraphs(t).join(" ")),
        })
        .collect()
}

/// A verdict in the report's language, in lower case ("delvis genomfört").
#[must_use]
pub fn verdict_label(texts: &Texts, verdict: Verdict) -> String {
    texts.plain(&format!("verdict_{}", verdict.key()))
}

/// Whether a verdict is the status of `c` (`assessed`, `count`) rather than an assessment beside the computed one.
#[must_use]
pub fn verdict_is_status(c: &Commitment) -> bool {
    matches!(c.target, Target::Assessed | Target::Count)
}

/// The follow-up notes' verdict on a commitment (SPEC §11): "Bedömning: delvis genomfört – <why>." where the
/// verdict is the status, and with the status the figures give where it is not ("… Beräknat: efter plan."), so
/// the verdict never hides the figures.
#[must_use]
pub fn assessment_line(texts: &Texts, c: &Commitment, p: &CommitmentProgress) -> Option<String> {
    let a = p.assessment.as_ref()?;
    let verdict = verdict_label(texts, a.verdict);
    let justification = terminated(&paragraphs(&a.justification).join(" "));
    if verdict_is_status(c) {
        return Some(texts.render("assessment_line", context! { verdict => verdict, justification => justification }));
    }
    let computed = status_label(texts, p.computed_status.unwrap_or(p.status)).to_lowercase();
    Some(texts.render(
        "assessment_computed",
        context! { verdict => verdict, justification => justification, computed => computed },
    ))
}

/// The internal note of a commitment, marked as such (internal edition only: the caller decides).
#[must_use]
pub fn internal_note_line(texts: &Texts, p: &CommitmentProgress) -> Option<String> {
    let note = p.internal_note.as_deref()?;
    Some(texts.render("internal_note", context! { note => paragraphs(note).join("\n") }))
}

/// A free text from the notes as its paragraphs: a blank line starts a new one, a single line break is only where
/// the writer's editor wrapped it.
#[must_use]
pub fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            if !current.is_empty() {
                out.push(current.join(" "));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        out.push(current.join(" "));
    }
    out
}

/// A sentence with its full stop: one is added unless it ends in a mark of its own.
fn terminated(text: &str) -> String {
    let text = text.trim_end();
    if text.ends_with(['.', '!', '?', '…']) || text.is_empty() {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

/// "Hastighetskontroller …: 28 (I fas)" for each commitment `party` takes part in (milestones as "1/2"); a joint
/// promise shows this party's own share beside the total, a qualitative one its status alone.
#[must_use]
pub fn party_items(texts: &Texts, pledge: &Pledge, progress: &[CommitmentProgress], party: &Party) -> Vec<String> {
    let lang = texts.language();
    pledge
        .commitments
        .iter()
        .zip(progress)
        .filter(|(c, _)| c.parties.admits(party))
        .map(|(c, p)| {
            let status = status_label(texts, p.status);
            if matches!(c.target, Target::Assessed) || p.achieved.is_none() {
                return texts.render("party_item_plain", context! { title => c.title.clone(), status => status });
            }
            // Nobody has asked: a share of "ingen förfrågan" would not read as a sentence.
            if matches!(c.target, Target::OnRequest { .. }) && p.requests.is_none_or(|n| n == 0) {
                return texts.render("party_item_no_request", context! { title => c.title.clone(), status => status });
            }
            let counted = !matches!(c.target, Target::Outcome { .. });
            if let Some(own) = p.by_party.get(party).filter(|_| counted) {
                return texts.render(
                    "party_item_joint",
                    context! { title => c.title.clone(), achieved => format::integer(*own, lang),
                    status => status, total => achieved_text(texts, c, p) },
                );
            }
            let achieved = match &c.target {
                Target::Milestones { milestones } => format!("{}/{}", p.count(), milestones.len()),
                _ => achieved_text(texts, c, p),
            };
            texts.render("party_item", context! { title => c.title.clone(), achieved => achieved, status => status })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG relative luminance of an sRGB colour.
    fn luminance((r, g, b): Rgb3) -> f32 {
        let lin = |c: f32| if c <= 0.039_28 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) };
        0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    }

    #[test]
    fn every_status_chip_keeps_its_text_readable_in_greyscale() {
        for status in Status::ALL {
            let (fill, ink) = status_colors(status);
            let (a, b) = (luminance(fill), luminance(ink));
            let ratio = (a.max(b) + 0.05) / (a.min(b) + 0.05);
            assert!(ratio >= 4.5, "{status:?}: contrast {ratio:.2} is under 4.5");
        }
    }

    #[test]
    fn notes_keep_their_paragraphs_and_end_their_sentences() {
        assert_eq!(paragraphs("  Rad ett\nfortsätter.\n\n\nNytt stycke  \n"), ["Rad ett fortsätter.", "Nytt stycke"]);
        assert!(paragraphs(" \n ").is_empty());
        assert_eq!(terminated("Två av fem"), "Två av fem.");
        assert_eq!(terminated("Klart! "), "Klart!");
        assert_eq!(terminated("Klart."), "Klart.");
    }

    #[test]
    fn lists_are_joined_as_a_sentence() {
        let sv = Texts::load(crate::language::Language::Sv).unwrap();
        let items = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert_eq!(join_and(&sv, &items(&["Polisen"])), "Polisen");
        assert_eq!(join_and(&sv, &items(&["Polisen", "Kommunen"])), "Polisen och Kommunen");
        assert_eq!(join_and(&sv, &items(&["A", "B", "C"])), "A, B och C");
    }
}
