//! The daemon: two daemons on one state folder against a real SMTP server, catch-up at start, SIGTERM during a
//! delivery (each a `lofte daemon` process on the system clock: what they test is the process), and a failed run
//! (in-process, on a test clock: what it tests is the schedule). A process test waits by polling for what it expects
//! to see, never for a fixed time; more schedule tests, all on the test clock, are in `tests/daemon_clock.rs`.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, TimeZone, Utc};
use common::smtp::SmtpServer;
use common::{stdout, Fixture};
use lofte::clock::TestClock;
use lofte::config::{Config, Env};
use lofte::daemon::Reload;
use lofte::pipeline::RecordsOverride;
use tracing::instrument::WithSubscriber;

/// Every two seconds, publish 2021-H1: the first run publishes, every later one finds it published.
const EVERY_TWO_SECONDS: &str = "[[schedule.runs]]\ncron = \"*/2 * * * * *\"\nperiod = \"2021-H1\"\n";
/// Two periods on one schedule: H1 and the whole year.
const TWO_PERIODS: &str = "[[schedule.runs]]\ncron = \"*/2 * * * * *\"\nperiod = \"2021-H1\"\n\n[[schedule.runs]]\ncron = \"*/3 * * * * *\"\nperiod = \"2021\"\n";

fn schedule(f: &Fixture, runs: &str, catch_up_days: u32) {
    let text = f.read("config/lofte.toml");
    let start = text.find("[[schedule.runs]]").unwrap();
    let text =
        format!("{}{runs}", &text[..start]).replace("catch_up_days = 30", &format!("catch_up_days = {catch_up_days}"));
    std::fs::write(f.config(), text).unwrap();
}

fn daemon(f: &Fixture, smtp_url: &str) -> Child {
    daemon_with(f, smtp_url, &[])
}

fn daemon_with(f: &Fixture, smtp_url: &str, extra: &[&str]) -> Child {
    let config = f.config();
    let mut args = vec!["--config", config.to_str().unwrap(), "-v"];
    args.extend_from_slice(extra);
    args.push("daemon");
    Command::new(env!("CARGO_BIN_EXE_lofte"))
        .current_dir(f.dir.path())
        .args(&args)
        .env("LOFTE_SMTP_URL", smtp_url)
        .env_remove("LOFTE_FAULT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn terminate(child: Child) -> (Option<i32>, String) {
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// How many runs in the history ended with `outcome`.
fn count(state_dir: &Path, outcome: &str) -> usize {
    lofte::state::last_runs(state_dir, 1000).unwrap_or_default().iter().filter(|r| r.outcome.key() == outcome).count()
}

#[test]
fn two_daemons_on_one_state_folder_publish_and_deliver_exactly_once() {
    let f = Fixture::new();
    schedule(&f, TWO_PERIODS, 0);
    let server = SmtpServer::start();
    let (a, b) = (daemon(&f, &server.url()), daemon(&f, &server.url()));
    wait_for("six messages", Duration::from_secs(60), || server.messages().len() >= 6);
    // Several more scheduled runs pass; each finds the period published.
    let skipped = count(&f.path("state"), "skipped");
    wait_for("more scheduled runs", Duration::from_secs(60), || count(&f.path("state"), "skipped") >= skipped + 4);
    let (code_a, log_a) = terminate(a);
    let (code_b, log_b) = terminate(b);
    assert_eq!((code_a, code_b), (Some(0), Some(0)), "{log_a}\n{log_b}");
    assert_eq!(server.messages().len(), 6, "each period published and delivered exactly once");
    for address in [
        "lokalpolischef.vastervik@polisen.example.se",
        "ks.ordforande@oskarshamn.example.se",
        "medborgarloften@lista.oskarshamn.example.se",
    ] {
        assert_eq!(server.count_for(address), 2, "{address}: one message per period");
    }
    let list = stdout(&f.lofte(&["archive", "list"]));
    assert_eq!(list.lines().count(), 2, "{list}");
    let status = stdout(&f.lofte(&["status"]));
    assert!(status.contains("published") && status.contains("skipped"), "{status}");
    assert!(status.contains("pending deliveries: 0"), "{status}");
}

#[test]
fn sigterm_during_a_delivery_finishes_the_run_and_exits_0() {
    let f = Fixture::new();
    schedule(&f, EVERY_TWO_SECONDS, 0);
    // Each recipient takes a second and a half: the signal arrives while the run is delivering.
    let server = SmtpServer::with_policy(0, |_, _| "delay:1500:250 2.1.5 ok".into());
    let child = daemon(&f, &server.url());
    wait_for("the run to start delivering", Duration::from_secs(60), || {
        f.path("archive/oskarshamn-2021/2021-H1/manifest.json").exists()
    });
    let started = Instant::now();
    let (code, log) = terminate(child);
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("finishing the run in hand"), "{log}");
    assert!(started.elapsed() < Duration::from_secs(30), "the stop is bounded");
    assert_eq!(server.messages().len(), 3, "the run in hand completed: {log}");
    let deliveries = stdout(&f.lofte(&["deliver"]));
    assert_eq!(deliveries.lines().filter(|l| l.contains(" sent ")).count(), 3, "{deliveries}");
}

#[test]
fn a_missed_run_is_caught_up_at_start_inside_the_window_and_only_reported_outside() {
    // A daily run at 00:00:01 was due within the last day.
    let daily = "[[schedule.runs]]\ncron = \"1 0 0 * * *\"\nperiod = \"2021-H1\"\n";

    let f = Fixture::new();
    schedule(&f, daily, 0);
    let check = stdout(&f.lofte(&["check"]));
    assert!(check.contains("missed: 2021-H1 was due"), "check shows a run older than the window: {check}");
    let server = SmtpServer::start();
    let child = daemon(&f, &server.url());
    wait_for("the missed run in the history", Duration::from_secs(60), || count(&f.path("state"), "missed") >= 1);
    let (code, log) = terminate(child);
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("not sent"), "{log}");
    assert!(!f.path("archive/oskarshamn-2021/2021-H1").exists(), "never sent by surprise");
    assert!(stdout(&f.lofte(&["status"])).contains("missed"));

    let f = Fixture::new();
    schedule(&f, daily, 30);
    let child = daemon(&f, &server.url());
    wait_for("the catch-up run", Duration::from_secs(60), || server.messages().len() >= 3);
    let (code, log) = terminate(child);
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("catching up a missed run"), "{log}");
    assert!(f.path("archive/oskarshamn-2021/2021-H1/manifest.json").exists());
}

