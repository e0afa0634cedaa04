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
use crate::archive::{Archive, ArchiveError, Entry, Manifest, RESULTS_FILE};
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
    /// The pledge document with the baselines this follow-up counted from records.
    pledge: std::borrow::Cow<'a, Pledge>,
    pledges: Vec<CommitmentProgress>,
    records: RecordCounts,
    /// The follow-up notes' summary, as its paragraphs (none without notes).
    summary: Vec<String>,
    /// "Granskad och godkänd av … den …" for an approved version.
    approval: Option<String>,
    /// A draft waiting for review, shown only on the preview site: its pages say so and mark example figures.
    draft: bool,
    /// "Rättad <datum>: <reason>" for a version that corrects one the public had.
    correction: Option<String>,
    /// When the public got this version, in the schedule's time zone, as words.
    released_on: String,
}

/// A link from a follow-up's page to one of its earlier (superseded) released versions.
#[derive(Serialize)]
struct EarlierView {
    version: u32,
    label: String,
}

/// What a superseded version's page says about the version that replaced it.
struct Superseded {
    /// "Detta är en tidigare version …".
    notice: String,
}

#[derive(Serialize)]
struct FollowUpView {
    period: String,
    heading: String,
    published: String,
    pdf: String,
    summary: Vec<String>,
    rows: Vec<SummaryRow>,
    correction: Option<String>,
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

fn read<'a>(entry: &'a Entry, config: &'a Config, texts: &Texts) -> Result<Option<SiteEntry<'a>>, SiteError> {
    let Some(pledge) = config.pledge(&entry.manifest.document) else {
        tracing::warn!(document = %entry.manifest.document, "no pledge document in the config; left off the site");
        return Ok(None);
    };
    let results = Results::read(&entry.dir.join(RESULTS_FILE))?;
    let summary = results.summary.as_deref().map(words::paragraphs).unwrap_or_default();
    let m = &entry.manifest;
    let lang = texts.language();
    let tz = config.schedule.timezone;
    let released_on = local_date(m.released_at(), tz).map(|d| format::date(d, lang)).unwrap_or_default();
    let approval = m.review.as_ref().filter(|r| r.state == crate::archive::ReviewState::Approved).and_then(|r| {
        let by = r.approved_by.clone()?;
        let date = r.decided_at.as_deref().and_then(|t| local_date(t, tz)).map(|d| format::date(d, lang))?;
        Some(texts.render("approved_stamp", context! { by => by, date => date }))
    });
    let correction = m.is_correction().then(|| {
        let reason = m
            .correction
            .as_deref()
            .map(|r| words::paragraphs(r).join(" "))
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| texts.plain("site_corrected_no_reason"));
        texts.render("site_corrected", context! { date => released_on.clone(), reason => reason })
    });
    let pledges = results.commitments();
    let pledge = if pledge.commitments.iter().any(|c| c.baseline_from.is_some()) {
        std::borrow::Cow::Owned(crate::progress::published_baselines(pledge, &pledges))
    } else {
        std::borrow::Cow::Borrowed(pledge)
    };
    let draft = m.is_draft();
    Ok(Some(SiteEntry {
        entry,
        pledge,
        pledges,
        records: results.records,
        summary,
        approval,
        correction,
        released_on,
        draft,
    }))
}

/// The date of an RFC 3339 time in the schedule's time zone.
fn local_date(rfc3339: &str, tz: chrono_tz::Tz) -> Option<chrono::NaiveDate> {
    chrono::DateTime::parse_from_rfc3339(rfc3339).ok().map(|t| t.with_timezone(&tz).date_naive())
}

/// The folder of a version's page, relative to the site's top: the period's own folder for the version the public
/// has now, `v<version>/` inside it for an earlier one.
fn page_dir(m: &Manifest, current: bool) -> String {
    if current {
        format!("{}/{}", m.document, m.period)
    } else {
        format!("{}/{}/v{}", m.document, m.period, m.version)
    }
}

