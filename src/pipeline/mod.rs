//! The one place that knows the order of the stages: config → sources → validation (against the pledge) →
//! progress → report → archive → deliver → the public site (after delivery, so that a site that cannot be
//! written never holds up the mail).

pub mod review;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use tracing::{info, warn};

use crate::archive::{Archive, ArchiveError, Body, Entry, Manifest, RESULTS_FILE};
use crate::config::{Config, SourceConfig};
use crate::deliver::outbox::{DeliveryStatus, Outbox};
use crate::deliver::transport::Transport;
use crate::deliver::{DeliverError, Summary};
use crate::edition::Edition;
use crate::period::{Period, PeriodError};
use crate::pledge::Pledge;
use crate::progress::{self, Progress, ProgressError};
use crate::report::templates::Texts;
use crate::report::{ReportError, ReportInput};
use crate::source::{self, SourceError};
use crate::validate::{Validated, Validator};

/// Why a pipeline run stopped.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The period name is not understood.
    #[error(transparent)]
    Period(#[from] PeriodError),
    /// No pledge document's period holds the as-of day.
    #[error("no pledge document in {config} covers {period} (as of {as_of}): add that document to `pledges`, or give --as-of a day inside a document's period")]
    NoDocument {
        /// The settings file.
        config: String,
        /// The period asked for.
        period: String,
        /// Its as-of day.
        as_of: chrono::NaiveDate,
    },
    /// A source could not be read; nothing was built.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// Progress could not be computed.
    #[error(transparent)]
    Progress(#[from] ProgressError),
    /// A report could not be rendered.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// The archive could not be read or written.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The entry is archived and delivered, but the public site could not be regenerated.
    #[error("published, archived and delivered ({} sent, {} failed, {} pending), but the public site could not be written: {reason}; run `lofte archive site` once the cause is fixed", delivery.sent, delivery.failed, delivery.pending)]
    Site {
        /// What went wrong.
        reason: String,
        /// What delivery did before.
        delivery: Summary,
    },
    /// Another process is publishing.
    #[error(transparent)]
    Busy(crate::state::LockError),
    /// Delivery could not run.
    #[error(transparent)]
    Deliver(#[from] DeliverError),
    /// A stage panicked (a bug); the message is the panic's.
    #[error("the progress computation crashed: {0}")]
    Crashed(#[from] tokio::task::JoinError),
    /// `publish` of a period whose as-of date has not come yet: its verdicts would be final before their date.
    #[error("{period} is as of {as_of}, which has not passed yet (today is {today}): a follow-up is published once its date has passed; use `lofte report` for a forecast")]
    EarlyVerdict {
        /// The period.
        period: String,
        /// Its as-of date.
        as_of: NaiveDate,
        /// Today, in the schedule's time zone.
        today: NaiveDate,
    },
    /// `LOFTE_NOW` is set but not a time.
    #[error(transparent)]
    Clock(#[from] crate::clock::ClockError),
    /// A draft of the period waits for review.
    #[error("a draft of {document} {period} ({since}) is waiting for review: release it with `lofte approve --period {period} --by \"Namn, titel\"`, drop it with `lofte reject --period {period} --reason \"…\"`, or replace it with `publish --force`")]
    DraftWaiting {
        /// Document id.
        document: String,
        /// Period name.
        period: String,
        /// When the draft was made.
        since: String,
    },
    /// With review on, a period the public has is published again without saying why: the new version is a
    /// correction, and its approval would reach the public list without being marked as one.
    #[error("{document} {period} was approved and released (version {version}): a new version is a correction; publish it with `--force --reason \"what was wrong\"` (the correction's mail and the site say the reason)")]
    CorrectionWithoutReason {
        /// Document id.
        document: String,
        /// Period name.
        period: String,
        /// The released version.
        version: u32,
    },
    /// A review decision could not be made.
    #[error(transparent)]
    Review(#[from] review::ReviewError),
    /// The follow-up notes of the period have mistakes.
    #[error("the follow-up notes cannot be used:\n{}", .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Notes(Vec<crate::problem::Problem>),
    /// The newest record is too old and the config says to refuse.
    #[error("{0}; refusing to publish (freshness.refuse_publish = true): load newer records, or set refuse_publish = false to publish anyway")]
    Stale(String),
}

impl PipelineError {
    /// 2 for bad usage or configuration, 1 for a job that failed.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            PipelineError::Period(_)
            | PipelineError::NoDocument { .. }
            | PipelineError::EarlyVerdict { .. }
            | PipelineError::Clock(_)
            | PipelineError::Notes(_)
            | PipelineError::DraftWaiting { .. }
            | PipelineError::CorrectionWithoutReason { .. }
            | PipelineError::Review(
                review::ReviewError::NoDraft { .. }
                | review::ReviewError::NotADraft { .. }
                | review::ReviewError::ExampleFigure { .. }
                | review::ReviewError::UnknownDocument(_)
                | review::ReviewError::ConfigChanged { .. }
                | review::ReviewError::NoApprover
                | review::ReviewError::ReviewOff,
            )
            | PipelineError::Progress(ProgressError::AsOfOutsidePeriod { .. }) => 2,
            _ => 1,
        }
    }
}

/// What to read: the configured sources, or the files given with `--records`.
#[derive(Debug, Clone, Default)]
pub struct RecordsOverride(pub Vec<PathBuf>);

/// The source name given to records read with `--records`.
pub const RECORDS_SOURCE: &str = "records";

/// Reads every source and validates every record against `pledge`; records dated after `today` are rejected.
/// Fails if any source cannot be read.
pub async fn ingest(
    config: &Config,
    pledge: &Pledge,
    records: &RecordsOverride,
    today: NaiveDate,
) -> Result<Validated, SourceError> {
    let mut validator = Validator::new(pledge).until(today);
    if records.0.is_empty() {
        for s in &config.sources {
            match s {
                SourceConfig::Csv { name, pattern } => {
                    let files = source::csv::read_glob(name, pattern, &mut |r| validator.push(r))?;
                    info!(source = %name, files = files.len(), "read csv source");
                }
                SourceConfig::Api(api) => {
                    let n = source::api::read(api, &mut |r| validator.push(r)).await?;
                    info!(source = %api.name, records = n, "read api source");
                }
            }
        }
    } else {
        let name: Arc<str> = Arc::from(RECORDS_SOURCE);
        for path in &records.0 {
            let pattern = path.to_string_lossy();
            if path.is_file() {
                source::csv::read_file(&name, path, &mut |r| validator.push(r))?;
            } else {
                source::csv::read_glob(RECORDS_SOURCE, &pattern, &mut |r| validator.push(r))?;
            }
        }
    }
    let validated = validator.finish();
    info!(
        rows = validated.rows,
        accepted = validated.accepted.len(),
        rejected = validated.rejected.len(),
        duplicates = validated.duplicates,
        "validated records"
    );
    Ok(validated)
}

/// A follow-up computed for one period.
#[derive(Debug, Clone)]
pub struct FollowUp {
    /// The pledge document.
    pub pledge: Pledge,
    /// The period and as-of date.
    pub period: Period,
    /// Every input row's outcome.
    pub validated: Validated,
    /// The figures.
    pub progress: Progress,
    /// A warning from the freshness rule, if it was broken.
    pub stale: Option<String>,
    /// The as-of date is after today: the figures are a forecast.
    pub provisional: bool,
}

/// Parses the period, finds its document, ingests and computes progress.
pub async fn follow_up(
    config: &Config,
    period: &Period,
    records: &RecordsOverride,
    publications: &[NaiveDate],
) -> Result<FollowUp, PipelineError> {
    let (pledge, period) = document_for(config, period)?;
    let pledge = pledge.clone();
    // Check the date before reading anything, so a typo costs no API calls.
    if !pledge.contains(period.as_of) {
        return Err(ProgressError::AsOfOutsidePeriod {
            document: pledge.id.clone(),
            as_of: period.as_of,
            start: pledge.start,
            end: pledge.end,
        }
        .into());
    }
    // The notes are read before the sources too: a mistake in them stops the run before anything is fetched.
    let notes = crate::followup::read(&config.followups_dir, &pledge, &period.name).map_err(PipelineError::Notes)?;
    let today = crate::clock::today(config.schedule.timezone)?;
    // The as-of day itself is not over until tomorrow: until then the figures can still change.
    let provisional = period.as_of >= today;
    if provisional {
        warn!(as_of = %period.as_of, %today, "the as-of date has not passed: the report is a forecast, not final");
    }
    let validated = ingest(config, &pledge, records, today).await?;
    // Baselines counted from last year's records (`baseline_from`) are figures of this follow-up from here on.
    let pledge = progress::counted_baselines(&pledge, &validated);
    for c in pledge.commitments.iter().filter(|c| c.baseline_from.is_some()) {
        if c.target.baseline_text().as_deref() == Some("0") {
            warn!(document = %pledge.id, commitment = %c.id, "no records in the baseline span: the baseline counts as 0; load the records of that span with the others");
        }
    }
    // polars blocks its calling thread (and panics on a current-thread runtime's worker): give it its own.
    let (pledge, period, validated, progress) = {
        let publications = publications.to_vec();
        tokio::task::spawn_blocking(move || {
            let progress = progress::compute(&pledge, &period, &validated, &publications);
            (pledge, period, validated, progress)
        })
        .await?
    };
    let mut progress = progress?;
    notes.apply(&pledge, &mut progress);
    let stale = staleness(config, &validated, period.as_of);
    if let Some(s) = &stale {
        warn!(document = %pledge.id, period = %period.name, "{s}");
    }
    Ok(FollowUp { pledge, period, validated, progress, stale, provisional })
}

/// The freshness rule as `publish` applies it: an error when the records are stale and the config says to refuse.
pub fn require_fresh(config: &Config, follow_up: &FollowUp) -> Result<(), PipelineError> {
    match &follow_up.stale {
        Some(message) if config.freshness.refuse_publish => Err(PipelineError::Stale(message.clone())),
        _ => Ok(()),
    }
}

/// The freshness rule: a message when the newest record on or before `as_of` is older than the configured days.
#[must_use]
pub fn staleness(config: &Config, validated: &Validated, as_of: NaiveDate) -> Option<String> {
    let max_age = config.freshness.max_age_days?;
    let newest = validated.accepted.iter().map(|r| r.date).filter(|d| *d <= as_of).max();
    match newest {
        None => Some(format!("no records at all up to {as_of}")),
        Some(d) if (as_of - d).num_days() > i64::from(max_age) => Some(format!(
            "the newest record is from {d}, {} days before {as_of} (freshness.max_age_days = {max_age})",
            (as_of - d).num_days()
        )),
        Some(_) => None,
    }
}

/// What `publish` did.
#[derive(Debug)]
pub struct Published {
    /// The archive entry (or, for a dry run, the folder the files went to).
    pub dir: PathBuf,
    /// The entry's manifest.
    pub manifest: Manifest,
    /// Whether this was a dry run (nothing archived).
    pub dry_run: bool,
    /// A freshness warning, if any.
    pub stale: Option<String>,
    /// The site's index page, after regeneration.
    pub site: Option<PathBuf>,
    /// What delivery did (for a dry run: the messages written to the outbox folder).
    pub delivery: Summary,
}

/// Options of one publication.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// The period to publish.
    pub period: Period,
    /// The generation time printed in the reports.
    pub generated_at: DateTime<Utc>,
    /// Publish again a period already archived (the earlier version is kept).
    pub force: bool,
    /// Build everything but archive nothing.
    pub dry_run: bool,
    /// Why a period is published again (`--force --reason`), shown in the correction's mail.
    pub reason: Option<String>,
}

/// The full job: both editions, archived atomically, then the site. Delivery joins in its own stage.
pub async fn publish(
    config: &Config,
    records: &RecordsOverride,
    options: &PublishOptions,
) -> Result<Published, PipelineError> {
    let (pledge, period) = document_for(config, &options.period)?;
    let (document, period) = (pledge.id.clone(), &period);
    refuse_early_verdict(config, period)?;
    let archive = Archive::new(&config.archive_dir);
    // One publication at a time per state folder: a second daemon or a manual publish waits its turn.
    let _lock = if options.dry_run {
        None
    } else {
        Some(crate::state::RunLock::acquire(&config.state_dir, "publish").map_err(PipelineError::Busy)?)
    };
    // Whether a new version may replace the current one: freely after a rejected draft, else only with --force.
    let mut replace = options.force;
    if !options.dry_run {
        archive.clean_leftovers()?;
        replace = may_replace(&archive, &document, period, options.force)?;
        if replace {
            require_correction_reason(config, &archive, &document, period, options)?;
        }
    }
    // Every earlier publication to the public list counts toward `aterrapportering`, and so does this one.
    let mut publications = archive.publications(&document, &period.name)?;
    publications.push(period.as_of);
    let follow_up = follow_up(config, period, records, &publications).await?;
    for id in uncommented_shortfalls(&follow_up.progress) {
        let notes = crate::followup::path(&config.followups_dir, &document, &period.name);
        warn!(%document, period = %period.name, commitment = %id, "falls short and the follow-up notes give no comment on why: add one to {}", notes.display());
    }
    crate::fault::point("after-ingest");
    require_fresh(config, &follow_up)?;
    let input_hash = crate::report::input_hash(&follow_up.validated);
    let stamp = if config.review.required {
        crate::report::Stamp::Draft
    } else {
        crate::report::Stamp::provisional(follow_up.provisional)
    };
    let files = entry_files(config, &follow_up, options.generated_at, &input_hash, &stamp)?;
    crate::fault::point("after-render");
    // Under review a reason marks a correction only when the public had a version of the period (a draft replaced
    // before its approval corrects nothing the public saw).
    let corrects = !config.review.required || archive.newest_released(&document, &period.name)?.is_some();
    let manifest = new_manifest(config, document, &follow_up, options, input_hash, corrects);
    if options.dry_run {
        return dry_run(config, manifest, &files, &follow_up);
    }
    let entry = archive.write(manifest, &files, replace)?;
    info!(dir = %entry.dir.display(), version = entry.manifest.version, "archived");
    crate::fault::point("after-archive");
    // Deliveries are recorded (and sent) before the site is built: a site that cannot be written must not keep
    // anyone from getting the follow-up.
    let delivery = deliver(config, &archive).await?;
    let manifest =
        archive.current(&entry.manifest.document, &entry.manifest.period)?.map_or(entry.manifest, |e| e.manifest);
    let site = crate::site::write(config, &archive)
        .map_err(|e| PipelineError::Site { reason: e.to_string(), delivery: delivery.clone() })?
        .index;
    Ok(Published {
        dir: entry.dir,
        manifest,
        dry_run: false,
        stale: follow_up.stale.clone(),
        site: Some(site),
        delivery,
    })
}

/// The commitments that are behind, at risk, not met or partly kept without a comment in the notes (SPEC §11: a
/// follow-up that falls short says why).
#[must_use]
pub fn uncommented_shortfalls(progress: &Progress) -> Vec<String> {
    progress.pledges.iter().filter(|p| p.status.falls_short() && p.comment.is_none()).map(|p| p.id.clone()).collect()
}

/// The pledge document of the period and the period as it applies to it ([`Config::document_for`]); else one that
/// covers the period's year, so that the error names that document's dates ("as-of date … is outside the pledge
/// period of …").
fn document_for<'a>(config: &'a Config, period: &Period) -> Result<(&'a Pledge, Period), PipelineError> {
    use chrono::Datelike;
    let same_year = || {
        let p = config.pledges.iter().find(|p| p.start.year() <= period.year && period.year <= p.end.year())?;
        Some((p, period.clone()))
    };
    config.document_for(period).or_else(same_year).ok_or_else(|| PipelineError::NoDocument {
        config: config.path.display().to_string(),
        period: period.name.clone(),
        as_of: period.as_of,
    })
}

/// A verdict is never published before its date has passed (docs/periods.md): records of the as-of day may still
/// come in until it ends.
fn refuse_early_verdict(config: &Config, period: &Period) -> Result<(), PipelineError> {
    let today = crate::clock::today(config.schedule.timezone)?;
    if period.as_of >= today {
        return Err(PipelineError::EarlyVerdict { period: period.name.clone(), as_of: period.as_of, today });
    }
    Ok(())
}

/// With review on, a new version of a period the public has (approved, or released before review was switched on)
/// is a correction (SPEC §11: "only with `--force --reason`"): without a reason its approval would go out as an
/// ordinary follow-up. So `--force` without a reason is refused, and so is a plain `publish` after a rejected
/// correction draft (as published already, which a scheduled run takes as nothing to do).
fn require_correction_reason(
    config: &Config,
    archive: &Archive,
    document: &str,
    period: &Period,
    options: &PublishOptions,
) -> Result<(), PipelineError> {
    if !config.review.required || options.reason.as_deref().is_some_and(|r| !r.trim().is_empty()) {
        return Ok(());
    }
    let Some(released) = archive.newest_released(document, &period.name)? else { return Ok(()) };
    if options.force {
        return Err(PipelineError::CorrectionWithoutReason {
            document: document.to_string(),
            period: period.name.clone(),
            version: released.manifest.version,
        });
    }
    Err(ArchiveError::AlreadyPublished {
        document: document.to_string(),
        period: period.name.clone(),
        generated_at: released.manifest.generated_at,
    }
    .into())
}

/// Whether a new version of the period may replace the current one: always when there is none or it is a rejected
/// draft; with `--force` for a released one (a correction) or a draft still waiting for review (replaced by a new
/// draft); else the period is refused as published, or as waiting for review.
fn may_replace(archive: &Archive, document: &str, period: &Period, force: bool) -> Result<bool, PipelineError> {
    use crate::archive::ReviewState;
    let Some(current) = archive.current(document, &period.name)? else { return Ok(force) };
    match current.manifest.review.as_ref().map(|r| r.state) {
        Some(ReviewState::Rejected) => Ok(true),
        _ if force => Ok(true),
        Some(ReviewState::Draft) => Err(PipelineError::DraftWaiting {
            document: document.to_string(),
            period: period.name.clone(),
            since: current.manifest.generated_at,
        }),
        _ => Err(ArchiveError::AlreadyPublished {
            document: document.to_string(),
            period: period.name.clone(),
            generated_at: current.manifest.generated_at,
        }
        .into()),
    }
}

/// The manifest of a new entry: every recipient pending; files, hashes and the version are filled in by the archive.
fn new_manifest(
    config: &Config,
    document: String,
    follow_up: &FollowUp,
    options: &PublishOptions,
    input_hash: String,
    corrects: bool,
) -> Manifest {
    let generated_at = options.generated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    // A draft goes to the reviewers only; the public list waits for `lofte approve` (SPEC §11).
    let review = config.review.required.then(|| crate::archive::Review {
        state: crate::archive::ReviewState::Draft,
        drafted_at: generated_at.clone(),
        approved_by: None,
        decided_at: None,
        rejected_because: None,
        reminded_at: None,
        examples: follow_up
            .pledge
            .commitments
            .iter()
            .filter_map(|c| review::example_figure(c).map(|figure| format!("{}: {figure}", c.id)))
            .collect(),
    });
    let deliveries = config
        .recipients
        .all()
        .filter(|(role, _)| review.is_none() || config.review.reviewers.contains(role))
        .map(|(role, address)| (crate::deliver::delivery_key(role, address), DeliveryStatus::Pending.key().to_string()))
        .collect();
    Manifest {
        document,
        period: follow_up.period.name.clone(),
        as_of: follow_up.period.as_of,
        generated_at,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        config_hash: config.config_hash.clone(),
        input_hash,
        files: BTreeMap::new(),
        deliveries,
        version: 1,
        correction: options.reason.clone().filter(|_| corrects),
        review,
    }
}

/// A dry run: the files go to `state/dry-run/<document>/<period>/`, the messages to `outbox/dry-run/`; nothing is
/// archived or sent.
fn dry_run(
    config: &Config,
    manifest: Manifest,
    files: &[(String, Body)],
    follow_up: &FollowUp,
) -> Result<Published, PipelineError> {
    let dir = config.state_dir.join("dry-run").join(&manifest.document).join(&manifest.period);
    std::fs::create_dir_all(&dir).map_err(|source| ArchiveError::Io { path: dir.clone(), source })?;
    for (name, body) in files {
        body.write_to(&dir.join(name))?;
    }
    let entry = Entry { dir, manifest, superseded: false };
    let delivery = dry_run_messages(config, &entry, &follow_up.pledge)?;
    Ok(Published {
        dir: entry.dir,
        manifest: entry.manifest,
        dry_run: true,
        stale: follow_up.stale.clone(),
        site: None,
        delivery,
    })
}

/// Records the outbox rows of every archived entry that lacks them, then sends what is due.
pub async fn deliver(config: &Config, archive: &Archive) -> Result<Summary, PipelineError> {
    let mut outbox = Outbox::open(&config.state_dir)?;
    crate::deliver::enqueue_archive(&mut outbox, archive, crate::deliver::now())?;
    let transport = Transport::from_config(config)?;
    Ok(crate::deliver::send_due(config, &mut outbox, &transport, crate::deliver::now(), false).await?)
}

/// A dry run's messages, written to `<outbox_dir>/dry-run/` and sent nowhere.
fn dry_run_messages(config: &Config, entry: &Entry, pledge: &Pledge) -> Result<Summary, PipelineError> {
    let texts = Texts::load(config.language).map_err(ReportError::from)?;
    let dir = config.outbox_dir.join("dry-run");
    let mut written = 0;
    for recipient in crate::deliver::recipients(entry) {
        let row = crate::deliver::outbox::Row {
            document: entry.manifest.document.clone(),
            period: entry.manifest.period.clone(),
            version: entry.manifest.version,
            role: recipient.role,
            address: recipient.address,
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: 0,
            created_at: 0,
            last_error: None,
        };
        let built = crate::deliver::message::build(config, &texts, &row, entry, pledge).map_err(DeliverError::from)?;
        let path = dir.join(crate::deliver::transport::eml_name(&built.message_id));
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&path, &built.bytes))
            .map_err(|source| ArchiveError::Io { path, source })?;
        written += 1;
    }
    Ok(Summary { sent: 0, failed: 0, pending: written })
}

