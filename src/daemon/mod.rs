//! `lofte daemon`: publishes on the configured schedule until its caller asks it to stop.
//!
//! The caller passes in what comes from outside (as tokio's mini-redis does): the [`Clock`], a shutdown future and
//! the reload request. `cli` wires them to the system clock and to SIGTERM/SIGINT/SIGHUP (`crate::signals`); the
//! tests wire them to a [`crate::clock::TestClock`] and plain channels, so that no test waits for a cron
//! expression to fire. Nothing here touches signals or exits the process.
//!
//! The loop sleeps until the earliest of: the next scheduled run, the next pending delivery's retry, the retry of a
//! failed run, but never more than an hour at a time, and re-plans from [`Clock::now`] after every wake-up: a
//! daylight-saving change never shifts a run (the upstream tokio-cron-scheduler fixes a job's offset when the job is
//! created, and its tick loop uses CPU between runs; this loop sleeps), and a clock step or a suspended machine
//! makes a run late by an hour at most. At start, the latest due run of each entry whose period is not yet published
//! runs at once if it is less than `catch_up_days` late; older ones are logged, recorded and shown by `check`, never
//! sent by surprise. One bad run is logged and recorded, retried an hour later, and never stops the daemon; a run
//! that found the publish lock taken is retried after `busy_retry_secs` (two minutes). Once shutdown resolves no new
//! work starts: the run in hand finishes and [`run`] returns. A reload request reads the configuration again.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Waker};

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use croner::Cron;
use tokio::sync::Notify;
use tracing::{error, info, warn};

use crate::archive::{Archive, ArchiveError};
use crate::clock::Clock;
use crate::config::Config;
use crate::period::Period;
use crate::pipeline::{self, PipelineError, PublishOptions, RecordsOverride};
use crate::schedule;
use crate::state::RunOutcome;

/// How long a failed run waits before it is tried again.
const RETRY_AFTER: TimeDelta = TimeDelta::hours(1);

/// The longest the daemon sleeps before it reads the clock again. The timer behind a sleep does not follow the wall
/// clock (a step, a suspended machine), so this bounds how late such a change can make a run.
pub const MAX_SLEEP: TimeDelta = TimeDelta::hours(1);

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// A schedule entry is not usable (the config check catches this first).
    #[error("schedule: {0}")]
    Schedule(#[from] crate::schedule::ScheduleError),
    /// The caller could not listen for the signals that stop and reload the daemon (`lofte daemon` sets them up
    /// before it calls [`run`]).
    #[error("cannot listen for SIGTERM/SIGINT/SIGHUP: {0}")]
    Signals(std::io::Error),
}

/// How the daemon reads its configuration again while it runs (SIGHUP, `systemctl reload lofte`).
#[derive(Clone, Copy)]
pub struct Reload<'a> {
    /// Notified when the configuration must be read again. A request that comes while a run is in hand waits for
    /// the run to end (a [`Notify`] keeps one permit).
    pub requested: &'a Notify,
    /// Reads the configuration again, with the same file and overrides as at start; `Err` holds its problems as
    /// text, and the running configuration stays.
    pub load: &'a dyn Fn() -> Result<Config, String>,
}

/// Nothing ever notifies this, so [`Reload::never`] is never requested.
static NEVER: Notify = Notify::const_new();

impl Reload<'static> {
    /// A reload that is never requested, for callers that have no SIGHUP to offer (tests, an embedding program).
    #[must_use]
    pub fn never() -> Reload<'static> {
        Reload { requested: &NEVER, load: &|| Err("no reload was expected".into()) }
    }
}

/// The caller's shutdown future, and whether it has resolved. It is polled in two ways: awaited while the daemon
/// sleeps, and peeked at between runs; once it has resolved it is never polled again (a future may not be).
struct Shutdown<F> {
    future: Pin<Box<F>>,
    requested: bool,
}

impl<F: Future<Output = ()>> Shutdown<F> {
    fn new(future: F) -> Self {
        Shutdown { future: Box::pin(future), requested: false }
    }

    /// Whether shutdown has been asked for, without waiting.
    fn requested(&mut self) -> bool {
        if !self.requested {
            // A no-op waker: the daemon does not want to be woken by this poll; it only looks. The next `wait`
            // polls again with the task's own waker.
            let mut cx = Context::from_waker(Waker::noop());
            self.requested = self.future.as_mut().poll(&mut cx).is_ready();
        }
        self.requested
    }

    /// Resolves when shutdown is asked for.
    async fn wait(&mut self) {
        if !self.requested {
            self.future.as_mut().await;
            self.requested = true;
        }
    }
}