fn rows(texts: &Texts, p: &SiteEntry) -> Vec<SummaryRow> {
    let mut rows = summary_rows(texts, &p.pledge, &p.pledges);
    if p.draft {
        words::mark_examples(texts, &p.pledge, &mut rows);
    }
    rows
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

/// The HTML version of a public report: the same content as the public PDF, with its approval and correction
/// lines, the links to earlier versions (on the current version's page) or the notice that a later version replaced
/// it (on an earlier version's page).
fn report_view(texts: &Texts, p: &SiteEntry, earlier: &[EarlierView], superseded: Option<&Superseded>) -> Value {
    let lang = texts.language();
    let m = &p.entry.manifest;
    let pledge: &Pledge = &p.pledge;
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
        approval => p.approval.clone(), correction => p.correction.clone(),
        draft => p.draft.then(|| texts.plain("draft_stamp")),
        earlier => Serde(earlier), superseded => superseded.map(|s| s.notice.clone()),
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
    let written = build(config, &config.site_dir, verified_entries(archive, false)?)?;
    if config.review.required {
        // The reviewers' look at what approval would publish; a preview that cannot be written is no reason to
        // hold back the public site.
        if let Err(e) = build(config, &preview_dir(config), verified_entries(archive, true)?) {
            tracing::warn!("the preview site of drafts could not be written: {e}");
        }
    }
    Ok(written)
}

/// The preview site (docs/review.md): the public site as approving every waiting draft would make it, with each
/// draft's page saying it is a draft and marking its example figures. It lives in the state folder, never beside
/// the public site, so no web server that serves the site serves it.
#[must_use]
pub fn preview_dir(config: &Config) -> std::path::PathBuf {
    config.state_dir.join("preview")
}

/// Writes the pages of `verified` into `site` (a symlink switched to a new version folder).
fn build(config: &Config, site: &std::path::Path, verified: Verified) -> Result<SiteWritten, SiteError> {
    let texts = Texts::load(config.language)?;
    let Verified { current: entries, earlier: earlier_entries, left_out } = verified;
    let published: Vec<SiteEntry> =
        entries.iter().map(|e| read(e, config, &texts)).filter_map(Result::transpose).collect::<Result<_, _>>()?;
    // Every earlier released version of a period still shown, oldest first (SPEC §11: nothing published is deleted).
    let mut earlier: BTreeMap<(String, String), Vec<SiteEntry>> = BTreeMap::new();
    for e in &earlier_entries {
        if let Some(p) = read(e, config, &texts)? {
            earlier.entry((e.manifest.document.clone(), e.manifest.period.clone())).or_default().push(p);
        }
    }

    let site = &site.to_path_buf();
    let config_dir = config.path.parent().unwrap_or(std::path::Path::new("."));
    let mut others = vec![
        ("archive", config.archive_dir.as_path()),
        ("outbox", config.outbox_dir.as_path()),
        ("configuration", config_dir),
    ];
    // The preview is lofte's own folder inside the state folder; the public site must not be near the state.
    if *site == config.site_dir {
        others.push(("state", config.state_dir.as_path()));
    }
    if let Some(reason) = swap::unsafe_location(site, &others) {
        return Err(SiteError::Location { path: site.clone(), reason });
    }
    let site_io = |source| SiteError::Io { path: site.clone(), source };
    swap::clean(site).map_err(site_io)?;
    let pages = Pages::new(&texts, config.language, swap::new_version(site).map_err(site_io)?)?;

    let mut documents: BTreeMap<String, DocumentView> = BTreeMap::new();
    for p in &published {
        let key = (p.entry.manifest.document.clone(), p.entry.manifest.period.clone());
        let older = earlier.get(&key).map_or(&[][..], Vec::as_slice);
        let followup = pages.followup(p, older)?;
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
    pages.put("feed.xml", feed(&pages, &published, &earlier)?.as_bytes())?;
    pages.put("results.csv", &results_csv(&published)?)?;
    pages.put("style.css", STYLE.as_bytes())?;

    crate::fault::point("site-before-switch");
    swap::switch(site, &pages.dir).map_err(site_io)?;
    Ok(SiteWritten { index: site.join("index.html"), left_out })
}

/// The released entries (made without review, or approved: never a draft) whose files still match their manifest,
/// the earlier released versions of those periods that a correction superseded (also verified), and what was found
/// changed in the others: only verified, released entries reach the public.
fn verified_entries(archive: &Archive, drafts: bool) -> Result<Verified, SiteError> {
    let mut left_out = Vec::new();
    let mut verified = |entry: Entry, into: &mut Vec<Entry>| -> Result<(), SiteError> {
        let problems = crate::archive::verify_entry(&entry)?;
        if problems.is_empty() {
            into.push(entry);
        } else {
            tracing::warn!(dir = %entry.dir.display(), "left off the public site: {}", problems.join("; "));
            left_out.extend(problems);
        }
        Ok(())
    };
    let mut entries = Vec::new();
    let mut shown = archive.released()?;
    if drafts {
        // A waiting draft takes the place of its period's released version: what approving it would publish.
        for draft in archive.list()?.into_iter().filter(|e| !e.superseded && e.manifest.is_draft()) {
            shown.retain(|e| {
                (&e.manifest.document, &e.manifest.period) != (&draft.manifest.document, &draft.manifest.period)
            });
            shown.push(draft);
        }
    }
    for entry in shown {
        verified(entry, &mut entries)?;
    }
    let mut earlier = Vec::new();
    for entry in archive.list()?.into_iter().filter(|e| e.superseded && e.manifest.released()) {
        let m = &entry.manifest;
        let replaced = entries.iter().any(|c| {
            c.manifest.document == m.document && c.manifest.period == m.period && c.manifest.version > m.version
        });
        if replaced {
            verified(entry, &mut earlier)?;
        }
    }
    earlier.sort_by_key(|e| (e.manifest.document.clone(), e.manifest.period.clone(), e.manifest.version));
    Ok(Verified { current: entries, earlier, left_out })
}

/// What [`verified_entries`] found.
struct Verified {
    /// The newest released version of each period.
    current: Vec<Entry>,
    /// The earlier released versions of those periods, by document, period and version.
    earlier: Vec<Entry>,
    /// What was found changed in entries left off.
    left_out: Vec<String>,
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

    /// A version's folder: its public PDF and `results.json`, copied from the archive.
    fn copy_files(&self, p: &SiteEntry, rel: &str) -> Result<(), SiteError> {
        for file in [public_pdf(p.entry), RESULTS_FILE.to_string()] {
            let bytes = fs::read(p.entry.dir.join(&file))
                .map_err(|source| SiteError::Io { path: p.entry.dir.join(&file), source })?;
            self.put(&format!("{rel}/{file}"), &bytes)?;
        }
        Ok(())
    }

    /// One follow-up's folder (its page, the public PDF and `results.json`), a `v<version>/` folder of the same
    /// for each earlier released version in `older` (oldest first), and its line on the document's page.
    fn followup(&self, p: &SiteEntry, older: &[SiteEntry]) -> Result<FollowUpView, SiteError> {
        let m = &p.entry.manifest;
        let rel = page_dir(m, true);
        self.copy_files(p, &rel)?;
        // Newest first: the version this one replaced leads the list.
        let links: Vec<EarlierView> = older
            .iter()
            .rev()
            .map(|o| EarlierView {
                version: o.entry.manifest.version,
                label: self.texts.render(
                    "site_earlier_version",
                    context! { version => o.entry.manifest.version, date => o.released_on.clone() },
                ),
            })
            .collect();
        for (i, o) in older.iter().enumerate() {
            let next = older.get(i + 1).unwrap_or(p);
            let notice = self.texts.render("site_superseded", context! { date => next.released_on.clone() });
            let dir = page_dir(&o.entry.manifest, false);
            self.copy_files(o, &dir)?;
            let view = report_view(self.texts, o, &[], Some(&Superseded { notice }));
            let page = self.render("report.html", "../../../", context! { r => view })?;
            self.put(&format!("{dir}/index.html"), page.as_bytes())?;
        }
        let view = report_view(self.texts, p, &links, None);
        let page = self.render("report.html", "../../", context! { r => view })?;
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
            correction: p.correction.clone(),
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

/// The Atom feed: an entry per released version, newest first. The first release of a period keeps the id it
/// always had; each correction is an entry of its own (its own id and time) that says it is a correction. An
/// earlier version's entry links to its page under `v<version>/`.
fn feed(
    pages: &Pages,
    published: &[SiteEntry],
    earlier: &BTreeMap<(String, String), Vec<SiteEntry>>,
) -> Result<String, SiteError> {
    let texts = pages.texts;
    let mut all: Vec<(&SiteEntry, bool)> = published.iter().map(|p| (p, true)).collect();
    all.extend(earlier.values().flatten().map(|p| (p, false)));
    // Newest first, as feed readers expect.
    all.sort_by(|a, b| b.0.entry.manifest.released_at().cmp(a.0.entry.manifest.released_at()));
    let entries: Vec<Value> = all
        .iter()
        .map(|&(p, current)| {
            let m = &p.entry.manifest;
            let title = format!("{}: {}", p.pledge.title, heading(texts, p));
            let (id, title) = if m.is_correction() {
                (
                    format!("urn:lofte:{}:{}:v{}", m.document, m.period, m.version),
                    texts.render("feed_corrected_title", context! { title => title }),
                )
            } else {
                (format!("urn:lofte:{}:{}", m.document, m.period), title)
            };
            context! {
                title => title, id => id, updated => m.released_at(),
                document => m.document.clone(), period => m.period.clone(), version => m.version, earlier => !current,
                pdf => public_pdf(p.entry),
                summary => p.correction.iter().cloned().chain(p.summary.iter().cloned()).chain(std::iter::once(
                    summary_rows(texts, &p.pledge, &p.pledges).into_iter()
                    .map(|r| format!("{}: {} ({})", r.title, r.achieved, r.chip.status))
                    .collect::<Vec<_>>().join("; "))).collect::<Vec<_>>().join(" "),
            }
        })
        .collect();
    let updated =
        all.iter().map(|(p, _)| p.entry.manifest.released_at()).max().unwrap_or("1970-01-01T00:00:00Z").to_string();
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
                party_keys(&p.pledge, c),
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
