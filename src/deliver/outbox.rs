//! The delivery state: one row per (document, period, version, recipient) in `SQLite`, so that each is delivered
//! exactly once across restarts and across processes.
//!
//! A row is `pending` until sent, `sent` for good, `failed` (a permanent refusal, or transient failures beyond the
//! lifetime), or `superseded` (a corrected version replaced the entry before this one went out). Before a process
//! sends a row it *claims* it: in one immediate transaction it checks that the row is still pending and that no
//! live process holds an unexpired claim, and writes its own claim with an expiry. Two daemons, or a daemon and
//! `deliver --retry`, therefore never send the same row; a claim left by a killed process is taken over once its
//! owner is gone or its lease has run out.
//!
//! The database is a cache of what the archive's manifests record: every status change is written to the entry's
//! manifest too, and a lost or damaged database is rebuilt from them ([`Outbox::rebuild`]), so a row a manifest
//! records as sent is never sent again.

use std::path::{Path, PathBuf};

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSqlOutput, ValueRef};
use rusqlite::{params, Connection, OptionalExtension, ToSql, TransactionBehavior};

use crate::edition::Role;
use crate::state::{owner, owner_alive, read_only_connection};

use super::DeliverError;

/// The database file inside the state folder (shared with the run lock and run history).
pub const DB_FILE: &str = "lofte.db";

/// Where one delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not sent yet (waiting for its next attempt, or being sent).
    Pending,
    /// Accepted by the server (or written to the file outbox), for good.
    Sent,
    /// Refused for good (a 5xx reply, or transient failures for longer than the lifetime).
    Failed,
    /// A correction replaced its entry before it went out; the correction's own row sends that.
    Superseded,
}

impl DeliveryStatus {
    /// The word in the database, the manifest and listings.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Superseded => "superseded",
        }
    }

    /// The status named by `key`.
    #[must_use]
    pub fn from_key(key: &str) -> Option<DeliveryStatus> {
        [DeliveryStatus::Pending, DeliveryStatus::Sent, DeliveryStatus::Failed, DeliveryStatus::Superseded]
            .into_iter()
            .find(|s| s.key() == key)
    }
}

impl std::fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// Stores a type that has a `key()` word and a `from_key` parser as that word, so the database holds the same text
/// as the manifests and listings.
macro_rules! sql_as_key {
    ($type:ty, $what:literal) => {
        impl ToSql for $type {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.key()))
            }
        }

        impl FromSql for $type {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = value.as_str()?;
                <$type>::from_key(text)
                    .ok_or_else(|| FromSqlError::Other(format!(concat!("unknown ", $what, " {:?}"), text).into()))
            }
        }
    };
}

sql_as_key!(DeliveryStatus, "delivery status");
sql_as_key!(Role, "role");

/// One recipient's delivery of one version of a follow-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Pledge document id.
    pub document: String,
    /// Period name.
    pub period: String,
    /// The entry's version: 1 for the first publication, 2 for the first correction, …
    pub version: u32,
    /// Who.
    pub role: Role,
    /// E-mail address.
    pub address: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// Unix seconds of the next attempt.
    pub next_attempt_at: i64,
    /// Unix seconds the row was created.
    pub created_at: i64,
    /// The last failure (the server's reply when there was one).
    pub last_error: Option<String>,
}

/// A recipient of an archive entry and what its manifest says of the delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The role.
    pub role: Role,
    /// The address.
    pub address: String,
    /// What the manifest records.
    pub status: DeliveryStatus,
}

/// The outbox database.
pub struct Outbox {
    db: Connection,
    path: PathBuf,
    owner: String,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outbox (
    document TEXT NOT NULL,
    period TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    role TEXT NOT NULL,
    address TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'superseded')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_error TEXT,
    sent_at INTEGER,
    claimed_by TEXT,
    claimed_until INTEGER,
    PRIMARY KEY (document, period, version, role, address)
);";

/// The first schema (before versions and claims) is copied over once; `user_version` says which one a file has.
const MIGRATE_V1: &str = "
ALTER TABLE outbox RENAME TO outbox_v1;
{SCHEMA}
INSERT INTO outbox (document, period, version, role, address, status, attempts, next_attempt_at, created_at, last_error, sent_at)
    SELECT document, period, 1, role, address, status, attempts, next_attempt_at, created_at, last_error, sent_at FROM outbox_v1;
DROP TABLE outbox_v1;";

const COLUMNS: &str =
    "document, period, version, role, address, status, attempts, next_attempt_at, created_at, last_error";

impl Outbox {
    /// Opens (creating if needed) `<state_dir>/lofte.db`. A damaged file is an error that says how to rebuild it.
    pub fn open(state_dir: &Path) -> Result<Outbox, DeliverError> {
        std::fs::create_dir_all(state_dir)
            .map_err(|source| DeliverError::StateDir { path: state_dir.to_path_buf(), source })?;
        let path = state_dir.join(DB_FILE);
        let db = Connection::open(&path).map_err(|e| state(&path, e))?;
        db.busy_timeout(std::time::Duration::from_secs(30)).map_err(|e| state(&path, e))?;
        migrate(&db).map_err(|e| state(&path, e))?;
        Ok(Outbox { db, path, owner: owner() })
    }

