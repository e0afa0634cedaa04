//! The follow-up report as an A4 PDF: title page, summary, each commitment with its verbatim text, progress bar,
//! monthly chart and (for foot patrols) the schools, what each party did, data quality, signatories.
//!
//! Reproducible: fixed font resource names, dates from the generation time, and a document `/ID` derived from
//! the content's identity, so the same inputs and generation time give the same bytes.

mod commitment;

use minijinja::context;
use printpdf::{OffsetDateTime, PdfDocument, PdfFont, PdfSaveOptions, PdfWarnMsg};
use sha2::{Digest, Sha256};

use super::format;
use super::layout::{Align, Cell, Column, Font, Layout, Style, GREY, TEXT_W};
use super::words;
use super::words::status_colors;
use super::{ReportError, ReportInput};
use crate::edition::Edition;
use crate::language::Language;
use crate::report::templates::Texts;

const REGULAR: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Regular.ttf");
const BOLD: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Bold.ttf");
// The fonts are subset already (assets/fonts/README.md); the six-letter tag says so, as the PDF spec asks.

/// Renders the report of `input` as PDF bytes.
pub fn render(input: &ReportInput, texts: &Texts) -> Result<Vec<u8>, ReportError> {
    let regular = Font::new(REGULAR, "LOFTEA+NotoSans-Regular", "FontRegular").ok_or(ReportError::Font)?;
    let bold = Font::new(BOLD, "LOFTEB+NotoSans-Bold", "FontBold").ok_or(ReportError::Font)?;
    let fonts = [(regular.id.clone(), regular.parsed().clone()), (bold.id.clone(), bold.parsed().clone())];
    let mut page = Layout::new(regular, bold);
    let lang = texts.language();
    let p = input.progress;
    let as_of = format::date(p.as_of, lang);
    let generated = format::moment(input.generated_at, lang);

    title_page(&mut page, input, texts, &as_of, &generated);
    summary(&mut page, input, texts);
    for (c, cp) in input.pledge.commitments.iter().zip(&p.pledges) {
        commitment::section(&mut page, input, texts, c, cp);
    }
    parties(&mut page, input, texts);
    data_quality(&mut page, input, texts, &as_of);
    signatories(&mut page, input, texts);

    let short_hash: String = input.input_hash.chars().take(12).collect();
    let stamp = match &input.stamp {
        super::Stamp::None => None,
        super::Stamp::Provisional => Some(texts.plain("provisional_stamp")),
        super::Stamp::Draft => Some(texts.plain("draft_stamp")),
        super::Stamp::Approved { by, on } => Some(texts.render(
            "approved_stamp",
            minijinja::context! { by => by.clone(), date => super::format::date(*on, texts.language()) },
        )),
    };
    let pages = page.finish(stamp.as_deref(), |n, total| {
        texts.render(
            "footer",
            context! { document => p.document.clone(), period => p.period.clone(), generated => generated.clone(),
            hash => format!("sha256:{short_hash}"), page => n, pages => total },
        )
    });
    save(input, texts, fonts, pages)
}

fn title_page(page: &mut Layout, input: &ReportInput, texts: &Texts, as_of: &str, generated: &str) {
    let pledge = input.pledge;
    page.rect(0.0, 0.0, super::layout::PAGE_W, 8.0, (0.16, 0.27, 0.45));
    page.space(40.0);
    page.paragraph(&texts.plain("title"), Style::bold(26.0));
    page.space(4.0);
    let subtitle = texts.render(
        "subtitle",
        context! { municipality => pledge.municipality.clone(), police_area => pledge.police_area.clone() },
    );
    page.paragraph(&subtitle, Style::bold(14.0).colored(GREY));
    page.space(10.0);
    page.paragraph(
        &texts.render("document_line", context! { document_title => pledge.title.clone() }),
        Style::body(12.0),
    );
    page.paragraph(
        &texts.render("period_line", context! { period => input.progress.period.clone(), as_of => as_of }),
        Style::body(12.0),
    );
    page.paragraph(&texts.render("generated_line", context! { generated => generated }), Style::body(12.0));
    page.space(6.0);
    let edition = match input.edition {
        Edition::Public => texts.plain("edition_public"),
        Edition::Internal => texts.plain("edition_internal"),
    };
    page.paragraph(&edition, Style::bold(11.0).colored((0.55, 0.12, 0.1)));
    page.space(14.0);
    page.paragraph(
        &words::intro(texts, pledge, as_of, input.progress.days_elapsed, input.progress.days_total),
        Style::body(11.0),
    );
    if !pledge.focus_areas.is_empty() {
        page.heading(&texts.plain("focus_heading"), 13.0, 12.0);
        for area in &pledge.focus_areas {
            page.paragraph(&format!("• {area}"), Style::body(11.0));
        }
    }
    page.new_page();
}