#[test]
fn a_manual_publish_waits_its_turn_behind_the_lock() {
    let f = Fixture::new();
    let lock = lofte::state::RunLock::acquire(&f.path("state"), "publish").unwrap();
    let out = f.lofte(&["publish", "--period", "2021-H1"]);
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(err.contains("another lofte (process") && err.contains("holds the publish lock"), "{err}");
    drop(lock);
    assert_eq!(f.lofte(&["publish", "--period", "2021-H1"]).status.code(), Some(0));
}

/// The log lines the daemon writes, as text.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_run_is_recorded_and_the_daemon_keeps_running() {
    let f = Fixture::new();
    schedule(&f, EVERY_TWO_SECONDS, 0);
    let server = &SmtpServer::start();
    let config = &Config::load(&f.config(), &Env { smtp_url: Some(server.url()) }).unwrap();
    let records = RecordsOverride(vec![f.path("missing.csv")]);
    let clock = &TestClock::new(Utc.with_ymd_and_hms(2021, 7, 1, 7, 0, 0).unwrap());
    let log = Log::default();
    // The daemon's own log lines, whichever thread polls it.
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async {
        let _ = stopped.await;
    };
    // Boxed: a publication makes the daemon's future large.
    let daemon =
        Box::pin(lofte::daemon::run(config, &records, clock, Reload::never(), shutdown).with_subscriber(subscriber));
    let (f, state) = (&f, &config.state_dir);
    let driver = async move {
        within(clock.sleeping()).await;
        // The next run (every two seconds) fails; so does the one after it: the daemon is still running.
        for failures in 1..=2 {
            clock.advance(TimeDelta::seconds(2));
            within(async {
                while count(state, "failed") < failures {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
            .await;
        }
        assert!(stdout(&f.lofte(&["status"])).contains("failed"));
        within(clock.sleeping()).await;
        stop.send(()).unwrap();
    };
    let (result, ()) = within(async { tokio::join!(daemon, driver) }).await;
    let log = log.text();
    assert!(result.is_ok(), "the daemon was still running and stopped cleanly: {log}");
    assert!(log.contains("run failed") && log.contains("missing.csv"), "{log}");
    assert!(server.messages().is_empty(), "nothing built from missing data");
}

/// Fails the test if `future` takes more than a minute of real time.
async fn within<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), future).await.expect("the daemon did not get there within a minute")
}
