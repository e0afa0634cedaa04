//! Follow-up notes (SPEC §11): a verdict with its justification, a public comment, an internal note and a summary.
//! Mistakes in a notes file are named with their line and column and stop `report`, `publish` and `check`; a
//! verdict is the status of a qualitative (`assessed`) or `count` promise and stands beside the computed status of
//! any other.

mod common;

use std::path::Path;

use lofte::edition::Edition;
use lofte::followup::{self, Assessment, Verdict};
use lofte::period::Period;
use lofte::pledge::{self, Pledge};
use lofte::progress::{compute, json, Status};
use lofte::source::{Fields, Locator, Position, RawRecord};
use lofte::validate::validate_all;
use serde_json::Value;

const PLEDGE: &str = r#"id = "testby-2021"
title = "Medborgarlöfte Testby"
municipality = "Testby kommun"
police_area = "LPO Test"
[period]
start = 2021-01-01
end = 2021-12-31
[signed]
date = 2021-01-01
place = "Testby"
[[activities]]
kind = "samverkan"
label = "Samverkansmöte"
[[activities]]
kind = "kontroll"
label = "Trafikkontroll"
[[activities]]
kind = "vandring"
label = "Trygghetsvandring"
[[commitments]]
id = "samverka"
party = "kommunen"
activity = "samverkan"
title = "Samverka med föreningslivet"
text = "Kommunen ska samverka med föreningslivet."
target_kind = "assessed"
[[commitments]]
id = "kontroller"
party = "polisen"
activity = "kontroll"
title = "Trafikkontroller"
text = "Polisen ska genomföra trafikkontroller."
target_kind = "count"
[[commitments]]
id = "vandringar"
party = "kommunen"
activity = "vandring"
title = "Trygghetsvandringar"
text = "Kommunen ska genomföra minst 10 trygghetsvandringar."
target_kind = "at_least"
target = 10
"#;

fn pledge() -> Pledge {
    pledge::parse(Path::new("testby.toml"), PLEDGE).unwrap()
}

fn record(i: usize, date: &str, party: &str, activity: &str) -> RawRecord {
    RawRecord {
        locator: Locator { source: "s".into(), origin: "test".into(), position: Position::Line(i as u64 + 2) },
        fields: Fields {
            id: Some(format!("r{i}")),
            date: Some(date.into()),
            party: Some(party.into()),
            activity: Some(activity.into()),
            ..Fields::default()
        },
        raw: String::new(),
    }
}

fn notes(text: &str) -> Result<followup::Notes, Vec<lofte::problem::Problem>> {
    followup::parse(Path::new("followups/testby-2021/2021-H1.toml"), text, &pledge())
}

/// The one problem of `text`, printed as `file:line:column: message`.
fn problem(text: &str) -> String {
    let problems = notes(text).expect_err("the notes must be refused");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    problems[0].to_string()
}

