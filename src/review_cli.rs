//! `lofte approve` and `lofte reject`, and the drafts `lofte status` lists (SPEC §11, docs/review.md).

use std::fmt::Write as _;

use clap::Args;

use crate::config::Config;
use crate::period::Period;
use crate::pipeline::{review, PipelineError};

/// Options of `approve`.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The period whose draft to release, e.g. 2021-H1.
    #[arg(long)]
    pub period: String,
    /// The document, when the period's own cannot be told from the date (several documents).
    #[arg(long)]
    pub document: Option<String>,
    /// Who approves, as the report should say it: "Namn, titel".
    #[arg(long)]
    pub by: String,
}

/// Options of `reject`.
#[derive(Debug, Args)]
pub struct RejectArgs {
    /// The period whose draft to drop.
    #[arg(long)]
    pub period: String,
    /// The document, when the period's own cannot be told from the date.
    #[arg(long)]
    pub document: Option<String>,
    /// Why: kept in the archive with the draft.
    #[arg(long)]
    pub reason: String,
}

/// Releases a draft and says what happened.
pub async fn approve(config: &Config, args: &ApproveArgs) -> Result<String, PipelineError> {
    let by = args.by.trim();
    if by.is_empty() {
        return Err(PipelineError::Review(review::ReviewError::NoApprover));
    }
    let period = Period::parse(&args.period)?;
    let now = crate::clock::now()?;
    let done = review::approve(config, &period, args.document.as_deref(), by, now).await?;
    let m = &done.entry.manifest;
    let mut out = String::new();
    if done.already {
        let _ = writeln!(out, "{} {} was approved already; deliveries completed", m.document, m.period);
    } else {
        let _ = writeln!(out, "approved {} {} by {by}: {}", m.document, m.period, done.entry.dir.display());
    }
    let d = &done.delivery;
    let _ = writeln!(out, "delivery: {} sent, {} failed, {} pending", d.sent, d.failed, d.pending);
    Ok(out)
}

/// Drops a draft and says so.
pub fn reject(config: &Config, args: &RejectArgs) -> Result<String, PipelineError> {
    let period = Period::parse(&args.period)?;
    let entry = review::reject(config, &period, args.document.as_deref(), args.reason.trim(), crate::clock::now()?)?;
    Ok(format!(
        "rejected the draft of {} {}; a new `lofte publish --period {}` makes a new one\n",
        entry.manifest.document, entry.manifest.period, entry.manifest.period
    ))
}

/// The drafts waiting for review, for `lofte status`.
pub fn drafts(config: &Config) -> Result<String, PipelineError> {
    let drafts = review::waiting(config)?;
    let mut out = format!("\ndrafts waiting for review: {}\n", drafts.len());
    for d in drafts {
        let m = &d.manifest;
        let reminded = m
            .review
            .as_ref()
            .and_then(|r| r.reminded_at.as_deref())
            .map_or(String::new(), |t| format!(", reviewers reminded {t}"));
        let _ = writeln!(out, "  {} {}  drafted {}{reminded}", m.document, m.period, m.generated_at);
    }
    Ok(out)
}
