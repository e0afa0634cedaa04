//! One commitment's section of the PDF: heading with every party named, the signed text, the sentence its kind
//! calls for, then only what fits the kind (a progress bar toward a number, a rate's buckets, an outcome's
//! measurements, a qualitative promise's evidence, a monthly chart of counts) and the breakdowns.

use std::collections::BTreeMap;

use minijinja::context;

use super::super::format;
use super::super::layout::{Align, Cell, Column, Layout, Style, GREY, MARGIN, TEXT_W};
use super::super::words::{self, status_colors, Breakdown};
use super::super::ReportInput;
use crate::edition::Edition;
use crate::pledge::{Commitment, Target};
use crate::progress::CommitmentProgress;
use crate::report::templates::Texts;

/// Bars and chips in the brand's blue.
const BLUE: (f32, f32, f32) = (0.16, 0.27, 0.45);
/// Internal notes in the dark red of the internal edition's label, so they stand out from what the public reads.
const INTERNAL: (f32, f32, f32) = (0.55, 0.12, 0.1);

/// The section of commitment `c`.
pub(super) fn section(page: &mut Layout, input: &ReportInput, texts: &Texts, c: &Commitment, p: &CommitmentProgress) {
    let pledge = input.pledge;
    page.heading(&format!("{} ({})", c.title, words::parties_label(texts, pledge, c)), 13.0, 40.0);
    // The signed text keeps its hard line breaks in the data; on the page it flows as the paragraph it is.
    page.paragraph(&c.text.replace(['\u{a0}', '\n'], " "), Style::body(9.0).colored(GREY));
    page.space(2.0);
    page.paragraph(&words::progress_sentence(texts, pledge, c, p), Style::body(10.0));
    if super::marks_examples(input) {
        if let Some(line) = example_line(texts, c) {
            page.paragraph(&line, Style::bold(10.0).colored(INTERNAL));
        }
    }
    notes(page, input, texts, c, p);
    if p.publications > 0 {
        page.paragraph(&texts.render("publications_line", context! { count => p.publications }), Style::body(9.0));
    }
    if words::has_bar(c, p) {
        progress_bar(page, texts, p);
    }
    buckets(page, texts, p);
    measurements(page, texts, p);
    evidence(page, input, texts, p);
    if words::monthly(c, p) {
        monthly_chart(page, input, texts, p);
    }
    for breakdown in words::breakdowns(texts, pledge, c, p) {
        breakdown_chart(page, &breakdown);
    }
    for line in words::coverage_lines(texts, pledge, c, p) {
        page.paragraph(&line, Style::body(9.5));
    }
    page.space(4.0);
}

/// "Exempelvärde: utgångsläget 150 är inte ett verkligt värde …" for a commitment whose baseline is an example.
fn example_line(texts: &Texts, c: &Commitment) -> Option<String> {
    if !c.target.example_baseline() {
        return None;
    }
    let lang = texts.language();
    let baseline = match &c.target {
        Target::Increase { baseline, .. } | Target::Decrease { baseline, .. } => {
            format::integer(u64::from(*baseline), lang)
        }
        Target::Outcome { baseline, unit, .. } => format::measure(*baseline, unit.as_deref(), lang),
        _ => return None,
    };
    Some(texts.render("example_figure_line", context! { baseline => baseline }))
}

/// The follow-up notes under the status line: the assessment, the public comment, and the internal note in the
/// internal edition alone.
fn notes(page: &mut Layout, input: &ReportInput, texts: &Texts, c: &Commitment, p: &CommitmentProgress) {
    if let Some(line) = words::assessment_line(texts, c, p) {
        page.paragraph(&line, Style::body(10.0));
    }
    for paragraph in p.comment.as_deref().map(words::paragraphs).unwrap_or_default() {
        page.space(1.5);
        page.paragraph(&paragraph, Style::body(10.0));
    }
    if input.edition == Edition::Internal {
        if let Some(line) = words::internal_note_line(texts, p) {
            page.space(1.5);
            page.paragraph(&line, Style::body(10.0).colored(INTERNAL));
        }
    }
}

