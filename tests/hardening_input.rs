//! Issue 13 ("Security and reliability"), the input and verdict side: each test below is one item of that issue
//! that failed before the fix and passes now. Stray quotes that would swallow records, ambiguous headers, UTF-16
//! exports, records dated after today and reports whose date has not come yet, pledge and settings mistakes that
//! `check` must catch, `status` writing into a closed pipe, and a rejected-rows table that stays bounded.

mod common;

use std::fmt::Write as _;
use std::process::{Command, Stdio};

use common::{stderr, stdout, Fixture};
use serde_json::Value;

const PLEDGE: &str = "config/pledges/oskarshamn-2021.toml";
const SETTINGS: &str = "config/lofte.toml";
const SAMPLE: &str = "config/data/oskarshamn-2021.csv";

/// Eleven valid rows, `;`-separated; data row 3 (line 4) and data row 8 (line 9) have a note.
const ELEVEN_ROWS: &str = "\
id;date;party;activity;location;count;note
T-01;2021-01-05;polisen;hastighetskontroll;Påskallavik;;
T-02;2021-01-12;polisen;hastighetskontroll;Södra Långgatan;;
T-03;2021-02-03;polisen;hastighetskontroll;Påskallavik;;Efter klagomål
T-04;2021-02-15;polisen;inlagg_sociala_medier;Facebook;;
T-05;2021-03-01;polisen;hastighetskontroll;Kalmarvägen;;
T-06;2021-03-10;polisen;fotpatrull_skola;Rödsleskolan;;
T-07;2021-03-22;polisen;hastighetskontroll;Påskallavik;;
T-08;2021-04-06;polisen;hastighetskontroll;Fårbo;;Mätning vid skolan
T-09;2021-04-20;polisen;fotpatrull_skola;Vallhallaskolan;;
T-10;2021-05-04;polisen;hastighetskontroll;Påskallavik;;
T-11;2021-05-18;polisen;inlagg_sociala_medier;Facebook;;
";

fn pdf_pages(pdf: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(pdf).expect("a valid PDF");
    doc.get_pages().keys().map(|page| doc.extract_text(&[*page]).expect("text")).collect()
}

fn json(out: &std::process::Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    serde_json::from_slice(&out.stdout).expect("JSON on standard output")
}

/// `lofte check` must refuse with exit 2 and a message containing every one of `needles`.
fn check_refuses(f: &Fixture, args: &[&str], env: &[(&str, &str)], needles: &[&str]) {
    let mut all = args.to_vec();
    all.push("check");
    let run = f.lofte_env(&all, env);
    let err = stderr(&run);
    assert_eq!(run.status.code(), Some(2), "stdout: {}\nstderr: {err}", stdout(&run));
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} missing from: {err}");
    }
}

// 1. Stray quotes that balance must not swallow the records between them.

#[test]
fn balanced_stray_quotes_that_swallow_records_are_refused_naming_the_lines() {
    let f = Fixture::new();
    let broken = ELEVEN_ROWS
        .replace(";Efter klagomål\n", ";\"Efter klagomål\n")
        .replace(";Mätning vid skolan\n", ";Mätning vid skolan\"\n");
    assert_eq!(broken.matches('"').count(), 2, "the test input has exactly two stray quotes");
    std::fs::write(f.path("stray.csv"), &broken).unwrap();
    check_refuses(
        &f,
        &["--records", "stray.csv"],
        &[],
        &["stray.csv", "lines 4–9", "a quoted field opens on line 4", "look like records of their own"],
    );

    let report =
        f.lofte(&["--records", "stray.csv", "report", "--period", "2021-H1", "--format", "json", "--out", "-"]);
    assert_ne!(report.status.code(), Some(0), "a report was built from the swallowed file: {}", stdout(&report));
    assert!(stderr(&report).contains("look like records of their own"), "{}", stderr(&report));
}