    /// Opens the database read-only, for `lofte status` on a folder it may not write. `None` when there is none.
    pub fn open_read_only(state_dir: &Path) -> Result<Option<Outbox>, DeliverError> {
        let path = state_dir.join(DB_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let db = read_only_connection(&path).map_err(|e| state(&path, e))?;
        let has_table: bool = db
            .query_row("SELECT count(*) > 0 FROM sqlite_master WHERE name = 'outbox'", [], |r| r.get(0))
            .map_err(|e| state(&path, e))?;
        if !has_table {
            return Ok(None);
        }
        Ok(Some(Outbox { db, path, owner: owner() }))
    }

    /// Moves a damaged or lost database aside (never deletes it) and opens a fresh one. Returns where the old file
    /// went, if there was one. The caller seeds the new file from the manifests with [`Outbox::enqueue`].
    pub fn rebuild(state_dir: &Path) -> Result<(Outbox, Option<PathBuf>), DeliverError> {
        let path = state_dir.join(DB_FILE);
        let mut moved = None;
        if path.exists() {
            // A name no earlier rebuild used, so that two rebuilds in one second keep both files.
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
            let aside = (1..=u32::MAX)
                .map(|n| state_dir.join(format!("{DB_FILE}.replaced-{stamp}-{n}")))
                .find(|p| !p.exists())
                .unwrap_or_else(|| state_dir.join(format!("{DB_FILE}.replaced-{stamp}")));
            for suffix in ["", "-wal", "-shm"] {
                let from = PathBuf::from(format!("{}{suffix}", path.display()));
                if from.exists() {
                    let to = PathBuf::from(format!("{}{suffix}", aside.display()));
                    std::fs::rename(&from, &to).map_err(|source| DeliverError::StateDir { path: from, source })?;
                }
            }
            moved = Some(aside);
        }
        Ok((Outbox::open(state_dir)?, moved))
    }

    /// Records one row per recipient of an archived entry, in one transaction, with the status its manifest
    /// records (so a rebuilt database never sends what the archive says went out). Rows that exist already are
    /// left as they are. Returns how many rows were new.
    pub fn enqueue(
        &mut self,
        document: &str,
        period: &str,
        version: u32,
        recipients: &[Recipient],
        now: i64,
    ) -> Result<usize, DeliverError> {
        let path = self.path.clone();
        let tx = self.db.transaction().map_err(|e| state(&path, e))?;
        let mut added = 0;
        for r in recipients {
            let status = match r.status {
                DeliveryStatus::Sent | DeliveryStatus::Failed => r.status,
                DeliveryStatus::Pending | DeliveryStatus::Superseded => DeliveryStatus::Pending,
            };
            added += tx
                .execute(
                    "INSERT OR IGNORE INTO outbox (document, period, version, role, address, status, next_attempt_at, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                    params![document, period, version, r.role, r.address, status, now],
                )
                .map_err(|e| state(&path, e))?;
        }
        tx.commit().map_err(|e| state(&path, e))?;
        Ok(added)
    }

    /// Rows to send now: pending and due (all pending with `ignore_backoff`).
    pub fn due(&self, now: i64, ignore_backoff: bool) -> Result<Vec<Row>, DeliverError> {
        self.select(
            "WHERE status = 'pending' AND (?1 OR next_attempt_at <= ?2) ORDER BY created_at, document, period, version, role, address",
            params![ignore_backoff, now],
        )
    }

    /// Every row, for the status listing.
    pub fn all(&self) -> Result<Vec<Row>, DeliverError> {
        self.select("ORDER BY document, period, version, role, address", [])
    }

    /// The rows of one entry version.
    pub fn rows_of(&self, document: &str, period: &str, version: u32) -> Result<Vec<Row>, DeliverError> {
        self.select(
            "WHERE document = ?1 AND period = ?2 AND version = ?3 ORDER BY role, address",
            params![document, period, version],
        )
    }

    fn select(&self, clause: &str, args: impl rusqlite::Params) -> Result<Vec<Row>, DeliverError> {
        let sql = format!("SELECT {COLUMNS} FROM outbox {clause}");
        let mut stmt = self.db.prepare(&sql).map_err(|e| state(&self.path, e))?;
        let rows = stmt
            .query_map(args, |r| {
                Ok(Row {
                    document: r.get(0)?,
                    period: r.get(1)?,
                    version: r.get(2)?,
                    role: r.get(3)?,
                    address: r.get(4)?,
                    status: r.get(5)?,
                    attempts: r.get(6)?,
                    next_attempt_at: r.get(7)?,
                    created_at: r.get(8)?,
                    last_error: r.get(9)?,
                })
            })
            .map_err(|e| state(&self.path, e))?;
        rows.collect::<Result<_, _>>().map_err(|e| state(&self.path, e))
    }

    /// Whether another live process holds an unexpired claim on the row (it is being sent right now).
    pub fn held_elsewhere(&self, row: &Row, now: i64) -> Result<bool, DeliverError> {
        let claim: Option<(Option<String>, Option<i64>)> = self
            .db
            .query_row(
                "SELECT claimed_by, claimed_until FROM outbox
                 WHERE document = ?1 AND period = ?2 AND version = ?3 AND role = ?4 AND address = ?5",
                params![row.document, row.period, row.version, row.role, row.address],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| state(&self.path, e))?;
        Ok(
            matches!(claim, Some((Some(holder), Some(until))) if holder != self.owner && until > now && owner_alive(&holder)),
        )
    }

    /// Claims a row for this process for `lease` seconds: true when the row is still pending and nobody else holds
    /// a live claim on it. Only the claim's holder sends.
    pub fn claim(&mut self, row: &Row, now: i64, lease: i64) -> Result<bool, DeliverError> {
        let path = self.path.clone();
        let tx = self.db.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| state(&path, e))?;
        let current: Option<(DeliveryStatus, Option<String>, Option<i64>)> = tx
            .query_row(
                "SELECT status, claimed_by, claimed_until FROM outbox
                 WHERE document = ?1 AND period = ?2 AND version = ?3 AND role = ?4 AND address = ?5",
                params![row.document, row.period, row.version, row.role, row.address],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| state(&path, e))?;
        let Some((status, holder, until)) = current else { return Ok(false) };
        if status != DeliveryStatus::Pending {
            return Ok(false);
        }
        if let (Some(holder), Some(until)) = (holder, until) {
            if holder != self.owner && until > now && owner_alive(&holder) {
                return Ok(false);
            }
        }
        tx.execute(
            "UPDATE outbox SET claimed_by = ?6, claimed_until = ?7
             WHERE document = ?1 AND period = ?2 AND version = ?3 AND role = ?4 AND address = ?5",
            params![row.document, row.period, row.version, row.role, row.address, self.owner, now + lease],
        )
        .map_err(|e| state(&path, e))?;
        tx.commit().map_err(|e| state(&path, e))?;
        Ok(true)
    }

