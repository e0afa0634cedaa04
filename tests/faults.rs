//! The fault matrix (README "Faults"): the process killed at each stage of `publish`, SMTP failures (TLS handshake,
//! a server slower than the timeout), an archive folder that cannot be written, and secrets that must never show.

mod common;

use std::time::Duration;

use common::smtp::SmtpServer;
use common::{stderr, stdout, Fixture};

const AT: &str = "2021-07-01T07:00:00Z";
const RECIPIENTS: [&str; 3] = [
    "lokalpolischef.vastervik@polisen.example.se",
    "ks.ordforande@oskarshamn.example.se",
    "medborgarloften@lista.oskarshamn.example.se",
];

#[test]
fn killed_at_each_stage_of_publish_then_restarted_every_recipient_gets_exactly_one_message() {
    for stage in ["after-ingest", "after-render", "archive-mid-write", "after-archive", "mid-delivery"] {
        let f = Fixture::new();
        let server = SmtpServer::start();
        let url = server.url();
        let crash = f.lofte_env(
            &["publish", "--period", "2021-H1", "--generated-at", AT],
            &[("LOFTE_SMTP_URL", &url), ("LOFTE_FAULT", stage)],
        );
        assert_ne!(crash.status.code(), Some(0), "{stage}: the fault must stop the process");
        assert!(stderr(&crash).contains(&format!("aborting at {stage}")), "{stage}: {}", stderr(&crash));

        // The restart: publish again (refused when the entry is complete), then retry what is pending.
        let again = f.lofte_env(&["publish", "--period", "2021-H1", "--generated-at", AT], &[("LOFTE_SMTP_URL", &url)]);
        let archived_before = matches!(stage, "after-archive" | "mid-delivery");
        assert_eq!(again.status.code(), Some(i32::from(archived_before)), "{stage}: {}", stderr(&again));
        let retry = f.lofte_env(&["deliver", "--retry"], &[("LOFTE_SMTP_URL", &url)]);
        assert_eq!(retry.status.code(), Some(0), "{stage}: {}{}", stdout(&retry), stderr(&retry));

        let verify = f.lofte(&["archive", "verify"]);
        assert_eq!(verify.status.code(), Some(0), "{stage}: {}", stderr(&verify));
        assert_eq!(stdout(&f.lofte(&["archive", "list"])).lines().count(), 1, "{stage}: one entry");
        for address in RECIPIENTS {
            assert_eq!(server.count_for(address), 1, "{stage}: {address} must have exactly one message");
        }
    }
}