fn summary(page: &mut Layout, input: &ReportInput, texts: &Texts) {
    page.heading(&texts.plain("summary_heading"), 16.0, 20.0);
    // The follow-up notes' summary leads the section, above the table it speaks of.
    if let Some(summary) = &input.progress.summary {
        for paragraph in words::paragraphs(summary) {
            page.paragraph(&paragraph, Style::body(11.0));
            page.space(2.0);
        }
        page.space(2.0);
    }
    let columns = [
        // The party column fits a declared name such as "Räddningstjänsten Mitt Bohuslän" without breaking a word;
        // the long title of the narrow figures column wraps instead.
        Column { title: texts.plain("col_commitment"), width: 38.0, align: Align::Left },
        Column { title: texts.plain("col_party"), width: 31.0, align: Align::Left },
        Column { title: texts.plain("col_target"), width: 25.0, align: Align::Left },
        Column { title: texts.plain("col_achieved"), width: 19.0, align: Align::Right },
        Column { title: texts.plain("col_expected"), width: 22.0, align: Align::Right },
        Column { title: texts.plain("col_status"), width: TEXT_W - 135.0, align: Align::Left },
    ];
    let rows: Vec<Vec<Cell>> = words::summary_rows(texts, input.pledge, &input.progress.pledges)
        .into_iter()
        .zip(&input.pledge.commitments)
        .map(|(r, c)| {
            let chip = Some(status_colors(r.chip.status_value));
            // A draft marks an example figure where its target is printed, so the reviewers see what to replace.
            let target = if marks_examples(input) && c.target.example_baseline() {
                texts.render("example_figure_target", context! { target => r.target.clone() })
            } else {
                r.target
            };
            vec![
                Cell::text(r.title),
                Cell::text(r.party),
                Cell::text(target),
                Cell::text(r.achieved),
                Cell::text(r.expected),
                Cell { text: r.chip.status, chip },
            ]
        })
        .collect();
    page.table(&columns, &rows, 9.0);
}

/// Whether example figures (`baseline_is_example = true`) are marked: in a draft, which reviewers read before they
/// approve (SPEC §11). A report made without review is left as it always was.
fn marks_examples(input: &ReportInput) -> bool {
    input.stamp == super::Stamp::Draft
}

fn parties(page: &mut Layout, input: &ReportInput, texts: &Texts) {
    for party in input.pledge.parties.iter().map(|p| &p.key) {
        page.heading(&words::party_heading(texts, input.pledge, party), 14.0, 12.0);
        for item in words::party_items(texts, input.pledge, &input.progress.pledges, party) {
            page.paragraph(&format!("• {item}"), Style::body(10.0));
        }
    }
}

fn data_quality(page: &mut Layout, input: &ReportInput, texts: &Texts, as_of: &str) {
    let v = input.validated;
    page.heading(&texts.plain("quality_heading"), 14.0, 16.0);
    let (counts, reasons) = words::quality(texts, &input.progress.records, as_of);
    for line in counts {
        page.paragraph(&line, Style::body(10.0));
    }
    if !reasons.is_empty() {
        page.paragraph(&texts.plain("quality_reasons"), Style::body(10.0));
        for line in reasons {
            page.paragraph(&format!("• {line}"), Style::body(10.0));
        }
    }
    if input.edition == Edition::Internal && !v.rejected.is_empty() {
        page.heading(&texts.plain("rejected_heading"), 12.0, 16.0);
        let columns = [
            Column { title: texts.plain("col_where"), width: 34.0, align: Align::Left },
            Column { title: texts.plain("col_id"), width: 24.0, align: Align::Left },
            Column { title: texts.plain("col_reason"), width: 52.0, align: Align::Left },
            Column { title: texts.plain("col_row"), width: TEXT_W - 110.0, align: Align::Left },
        ];
        let shown = v.rejected.len().min(input.max_rejected_rows);
        if shown < v.rejected.len() {
            let note = texts.render(
                "rejected_bounded",
                context! { shown => format::integer(shown as u64, texts.language()),
                total => format::integer(v.rejected.len() as u64, texts.language()) },
            );
            page.paragraph(&note, Style::body(10.0));
            page.space(2.0);
        }
        let rows: Vec<Vec<Cell>> = v
            .rejected
            .iter()
            .take(shown)
            .map(|r| {
                let file = r.locator.origin.rsplit('/').next().unwrap_or(&r.locator.origin).to_string();
                let place = match r.locator.position {
                    crate::source::Position::Line(n) => format!("{file}:{n}"),
                    crate::source::Position::Index(n) => format!("{file} #{n}"),
                };
                vec![
                    Cell::text(place),
                    Cell::text(r.id.clone().unwrap_or_default()),
                    Cell::text(format!(
                        "{}: {}",
                        texts.plain(&format!("reason_{}", r.reason.code())),
                        r.reason.detail()
                    )),
                    Cell::text(r.raw.chars().take(300).collect::<String>()),
                ]
            })
            .collect();
        page.table(&columns, &rows, 7.5);
    }
}

