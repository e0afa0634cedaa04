//! The progress engine: every status of every target kind at its boundaries, breakdowns, provenance, and the
//! shipped sample's results.json checked against figures computed here, independently of lofte's validation.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
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
    assert_eq!(patrols.count(), 59, "p1 30 + p3 29 (written åskolan)");
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
    assert_eq!(patrols.count(), 6);
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
        assert_eq!(c.count(), 0, "{}", c.id);
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
    assert_eq!((enkater.target, enkater.count()), (Some(2), 2));
    assert_eq!(enkater.expected_by_now, None);
    let inlagg = &p.pledges[2];
    assert_eq!((inlagg.target, inlagg.baseline), (Some(10), Some(9)));
}

#[test]
fn publications_count_toward_aterrapportering_up_to_as_of() {
    let pledge = leap_pledge();
    let v = records(&pledge, "a1,2024-03-03,polisen,aterrapportering,,,\n");
    let period = Period::parse("2024-H1").unwrap();
    let p = compute(&pledge, &period, &v, &[d("2024-06-30"), d("2024-12-31")]).unwrap();
    let c = &p.pledges[3];
    assert_eq!(c.publications, 1, "the H2 publication lies after as-of");
    assert_eq!(c.count(), 2, "one recorded activity and one publication");
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

/// A commitment of the shipped pledge document (config/pledges/oskarshamn-2021.toml), as the rules below need it.
struct Commitment {
    id: &'static str,
    activity: &'static str,
    party: &'static str,
    /// The at-least target; for milestones, the number of milestones. With `baseline_from`, what is needed over the
    /// baseline counted from records (1 for an increase: more than last year).
    target: u64,
    places: &'static [&'static str],
    milestones: &'static [&'static str],
    /// The span (first and last day) before the pledge period whose rows of the commitment are its baseline: they are
    /// accepted, but count toward the baseline only, never toward the achieved figure.
    baseline_from: Option<(&'static str, &'static str)>,
}

const SCHOOLS: &[&str] = &["Vallhallaskolan", "Kristinebergskolan", "Rödsleskolan", "Oscarsgymnasiet"];

const COMMITMENTS: [Commitment; 8] = [
    Commitment {
        id: "hastighetskontroller",
        activity: "hastighetskontroll",
        party: "polisen",
        target: 52,
        places: &[],
        milestones: &[],
        baseline_from: None,
    },
    Commitment {
        id: "motorburen-ungdom",
        activity: "trafikkontroll_ungdom",
        party: "polisen",
        target: 2,
        places: &[],
        milestones: &[],
        baseline_from: None,
    },
    Commitment {
        id: "fotpatrull-skolor",
        activity: "fotpatrull_skola",
        party: "polisen",
        target: 20,
        places: SCHOOLS,
        milestones: &[],
        baseline_from: None,
    },
    Commitment {
        id: "lupp-enkat",
        activity: "lupp_enkat",
        party: "kommunen",
        target: 2,
        places: &[],
        milestones: &["ak8", "gy2"],
        baseline_from: None,
    },
    Commitment {
        id: "trygghetsvandring",
        activity: "trygghetsvandring",
        party: "kommunen",
        target: 1,
        places: &[],
        milestones: &[],
        baseline_from: None,
    },
    Commitment {
        id: "fri-fran-vald",
        activity: "utbildning_fri_fran_vald",
        party: "kommunen",
        target: 1,
        places: &[],
        milestones: &[],
        baseline_from: None,
    },
    Commitment {
        id: "sociala-medier",
        activity: "inlagg_sociala_medier",
        party: "polisen",
        // More posts than in 2020: one more than the 2020 rows' sum.
        target: 1,
        places: &[],
        milestones: &[],
        baseline_from: Some(("2020-01-01", "2020-12-31")),
    },
    Commitment {
        id: "aterrapportering",
        activity: "aterrapportering",
        party: "polisen",
        target: 2,
        places: &[],
        milestones: &[],
        baseline_from: None,
    },
];

/// A row that passed the field rules (docs/records.md, checks 1–10).
#[derive(Debug, Clone, PartialEq)]
struct Row {
    id: String,
    date: NaiveDate,
    /// The row lies in its commitment's `baseline_from` span.
    baseline: bool,
    commitment: usize,
    location: Option<String>,
    count: u64,
    milestone: Option<String>,
    note: Option<String>,
}

