//! A baseline counted from the records of an earlier span (`baseline_from`, issue 16): the shipped sample counts
//! `sociala-medier`'s from 2020 instead of an example figure, and `publish --approve-as` runs the whole reviewed job
//! on it in one step.

mod common;

use std::path::Path;

use lofte::period::Period;
use lofte::pledge::{self, Pledge, Target};
use lofte::progress::{compute, counted_baselines};
use lofte::source::{Fields, Locator, Position, RawRecord};
use lofte::validate::validate_all;
use serde_json::Value;

fn doc(body: &str) -> Result<Pledge, Vec<lofte::problem::Problem>> {
    let text = format!(
        "id = \"testby-2021\"\ntitle = \"T\"\nmunicipality = \"Testby kommun\"\npolice_area = \"LPO\"\n\
         [period]\nstart = 2021-01-01\nend = 2021-12-31\n[signed]\ndate = 2021-01-01\nplace = \"Testby\"\n\
         [[activities]]\nkind = \"inlagg\"\nlabel = \"Inlägg\"\n\
         [[commitments]]\nid = \"c\"\ntitle = \"C\"\ntext = \"Vi lovar.\"\nparty = \"polisen\"\nactivity = \"inlagg\"\n{body}\n"
    );
    pledge::parse(Path::new("p.toml"), &text)
}

fn problem(body: &str) -> String {
    let problems = doc(body).expect_err("refused");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    problems[0].to_string()
}

fn record(i: usize, date: &str, count: u32) -> RawRecord {
    RawRecord {
        locator: Locator { source: "s".into(), origin: "t".into(), position: Position::Line(i as u64 + 2) },
        fields: Fields {
            id: Some(format!("r{i}")),
            date: Some(date.into()),
            party: Some("polisen".into()),
            activity: Some("inlagg".into()),
            count: Some(count.to_string()),
            ..Fields::default()
        },
        raw: String::new(),
    }
}

#[test]
fn baseline_from_is_checked_with_line_and_column() {
    let span = "baseline_from = { start = 2020-01-01, end = 2020-12-31 }";
    let count = problem(&format!("target_kind = \"count\"\n{span}"));
    assert!(
        count.starts_with(
            "p.toml:21:17: commitment \"c\": baseline_from applies to an increase or a decrease target only"
        ),
        "{count}"
    );
    assert!(problem(&format!("target_kind = \"increase\"\nbaseline = 3\n{span}"))
        .contains("give either baseline = N or baseline_from = { start, end }, not both"));
    assert!(problem("target_kind = \"increase\"\nbaseline_from = { start = 2020-06-01, end = 2021-01-01 }")
        .contains("baseline_from must end before the pledge period starts (2021-01-01)"));
    assert!(problem("target_kind = \"increase\"\nbaseline_from = { start = 2020-06-01, end = 2020-01-01 }")
        .contains("baseline_from ends (2020-01-01) before it starts (2020-06-01)"));
    assert!(problem(&format!("target_kind = \"increase\"\n{span}\nbaseline_is_example = true"))
        .contains("a baseline counted from records is no example"));
    assert!(problem("target_kind = \"increase\"").contains("needs `baseline = N`, or `baseline_from"));
    let ok = doc(&format!("target_kind = \"decrease\"\n{span}")).unwrap();
    assert_eq!(
        ok.commitments[0].baseline_from.map(|(s, e)| (s.to_string(), e.to_string())),
        Some(("2020-01-01".into(), "2020-12-31".into()))
    );
}

