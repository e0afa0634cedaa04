//! The example documents under `config/pledges/examples/` (SPEC §10): each passes `lofte check`, and for one of
//! them, `bohuslan-2023-2024`, the figures of `results.json` are worked out here again, straight from its CSV.
//!
//! The independent computation reads the CSV as a plain table with the `csv` crate and applies the rules of SPEC
//! §2, §3 and §10 written out below; it uses nothing of lofte's own (no validator, no pledge parser, no progress
//! code), so a mistake in those would show as a difference. Only the binary's `results.json` is compared.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use serde_json::Value;

use common::{lofte_in, root, stderr, stdout};

const EXAMPLES: [&str; 3] = ["bohuslan-2023-2024", "vingelby-2024", "stadsdel-2025"];

const DOCUMENT: &str = "bohuslan-2023-2024";
const MUNICIPALITIES: [&str; 3] = ["Stenungsunds kommun", "Orust kommun", "Tjörns kommun"];
const PARTIES: [&str; 3] = ["polisen", "kommunerna", "raddningstjansten"];

/// The periods the comparison runs for (period, `--as-of`, the as-of date that follows): a first half, a whole
/// first year, a day inside the second year, and the document's end.
const PERIODS: [(&str, Option<&str>, &str); 4] = [
    ("2023-H1", None, "2023-06-30"),
    ("2023", None, "2023-12-31"),
    ("2024", Some("2024-05-15"), "2024-05-15"),
    ("2024", None, "2024-12-31"),
];

/// How a commitment of the document is followed up, as its TOML says (restated here, not parsed).
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    /// At least N per calendar half-year (`per = "half"`).
    PerHalf(u64),
    /// At least N per calendar year (`per = "year"`).
    PerYear(u64),
    /// At least N over the whole period.
    AtLeast(u64),
    /// At least N in each municipality (`each_municipality = true`).
    EachMunicipality(u64),
    /// A measured aim: the latest value counts.
    Outcome,
    /// A count without a promised number.
    Count,
    /// A qualitative promise: evidence, no figure.
    Assessed,
}

struct Commitment {
    id: &'static str,
    parties: &'static [&'static str],
    activities: &'static [&'static str],
    shape: Shape,
}

const COMMITMENTS: [Commitment; 7] = [
    Commitment {
        id: "samverkansmoten",
        parties: &["polisen", "kommunerna"],
        activities: &["samverkansmote"],
        shape: Shape::PerHalf(2),
    },
    Commitment {
        id: "gemensamma-trafikinsatser",
        parties: &["polisen", "raddningstjansten"],
        activities: &["trafiksakerhetsinsats"],
        shape: Shape::AtLeast(8),
    },
    Commitment {
        id: "trygghetsvandringar",
        parties: &["kommunerna"],
        activities: &["trygghetsvandring"],
        shape: Shape::EachMunicipality(2),
    },
    Commitment {
        id: "synlighet-centrum",
        parties: &["polisen"],
        activities: &["fotpatrull", "cykelpatrull", "mobilt_kontor"],
        shape: Shape::PerYear(25),
    },
    Commitment {
        id: "hastighet-matpunkt",
        parties: &["polisen"],
        activities: &["hastighetsmatning"],
        shape: Shape::Outcome,
    },
    Commitment { id: "trafikkontroller", parties: &["polisen"], activities: &["trafikkontroll"], shape: Shape::Count },
    Commitment {
        id: "brandskydd-skolor",
        parties: &["raddningstjansten"],
        activities: &["brandskyddsutbildning"],
        shape: Shape::Assessed,
    },
];

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// Case, accents, spaces and hyphens do not matter when a record names a municipality (SPEC §10).
fn fold(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'å' | 'ä' | 'á' | 'à' => 'a',
            'ö' | 'ó' => 'o',
            'é' | 'è' => 'e',
            'ü' => 'u',
            other => other,
        })
        .collect()
}

/// One accepted row of the CSV.
#[derive(Clone)]
struct Row {
    id: String,
    date: NaiveDate,
    party: String,
    activity: String,
    commitment: usize,
    count: u64,
    municipality: Option<usize>,
    value: Option<f64>,
}

/// The CSV as the rules of SPEC §2 and §10 make it: accepted rows, rejection codes, identical duplicates.
struct Table {
    accepted: Vec<Row>,
    by_reason: BTreeMap<String, u64>,
    rejected: u64,
    duplicates: u64,
}