/// The schedule entries, parsed.
pub fn entries(config: &Config) -> Result<Vec<(Cron, String)>, DaemonError> {
    config
        .schedule
        .runs
        .iter()
        .map(|r| schedule::parse_cron(&r.cron).map(|c| (c, r.period.clone())).map_err(DaemonError::from))
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
    let window = TimeDelta::days(i64::from(config.schedule.catch_up_days));
    let mut due = Vec::new();
    for (cron, template) in entries {
        let Ok(at) = cron.find_previous_occurrence(&now.with_timezone(&tz), false) else { continue };
        let Ok(period) = schedule::period_for_run(template, &at) else { continue };
        let Some((pledge, _)) = config.document_for(&period) else { continue };
        if matches!(archive.current(&pledge.id, &period.name), Ok(Some(_))) {
            continue;
        }
        let in_window = now - at.with_timezone(&Utc) < window;
        due.push(DueRun { at, period, in_window });
    }
    due
}

/// Runs the schedule until `shutdown` resolves, then returns `Ok` once the work in hand is done (a run, its retries
/// due at the same wake-up and a delivery pass; during the catch-up at start, the run in hand). A daemon that is
/// asleep when `shutdown` resolves returns at once. Every time the daemon uses (planning, catch-up, retries, run
/// history, generation time) is read from `clock`; only the delivery retry times stay on the system clock, where the
/// outbox keeps them. `reload` reads the configuration again, and one with problems is logged while the running one
/// stays.
pub async fn run(
    config: &Config,
    records: &RecordsOverride,
    clock: &dyn Clock,
    reload: Reload<'_>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    let mut shutdown = Shutdown::new(shutdown);
    let mut config = config.clone();
    let mut entries = entries(&config)?;
    info!(runs = entries.len(), timezone = %config.schedule.timezone, "daemon started");

    // Deliveries left pending by a previous run (or a crash) go out now, not at the next scheduled run.
    if let Err(e) = pipeline::deliver(&config, &Archive::new(&config.archive_dir)).await {
        error!("delivery: {e}");
    }
    // Runs to try again, by period, with when (on `clock`).
    let mut retries: Retries = BTreeMap::new();
    // Scheduled runs up to this moment have been handled: the catch-up covers those before start.
    let mut after = clock.now();
    if !shutdown.requested() {
        catch_up(&config, &entries, records, clock, after, &mut retries, &mut shutdown).await;
        remind(&config, clock).await;
    }

    while !shutdown.requested() {
        let tz = config.schedule.timezone;
        let now = clock.now();
        let next_run =
            entries.iter().filter_map(|(c, _)| schedule::next_run(c, tz, after)).map(|at| at.with_timezone(&Utc)).min();
        let wake = [
            next_run,
            next_delivery(&config, now),
            retries.values().map(|(at, _)| *at).min(),
            crate::deliver::remind::next(&config),
        ]
        .into_iter()
        .flatten()
        .min();
        let deadline = wake.map_or(now + MAX_SLEEP, |w| w.min(now + MAX_SLEEP));
        tokio::select! {
            biased;
            () = shutdown.wait() => break,
            () = clock.sleep_until(deadline) => {}
            () = reload.requested.notified() => {
                match (reload.load)().and_then(|c| entries_of(&c).map(|e| (c, e))) {
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
        // Plan again from the clock: the wake-up may have been the one-hour cap, or come late, or the clock stepped.
        let now = clock.now();
        let mut worked = false;
        for (cron, template) in &entries {
            let Some(next) = schedule::next_run(cron, tz, after) else { continue };
            if next.with_timezone(&Utc) > now {
                continue;
            }
            // After a suspend or a clock step several firings may have passed: only the latest runs, as at start.
            let at = cron.find_previous_occurrence(&now.with_timezone(&tz), true).unwrap_or(next);
            worked = true;
            match schedule::period_for_run(template, &at) {
                Ok(period) => {
                    if let Some(wait) = retry_after(run_once(&config, records, clock, &period).await, &config) {
                        retries.insert(period.name.clone(), (clock.now() + wait, period));
                    }
                }
                Err(e) => error!("{e}"),
            }
        }
        after = now;
        let ready: Vec<Period> = retries.values().filter(|(at, _)| *at <= now).map(|(_, p)| p.clone()).collect();
        for period in ready {
            worked = true;
            retries.remove(&period.name);
            if let Some(wait) = retry_after(run_once(&config, records, clock, &period).await, &config) {
                retries.insert(period.name.clone(), (clock.now() + wait, period));
            }
        }
        // A wake-up that was only the hourly look at the clock has nothing to deliver.
        if worked || next_delivery(&config, now).is_some_and(|at| at <= now) {
            if let Err(e) = pipeline::deliver(&config, &Archive::new(&config.archive_dir)).await {
                error!("delivery: {e}");
            }
        }
        remind(&config, clock).await;
    }
    info!("daemon stopped");
    Ok(())
}

/// At start: runs each entry's latest missed run inside the catch-up window, and records the older ones as missed.
/// Stops after the run in hand once shutdown is asked for.
async fn catch_up<F: Future<Output = ()>>(
    config: &Config,
    entries: &[(Cron, String)],
    records: &RecordsOverride,
    clock: &dyn Clock,
    now: DateTime<Utc>,
    retries: &mut Retries,
    shutdown: &mut Shutdown<F>,
) {
    for due in due_at_start(config, entries, now) {
        if due.in_window {
            info!(period = %due.period.name, due = %due.at, "catching up a missed run");
            if let Some(wait) = retry_after(run_once(config, records, clock, &due.period).await, config) {
                retries.insert(due.period.name.clone(), (clock.now() + wait, due.period.clone()));
            }
        } else {
            let message = format!(
                "missed run of {} is older than {} days; not sent (publish it by hand)",
                due.at, config.schedule.catch_up_days
            );
            warn!(period = %due.period.name, "{message}");
            if let Err(e) = crate::state::record_run(
                &config.state_dir,
                &due.period.name,
                &due.at.to_rfc3339(),
                RunOutcome::Missed,
                &message,
            ) {
                error!("run history: {e}");
            }
        }
        if shutdown.requested() {
            return;
        }
    }
}

fn entries_of(config: &Config) -> Result<Vec<(Cron, String)>, String> {
    entries(config).map_err(|e| e.to_string())
}

/// When the earliest pending delivery is due, on the daemon's clock (whose time is `now`), if any. The outbox keeps
/// its retry times on the system clock (src/deliver), so the wait is measured there and then added to `now`; with
/// the system clock as the daemon's this is the stored time itself.
fn next_delivery(config: &Config, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let outbox = crate::deliver::outbox::Outbox::open_read_only(&config.state_dir).ok()??;
    let rows = outbox.due(i64::MAX, true).ok()?;
    let at = rows.iter().map(|r| r.next_attempt_at).min().and_then(|t| DateTime::from_timestamp(t, 0))?;
    Some(now + (at - Utc::now()))
}

/// Reminds the reviewers of every draft that has waited long enough (docs/review.md); a failure is logged.
async fn remind(config: &Config, clock: &dyn Clock) {
    match crate::deliver::remind::send_due(config, clock.now()).await {
        Ok(0) => {}
        Ok(n) => info!(messages = n, "reminded reviewers of drafts waiting for review"),
        Err(e) => error!("reminders: {e}"),
    }
}

/// When a run that ended with `outcome` must be tried again, if it must.
fn retry_after(outcome: RunOutcome, config: &Config) -> Option<TimeDelta> {
    match outcome {
        RunOutcome::Busy => Some(busy_retry(config)),
        RunOutcome::Failed => Some(RETRY_AFTER),
        RunOutcome::Published | RunOutcome::AlreadyPublished | RunOutcome::Missed => None,
    }
}

/// Runs to try again, by period name: when (on the daemon's clock), and the period.
type Retries = BTreeMap<String, (DateTime<Utc>, Period)>;

fn busy_retry(config: &Config) -> TimeDelta {
    TimeDelta::seconds(i64::try_from(config.schedule.busy_retry_secs).unwrap_or(i64::MAX / 2_000))
}

/// Publishes one period and records how it went; the run's start and the publication's generation time are the
/// daemon's clock.
async fn run_once(config: &Config, records: &RecordsOverride, clock: &dyn Clock, period: &Period) -> RunOutcome {
    let generated_at = clock.now();
    let started = generated_at.to_rfc3339();
    let options = PublishOptions { period: period.clone(), generated_at, force: false, dry_run: false, reason: None };
    let period = period.name.as_str();
    let (outcome, message) = match pipeline::publish(config, records, &options).await {
        Ok(done) => {
            let d = &done.delivery;
            info!(period, sent = d.sent, failed = d.failed, pending = d.pending, "published");
            (RunOutcome::Published, format!("{} sent, {} failed, {} pending", d.sent, d.failed, d.pending))
        }
        Err(PipelineError::Archive(ArchiveError::AlreadyPublished { .. })) => {
            (RunOutcome::AlreadyPublished, "already published".into())
        }
        // A draft made earlier waits for its reviewers: the run has nothing to do (docs/review.md).
        Err(PipelineError::DraftWaiting { since, .. }) => {
            info!(period, "a draft made {since} is waiting for review");
            (RunOutcome::AlreadyPublished, format!("a draft made {since} is waiting for review"))
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
    if let Err(e) = crate::state::record_run(&config.state_dir, period, &started, outcome, &message) {
        error!("run history: {e}");
    }
    outcome
}
