//! Issue 13 ("Security and reliability"), the delivery, site and daemon side: each test below is one item of that
//! issue that failed before the fix and passes now. Two `deliver --retry` at once, a lost or damaged delivery
//! database, a crash between sending and recording, the leftovers of an interrupted site switch, a crash before
//! the switch, a site made only from verified entries, deliveries recorded before the site, the systemd unit's
//! writable paths and reload, a busy scheduled run that is tried again, and SIGHUP.

mod common;

use std::io::Read as _;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::smtp::SmtpServer;
use common::{stderr, stdout, Fixture};

const AT: &str = "2021-07-01T07:00:00Z";
const RECIPIENTS: [&str; 3] = [
    "lokalpolischef.vastervik@polisen.example.se",
    "ks.ordforande@oskarshamn.example.se",
    "medborgarloften@lista.oskarshamn.example.se",
];
const MANIFEST: &str = "archive/oskarshamn-2021/2021-H1/manifest.json";

/// `lofte --config <fixture> ARGS` in the fixture folder, not yet started, with only `env` from the environment.
fn command(f: &Fixture, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lofte"));
    command
        .current_dir(f.dir.path())
        .arg("--config")
        .arg(f.config())
        .args(args)
        .env_remove("LOFTE_SMTP_URL")
        .env_remove("LOFTE_SMTP_PASSWORD")
        .env_remove("LOFTE_FAULT")
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn publish_h1(f: &Fixture, env: &[(&str, &str)]) -> Output {
    f.lofte_env(&["publish", "--period", "2021-H1", "--generated-at", AT], env)
}

fn deliveries(f: &Fixture) -> serde_json::Value {
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(f.path(MANIFEST)).unwrap()).unwrap();
    manifest["deliveries"].clone()
}

fn assert_all_sent(f: &Fixture) {
    let d = deliveries(f);
    let map = d.as_object().unwrap_or_else(|| panic!("no deliveries in the manifest: {d}"));
    assert_eq!(map.len(), 3, "{d}");
    assert!(map.values().all(|s| s == "sent"), "{d}");
}

fn assert_one_each(server: &SmtpServer) {
    for address in RECIPIENTS {
        assert_eq!(server.count_for(address), 1, "{address} must have exactly one message");
    }
    assert_eq!(server.messages().len(), 3);
}

