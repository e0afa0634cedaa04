//! The static public site, made from the archive alone (plus the pledge documents' text): an index of documents,
//! a page per document with every follow-up and its summary table, an HTML version of each public report, an Atom
//! feed and an open-data `results.csv`. Plain HTML and CSS with relative links, so it works opened from disk and
//! from any static web server; no JavaScript.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use minijinja::value::Serde;
use minijinja::{context, Environment, Value};
use serde::Serialize;

pub mod swap;

use crate::archive::snapshot::inert;
use crate::archive::{Archive, ArchiveError, Entry, RESULTS_FILE};
use crate::config::{Config, Language};
use crate::pledge::{Commitment, Parties, Party, Pledge};
use crate::progress::json::{Results, ResultsError};
use crate::progress::{CommitmentProgress, RecordCounts};
use crate::report::format;
use crate::report::templates::Texts;
use crate::report::words::{
    self, breakdowns, bucket_rows, coverage_lines, css, evidence_rows, has_bar, intro, measurement_rows, monthly,
    parties_label, party_heading, party_items, progress_sentence, quality, status_colors, summary_rows, SummaryRow,
};

const TEMPLATES: [(&str, &str); 6] = [
    ("base.html", include_str!("../../templates/site/base.html")),
    ("index.html", include_str!("../../templates/site/index.html")),
    ("document.html", include_str!("../../templates/site/document.html")),
    ("summary.html", include_str!("../../templates/site/summary.html")),
    ("report.html", include_str!("../../templates/site/report.html")),
    ("feed.xml", include_str!("../../templates/site/feed.xml")),
];
const STYLE: &str = include_str!("../../templates/site/style.css");

