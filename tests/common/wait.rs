//! Waiting in tests of the daemon on a test clock: real time, bounded, so a hung daemon fails the test.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Europe::Stockholm;
use lofte::clock::TestClock;
use lofte::config::Config;
use lofte::daemon::{self, Reload};
use lofte::pipeline::RecordsOverride;
use tokio::sync::oneshot;

/// How long (real time) a test waits for the daemon before it fails: a publication takes seconds in a debug build.
pub const LIMIT: Duration = Duration::from_secs(120);

/// A wall-clock time in Stockholm, as UTC.
pub fn stockholm(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Stockholm.with_ymd_and_hms(y, mo, d, h, mi, s).single().unwrap().with_timezone(&Utc)
}

/// Fails the test if `future` takes longer than [`LIMIT`].
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, future).await.unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Polls `done` until it holds, failing the test after [`LIMIT`].
pub async fn until(what: &str, mut done: impl FnMut() -> bool) {
    within(what, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

/// Runs the daemon on `clock` next to `driver`, which gets the sender that stops it and may use the reload request;
/// once both have finished, returns the daemon's result and the driver's.
pub async fn with_reload<T, D: Future<Output = T>>(
    config: &Config,
    clock: &TestClock,
    reload: Reload<'_>,
    driver: impl FnOnce(oneshot::Sender<()>) -> D,
) -> (Result<(), daemon::DaemonError>, T) {
    let (stop, stopped) = oneshot::channel();
    let records = RecordsOverride::default();
    let shutdown = async {
        let _ = stopped.await;
    };
    // Boxed: a publication makes the daemon's future large.
    let daemon = Box::pin(daemon::run(config, &records, clock, reload, shutdown));
    within("the daemon to stop", async { tokio::join!(daemon, driver(stop)) }).await
}
