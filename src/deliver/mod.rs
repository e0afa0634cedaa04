//! Delivery: the police chief and the board chair get the internal edition, the public list the public one, each
//! (document, period, version, recipient) exactly once (docs/delivery.md).
//!
//! `publish` archives an entry and then records one [`outbox`] row per recipient; the sender works the outbox. A
//! row is claimed before it is sent (so two processes never send it both), then goes `pending → sent`, or `failed`
//! on a permanent refusal (the server's reply is kept), while transient failures wait with exponential backoff up
//! to a lifetime. Every status is written to the database first and then to the entry's manifest; the manifests
//! are the record that a lost database is rebuilt from.
//!
//! What no design can close over SMTP: a process killed in the instant between the server's acceptance and the
//! database commit sends that one message again after a restart. The Message-ID stays the same, so mail clients
//! show it once. The file outbox has no such gap: a message file that exists is a message delivered.

pub mod message;
pub mod outbox;
pub mod remind;
pub mod transport;

use std::collections::BTreeMap;
use std::path::PathBuf;

use tracing::{info, warn};

use crate::archive::{Archive, ArchiveError, Entry};
use crate::config::Config;
use crate::edition::Role;
use crate::report::templates::Texts;
use outbox::{DeliveryStatus, Outbox, Recipient, Row};
use transport::{SendError, Transport};

/// Give up on a transient failure after this long (5 days).
pub const LIFETIME_SECS: i64 = 5 * 24 * 3600;
/// First wait after a transient failure; doubled each time, up to [`MAX_BACKOFF_SECS`].
const FIRST_BACKOFF_SECS: i64 = 60;
const MAX_BACKOFF_SECS: i64 = 6 * 3600;
/// A claim outlives the send's own timeout by this much, so a slow but live sender keeps its row.
const CLAIM_MARGIN_SECS: i64 = 120;