/// A rate's buckets: dates, target, done and status, one row each.
fn buckets(page: &mut Layout, texts: &Texts, p: &CommitmentProgress) {
    let (Some(bucket), false) = (p.per, p.by_bucket.is_empty()) else { return };
    let unit = words::unit_word(texts, bucket);
    page.heading(&texts.render("buckets_heading", context! { unit => unit }), 10.5, 14.0);
    let columns = [
        Column { title: texts.plain("col_period"), width: 70.0, align: Align::Left },
        Column { title: texts.plain("col_target"), width: 25.0, align: Align::Right },
        Column { title: texts.plain("col_achieved"), width: 25.0, align: Align::Right },
        Column { title: texts.plain("col_status"), width: TEXT_W - 120.0, align: Align::Left },
    ];
    let rows: Vec<Vec<Cell>> = words::bucket_rows(texts, p)
        .into_iter()
        .map(|r| {
            let chip = Some(status_colors(r.chip.status_value));
            vec![Cell::text(r.range), Cell::text(r.target), Cell::text(r.achieved), Cell { text: r.chip.status, chip }]
        })
        .collect();
    page.table(&columns, &rows, 9.0);
}

/// An outcome's measurements, oldest first (a measured aim gets no monthly chart of counts).
fn measurements(page: &mut Layout, texts: &Texts, p: &CommitmentProgress) {
    let rows = words::measurement_rows(texts, p);
    if rows.is_empty() {
        return;
    }
    page.heading(&texts.plain("measurements_heading"), 10.5, 14.0);
    let columns = [
        Column { title: texts.plain("col_date"), width: 50.0, align: Align::Left },
        Column { title: texts.plain("col_value"), width: 35.0, align: Align::Right },
    ];
    let rows: Vec<Vec<Cell>> = rows.into_iter().map(|(d, v)| vec![Cell::text(d), Cell::text(v)]).collect();
    page.table(&columns, &rows, 9.0);
}

/// A qualitative promise's evidence: date, activity, place; the note only in the internal edition.
fn evidence(page: &mut Layout, input: &ReportInput, texts: &Texts, p: &CommitmentProgress) {
    let internal = input.edition == Edition::Internal;
    let rows = words::evidence_rows(texts, input.pledge, p, internal);
    if rows.is_empty() {
        return;
    }
    page.heading(&texts.plain("evidence_heading"), 10.5, 14.0);
    let mut columns = vec![
        Column { title: texts.plain("col_date"), width: 36.0, align: Align::Left },
        Column { title: texts.plain("col_activity"), width: 62.0, align: Align::Left },
        Column { title: texts.plain("col_place"), width: TEXT_W - 98.0, align: Align::Left },
    ];
    if internal {
        // The note gets the room: it is free text, the others are short.
        (columns[0].width, columns[1].width, columns[2].width) = (28.0, 42.0, 30.0);
        columns.push(Column { title: texts.plain("col_note"), width: TEXT_W - 100.0, align: Align::Left });
    }
    let rows: Vec<Vec<Cell>> = rows
        .into_iter()
        .map(|r| {
            let mut row = vec![Cell::text(r.date), Cell::text(r.activity), Cell::text(r.place)];
            if internal {
                row.push(Cell::text(r.note.unwrap_or_default()));
            }
            row
        })
        .collect();
    page.table(&columns, &rows, 8.5);
}

/// One row per place (year, party …): name, count and a bar, so they compare at a glance. A name too long for
/// its column (a declared party, a long place name) wraps under itself, clear of the figure.
fn breakdown_chart(page: &mut Layout, breakdown: &Breakdown) {
    let row = 6.0;
    page.heading(&breakdown.heading, 10.5, row * breakdown.rows.len() as f32);
    let max = breakdown.rows.iter().map(|r| r.value).max().unwrap_or(0).max(1);
    let style = Style::body(9.5);
    let figures = breakdown.rows.iter().map(|r| page.width(&r.text, style)).fold(0.0, f32::max);
    let label_width = 62.0 - figures - 2.5;
    for r in &breakdown.rows {
        let lines = page.wrap(&r.label, style, label_width);
        let height = row + style.line_height() * lines.len().saturating_sub(1) as f32;
        page.ensure(height);
        let top = page.y;
        for (n, line) in lines.iter().enumerate() {
            page.text_at(MARGIN, top + style.line_height() * n as f32, line, style);
        }
        page.text_at(MARGIN + 62.0 - page.width(&r.text, style), top, &r.text, style);
        page.rect(MARGIN + 66.0, top + 0.8, 90.0 * r.value as f32 / max as f32, row - 2.6, BLUE);
        page.space(height);
    }
}

