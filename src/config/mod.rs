//! Runtime settings (`config/lofte.toml`) and the pledge documents they list.
//!
//! Loading is two steps, like vector's: serde with `deny_unknown_fields` (a typo is an error, not a silent default),
//! then one validation pass that collects every problem with its file, line and column, so that `lofte check`
//! shows them all at once.

mod raw;
mod smtp;
mod validate;

use std::path::{Path, PathBuf};

use chrono_tz::Tz;

use crate::edition::Role;
use crate::pledge::Pledge;
use crate::problem::Problem;

pub use crate::language::Language;
pub use smtp::{SmtpSecurity, SmtpSettings};
pub use validate::{is_loopback_host, is_valid_address, smtp_url_problem};

/// Values taken from the environment rather than files (secrets never live in config files).
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `LOFTE_SMTP_URL`, which overrides `[smtp] url`.
    pub smtp_url: Option<String>,
}

impl Env {
    /// Reads the variables lofte knows from the process environment.
    #[must_use]
    pub fn from_process() -> Env {
        Env { smtp_url: std::env::var("LOFTE_SMTP_URL").ok().filter(|s| !s.trim().is_empty()) }
    }
}

/// The whole validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The settings file it was loaded from.
    pub path: PathBuf,
    /// Report and mail language.
    pub language: Language,
    /// The pledge documents, in the order listed.
    pub pledges: Vec<Pledge>,
    /// Where activity records come from.
    pub sources: Vec<SourceConfig>,
    /// Archive of published results.
    pub archive_dir: PathBuf,
    /// Delivery state and run history.
    pub state_dir: PathBuf,
    /// Where mail goes as `.eml` files when no SMTP server is configured.
    pub outbox_dir: PathBuf,
    /// The static public site.
    pub site_dir: PathBuf,
    /// Follow-up notes, `<document>/<period>.toml` (docs/followups.md); beside the settings by default.
    pub followups_dir: PathBuf,
    /// SHA-256 of the settings file and every pledge document, recorded in each archive entry.
    pub config_hash: String,
    /// Who gets which edition.
    pub recipients: Recipients,
    /// Sender and list headers.
    pub mail: MailConfig,
    /// SMTP server, if any (from `LOFTE_SMTP_URL` or `[smtp] url`).
    pub smtp: SmtpConfig,
    /// When to publish.
    pub schedule: ScheduleConfig,
    /// How old the newest record may be.
    pub freshness: Freshness,
    /// At most this many rejected rows are listed in the internal edition (and so in its mail); the rest are
    /// counted per reason and kept in `rejected.csv` in the archive.
    pub max_rejected_rows: usize,
    /// Review before release (SPEC §11).
    pub review: ReviewConfig,
    /// Things worth fixing that do not stop lofte (for example an example baseline still in place).
    pub warnings: Vec<Problem>,
}

/// One source of activity records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceConfig {
    /// CSV files matching a glob pattern (absolute, or resolved against the config file's folder).
    Csv {
        /// Name used in rejected-row reports and as the scope of record ids.
        name: String,
        /// The glob pattern.
        pattern: String,
    },
    /// An HTTP JSON API (docs/records.md).
    Api(ApiConfig),
}

impl SourceConfig {
    /// The source's name.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            SourceConfig::Csv { name, .. } => name,
            SourceConfig::Api(api) => &api.name,
        }
    }
}

/// Settings of an HTTP API source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiConfig {
    /// Name used in reports.
    pub name: String,
    /// First page URL.
    pub url: String,
    /// Name of the environment variable that holds the bearer token.
    pub token_env: Option<String>,
    /// Total timeout per request, seconds.
    pub timeout_secs: u64,
    /// Connect timeout, seconds.
    pub connect_timeout_secs: u64,
    /// Retries after the first attempt.
    pub retries: u32,
    /// First backoff delay, milliseconds; doubled on each retry, plus jitter.
    pub retry_base_ms: u64,
    /// At most this many pages are followed.
    pub max_pages: usize,
    /// At most this many records are read.
    pub max_records: usize,
    /// At most this many bytes per response body.
    pub max_body_bytes: usize,
}

/// Recipients by role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipients {
    /// Gets the internal edition.
    pub police_chief: Vec<String>,
    /// Gets the internal edition.
    pub board_chair: Vec<String>,
    /// Gets the public edition.
    pub public_list: Vec<String>,
}