#[test]
fn a_tls_handshake_failure_leaves_the_deliveries_pending() {
    let f = Fixture::new();
    let server = SmtpServer::start();
    // Implicit TLS against a server that speaks plain SMTP: the handshake fails.
    let url = format!("smtps://127.0.0.1:{}", server.port);
    let out = f.lofte_env(&["publish", "--period", "2021-H1", "--generated-at", AT], &[("LOFTE_SMTP_URL", &url)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("delivery: 0 sent, 0 failed, 3 pending"), "{}", stdout(&out));
    assert!(server.messages().is_empty());
    let listing = stdout(&f.lofte(&["deliver"]));
    assert_eq!(listing.lines().filter(|l| l.contains(" pending ")).count(), 3, "{listing}");
}

#[test]
fn an_smtp_server_slower_than_the_timeout_leaves_the_deliveries_pending() {
    let f = Fixture::new();
    f.edit("config/lofte.toml", "timeout_secs = 60", "timeout_secs = 1");
    let server = SmtpServer::with_policy(0, |_, _| "delay:3000:250 2.1.5 ok".into());
    let started = std::time::Instant::now();
    let out =
        f.lofte_env(&["publish", "--period", "2021-H1", "--generated-at", AT], &[("LOFTE_SMTP_URL", &server.url())]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("3 pending"), "{}", stdout(&out));
    assert!(started.elapsed() < Duration::from_secs(20), "each send is bounded by the timeout");
    let listing = stdout(&f.lofte(&["deliver"]));
    assert!(listing.contains("no answer from the SMTP server within 1 s"), "{listing}");
}

#[test]
fn an_archive_folder_that_cannot_be_written_fails_the_job_and_sends_nothing() {
    let f = Fixture::new();
    // A file where the archive folder should be: every write under it fails (root ignores permission bits).
    std::fs::write(f.path("blocked"), "not a folder").unwrap();
    let server = SmtpServer::start();
    let out = f.lofte_env(
        &["--archive-dir", "blocked/archive", "publish", "--period", "2021-H1", "--generated-at", AT],
        &[("LOFTE_SMTP_URL", &server.url())],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("blocked/archive"), "the error names the folder: {err}");
    assert!(server.messages().is_empty(), "nothing is sent for a follow-up that was not archived");
}

#[test]
fn secrets_never_appear_in_logs_errors_output_or_the_archive() {
    const PASSWORD: &str = "MARKER-SMTP-PASSWORD-0451";
    const TOKEN: &str = "MARKER-API-TOKEN-9317";
    let f = Fixture::new();
    // An API source that is down, with a token: its error must not show the token.
    f.edit(
        "config/lofte.toml",
        "[freshness]",
        "[[sources]]\nname = \"api\"\nkind = \"api\"\nurl = \"http://127.0.0.1:9/records\"\ntoken_env = \"LOFTE_TEST_TOKEN\"\nretries = 0\n\n[freshness]",
    );
    let server = SmtpServer::start();
    let env = [
        ("LOFTE_SMTP_URL", server.url()),
        ("LOFTE_SMTP_PASSWORD", PASSWORD.to_string()),
        ("LOFTE_TEST_TOKEN", TOKEN.to_string()),
        ("RUST_LOG", "trace".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut seen = String::new();
    for args in [
        &["-vvv", "check"][..],
        &["-vvv", "publish", "--period", "2021-H1", "--generated-at", AT][..],
        &[
            "-vvv",
            "--records",
            "config/data/oskarshamn-2021.csv",
            "publish",
            "--period",
            "2021-H1",
            "--generated-at",
            AT,
        ][..],
        &["-vvv", "deliver", "--retry"][..],
        &["-vvv", "--log-format", "json", "status"][..],
    ] {
        let out = f.lofte_env(args, &env);
        seen.push_str(&stdout(&out));
        seen.push_str(&stderr(&out));
    }
    assert!(seen.contains("could not connect"), "the API failure is reported: {seen}");
    assert_eq!(server.messages().len(), 3, "delivered with the password from the environment");
    assert!(server.auth().iter().any(|a| a.contains(PASSWORD)), "the server saw the password: {:?}", server.auth());
    for secret in [PASSWORD, TOKEN] {
        assert!(!seen.contains(secret), "{secret} leaked into output");
    }
    for entry in walk(&f.path("archive")).into_iter().chain(walk(&f.path("outbox"))).chain(walk(&f.path("site"))) {
        let bytes = std::fs::read(&entry).unwrap();
        for secret in [PASSWORD, TOKEN] {
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{secret} in {}", entry.display());
        }
    }
}

#[test]
fn a_secret_written_into_the_config_is_refused_without_repeating_it() {
    let f = Fixture::new();
    f.edit("config/lofte.toml", "timeout_secs = 60", "timeout_secs = 60\npassword = \"hemligt-4711\"");
    let out = f.lofte(&["check"]);
    assert_eq!(out.status.code(), Some(2), "config files hold no secrets: an unknown key is an error");
    let err = stderr(&out);
    assert!(err.contains("unknown field `password`"), "{err}");
    assert!(!err.contains("hemligt-4711"), "{err}");

    let f = Fixture::new();
    f.edit(
        "config/lofte.toml",
        "[freshness]",
        "[[sources]]\nname = \"api\"\nkind = \"api\"\nurl = \"https://api.example.se/v1\"\ntoken_env = \"ghp_SECRET123\"\n\n[freshness]",
    );
    let out = f.lofte(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("token_env must name an environment variable"), "{err}");
    assert!(!err.contains("ghp_SECRET123"), "{err}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                files.extend(walk(&p));
            } else {
                files.push(p);
            }
        }
    }
    files
}

#[test]
fn line_breaks_in_mail_headers_and_unsafe_ids_are_refused_at_check() {
    let f = Fixture::new();
    f.edit(
        "config/lofte.toml",
        "list_id = \"medborgarloften.oskarshamn.example.se\"",
        "list_id = \"medborgarloften.oskarshamn.example.se\\r\\nBcc: everyone@example.se\"",
    );
    f.edit("config/lofte.toml", "unsubscribe = \"mailto:", "unsubscribe = \"javascript:alert(1) mailto:");
    let out = f.lofte(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("mail.list_id must be a dotted name without spaces"), "{err}");
    assert!(err.contains("mail.unsubscribe must be a mailto: or https: address"), "{err}");

    let f = Fixture::new();
    f.edit("config/pledges/oskarshamn-2021.toml", "id = \"oskarshamn-2021\"", "id = \"../../etc\"");
    let out = f.lofte(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("may only hold a–z, 0–9 and '-' (it becomes a folder name in the archive)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_tampered_manifest_with_an_unsafe_period_is_refused_by_the_site() {
    let f = Fixture::new();
    assert_eq!(f.lofte(&["publish", "--period", "2021-H1", "--generated-at", AT]).status.code(), Some(0));
    let path = f.path("archive/oskarshamn-2021/2021-H1/manifest.json");
    let text =
        std::fs::read_to_string(&path).unwrap().replace("\"period\": \"2021-H1\"", "\"period\": \"../../../tmp/x\"");
    std::fs::write(&path, text).unwrap();
    let out = f.lofte(&["archive", "site"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("document or period is not a safe id"), "{}", stderr(&out));
}