/// A bar toward the target, with a marker at the expected figure when the kind has one.
fn progress_bar(page: &mut Layout, texts: &Texts, p: &CommitmentProgress) {
    let (width, height) = (TEXT_W, 5.0);
    page.ensure(height + 9.0);
    page.space(1.5);
    let top = page.y;
    let target = f64::from(p.target.unwrap_or_default().max(1));
    let share = (p.count() as f64 / target).min(1.0) as f32;
    page.rect(MARGIN, top, width, height, (0.90, 0.90, 0.92));
    page.rect(MARGIN, top, width * share, height, status_colors(p.status).0);
    if let Some(expected) = p.expected_by_now {
        let x = MARGIN + width * (expected / target).min(1.0) as f32;
        page.line((x, top - 1.2), (x, top + height + 1.2), 1.2, (0.1, 0.1, 0.12));
        let label = format!("{} {}", texts.plain("expected_marker"), format::decimal(expected, texts.language()));
        let w = page.width(&label, Style::body(7.0));
        page.text_at(
            (x - w / 2.0).clamp(MARGIN, MARGIN + width - w),
            top + height + 1.3,
            &label,
            Style::body(7.0).colored(GREY),
        );
    }
    page.space(height + 6.0);
}

/// Every month of the pledge period (months after as-of stay empty). Over more than a year the slots narrow: a
/// month's name is written only where it fits, and January then carries its year so the axis stays readable.
fn monthly_chart(page: &mut Layout, input: &ReportInput, texts: &Texts, p: &CommitmentProgress) {
    let lang = texts.language();
    let (chart_h, label_h) = (24.0, 10.0);
    page.heading(&texts.plain("monthly_heading"), 10.5, chart_h + label_h);
    let mut months: BTreeMap<String, Option<u64>> =
        crate::progress::month_keys(input.pledge.start, input.pledge.end).into_iter().map(|m| (m, None)).collect();
    for (m, n) in &p.by_month {
        months.insert(m.clone(), Some(*n));
    }
    let max = months.values().flatten().copied().max().unwrap_or(0).max(1);
    let slot = TEXT_W / months.len().max(1) as f32;
    let many = months.len() > 12;
    let top = page.y + 4.0;
    let base = top + chart_h;
    let small = Style::body(if many { 6.0 } else { 7.0 });
    page.line((MARGIN, base), (MARGIN + TEXT_W, base), 0.6, (0.5, 0.5, 0.55));
    for (i, (month, n)) in months.iter().enumerate() {
        let x = MARGIN + slot * i as f32;
        if let Some(n) = n {
            let h = chart_h * (*n as f32 / max as f32);
            page.rect(x + slot * 0.2, base - h, slot * 0.6, h, BLUE);
            let value = format::integer(*n, lang);
            let w = page.width(&value, small);
            page.text_at(x + (slot - w) / 2.0, base - h - 3.6, &value, small);
        }
        let parsed = crate::period::Month::parse(month);
        let index = parsed.map_or(0, crate::period::Month::month0);
        let label = format::month_short(index, lang);
        if page.width(&label, small) <= slot {
            let w = page.width(&label, small);
            page.text_at(x + (slot - w) / 2.0, base + 1.0, &label, small.colored(GREY));
        }
        if many && index == 0 {
            let year = parsed.map(|m| m.year().to_string()).unwrap_or_default();
            page.text_at(x + 0.5, base + 4.0, &year, small.colored(GREY));
        }
    }
    page.y = base + label_h - 2.0;
}
