//! Review before the public sees a follow-up (SPEC §11, docs/review.md). With `[review] required = true`,
//! `publish` archives a draft that only the reviewers get; `approve` releases exactly that draft (its figures and
//! input hash, never the sources read again) to the public list and the site; `reject` drops it.
//!
//! Approval writes a new version of the entry: every file of the draft, with the public PDF rendered again from the
//! draft's archived figures and stamped "Granskad och godkänd av … den …". Delivery and the site then run as after
//! `publish`, so each public recipient gets the follow-up once however often `approve` runs.

use chrono::{DateTime, Utc};

use super::{deliver, PipelineError};
use crate::archive::{Archive, Body, Entry, ReviewState, RESULTS_FILE};
use crate::config::Config;
use crate::deliver::outbox::DeliveryStatus;
use crate::deliver::Summary;
use crate::edition::Edition;
use crate::period::Period;
use crate::pledge::Pledge;
use crate::progress::json::Results;
use crate::report::templates::Texts;
use crate::report::{ReportError, ReportInput, Stamp};
use crate::validate::Validated;

/// Why a review decision could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// Nothing is archived for the period.
    #[error("{document} {period} has no draft to review: publish it first (`lofte publish --period {period}`)")]
    NoDraft {
        /// Document id.
        document: String,
        /// Period name.
        period: String,
    },
    /// The current version is not a draft waiting for review.
    #[error("{document} {period} is not waiting for review: {state}")]
    NotADraft {
        /// Document id.
        document: String,
        /// Period name.
        period: String,
        /// What it is instead.
        state: String,
    },
    /// A figure of the document is an example that must be replaced before anything is released.
    #[error("{document}: commitment {commitment:?} has the example baseline {baseline} (baseline_is_example = true); put the real figure in the pledge document, make a new draft (`lofte publish --period … --force`) and approve that")]
    ExampleFigure {
        /// Document id.
        document: String,
        /// The commitment.
        commitment: String,
        /// The example figure.
        baseline: String,
    },
    /// `--approve-as` without review: there is nothing to approve.
    #[error("--approve-as needs review on ([review] required = true): without review, publish releases at once")]
    ReviewOff,
    /// The settings or the pledge document changed after the draft was made.
    #[error("the configuration or the pledge document changed since the draft of {document} {period} was made: approval releases exactly what was drafted, so make a new draft (`lofte publish --period {period} --force`) and approve that")]
    ConfigChanged {
        /// Document id.
        document: String,
        /// Period name.
        period: String,
    },
    /// `--by` names nobody.
    #[error(
        "--by is empty: name who approves, as the report should print it, e.g. --by \"Anna Andersson, lokalpolischef\""
    )]
    NoApprover,
    /// `--document` names no configured document.
    #[error("no pledge document {0:?} in the configuration")]
    UnknownDocument(String),
    /// The draft's archived figures cannot be read.
    #[error(transparent)]
    Results(#[from] crate::progress::json::ResultsError),
    /// The approved edition could not be rendered.
    #[error(transparent)]
    Report(#[from] ReportError),
}

/// What `approve` did.
#[derive(Debug)]
pub struct Approved {
    /// The released entry.
    pub entry: Entry,
    /// It was approved already (by an earlier run): nothing new was written; delivery was completed.
    pub already: bool,
    /// What delivery did.
    pub delivery: Summary,
}

/// Releases the draft of `period` (of `document`, or of the document the period belongs to): approved by `by` at
/// `now`.
pub async fn approve(
    config: &Config,
    period: &Period,
    document: Option<&str>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Approved, PipelineError> {
    let (pledge, period) = pledge_and_period(config, period, document)?;
    let archive = Archive::new(&config.archive_dir);
    let entry = {
        let _lock = crate::state::RunLock::acquire(&config.state_dir, "publish").map_err(PipelineError::Busy)?;
        archive.clean_leftovers()?;
        let current = current(&archive, &pledge.id, &period.name)?;
        match current.manifest.review.as_ref().map(|r| r.state) {
            Some(ReviewState::Draft) => {}
            Some(ReviewState::Approved) => {
                // Approved before (perhaps by a run that stopped before delivering): finish delivering, nothing new.
                let delivery = deliver(config, &archive).await?;
                write_site(config, &archive, &delivery)?;
                return Ok(Approved { entry: current, already: true, delivery });
            }
            other => return Err(not_a_draft(&pledge.id, &period.name, other).into()),
        }
        // The draft was made with these settings and pledge texts; a changed document could show a target the
        // figures were not computed against. Approval releases exactly what was drafted, or nothing.
        if current.manifest.config_hash != config.config_hash {
            return Err(ReviewError::ConfigChanged { document: pledge.id.clone(), period: period.name.clone() }.into());
        }
        refuse_example_figures(&pledge)?;
        if let Some(example) = current.manifest.review.as_ref().and_then(|r| r.examples.first()) {
            let (commitment, baseline) = example.split_once(": ").unwrap_or((example.as_str(), ""));
            return Err(ReviewError::ExampleFigure {
                document: pledge.id.clone(),
                commitment: commitment.to_string(),
                baseline: baseline.to_string(),
            }
            .into());
        }
        let files = approved_files(config, &pledge, &current, by, now)?;
        let mut manifest = current.manifest.clone();
        if let Some(review) = manifest.review.as_mut() {
            review.state = ReviewState::Approved;
            review.approved_by = Some(by.to_string());
            review.decided_at = Some(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        }
        // The reviewers had the draft; everyone else is added now, the public list first among them.
        for (role, address) in config.recipients.all() {
            manifest
                .deliveries
                .entry(crate::deliver::delivery_key(role, address))
                .or_insert_with(|| DeliveryStatus::Pending.key().to_string());
        }
        archive.write(manifest, &files, true)?
    };
    tracing::info!(dir = %entry.dir.display(), version = entry.manifest.version, by, "approved");
    let delivery = deliver(config, &archive).await?;
    write_site(config, &archive, &delivery)?;
    Ok(Approved { entry, already: false, delivery })
}

/// Drops the draft of `period`: it stays in the archive, marked rejected with `reason`, and a new `publish` makes
/// a new draft.
pub fn reject(
    config: &Config,
    period: &Period,
    document: Option<&str>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Entry, PipelineError> {
    let (pledge, period) = pledge_and_period(config, period, document)?;
    let archive = Archive::new(&config.archive_dir);
    let _lock = crate::state::RunLock::acquire(&config.state_dir, "publish").map_err(PipelineError::Busy)?;
    let current = current(&archive, &pledge.id, &period.name)?;
    let state = current.manifest.review.as_ref().map(|r| r.state);
    if state != Some(ReviewState::Draft) {
        return Err(not_a_draft(&pledge.id, &period.name, state).into());
    }
    let when = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    archive.update_review(&pledge.id, &period.name, current.manifest.version, |review| {
        review.state = ReviewState::Rejected;
        review.rejected_because = Some(reason.to_string());
        review.decided_at = Some(when.clone());
        true
    })?;
    // The preview of drafts drops the rejected one (the public site is as it was).
    if let Err(e) = crate::site::write(config, &archive) {
        tracing::warn!("the site could not be written after the rejection: {e}");
    }
    Ok(archive.current(&pledge.id, &period.name)?.unwrap_or(current))
}

/// Every draft waiting for review, oldest first.
pub fn waiting(config: &Config) -> Result<Vec<Entry>, PipelineError> {
    let archive = Archive::new(&config.archive_dir);
    let mut drafts: Vec<Entry> =
        archive.list()?.into_iter().filter(|e| !e.superseded && e.manifest.is_draft()).collect();
    drafts.sort_by(|a, b| a.manifest.generated_at.cmp(&b.manifest.generated_at));
    Ok(drafts)
}

/// The document (named, or the one the period belongs to) and the period as it applies to it.
fn pledge_and_period(
    config: &Config,
    period: &Period,
    document: Option<&str>,
) -> Result<(Pledge, Period), PipelineError> {
    match document {
        Some(id) => {
            let pledge = config.pledge(id).ok_or_else(|| ReviewError::UnknownDocument(id.to_string()))?;
            Ok((pledge.clone(), period.clone()))
        }
        None => super::document_for(config, period).map(|(p, period)| (p.clone(), period)),
    }
}

fn current(archive: &Archive, document: &str, period: &str) -> Result<Entry, PipelineError> {
    archive
        .current(document, period)?
        .ok_or_else(|| ReviewError::NoDraft { document: document.to_string(), period: period.to_string() }.into())
}

fn not_a_draft(document: &str, period: &str, state: Option<ReviewState>) -> ReviewError {
    let state = match state {
        None => "it was released without review".to_string(),
        Some(ReviewState::Approved) => "it is approved already".to_string(),
        Some(ReviewState::Rejected) => "its draft was rejected: publish a new draft".to_string(),
        Some(ReviewState::Draft) => "it is a draft".to_string(),
    };
    ReviewError::NotADraft { document: document.to_string(), period: period.to_string(), state }
}

/// An example figure (`baseline_is_example = true`) is never released (SPEC §11): the draft may show it, marked.
fn refuse_example_figures(pledge: &Pledge) -> Result<(), ReviewError> {
    let Some((c, baseline)) = pledge.commitments.iter().find_map(|c| Some((c, example_figure(c)?))) else {
        return Ok(());
    };
    Err(ReviewError::ExampleFigure { document: pledge.id.clone(), commitment: c.id.clone(), baseline })
}

/// The commitment's example baseline, when it has one.
#[must_use]
pub fn example_figure(c: &crate::pledge::Commitment) -> Option<String> {
    c.target.example_baseline().then(|| c.target.baseline_text()).flatten()
}

/// The draft's files, with the public PDF rendered again from the draft's own figures and stamped as approved.
fn approved_files(
    config: &Config,
    pledge: &Pledge,
    draft: &Entry,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Vec<(String, Body<'static>)>, PipelineError> {
    let m = &draft.manifest;
    let results = Results::read(&draft.dir.join("results-internal.json")).map_err(ReviewError::from)?;
    let progress = results.into_progress();
    let pledge = &crate::progress::published_baselines(pledge, &progress.pledges);
    let generated_at = DateTime::parse_from_rfc3339(&m.generated_at).map_or(now, |t| t.with_timezone(&Utc));
    let on = now.with_timezone(&config.schedule.timezone).date_naive();
    let texts = Texts::load(config.language).map_err(ReportError::from)?;
    // The public edition lists no rejected rows, so it needs none: its data-quality counts come with the figures.
    let validated = Validated::default();
    let input = ReportInput {
        pledge,
        progress: &progress,
        validated: &validated,
        edition: Edition::Public,
        generated_at,
        input_hash: &m.input_hash,
        stamp: Stamp::Approved { by: by.to_string(), on },
        max_rejected_rows: config.max_rejected_rows,
    };
    let public_pdf = crate::report::pdf_name(&m.document, &m.period, Edition::Public);
    let rendered = crate::report::pdf::render(&input, &texts).map_err(ReviewError::from)?;
    let mut files = vec![(public_pdf.clone(), Body::Bytes(rendered))];
    for name in m.files.keys().filter(|n| **n != public_pdf) {
        let path = draft.dir.join(name);
        files.push((
            name.clone(),
            Body::Stream(Box::new(move |out| {
                let mut file = std::fs::File::open(&path)?;
                std::io::copy(&mut file, out)?;
                out.flush()
            })),
        ));
    }
    debug_assert!(m.files.contains_key(RESULTS_FILE));
    Ok(files)
}

fn write_site(config: &Config, archive: &Archive, delivery: &Summary) -> Result<(), PipelineError> {
    crate::site::write(config, archive)
        .map_err(|e| PipelineError::Site { reason: e.to_string(), delivery: delivery.clone() })?;
    Ok(())
}