#[test]
fn a_verdict_is_the_status_of_a_qualitative_or_count_promise_and_stands_beside_any_other() {
    let p = pledge();
    let records = vec![
        record(0, "2021-02-01", "kommunen", "samverkan"),
        record(1, "2021-03-01", "polisen", "kontroll"),
        record(2, "2021-03-02", "kommunen", "vandring"),
    ];
    let validated = validate_all(&p, records);
    let mut progress = compute(&p, &Period::parse("2021-H1").unwrap(), &validated, &[]).unwrap();
    let text = r#"
summary = "Pandemin påverkade flera aktiviteter under våren."
[[commitments]]
id = "samverka"
verdict = "partly"
justification = "Två av fyra planerade möten hölls."
comment = "Mötena återupptas i höst."
internal = "Ordföranden i föreningen har slutat."
[[commitments]]
id = "kontroller"
verdict = "achieved"
justification = "Kontroller genomfördes varje månad."
[[commitments]]
id = "vandringar"
verdict = "in_progress"
justification = "Vandringarna är planerade till hösten."
"#;
    notes(text).unwrap().apply(&p, &mut progress);
    assert_eq!(progress.summary.as_deref(), Some("Pandemin påverkade flera aktiviteter under våren."));
    let by_id = |id: &str| progress.pledges.iter().find(|c| c.id == id).unwrap();
    let samverka = by_id("samverka");
    assert_eq!((samverka.status, samverka.computed_status), (Status::Partly, Some(Status::NotAssessed)));
    assert_eq!(
        samverka.assessment,
        Some(Assessment { verdict: Verdict::Partly, justification: "Två av fyra planerade möten hölls.".into() })
    );
    assert_eq!(samverka.comment.as_deref(), Some("Mötena återupptas i höst."));
    assert_eq!(samverka.internal_note.as_deref(), Some("Ordföranden i föreningen har slutat."));
    let kontroller = by_id("kontroller");
    assert_eq!((kontroller.status, kontroller.computed_status), (Status::Achieved, Some(Status::Active)));
    // 1 of 10 as of 30 June (4.96 due): behind. The verdict is shown beside it and never hides it.
    let vandringar = by_id("vandringar");
    assert_eq!((vandringar.status, vandringar.computed_status), (Status::Behind, Some(Status::Behind)));
    assert_eq!(vandringar.assessment.as_ref().map(|a| a.verdict), Some(Verdict::InProgress));

    // results.json: the assessment and comment in both editions, the internal note only in the internal one.
    let public = serde_json::to_value(json::results(&progress, Edition::Public, false)).unwrap();
    let internal = serde_json::to_value(json::results(&progress, Edition::Internal, false)).unwrap();
    let first = |v: &Value| v["pledges"][0].clone();
    assert_eq!(public["summary"], "Pandemin påverkade flera aktiviteter under våren.");
    assert_eq!(first(&public)["status"], "partly");
    assert_eq!(first(&public)["computed_status"], "not_assessed");
    assert_eq!(first(&public)["assessment"]["verdict"], "partly");
    assert_eq!(first(&public)["assessment"]["justification"], "Två av fyra planerade möten hölls.");
    assert_eq!(first(&public)["comment"], "Mötena återupptas i höst.");
    assert_eq!(first(&public).get("internal_note"), None);
    assert!(!public.to_string().contains("Ordföranden"), "no internal note in the public edition");
    assert_eq!(first(&internal)["internal_note"], "Ordföranden i föreningen har slutat.");
}

#[test]
fn without_notes_nothing_changes_but_the_computed_status_is_recorded() {
    let p = pledge();
    let validated = validate_all(&p, vec![record(0, "2021-02-01", "kommunen", "samverkan")]);
    let mut progress = compute(&p, &Period::parse("2021-H1").unwrap(), &validated, &[]).unwrap();
    let before: Vec<Status> = progress.pledges.iter().map(|c| c.status).collect();
    followup::Notes::default().apply(&p, &mut progress);
    let after: Vec<Status> = progress.pledges.iter().map(|c| c.status).collect();
    assert_eq!(before, after);
    assert!(progress.pledges.iter().all(|c| c.computed_status == Some(c.status) && c.assessment.is_none()));
    assert_eq!(progress.summary, None);
}

#[test]
fn every_mistake_in_a_notes_file_names_its_line_and_column() {
    let at = "followups/testby-2021/2021-H1.toml";
    assert_eq!(
        problem("[[commitments]]\nid = \"samverkan\"\ncomment = \"x\"\n"),
        format!(
            "{at}:2:6: \"samverkan\" is not a commitment of testby-2021: write one of samverka, kontroller, vandringar"
        )
    );
    assert_eq!(
        problem("[[commitments]]\nid = \"samverka\"\nverdict = \"partly\"\n"),
        format!("{at}:3:11: commitment \"samverka\": a verdict needs its justification: add justification = \"…\" (why the parties judge it so)")
    );
    assert!(problem("[[commitments]]\nid = \"samverka\"\nverdict = \"partly\"\njustification = \"  \"\n")
        .contains("a verdict needs its justification"));
    assert!(problem("[[commitments]]\nid = \"samverka\"\njustification = \"Varför\"\n")
        .starts_with(&format!("{at}:1:1: commitment \"samverka\": a justification without a verdict")));
    assert!(problem("[[commitments]]\nid = \"samverka\"\ncomment = \"a\"\n[[commitments]]\nid = \"samverka\"\n")
        .starts_with(&format!("{at}:5:6: commitment \"samverka\" has notes twice")));
    let unknown = problem("[[commitments]]\nid = \"samverka\"\nverdict = \"klart\"\njustification = \"x\"\n");
    assert!(unknown.starts_with(&format!("{at}:3:11: ")), "{unknown}");
    let key = problem("[[commitments]]\nid = \"samverka\"\nkommentar = \"x\"\n");
    assert!(key.starts_with(&format!("{at}:3:1: ")) && key.contains("kommentar"), "{key}");
    // Every problem at once.
    let two =
        notes("[[commitments]]\nid = \"x\"\n[[commitments]]\nid = \"samverka\"\nverdict = \"achieved\"\n").unwrap_err();
    assert_eq!(two.len(), 2, "{two:#?}");
}