/// Reads the example's CSV as a plain table and applies the rules. Every deliberately bad row in the file breaks
/// exactly one rule, so the order in which the rules are tried does not decide any row's reason.
fn table() -> Table {
    let path = root().join("config/pledges/examples").join(DOCUMENT).join("aktiviteter.csv");
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    let (id, date, party, activity, count, kommun, value, document) = (
        column("id"),
        column("datum"),
        column("part"),
        column("aktivitet"),
        column("antal"),
        column("kommun"),
        column("värde"),
        column("dokument"),
    );
    let (start, end) = (day("2023-01-01"), day("2024-12-31"));
    let mut out = Table { accepted: Vec::new(), by_reason: BTreeMap::new(), rejected: 0, duplicates: 0 };
    let mut seen: HashMap<String, Vec<String>> = HashMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        let cell = |i: usize| record.get(i).unwrap_or("").trim().to_string();
        let judged = (|| -> Result<Row, &'static str> {
            if [id, date, party, activity].iter().any(|i| cell(*i).is_empty()) {
                return Err("missing_field");
            }
            if !cell(document).is_empty() && cell(document) != DOCUMENT {
                return Err("unknown_document");
            }
            let when = NaiveDate::parse_from_str(&cell(date), "%Y-%m-%d").map_err(|_| "unparsable_date")?;
            if when < start || when > end {
                return Err("date_outside_period");
            }
            let who = cell(party).to_lowercase();
            if !PARTIES.contains(&who.as_str()) {
                return Err("unknown_party");
            }
            let what = cell(activity);
            let c = COMMITMENTS.iter().position(|c| c.activities.contains(&what.as_str())).ok_or("unknown_activity")?;
            if !COMMITMENTS[c].parties.contains(&who.as_str()) {
                return Err("party_mismatch");
            }
            let n = match cell(count).as_str() {
                "" => 1,
                text => text.parse::<u64>().ok().filter(|n| (1..=10_000).contains(n)).ok_or("bad_count")?,
            };
            let measured = match (COMMITMENTS[c].shape, cell(value).as_str()) {
                (Shape::Outcome, "") => return Err("missing_value"),
                (Shape::Outcome, text) => Some(text.replace(',', ".").parse::<f64>().map_err(|_| "bad_value")?),
                _ => None,
            };
            let municipality = match cell(kommun).as_str() {
                "" if matches!(COMMITMENTS[c].shape, Shape::EachMunicipality(_)) => return Err("missing_field"),
                "" => None,
                text => Some(MUNICIPALITIES.iter().position(|m| fold(m) == fold(text)).ok_or("unknown_municipality")?),
            };
            Ok(Row {
                id: cell(id),
                date: when,
                party: who,
                activity: what,
                commitment: c,
                count: n,
                municipality,
                value: measured,
            })
        })();
        match judged {
            Err(code) => {
                out.rejected += 1;
                *out.by_reason.entry(code.to_string()).or_default() += 1;
            }
            Ok(row) => {
                let cells: Vec<String> = record.iter().map(str::to_string).collect();
                match seen.get(&row.id) {
                    Some(first) if *first == cells => out.duplicates += 1,
                    Some(_) => panic!("the example holds no conflicting duplicates, but {} is one", row.id),
                    None => {
                        seen.insert(row.id.clone(), cells);
                        out.accepted.push(row);
                    }
                }
            }
        }
    }
    out
}

/// The calendar units of a rate over the pledge period that have started by `as_of`, as (start, end).
fn buckets(months: u32, as_of: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    for year in 2023..=2024 {
        let mut first = 1;
        while first <= 12 {
            let start = NaiveDate::from_ymd_opt(year, first, 1).unwrap();
            let next = if first + months > 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap()
            } else {
                NaiveDate::from_ymd_opt(year, first + months, 1).unwrap()
            };
            if start <= as_of {
                out.push((start, next.pred_opt().unwrap()));
            }
            first += months;
        }
    }
    out
}

fn lofte_json(period: &str, as_of: Option<&str>, scratch: &Path) -> Value {
    let config = root().join("config/pledges/examples").join(DOCUMENT).join("lofte.toml");
    let (archive, state) = (scratch.join("archive"), scratch.join("state"));
    let mut args = vec![
        "--config",
        config.to_str().unwrap(),
        "--archive-dir",
        archive.to_str().unwrap(),
        "--state-dir",
        state.to_str().unwrap(),
        "report",
        "--period",
        period,
        "--format",
        "json",
        "--out",
        "-",
    ];
    if let Some(d) = as_of {
        args.extend(["--as-of", d]);
    }
    let out = lofte_in(&root(), &args);
    assert_eq!(out.status.code(), Some(0), "lofte report {period} failed: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn sums(rows: &[&Row], key: impl Fn(&Row) -> Option<String>) -> BTreeMap<String, u64> {
    let mut map = BTreeMap::new();
    for r in rows {
        if let Some(k) = key(r) {
            *map.entry(k).or_default() += r.count;
        }
    }
    map
}

fn json_map(value: &Value) -> BTreeMap<String, u64> {
    value.as_object().map_or_else(BTreeMap::new, |m| m.iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).collect())
}

