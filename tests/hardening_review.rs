//! What an adversarial review of the issue-13 work found, each as a test that failed before its fix: a trial
//! archive that shared the real delivery state, a site folder that replaced whatever it was pointed at, stray
//! quotes that still merged rows, a verdict published while its day was running, and smaller items.

mod common;

use common::{stderr, stdout, Fixture};

const AT: &str = "2021-07-01T07:00:00Z";

fn eml_count(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map_or(0, |d| d.filter_map(Result::ok).filter(|e| e.path().extension().is_some_and(|x| x == "eml")).count())
}

#[test]
fn a_trial_archive_keeps_its_own_delivery_state_and_the_real_follow_up_still_goes_out() {
    let f = Fixture::new();
    let trial = f.lofte(&["--archive-dir", "try", "publish", "--period", "2021-H1", "--generated-at", AT]);
    assert_eq!(trial.status.code(), Some(0), "{}", stderr(&trial));
    assert_eq!(eml_count(&f.path("try-state-outbox")), 3, "the trial's mail stays beside the trial");
    assert!(!f.path("state").exists() && !f.path("outbox").exists(), "the configured state and outbox are untouched");

    let real = f.lofte(&["publish", "--period", "2021-H1", "--generated-at", AT]);
    assert_eq!(real.status.code(), Some(0), "{}", stderr(&real));
    assert!(stdout(&real).contains("delivery: 3 sent, 0 failed, 0 pending"), "{}", stdout(&real));
    assert_eq!(eml_count(&f.path("outbox")), 3);
}

