//! The follow-up report: prose from [`templates`], Swedish number and date [`format`], a small [`layout`] layer,
//! and the [`pdf`] itself, in a public and an internal edition.

pub(crate) mod format;
pub(crate) mod layout;
pub mod pdf;
pub mod templates;
pub(crate) mod words;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::edition::Edition;
use crate::pledge::Pledge;
use crate::progress::Progress;
use crate::validate::Validated;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The built-in templates are broken (a build problem, caught by `lofte check` and the tests).
    #[error(transparent)]
    Template(#[from] templates::TemplateError),
    /// The built-in font could not be parsed.
    #[error("the embedded font could not be read; the binary is damaged, rebuild it")]
    Font,
    /// The generation time is outside what a PDF date can hold.
    #[error("PDF generation failed: the generation time {0} (seconds since 1970) cannot be written as a PDF date")]
    Time(i64),
    /// printpdf reported an error while building the document (its own message).
    #[error("PDF generation failed: {0}")]
    Build(String),
    /// lopdf could not finish or write the document.
    #[error("PDF generation failed: {0}")]
    Write(#[from] lopdf::Error),
}

/// Everything a report shows.
pub struct ReportInput<'a> {
    /// The pledge document.
    pub pledge: &'a Pledge,
    /// The figures.
    pub progress: &'a Progress,
    /// Every input row's outcome (for the data-quality section).
    pub validated: &'a Validated,
    /// Which edition.
    pub edition: Edition,
    /// The generation time printed in the report (fixed for reproducible output).
    pub generated_at: DateTime<Utc>,
    /// SHA-256 of the input rows, hex.
    pub input_hash: &'a str,
    /// What every page says across its top: a forecast, a draft, or who approved it (SPEC §11).
    pub stamp: Stamp,
    /// At most this many rejected rows are listed (internal edition); the rest are in `rejected.csv`.
    pub max_rejected_rows: usize,
}

/// The line across the top of every page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stamp {
    /// A released follow-up made without review.
    None,
    /// The as-of date has not passed: the figures are a forecast.
    Provisional,
    /// A draft that nobody has reviewed yet.
    Draft,
    /// Reviewed and approved.
    Approved {
        /// Who approved it ("Namn, titel").
        by: String,
        /// When.
        on: chrono::NaiveDate,
    },
}

impl Stamp {
    /// The provisional stamp when `provisional`, else none.
    #[must_use]
    pub fn provisional(provisional: bool) -> Stamp {
        if provisional {
            Stamp::Provisional
        } else {
            Stamp::None
        }
    }
}

/// SHA-256 (hex) of every input row in input order, accepted or not: the fingerprint of the data behind a report.
/// Both lists are in input order already, so they are merged as they are hashed, without a copy.
#[must_use]
pub fn input_hash(validated: &Validated) -> String {
    let mut accepted = validated.accepted.iter().map(|a| (a.row, &*a.locator.source, a.raw.as_str())).peekable();
    let mut rejected = validated.rejected.iter().map(|r| (r.row, &*r.locator.source, r.raw.as_str())).peekable();
    let mut hasher = Sha256::new();
    loop {
        let next = match (accepted.peek(), rejected.peek()) {
            (Some(a), Some(r)) if a.0 < r.0 => accepted.next(),
            (Some(_) | None, Some(_)) => rejected.next(),
            (Some(_), None) => accepted.next(),
            (None, None) => break,
        };
        if let Some((_, source, raw)) = next {
            hasher.update(source.as_bytes());
            hasher.update([0x1f]);
            hasher.update(raw.as_bytes());
            hasher.update([b'\n']);
        }
    }
    crate::hash::hex(&hasher.finalize())
}

/// The file name of a report: `<document>-<period>-<edition>.pdf`, the same in the archive, the mail and the site.
#[must_use]
pub fn pdf_name(document: &str, period: &str, edition: Edition) -> String {
    format!("{document}-{period}-{}.pdf", edition.key())
}

/// `SOURCE_DATE_EPOCH` is set but not a number of seconds.
#[derive(Debug, thiserror::Error)]
#[error("SOURCE_DATE_EPOCH={value:?} is not a number of seconds since 1970")]
pub struct SourceDateEpochError {
    /// As set.
    pub value: String,
}

/// The generation time: `--generated-at`, else `SOURCE_DATE_EPOCH`, else now.
pub fn generation_time(given: Option<DateTime<Utc>>) -> Result<DateTime<Utc>, SourceDateEpochError> {
    if let Some(t) = given {
        return Ok(t);
    }
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .ok_or(SourceDateEpochError { value: v }),
        // The run's clock: `LOFTE_NOW` when set (so a trial run is dated as it pretends to be), else the system's.
        Err(_) => Ok(crate::clock::now().unwrap_or_else(|_| Utc::now())),
    }
}
