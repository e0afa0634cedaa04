//! Record validation: every reason of docs/records.md, what the user sees, and that nothing is lost.

mod common;

use std::sync::Arc;

use lofte::config::{Config, Env};
use lofte::pledge::Pledge;
use lofte::source::csv::read_bytes;
use lofte::validate::{validate_all, Reason, Validated};

fn pledge() -> Pledge {
    Config::load(&common::root().join("config/lofte.toml"), &Env::default()).unwrap().pledges.remove(0)
}

/// Validates CSV text with the header `id;date;party;activity;location;count;milestone;note`.
fn validate(rows: &str) -> Validated {
    let text = format!("id;date;party;activity;location;count;milestone;note\n{rows}");
    let mut records = Vec::new();
    read_bytes(&Arc::from("s"), &Arc::from("t.csv"), text.as_bytes(), &mut |r| records.push(r)).unwrap();
    let v = validate_all(&pledge(), records);
    assert_eq!(v.accepted.len() + v.rejected.len() + v.duplicates, v.rows, "no row may be lost");
    v
}

/// The one rejection of a one-row input, with its message.
fn rejection(row: &str) -> (Reason, String) {
    let v = validate(&format!("{row}\n"));
    assert_eq!(v.rejected.len(), 1, "{row} should be rejected: {v:?}");
    assert_eq!(v.rejected[0].raw, row, "the raw row is kept");
    let r = v.rejected.into_iter().next().unwrap();
    (r.reason.clone(), r.reason.to_string())
}

#[test]
fn a_good_row_is_accepted_with_its_fields() {
    let v = validate("A1;2021-09-14 07:45;POLISEN;fotpatrull_skola;rodsle skolan;2;;Lugnt\n");
    assert_eq!(v.rejected, []);
    let a = &v.accepted[0];
    assert_eq!(a.date.to_string(), "2021-09-14", "the date of a timestamp is used");
    assert_eq!(a.location.as_deref(), Some("Rödsleskolan"), "the school as the pledge spells it");
    assert_eq!(a.count, 2);
    assert_eq!(a.note.as_deref(), Some("Lugnt"));
}

#[test]
fn missing_fields() {
    for (row, field) in [
        (";2021-01-04;polisen;hastighetskontroll;;;;", "id"),
        ("A;;polisen;hastighetskontroll;;;;", "date"),
        ("A;2021-01-04;;hastighetskontroll;;;;", "party"),
        ("A;2021-01-04;polisen;;;;;", "activity"),
    ] {
        let (reason, message) = rejection(row);
        assert!(matches!(reason, Reason::MissingField { field: f } if f == field), "{reason:?}");
        assert_eq!(message, format!("missing field {field}"));
    }
}

#[test]
fn unparsable_dates() {
    for date in ["2021-02-30", "15/3/2021", "2021-3-5", "20210305", "2021-03-05x"] {
        let (reason, message) = rejection(&format!("A;{date};polisen;hastighetskontroll;;;;"));
        assert_eq!(reason.code(), "unparsable_date", "{date}");
        assert_eq!(message, format!("date {date:?} is not a date like 2021-03-15"));
    }
}

#[test]
fn date_outside_the_pledge_period() {
    let (reason, message) = rejection("A;2022-01-01;polisen;hastighetskontroll;;;;");
    assert_eq!(reason.code(), "date_outside_period");
    assert_eq!(message, "date 2022-01-01 is outside the pledge period");
}

#[test]
fn unknown_party() {
    let (_, message) = rejection("A;2021-01-04;länsstyrelsen;hastighetskontroll;;;;");
    assert_eq!(message, "party \"länsstyrelsen\" is not a party of the pledge document");
}

#[test]
fn unknown_activity() {
    let (_, message) = rejection("A;2021-01-04;polisen;fartkontroll;;;;");
    assert_eq!(message, "activity \"fartkontroll\" is not an activity kind of the pledge document");
}

#[test]
fn activity_and_party_that_do_not_match() {
    let (_, message) = rejection("A;2021-01-04;kommunen;hastighetskontroll;;;;");
    assert_eq!(message, "activity \"hastighetskontroll\" is a commitment of polisen, but the record says kommunen");
}

