//! The command line as a user meets it: help, exit codes, freshness warnings.

mod common;

use common::{lofte_in, root, stderr, stdout, Fixture};

#[test]
fn help_lists_every_command_with_an_example() {
    let out = lofte_in(&root(), &["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for command in ["check", "report", "publish", "daemon", "archive", "deliver", "status"] {
        assert!(text.lines().any(|l| l.trim_start().starts_with(command)), "{command} missing from\n{text}");
        assert!(text.contains(&format!("  lofte {command}")), "no example for {command} in\n{text}");
    }
    for option in ["--config", "--records", "--archive-dir", "--state-dir", "--verbose", "--quiet", "--log-format"] {
        assert!(text.contains(option), "{option} missing");
    }
}

#[test]
fn bad_usage_exits_2() {
    let out = lofte_in(&root(), &["report"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--period"), "{}", stderr(&out));
    let out = lofte_in(&root(), &["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_missing_config_file_exits_2_and_says_how_to_give_another() {
    let out = lofte_in(&root(), &["--config", "nowhere/lofte.toml", "check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("nowhere/lofte.toml: cannot read the configuration file"), "{err}");
    assert!(err.contains("--config PATH"), "{err}");
}

#[test]
fn stale_records_give_a_warning_naming_the_newest_date() {
    let f = Fixture::new();
    std::fs::write(
        f.path("old.csv"),
        "id,date,party,activity,location\n1,2021-03-01,polisen,hastighetskontroll,Fårbo\n",
    )
    .unwrap();
    let out =
        f.lofte(&["--records", "old.csv", "report", "--period", "2021-H1", "--format", "json", "--out", "r.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("the newest record is from 2021-03-01, 121 days before 2021-06-30"), "{err}");
    assert!(err.contains("freshness.max_age_days = 45"), "{err}");

    // Fresh data: no warning.
    let out = f.lofte(&["report", "--period", "2021-H1", "--format", "json", "--out", "r.json"]);
    assert!(!stderr(&out).contains("newest record"), "{}", stderr(&out));
}

#[test]
fn json_logs_are_one_object_per_line() {
    let f = Fixture::new();
    let out = f.lofte(&[
        "-v",
        "--log-format",
        "json",
        "report",
        "--period",
        "2021-H1",
        "--format",
        "json",
        "--out",
        "r.json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(!err.is_empty());
    for line in err.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v.get("level").is_some());
    }
}

#[tokio::test]
async fn stale_records_refuse_publishing_when_configured() {
    use lofte::config::{Config, Env};
    use lofte::pipeline::{follow_up, require_fresh, PipelineError, RecordsOverride};
    let f = Fixture::new();
    std::fs::write(
        f.path("old.csv"),
        "id,date,party,activity,location\n1,2021-03-01,polisen,hastighetskontroll,Fårbo\n",
    )
    .unwrap();
    let records = RecordsOverride(vec![f.path("old.csv")]);

    let config = Config::load(&f.config(), &Env::default()).unwrap();
    let warned = follow_up(&config, &lofte::period::Period::parse("2021-H1").unwrap(), &records, &[]).await.unwrap();
    assert!(warned.stale.is_some());
    require_fresh(&config, &warned).expect("only a warning while refuse_publish = false");

    f.edit("config/lofte.toml", "refuse_publish = false", "refuse_publish = true");
    let config = Config::load(&f.config(), &Env::default()).unwrap();
    let stale = follow_up(&config, &lofte::period::Period::parse("2021-H1").unwrap(), &records, &[]).await.unwrap();
    let err = require_fresh(&config, &stale).unwrap_err();
    assert!(matches!(err, PipelineError::Stale(_)));
    assert_eq!(err.exit_code(), 1);
    assert!(err.to_string().contains("the newest record is from 2021-03-01"), "{err}");
    assert!(err.to_string().contains("refusing to publish"), "{err}");
}
