//! The one place that knows the order of the stages: config → sources → validation (against the pledge) →
//! progress → (report → archive → deliver, as their issues land).

use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use tracing::{info, warn};

use crate::config::{Config, SourceConfig};
use crate::period::{Period, PeriodError};
use crate::pledge::Pledge;
use crate::progress::{self, Progress, ProgressError};
use crate::source::{self, SourceError};
use crate::validate::{Validated, Validator};

/// Why a pipeline run stopped.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The period name is not understood.
    #[error(transparent)]
    Period(#[from] PeriodError),
    /// No pledge document covers the period's year.
    #[error("no pledge document in {config} covers {year}: add the year's document to `pledges`")]
    NoDocument {
        /// The settings file.
        config: String,
        /// The year asked for.
        year: i32,
    },
    /// A source could not be read; nothing was built.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// Progress could not be computed.
    #[error(transparent)]
    Progress(#[from] ProgressError),
    /// A stage panicked (a bug); the message is the panic's.
    #[error("the progress computation crashed: {0}")]
    Crashed(String),
    /// The newest record is too old and the config says to refuse.
    #[error("{0}; refusing to publish (freshness.refuse_publish = true): load newer records or use --force")]
    Stale(String),
}

impl PipelineError {
    /// 2 for bad usage or configuration, 1 for a job that failed.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            PipelineError::Period(_)
            | PipelineError::NoDocument { .. }
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

/// Reads every source and validates every record against `pledge`. Fails if any source cannot be read.
pub async fn ingest(config: &Config, pledge: &Pledge, records: &RecordsOverride) -> Result<Validated, SourceError> {
    let mut validator = Validator::new(pledge);
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
}

/// Parses the period, finds its document, ingests and computes progress.
pub async fn follow_up(
    config: &Config,
    period: &str,
    as_of: Option<NaiveDate>,
    records: &RecordsOverride,
    publications: &[NaiveDate],
) -> Result<FollowUp, PipelineError> {
    let mut period = Period::parse(period)?;
    if let Some(d) = as_of {
        period = period.with_as_of(d);
    }
    let pledge = config
        .pledge_for_year(period.year)
        .ok_or_else(|| PipelineError::NoDocument { config: config.path.display().to_string(), year: period.year })?
        .clone();
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
    let validated = ingest(config, &pledge, records).await?;
    // polars blocks its calling thread (and panics on a current-thread runtime's worker): give it its own.
    let (pledge, period, validated, progress) = {
        let publications = publications.to_vec();
        tokio::task::spawn_blocking(move || {
            let progress = progress::compute(&pledge, &period, &validated, &publications);
            (pledge, period, validated, progress)
        })
        .await
        .map_err(|e| PipelineError::Crashed(e.to_string()))?
    };
    let progress = progress?;
    let stale = staleness(config, &validated, period.as_of);
    if let Some(s) = &stale {
        warn!(document = %pledge.id, period = %period.name, "{s}");
    }
    Ok(FollowUp { pledge, period, validated, progress, stale })
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
