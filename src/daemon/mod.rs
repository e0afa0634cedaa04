//! `lofte daemon`: publishes on the configured schedule until SIGTERM or SIGINT.
//!
//! The loop sleeps until the earliest of: the next scheduled run, the next pending delivery's retry, the retry of a
//! failed run. It re-plans from the clock after every wake-up, so a daylight-saving change never shifts a run (the
//! upstream tokio-cron-scheduler fixes a job's offset when the job is created, and its tick loop uses CPU between
//! runs; this loop sleeps). At start, the latest due run of each entry whose period is not yet published runs at
//! once if it is less than `catch_up_days` late; older ones are logged, recorded and shown by `check`, never sent
//! by surprise. One bad run is logged and recorded, retried an hour later, and never stops the daemon; a run that
//! found the publish lock taken is retried after `busy_retry_secs` (two minutes). The first SIGTERM or SIGINT stops new work and lets
//! the run in hand finish; a second exits at once. SIGHUP reloads the configuration.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use tokio::sync::watch;
use tracing::{error, info, warn};

use crate::archive::{Archive, ArchiveError};
use crate::config::Config;
use crate::period::Period;
use crate::pipeline::{self, PipelineError, PublishOptions, RecordsOverride};
use crate::schedule;

/// How long a failed run waits before it is tried again.
const RETRY_AFTER: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// A schedule entry is not usable (the config check catches this first).
    #[error("schedule: {0}")]
    Schedule(String),
    /// Signals could not be set up.
    #[error("cannot listen for SIGTERM/SIGINT/SIGHUP: {0}")]
    Signals(std::io::Error),
}

/// What the signals ask for.
struct Signals {
    /// Set by the first SIGTERM or SIGINT.
    stop: watch::Receiver<bool>,
    /// Notified by SIGHUP: read the configuration again.
    reload: std::sync::Arc<tokio::sync::Notify>,
}

/// Listens for SIGTERM/SIGINT (the first sets the stop flag, a second exits the process at once) and SIGHUP
/// (reload the configuration, as `systemctl reload lofte` sends).
fn signals() -> Result<Signals, DaemonError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).map_err(DaemonError::Signals)?;
    let mut int = signal(SignalKind::interrupt()).map_err(DaemonError::Signals)?;
    let mut hup = signal(SignalKind::hangup()).map_err(DaemonError::Signals)?;
    let (tx, rx) = watch::channel(false);
    let reload = std::sync::Arc::new(tokio::sync::Notify::new());
    let notify = reload.clone();
    tokio::spawn(async move {
        let mut stopping = false;
        loop {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
                _ = hup.recv() => {
                    info!("SIGHUP: reloading the configuration");
                    notify.notify_one();
                    continue;
                }
            }
            if stopping {
                eprintln!("lofte: second signal, exiting now");
                std::process::exit(130);
            }
            stopping = true;
            info!("stop requested: finishing the run in hand (a second signal exits at once)");
            let _ = tx.send(true);
        }
    });
    Ok(Signals { stop: rx, reload })
}

/// The schedule entries, parsed.
pub fn entries(config: &Config) -> Result<Vec<(Cron, String)>, DaemonError> {
    config
        .schedule
        .runs
        .iter()
        .map(|r| schedule::parse_cron(&r.cron).map(|c| (c, r.period.clone())).map_err(DaemonError::Schedule))
        .collect()
}

/// A run that was due at start and is not published.
#[derive(Debug, Clone)]
pub struct DueRun {
    /// When it was due.
    pub at: DateTime<Tz>,
    /// The period it publishes.
    pub period: Period,
    /// Less than `catch_up_days` late: it runs now. Otherwise it is reported, not sent.
    pub in_window: bool,
}

/// The runs at start that are due and not yet published.
#[must_use]
pub fn due_at_start(config: &Config, entries: &[(Cron, String)], now: DateTime<Utc>) -> Vec<DueRun> {
    let tz = config.schedule.timezone;
    let archive = Archive::new(&config.archive_dir);
    let window = chrono::TimeDelta::days(i64::from(config.schedule.catch_up_days));
    let mut due = Vec::new();
    for (cron, template) in entries {
        let Ok(at) = cron.find_previous_occurrence(&now.with_timezone(&tz), false) else { continue };
        let Ok(period) = schedule::period_for_run(template, &at) else { continue };
        let Some(pledge) = config.pledge_for_year(period.year) else { continue };
        if matches!(archive.current(&pledge.id, &period.name), Ok(Some(_))) {
            continue;
        }
        let in_window = now - at.with_timezone(&Utc) < window;
        due.push(DueRun { at, period, in_window });
    }
    due
}

