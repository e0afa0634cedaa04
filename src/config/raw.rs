//! The settings file as serde sees it, with spans kept for error messages.

use serde::Deserialize;
use toml::Spanned;

use super::Language;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettings {
    pub language: Option<Language>,
    pub pledges: Spanned<Vec<Spanned<String>>>,
    pub archive_dir: Option<String>,
    pub state_dir: Option<String>,
    pub outbox_dir: Option<String>,
    pub site_dir: Option<String>,
    pub followups_dir: Option<String>,
    #[serde(default)]
    pub sources: Vec<Spanned<RawSource>>,
    #[serde(default)]
    pub freshness: RawFreshness,
    pub recipients: Spanned<RawRecipients>,
    pub mail: RawMail,
    #[serde(default)]
    pub smtp: RawSmtp,
    #[serde(default)]
    pub schedule: RawSchedule,
    #[serde(default)]
    pub report: RawReport,
    #[serde(default)]
    pub review: RawReview,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReview {
    pub required: Option<bool>,
    pub reviewers: Option<Spanned<Vec<Spanned<String>>>>,
    pub remind_after_days: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReport {
    pub max_rejected_rows: Option<usize>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(super) enum SourceKind {
    Csv,
    Api,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub name: Spanned<String>,
    pub kind: SourceKind,
    pub path: Option<Spanned<String>>,
    pub url: Option<Spanned<String>>,
    pub token_env: Option<Spanned<String>>,
    pub timeout_secs: Option<u64>,
    pub connect_timeout_secs: Option<u64>,
    pub retries: Option<u32>,
    pub retry_base_ms: Option<u64>,
    pub max_pages: Option<usize>,
    pub max_records: Option<usize>,
    pub max_body_bytes: Option<usize>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFreshness {
    pub max_age_days: Option<u32>,
    #[serde(default)]
    pub refuse_publish: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRecipients {
    pub police_chief: Option<Spanned<Vec<Spanned<String>>>>,
    pub board_chair: Option<Spanned<Vec<Spanned<String>>>>,
    pub public_list: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMail {
    pub from: Spanned<String>,
    pub reply_to: Option<Spanned<String>>,
    pub list_id: Spanned<String>,
    pub unsubscribe: Spanned<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSmtp {
    pub url: Option<Spanned<String>>,
    pub timeout_secs: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSchedule {
    pub timezone: Option<Spanned<String>>,
    pub catch_up_days: Option<u32>,
    pub busy_retry_secs: Option<u64>,
    #[serde(default = "default_runs")]
    pub runs: Vec<RawRun>,
}

impl Default for RawSchedule {
    fn default() -> Self {
        RawSchedule { timezone: None, catch_up_days: None, busy_retry_secs: None, runs: default_runs() }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRun {
    pub cron: Spanned<String>,
    pub period: Spanned<String>,
}

/// The default runs (docs/schedule.md): 09:00 on 1 July (H1 of the current year) and 09:00 on 15 January (the
/// whole previous year).
fn default_runs() -> Vec<RawRun> {
    vec![
        RawRun { cron: Spanned::new(0..0, "0 0 9 1 7 *".into()), period: Spanned::new(0..0, "{year}-H1".into()) },
        RawRun { cron: Spanned::new(0..0, "0 0 9 15 1 *".into()), period: Spanned::new(0..0, "{year-1}".into()) },
    ]
}