    /// Marks a row sent (and releases its claim); an earlier attempt's error no longer applies.
    pub fn sent(&self, row: &Row, now: i64) -> Result<(), DeliverError> {
        self.update(row, "status = 'sent', attempts = attempts + 1, sent_at = ?6, last_error = ?7", now, None)
    }

    /// Marks a row failed for good.
    pub fn failed(&self, row: &Row, now: i64, error: &str) -> Result<(), DeliverError> {
        self.update(
            row,
            "status = 'failed', attempts = attempts + 1, sent_at = NULL, next_attempt_at = ?6",
            now,
            Some(error),
        )
    }

    /// Marks a row of an entry version that a correction replaced before it went out.
    pub fn superseded(&self, row: &Row, now: i64) -> Result<(), DeliverError> {
        self.update(row, "status = 'superseded', next_attempt_at = ?6", now, Some("a corrected version replaced it"))
    }

    /// Records a transient failure; the next attempt waits until `next`.
    pub fn retry_later(&self, row: &Row, next: i64, error: &str) -> Result<(), DeliverError> {
        self.update(row, "attempts = attempts + 1, next_attempt_at = ?6", next, Some(error))
    }

    fn update(&self, row: &Row, set: &str, time: i64, error: Option<&str>) -> Result<(), DeliverError> {
        let keep_error = if set.contains("last_error") { "" } else { ", last_error = COALESCE(?7, last_error)" };
        let sql = format!(
            "UPDATE outbox SET {set}{keep_error}, claimed_by = NULL, claimed_until = NULL
             WHERE document = ?1 AND period = ?2 AND version = ?3 AND role = ?4 AND address = ?5"
        );
        self.db
            .execute(&sql, params![row.document, row.period, row.version, row.role, row.address, time, error])
            .map(|_| ())
            .map_err(|e| state(&self.path, e))
    }
}

/// Creates the schema, or brings an older file up to it.
fn migrate(db: &Connection) -> rusqlite::Result<()> {
    db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")?;
    let version: i64 = db.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version >= 2 {
        return Ok(());
    }
    let old_table: bool =
        db.query_row("SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'", [], |r| {
            r.get(0)
        })?;
    let has_version: bool =
        db.query_row("SELECT count(*) > 0 FROM pragma_table_info('outbox') WHERE name = 'version'", [], |r| r.get(0))?;
    let body = if old_table && !has_version { MIGRATE_V1.replace("{SCHEMA}", SCHEMA) } else { SCHEMA.to_string() };
    db.execute_batch(&format!("BEGIN IMMEDIATE; {body} PRAGMA user_version = 2; COMMIT;"))
}

fn state(path: &Path, source: rusqlite::Error) -> DeliverError {
    DeliverError::State { path: path.to_path_buf(), source }
}
