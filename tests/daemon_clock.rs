//! The daemon in-process on a test clock: the tests move the time instead of waiting for it, so a run on 1 July,
//! a daylight-saving change and a schedule months ahead take seconds, and "nothing was sent at 08:59:59" is exact.
//!
//! Each test runs `lofte::daemon::run` next to a driver (`tokio::join!`): the driver waits until the daemon sleeps on
//! the [`TestClock`], moves the clock, and watches the SMTP test server or the run history. Publishing runs polars on
//! `spawn_blocking`, hence the multi-thread runtime.

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use common::smtp::SmtpServer;
use common::wait::{stockholm, until, with_reload, within};
use common::Fixture;
use lofte::clock::{Clock, TestClock};
use lofte::config::{Config, Env, ScheduledRun};
use lofte::daemon::{self, Reload};
use lofte::state::{last_runs, RunRecord};
use tokio::sync::{oneshot, Notify};

/// The recipients in config/lofte.toml, one of each role.
const RECIPIENTS: [&str; 3] = [
    "lokalpolischef.vastervik@polisen.example.se",
    "ks.ordforande@oskarshamn.example.se",
    "medborgarloften@lista.oskarshamn.example.se",
];

/// The fixture's configuration, mailing through `smtp_url` (or writing .eml files to the outbox without one).
fn load(f: &Fixture, smtp_url: Option<&str>) -> Config {
    Config::load(&f.config(), &Env { smtp_url: smtp_url.map(str::to_string) }).unwrap()
}

/// The run history, oldest first.
fn runs(config: &Config) -> Vec<RunRecord> {
    let mut runs = last_runs(&config.state_dir, 1000).unwrap();
    runs.reverse();
    runs
}

/// Waits until the daemon sleeps toward a deadline after the clock's time, i.e. it has done what the last move made
/// due and planned again; returns that deadline.
async fn asleep(clock: &TestClock) -> DateTime<Utc> {
    within("the daemon to sleep", clock.sleeping()).await
}

