//! The delivery state: one row per (document, period, recipient) in `SQLite`, so that each is delivered exactly once
//! across restarts. A row is `pending` until sent, `sent` for good, or `failed` (a permanent refusal, or transient
//! failures beyond the lifetime).

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};

use super::DeliverError;

/// One recipient's delivery of one follow-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Pledge document id.
    pub document: String,
    /// Period name.
    pub period: String,
    /// `police_chief`, `board_chair` or `public_list`.
    pub role: String,
    /// E-mail address.
    pub address: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// Unix seconds of the next attempt.
    pub next_attempt_at: i64,
    /// Unix seconds the row was created.
    pub created_at: i64,
    /// The last failure (the server's reply when there was one).
    pub last_error: Option<String>,
}

/// The outbox database.
pub struct Outbox {
    db: Connection,
    path: PathBuf,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outbox (
    document TEXT NOT NULL,
    period TEXT NOT NULL,
    role TEXT NOT NULL,
    address TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_error TEXT,
    sent_at INTEGER,
    PRIMARY KEY (document, period, role, address)
);";

impl Outbox {
    /// Opens (creating if needed) `<state_dir>/lofte.db`.
    pub fn open(state_dir: &Path) -> Result<Outbox, DeliverError> {
        std::fs::create_dir_all(state_dir).map_err(|e| DeliverError::State(format!("{}: {e}", state_dir.display())))?;
        let path = state_dir.join("lofte.db");
        let db = Connection::open(&path).map_err(|e| state(&path, &e))?;
        db.busy_timeout(std::time::Duration::from_secs(30)).map_err(|e| state(&path, &e))?;
        db.execute_batch(&format!("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; {SCHEMA}"))
            .map_err(|e| state(&path, &e))?;
        Ok(Outbox { db, path })
    }

    /// Records one pending row per recipient of an archived follow-up, in one transaction. Rows that exist already
    /// are left as they are: a (document, period, recipient) is delivered once, even when the period is re-published.
    /// Returns how many rows were new.
    pub fn enqueue(
        &mut self,
        document: &str,
        period: &str,
        recipients: &[(String, String)],
        now: i64,
    ) -> Result<usize, DeliverError> {
        let tx = self.db.transaction().map_err(|e| state(&self.path, &e))?;
        let mut added = 0;
        for (role, address) in recipients {
            added += tx
                .execute(
                    "INSERT OR IGNORE INTO outbox (document, period, role, address, status, next_attempt_at, created_at)
                     VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5)",
                    params![document, period, role, address, now],
                )
                .map_err(|e| state(&self.path, &e))?;
        }
        tx.commit().map_err(|e| state(&self.path, &e))?;
        Ok(added)
    }

    /// Rows to send now: pending and due (all pending with `ignore_backoff`).
    pub fn due(&self, now: i64, ignore_backoff: bool) -> Result<Vec<Row>, DeliverError> {
        self.select(
            "WHERE status = 'pending' AND (?1 OR next_attempt_at <= ?2) ORDER BY created_at, document, period, role, address",
            params![ignore_backoff, now],
        )
    }

    /// Every row, for the status listing.
    pub fn all(&self) -> Result<Vec<Row>, DeliverError> {
        self.select("ORDER BY document, period, role, address", [])
    }

    fn select(&self, clause: &str, args: impl rusqlite::Params) -> Result<Vec<Row>, DeliverError> {
        let sql = format!(
            "SELECT document, period, role, address, status, attempts, next_attempt_at, created_at, last_error FROM outbox {clause}"
        );
        let mut stmt = self.db.prepare(&sql).map_err(|e| state(&self.path, &e))?;
        let rows = stmt
            .query_map(args, |r| {
                Ok(Row {
                    document: r.get(0)?,
                    period: r.get(1)?,
                    role: r.get(2)?,
                    address: r.get(3)?,
                    status: r.get(4)?,
                    attempts: r.get(5)?,
                    next_attempt_at: r.get(6)?,
                    created_at: r.get(7)?,
                    last_error: r.get(8)?,
                })
            })
            .map_err(|e| state(&self.path, &e))?;
        rows.collect::<Result<_, _>>().map_err(|e| state(&self.path, &e))
    }

    /// The row's current status (another process may have sent it meanwhile).
    pub fn status(&self, row: &Row) -> Result<Option<String>, DeliverError> {
        self.db
            .query_row(
                "SELECT status FROM outbox WHERE document = ?1 AND period = ?2 AND role = ?3 AND address = ?4",
                params![row.document, row.period, row.role, row.address],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| state(&self.path, &e))
    }

    /// Marks a row sent.
    pub fn sent(&self, row: &Row, now: i64) -> Result<(), DeliverError> {
        self.update(row, "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?5", now, None)
    }

    /// Marks a row failed for good.
    pub fn failed(&self, row: &Row, now: i64, error: &str) -> Result<(), DeliverError> {
        self.update(
            row,
            "UPDATE outbox SET status = 'failed', attempts = attempts + 1, sent_at = NULL, next_attempt_at = ?5",
            now,
            Some(error),
        )
    }

    /// Records a transient failure; the next attempt waits until `next`.
    pub fn retry_later(&self, row: &Row, next: i64, error: &str) -> Result<(), DeliverError> {
        self.update(row, "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?5", next, Some(error))
    }

    fn update(&self, row: &Row, set: &str, time: i64, error: Option<&str>) -> Result<(), DeliverError> {
        let sql = format!("{set}, last_error = COALESCE(?6, last_error) WHERE document = ?1 AND period = ?2 AND role = ?3 AND address = ?4");
        self.db
            .execute(&sql, params![row.document, row.period, row.role, row.address, time, error])
            .map(|_| ())
            .map_err(|e| state(&self.path, &e))
    }
}

fn state(path: &Path, e: &rusqlite::Error) -> DeliverError {
    DeliverError::State(format!("{}: {e}", path.display()))
}