fn signatories(page: &mut Layout, input: &ReportInput, texts: &Texts) {
    let pledge = input.pledge;
    // Some published documents name nobody; then there is nothing to show here.
    if pledge.signatories.is_empty() {
        return;
    }
    page.heading(&texts.plain("signatories_heading"), 14.0, 20.0);
    let signed = texts.render(
        "signed_line",
        context! { place => pledge.signed_place.clone(), date => format::date(pledge.signed_on, texts.language()) },
    );
    page.paragraph(&signed, Style::body(10.0));
    page.space(3.0);
    for s in &pledge.signatories {
        page.ensure(12.0);
        page.paragraph(&s.name, Style::bold(10.5));
        page.paragraph(&s.title, Style::body(10.0).colored(GREY));
        page.space(2.0);
    }
}

fn save(
    input: &ReportInput,
    texts: &Texts,
    fonts: [(printpdf::FontId, printpdf::ParsedFont); 2],
    pages: Vec<printpdf::PdfPage>,
) -> Result<Vec<u8>, ReportError> {
    let p = input.progress;
    let title = format!("{} – {} {}", texts.plain("title"), input.pledge.municipality, p.period);
    let mut doc = PdfDocument::new(&crate::text::nfc(&title));
    let seconds = input.generated_at.timestamp();
    let time = OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| ReportError::Time(seconds))?;
    let info = &mut doc.metadata.info;
    info.author = format!("{} / {}", input.pledge.municipality, input.pledge.police_area);
    info.subject = texts.render("pdf_subject", context! { period => p.period.clone() });
    info.creator = format!("lofte {}", env!("CARGO_PKG_VERSION"));
    info.producer = format!("lofte {} (printpdf)", env!("CARGO_PKG_VERSION"));
    info.identifier = format!("{}/{}/{}", p.document, p.period, input.edition.key());
    (info.creation_date, info.modification_date, info.metadata_date) = (time, time, time);
    for (id, parsed) in fonts {
        doc.resources.fonts.map.insert(id, PdfFont::new(parsed));
    }
    doc.with_pages(pages);
    // subset_fonts has no effect without printpdf's text_layout feature; the embedded fonts are subset already.
    let options = PdfSaveOptions { optimize: true, subset_fonts: true, secure: true, image_optimization: None };
    let mut warnings: Vec<PdfWarnMsg> = Vec::new();
    let mut pdf = doc.to_lopdf_document(&options, &mut warnings);
    if let Some(w) = warnings.iter().find(|w| matches!(w.severity, printpdf::PdfParseErrorSeverity::Error)) {
        return Err(ReportError::Build(w.msg.clone()));
    }
    // printpdf draws a random /ID on every save; derive it from what the document is instead.
    let identity = Sha256::digest(format!(
        "{}|{}|{}|{}|{}|{:?}",
        p.document,
        p.period,
        input.edition.key(),
        input.generated_at.timestamp(),
        input.input_hash,
        texts.language()
    ));
    let id = lopdf::Object::String(identity[..16].to_vec(), lopdf::StringFormat::Hexadecimal);
    pdf.trailer.set("ID", lopdf::Object::Array(vec![id.clone(), id]));
    let lang = match texts.language() {
        Language::Sv => "sv-SE",
        Language::En => "en-GB",
    };
    pdf.catalog_mut()?.set("Lang", lopdf::Object::string_literal(lang));
    pdf.compress();
    let mut out = Vec::new();
    pdf.save_to(&mut out).map_err(lopdf::Error::from)?;
    Ok(out)
}