#[test]
fn a_site_folder_pointed_at_the_archive_is_refused_and_the_archive_stays() {
    let f = Fixture::new();
    assert_eq!(f.lofte(&["publish", "--period", "2021-H1", "--generated-at", AT]).status.code(), Some(0));
    let out = f.lofte(&["--site-dir", "archive", "archive", "site"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("site folder archive: it is the archive folder"), "{}", stderr(&out));
    let verify = f.lofte(&["archive", "verify"]);
    assert_eq!(verify.status.code(), Some(0), "the archive is whole: {}{}", stdout(&verify), stderr(&verify));

    let parent = f.lofte(&["--site-dir", ".", "archive", "site"]);
    assert_eq!(parent.status.code(), Some(1));
    assert!(stderr(&parent).contains("it holds the archive folder"), "{}", stderr(&parent));
    assert!(f.path("config/lofte.toml").is_file());
}

#[test]
fn a_site_folder_that_is_someone_elses_is_refused_and_sibling_folders_stay() {
    let f = Fixture::new();
    std::fs::create_dir_all(f.path("www")).unwrap();
    std::fs::write(f.path("www/important.txt"), "keep me").unwrap();
    std::fs::create_dir_all(f.path("www.old")).unwrap();
    std::fs::write(f.path("www.old/backup.txt"), "keep me too").unwrap();
    let out = f.lofte(&["--site-dir", "www", "publish", "--period", "2021-H1", "--generated-at", AT]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("is not a site lofte wrote"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(f.path("www/important.txt")).unwrap(), "keep me");
    assert_eq!(std::fs::read_to_string(f.path("www.old/backup.txt")).unwrap(), "keep me too");
    // An empty folder is fine: it becomes the site.
    std::fs::create_dir_all(f.path("fresh")).unwrap();
    let site = f.lofte(&["--site-dir", "fresh", "archive", "site"]);
    assert_eq!(site.status.code(), Some(0), "{}", stderr(&site));
    assert!(f.path("fresh/index.html").is_file());
}

#[test]
fn stray_quotes_that_close_at_the_start_of_a_row_or_across_cr_line_ends_are_refused() {
    let f = Fixture::new();
    for (file, lines) in
        [("merge_lf", "lines 3–4"), ("merge2", "lines 3–4"), ("mixed_cr", "lines 3–5"), ("cr_only", "a quoted field")]
    {
        let path = common::root().join(format!("tests/fixtures/review/{file}.csv"));
        let out = f.lofte(&["--records", path.to_str().unwrap(), "check"]);
        assert_eq!(out.status.code(), Some(2), "{file}: {}", stdout(&out));
        let err = stderr(&out);
        assert!(err.contains(lines) && err.contains("Nothing from this file was used"), "{file}: {err}");
    }
    // A real multi-line note with semicolons on its first line is read in full.
    let legit = common::root().join("tests/fixtures/review/legit_ml.csv");
    let out = f.lofte(&["--records", legit.to_str().unwrap(), "check"]);
    assert!(stdout(&out).contains("3 rows read, 3 accepted, 0 rejected"), "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn a_header_in_capitals_with_swedish_letters_is_recognised() {
    let f = Fixture::new();
    let path = common::root().join("tests/fixtures/review/h_delmal_upper.csv");
    let out = f.lofte(&["--records", path.to_str().unwrap(), "check"]);
    assert!(stdout(&out).contains("2 rows read, 2 accepted, 0 rejected"), "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn a_period_is_not_published_on_its_own_last_day_and_a_forecast_says_so_in_json() {
    let f = Fixture::new();
    let env = [("LOFTE_NOW", "2021-06-30T12:00:00+02:00")];
    let out = f.lofte_env(&["publish", "--period", "2021-H1"], &env);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("has not passed yet (today is 2021-06-30)"), "{}", stderr(&out));
    assert!(!f.path("archive").exists());

    let json = f.lofte_env(&["report", "--period", "2021-H1", "--format", "json", "--out", "-"], &env);
    let results: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(results["provisional"], true);
    let done = f.lofte_env(&["report", "--period", "2021-H1", "--format", "json", "--out", "-"], &[]);
    let results: serde_json::Value = serde_json::from_slice(&done.stdout).unwrap();
    assert!(results.get("provisional").is_none(), "a final report has no provisional key");

    let next_day = f.lofte_env(&["publish", "--period", "2021-H1"], &[("LOFTE_NOW", "2021-07-01T00:00:01+02:00")]);
    assert_eq!(next_day.status.code(), Some(0), "{}", stderr(&next_day));
}

#[test]
fn two_rebuilds_in_one_second_keep_every_file_they_move_aside() {
    let f = Fixture::new();
    assert_eq!(f.lofte(&["publish", "--period", "2021-H1", "--generated-at", AT]).status.code(), Some(0));
    std::fs::write(f.path("state/lofte.db"), b"this is not a database, it is damaged").unwrap();
    for p in ["state/lofte.db-wal", "state/lofte.db-shm"] {
        let _ = std::fs::remove_file(f.path(p));
    }
    assert_eq!(f.lofte(&["deliver", "--rebuild"]).status.code(), Some(0));
    assert_eq!(f.lofte(&["deliver", "--rebuild"]).status.code(), Some(0));
    let aside: Vec<std::path::PathBuf> = std::fs::read_dir(f.path("state"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("lofte.db.replaced-"))
        .filter(|p| !p.to_string_lossy().ends_with("-wal") && !p.to_string_lossy().ends_with("-shm"))
        .collect();
    assert_eq!(aside.len(), 2, "{aside:?}");
    assert!(
        aside.iter().any(|p| std::fs::read(p).unwrap() == b"this is not a database, it is damaged"),
        "the damaged original is kept"
    );
    assert_eq!(eml_count(&f.path("outbox")), 3, "nothing was sent again");
}

#[test]
fn a_value_under_the_wrong_key_is_not_printed_back() {
    let f = Fixture::new();
    f.edit("config/lofte.toml", "timeout_secs = 60", "timeout_secs = \"HUNTER2SECRET\"");
    let out = f.lofte(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!all.contains("HUNTER2SECRET"), "{all}");
    assert!(all.contains("invalid type: a string, expected u64"), "{all}");

    let g = Fixture::new();
    g.edit("config/lofte.toml", "language = \"sv\"", "language = \"HEMLIGT-2\"");
    let out = g.lofte(&["check"]);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!all.contains("HEMLIGT-2"), "{all}");
    assert!(all.contains("lofte.toml:6:12: unknown variant, expected `sv` or `en`"), "{all}");
}

#[test]
fn api_settings_on_a_csv_source_are_an_error_not_ignored() {
    let f = Fixture::new();
    f.edit(
        "config/lofte.toml",
        "path = \"data/oskarshamn-2021.csv\"",
        "path = \"data/oskarshamn-2021.csv\"\ntoken_env = \"LOFTE_API_TOKEN\"\nretries = 2",
    );
    let out = f.lofte(&["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("csv source \"oskarshamn\" has token_env, retries, which only an api source uses"),
        "{}",
        stderr(&out)
    );
}
