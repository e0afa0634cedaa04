//! Reminders to the reviewers of a draft that has waited `[review] remind_after_days` (SPEC §11, docs/review.md).
//!
//! At most once per draft: the reminder is recorded in the draft's manifest (`reviewed.reminded_at`) before it is
//! sent, under the archive's manifest lock, so two daemons never both send one. A reminder that fails to send is
//! logged and not tried again: the draft itself stays listed by `lofte status`, and a missed nudge does less harm
//! than two.

use chrono::{DateTime, TimeDelta, Utc};
use tracing::{info, warn};

use super::transport::Transport;
use super::{message, DeliverError};
use crate::archive::{Archive, Entry, ReviewState};
use crate::config::Config;
use crate::report::templates::Texts;

/// When the draft's reviewers are due a reminder, if they are and have not had one.
#[must_use]
pub fn due_at(config: &Config, entry: &Entry) -> Option<DateTime<Utc>> {
    let review = entry.manifest.review.as_ref()?;
    if entry.superseded || review.state != ReviewState::Draft || review.reminded_at.is_some() {
        return None;
    }
    let drafted = DateTime::parse_from_rfc3339(&review.drafted_at).ok()?.with_timezone(&Utc);
    Some(drafted + TimeDelta::days(i64::from(config.review.remind_after_days)))
}

/// The earliest reminder still to send, for the daemon's next wake-up.
#[must_use]
pub fn next(config: &Config) -> Option<DateTime<Utc>> {
    let entries = Archive::new(&config.archive_dir).list().ok()?;
    entries.iter().filter_map(|e| due_at(config, e)).min()
}

/// Sends every reminder due at `now`; returns how many messages went out.
pub async fn send_due(config: &Config, now: DateTime<Utc>) -> Result<usize, DeliverError> {
    let archive = Archive::new(&config.archive_dir);
    let due: Vec<Entry> =
        archive.list()?.into_iter().filter(|e| due_at(config, e).is_some_and(|at| at <= now)).collect();
    if due.is_empty() {
        return Ok(0);
    }
    let texts = Texts::load(config.language)?;
    let transport = Transport::from_config(config)?;
    let mut sent = 0;
    for entry in due {
        let m = &entry.manifest;
        let Some(pledge) = config.pledge(&m.document) else { continue };
        let when = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        // Recorded first: whoever records it sends it, and nobody sends it twice.
        let recorded = archive.update_review(&m.document, &m.period, m.version, |review| {
            let first = review.reminded_at.is_none() && review.state == ReviewState::Draft;
            if first {
                review.reminded_at = Some(when.clone());
            }
            first
        })?;
        if !recorded {
            continue;
        }
        for (role, address) in config.recipients.all().filter(|(role, _)| config.review.reviewers.contains(role)) {
            let built = message::reminder(config, &texts, &entry, pledge, role, address, now)?;
            match transport.send(&built).await {
                Ok(()) => {
                    sent += 1;
                    info!(document = %m.document, period = %m.period, role = role.key(), "reminded a reviewer");
                }
                Err(e) => {
                    warn!(document = %m.document, period = %m.period, role = role.key(), "reminder not sent: {e:?}");
                }
            }
        }
    }
    transport.close().await;
    Ok(sent)
}