#[test]
fn report_and_check_stop_on_a_broken_notes_file_and_check_asks_for_comments_on_shortfalls() {
    let f = common::Fixture::new();
    let dir = f.path("config/followups/oskarshamn-2021");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("2021-H1.toml"), "[[commitments]]\nid = \"fri-fran-vald\"\nverdict = \"achieved\"\n")
        .unwrap();
    let run = f.lofte(&["report", "--period", "2021-H1", "--format", "json", "--out", "-"]);
    assert_eq!(run.status.code(), Some(2), "{}", common::stderr(&run));
    let err = common::stderr(&run);
    assert!(err.contains("the follow-up notes cannot be used"), "{err}");
    assert!(
        err.contains("2021-H1.toml:3:11: commitment \"fri-fran-vald\": a verdict needs its justification"),
        "{err}"
    );
    let run = f.lofte(&["check"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        common::stderr(&run).contains("a verdict needs its justification")
            || common::stdout(&run).contains("a verdict needs its justification")
    );

    // Fixed: the report carries the assessment, and `check` warns about a published period that falls short
    // without a comment.
    std::fs::write(
        dir.join("2021-H1.toml"),
        "summary = \"Våren gick enligt plan.\"\n[[commitments]]\nid = \"fri-fran-vald\"\nverdict = \"in_progress\"\n\
         justification = \"Utbildningen hålls i september.\"\n",
    )
    .unwrap();
    let run = f.lofte(&["report", "--period", "2021-H1", "--format", "json", "--out", "-"]);
    assert_eq!(run.status.code(), Some(0), "{}", common::stderr(&run));
    let results: Value = serde_json::from_str(&common::stdout(&run)).unwrap();
    assert_eq!(results["summary"], "Våren gick enligt plan.");
    let fri = results["pledges"].as_array().unwrap().iter().find(|c| c["id"] == "fri-fran-vald").unwrap();
    assert_eq!(fri["assessment"]["verdict"], "in_progress");
    assert_eq!(fri["status"], fri["computed_status"], "an at-least target keeps its computed status");

    let run = f.lofte_env(&["publish", "--period", "2021-T2"], &[("LOFTE_NOW", "2021-09-01T09:00:00+02:00")]);
    assert_eq!(run.status.code(), Some(0), "{}", common::stderr(&run));
    let published: Value = serde_json::from_str(&f.read("archive/oskarshamn-2021/2021-T2/results.json")).unwrap();
    let short: Vec<&str> = published["pledges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| ["behind", "at_risk", "not_met", "partly"].contains(&c["status"].as_str().unwrap()))
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(!short.is_empty(), "the sample has commitments that fall short as of 2021-T2");
    let run = f.lofte(&["check"]);
    let out = common::stdout(&run);
    for id in &short {
        assert!(
            out.contains(&format!("2021-T2.toml: commitment {id:?} is ")) && out.contains("has no comment saying why"),
            "{out}"
        );
    }
}

#[test]
fn check_names_notes_files_that_would_never_be_read() {
    let f = common::Fixture::new();
    let dir = f.path("config/followups/oskarshamn-2021");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(f.path("config/followups/oskarshamn2021")).unwrap();
    for name in ["2021-h1.toml", "2021-H3.toml", "2021-H1.tml", "2021-H1.toml"] {
        std::fs::write(dir.join(name), "summary = \"Våren gick enligt plan.\"\n").unwrap();
    }
    let run = f.lofte(&["check"]);
    assert_eq!(run.status.code(), Some(0), "{}", common::stderr(&run));
    let out = common::stdout(&run);
    for never in [
        "2021-h1.toml: never read",
        "2021-H3.toml: never read",
        "2021-H1.tml: never read",
        "oskarshamn2021: never read",
    ] {
        assert!(out.contains(never), "{never:?} in:\n{out}");
    }
    assert!(!out.contains("2021-H1.toml: never read"), "{out}");
}