#[test]
fn the_same_file_without_the_stray_quotes_is_read_in_full() {
    let f = Fixture::new();
    std::fs::write(f.path("clean.csv"), ELEVEN_ROWS).unwrap();
    let run = f.lofte(&["--records", "clean.csv", "check"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(stdout(&run).contains("11 rows read, 11 accepted, 0 rejected"), "{}", stdout(&run));

    let results =
        json(&f.lofte(&["--records", "clean.csv", "report", "--period", "2021-H1", "--format", "json", "--out", "-"]));
    let records = &results["records"];
    let total = ["accepted", "rejected", "duplicates"].iter().map(|k| records[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(total, 11, "{records}");
}

// 2. A header that names one field twice is ambiguous.

#[test]
fn a_header_with_the_same_column_twice_is_refused() {
    let f = Fixture::new();
    std::fs::write(
        f.path("twice.csv"),
        "id;date;party;activity;date\nA-1;2021-01-05;polisen;hastighetskontroll;2021-01-06\n",
    )
    .unwrap();
    check_refuses(
        &f,
        &["--records", "twice.csv"],
        &[],
        &["names a field more than once", "column 2 \"date\" and column 5 \"date\""],
    );
}

#[test]
fn a_header_with_date_and_datum_is_refused() {
    let f = Fixture::new();
    std::fs::write(
        f.path("both.csv"),
        "id;date;party;activity;datum\nA-1;2021-01-05;polisen;hastighetskontroll;2021-01-06\n",
    )
    .unwrap();
    check_refuses(
        &f,
        &["--records", "both.csv"],
        &[],
        &["names a field more than once", "column 2 \"date\" and column 5 \"datum\""],
    );
}

// 3. UTF-16 exports are named as such instead of being read as garbage.

fn utf16le(with_bom: bool) -> Vec<u8> {
    let text = std::fs::read_to_string(common::root().join(SAMPLE)).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let mut bytes = if with_bom { vec![0xFF, 0xFE] } else { Vec::new() };
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

#[test]
fn a_utf16_file_without_bom_is_refused_as_utf16() {
    let f = Fixture::new();
    std::fs::write(f.path("utf16.csv"), utf16le(false)).unwrap();
    check_refuses(&f, &["--records", "utf16.csv"], &[], &["UTF-16 (little-endian, without byte order mark)"]);
}

#[test]
fn a_utf16_file_with_bom_is_refused_as_utf16() {
    let f = Fixture::new();
    std::fs::write(f.path("utf16.csv"), utf16le(true)).unwrap();
    check_refuses(&f, &["--records", "utf16.csv"], &[], &["UTF-16 (little-endian, with byte order mark)"]);
}

// 4. Nothing that has not happened yet counts, and no verdict is published early.

#[test]
fn publishing_a_period_that_has_not_ended_is_refused_and_nothing_is_archived() {
    let f = Fixture::new();
    let run = f.lofte_env(&["publish", "--period", "2021"], &[("LOFTE_NOW", "2021-07-01T09:00:00+02:00")]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(stderr(&run).contains("which has not passed yet (today is 2021-07-01)"), "{}", stderr(&run));
    assert!(!f.path("archive/oskarshamn-2021/2021").exists(), "the unfinished year was archived");
}

#[test]
fn records_dated_after_today_are_rejected_as_date_in_future() {
    let f = Fixture::new();
    std::fs::write(
        f.path("future.csv"),
        "id;date;party;activity;location\n\
         F-1;2021-03-01;polisen;hastighetskontroll;Påskallavik\n\
         F-2;2021-05-15;polisen;hastighetskontroll;Påskallavik\n\
         F-3;2021-05-16;polisen;hastighetskontroll;Påskallavik\n",
    )
    .unwrap();
    let now = [("LOFTE_NOW", "2021-05-15T12:00:00+02:00")];
    let report = ["--records", "future.csv", "report", "--period", "2021-H1", "--format", "json", "--out", "-"];

    let records = json(&f.lofte_env(&report, &now))["records"].clone();
    assert_eq!((records["accepted"].as_u64(), records["rejected"].as_u64()), (Some(2), Some(1)), "{records}");
    assert_eq!(records["by_reason"]["date_in_future"].as_u64(), Some(1), "{records}");

    // Without the clock set, today is long after 2021 and all three count.
    let records = json(&f.lofte(&report))["records"].clone();
    assert_eq!((records["accepted"].as_u64(), records["rejected"].as_u64()), (Some(3), Some(0)), "{records}");

    let check = f.lofte_env(&["--records", "future.csv", "check"], &now);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    let out = stdout(&check);
    assert!(out.contains("date_in_future: 1"), "{out}");
    assert!(out.contains("date 2021-05-16 is after today (2021-05-15)"), "{out}");
}

#[test]
fn a_report_dated_after_today_says_prognos_on_every_page() {
    let f = Fixture::new();
    let args = ["report", "--period", "2021-H1", "--edition", "public", "--out", "early.pdf"];
    let run = f.lofte_env(&args, &[("LOFTE_NOW", "2021-05-15T12:00:00+02:00")]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let pages = pdf_pages(&std::fs::read(f.path("early.pdf")).unwrap());
    assert!(pages.len() > 1, "the report has {} page(s)", pages.len());
    for (i, page) in pages.iter().enumerate() {
        assert!(page.contains("PROGNOS, läget är inte slutligt"), "page {} lacks the stamp: {page}", i + 1);
    }

    let args = ["report", "--period", "2021-H1", "--edition", "public", "--out", "final.pdf"];
    let run = f.lofte(&args);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let pages = pdf_pages(&std::fs::read(f.path("final.pdf")).unwrap());
    assert!(pages.iter().all(|p| !p.contains("PROGNOS")), "a final report is stamped as a forecast");
}

// 5. Pledge and settings mistakes that `check` must catch.

#[test]
fn milestone_keys_that_differ_only_in_case_are_refused() {
    let f = Fixture::new();
    f.edit(PLEDGE, "key = \"gy2\"", "key = \"AK8\"");
    check_refuses(&f, &[], &[], &["names a milestone key twice"]);
}

#[test]
fn an_upper_case_milestone_key_in_the_pledge_matches_lower_case_records() {
    let lupp = |f: &Fixture| -> Value {
        let results = json(&f.lofte(&["report", "--period", "2021", "--format", "json", "--out", "-"]));
        results["pledges"].as_array().unwrap().iter().find(|p| p["id"] == "lupp-enkat").unwrap().clone()
    };
    let plain = Fixture::new();
    let expected = lupp(&plain);
    assert_eq!(expected["status"], "achieved", "the sample has both surveys: {expected}");

    let upper = Fixture::new();
    upper.edit(PLEDGE, "key = \"ak8\"", "key = \"AK8\"");
    let got = lupp(&upper);
    assert_eq!((&got["status"], &got["achieved"]), (&expected["status"], &expected["achieved"]), "{got}");
    let milestones = got["milestones"].as_object().unwrap();
    assert_eq!(milestones.len(), 2, "{got}");
    assert!(milestones.values().all(|done| done == true), "both milestones done: {got}");
}

#[test]
fn a_pledge_document_without_commitments_is_refused() {
    let f = Fixture::new();
    let text = f.read(PLEDGE);
    let first = text.find("[[commitments]]").unwrap();
    std::fs::write(f.path(PLEDGE), &text[..first]).unwrap();
    check_refuses(&f, &[], &[], &["the document has no commitments"]);
}

#[test]
fn a_schedule_run_that_never_fires_is_refused() {
    let f = Fixture::new();
    f.edit(SETTINGS, "cron = \"0 0 9 1 7 *\"", "cron = \"0 0 0 30 2 *\"");
    check_refuses(&f, &[], &[], &["never fires"]);
}

#[test]
fn a_mail_from_with_a_line_break_is_refused() {
    let f = Fixture::new();
    f.edit(
        SETTINGS,
        "from = \"Medborgarlöften Oskarshamn <lofte@oskarshamn.example.se>\"",
        "from = \"Medborgarlöften Oskarshamn <lofte@oskarshamn.example.se>\\nBcc: x@example.se\"",
    );
    check_refuses(&f, &[], &[], &["line break or control character"]);
}

#[test]
fn smtp_urls_with_conflicting_or_unknown_parameters_are_refused() {
    let f = Fixture::new();
    for (url, needle) in [
        ("smtp://mail.example.se:587?tls=opportunistic&tls=required", "names tls twice"),
        ("smtps://mail.example.se?tls=required", "implicit TLS already"),
        ("smtp://mail.example.se:587?tls=required&foo=1", "parameter \"foo\" is not supported"),
    ] {
        check_refuses(&f, &[], &[("LOFTE_SMTP_URL", url)], &[needle]);
    }
    let run = f.lofte_env(&["check"], &[("LOFTE_SMTP_URL", "smtp://mail.example.se:587?tls=required")]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
}

// 6. `lofte status | head` must not panic when the reader has gone.

#[test]
fn status_into_a_closed_pipe_does_not_panic() {
    let f = Fixture::new();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let config = f.config();
    let out = Command::new(env!("CARGO_BIN_EXE_lofte"))
        .args(["--config", config.to_str().unwrap(), "status"])
        .current_dir(f.dir.path())
        .env_remove("LOFTE_SMTP_URL")
        .env_remove("LOFTE_SMTP_PASSWORD")
        .env_remove("LOFTE_FAULT")
        .env_remove("RUST_LOG")
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

// 7. Thousands of rejected rows: the PDF shows the first 200, the archive keeps them all, mail stays small.

/// The Swedish thousands separator of `report::format::integer`: a no-break space.
fn swedish_integer(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

#[test]
fn thousands_of_rejected_rows_keep_the_report_and_mail_bounded() {
    let f = Fixture::new();
    let mut bad = String::from("id;date;party;activity;location\n");
    for i in 0..2000 {
        writeln!(bad, "BAD-{i:04};2021-03-01;polisen;okand;Fårbo").unwrap();
    }
    std::fs::write(f.path("bad.csv"), bad).unwrap();

    let sample_only = json(&f.lofte(&["report", "--period", "2021-H1", "--format", "json", "--out", "-"]));
    let total = sample_only["records"]["rejected"].as_u64().unwrap() + 2000;

    let run = f.lofte(&[
        "--records",
        SAMPLE,
        "--records",
        "bad.csv",
        "publish",
        "--period",
        "2021-H1",
        "--generated-at",
        "2021-07-01T07:00:00Z",
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));

    let folder = f.path("archive/oskarshamn-2021/2021-H1");
    let results: Value = serde_json::from_slice(&std::fs::read(folder.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["records"]["rejected"].as_u64(), Some(total), "{}", results["records"]);

    let pages = pdf_pages(&std::fs::read(folder.join("oskarshamn-2021-2021-H1-internal.pdf")).unwrap());
    assert!(pages.len() < 20, "the internal PDF has {} pages", pages.len());
    let expected = format!("Här visas de första 200 av {} avvisade raderna", swedish_integer(total));
    assert!(pages.concat().contains(&expected), "{expected:?} missing from the internal PDF");

    let rejected = std::fs::read_to_string(folder.join("rejected.csv")).unwrap();
    let rows = rejected.lines().skip(1).count() as u64;
    assert_eq!(rows, total, "every rejected row is kept in rejected.csv");
    assert_eq!(rejected.lines().filter(|l| l.contains(",BAD-")).count(), 2000);

    let mut mails = 0;
    for entry in std::fs::read_dir(f.path("outbox")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "eml") {
            mails += 1;
            let size = std::fs::metadata(&path).unwrap().len();
            assert!(size < 1024 * 1024, "{} is {size} bytes", path.display());
        }
    }
    assert_eq!(mails, 3, "three messages in the outbox");
}
