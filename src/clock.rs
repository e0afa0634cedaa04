//! The wall clock, in one place. `LOFTE_NOW` (RFC 3339, e.g. `2021-07-01T09:00:00+02:00`) sets it for a run, the
//! way `SOURCE_DATE_EPOCH` sets the generation time: the tests use it to publish "on 1 July 2021", and an operator
//! can ask what lofte would have done on a given day. Unset, it is the system clock.
//!
//! The daemon's schedule runs on a [`Clock`] instead, passed in by its caller: the [`SystemClock`] in `lofte
//! daemon`, a [`TestClock`] in the tests, which move it by hand instead of waiting for a cron expression to fire.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use tokio::sync::watch;

/// The environment variable that sets the clock.
pub const NOW_ENV: &str = "LOFTE_NOW";

/// Why `LOFTE_NOW` is not usable.
#[derive(Debug, thiserror::Error)]
#[error("{NOW_ENV}={value:?} is not a time like 2021-07-01T09:00:00+02:00: {source}")]
pub struct ClockError {
    value: String,
    source: chrono::ParseError,
}

/// Now: `LOFTE_NOW` when set, else the system clock.
pub fn now() -> Result<DateTime<Utc>, ClockError> {
    match std::env::var(NOW_ENV) {
        Ok(value) if !value.trim().is_empty() => DateTime::parse_from_rfc3339(value.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|source| ClockError { value, source }),
        _ => Ok(Utc::now()),
    }
}

/// Today's date in `tz` (the schedule's time zone: a record dated today in Stockholm is not in the future).
pub fn today(tz: Tz) -> Result<NaiveDate, ClockError> {
    Ok(now()?.with_timezone(&tz).date_naive())
}

/// The daemon's time: what time it is, and a way to wait for a moment. [`SystemClock`] is the real one;
/// [`TestClock`] lets a test move time so that a schedule months ahead runs in milliseconds. The daemon never keeps
/// a deadline across a wake-up: it sleeps at most an hour and asks [`Clock::now`] again, so a clock that steps (or
/// a machine that was suspended) makes a run late by at most that hour.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;

    /// Resolves once [`Clock::now`] has reached `deadline` (at once if it already has). Dropping the future stops
    /// the wait.
    fn sleep_until(&self, deadline: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The system clock, for the running daemon. It ignores `LOFTE_NOW`, which sets the day a publication sees, not
/// when the schedule fires (docs/schedule.md).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        // tokio's timer runs on the monotonic clock, which does not follow a step of the wall clock (and, on Linux,
        // stands still while the machine is suspended): a long sleep would miss its moment, which is why callers
        // sleep an hour at most and look at the wall clock again.
        let wait = (deadline - Utc::now()).to_std().unwrap_or_default();
        Box::pin(tokio::time::sleep(wait))
    }
}

/// A clock for tests: its time only moves when the test calls [`TestClock::set`] or [`TestClock::advance`], and a
/// sleeper wakes as soon as the time reaches its deadline, with no real waiting. It remembers the longest single
/// sleep it was asked for (a test of the daemon's one-hour cap) and can tell a test when something is asleep on it
/// ([`TestClock::sleeping`]), which is how a test knows the daemon has finished what the last move made due.
#[derive(Debug)]
pub struct TestClock {
    state: watch::Sender<TestTime>,
}

/// What a [`TestClock`] knows; a watch channel so that every change wakes the sleepers, which look for themselves.
#[derive(Debug)]
struct TestTime {
    now: DateTime<Utc>,
    /// The deadlines of the sleeps under way (one entry per sleep).
    sleepers: Vec<DateTime<Utc>>,
    longest: TimeDelta,
    sleeps: u64,
}

impl TestClock {
    /// A clock standing at `now`.
    #[must_use]
    pub fn new(now: DateTime<Utc>) -> TestClock {
        let (state, _) = watch::channel(TestTime { now, sleepers: Vec::new(), longest: TimeDelta::zero(), sleeps: 0 });
        TestClock { state }
    }

    /// Sets the time, forward or back (a step of the system clock); sleepers whose deadline it reaches wake. A step
    /// back wakes no one: a sleep here waits for its deadline on this clock, where the [`SystemClock`]'s sleep is a
    /// duration that ends whatever the wall clock does.
    pub fn set(&self, now: DateTime<Utc>) {
        self.state.send_modify(|s| s.now = now);
    }

    /// Moves the time forward by `by`.
    pub fn advance(&self, by: TimeDelta) {
        self.state.send_modify(|s| s.now += by);
    }

    /// The longest single sleep asked for so far: from the time when it was asked to its deadline.
    #[must_use]
    pub fn longest_sleep(&self) -> TimeDelta {
        self.state.borrow().longest
    }

    /// How many sleeps have been asked for so far.
    #[must_use]
    pub fn sleeps(&self) -> u64 {
        self.state.borrow().sleeps
    }

    /// Waits (in real time) until something sleeps on this clock toward a deadline still ahead of its time, and
    /// returns the earliest such deadline. A sleeper whose deadline has been reached counts as awake even before it
    /// has run again, so after a move this waits for a sleep that started afterwards or that the move did not end.
    pub async fn sleeping(&self) -> DateTime<Utc> {
        let mut rx = self.state.subscribe();
        let state = rx.wait_for(|s| s.sleepers.iter().any(|d| *d > s.now)).await;
        // The sender is `self.state`, alive while `self` is borrowed, so the wait cannot fail.
        let state = state.expect("the clock outlives its own wait");
        state.sleepers.iter().copied().filter(|d| *d > state.now).min().unwrap_or(state.now)
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        self.state.borrow().now
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let mut rx = self.state.subscribe();
        let mut registered = false;
        self.state.send_modify(|s| {
            s.longest = s.longest.max(deadline - s.now);
            s.sleeps += 1;
            if deadline > s.now {
                s.sleepers.push(deadline);
                registered = true;
            }
        });
        // The sleep leaves the list when it ends or is dropped (a `select!` that took another branch).
        let sleeper = Sleeper { clock: self, deadline, registered };
        Box::pin(async move {
            let _sleeper = sleeper;
            let _ = rx.wait_for(|s| s.now >= deadline).await;
        })
    }
}

/// One sleep on a [`TestClock`], listed while it lasts.
struct Sleeper<'a> {
    clock: &'a TestClock,
    deadline: DateTime<Utc>,
    registered: bool,
}

impl Drop for Sleeper<'_> {
    fn drop(&mut self) {
        if self.registered {
            self.clock.state.send_modify(|s| {
                if let Some(i) = s.sleepers.iter().position(|d| *d == self.deadline) {
                    s.sleepers.swap_remove(i);
                }
            });
        }
    }
}