/// Why delivery could not run at all (a single message's failure is a row status, not an error).
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    /// The outbox database failed or is damaged.
    #[error("delivery state {}: {source}; if the file is damaged, run `lofte deliver --rebuild` (it moves the file aside and rebuilds it from the archive's manifests)", path.display())]
    State {
        /// The database file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// The state folder could not be created or a file in it moved.
    #[error("delivery state {}: {source}", path.display())]
    StateDir {
        /// The folder or file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A message could not be built.
    #[error("cannot build the message: {0}")]
    Message(#[from] message::MessageError),
    /// The mail texts could not be loaded.
    #[error(transparent)]
    Texts(#[from] crate::report::templates::TemplateError),
    /// The transport could not be set up.
    #[error("mail transport {server}: {source}")]
    Transport {
        /// The server, without user name.
        server: String,
        /// The cause.
        source: lettre::transport::smtp::Error,
    },
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

/// The key of a recipient in a manifest's `deliveries`: `role:address`.
#[must_use]
pub fn delivery_key(role: Role, address: &str) -> String {
    format!("{}:{address}", role.key())
}

/// A status as a manifest records it: the word, and for an unfinished or failed one the last reason.
#[must_use]
pub fn manifest_text(status: DeliveryStatus, reason: Option<&str>) -> String {
    match (status, reason) {
        (DeliveryStatus::Sent, _) | (_, None) => status.key().to_string(),
        (_, Some(reason)) => format!("{}: {reason}", status.key()),
    }
}

/// The recipients of an entry, from its manifest, with the delivery status it records.
#[must_use]
pub fn recipients(entry: &Entry) -> Vec<Recipient> {
    entry
        .manifest
        .deliveries
        .iter()
        .filter_map(|(key, text)| {
            let (role, address) = key.split_once(':')?;
            let word = text.split(':').next().unwrap_or_default().trim();
            Some(Recipient {
                role: Role::from_key(role)?,
                address: address.to_string(),
                status: DeliveryStatus::from_key(word).unwrap_or(DeliveryStatus::Pending),
            })
        })
        .collect()
}

/// Makes sure every current archive entry has its outbox rows, with the status its manifest records (a crash
/// between archiving and recording them must not lose a delivery, and a lost database must not send again what a
/// manifest records as sent), and brings manifests up to date with statuses the database has and they lack.
/// Returns how many rows were added.
pub fn enqueue_archive(outbox: &mut Outbox, archive: &Archive, now: i64) -> Result<usize, DeliverError> {
    let mut added = 0;
    for entry in archive.list()?.into_iter().filter(|e| !e.superseded) {
        let m = &entry.manifest;
        added += outbox.enqueue(&m.document, &m.period, m.version, &recipients(&entry), now)?;
        sync_manifest(outbox, archive, &entry)?;
    }
    Ok(added)
}

/// Writes into an entry's manifest the final statuses that the database has and the manifest lacks (a crash
/// between the two writes). Most passes find nothing to write, and then take no lock and write nothing.
fn sync_manifest(outbox: &Outbox, archive: &Archive, entry: &Entry) -> Result<(), DeliverError> {
    let m = &entry.manifest;
    let rows = outbox.rows_of(&m.document, &m.period, m.version)?;
    if missing_statuses(&rows, &m.deliveries).is_empty() {
        return Ok(());
    }
    archive.update_deliveries(&m.document, &m.period, m.version, |deliveries| {
        // Looked at again under the lock: another process may have written them meanwhile.
        let missing = missing_statuses(&rows, deliveries);
        let changed = !missing.is_empty();
        deliveries.extend(missing);
        changed
    })?;
    Ok(())
}

/// The final statuses (sent, failed) of `rows` that `deliveries` does not record yet, as manifest entries.
fn missing_statuses(rows: &[Row], deliveries: &BTreeMap<String, String>) -> Vec<(String, String)> {
    rows.iter()
        .filter(|row| matches!(row.status, DeliveryStatus::Sent | DeliveryStatus::Failed))
        .map(|row| (delivery_key(row.role, &row.address), row))
        .filter(|(key, row)| !deliveries.get(key).is_some_and(|recorded| recorded.starts_with(row.status.key())))
        .map(|(key, row)| (key, manifest_text(row.status, Some(row.last_error.as_deref().unwrap_or("refused")))))
        .collect()
}

/// Sends every due row (every pending row with `ignore_backoff`), one envelope per recipient, each claimed first.
pub async fn send_due(
    config: &Config,
    outbox: &mut Outbox,
    transport: &Transport,
    now: i64,
    ignore_backoff: bool,
) -> Result<Summary, DeliverError> {
    let archive = Archive::new(&config.archive_dir);
    let texts = Texts::load(config.language)?;
    let lease = i64::try_from(config.smtp.timeout_secs).unwrap_or(i64::MAX / 4) + CLAIM_MARGIN_SECS;
    let mut summary = Summary::default();
    for row in outbox.due(now, ignore_backoff)? {
        // Another sender (a second daemon, a manual `deliver --retry`) may hold it or have sent it meanwhile.
        if !outbox.claim(&row, self::now(), lease)? {
            continue;
        }
        let Some(entry) = archive.current(&row.document, &row.period)? else {
            outbox.failed(&row, now, "the archive entry is gone")?;
            summary.failed += 1;
            continue;
        };
        if entry.manifest.version != row.version {
            // A correction replaced this version before it went out: the new version's own row sends that.
            outbox.superseded(&row, now)?;
            continue;
        }
        let Some(pledge) = config.pledge(&row.document) else {
            warn!(document = %row.document, "no pledge document in the config; delivery waits");
            outbox.retry_later(&row, now + FIRST_BACKOFF_SECS, "no pledge document in the config")?;
            summary.pending += 1;
            continue;
        };
        let built = message::build(config, &texts, &row, &entry, pledge)?;
        crate::fault::point("before-send");
        let status = match transport.send(&built).await {
            Ok(()) => {
                crate::fault::point("after-send");
                outbox.sent(&row, now)?;
                info!(role = %row.role, message_id = %built.message_id, "sent");
                summary.sent += 1;
                manifest_text(DeliveryStatus::Sent, None)
            }
            Err(SendError::Permanent(reply)) => {
                outbox.failed(&row, now, &reply)?;
                warn!(role = %row.role, "delivery refused: {reply}");
                summary.failed += 1;
                manifest_text(DeliveryStatus::Failed, Some(&reply))
            }
            Err(SendError::Transient(reason)) if now - row.created_at >= LIFETIME_SECS => {
                let reason = format!("gave up after {} attempts over 5 days: {reason}", row.attempts + 1);
                outbox.failed(&row, now, &reason)?;
                summary.failed += 1;
                manifest_text(DeliveryStatus::Failed, Some(&reason))
            }
            Err(SendError::Transient(reason)) => {
                let wait = (FIRST_BACKOFF_SECS << row.attempts.min(20)).min(MAX_BACKOFF_SECS);
                outbox.retry_later(&row, now + wait, &reason)?;
                warn!(role = %row.role, retry_in_s = wait, "delivery postponed: {reason}");
                summary.pending += 1;
                manifest_text(DeliveryStatus::Pending, Some(&reason))
            }
        };
        record(&archive, &row, &status)?;
        if status == DeliveryStatus::Sent.key() {
            crate::fault::point("mid-delivery");
        }
    }
    transport.close().await;
    Ok(summary)
}

/// Writes a row's status into its entry's manifest.
fn record(archive: &Archive, row: &Row, status: &str) -> Result<(), DeliverError> {
    archive.update_deliveries(&row.document, &row.period, row.version, |deliveries| {
        deliveries.insert(delivery_key(row.role, &row.address), status.to_string());
        true
    })?;
    Ok(())
}

/// Seconds since 1970, the outbox's clock.
#[must_use]
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
