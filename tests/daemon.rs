//! The daemon: a schedule a few seconds ahead against a real SMTP server, two daemons on one state folder, catch-up
//! at start, and SIGTERM during a delivery.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::smtp::SmtpServer;
use common::{stdout, Fixture};

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

#[test]
fn two_daemons_on_one_state_folder_publish_and_deliver_exactly_once() {
    let f = Fixture::new();
    schedule(&f, TWO_PERIODS, 0);
    let server = SmtpServer::start();
    let (a, b) = (daemon(&f, &server.url()), daemon(&f, &server.url()));
    wait_for("six messages", Duration::from_secs(60), || server.messages().len() >= 6);
    // Several more scheduled runs pass; each finds the period published.
    std::thread::sleep(Duration::from_secs(5));
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
    std::thread::sleep(Duration::from_secs(3));
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

#[test]
fn a_failed_run_is_recorded_and_the_daemon_keeps_running() {
    let f = Fixture::new();
    schedule(&f, EVERY_TWO_SECONDS, 0);
    let server = SmtpServer::start();
    let child = daemon_with(&f, &server.url(), &["--records", "missing.csv"]);
    wait_for("a failed run in the history", Duration::from_secs(60), || {
        stdout(&f.lofte(&["status"])).contains("failed")
    });
    std::thread::sleep(Duration::from_secs(1));
    let (code, log) = terminate(child);
    assert_eq!(code, Some(0), "the daemon was still running and stopped cleanly: {log}");
    assert!(log.contains("run failed") && log.contains("missing.csv"), "{log}");
    assert!(server.messages().is_empty(), "nothing built from missing data");
}