#[test]
fn the_records_of_the_span_count_toward_the_baseline_and_nothing_else() {
    let p = doc("target_kind = \"increase\"\nbaseline_from = { start = 2020-01-01, end = 2020-12-31 }").unwrap();
    let records = vec![
        record(0, "2019-12-31", 50), // before the span: outside the pledge period, rejected
        record(1, "2020-01-01", 4),  // first day of the span
        record(2, "2020-12-31", 6),  // last day of the span
        record(3, "2021-01-02", 3),  // in the pledge period
        record(4, "2021-03-01", 2),
    ];
    let validated = validate_all(&p, records);
    let codes: Vec<&str> = validated.rejected.iter().map(|r| r.reason.code()).collect();
    assert_eq!(codes, ["date_outside_period"]);
    assert_eq!(validated.accepted.iter().filter(|r| r.baseline).count(), 2);
    let counted = counted_baselines(&p, &validated);
    assert_eq!(counted.commitments[0].target, Target::Increase { baseline: 10, baseline_is_example: false });
    let progress = compute(&counted, &Period::parse("2021-H1").unwrap(), &validated, &[]).unwrap();
    let c = &progress.pledges[0];
    assert_eq!((c.baseline, c.target, c.count()), (Some(10), Some(11), 5), "last year's records are not this year's");
    assert_eq!(c.by_month.values().sum::<u64>(), 5);
    assert!(!c.provenance.achieved.contains(&"r1".to_string()));
    assert_eq!(progress.records.accepted, 4, "baseline records are accepted rows");
    // Without any record in the span the baseline is 0: more than nothing.
    let none = validate_all(&p, vec![record(0, "2021-02-01", 1)]);
    assert_eq!(counted_baselines(&p, &none).commitments[0].target.at_least(), Some(1));
}

#[test]
fn the_shipped_sample_is_drafted_and_approved_in_one_step_with_its_counted_baseline() {
    let f = common::Fixture::reviewed();
    let now = [("LOFTE_NOW", "2021-07-01T09:00:00+02:00")];
    let run = f.lofte_env(&["publish", "--period", "2021-H1", "--approve-as", "Anders Pleijel, lokalpolischef"], &now);
    assert_eq!(run.status.code(), Some(0), "{}", common::stderr(&run));
    let out = common::stdout(&run);
    assert!(
        out.contains("drafted oskarshamn-2021 2021-H1")
            && out.contains("approved oskarshamn-2021 2021-H1 by Anders Pleijel"),
        "{out}"
    );
    let outbox: Vec<String> = std::fs::read_dir(f.path("outbox"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    let count = |role: &str| outbox.iter().filter(|n| n.contains(role)).count();
    assert_eq!((count("police_chief"), count("board_chair"), count("public_list")), (1, 1, 1), "{outbox:?}");
    let results: Value = serde_json::from_str(&f.read("site/oskarshamn-2021/2021-H1/results.json")).unwrap();
    let social = results["pledges"].as_array().unwrap().iter().find(|c| c["id"] == "sociala-medier").unwrap();
    assert_eq!((social["baseline"].as_u64(), social["target"].as_u64()), (Some(180), Some(181)));
    let manifest: Value = serde_json::from_str(&f.read("archive/oskarshamn-2021/2021-H1/manifest.json")).unwrap();
    assert_eq!(manifest["review"]["state"], "approved");
    assert_eq!(manifest["review"]["approved_by"], "Anders Pleijel, lokalpolischef");
    // `check` has no example figure to warn about any more.
    let check = f.lofte(&["check"]);
    assert!(!common::stdout(&check).contains("example figure"), "{}", common::stdout(&check));
    assert!(common::stdout(&check).contains("more than in 2020-01-01 – 2020-12-31"));
}

#[test]
fn approve_as_without_review_is_refused() {
    let f = common::Fixture::new();
    let run = f.lofte_env(
        &["publish", "--period", "2021-H1", "--approve-as", "X"],
        &[("LOFTE_NOW", "2021-07-01T09:00:00+02:00")],
    );
    assert_eq!(run.status.code(), Some(2));
    assert!(common::stderr(&run).contains("--approve-as needs review on"), "{}", common::stderr(&run));
    assert!(!f.path("archive/oskarshamn-2021").exists(), "nothing was published");
}