/// Runs the daemon on `clock` next to `driver`, which gets the sender that stops it; once both have finished,
/// returns the daemon's result and the driver's.
async fn with_daemon<T, D: Future<Output = T>>(
    config: &Config,
    clock: &TestClock,
    driver: impl FnOnce(oneshot::Sender<()>) -> D,
) -> (Result<(), daemon::DaemonError>, T) {
    with_reload(config, clock, Reload::never(), driver).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_of_july_run_sends_at_nine_and_not_a_second_before() {
    let f = Fixture::new();
    let server = &SmtpServer::start();
    // The shipped schedule: 09:00 on 1 July publishes {year}-H1, 09:00 on 15 January {year-1}.
    let config = &load(&f, Some(&server.url()));
    assert!(config.schedule.runs.iter().any(|r| r.cron == "0 0 9 1 7 *" && r.period == "{year}-H1"));
    let clock = &TestClock::new(stockholm(2021, 6, 30, 12, 0, 0));

    let (result, ()) = with_daemon(config, clock, |stop| async move {
        asleep(clock).await;
        clock.set(stockholm(2021, 7, 1, 8, 59, 59));
        assert_eq!(asleep(clock).await, stockholm(2021, 7, 1, 9, 0, 0), "it sleeps until the run");
        assert!(server.messages().is_empty(), "nothing is sent before 09:00");
        assert!(runs(config).is_empty(), "no run before 09:00: {:?}", runs(config));

        clock.set(stockholm(2021, 7, 1, 9, 0, 1));
        until("three messages", || server.messages().len() >= 3).await;
        asleep(clock).await;
        stop.send(()).unwrap();
    })
    .await;

    assert!(result.is_ok(), "{result:?}");
    assert_eq!(server.messages().len(), 3);
    for address in RECIPIENTS {
        assert_eq!(server.count_for(address), 1, "{address}");
    }
    let runs = runs(config);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!((runs[0].period.as_str(), runs[0].outcome.key()), ("2021-H1", "published"), "{runs:?}");
    assert_eq!(runs[0].started_at, "2021-07-01T07:00:01+00:00", "the run starts on the daemon's clock");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_daily_run_stays_at_nine_across_the_spring_daylight_saving_change() {
    let f = Fixture::new();
    let mut loaded = load(&f, None);
    loaded.schedule.runs = vec![ScheduledRun { cron: "0 0 9 * * *".into(), period: "2021-H1".into() }];
    // The run of the 26th is recorded as missed at start rather than published: the test counts scheduled runs.
    loaded.schedule.catch_up_days = 0;
    let config = &loaded;
    // Saturday 27 March 2021 is on winter time (UTC+1); the clocks go forward in the night to Sunday the 28th.
    let clock = &TestClock::new(stockholm(2021, 3, 26, 12, 0, 0));
    let utc = |d: u32, h: u32, mi: u32, s: u32| Utc.with_ymd_and_hms(2021, 3, d, h, mi, s).unwrap();

    let (result, ()) = with_daemon(config, clock, |stop| async move {
        asleep(clock).await;
        let outcomes = || runs(config).iter().map(|r| r.outcome.key()).collect::<Vec<_>>();
        assert_eq!(outcomes(), ["missed"]);

        clock.set(utc(27, 7, 59, 59));
        assert_eq!(asleep(clock).await, utc(27, 8, 0, 0), "09:00 in winter is 08:00 UTC");
        assert_eq!(outcomes(), ["missed"]);
        clock.set(utc(27, 8, 0, 0));
        until("the run on the 27th", || outcomes().len() == 2).await;

        clock.set(utc(28, 6, 59, 59));
        assert_eq!(asleep(clock).await, utc(28, 7, 0, 0), "09:00 in summer is 07:00 UTC");
        assert_eq!(outcomes().len(), 2, "no run before 09:00 on the 28th");
        clock.set(utc(28, 7, 0, 0));
        until("the run on the 28th", || outcomes().len() == 3).await;

        // 08:00 UTC, the winter time of the run, is 10:00 now: nothing runs then.
        clock.set(utc(28, 8, 0, 0));
        assert_eq!(asleep(clock).await, utc(28, 9, 0, 0), "the next run is a day away; the sleep is capped");
        assert_eq!(outcomes().len(), 3);
        stop.send(()).unwrap();
    })
    .await;

    assert!(result.is_ok(), "{result:?}");
    let runs: Vec<(String, String)> =
        runs(config).into_iter().map(|r| (r.started_at, r.outcome.key().to_string())).collect();
    assert_eq!(
        runs[1..],
        [
            ("2021-03-27T08:00:00+00:00".to_string(), "published".to_string()),
            ("2021-03-28T07:00:00+00:00".to_string(), "skipped".to_string()),
        ],
        "09:00 in Stockholm on both days"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_never_sleeps_more_than_an_hour_even_with_the_next_run_months_away() {
    let f = Fixture::new();
    let config = &load(&f, None);
    // The shipped schedule's next run is 1 July, five months on.
    let clock = &TestClock::new(stockholm(2021, 1, 20, 12, 0, 0));

    let (result, ()) = with_daemon(config, clock, |stop| async move {
        let hour = TimeDelta::hours(1);
        assert_eq!(asleep(clock).await, clock.now() + hour);
        // A wake-up that finds nothing due plans again from the clock, an hour at most.
        clock.advance(TimeDelta::minutes(30));
        assert_eq!(asleep(clock).await, stockholm(2021, 1, 20, 13, 0, 0), "half an hour on, the sleep goes on");
        clock.set(stockholm(2021, 4, 1, 0, 0, 0));
        assert_eq!(asleep(clock).await, clock.now() + hour, "after a clock step it plans again from the clock");
        clock.advance(hour);
        assert_eq!(asleep(clock).await, clock.now() + hour);
        stop.send(()).unwrap();
    })
    .await;

    assert!(result.is_ok(), "{result:?}");
    assert!(clock.sleeps() >= 3, "{}", clock.sleeps());
    assert_eq!(clock.longest_sleep(), TimeDelta::hours(1), "the longest sleep is the one-hour cap");
    assert!(runs(config).is_empty(), "nothing was due");
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_while_idle_returns_at_once() {
    let f = Fixture::new();
    let config = &load(&f, None);
    let clock = &TestClock::new(stockholm(2021, 1, 20, 12, 0, 0));

    let (result, asked) = with_daemon(config, clock, |stop| async move {
        asleep(clock).await;
        let asked = Instant::now();
        stop.send(()).unwrap();
        asked
    })
    .await;

    let took = asked.elapsed();
    assert!(result.is_ok(), "{result:?}");
    assert!(took < Duration::from_secs(2), "the daemon took {took:?} to stop");
    assert_eq!(clock.now(), stockholm(2021, 1, 20, 12, 0, 0), "no test time passed");
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_jump_of_days_one_run_catches_up_and_a_step_back_repeats_nothing() {
    let f = Fixture::new();
    let mut loaded = load(&f, None);
    loaded.schedule.runs = vec![ScheduledRun { cron: "0 0 9 * * *".into(), period: "2021-H1".into() }];
    loaded.schedule.catch_up_days = 0;
    let config = &loaded;
    let clock = &TestClock::new(stockholm(2021, 3, 1, 12, 0, 0));
    let scheduled = || runs(config).into_iter().filter(|r| r.outcome.key() != "missed").count();
    // A reload request wakes the daemon whatever the clock says, so the test can see how it plans after a step back.
    let requested = &Notify::new();
    let load = || Ok(config.clone());
    let reload = Reload { requested, load: &load };

    let (result, ()) = with_reload(config, clock, reload, |stop| async move {
        asleep(clock).await;
        // A machine suspended for three days (or a clock set forward): the runs of the 2nd, 3rd and 4th are all
        // past; one run publishes, not three.
        clock.set(stockholm(2021, 3, 4, 12, 0, 0));
        until("the run after the jump", || scheduled() == 1).await;
        asleep(clock).await;
        assert_eq!(scheduled(), 1, "{:?}", runs(config));

        // The clock is set back to before that run's time: the daemon plans on from the moment it has handled, so
        // 09:00 of the 4th is not run again (it sleeps its hour, not until 09:00).
        clock.set(stockholm(2021, 3, 4, 8, 30, 0));
        let sleeps = clock.sleeps();
        requested.notify_one();
        until("the daemon to plan again", || clock.sleeps() > sleeps).await;
        assert_eq!(asleep(clock).await, stockholm(2021, 3, 4, 9, 30, 0));
        clock.set(stockholm(2021, 3, 4, 9, 30, 0));
        assert_eq!(asleep(clock).await, stockholm(2021, 3, 4, 10, 30, 0));
        assert_eq!(scheduled(), 1, "{:?}", runs(config));

        clock.set(stockholm(2021, 3, 5, 9, 0, 0));
        until("the run of the 5th", || scheduled() == 2).await;
        stop.send(()).unwrap();
    })
    .await;

    assert!(result.is_ok(), "{result:?}");
    let runs: Vec<(String, String)> = runs(config)
        .into_iter()
        .filter(|r| r.outcome.key() != "missed")
        .map(|r| (r.started_at, r.outcome.key().to_string()))
        .collect();
    assert_eq!(
        runs,
        [
            ("2021-03-04T11:00:00+00:00".to_string(), "published".to_string()),
            ("2021-03-05T08:00:00+00:00".to_string(), "skipped".to_string()),
        ]
    );
}