/// The files of an archive entry: both PDFs, results (public, and internal with provenance), input and rejects.
fn entry_files<'a>(
    config: &Config,
    f: &'a FollowUp,
    generated_at: DateTime<Utc>,
    hash: &str,
    stamp: &crate::report::Stamp,
) -> Result<Vec<(String, Body<'a>)>, PipelineError> {
    let texts = Texts::load(config.language).map_err(ReportError::from)?;
    let mut files = Vec::new();
    for edition in [Edition::Public, Edition::Internal] {
        let input = ReportInput {
            pledge: &f.pledge,
            progress: &f.progress,
            validated: &f.validated,
            edition,
            generated_at,
            input_hash: hash,
            stamp: stamp.clone(),
            max_rejected_rows: config.max_rejected_rows,
        };
        let name = crate::report::pdf_name(&f.pledge.id, &f.period.name, edition);
        files.push((name, Body::Bytes(crate::report::pdf::render(&input, &texts)?)));
    }
    for (name, edition) in [(RESULTS_FILE, Edition::Public), ("results-internal.json", Edition::Internal)] {
        let results = crate::progress::json::results(&f.progress, edition, f.provisional);
        files.push((
            name.into(),
            Body::Stream(Box::new(move |out| {
                serde_json::to_writer_pretty(&mut *out, &results)?;
                out.write_all(b"\n")
            })),
        ));
    }
    files.push((
        "input.csv".into(),
        Body::Stream(Box::new(|out| crate::archive::snapshot::input_csv(&f.pledge, &f.validated, out))),
    ));
    files.push((
        "rejected.csv".into(),
        Body::Stream(Box::new(|out| crate::archive::snapshot::rejected_csv(&f.validated, out))),
    ));
    Ok(files)
}
