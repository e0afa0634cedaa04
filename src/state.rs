//! Run state in `state/lofte.db` (the same `SQLite` file as the delivery outbox): a run lock, so that two daemons
//! (or a daemon and a manual `publish`) never publish the same period at once, the run history that `lofte status`
//! shows, and what both the lock and the outbox's claims need: who owns a claim, whether that process still runs,
//! and a read-only way in for folders that cannot be written. The pipeline and the daemon both use it; it uses
//! neither.

use std::path::{Path, PathBuf};

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
    #[error("run state {}: {source}", path.display())]
    State {
        /// The database file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// The state folder could not be created.
    #[error("run state {}: {source}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

fn open(state_dir: &Path) -> Result<Connection, LockError> {
    std::fs::create_dir_all(state_dir).map_err(|source| LockError::Folder { path: state_dir.to_path_buf(), source })?;
    let path = state_dir.join("lofte.db");
    let err = |source: rusqlite::Error| LockError::State { path: path.clone(), source };
    let db = Connection::open(&path).map_err(err)?;
    db.busy_timeout(std::time::Duration::from_secs(30)).map_err(err)?;
    db.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, pid INTEGER NOT NULL, since TEXT NOT NULL, owner TEXT);
         CREATE TABLE IF NOT EXISTS runs (
             id INTEGER PRIMARY KEY AUTOINCREMENT, period TEXT NOT NULL, started_at TEXT NOT NULL,
             finished_at TEXT, outcome TEXT NOT NULL, message TEXT);",
    )
    .map_err(err)?;
    // Files from before the owner column: add it (NULL means "checked by pid alone").
    let has_owner: bool = db
        .query_row("SELECT count(*) > 0 FROM pragma_table_info('locks') WHERE name = 'owner'", [], |r| r.get(0))
        .map_err(err)?;
    if !has_owner {
        db.execute_batch("ALTER TABLE locks ADD COLUMN owner TEXT").map_err(err)?;
    }
    Ok(db)
}

/// This process, as the owner of a lock or a claim: its pid and its start time, so that a process that later gets
/// the same pid is not taken for it.
#[must_use]
pub fn owner() -> String {
    let pid = std::process::id();
    format!("{pid}:{}", start_time(pid).unwrap_or_default())
}

/// The start time of a running process in clock ticks since boot (field 22 of `/proc/<pid>/stat`); `None` when
/// there is no such process or it has exited and waits to be reaped (a zombie, state `Z`, holds nothing).
fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    let mut rest = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = rest.next()?;
    if state == "Z" || state == "X" {
        return None;
    }
    rest.nth(18).map(str::to_string)
}

/// Whether the process that [`owner`] described still runs.
#[must_use]
pub fn owner_alive(owner: &str) -> bool {
    let Some((pid, started)) = owner.split_once(':') else { return false };
    let Ok(pid) = pid.parse::<u32>() else { return false };
    start_time(pid).is_some_and(|s| s == started)
}