#[test]
fn bohuslan_results_match_figures_worked_out_from_the_csv() {
    let t = table();
    // The file's deliberate bad rows (docs: config/pledges/examples/README.md), one of each kind.
    let expected_reasons: BTreeMap<String, u64> = [
        "bad_value",
        "date_outside_period",
        "missing_field",
        "missing_value",
        "party_mismatch",
        "unknown_document",
        "unknown_municipality",
    ]
    .into_iter()
    .map(|c| (c.to_string(), 1))
    .collect();
    assert_eq!(t.by_reason, expected_reasons, "the independent reading of the CSV itself");
    let scratch = tempfile::tempdir().unwrap();

    for (period, as_of, until) in PERIODS {
        let json = lofte_json(period, as_of, scratch.path());
        let d = day(until);
        let what = format!("{period} as of {d}");
        assert_eq!(json["as_of"], d.to_string(), "{what}");

        let records = &json["records"];
        assert_eq!(records["accepted"].as_u64(), Some(t.accepted.len() as u64), "{what}: accepted");
        assert_eq!(records["rejected"].as_u64(), Some(t.rejected), "{what}: rejected");
        assert_eq!(records["duplicates"].as_u64(), Some(t.duplicates), "{what}: duplicates");
        assert_eq!(json_map(&records["by_reason"]), t.by_reason, "{what}: by_reason");
        let after = t.accepted.iter().filter(|r| r.date > d).count() as u64;
        assert_eq!(records["after_as_of"].as_u64(), Some(after), "{what}: after_as_of");

        let pledges = json["pledges"].as_array().unwrap();
        assert_eq!(pledges.len(), COMMITMENTS.len(), "{what}");
        for (i, (c, p)) in COMMITMENTS.iter().zip(pledges).enumerate() {
            let rows: Vec<&Row> = t.accepted.iter().filter(|r| r.commitment == i && r.date <= d).collect();
            check_commitment(&format!("{what}, {}", c.id), c, p, &rows, d);
        }
    }
}

/// Compares one commitment of `results.json` with the figures of its accepted rows dated on or before `d`.
fn check_commitment(what: &str, c: &Commitment, p: &Value, rows: &[&Row], d: NaiveDate) {
    assert_eq!(p["id"], c.id, "{what}");
    let total: u64 = rows.iter().map(|r| r.count).sum();
    match c.shape {
        Shape::Outcome => {
            let latest = rows.iter().enumerate().max_by_key(|(n, r)| (r.date, *n)).and_then(|(_, r)| r.value);
            assert_eq!(p["achieved"].as_f64(), latest, "{what}: latest measurement");
            let measured: Vec<f64> =
                p["outcome"]["measurements"].as_array().unwrap().iter().map(|m| m["value"].as_f64().unwrap()).collect();
            let mut ours: Vec<&Row> = rows.to_vec();
            ours.sort_by_key(|r| r.date);
            assert_eq!(measured, ours.iter().filter_map(|r| r.value).collect::<Vec<_>>(), "{what}");
            return;
        }
        Shape::Assessed => {
            assert!(p["achieved"].is_null(), "{what}: an assessed promise sums nothing");
            assert_eq!(p["status"], "not_assessed", "{what}");
            assert_eq!(p["evidence"].as_array().map_or(0, Vec::len), rows.len(), "{what}: evidence");
            return;
        }
        _ => assert_eq!(p["achieved"].as_u64(), Some(total), "{what}: achieved"),
    }

    let mut by_municipality: BTreeMap<String, u64> = MUNICIPALITIES.iter().map(|m| ((*m).to_string(), 0)).collect();
    by_municipality.extend(sums(rows, |r| r.municipality.map(|m| MUNICIPALITIES[m].to_string())));
    assert_eq!(json_map(&p["by_municipality"]), by_municipality, "{what}: by_municipality");

    let mut by_year: BTreeMap<String, u64> = (2023..=d.year()).map(|y| (y.to_string(), 0)).collect();
    by_year.extend(sums(rows, |r| Some(r.date.year().to_string())));
    assert_eq!(json_map(&p["by_year"]), by_year, "{what}: by_year");

    if c.activities.len() > 1 {
        let mut by_activity: BTreeMap<String, u64> = c.activities.iter().map(|a| ((*a).to_string(), 0)).collect();
        by_activity.extend(sums(rows, |r| Some(r.activity.clone())));
        assert_eq!(json_map(&p["by_activity"]), by_activity, "{what}: by_activity");
    }
    if c.parties.len() > 1 {
        let mut by_party: BTreeMap<String, u64> = c.parties.iter().map(|a| ((*a).to_string(), 0)).collect();
        by_party.extend(sums(rows, |r| Some(r.party.clone())));
        assert_eq!(json_map(&p["by_party"]), by_party, "{what}: by_party");
    }
    check_target(what, c.shape, p, rows, d, &by_municipality);
}

