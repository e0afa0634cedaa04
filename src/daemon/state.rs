//! Run state in the same `SQLite` file as the outbox: a run lock, so that two daemons (or a daemon and a manual
//! `publish`) never publish the same period at once, and the run history that `lofte status` shows.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

/// The lock is held by another live process.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the lock.
    #[error(
        "another lofte (process {pid}, since {since}) holds the {key} lock: it is publishing; wait for it to finish"
    )]
    Held {
        /// What is locked.
        key: String,
        /// The holder's process id.
        pid: u32,
        /// When it took the lock (RFC 3339).
        since: String,
    },
    /// The state database failed.
    #[error("run state {0}")]
    State(String),
}

fn open(state_dir: &Path) -> Result<Connection, LockError> {
    std::fs::create_dir_all(state_dir).map_err(|e| LockError::State(format!("{}: {e}", state_dir.display())))?;
    let path = state_dir.join("lofte.db");
    let err = |e: rusqlite::Error| LockError::State(format!("{}: {e}", path.display()));
    let db = Connection::open(&path).map_err(err)?;
    db.busy_timeout(std::time::Duration::from_secs(30)).map_err(err)?;
    db.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, pid INTEGER NOT NULL, since TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS runs (
             id INTEGER PRIMARY KEY AUTOINCREMENT, period TEXT NOT NULL, started_at TEXT NOT NULL,
             finished_at TEXT, outcome TEXT NOT NULL, message TEXT);",
    )
    .map_err(err)?;
    Ok(db)
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// A held lock; released when dropped.
pub struct RunLock {
    db: Connection,
    key: String,
}

impl RunLock {
    /// Takes the lock `key`, or says who holds it. A lock left by a process that no longer runs is taken over.
    pub fn acquire(state_dir: &Path, key: &str) -> Result<RunLock, LockError> {
        let mut db = open(state_dir)?;
        let err = |e: rusqlite::Error| LockError::State(e.to_string());
        let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        let holder: Option<(u32, String)> = tx
            .query_row("SELECT pid, since FROM locks WHERE key = ?1", params![key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(err)?;
        if let Some((pid, since)) = holder {
            if pid != std::process::id() && alive(pid) {
                return Err(LockError::Held { key: key.to_string(), pid, since });
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO locks (key, pid, since) VALUES (?1, ?2, ?3)",
            params![key, std::process::id(), chrono::Utc::now().to_rfc3339()],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(RunLock { db, key: key.to_string() })
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = self.db.execute("DELETE FROM locks WHERE key = ?1 AND pid = ?2", params![self.key, std::process::id()]);
    }
}

/// One scheduled run, for `lofte status`.
#[derive(Debug, Clone)]
pub struct RunRecord {
    /// The period.
    pub period: String,
    /// Start (RFC 3339).
    pub started_at: String,
    /// `published`, `skipped`, `failed`, `missed`.
    pub outcome: String,
    /// Details.
    pub message: String,
}

/// Appends a run to the history.
pub fn record_run(
    state_dir: &Path,
    period: &str,
    started_at: &str,
    outcome: &str,
    message: &str,
) -> Result<(), LockError> {
    open(state_dir)?
        .execute(
            "INSERT INTO runs (period, started_at, finished_at, outcome, message) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![period, started_at, chrono::Utc::now().to_rfc3339(), outcome, message],
        )
        .map(|_| ())
        .map_err(|e| LockError::State(e.to_string()))
}

/// Opens the state read-only (for `lofte status`); `None` when there is no database or no run table yet. A folder
/// the user may not write is read as an immutable file, since `SQLite` cannot set up its shared memory there.
fn open_read_only(state_dir: &Path) -> Result<Option<Connection>, LockError> {
    let path = state_dir.join("lofte.db");
    if !path.exists() {
        return Ok(None);
    }
    let err = |e: rusqlite::Error| LockError::State(format!("{}: {e}", path.display()));
    let ready = |db: &Connection| -> rusqlite::Result<bool> {
        db.query_row("SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'runs'", [], |r| r.get(0))
    };
    let db = crate::deliver::outbox::read_only_connection(&path).map_err(err)?;
    let has_runs = ready(&db).map_err(err)?;
    Ok(has_runs.then_some(db))
}

/// The last `n` runs, newest first.
pub fn last_runs(state_dir: &Path, n: usize) -> Result<Vec<RunRecord>, LockError> {
    let Some(db) = open_read_only(state_dir)? else { return Ok(Vec::new()) };
    let err = |e: rusqlite::Error| LockError::State(e.to_string());
    let mut stmt = db
        .prepare("SELECT period, started_at, outcome, COALESCE(message, '') FROM runs ORDER BY id DESC LIMIT ?1")
        .map_err(err)?;
    let rows = stmt
        .query_map(params![n as i64], |r| {
            Ok(RunRecord { period: r.get(0)?, started_at: r.get(1)?, outcome: r.get(2)?, message: r.get(3)? })
        })
        .map_err(err)?;
    rows.collect::<Result<_, _>>().map_err(err)
}