/// A place name without case, accents, spaces or hyphens: "rodsle skolan" and "RÖDSLESKOLAN" are "rodsleskolan".
fn fold_place(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'å' | 'ä' | 'à' | 'á' | 'â' | 'ã' => out.push('a'),
            'ö' | 'ø' | 'ò' | 'ó' | 'ô' | 'õ' => out.push('o'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'ü' | 'ù' | 'ú' | 'û' => out.push('u'),
            'í' | 'ì' | 'î' | 'ï' => out.push('i'),
            // Combining accents (a decomposed "ö"), white space and hyphens do not count.
            '\u{300}'..='\u{36f}' | '-' => {}
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// `YYYY-MM-DD`, or a timestamp `YYYY-MM-DD HH:MM[:SS]` (space or `T`) whose date is used.
fn record_date(text: &str) -> Option<NaiveDate> {
    let (day, time) = (text.get(..10)?, text.get(10..)?);
    let b = day.as_bytes();
    let shape = b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    if !shape {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(day[..4].parse().ok()?, day[5..7].parse().ok()?, day[8..].parse().ok()?)?;
    if time.is_empty() {
        return Some(date);
    }
    let time = time.strip_prefix(' ').or_else(|| time.strip_prefix('T'))?;
    let ok = chrono::NaiveTime::parse_from_str(time, "%H:%M:%S").is_ok()
        || chrono::NaiveTime::parse_from_str(time, "%H:%M").is_ok();
    ok.then_some(date)
}

/// Checks 1–10 of docs/records.md on one row (values trimmed, empty meaning absent): the row, or the reason code.
fn check(field: &dyn Fn(&str) -> Option<String>) -> Result<Row, &'static str> {
    let (Some(id), Some(date), Some(party), Some(activity)) =
        (field("id"), field("date"), field("party"), field("activity"))
    else {
        return Err("missing_field");
    };
    let date = record_date(&date).ok_or("unparsable_date")?;
    let (start, end) = (NaiveDate::from_ymd_opt(2021, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2021, 12, 31).unwrap());
    // Outside the pledge period, a row of a commitment that counts its baseline from that day is kept for it.
    let baseline = (date < start || date > end)
        && COMMITMENTS.iter().find(|c| c.activity == activity).and_then(|c| c.baseline_from).is_some_and(
            |(first, last)| first.parse::<NaiveDate>().unwrap() <= date && date <= last.parse::<NaiveDate>().unwrap(),
        );
    if (date < start || date > end) && !baseline {
        return Err("date_outside_period");
    }
    if date > chrono::Utc::now().date_naive() {
        return Err("date_in_future");
    }
    let party = party.to_lowercase();
    if party != "polisen" && party != "kommunen" {
        return Err("unknown_party");
    }
    let commitment = COMMITMENTS.iter().position(|c| c.activity == activity).ok_or("unknown_activity")?;
    let c = &COMMITMENTS[commitment];
    if c.party != party {
        return Err("party_mismatch");
    }
    let count = match field("count") {
        None => 1,
        Some(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => match text.parse::<u64>() {
            Ok(n) if (1..=10_000).contains(&n) => n,
            _ => return Err("bad_count"),
        },
        Some(_) => return Err("bad_count"),
    };
    let location = if c.places.is_empty() {
        field("location")
    } else {
        let given = fold_place(&field("location").unwrap_or_default());
        let place = c.places.iter().find(|p| fold_place(p) == given).ok_or("location_not_allowed")?;
        Some((*place).to_string())
    };
    let milestone = match field("milestone") {
        None if c.milestones.is_empty() => None,
        Some(m) => {
            Some(c.milestones.iter().find(|k| k.eq_ignore_ascii_case(&m)).ok_or("unknown_milestone")?.to_string())
        }
        None => return Err("unknown_milestone"),
    };
    Ok(Row { id, date, baseline, commitment, location, count, milestone, note: field("note") })
}

/// The shipped sample as docs/records.md's rules make it, applied here row by row.
struct Sample {
    rows: usize,
    accepted: Vec<Row>,
    duplicates: usize,
    /// Reason code → rejected rows.
    rejected: BTreeMap<&'static str, usize>,
}

fn sample() -> Sample {
    let bytes = std::fs::read(common::root().join("config/data/oskarshamn-2021.csv")).unwrap();
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap()).unwrap();
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').flexible(true).from_reader(text.as_bytes());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(|h| h.trim().to_lowercase()).collect();
    assert_eq!(headers, ["id", "date", "party", "activity", "location", "count", "milestone", "note"]);
    let (mut rows, mut duplicates) = (0, 0);
    let mut rejected: BTreeMap<&'static str, usize> = BTreeMap::new();
    // In input order: the row, and whether a later row with its id contradicted it.
    let mut accepted: Vec<(Row, bool)> = Vec::new();
    for record in reader.records() {
        let record = record.unwrap();
        rows += 1;
        let field = |name: &str| {
            let value = headers.iter().position(|h| h == name).and_then(|i| record.get(i)).unwrap_or("").trim();
            (!value.is_empty()).then(|| value.to_string())
        };
        let row = match check(&field) {
            Ok(row) => row,
            Err(code) => {
                *rejected.entry(code).or_default() += 1;
                continue;
            }
        };
        // One source here, so the key is the id. Identical content counts once; other content puts out both rows,
        // and every later row with the id.
        match accepted.iter_mut().find(|(earlier, _)| earlier.id == row.id) {
            None => accepted.push((row, false)),
            Some((earlier, false)) if *earlier == row => duplicates += 1,
            Some((_, conflict)) => {
                if !*conflict {
                    *conflict = true;
                    *rejected.entry("conflicting_duplicate").or_default() += 1;
                }
                *rejected.entry("conflicting_duplicate").or_default() += 1;
            }
        }
    }
    let accepted = accepted.into_iter().filter(|(_, conflict)| !conflict).map(|(row, _)| row).collect();
    Sample { rows, accepted, duplicates, rejected }
}

/// `YYYY-MM` of a date.
fn month(date: NaiveDate) -> String {
    date.format("%Y-%m").to_string()
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `by_month`, `by_location` and the provenance of the achieved figure of commitment `c`, from its rows up to as-of.
fn breakdowns(at: &str, c: &Commitment, mine: &[&Row], as_of: NaiveDate, p: &Value) {
    // Every month from January to as-of, zero or not.
    let mut by_month: BTreeMap<String, u64> = (1..=as_of.month()).map(|m| (format!("2021-{m:02}"), 0)).collect();
    for r in mine {
        *by_month.get_mut(&month(r.date)).unwrap() += r.count;
    }
    assert_eq!(serde_json::from_value::<BTreeMap<String, u64>>(p["by_month"].clone()).unwrap(), by_month, "{at}");
    // Every school (by the document's spelling, however the row spelt it); elsewhere each place given.
    let mut by_location: BTreeMap<String, u64> = c.places.iter().map(|s| ((*s).to_string(), 0)).collect();
    for r in mine {
        if let Some(place) = &r.location {
            *by_location.entry(place.clone()).or_default() += r.count;
        }
    }
    assert_eq!(serde_json::from_value::<BTreeMap<String, u64>>(p["by_location"].clone()).unwrap(), by_location, "{at}");
    let ids: Vec<&str> = mine.iter().map(|r| r.id.as_str()).collect();
    let provenance: Vec<&str> =
        p["provenance"]["achieved"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(provenance, ids, "{at}");
}

/// Target, achieved, expected by now, forecast and status of commitment `c` (docs/progress.md, in whole numbers),
/// from its rows up to as-of and its baseline rows; returns what it adds to its party's `by_party` sum.
fn figures(at: &str, c: &Commitment, mine: &[&Row], baseline: &[&Row], elapsed: u64, p: &Value) -> u64 {
    let total = 365;
    let t = if c.baseline_from.is_some() {
        let counted: u64 = baseline.iter().map(|r| r.count).sum();
        assert_eq!(p["baseline"].as_u64(), Some(counted), "{at}: the baseline is the sum of its span's rows");
        counted + c.target
    } else {
        assert!(baseline.is_empty(), "{at}");
        c.target
    };
    assert_eq!(p["target"].as_u64(), Some(t), "{at}");
    if c.milestones.is_empty() {
        let a: u64 = mine.iter().map(|r| r.count).sum();
        assert_eq!(p["achieved"].as_u64(), Some(a), "{at}");
        let expected = round2(t as f64 * elapsed as f64 / total as f64);
        assert_eq!(p["expected_by_now"].as_f64(), Some(expected), "{at}");
        assert_eq!(p["forecast"].as_f64(), Some(round2(a as f64 * total as f64 / elapsed as f64)), "{at}");
        let status = if a >= t {
            "achieved"
        } else if elapsed >= total {
            "not_met"
        } else if a == 0 && t * elapsed < total {
            "not_started"
        } else if a * total >= t * elapsed {
            "on_track"
        } else if 5 * a * total >= 4 * t * elapsed {
            "at_risk"
        } else {
            "behind"
        };
        assert_eq!(p["status"], status, "{at}");
        a
    } else {
        // A milestone is done when a row up to as-of names it.
        let done: BTreeMap<String, bool> = c
            .milestones
            .iter()
            .map(|k| ((*k).to_string(), mine.iter().any(|r| r.milestone.as_deref() == Some(*k))))
            .collect();
        let n_done = done.values().filter(|d| **d).count() as u64;
        assert_eq!(serde_json::from_value::<BTreeMap<String, bool>>(p["milestones"].clone()).unwrap(), done, "{at}");
        assert_eq!(p["achieved"].as_u64(), Some(n_done), "{at}");
        assert_eq!((&p["expected_by_now"], &p["forecast"]), (&Value::Null, &Value::Null), "{at}");
        let status = if n_done == t {
            "achieved"
        } else if elapsed >= total {
            "not_met"
        } else if n_done > 0 {
            "in_progress"
        } else {
            "not_started"
        };
        assert_eq!(p["status"], status, "{at}");
        // Milestone commitments are left out of by_party.
        0
    }
}

#[test]
fn the_samples_results_json_matches_the_record_rules_applied_here() {
    let sample = sample();
    // The shipped sample: 275 rows of 2021, one identical repeat, 12 designed bad rows (docs/records.md, one or two of
    // each reason a person makes), and the 12 month totals of 2020 that sociala-medier counts its baseline from.
    assert_eq!((sample.rows, sample.accepted.len(), sample.duplicates), (287, 274, 1));
    let baseline: Vec<&Row> = sample.accepted.iter().filter(|r| r.baseline).collect();
    assert_eq!(baseline.len(), 12);
    assert!(baseline.iter().all(|r| COMMITMENTS[r.commitment].id == "sociala-medier" && r.date.year() == 2020));
    assert_eq!(baseline.iter().map(|r| r.count).sum::<u64>(), 180);
    let expected_reasons = BTreeMap::from([
        ("bad_count", 1),
        ("conflicting_duplicate", 2),
        ("date_outside_period", 1),
        ("location_not_allowed", 2),
        ("missing_field", 2),
        ("party_mismatch", 1),
        ("unknown_activity", 1),
        ("unknown_milestone", 1),
        ("unparsable_date", 1),
    ]);
    assert_eq!(sample.rejected, expected_reasons);

    let f = common::Fixture::new();
    for (period, as_of, elapsed) in [("2021-H1", "2021-06-30", 181_u64), ("2021", "2021-12-31", 365)] {
        let run =
            f.lofte(&["report", "--period", period, "--format", "json", "--edition", "internal", "--out", "r.json"]);
        assert_eq!(run.status.code(), Some(0), "{}", common::stderr(&run));
        let json: Value = serde_json::from_slice(&std::fs::read(f.path("r.json")).unwrap()).unwrap();
        assert_eq!(json["document"], "oskarshamn-2021");
        assert_eq!(json["period"], period);
        assert_eq!(json["as_of"], as_of);
        assert_eq!((json["days_elapsed"].as_u64(), json["days_total"].as_u64()), (Some(elapsed), Some(365)));
        let as_of: NaiveDate = as_of.parse().unwrap();

        let records = &json["records"];
        let counted: Vec<&Row> = sample.accepted.iter().filter(|r| r.date <= as_of).collect();
        assert_eq!(records["accepted"].as_u64(), Some(sample.accepted.len() as u64), "{period}");
        assert_eq!(records["rejected"].as_u64(), Some(sample.rejected.values().sum::<usize>() as u64), "{period}");
        assert_eq!(records["duplicates"].as_u64(), Some(sample.duplicates as u64), "{period}");
        let after = (sample.accepted.len() - counted.len()) as u64;
        assert_eq!(records["after_as_of"].as_u64(), Some(after), "{period}");
        let by_reason: BTreeMap<String, u64> = serde_json::from_value(records["by_reason"].clone()).unwrap();
        let expected: BTreeMap<String, u64> =
            sample.rejected.iter().map(|(code, n)| ((*code).to_string(), *n as u64)).collect();
        assert_eq!(by_reason, expected, "{period}");

        let pledges = json["pledges"].as_array().unwrap();
        assert_eq!(
            pledges.iter().map(|p| p["id"].as_str().unwrap()).collect::<Vec<_>>(),
            COMMITMENTS.iter().map(|c| c.id).collect::<Vec<_>>()
        );
        let mut by_party: BTreeMap<&str, u64> = BTreeMap::from([("kommunen", 0), ("polisen", 0)]);
        for (index, (c, p)) in COMMITMENTS.iter().zip(pledges).enumerate() {
            let (baseline, mine): (Vec<&Row>, Vec<&Row>) =
                counted.iter().copied().filter(|r| r.commitment == index).partition(|r| r.baseline);
            let at = format!("{period} {}", c.id);
            breakdowns(&at, c, &mine, as_of, p);
            *by_party.get_mut(c.party).unwrap() += figures(&at, c, &mine, &baseline, elapsed, p);
        }
        let json_by_party: BTreeMap<String, u64> = serde_json::from_value(json["by_party"].clone()).unwrap();
        let by_party: BTreeMap<String, u64> = by_party.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        assert_eq!(json_by_party, by_party, "{period}");
    }
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
    assert!(common::stderr(&run).contains("no pledge document in config/lofte.toml covers 2030 (as of 2030-12-31)"));
}