/// The target-specific part: buckets of a rate, coverage of each municipality, the status where it follows
/// directly from the figures.
fn check_target(
    what: &str,
    shape: Shape,
    p: &Value,
    rows: &[&Row],
    d: NaiveDate,
    by_municipality: &BTreeMap<String, u64>,
) {
    let total: u64 = rows.iter().map(|r| r.count).sum();
    match shape {
        Shape::PerHalf(target) | Shape::PerYear(target) => {
            let months = if matches!(shape, Shape::PerHalf(_)) { 6 } else { 12 };
            let ours = buckets(months, d);
            let theirs = p["by_bucket"].as_array().unwrap();
            assert_eq!(theirs.len(), ours.len(), "{what}: buckets started by as-of");
            for ((start, end), b) in ours.into_iter().zip(theirs) {
                let sum: u64 = rows.iter().filter(|r| r.date >= start && r.date <= end).map(|r| r.count).sum();
                assert_eq!(b["start"], start.to_string(), "{what}");
                assert_eq!(b["end"], end.to_string(), "{what}");
                assert_eq!(b["target"].as_u64(), Some(target), "{what}");
                assert_eq!(b["achieved"].as_u64(), Some(sum), "{what}: bucket {start}");
                if end < d {
                    let status = if sum >= target { "achieved" } else { "not_met" };
                    assert_eq!(b["status"], status, "{what}: completed bucket {start}");
                }
            }
        }
        Shape::EachMunicipality(target) => {
            let uncovered: Vec<String> =
                MUNICIPALITIES.iter().filter(|m| by_municipality[**m] < target).map(|m| (*m).to_string()).collect();
            let theirs: Vec<String> = p["uncovered"]
                .as_array()
                .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            assert_eq!(theirs, uncovered, "{what}: municipalities below the target");
            if d == day("2024-12-31") {
                let status = if uncovered.is_empty() { "achieved" } else { "not_met" };
                assert_eq!(p["status"], status, "{what}: final status");
            }
        }
        Shape::AtLeast(target) => {
            assert_eq!(p["target"].as_u64(), Some(target), "{what}");
            if total >= target {
                assert_eq!(p["status"], "achieved", "{what}");
            }
        }
        Shape::Count => {
            assert!(p["target"].is_null(), "{what}: no number was promised");
            assert_eq!(p["status"], if total > 0 { "active" } else { "not_started" }, "{what}");
        }
        Shape::Outcome | Shape::Assessed => {}
    }
}

#[test]
fn every_example_passes_check() {
    let scratch = tempfile::tempdir().unwrap();
    for name in EXAMPLES {
        let config = root().join("config/pledges/examples").join(name).join("lofte.toml");
        let (archive, state) = (scratch.path().join(name).join("archive"), scratch.path().join(name).join("state"));
        let out = lofte_in(
            &root(),
            &[
                "--config",
                config.to_str().unwrap(),
                "--archive-dir",
                archive.to_str().unwrap(),
                "--state-dir",
                state.to_str().unwrap(),
                "check",
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{name}: {}\n{}", stdout(&out), stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("has no problems"), "{name}: {text}");
        assert!(text.contains(&format!("document {name}:")), "{name}: {text}");
        // Each example keeps a few deliberately bad rows of the reasons SPEC §10 adds.
        for reason in ["unknown_municipality", "missing_value", "bad_value", "unknown_document"] {
            assert!(text.contains(&format!("  {reason}: ")), "{name}: no deliberate {reason} row in\n{text}");
        }
    }
}

/// A document that ends mid-year has its final report under its end year's name, as of its last day; a half or a
/// tertial after its end has none, so the schedule cannot publish the final report twice.
#[test]
fn a_document_ending_mid_year_has_its_final_report_under_its_end_year() {
    let scratch = tempfile::tempdir().unwrap();
    let folder = scratch.path().join("bohuslan");
    common::copy_dir(&root().join("config/pledges/examples").join(DOCUMENT), &folder);
    let pledge = folder.join(format!("{DOCUMENT}.toml"));
    let text = std::fs::read_to_string(&pledge).unwrap().replace("end = 2024-12-31", "end = 2024-09-30");
    std::fs::write(&pledge, text).unwrap();
    let config = folder.join("lofte.toml");
    let report = |period: &str| {
        lofte_in(&root(), &["--config", config.to_str().unwrap(), "report", "--period", period, "--format", "json"])
    };
    let out = report("2024");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["period"], "2024");
    assert_eq!(json["as_of"], "2024-09-30");
    assert_eq!(json["days_elapsed"], json["days_total"], "the final report covers the whole document");
    let out = report("2024-T3");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("as-of date 2024-12-31 is outside the pledge period"), "{}", stderr(&out));
}