/// Why the site could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// The archive could not be read.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// A site template is broken (a bug in lofte's templates, not in the data).
    #[error("site template: {0}")]
    Template(#[from] minijinja::Error),
    /// The report texts could not be loaded.
    #[error(transparent)]
    Texts(#[from] crate::report::templates::TemplateError),
    /// An archived `results.json` cannot be read back.
    #[error(transparent)]
    Results(#[from] ResultsError),
    /// The site folder would replace something that is not the site.
    #[error("site folder {}: {reason}; choose a folder of its own (site_dir or --site-dir)", path.display())]
    Location {
        /// The configured site folder.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// The open data could not be written.
    #[error("results.csv: {0}")]
    OpenData(#[from] csv::Error),
    /// A file or folder of the site could not be written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// One published follow-up, read back from the archive.
struct SiteEntry<'a> {
    entry: &'a Entry,
    pledge: &'a Pledge,
    pledges: Vec<CommitmentProgress>,
    records: RecordCounts,
    /// The follow-up notes' summary, as its paragraphs (none without notes).
    summary: Vec<String>,
}

#[derive(Serialize)]
struct FollowUpView {
    period: String,
    heading: String,
    published: String,
    pdf: String,
    summary: Vec<String>,
    rows: Vec<SummaryRow>,
}

#[derive(Serialize)]
struct DocumentView {
    id: String,
    title: String,
    municipality: String,
    police_area: String,
    followups: Vec<FollowUpView>,
}

fn public_pdf(entry: &Entry) -> String {
    crate::report::pdf_name(&entry.manifest.document, &entry.manifest.period, crate::edition::Edition::Public)
}

fn read<'a>(entry: &'a Entry, config: &'a Config) -> Result<Option<SiteEntry<'a>>, SiteError> {
    let Some(pledge) = config.pledge(&entry.manifest.document) else {
        tracing::warn!(document = %entry.manifest.document, "no pledge document in the config; left off the site");
        return Ok(None);
    };
    let results = Results::read(&entry.dir.join(RESULTS_FILE))?;
    let summary = results.summary.as_deref().map(words::paragraphs).unwrap_or_default();
    Ok(Some(SiteEntry { entry, pledge, pledges: results.commitments(), records: results.records, summary }))
}

fn rows(texts: &Texts, p: &SiteEntry) -> Vec<SummaryRow> {
    summary_rows(texts, p.pledge, &p.pledges)
}

fn generated(entry: &Entry) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(&entry.manifest.generated_at).ok().map(|t| t.with_timezone(&chrono::Utc))
}

fn heading(texts: &Texts, p: &SiteEntry) -> String {
    texts.render(
        "period_line",
        context! { period => p.entry.manifest.period.clone(), as_of => format::date(p.entry.manifest.as_of, texts.language()) },
    )
}

/// The HTML version of a public report: the same content as the public PDF.
fn report_view(texts: &Texts, p: &SiteEntry) -> Value {
    let lang = texts.language();
    let m = &p.entry.manifest;
    let pledge = p.pledge;
    let generated_text = generated(p.entry).map(|t| format::moment(t, lang)).unwrap_or_default();
    let as_of = format::date(m.as_of, lang);
    let commitments: Vec<Value> =
        pledge.commitments.iter().zip(&p.pledges).map(|(c, cp)| commitment_view(texts, pledge, c, cp)).collect();
    let parties: Vec<Value> = pledge
        .parties
        .iter()
        .map(|party| {
            let party = &party.key;
            let items = party_items(texts, pledge, &p.pledges, party);
            context! { heading => party_heading(texts, pledge, party), items => items }
        })
        .collect();
    let (quality, reasons) = quality(texts, &p.records, &as_of);
    let short_hash: String = m.input_hash.chars().take(12).collect();
    context! {
        title => texts.plain("title"), municipality => pledge.municipality.clone(), period => m.period.clone(),
        subtitle => texts.render("subtitle", context! { municipality => pledge.municipality.clone(), police_area => pledge.police_area.clone() }),
        document_line => pledge.title.clone(),
        period_line => heading(texts, p),
        generated_line => texts.render("generated_line", context! { generated => generated_text.clone() }),
        intro => intro(texts, pledge, &as_of, days(pledge, m.as_of), days(pledge, pledge.end)),
        focus_areas => pledge.focus_areas.clone(),
        summary => p.summary.clone(), rows => Serde(rows(texts, p)), commitments => commitments, parties => parties, quality => quality, reasons => reasons,
        signed_line => texts.render("signed_line", context! { place => pledge.signed_place.clone(), date => format::date(pledge.signed_on, lang) }),
        signatories => pledge.signatories.iter().map(|s| context! { name => s.name.clone(), title => s.title.clone() }).collect::<Vec<_>>(),
        pdf => public_pdf(p.entry),
        footer => format!("{} · {} · {} · sha256:{short_hash}", m.document, m.period, generated_text),
    }
}

/// One commitment of the HTML report: the same sections as in the PDF, for its kind. Built from the public
/// `results.json`, which holds no evidence notes and no internal note; none are asked for here either. The
/// follow-up notes' assessment and public comment are shown, as in the PDF.
fn commitment_view(texts: &Texts, pledge: &Pledge, c: &Commitment, cp: &CommitmentProgress) -> Value {
    let lang = texts.language();
    let bar = has_bar(c, cp).then(|| {
        let target = f64::from(cp.target.unwrap_or_default().max(1));
        context! {
            share => (cp.count() as f64 / target * 100.0).min(100.0).round(),
            expected => cp.expected_by_now.map(|e| (e / target * 100.0).min(100.0).round()),
            fill => css(status_colors(cp.status).0),
            label => texts.render("site_progress_label", context! {
                achieved => format::integer(cp.count(), lang),
                target => format::integer(u64::from(cp.target.unwrap_or_default()), lang) }),
        }
    });
    let months: Vec<(String, String)> = if monthly(c, cp) {
        cp.by_month.iter().map(|(k, v)| (month_name(k, lang), format::integer(*v, lang))).collect()
    } else {
        Vec::new()
    };
    let buckets_heading =
        cp.per.map(|b| texts.render("buckets_heading", context! { unit => words::unit_word(texts, b) }));
    context! {
        id => c.id.clone(),
        heading => format!("{} ({})", c.title, parties_label(texts, pledge, c)),
        text => c.text.replace(['\u{a0}', '\n'], " "),
        sentence => progress_sentence(texts, pledge, c, cp),
        assessment => words::assessment_line(texts, c, cp),
        comment => cp.comment.as_deref().map(words::paragraphs).unwrap_or_default(),
        bar => bar,
        months => months,
        buckets_heading => buckets_heading,
        buckets => Serde(bucket_rows(texts, cp)),
        measurements => measurement_rows(texts, cp),
        evidence => Serde(evidence_rows(texts, pledge, cp, false)),
        breakdowns => Serde(breakdowns(texts, pledge, c, cp)),
        coverage => coverage_lines(texts, pledge, c, cp),
    }
}

fn days(pledge: &Pledge, to: chrono::NaiveDate) -> u32 {
    crate::progress::days_inclusive(pledge.start, to)
}

fn month_name(key: &str, lang: Language) -> String {
    match crate::period::Month::parse(key) {
        Some(m) => format!("{} {}", format::month_short(m.month0(), lang), m.year()),
        None => key.to_string(),
    }
}

/// Writes the whole site as a new version and switches `config.site_dir` to it atomically (see [`swap`]).
pub fn write(config: &Config, archive: &Archive) -> Result<SiteWritten, SiteError> {
    let texts = Texts::load(config.language)?;
    let (entries, left_out) = verified_entries(archive)?;
    let published: Vec<SiteEntry> =
        entries.iter().map(|e| read(e, config)).filter_map(Result::transpose).collect::<Result<_, _>>()?;

    let site = &config.site_dir;
    let config_dir = config.path.parent().unwrap_or(std::path::Path::new("."));
    let others = [
        ("archive", config.archive_dir.as_path()),
        ("state", config.state_dir.as_path()),
        ("outbox", config.outbox_dir.as_path()),
        ("configuration", config_dir),
    ];
    if let Some(reason) = swap::unsafe_location(site, &others) {
        return Err(SiteError::Location { path: site.clone(), reason });
    }
    let site_io = |source| SiteError::Io { path: site.clone(), source };
    swap::clean(site).map_err(site_io)?;
    let pages = Pages::new(&texts, config.language, swap::new_version(site).map_err(site_io)?)?;

    let mut documents: BTreeMap<String, DocumentView> = BTreeMap::new();
    for p in &published {
        let followup = pages.followup(p)?;
        documents
            .entry(p.entry.manifest.document.clone())
            .or_insert_with(|| DocumentView {
                id: p.pledge.id.clone(),
                title: p.pledge.title.clone(),
                municipality: p.pledge.municipality.clone(),
                police_area: p.pledge.police_area.clone(),
                followups: Vec::new(),
            })
            .followups
            .push(followup);
    }
    for doc in documents.values() {
        let page = pages.render("document.html", "../", context! { doc => Value::from(Serde(doc)) })?;
        pages.put(&format!("{}/index.html", doc.id), page.as_bytes())?;
    }
    let docs: Vec<&DocumentView> = documents.values().collect();
    let index = pages.render("index.html", "", context! { documents => Value::from(Serde(&docs)) })?;
    pages.put("index.html", index.as_bytes())?;
    pages.put("feed.xml", feed(&pages, &published)?.as_bytes())?;
    pages.put("results.csv", &results_csv(&published)?)?;
    pages.put("style.css", STYLE.as_bytes())?;

    crate::fault::point("site-before-switch");
    swap::switch(site, &pages.dir).map_err(site_io)?;
    Ok(SiteWritten { index: site.join("index.html"), left_out })
}

/// The released entries (made without review, or approved: never a draft) whose files still match their manifest,
/// and what was found changed in the others: only verified, released entries reach the public.
fn verified_entries(archive: &Archive) -> Result<(Vec<Entry>, Vec<String>), SiteError> {
    let mut left_out = Vec::new();
    let mut entries = Vec::new();
    for entry in archive.released()? {
        let problems = crate::archive::verify_entry(&entry)?;
        if problems.is_empty() {
            entries.push(entry);
        } else {
            tracing::warn!(dir = %entry.dir.display(), "left off the public site: {}", problems.join("; "));
            left_out.extend(problems);
        }
    }
    Ok((entries, left_out))
}

/// The templates, the texts and the version folder the pages go into.
struct Pages<'a> {
    env: Environment<'static>,
    texts: &'a Texts,
    lang: &'static str,
    t: BTreeMap<String, String>,
    dir: PathBuf,
}

impl<'a> Pages<'a> {
    fn new(texts: &'a Texts, language: Language, dir: PathBuf) -> Result<Pages<'a>, SiteError> {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)?;
        }
        let lang = match language {
            Language::Sv => "sv",
            Language::En => "en",
        };
        Ok(Pages { env, texts, lang, t: texts.all_plain(), dir })
    }

    /// Renders a template; `root` is the relative way back to the site's top, `extra` the page's own values.
    fn render(&self, name: &str, root: &str, extra: Value) -> Result<String, SiteError> {
        let base = context! { lang => self.lang, root => root, t => self.t.clone() };
        Ok(self.env.get_template(name)?.render(context! { ..base, ..extra })?)
    }

    /// Writes a file of the new version.
    fn put(&self, rel: &str, bytes: &[u8]) -> Result<(), SiteError> {
        let path = self.dir.join(rel);
        let io = |source| SiteError::Io { path: path.clone(), source };
        fs::create_dir_all(path.parent().unwrap_or(&self.dir)).map_err(io)?;
        fs::write(&path, bytes).map_err(|source| SiteError::Io { path: path.clone(), source })
    }

    /// One follow-up's folder (its page, the public PDF and `results.json`) and its line on the document's page.
    fn followup(&self, p: &SiteEntry) -> Result<FollowUpView, SiteError> {
        let m = &p.entry.manifest;
        let rel = format!("{}/{}", m.document, m.period);
        for file in [public_pdf(p.entry), RESULTS_FILE.to_string()] {
            let bytes = fs::read(p.entry.dir.join(&file))
                .map_err(|source| SiteError::Io { path: p.entry.dir.join(&file), source })?;
            self.put(&format!("{rel}/{file}"), &bytes)?;
        }
        let page = self.render("report.html", "../../", context! { r => report_view(self.texts, p) })?;
        self.put(&format!("{rel}/index.html"), page.as_bytes())?;
        let published =
            generated(p.entry).map(|g| format::date(g.date_naive(), self.texts.language())).unwrap_or_default();
        Ok(FollowUpView {
            period: m.period.clone(),
            heading: heading(self.texts, p),
            published: self.texts.render("site_published", context! { date => published }),
            pdf: public_pdf(p.entry),
            summary: p.summary.clone(),
            rows: rows(self.texts, p),
        })
    }
}

/// What [`write`] did.
#[derive(Debug, Clone)]
pub struct SiteWritten {
    /// The index page.
    pub index: PathBuf,
    /// Files of entries left off the site because they no longer match their manifest.
    pub left_out: Vec<String>,
}

fn feed(pages: &Pages, published: &[SiteEntry]) -> Result<String, SiteError> {
    let texts = pages.texts;
    // Newest first, as feed readers expect.
    let mut newest: Vec<&SiteEntry> = published.iter().collect();
    newest.sort_by(|a, b| b.entry.manifest.generated_at.cmp(&a.entry.manifest.generated_at));
    let entries: Vec<Value> = newest
        .into_iter()
        .map(|p| {
            let m = &p.entry.manifest;
            context! {
                title => format!("{}: {}", p.pledge.title, heading(texts, p)),
                document => m.document.clone(), period => m.period.clone(), updated => m.generated_at.clone(),
                pdf => public_pdf(p.entry),
                summary => p.summary.iter().cloned().chain(std::iter::once(
                    summary_rows(texts, p.pledge, &p.pledges).into_iter()
                    .map(|r| format!("{}: {} ({})", r.title, r.achieved, r.chip.status))
                    .collect::<Vec<_>>().join("; "))).collect::<Vec<_>>().join(" "),
            }
        })
        .collect();
    let updated = published
        .iter()
        .map(|p| p.entry.manifest.generated_at.clone())
        .max()
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    pages.render("feed.xml", "", context! { entries => entries, updated => updated })
}

/// Open data: one row per commitment per publication, every cell inert in a spreadsheet.
fn results_csv(published: &[SiteEntry]) -> Result<Vec<u8>, csv::Error> {
    // A BOM, so that Excel on Swedish Windows reads the file as UTF-8.
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record([
        "document",
        "municipality",
        "period",
        "as_of",
        "published",
        "commitment",
        "title",
        "party",
        "target",
        "achieved",
        "expected_by_now",
        "forecast",
        "status",
        // Added after the first columns, so that a reader of the old ones still finds them where they were.
        "target_kind",
        "per",
        "unit",
    ])?;
    for p in published {
        let m = &p.entry.manifest;
        for (c, cp) in p.pledge.commitments.iter().zip(&p.pledges) {
            let row = [
                m.document.clone(),
                p.pledge.municipality.clone(),
                m.period.clone(),
                m.as_of.to_string(),
                m.generated_at.clone(),
                c.id.clone(),
                c.title.clone(),
                party_keys(p.pledge, c),
                cp.target.map(|t| t.to_string()).unwrap_or_default(),
                match cp.achieved {
                    Some(crate::progress::Figure::Count(n)) => n.to_string(),
                    Some(crate::progress::Figure::Measured(v)) => v.to_string(),
                    None => String::new(),
                },
                cp.expected_by_now.map(|e| format!("{e:.2}")).unwrap_or_default(),
                cp.forecast.map(|f| format!("{f:.2}")).unwrap_or_default(),
                cp.status.key().to_string(),
                cp.target_kind.key().to_string(),
                cp.per.map(|b| b.key().to_string()).unwrap_or_default(),
                match &c.target {
                    crate::pledge::Target::Outcome { unit, .. } => unit.clone().unwrap_or_default(),
                    _ => String::new(),
                },
            ];
            w.write_record(row.iter().map(|c| inert(c)))?;
        }
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// Every party of a commitment by key, joined with `+` ("polisen+raddningstjansten"); any party (`*`) is every
/// party of the document.
fn party_keys(pledge: &Pledge, c: &Commitment) -> String {
    let keys: Vec<&str> = match &c.parties {
        Parties::Listed(list) => list.iter().map(Party::key).collect(),
        Parties::Any => pledge.parties.iter().map(|p| p.key.key()).collect(),
    };
    keys.join("+")
}
