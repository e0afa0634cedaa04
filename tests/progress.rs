//! The progress engine: every status of every target kind at its boundaries, breakdowns, provenance, and the
//! shipped sample's results.json checked against figures computed here, independently of lofte's validation.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use lofte::period::Period;
use lofte::pledge::{self, Pledge};
use lofte::progress::status::{at_least, milestones};
use lofte::progress::{compute, ProgressError, Status};
use lofte::source::csv::read_bytes;
use lofte::validate::{validate_all, Validated};
use serde_json::Value;

fn d(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

#[test]
fn at_least_status_at_every_boundary() {
    use Status::{Achieved, AtRisk, Behind, NotMet, NotStarted, OnTrack};
    // (target, achieved, elapsed days, total days, expected status, why)
    let cases = [
        (52, 52, 100, 365, Achieved, "exactly on target"),
        (52, 60, 100, 365, Achieved, "over target"),
        (52, 51, 365, 365, NotMet, "last day, one short"),
        (52, 52, 365, 365, Achieved, "last day, on target"),
        (52, 0, 1, 365, NotStarted, "first day, nothing due yet (expected 0.14)"),
        (52, 1, 1, 365, OnTrack, "first day, one done"),
        (365, 0, 1, 365, Behind, "expected exactly 1 is due: not 'not started'"),
        (365, 0, 0, 365, NotStarted, "nothing elapsed"),
        (365, 10, 10, 365, OnTrack, "exactly on expected_by_now"),
        (365, 9, 10, 365, AtRisk, "just under expected"),
        (365, 8, 10, 365, AtRisk, "exactly 0.8 of expected"),
        (365, 7, 10, 365, Behind, "under 0.8 of expected"),
        (52, 20, 181, 365, Behind, "H1: 20 of 25.79 is 0.776"),
        (52, 21, 181, 365, AtRisk, "H1: 21 of 25.79 is 0.814"),
        (52, 26, 181, 365, OnTrack, "H1: 26 ≥ 25.79"),
        (366, 60, 60, 366, OnTrack, "leap year: 29 February, exactly on pace"),
        (366, 48, 60, 366, AtRisk, "leap year: exactly 0.8"),
        (151, 150, 200, 365, OnTrack, "increase over 150 is at least 151"),
        (151, 150, 365, 365, NotMet, "equal to the baseline is no increase"),
        (1, 0, 364, 365, NotStarted, "SPEC: a single walk is never due (expected < 1) before the last day"),
    ];
    for (target, achieved, elapsed, total, expected, why) in cases {
        assert_eq!(at_least(target, achieved, elapsed, total), expected, "{why}");
    }
}

#[test]
fn milestone_status_in_every_state() {
    assert_eq!(milestones(2, 2, false), Status::Achieved);
    assert_eq!(milestones(2, 2, true), Status::Achieved);
    assert_eq!(milestones(1, 2, false), Status::InProgress);
    assert_eq!(milestones(0, 2, false), Status::NotStarted);
    assert_eq!(milestones(1, 2, true), Status::NotMet);
    assert_eq!(milestones(0, 2, true), Status::NotMet);
}

/// A leap-year document with one of each target kind.
fn leap_pledge() -> Pledge {
    let text = r#"
id = "testby-2024"
title = "Test"
municipality = "Testby kommun"
police_area = "LPO Test"
[period]
start = 2024-01-01
end = 2024-12-31
[signed]
date = 2024-01-15
place = "Testby"
[[activities]]
kind = "patrull"
label = "Patrull"
[[activities]]
kind = "enkat"
label = "Enkät"
[[activities]]
kind = "inlagg"
label = "Inlägg"
[[activities]]
kind = "aterrapportering"
label = "Återrapportering"
[[activities]]
kind = "vandring"
label = "Vandring"
[[commitments]]
id = "patruller"
party = "polisen"
activity = "patrull"
title = "Patruller"
text = "Minst 366 patruller."
target_kind = "at_least"
target = 366
places = ["Åskolan", "Östra skolan"]
[[commitments]]
id = "enkater"
party = "kommunen"
activity = "enkat"
title = "Enkäter"
text = "Två enkäter."
target_kind = "milestones"
[[commitments.milestones]]
key = "a"
label = "A"
[[commitments.milestones]]
key = "b"
label = "B"
[[commitments]]
id = "inlagg"
party = "polisen"
activity = "inlagg"
title = "Inlägg"
text = "Fler inlägg."
target_kind = "increase"
baseline = 9
[[commitments]]
id = "aterrapportering"
party = "polisen"
activity = "aterrapportering"
title = "Återrapportering"
text = "Minst två gånger."
target_kind = "at_least"
target = 2
counts_publications = true
[[commitments]]
id = "vandring"
party = "kommunen"
activity = "vandring"
title = "Vandring"
text = "En vandring."
target_kind = "at_least"
target = 1
"#;
    pledge::parse(Path::new("test.toml"), text).unwrap()
}

fn records(pledge: &Pledge, rows: &str) -> Validated {
    let text = format!("id,date,party,activity,location,count,milestone\n{rows}");
    let mut raw = Vec::new();
    read_bytes(&Arc::from("t"), &Arc::from("t.csv"), text.as_bytes(), &mut |r| raw.push(r)).unwrap();
    let v = validate_all(pledge, raw);
    assert!(v.rejected.is_empty(), "{:?}", v.rejected);
    v
}

const LEAP_ROWS: &str = "\
p1,2024-01-10,polisen,patrull,Åskolan,30,
p3,2024-02-29,polisen,patrull,åskolan,29,
p4,2024-04-02,polisen,patrull,Åskolan,5,
e1,2024-02-01,kommunen,enkat,,,a
e2,2024-11-01,kommunen,enkat,,,b
i1,2024-01-05,polisen,inlagg,,4,
i2,2024-03-01,polisen,inlagg,,1,
";

#[test]
fn leap_year_as_of_29_february() {
    let pledge = leap_pledge();
    let v = records(&pledge, LEAP_ROWS);
    let period = Period::parse("2024").unwrap().with_as_of(d("2024-02-29"));
    let p = compute(&pledge, &period, &v, &[]).unwrap();
    assert_eq!((p.days_elapsed, p.days_total), (60, 366));
    let patrols = &p.pledges[0];
    assert_eq!(patrols.achieved, 59, "p1 30 + p3 29 (written åskolan)");
    assert_eq!(patrols.expected_by_now, Some(60.0));
    assert_eq!(patrols.status, Status::AtRisk, "59 of 60 is at risk, not on track");
    assert_eq!(patrols.forecast, Some(59.0 * 366.0 / 60.0));
    assert_eq!(patrols.by_month, BTreeMap::from([("2024-01".into(), 30), ("2024-02".into(), 29)]));
    assert_eq!(patrols.by_location, BTreeMap::from([("Åskolan".into(), 59), ("Östra skolan".into(), 0)]));
    assert_eq!(patrols.provenance.achieved, ["p1", "p3"]);
    assert_eq!(patrols.provenance.by_month["2024-02"], ["p3"]);
    assert_eq!(p.records.after_as_of, 3, "p4, e2 and i2 lie after 29 February");
}

#[test]
fn records_after_as_of_are_not_counted_and_empty_months_are_zero() {
    let pledge = leap_pledge();
    let v = records(&pledge, "p1,2024-01-10,polisen,patrull,Åskolan,3,\np2,2024-04-10,polisen,patrull,Åskolan,3,\np3,2024-04-11,polisen,patrull,Åskolan,3,\n");
    let period = Period::parse("2024").unwrap().with_as_of(d("2024-04-10"));
    let p = compute(&pledge, &period, &v, &[]).unwrap();
    let patrols = &p.pledges[0];
    assert_eq!(patrols.achieved, 6);
    assert_eq!(p.records.after_as_of, 1);
    assert_eq!(
        patrols.by_month,
        BTreeMap::from([("2024-01".into(), 3), ("2024-02".into(), 0), ("2024-03".into(), 0), ("2024-04".into(), 3)])
    );
}

#[test]
fn a_commitment_with_no_records_and_as_of_on_the_first_day() {
    let pledge = leap_pledge();
    let v = records(&pledge, "");
    let p = compute(&pledge, &Period::parse("2024").unwrap().with_as_of(d("2024-01-01")), &v, &[]).unwrap();
    assert_eq!(p.days_elapsed, 1);
    for c in &p.pledges {
        assert_eq!(c.achieved, 0, "{}", c.id);
        assert!(c.by_month.values().all(|n| *n == 0), "{}", c.id);
    }
    let patrols = &p.pledges[0];
    assert_eq!(patrols.status, Status::Behind, "366 × 1/366 = 1 patrol was due on day one");
    assert_eq!(patrols.by_month, BTreeMap::from([("2024-01".into(), 0)]));
    assert_eq!(patrols.forecast, Some(0.0));
    assert_eq!(p.pledges[1].status, Status::NotStarted, "milestones: none done");
    assert_eq!(p.pledges[4].status, Status::NotStarted, "one walk: 1/366 due");
}

#[test]
fn as_of_on_the_last_day_decides_met_or_not_met() {
    let pledge = leap_pledge();
    let v = records(&pledge, LEAP_ROWS);
    let p = compute(&pledge, &Period::parse("2024").unwrap(), &v, &[d("2024-06-30"), d("2024-12-31")]).unwrap();
    assert_eq!(p.as_of, d("2024-12-31"));
    let status: HashMap<&str, Status> = p.pledges.iter().map(|c| (c.id.as_str(), c.status)).collect();
    assert_eq!(status["patruller"], Status::NotMet, "64 of 366");
    assert_eq!(status["enkater"], Status::Achieved, "a and b done");
    assert_eq!(status["inlagg"], Status::NotMet, "5 posts against a baseline of 9");
    assert_eq!(status["aterrapportering"], Status::Achieved, "two publications");
    assert_eq!(status["vandring"], Status::NotMet);
    let enkater = &p.pledges[1];
    assert_eq!((enkater.target, enkater.achieved), (2, 2));
    assert_eq!(enkater.expected_by_now, None);
    let inlagg = &p.pledges[2];
    assert_eq!((inlagg.target, inlagg.baseline), (10, Some(9)));
}

#[test]
fn publications_count_toward_aterrapportering_up_to_as_of() {
    let pledge = leap_pledge();
    let v = records(&pledge, "a1,2024-03-03,polisen,aterrapportering,,,\n");
    let period = Period::parse("2024-H1").unwrap();
    let p = compute(&pledge, &period, &v, &[d("2024-06-30"), d("2024-12-31")]).unwrap();
    let c = &p.pledges[3];
    assert_eq!(c.publications, 1, "the H2 publication lies after as-of");
    assert_eq!(c.achieved, 2, "one recorded activity and one publication");
    assert_eq!(c.status, Status::Achieved);
    assert_eq!(c.by_month["2024-06"], 1);
    assert_eq!(c.by_month["2024-03"], 1);
    assert_eq!(p.pledges[0].publications, 0, "other commitments do not count publications");
}

#[test]
fn milestones_in_progress_half_way() {
    let pledge = leap_pledge();
    let v = records(&pledge, LEAP_ROWS);
    let p = compute(&pledge, &Period::parse("2024-H1").unwrap(), &v, &[]).unwrap();
    let enkater = &p.pledges[1];
    assert_eq!(enkater.status, Status::InProgress);
    assert_eq!(enkater.milestones, BTreeMap::from([("a".into(), true), ("b".into(), false)]));
}

#[test]
fn an_as_of_date_outside_the_pledge_is_a_clear_error() {
    let pledge = leap_pledge();
    let v = records(&pledge, "");
    let err = compute(&pledge, &Period::parse("2025-H1").unwrap(), &v, &[]).unwrap_err();
    assert!(matches!(err, ProgressError::AsOfOutsidePeriod { .. }));
    assert_eq!(
        err.to_string(),
        "as-of date 2025-06-30 is outside the pledge period of testby-2024 (2024-01-01 – 2024-12-31): choose a period or --as-of date inside it"
    );
}

/// The sample's rows, read here with the csv crate and cleaned by the rules the generator was built with: the
/// designed bad rows have ids OSK21-9xxx or none, and an id seen with two different contents is out.
fn independent_sample() -> Vec<BTreeMap<String, String>> {
    let bytes = std::fs::read(common::root().join("config/data/oskarshamn-2021.csv")).unwrap();
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap()).unwrap();
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<BTreeMap<String, String>> = reader
        .records()
        .map(|r| headers.iter().zip(r.unwrap().iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect())
        .collect();
    let mut by_id: HashMap<String, Vec<&BTreeMap<String, String>>> = HashMap::new();
    for r in &rows {
        by_id.entry(r["id"].clone()).or_default().push(r);
    }
    let mut clean = Vec::new();
    let mut taken = std::collections::HashSet::new();
    for r in &rows {
        let id = &r["id"];
        if id.is_empty() || id.starts_with("OSK21-9") || by_id[id].iter().any(|o| *o != r) || !taken.insert(id.clone())
        {
            continue;
        }
        clean.push(r.clone());
    }
    clean
}

#[test]
fn the_samples_results_json_matches_figures_computed_independently() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.json");
    let run = common::lofte_in(
        &common::root(),
        &["report", "--period", "2021-H1", "--format", "json", "--edition", "internal", "--out", out.to_str().unwrap()],
    );
    assert_eq!(run.status.code(), Some(0), "{}", common::stderr(&run));
    let json: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(json["document"], "oskarshamn-2021");
    assert_eq!(json["period"], "2021-H1");
    assert_eq!(json["as_of"], "2021-06-30");

    let rows = independent_sample();
    let h1: Vec<&BTreeMap<String, String>> = rows.iter().filter(|r| r["date"].as_str() <= "2021-06-30").collect();
    let count = |r: &BTreeMap<String, String>| r["count"].parse::<u64>().unwrap_or(1);
    let (elapsed, total): (f64, f64) = (181.0, 365.0);
    let targets = [
        ("hastighetskontroller", "hastighetskontroll", 52.0),
        ("motorburen-ungdom", "trafikkontroll_ungdom", 2.0),
        ("fotpatrull-skolor", "fotpatrull_skola", 20.0),
        ("trygghetsvandring", "trygghetsvandring", 1.0),
        ("fri-fran-vald", "utbildning_fri_fran_vald", 1.0),
        ("sociala-medier", "inlagg_sociala_medier", 151.0),
        ("aterrapportering", "aterrapportering", 2.0),
    ];
    let pledges = json["pledges"].as_array().unwrap();
    assert_eq!(pledges.len(), 8);
    for (id, activity, target) in targets {
        let p = pledges.iter().find(|p| p["id"] == id).unwrap();
        let mine: Vec<_> = h1.iter().filter(|r| r["activity"] == activity).collect();
        let achieved: u64 = mine.iter().map(|r| count(r)).sum();
        let expected = (target * elapsed / total * 100.0).round() / 100.0;
        let forecast = (achieved as f64 * total / elapsed * 100.0).round() / 100.0;
        assert_eq!(p["target"].as_f64(), Some(target), "{id}");
        assert_eq!(p["achieved"].as_u64(), Some(achieved), "{id}");
        assert_eq!(p["expected_by_now"].as_f64(), Some(expected), "{id}");
        assert_eq!(p["forecast"].as_f64(), Some(forecast), "{id}");
        let a = achieved as f64;
        let status = if a >= target {
            "achieved"
        } else if a == 0.0 && target * elapsed / total < 1.0 {
            "not_started"
        } else if a >= target * elapsed / total {
            "on_track"
        } else if a >= 0.8 * target * elapsed / total {
            "at_risk"
        } else {
            "behind"
        };
        assert_eq!(p["status"], status, "{id}");
        // Every month January–June is present, zero or not.
        for m in 1..=6 {
            let key = format!("2021-{m:02}");
            let sum: u64 = mine.iter().filter(|r| r["date"].starts_with(&key)).map(|r| count(r)).sum();
            assert_eq!(p["by_month"][&key].as_u64(), Some(sum), "{id} {key}");
        }
        assert_eq!(p["by_month"].as_object().unwrap().len(), 6, "{id}");
        assert_eq!(p["provenance"]["achieved"].as_array().unwrap().len(), mine.len(), "{id}");
    }
    // The four schools, by the name the pledge uses, however the row spelt it.
    let patrols = pledges.iter().find(|p| p["id"] == "fotpatrull-skolor").unwrap();
    for school in ["Vallhallaskolan", "Kristinebergskolan", "Rödsleskolan", "Oscarsgymnasiet"] {
        let n = h1
            .iter()
            .filter(|r| {
                r["activity"] == "fotpatrull_skola" && r["location"].trim().to_lowercase() == school.to_lowercase()
            })
            .count() as u64;
        assert_eq!(patrols["by_location"][school].as_u64(), Some(n), "{school}");
    }
    let lupp = pledges.iter().find(|p| p["id"] == "lupp-enkat").unwrap();
    let ak8 = h1.iter().any(|r| r["milestone"] == "ak8");
    let gy2 = h1.iter().any(|r| r["milestone"] == "gy2");
    assert_eq!(lupp["milestones"]["ak8"].as_bool(), Some(ak8));
    assert_eq!(lupp["milestones"]["gy2"].as_bool(), Some(gy2));
    assert_eq!(
        lupp["status"],
        if ak8 && gy2 {
            "achieved"
        } else if ak8 || gy2 {
            "in_progress"
        } else {
            "not_started"
        }
    );

    // Records: designed bad rows are rejected, the identical copy is a duplicate, the conflict is two rejections.
    let all_rows = std::fs::read_to_string(common::root().join("config/data/oskarshamn-2021.csv")).unwrap();
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(all_rows.as_bytes());
    let n_rows = reader.records().count() as u64;
    let records = &json["records"];
    assert_eq!(records["duplicates"].as_u64(), Some(1));
    assert_eq!(records["accepted"].as_u64(), Some(rows.len() as u64));
    assert_eq!(records["rejected"].as_u64(), Some(n_rows - rows.len() as u64 - 1));
}

#[test]
fn the_public_results_carry_no_record_ids() {
    let run = common::lofte_in(&common::root(), &["report", "--period", "2021-H1", "--format", "json", "--out", "-"]);
    assert_eq!(run.status.code(), Some(0), "{}", common::stderr(&run));
    let text = common::stdout(&run);
    assert!(!text.contains("OSK21-"), "a record id leaked into the public results");
    assert!(!text.contains("provenance"));
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["edition"], "public");
}

#[test]
fn report_refuses_an_as_of_date_outside_the_pledge_with_exit_code_2() {
    let run = common::lofte_in(
        &common::root(),
        &["report", "--period", "2021-H1", "--as-of", "2022-01-10", "--format", "json"],
    );
    assert_eq!(run.status.code(), Some(2));
    assert!(common::stderr(&run).contains("as-of date 2022-01-10 is outside the pledge period of oskarshamn-2021"));
    let run = common::lofte_in(&common::root(), &["report", "--period", "2021-Q1", "--format", "json"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(common::stderr(&run).contains("period \"2021-Q1\" is not understood"));
    let run = common::lofte_in(&common::root(), &["report", "--period", "2030", "--format", "json"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(common::stderr(&run).contains("no pledge document in config/lofte.toml covers 2030"));
}