#[test]
fn counts_that_are_not_positive_integers() {
    for count in ["0", "-3", "1,5", "1.5", "9999999999999", "+2", "två", "10001"] {
        let (reason, message) = rejection(&format!("A;2021-01-04;polisen;hastighetskontroll;;{count};;"));
        assert_eq!(reason.code(), "bad_count", "{count}");
        assert_eq!(message, format!("count {count:?} is not a whole number from 1 to 10000"));
    }
}

#[test]
fn location_not_among_the_schools() {
    let (_, message) = rejection("A;2021-01-04;polisen;fotpatrull_skola;Stadsparken;;;");
    assert_eq!(
        message,
        "location \"Stadsparken\" is not one of Vallhallaskolan, Kristinebergskolan, Rödsleskolan, Oscarsgymnasiet"
    );
    let (reason, _) = rejection("A;2021-01-04;polisen;fotpatrull_skola;;;;");
    assert_eq!(reason.code(), "location_not_allowed", "a patrol must name its school");
}

#[test]
fn unknown_or_missing_milestone() {
    let (_, message) = rejection("A;2021-03-16;kommunen;lupp_enkat;;;ak9;");
    assert_eq!(message, "milestone \"ak9\" is not a milestone of this commitment");
    let (_, message) = rejection("A;2021-03-16;kommunen;lupp_enkat;;;;");
    assert_eq!(message, "milestone missing");
    let (_, message) = rejection("A;2021-03-16;polisen;hastighetskontroll;;;ak8;");
    assert_eq!(message, "milestone \"ak8\" is not a milestone of this commitment");
}

#[test]
fn identical_duplicates_count_once_and_conflicts_keep_both_out() {
    let v = validate(
        "A;2021-01-04;polisen;hastighetskontroll;Fårbo;;;\n\
         B;2021-01-05;polisen;hastighetskontroll;Fårbo;;;\n\
         A;2021-01-04;polisen;hastighetskontroll;Fårbo;;;\n\
         B;2021-01-05;polisen;hastighetskontroll;Fårbo;2;;\n",
    );
    assert_eq!(v.rows, 4);
    assert_eq!(v.duplicates, 1);
    assert_eq!(v.accepted.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["A"]);
    assert_eq!(v.rejected.len(), 2);
    for r in &v.rejected {
        assert_eq!(r.id.as_deref(), Some("B"));
        assert_eq!(r.reason.to_string(), "id \"B\" appears again with different content; both rows are kept out");
    }
    // Kept in input order, with their lines.
    assert_eq!(v.rejected[0].locator.to_string(), "t.csv:3");
    assert_eq!(v.rejected[1].locator.to_string(), "t.csv:5");
}

#[test]
fn the_same_id_in_two_sources_is_two_records() {
    let text = "id;date;party;activity\nA;2021-01-04;polisen;hastighetskontroll\n";
    let mut records = Vec::new();
    for source in ["polisens-export", "kommunens-export"] {
        read_bytes(&Arc::from(source), &Arc::from("x.csv"), text.as_bytes(), &mut |r| records.push(r)).unwrap();
    }
    let v = validate_all(&pledge(), records);
    assert_eq!((v.accepted.len(), v.duplicates), (2, 0));
}

#[test]
fn check_prints_a_data_quality_summary_for_records_given_on_the_command_line() {
    let f = common::Fixture::new();
    std::fs::write(
        f.path("extra.csv"),
        "id,date,party,activity,location\n\
         1,2021-01-04,polisen,hastighetskontroll,Fårbo\n\
         2,2021-02-30,polisen,hastighetskontroll,Fårbo\n\
         3,2021-02-31,polisen,hastighetskontroll,Fårbo\n\
         4,2021-01-04,kommunen,hastighetskontroll,Fårbo\n",
    )
    .unwrap();
    let out = f.lofte(&["check", "--records", "extra.csv"]);
    let text = common::stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert!(text.contains("4 rows read, 1 accepted, 3 rejected, 0 identical duplicates"), "{text}");
    assert!(text.contains("  unparsable_date: 2\n"), "{text}");
    assert!(text.contains("extra.csv:3 id 2: date \"2021-02-30\" is not a date like 2021-03-15"), "{text}");
    assert!(text.contains("  party_mismatch: 1\n"), "{text}");
    assert!(text.contains("records: csv extra.csv (--records)"), "{text}");
}

#[test]
fn check_fails_closed_when_a_source_cannot_be_read() {
    let f = common::Fixture::new();
    let out = f.lofte(&["check", "--records", "missing.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(err.contains("no file matches \"missing.csv\""), "{err}");
}
