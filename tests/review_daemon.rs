//! The daemon under review (SPEC §11): a scheduled run makes a draft that only the reviewers get, and a draft that
//! waits `remind_after_days` brings each reviewer one reminder, once. In-process on a test clock, as in
//! `tests/daemon_clock.rs`: the test moves the time instead of waiting for it.

mod common;

use chrono::TimeDelta;
use common::smtp::SmtpServer;
use common::wait::{stockholm, until, with_reload, within};
use common::Fixture;
use lofte::clock::TestClock;
use lofte::config::{Config, Env};
use lofte::daemon::Reload;
use tokio::sync::oneshot;

const POLICE_CHIEF: &str = "lokalpolischef.vastervik@polisen.example.se";
const BOARD_CHAIR: &str = "ks.ordforande@oskarshamn.example.se";
const PUBLIC_LIST: &str = "medborgarloften@lista.oskarshamn.example.se";

/// The shipped configuration (a [`Fixture::reviewed`]) loaded with the test's SMTP server: review is on, reminders
/// after 7 days, and the sample has no example figure (an example is never approved, but a draft may carry it; the
/// sample counting its baseline from records keeps this test about the schedule).
fn reviewed(f: &Fixture, smtp_url: &str) -> Config {
    let config = Config::load(&f.config(), &Env { smtp_url: Some(smtp_url.to_string()) }).unwrap();
    assert!(config.review.required, "the shipped configuration has review on");
    assert_eq!(config.review.remind_after_days, 7);
    config
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scheduled_draft_reaches_the_reviewers_only_and_they_are_reminded_once() {
    let f = Fixture::reviewed();
    let server = &SmtpServer::start();
    let config = &reviewed(&f, &server.url());
    let clock = &TestClock::new(stockholm(2021, 6, 30, 12, 0, 0));
    let driver = |stop: oneshot::Sender<()>| async move {
        within("the daemon to sleep", clock.sleeping()).await;
        // 09:00 on 1 July: the scheduled run drafts 2021-H1.
        clock.set(stockholm(2021, 7, 1, 9, 0, 1));
        until("the draft to reach both reviewers", || server.messages().len() >= 2).await;
        let woke = within("the daemon to sleep", clock.sleeping()).await;
        assert_eq!((server.count_for(POLICE_CHIEF), server.count_for(BOARD_CHAIR)), (1, 1));
        assert_eq!(server.count_for(PUBLIC_LIST), 0, "a draft never reaches the public list");
        assert!(!f.path("site/oskarshamn-2021/2021-H1").exists(), "the site does not show a draft");
        // The reminder is due seven days after the draft; the daemon wakes for it, not later.
        let due = stockholm(2021, 7, 8, 9, 0, 1);
        assert!(woke <= due, "the daemon sleeps until {woke}, past the reminder at {due}");
        clock.set(due - TimeDelta::seconds(1));
        within("the daemon to sleep", clock.sleeping()).await;
        assert_eq!(server.messages().len(), 2, "no reminder before seven days have passed");
        clock.set(due);
        until("a reminder to each reviewer", || server.messages().len() >= 4).await;
        within("the daemon to sleep", clock.sleeping()).await;
        assert_eq!((server.count_for(POLICE_CHIEF), server.count_for(BOARD_CHAIR)), (2, 2));
        // A week later still: once per draft.
        clock.advance(TimeDelta::days(8));
        within("the daemon to sleep", clock.sleeping()).await;
        assert_eq!(server.messages().len(), 4, "a draft's reviewers are reminded once");
        assert_eq!(server.count_for(PUBLIC_LIST), 0);
        stop.send(()).unwrap();
    };
    let (result, ()) = with_reload(config, clock, Reload::never(), driver).await;
    assert!(result.is_ok(), "{result:?}");
    let subjects: Vec<String> = server
        .messages()
        .iter()
        .map(|m| {
            let parsed = mail_parser::MessageParser::default().parse(&m.data).unwrap();
            parsed.subject().unwrap_or_default().to_string()
        })
        .collect();
    let reminders = subjects.iter().filter(|s| s.starts_with("Påminnelse")).count();
    assert_eq!(reminders, 2, "{subjects:?}");
    assert_eq!(subjects.iter().filter(|s| s.starts_with("Utkast för granskning")).count(), 2, "{subjects:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scheduled_run_over_a_waiting_draft_does_nothing_and_does_not_retry() {
    let f = Fixture::reviewed();
    let server = &SmtpServer::start();
    let config = &reviewed(&f, &server.url());
    // A coordinator drafts 2021-H1 by hand at 08:00 on 1 July, before the scheduled run.
    let drafted = f.lofte_env(
        &["publish", "--period", "2021-H1"],
        &[("LOFTE_NOW", "2021-07-01T08:00:00+02:00"), ("LOFTE_SMTP_URL", &server.url())],
    );
    assert_eq!(drafted.status.code(), Some(0), "{}", common::stderr(&drafted));
    assert_eq!(server.messages().len(), 2, "the draft went to the reviewers");
    let clock = &TestClock::new(stockholm(2021, 7, 1, 8, 30, 0));
    let driver = |stop: oneshot::Sender<()>| async move {
        within("the daemon to sleep", clock.sleeping()).await;
        clock.set(stockholm(2021, 7, 1, 9, 0, 1));
        until("the scheduled run to be recorded", || {
            lofte::state::last_runs(&config.state_dir, 10).is_ok_and(|runs| !runs.is_empty())
        })
        .await;
        let next = within("the daemon to sleep", clock.sleeping()).await;
        let runs = lofte::state::last_runs(&config.state_dir, 10).unwrap();
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert_eq!(runs[0].outcome.key(), "skipped", "{runs:?}");
        assert!(runs[0].message.contains("waiting for review"), "{runs:?}");
        // No retry is planned: the daemon sleeps its hour, and an hour on there is still one run.
        clock.set(next);
        within("the daemon to sleep", clock.sleeping()).await;
        assert_eq!(lofte::state::last_runs(&config.state_dir, 10).unwrap().len(), 1);
        assert_eq!(server.messages().len(), 2, "nothing more was sent");
        stop.send(()).unwrap();
    };
    let (result, ()) = with_reload(config, clock, Reload::never(), driver).await;
    assert!(result.is_ok(), "{result:?}");
}