/// A read-only connection to the state database. Where the folder cannot be written, `SQLite` cannot set up the
/// shared memory of WAL mode, so the file is then read as immutable (a snapshot, which is what a listing needs).
pub fn read_only_connection(path: &Path) -> rusqlite::Result<Connection> {
    use rusqlite::OpenFlags;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let probe = |db: Connection| -> rusqlite::Result<Connection> {
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        db.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))?;
        Ok(db)
    };
    Connection::open_with_flags(path, flags).and_then(probe).or_else(|_| {
        // Characters that mean something in a URI are escaped so the path stays one path.
        let escaped = path.display().to_string().replace('%', "%25").replace('?', "%3f").replace('#', "%23");
        Connection::open_with_flags(format!("file:{escaped}?immutable=1"), flags).and_then(probe)
    })
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
        let path = state_dir.join("lofte.db");
        let err = |source: rusqlite::Error| LockError::State { path: path.clone(), source };
        let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        let holder: Option<(u32, String, Option<String>)> = tx
            .query_row("SELECT pid, since, owner FROM locks WHERE key = ?1", params![key], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
            .map_err(err)?;
        if let Some((pid, since, holder_owner)) = holder {
            // A lock written with its owner is checked by pid and start time; an older one by pid alone.
            let alive = match &holder_owner {
                Some(o) => owner_alive(o),
                None => start_time(pid).is_some(),
            };
            if pid != std::process::id() && alive {
                return Err(LockError::Held { key: key.to_string(), pid, since });
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO locks (key, pid, since, owner) VALUES (?1, ?2, ?3, ?4)",
            params![key, std::process::id(), chrono::Utc::now().to_rfc3339(), owner()],
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

/// How one scheduled run ended; each is written to the run history that `lofte status` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// Published (and delivered as far as the servers allowed).
    Published,
    /// Already published before: nothing to do.
    AlreadyPublished,
    /// Another process held the publish lock: tried again shortly.
    Busy,
    /// The run failed: tried again in an hour.
    Failed,
    /// Due while the daemon was down, and older than the catch-up window: reported, not sent.
    Missed,
}

impl RunOutcome {
    const ALL: [RunOutcome; 5] =
        [RunOutcome::Published, RunOutcome::AlreadyPublished, RunOutcome::Busy, RunOutcome::Failed, RunOutcome::Missed];

    /// The word in the run history.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            RunOutcome::Published => "published",
            RunOutcome::AlreadyPublished => "skipped",
            RunOutcome::Busy => "busy",
            RunOutcome::Failed => "failed",
            RunOutcome::Missed => "missed",
        }
    }

    /// The outcome named by `key`.
    #[must_use]
    pub fn from_key(key: &str) -> Option<RunOutcome> {
        RunOutcome::ALL.into_iter().find(|o| o.key() == key)
    }
}

impl std::fmt::Display for RunOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// One scheduled run, for `lofte status`.
#[derive(Debug, Clone)]
pub struct RunRecord {
    /// The period.
    pub period: String,
    /// Start (RFC 3339).
    pub started_at: String,
    /// How it ended.
    pub outcome: RunOutcome,
    /// What happened: the delivery summary, or why it failed or waits.
    pub message: String,
}

/// Appends a run to the history.
pub fn record_run(
    state_dir: &Path,
    period: &str,
    started_at: &str,
    outcome: RunOutcome,
    message: &str,
) -> Result<(), LockError> {
    open(state_dir)?
        .execute(
            "INSERT INTO runs (period, started_at, finished_at, outcome, message) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![period, started_at, chrono::Utc::now().to_rfc3339(), outcome.key(), message],
        )
        .map(|_| ())
        .map_err(|source| LockError::State { path: state_dir.join("lofte.db"), source })
}

/// Opens the state read-only (for `lofte status`); `None` when there is no database or no run table yet. A folder
/// the user may not write is read as an immutable file, since `SQLite` cannot set up its shared memory there.
fn open_read_only(state_dir: &Path) -> Result<Option<Connection>, LockError> {
    let path = state_dir.join("lofte.db");
    if !path.exists() {
        return Ok(None);
    }
    let err = |source: rusqlite::Error| LockError::State { path: path.clone(), source };
    let ready = |db: &Connection| -> rusqlite::Result<bool> {
        db.query_row("SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'runs'", [], |r| r.get(0))
    };
    let db = read_only_connection(&path).map_err(err)?;
    let has_runs = ready(&db).map_err(err)?;
    Ok(has_runs.then_some(db))
}

/// The last `n` runs, newest first.
pub fn last_runs(state_dir: &Path, n: usize) -> Result<Vec<RunRecord>, LockError> {
    let Some(db) = open_read_only(state_dir)? else { return Ok(Vec::new()) };
    let path = state_dir.join("lofte.db");
    let err = |source: rusqlite::Error| LockError::State { path: path.clone(), source };
    let mut stmt = db
        .prepare("SELECT period, started_at, outcome, COALESCE(message, '') FROM runs ORDER BY id DESC LIMIT ?1")
        .map_err(err)?;
    let rows = stmt
        .query_map(params![n as i64], |r| {
            let word: String = r.get(2)?;
            let outcome = RunOutcome::from_key(&word).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(
                    2,
                    rusqlite::types::Type::Text,
                    format!("run outcome {word:?}").into(),
                )
            })?;
            Ok(RunRecord { period: r.get(0)?, started_at: r.get(1)?, outcome, message: r.get(3)? })
        })
        .map_err(err)?;
    rows.collect::<Result<_, _>>().map_err(err)
}