/// Runs the schedule until SIGTERM or SIGINT. `reload` reads the configuration again (SIGHUP); a configuration
/// with problems is logged and the running one kept.
pub async fn run(
    config: &Config,
    records: &RecordsOverride,
    reload: &dyn Fn() -> Result<Config, String>,
) -> Result<(), DaemonError> {
    let Signals { stop: mut shutdown, reload: reload_signal } = signals()?;
    let mut config = config.clone();
    let mut entries = entries(&config)?;
    info!(runs = entries.len(), timezone = %config.schedule.timezone, "daemon started");

    // Deliveries left pending by a previous run (or a crash) go out now, not at the next scheduled run.
    if let Err(e) = pipeline::deliver(&config, &Archive::new(&config.archive_dir)).await {
        error!("delivery: {e}");
    }
    // Runs to try again, by period, with when.
    let mut retries: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    for due in due_at_start(&config, &entries, Utc::now()) {
        if due.in_window {
            info!(period = %due.period.name, due = %due.at, "catching up a missed run");
            if let Some(wait) = run_once(&config, records, &due.period.name).await.retry_after(&config) {
                retries.insert(due.period.name.clone(), Utc::now() + wait);
            }
        } else {
            let message = format!(
                "missed run of {} is older than {} days; not sent (publish it by hand)",
                due.at, config.schedule.catch_up_days
            );
            warn!(period = %due.period.name, "{message}");
            if let Err(e) =
                crate::state::record_run(&config.state_dir, &due.period.name, &due.at.to_rfc3339(), "missed", &message)
            {
                error!("run history: {e}");
            }
        }
        if *shutdown.borrow() {
            return Ok(());
        }
    }

    let mut after = Utc::now();
    loop {
        if *shutdown.borrow() {
            break;
        }
        let tz = config.schedule.timezone;
        let runs: Vec<(DateTime<Utc>, String)> = entries
            .iter()
            .filter_map(|(c, t)| schedule::next_run(c, tz, after).map(|at| (at.with_timezone(&Utc), t.clone())))
            .collect();
        let next_run = runs.iter().map(|(at, _)| *at).min();
        let wake = [next_run, next_delivery(&config), retries.values().min().copied()].into_iter().flatten().min();
        let sleep = wake.map_or(Duration::from_secs(24 * 3600), |w| (w - Utc::now()).to_std().unwrap_or_default());
        tokio::select! {
            () = tokio::time::sleep(sleep) => {}
            _ = shutdown.changed() => break,
            () = reload_signal.notified() => {
                match reload().and_then(|c| entries_of(&c).map(|e| (c, e))) {
                    Ok((c, e)) => {
                        info!(runs = e.len(), "configuration reloaded");
                        config = c;
                        entries = e;
                    }
                    Err(problems) => error!("the configuration was not reloaded; the running one stays:\n{problems}"),
                }
                continue;
            }
        }
        let now = Utc::now();
        if let Some(at) = next_run.filter(|at| *at <= now) {
            after = at;
            for (_, template) in runs.iter().filter(|(t, _)| *t == at) {
                match schedule::period_for_run(template, &at.with_timezone(&tz)) {
                    Ok(period) => {
                        if let Some(wait) = run_once(&config, records, &period.name).await.retry_after(&config) {
                            retries.insert(period.name, Utc::now() + wait);
                        }
                    }
                    Err(e) => error!("{e}"),
                }
            }
        }
        let ready: Vec<String> = retries.iter().filter(|(_, at)| **at <= now).map(|(p, _)| p.clone()).collect();
        for period in ready {
            retries.remove(&period);
            if let Some(wait) = run_once(&config, records, &period).await.retry_after(&config) {
                retries.insert(period, Utc::now() + wait);
            }
        }
        if let Err(e) = pipeline::deliver(&config, &Archive::new(&config.archive_dir)).await {
            error!("delivery: {e}");
        }
    }
    info!("daemon stopped");
    Ok(())
}

fn entries_of(config: &Config) -> Result<Vec<(Cron, String)>, String> {
    entries(config).map_err(|e| e.to_string())
}

/// When the earliest pending delivery is due, if any.
fn next_delivery(config: &Config) -> Option<DateTime<Utc>> {
    let outbox = crate::deliver::outbox::Outbox::open_read_only(&config.state_dir).ok()??;
    let rows = outbox.due(i64::MAX, true).ok()?;
    rows.iter().map(|r| r.next_attempt_at).min().and_then(|t| DateTime::from_timestamp(t, 0))
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
}

impl RunOutcome {
    /// The word in the run history.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            RunOutcome::Published => "published",
            RunOutcome::AlreadyPublished => "skipped",
            RunOutcome::Busy => "busy",
            RunOutcome::Failed => "failed",
        }
    }

    /// When the run must be tried again, if it must.
    #[must_use]
    pub fn retry_after(self, config: &Config) -> Option<chrono::TimeDelta> {
        match self {
            RunOutcome::Busy => Some(busy_retry(config)),
            RunOutcome::Failed => Some(RETRY_AFTER),
            RunOutcome::Published | RunOutcome::AlreadyPublished => None,
        }
    }
}

fn busy_retry(config: &Config) -> chrono::TimeDelta {
    chrono::TimeDelta::seconds(i64::try_from(config.schedule.busy_retry_secs).unwrap_or(i64::MAX / 2_000))
}

/// Publishes one period and records how it went.
async fn run_once(config: &Config, records: &RecordsOverride, period: &str) -> RunOutcome {
    let started = Utc::now().to_rfc3339();
    let options = PublishOptions {
        period: period.to_string(),
        generated_at: Utc::now(),
        force: false,
        dry_run: false,
        reason: None,
    };
    let (outcome, message) = match pipeline::publish(config, records, &options).await {
        Ok(done) => {
            let d = &done.delivery;
            info!(period, sent = d.sent, failed = d.failed, pending = d.pending, "published");
            (RunOutcome::Published, format!("{} sent, {} failed, {} pending", d.sent, d.failed, d.pending))
        }
        Err(PipelineError::Archive(ArchiveError::AlreadyPublished { .. })) => {
            (RunOutcome::AlreadyPublished, "already published".into())
        }
        Err(PipelineError::Busy(e)) => {
            let wait = busy_retry(config).num_seconds();
            warn!(period, "{e}; trying again in {wait} s");
            (RunOutcome::Busy, format!("{e}; trying again in {wait} s"))
        }
        Err(e) => {
            error!(period, "run failed: {e}");
            (RunOutcome::Failed, format!("{e}; trying again in an hour"))
        }
    };
    if let Err(e) = crate::state::record_run(&config.state_dir, period, &started, outcome.key(), &message) {
        error!("run history: {e}");
    }
    outcome
}