impl Recipients {
    /// The addresses of one role.
    #[must_use]
    pub fn of(&self, role: Role) -> &[String] {
        match role {
            Role::PoliceChief => &self.police_chief,
            Role::BoardChair => &self.board_chair,
            Role::PublicList => &self.public_list,
        }
    }

    /// Every (role, address), roles in their order.
    pub fn all(&self) -> impl Iterator<Item = (Role, &str)> {
        Role::ALL.into_iter().flat_map(move |role| self.of(role).iter().map(move |a| (role, a.as_str())))
    }
}

/// Sender and list headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// The From address.
    pub from: String,
    /// Reply-To, if set.
    pub reply_to: Option<String>,
    /// `List-Id` of the public list.
    pub list_id: String,
    /// `List-Unsubscribe` target (a mailto: or https: URL).
    pub unsubscribe: String,
}

/// SMTP settings. The password is never here: it comes from `LOFTE_SMTP_PASSWORD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// The checked `smtps://user@host:465` or `smtp://host:587?tls=required`; `None` means the file outbox.
    pub settings: Option<SmtpSettings>,
    /// Bound on one send, seconds.
    pub timeout_secs: u64,
}

/// The publishing schedule.
#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    /// Time zone of the cron expressions.
    pub timezone: Tz,
    /// A missed run is caught up at start if it is less than this many days late.
    pub catch_up_days: u32,
    /// A run that found the publish lock taken (a manual `publish`) tries again after this many seconds.
    pub busy_retry_secs: u64,
    /// The runs.
    pub runs: Vec<ScheduledRun>,
}

/// One scheduled publication.
#[derive(Debug, Clone)]
pub struct ScheduledRun {
    /// Six-field cron expression, seconds first.
    pub cron: String,
    /// Period template: `{year}-H1`, `{year-1}` …
    pub period: String,
}

/// The freshness rule: the newest record should not be older than this at the as-of date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    /// Days; `None` turns the rule off.
    pub max_age_days: Option<u32>,
    /// Refuse to publish (instead of warning) when the rule is broken.
    pub refuse_publish: bool,
}

/// `[review]`: whether a follow-up waits for approval before it reaches the public, and who reviews it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewConfig {
    /// `publish` and scheduled runs make drafts that `lofte approve` releases.
    pub required: bool,
    /// The roles that get a draft's internal edition (default police chief and board chair).
    pub reviewers: Vec<crate::edition::Role>,
    /// A reminder goes to the reviewers when a draft has waited this many days.
    pub remind_after_days: u32,
}

impl Config {
    /// Loads and validates the settings at `path` and every pledge document they list.
    ///
    /// Returns every problem found, across all files, or the configuration.
    pub fn load(path: &Path, env: &Env) -> Result<Config, Vec<Problem>> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![Problem::whole(
                path,
                format!("cannot read the configuration file: {e} (give another with --config PATH)"),
            )]
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        validate::from_text(path, &text, base, env, &|p: &Path| std::fs::read_to_string(p))
    }

    /// The pledge document a period is reported from, and the period as it applies to it: the document whose
    /// period holds the as-of day; else, for the full-year period of the year in which a document ends before 31
    /// December, that document as of its last day. That is the document's final report (SPEC §10), named by its end
    /// year, so the `{year}` run of the schedule publishes it once; a half or tertial after the end has none.
    #[must_use]
    pub fn document_for(&self, period: &crate::period::Period) -> Option<(&Pledge, crate::period::Period)> {
        use chrono::Datelike;
        if let Some(p) = self.pledges.iter().find(|p| p.contains(period.as_of)) {
            return Some((p, period.clone()));
        }
        let full_year = period.name == period.year.to_string()
            && chrono::NaiveDate::from_ymd_opt(period.year, 12, 31) == Some(period.as_of);
        let ending = self.pledges.iter().filter(|p| full_year && p.end.year() == period.year && p.end < period.as_of);
        ending.max_by_key(|p| p.end).map(|p| (p, period.clone().with_as_of(p.end)))
    }

    /// The pledge document with id `id`.
    #[must_use]
    pub fn pledge(&self, id: &str) -> Option<&Pledge> {
        self.pledges.iter().find(|p| p.id == id)
    }
}

/// `path` with `.` and `dir/..` taken out, without touching the disk (no symbolic link is followed): `config/../site`
/// → `site`, `/var/lib/../lib/lofte` → `/var/lib/lofte`. A `..` that has nothing to take out stays in a relative
/// path and is dropped at the root.
#[must_use]
pub(crate) fn lexical_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}
