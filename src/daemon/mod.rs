//! `lofte daemon`: publishes on the configured schedule until SIGTERM or SIGINT.
//!
//! The loop sleeps until the earliest of: the next scheduled run, the next pending delivery's retry, the retry of a
//! failed run. It re-plans from the clock after every wake-up, so a daylight-saving change never shifts a run (the
//! upstream tokio-cron-scheduler fixes a job's offset when the job is created, and its tick loop uses CPU between
//! runs; this loop sleeps). At start, the latest due run of each entry whose period is not yet published runs at
//! once if it is less than `catch_up_days` late; older ones are logged, recorded and shown by `check`, never sent
//! by surprise. One bad run is logged and recorded, retried an hour later, and never stops the daemon. The first
//! signal stops new work and lets the run in hand finish; a second exits at once.

pub mod state;

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
    #[error("cannot listen for SIGTERM/SIGINT: {0}")]
    Signals(std::io::Error),
}

/// Listens for SIGTERM/SIGINT: the first sets the flag, a second exits the process at once.
fn shutdown_signal() -> Result<watch::Receiver<bool>, DaemonError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).map_err(DaemonError::Signals)?;
    let mut int = signal(SignalKind::interrupt()).map_err(DaemonError::Signals)?;
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
        info!("stop requested: finishing the run in hand (a second signal exits at once)");
        let _ = tx.send(true);
        tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
        eprintln!("lofte: second signal, exiting now");
        std::process::exit(130);
    });
    Ok(rx)
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

/// The runs at start that are due, not yet published, and either inside the catch-up window (`true`) or too late.
#[must_use]
pub fn due_at_start(
    config: &Config,
    entries: &[(Cron, String)],
    now: DateTime<Utc>,
) -> Vec<(DateTime<Tz>, Period, bool)> {
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
        due.push((at, period, in_window));
    }
    due
}

/// Runs the schedule until a signal.
pub async fn run(config: &Config, records: &RecordsOverride) -> Result<(), DaemonError> {
    let mut shutdown = shutdown_signal()?;
    let entries = entries(config)?;
    let tz = config.schedule.timezone;
    info!(runs = entries.len(), timezone = %tz, "daemon started");

    // Deliveries left pending by a previous run (or a crash) go out now, not at the next scheduled run.
    if let Err(e) = pipeline::deliver(config, &Archive::new(&config.archive_dir)).await {
        error!("delivery: {e}");
    }
    let mut retry: Option<(DateTime<Utc>, String)> = None;
    for (at, period, in_window) in due_at_start(config, &entries, Utc::now()) {
        if in_window {
            info!(period = %period.name, due = %at, "catching up a missed run");
            if run_once(config, records, &period.name).await.is_err() {
                retry = Some((Utc::now() + RETRY_AFTER, period.name.clone()));
            }
        } else {
            let message = format!(
                "missed run of {at} is older than {} days; not sent (publish it by hand)",
                config.schedule.catch_up_days
            );
            warn!(period = %period.name, "{message}");
            let _ = state::record_run(&config.state_dir, &period.name, &at.to_rfc3339(), "missed", &message);
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
        let runs: Vec<(DateTime<Utc>, &String)> = entries
            .iter()
            .filter_map(|(c, t)| schedule::next_run(c, tz, after).map(|at| (at.with_timezone(&Utc), t)))
            .collect();
        let next_run = runs.iter().map(|(at, _)| *at).min();
        let wake = [next_run, next_delivery(config), retry.as_ref().map(|r| r.0)].into_iter().flatten().min();
        let sleep = wake.map_or(Duration::from_secs(24 * 3600), |w| (w - Utc::now()).to_std().unwrap_or_default());
        tokio::select! {
            () = tokio::time::sleep(sleep) => {}
            _ = shutdown.changed() => break,
        }
        let now = Utc::now();
        if let Some(at) = next_run.filter(|at| *at <= now) {
            after = at;
            for (_, template) in runs.iter().filter(|(t, _)| *t == at) {
                match schedule::period_for_run(template, &at.with_timezone(&tz)) {
                    Ok(period) => {
                        if run_once(config, records, &period.name).await.is_err() {
                            retry = Some((Utc::now() + RETRY_AFTER, period.name));
                        }
                    }
                    Err(e) => error!("{e}"),
                }
            }
        }
        if let Some((_, period)) = retry.clone().filter(|(at, _)| *at <= now) {
            retry = None;
            if run_once(config, records, &period).await.is_err() {
                retry = Some((Utc::now() + RETRY_AFTER, period));
            }
        }
        if let Err(e) = pipeline::deliver(config, &Archive::new(&config.archive_dir)).await {
            error!("delivery: {e}");
        }
    }
    info!("daemon stopped");
    Ok(())
}

/// When the earliest pending delivery is due, if any.
fn next_delivery(config: &Config) -> Option<DateTime<Utc>> {
    let outbox = crate::deliver::outbox::Outbox::open(&config.state_dir).ok()?;
    let rows = outbox.due(i64::MAX, true).ok()?;
    rows.iter().map(|r| r.next_attempt_at).min().and_then(|t| DateTime::from_timestamp(t, 0))
}

/// Publishes one period; already published (or being published by another process) counts as done.
async fn run_once(config: &Config, records: &RecordsOverride, period: &str) -> Result<(), ()> {
    let started = Utc::now().to_rfc3339();
    let options = PublishOptions { period: period.to_string(), generated_at: Utc::now(), force: false, dry_run: false };
    let (outcome, message, result) = match pipeline::publish(config, records, &options).await {
        Ok(done) => {
            let d = &done.delivery;
            info!(period, sent = d.sent, failed = d.failed, pending = d.pending, "published");
            ("published", format!("{} sent, {} failed, {} pending", d.sent, d.failed, d.pending), Ok(()))
        }
        Err(PipelineError::Archive(ArchiveError::AlreadyPublished { .. })) => {
            ("skipped", "already published".into(), Ok(()))
        }
        Err(PipelineError::Busy(e)) => ("skipped", e.to_string(), Ok(())),
        Err(e) => {
            error!(period, "run failed: {e}");
            ("failed", e.to_string(), Err(()))
        }
    };
    if let Err(e) = state::record_run(&config.state_dir, period, &started, outcome, &message) {
        error!("run history: {e}");
    }
    result
}