fn remove_db(f: &Fixture) {
    for suffix in ["", "-wal", "-shm"] {
        let path = f.path(&format!("state/lofte.db{suffix}"));
        if path.exists() {
            std::fs::remove_file(path).unwrap();
        }
    }
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

// Two `deliver --retry` at once on one state folder.

#[test]
fn two_concurrent_deliver_retries_send_each_pending_message_once() {
    let f = Fixture::new();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = publish_h1(&f, &[("LOFTE_SMTP_URL", &format!("smtp://127.0.0.1:{closed}"))]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("0 sent, 0 failed, 3 pending"), "{}", stdout(&out));

    // A slow server: both processes are sending while the other looks at the same rows.
    let server = SmtpServer::with_policy(0, |_, _| "delay:400:250 2.1.5 ok".into());
    let url = server.url();
    let env = [("LOFTE_SMTP_URL", url.as_str())];
    let a = command(&f, &["deliver", "--retry"], &env).spawn().unwrap();
    let b = command(&f, &["deliver", "--retry"], &env).spawn().unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    // A row the other process is still sending is in hand, not undone: both succeed.
    for run in [&a, &b] {
        assert_eq!(run.status.code(), Some(0), "{:?}: {}{}", run.status, stdout(run), stderr(run));
        assert!(stdout(run).contains("0 failed"), "{}{}", stdout(run), stderr(run));
    }
    assert_one_each(&server);
    assert_all_sent(&f);
    let after = f.lofte_env(&["deliver", "--retry"], &env);
    assert_eq!(after.status.code(), Some(0), "{}{}", stdout(&after), stderr(&after));
    assert_eq!(server.messages().len(), 3, "nothing left to send");
}

// A lost delivery database: the manifests say what went out.

#[test]
fn a_lost_delivery_database_sends_nothing_again_and_is_rebuilt_from_the_manifests() {
    let f = Fixture::new();
    let server = SmtpServer::start();
    let url = server.url();
    let env = [("LOFTE_SMTP_URL", url.as_str())];
    let out = publish_h1(&f, &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_one_each(&server);

    remove_db(&f);
    let retry = f.lofte_env(&["deliver", "--retry"], &env);
    assert_eq!(retry.status.code(), Some(0), "{}{}", stdout(&retry), stderr(&retry));
    assert_eq!(server.messages().len(), 3, "nothing re-sent: the manifests record \"sent\"");

    let rebuild = f.lofte_env(&["deliver", "--rebuild"], &env);
    assert_eq!(rebuild.status.code(), Some(0), "{}{}", stdout(&rebuild), stderr(&rebuild));
    assert!(stdout(&rebuild).contains("rebuilt from the archive's manifests"), "{}", stdout(&rebuild));
    assert_eq!(server.messages().len(), 3, "nothing re-sent after the rebuild");
    let moved_aside = std::fs::read_dir(f.path("state"))
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with("lofte.db.replaced-"));
    assert!(moved_aside, "the old database is moved aside, never deleted");
    assert_all_sent(&f);
}

// A damaged delivery database: a clear error that names the way out, and the way out works.

#[test]
fn a_damaged_delivery_database_points_to_rebuild_which_sends_nothing_again() {
    let f = Fixture::new();
    let server = SmtpServer::start();
    let url = server.url();
    let env = [("LOFTE_SMTP_URL", url.as_str())];
    let out = publish_h1(&f, &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(server.messages().len(), 3);

    remove_db(&f);
    std::fs::write(f.path("state/lofte.db"), b"this is not an SQLite database, just garbage bytes\x00\xff".repeat(100))
        .unwrap();
    let retry = f.lofte_env(&["deliver", "--retry"], &env);
    assert_ne!(retry.status.code(), Some(0), "{}", stdout(&retry));
    assert!(stderr(&retry).contains("lofte deliver --rebuild"), "{}", stderr(&retry));

    let rebuild = f.lofte_env(&["deliver", "--rebuild"], &env);
    assert_eq!(rebuild.status.code(), Some(0), "{}{}", stdout(&rebuild), stderr(&rebuild));
    assert_eq!(server.messages().len(), 3, "nothing re-sent");
    assert_all_sent(&f);
}

// A crash between writing a message and recording it, with the file outbox.

#[test]
fn a_crash_after_send_with_the_file_outbox_ends_with_three_messages_all_recorded_sent() {
    let f = Fixture::new();
    let crash = publish_h1(&f, &[("LOFTE_FAULT", "after-send")]);
    assert_eq!(crash.status.signal(), Some(6), "killed by SIGABRT: {:?} {}", crash.status, stderr(&crash));
    assert!(stderr(&crash).contains("aborting at after-send"), "{}", stderr(&crash));
    assert_eq!(eml_files(&f.path("outbox")).len(), 1, "aborted after the first message file");

    let retry = f.lofte(&["deliver", "--retry"]);
    assert_eq!(retry.status.code(), Some(0), "{}{}", stdout(&retry), stderr(&retry));
    assert_eq!(eml_files(&f.path("outbox")).len(), 3, "one file per recipient: {:?}", eml_files(&f.path("outbox")));
    assert_all_sent(&f);
    let verify = f.lofte(&["archive", "verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}{}", stdout(&verify), stderr(&verify));
}

fn eml_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

// The site: leftovers of an interrupted switch, a crash before the switch, only verified entries.

#[test]
fn leftovers_of_an_interrupted_site_switch_are_removed_and_the_site_is_a_link() {
    let f = Fixture::new();
    // site.old and site.tmp as an earlier lofte left them (whole sites); the operator's own folder beside them
    // is not lofte's to remove.
    for leftover in ["site.old", "site.tmp"] {
        std::fs::create_dir_all(f.path(leftover)).unwrap();
        for file in ["index.html", "style.css", "feed.xml", "results.csv"] {
            std::fs::write(f.path(&format!("{leftover}/{file}")), "from an earlier lofte").unwrap();
        }
    }
    std::fs::create_dir_all(f.path("site.backup")).unwrap();
    std::fs::write(f.path("site.backup/notes.txt"), "the operator's").unwrap();
    std::fs::create_dir_all(f.path("site.versions/99")).unwrap();
    std::fs::write(f.path("site.versions/99/index.html"), "half written").unwrap();

    let out = publish_h1(&f, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let site = f.path("site");
    assert!(std::fs::symlink_metadata(&site).unwrap().file_type().is_symlink(), "the site is a link to a version");
    assert!(site.join("index.html").is_file());
    for leftover in ["site.old", "site.tmp", "site.versions/99"] {
        assert!(std::fs::symlink_metadata(f.path(leftover)).is_err(), "{leftover} is still there");
    }
    assert_eq!(std::fs::read_to_string(f.path("site.backup/notes.txt")).unwrap(), "the operator's");
}

#[test]
fn a_crash_before_the_site_switch_leaves_the_old_site_whole() {
    let f = Fixture::new();
    let out = publish_h1(&f, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let before = f.read("site/index.html");
    let new_page = "site/oskarshamn-2021/2021/index.html";

    let crash = f.lofte_env(
        &["publish", "--period", "2021", "--generated-at", "2022-01-15T08:00:00Z"],
        &[("LOFTE_FAULT", "site-before-switch")],
    );
    assert_eq!(crash.status.signal(), Some(6), "killed by SIGABRT: {:?} {}", crash.status, stderr(&crash));
    assert!(stderr(&crash).contains("aborting at site-before-switch"), "{}", stderr(&crash));
    assert_eq!(f.read("site/index.html"), before, "the old site is intact");
    assert!(!f.path(new_page).exists(), "no half-written new site behind the link");
    assert!(f.path("site/oskarshamn-2021/2021-H1/index.html").is_file());

    let site = f.lofte(&["archive", "site"]);
    assert_eq!(site.status.code(), Some(0), "{}{}", stdout(&site), stderr(&site));
    assert!(f.path(new_page).is_file(), "the new site has the new period");
    assert!(f.read("site/oskarshamn-2021/index.html").contains("2021/index.html"), "the document links it");
}

#[test]
fn the_site_leaves_out_an_entry_whose_file_changed_and_names_it() {
    let f = Fixture::new();
    let out = publish_h1(&f, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(f.path("site/oskarshamn-2021/2021-H1/index.html").is_file());
    let results = f.path("archive/oskarshamn-2021/2021-H1/results.json");
    let mut bytes = std::fs::read(&results).unwrap();
    bytes.push(b' ');
    std::fs::write(&results, bytes).unwrap();

    let site = f.lofte(&["archive", "site"]);
    assert_eq!(site.status.code(), Some(1), "{}{}", stdout(&site), stderr(&site));
    let err = stderr(&site);
    assert!(err.contains("oskarshamn-2021/2021-H1/results.json") && err.contains("changed"), "{err}");
    assert!(!f.path("site/oskarshamn-2021/2021-H1/index.html").exists(), "a changed entry is not public");
    assert!(!f.path("site/oskarshamn-2021/2021-H1/results.json").exists(), "a changed file is not public");
}

#[test]
fn deliveries_are_recorded_and_sent_before_a_site_that_cannot_be_written() {
    let f = Fixture::new();
    f.edit("config/lofte.toml", "site_dir = \"../site\"", "site_dir = \"../blocker/site\"");
    std::fs::write(f.path("blocker"), "a file where the site's parent folder should be").unwrap();
    let server = SmtpServer::start();
    let out = publish_h1(&f, &[("LOFTE_SMTP_URL", &server.url())]);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("published, archived and delivered (3 sent"), "{}", stderr(&out));
    assert_one_each(&server);
    assert_all_sent(&f);
}

// The systemd unit.

#[test]
fn the_systemd_unit_names_every_folder_lofte_writes_under_a_writable_path_and_reloads_with_hup() {
    let unit = std::fs::read_to_string(common::root().join("config/lofte.service")).unwrap();
    let values = |key: &str| -> Vec<String> {
        unit.lines().filter_map(|l| l.trim().strip_prefix(&format!("{key}="))).map(|v| v.trim().to_string()).collect()
    };
    let exec = values("ExecStart");
    assert_eq!(exec.len(), 1, "{exec:?}");
    let words: Vec<&str> = exec[0].split_whitespace().collect();
    let flag = |name: &str| -> PathBuf {
        let at = words.iter().position(|w| *w == name).unwrap_or_else(|| panic!("ExecStart lacks {name}"));
        PathBuf::from(words.get(at + 1).unwrap_or_else(|| panic!("{name} without a value")))
    };
    let site = flag("--site-dir");
    let versions = site.with_file_name(format!("{}.versions", site.file_name().unwrap().to_string_lossy()));
    let written = [flag("--archive-dir"), flag("--state-dir"), site.clone(), flag("--outbox-dir"), versions.clone()];
    let writable: Vec<PathBuf> = values("ReadWritePaths")
        .iter()
        .flat_map(|v| v.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .map(|p| PathBuf::from(p.trim_start_matches('-')))
        .collect();
    assert!(!writable.is_empty(), "no ReadWritePaths");
    assert_eq!(values("ProtectSystem"), ["strict"]);
    for path in &written {
        assert!(path.is_absolute(), "{}", path.display());
        assert!(writable.iter().any(|w| path.starts_with(w)), "{} is not under {writable:?}", path.display());
        assert!(!path.starts_with("/etc"), "{} is read-only under ProtectSystem=strict", path.display());
    }

    let reload = values("ExecReload");
    assert_eq!(reload.len(), 1, "{reload:?}");
    assert!(reload[0].contains("kill") && reload[0].contains("-HUP") && reload[0].contains("$MAINPID"), "{reload:?}");
}

// The daemon: a busy run is tried again; SIGHUP reloads.

/// Replaces the fixture's scheduled runs by `runs`.
fn schedule(f: &Fixture, settings: &str, runs: &str) {
    let text = f.read("config/lofte.toml");
    let start = text.find("[[schedule.runs]]").unwrap();
    let text = format!("{}{settings}\n{runs}", &text[..start]);
    std::fs::write(f.config(), text).unwrap();
}

/// Collects a child's standard error as it comes.
fn collect_stderr(child: &mut Child) -> Arc<Mutex<String>> {
    let log = Arc::new(Mutex::new(String::new()));
    let mut pipe = child.stderr.take().unwrap();
    let sink = log.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    log
}

fn terminate(child: Child) -> Option<i32> {
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    child.wait_with_output().unwrap().status.code()
}

/// The outcome column of `lofte status`'s run lines.
fn outcomes(f: &Fixture) -> Vec<String> {
    let status = stdout(&f.lofte(&["status"]));
    status
        .lines()
        .skip_while(|l| !l.starts_with("last runs:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_string))
        .collect()
}

#[test]
fn a_run_that_finds_the_publish_lock_held_is_busy_and_tried_again() {
    let f = Fixture::new();
    // A daily run that was due within the last day is caught up at start; its next scheduled time is a day away,
    // so only the busy retry can publish it within this test.
    let settings = "busy_retry_secs = 1\n";
    schedule(&f, settings, "[[schedule.runs]]\ncron = \"1 0 0 * * *\"\nperiod = \"2021-H1\"\n");
    let text = f.read("config/lofte.toml");
    assert!(text.contains("[schedule]\n") && text.contains("busy_retry_secs = 1"), "{text}");

    // Another live process holds the publish lock.
    let mut holder = Command::new("sleep").arg("60").spawn().unwrap();
    std::fs::create_dir_all(f.path("state")).unwrap();
    let db = rusqlite::Connection::open(f.path("state/lofte.db")).unwrap();
    db.execute_batch(
        "CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, pid INTEGER NOT NULL, since TEXT NOT NULL);",
    )
    .unwrap();
    db.execute(
        "INSERT INTO locks (key, pid, since) VALUES ('publish', ?1, '2021-07-01T06:00:00+00:00')",
        [holder.id()],
    )
    .unwrap();
    drop(db);

    let server = SmtpServer::start();
    let mut daemon = command(&f, &["-v", "daemon"], &[("LOFTE_SMTP_URL", &server.url())]).spawn().unwrap();
    let log = collect_stderr(&mut daemon);
    wait_for("a busy run in the history", Duration::from_secs(60), || outcomes(&f).iter().any(|o| o == "busy"));
    assert!(server.messages().is_empty(), "nothing sent while another process holds the lock");

    holder.kill().unwrap();
    holder.wait().unwrap();
    wait_for("the retried run to deliver", Duration::from_secs(60), || server.messages().len() >= 3);
    wait_for("a published run in the history", Duration::from_secs(10), || {
        outcomes(&f).iter().any(|o| o == "published")
    });
    let code = terminate(daemon);
    let log = log.lock().unwrap().clone();
    assert_eq!(code, Some(0), "{log}");
    assert_one_each(&server);
}

#[test]
fn sighup_reloads_the_configuration_and_sigterm_still_exits_0() {
    let f = Fixture::new();
    schedule(&f, "", "[[schedule.runs]]\ncron = \"0 0 9 1 7 *\"\nperiod = \"2021-H1\"\n");
    f.edit("config/lofte.toml", "catch_up_days = 30", "catch_up_days = 0");
    let mut daemon = command(&f, &["-v", "daemon"], &[]).spawn().unwrap();
    let log = collect_stderr(&mut daemon);
    wait_for("the daemon to start", Duration::from_secs(30), || log.lock().unwrap().contains("daemon started"));

    assert!(Command::new("kill").args(["-HUP", &daemon.id().to_string()]).status().unwrap().success());
    wait_for("the reload", Duration::from_secs(30), || log.lock().unwrap().contains("configuration reloaded"));
    let code = terminate(daemon);
    let log = log.lock().unwrap().clone();
    assert_eq!(code, Some(0), "SIGHUP must not end the daemon: {log}");
    assert!(log.contains("configuration reloaded"), "{log}");
}

// A correction interrupted between moving the earlier version aside and moving the new one in.

#[test]
fn a_correction_interrupted_between_its_two_renames_is_finished_and_mailed_once() {
    let f = Fixture::new();
    let server = SmtpServer::start();
    let url = server.url();
    let env = [("LOFTE_SMTP_URL", url.as_str())];
    assert_eq!(publish_h1(&f, &env).status.code(), Some(0));
    assert_eq!(server.messages().len(), 3);

    let mut crash_env = env.to_vec();
    crash_env.push(("LOFTE_FAULT", "archive-between-renames"));
    let crash = f.lofte_env(
        &[
            "publish",
            "--period",
            "2021-H1",
            "--generated-at",
            "2021-07-02T07:00:00Z",
            "--force",
            "--reason",
            "Fel antal.",
        ],
        &crash_env,
    );
    assert_eq!(crash.status.signal(), Some(6), "{:?} {}", crash.status, stderr(&crash));
    assert!(!f.path(MANIFEST).exists(), "the crash left the period without a current entry");

    // The restart finishes the move (the new version was complete) and mails the correction once.
    let retry = f.lofte_env(&["deliver", "--retry"], &env);
    assert_eq!(retry.status.code(), Some(0), "{}{}", stdout(&retry), stderr(&retry));
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(f.path(MANIFEST)).unwrap()).unwrap();
    assert_eq!(manifest["version"], 2, "{manifest}");
    assert_eq!(manifest["correction"], "Fel antal.", "{manifest}");
    assert_all_sent(&f);
    assert_eq!(server.messages().len(), 6, "the correction reached each recipient once");
    for address in RECIPIENTS {
        assert_eq!(server.count_for(address), 2, "{address}: the first version and the correction");
    }
    let verify = f.lofte(&["archive", "verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}{}", stdout(&verify), stderr(&verify));
}
