//! Delivery (SPEC §6): the police chief and the board chair get the internal edition, the public list the public
//! one, each (document, period, recipient) exactly once.
//!
//! `publish` archives an entry and then records one [`outbox`] row per recipient; the sender works the outbox: a
//! row goes `pending → sent`, or `failed` on a permanent refusal (the server's reply is kept), while transient
//! failures wait with exponential backoff up to a lifetime. A row is marked sent right after the server accepted
//! the message, so a restart resumes where the last run stopped and never sends a sent row again. (A crash in the
//! instant between the server's acceptance and that mark would send once more on restart; the Message-ID stays the
//! same, so mail clients show it once.)

pub mod message;
pub mod outbox;
pub mod transport;

use tracing::{info, warn};

use crate::archive::{Archive, ArchiveError, Entry};
use crate::config::Config;
use crate::report::templates::Texts;
use outbox::{Outbox, Row};
use transport::{SendError, Transport};

/// Give up on a transient failure after this long (5 days).
pub const LIFETIME_SECS: i64 = 5 * 24 * 3600;
/// First wait after a transient failure; doubled each time, up to [`MAX_BACKOFF_SECS`].
const FIRST_BACKOFF_SECS: i64 = 60;
const MAX_BACKOFF_SECS: i64 = 6 * 3600;

/// Why delivery could not run at all (a single message's failure is a row status, not an error).
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    /// The outbox database.
    #[error("delivery state: {0}")]
    State(String),
    /// A message could not be built.
    #[error("cannot build the message: {0}")]
    Message(String),
    /// The transport could not be set up.
    #[error("mail transport: {0}")]
    Transport(String),
    /// The archive could not be read.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

/// What one pass of the sender did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Sent in this pass.
    pub sent: usize,
    /// Failed for good in this pass.
    pub failed: usize,
    /// Still pending after this pass.
    pub pending: usize,
}

/// The recipients of an entry, as `(role, address)`, from its manifest.
#[must_use]
pub fn recipients(entry: &Entry) -> Vec<(String, String)> {
    entry
        .manifest
        .deliveries
        .keys()
        .filter_map(|k| k.split_once(':').map(|(r, a)| (r.to_string(), a.to_string())))
        .collect()
}

/// Makes sure every current archive entry has its outbox rows (a crash between archiving and recording them must
/// not lose a delivery). Returns how many rows were added.
pub fn enqueue_archive(outbox: &mut Outbox, archive: &Archive, now: i64) -> Result<usize, DeliverError> {
    let mut added = 0;
    for entry in archive.list()?.into_iter().filter(|e| !e.superseded) {
        added += outbox.enqueue(&entry.manifest.document, &entry.manifest.period, &recipients(&entry), now)?;
    }
    Ok(added)
}

/// Sends every due row (every pending row with `ignore_backoff`), one envelope per recipient.
pub async fn send_due(
    config: &Config,
    outbox: &Outbox,
    transport: &Transport,
    now: i64,
    ignore_backoff: bool,
) -> Result<Summary, DeliverError> {
    let archive = Archive::new(&config.archive_dir);
    let texts = Texts::load(config.language).map_err(|e| DeliverError::Message(e.to_string()))?;
    let mut summary = Summary::default();
    for row in outbox.due(now, ignore_backoff)? {
        // Another sender (a second daemon, a manual `deliver --retry`) may have sent it meanwhile.
        if outbox.status(&row)?.as_deref() != Some("pending") {
            continue;
        }
        let Some(entry) = archive.current(&row.document, &row.period)? else {
            outbox.failed(&row, now, "the archive entry is gone")?;
            summary.failed += 1;
            continue;
        };
        let Some(pledge) = config.pledge(&row.document) else {
            warn!(document = %row.document, "no pledge document in the config; delivery waits");
            summary.pending += 1;
            continue;
        };
        let built = message::build(config, &texts, &row, &entry, pledge)?;
        let status = match transport.send(&built).await {
            Ok(()) => {
                outbox.sent(&row, now)?;
                info!(role = %row.role, message_id = %built.message_id, "sent");
                summary.sent += 1;
                "sent".to_string()
            }
            Err(SendError::Permanent(reply)) => {
                outbox.failed(&row, now, &reply)?;
                warn!(role = %row.role, "delivery refused: {reply}");
                summary.failed += 1;
                format!("failed: {reply}")
            }
            Err(SendError::Transient(reason)) if now - row.created_at >= LIFETIME_SECS => {
                let reason = format!("gave up after {} attempts over 5 days: {reason}", row.attempts + 1);
                outbox.failed(&row, now, &reason)?;
                summary.failed += 1;
                format!("failed: {reason}")
            }
            Err(SendError::Transient(reason)) => {
                let wait = (FIRST_BACKOFF_SECS << row.attempts.min(20)).min(MAX_BACKOFF_SECS);
                outbox.retry_later(&row, now + wait, &reason)?;
                warn!(role = %row.role, retry_in_s = wait, "delivery postponed: {reason}");
                summary.pending += 1;
                format!("pending: {reason}")
            }
        };
        record(&archive, &row, &status)?;
        if status == "sent" {
            crate::fault::point("mid-delivery");
        }
    }
    Ok(summary)
}

/// Writes a row's status into its entry's manifest.
fn record(archive: &Archive, row: &Row, status: &str) -> Result<(), DeliverError> {
    if let Some(mut entry) = archive.current(&row.document, &row.period)? {
        entry.manifest.deliveries.insert(format!("{}:{}", row.role, row.address), status.to_string());
        archive.update_manifest(&entry)?;
    }
    Ok(())
}

/// Seconds since 1970, the outbox's clock.
#[must_use]
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
