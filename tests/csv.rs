//! The CSV source against files as people really export them.

mod common;

use std::sync::Arc;

use lofte::source::csv::{read_bytes, read_glob};
use lofte::source::{Position, RawRecord, SourceError};

fn read(bytes: &[u8]) -> Result<Vec<RawRecord>, String> {
    let mut rows = Vec::new();
    read_bytes(&Arc::from("test"), &Arc::from("test.csv"), bytes, &mut |r| rows.push(r)).map_err(|e| e.to_string())?;
    Ok(rows)
}

fn line(r: &RawRecord) -> u64 {
    match r.locator.position {
        Position::Line(n) => n,
        Position::Index(_) => panic!("a CSV row has a line"),
    }
}

#[test]
fn comma_and_lf_without_bom() {
    let rows = read(b"id,date,party,activity,location\n1,2021-03-01,polisen,hastighetskontroll,Varvsgatan\n").unwrap();
    assert_eq!(rows.len(), 1);
    let f = &rows[0].fields;
    assert_eq!(f.id.as_deref(), Some("1"));
    assert_eq!(f.date.as_deref(), Some("2021-03-01"));
    assert_eq!(f.location.as_deref(), Some("Varvsgatan"));
    assert_eq!(f.count, None);
    assert_eq!(line(&rows[0]), 2);
}

#[test]
fn semicolon_crlf_with_bom_as_excel_writes_it() {
    let rows = read(
        "\u{feff}ID;Datum;Part;Aktivitet;Plats;Antal\r\n7;2021-04-01;Polisen;fotpatrull_skola;Rödsleskolan;2\r\n"
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(rows.len(), 1);
    let f = &rows[0].fields;
    assert_eq!(f.id.as_deref(), Some("7"));
    assert_eq!(f.party.as_deref(), Some("Polisen"));
    assert_eq!(f.location.as_deref(), Some("Rödsleskolan"));
    assert_eq!(f.count.as_deref(), Some("2"));
}

#[test]
fn windows_1252_from_swedish_excel_keeps_the_letters() {
    let (bytes, _, _) = encoding_rs::WINDOWS_1252
        .encode("id;date;party;activity;location\r\n1;2021-04-01;polisen;fotpatrull_skola;Rödsleskolan\r\n");
    assert!(std::str::from_utf8(&bytes).is_err(), "the test input must not be UTF-8");
    let rows = read(&bytes).unwrap();
    assert_eq!(rows[0].fields.location.as_deref(), Some("Rödsleskolan"));
}

#[test]
fn quoted_fields_hold_delimiters_and_newlines_and_lines_stay_right() {
    let text = "id;date;party;activity;note\n1;2021-01-05;polisen;hastighetskontroll;\"Kalmarvägen; 50-sträckan\nandra raden\"\n2;2021-01-06;polisen;hastighetskontroll;\"sa \"\"hej\"\"\"\n";
    let rows = read(text.as_bytes()).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].fields.note.as_deref(), Some("Kalmarvägen; 50-sträckan\nandra raden"));
    assert_eq!(rows[1].fields.note.as_deref(), Some("sa \"hej\""));
    assert_eq!(line(&rows[0]), 2);
    assert_eq!(line(&rows[1]), 4, "the second record starts on line 4, after the two-line note");
}

#[test]
fn headers_in_any_case_and_order_and_extra_columns_are_ignored() {
    let rows =
        read(b"Extra,ACTIVITY,Party,Date,Id,Milestone,Count\nx,lupp_enkat,kommunen,2021-03-16,L1,ak8,1\n").unwrap();
    let f = &rows[0].fields;
    assert_eq!(
        (f.id.as_deref(), f.activity.as_deref(), f.milestone.as_deref(), f.count.as_deref()),
        (Some("L1"), Some("lupp_enkat"), Some("ak8"), Some("1"))
    );
}

#[test]
fn a_missing_required_column_names_it() {
    let err = read(b"id,date,activity\n1,2021-01-01,hastighetskontroll\n").unwrap_err();
    assert!(err.contains("lacks the column(s) party"), "{err}");
    assert!(err.contains("found: id, date, activity"), "{err}");
}

#[test]
fn empty_file_is_an_error_and_header_only_is_no_rows() {
    assert!(read(b"").unwrap_err().contains("the file is empty"));
    assert!(read(b"\r\n  \n").unwrap_err().contains("the file is empty"));
    assert_eq!(read(b"id;date;party;activity\r\n").unwrap().len(), 0);
}

#[test]
fn binary_garbage_and_unknown_encodings_are_refused() {
    let garbage: Vec<u8> = (0u8..=255).cycle().take(4096).collect();
    let err = read(&garbage).unwrap_err();
    assert!(err.contains("neither UTF-8 nor Windows-1252") || err.contains("control characters"), "{err}");
    let err = read(b"id;date;party;activity\n1;2021-01-01;polisen;x\x81y\n").unwrap_err();
    assert!(err.contains("neither UTF-8 nor Windows-1252"), "{err}");
    let err = read(b"id;date;party;activity\n1;2021-01-01;polisen;\x00\x01\x02\n").unwrap_err();
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn rows_with_too_few_fields_still_arrive() {
    let rows = read(b"id,date,party,activity\n1,2021-01-01\n").unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].fields.party, None);
    assert_eq!(rows[0].raw, "1,2021-01-01");
}

#[test]
fn a_glob_reads_every_file_in_path_order_and_no_match_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("b.csv"), "id,date,party,activity\nb1,2021-01-01,polisen,x\n").unwrap();
    std::fs::write(
        dir.path().join("a.csv"),
        "id;date;party;activity\na1;2021-01-01;polisen;x\na2;2021-01-02;polisen;x\n",
    )
    .unwrap();
    let mut rows = Vec::new();
    let pattern = format!("{}/*.csv", dir.path().display());
    let files = read_glob("s", &pattern, &mut |r| rows.push(r)).unwrap();
    assert_eq!(files.len(), 2);
    let ids: Vec<_> = rows.iter().map(|r| r.fields.id.clone().unwrap()).collect();
    assert_eq!(ids, ["a1", "a2", "b1"]);
    assert!(rows[2].locator.origin.ends_with("b.csv"));

    let missing = format!("{}/*.txt", dir.path().display());
    match read_glob("s", &missing, &mut |_| {}) {
        Err(e @ SourceError::NoFiles { .. }) => assert!(e.to_string().contains("no file matches"), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_ten_megabyte_line_is_read_not_a_crash() {
    let mut text = String::from("id,date,party,activity,note\n1,2021-01-01,polisen,hastighetskontroll,");
    text.push_str(&"x".repeat(10 * 1024 * 1024));
    text.push('\n');
    let rows = read(text.as_bytes()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].fields.note.as_ref().map(String::len), Some(10 * 1024 * 1024));
}

/// The same six records exported in every dialect of docs/records.md must give the same accepted set.
#[test]
fn every_dialect_fixture_gives_the_same_accepted_records() {
    let pledge = lofte::config::Config::load(&common::root().join("config/lofte.toml"), &lofte::config::Env::default())
        .unwrap()
        .pledges
        .remove(0);
    let dir = common::root().join("tests/fixtures/dialects");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 6);
    let mut first: Option<(std::path::PathBuf, Vec<String>)> = None;
    for file in files {
        let mut rows = Vec::new();
        lofte::source::csv::read_file(&Arc::from("fixture"), &file, &mut |r| rows.push(r)).unwrap();
        let v = lofte::validate::validate_all(&pledge, rows);
        assert_eq!((v.accepted.len(), v.rejected.len()), (6, 0), "{}: {:?}", file.display(), v.rejected);
        let accepted: Vec<String> = v
            .accepted
            .iter()
            .map(|a| {
                format!(
                    "{} {} {} {} {:?} {} {:?} {:?}",
                    a.id, a.date, a.party, a.commitment, a.location, a.count, a.milestone, a.note
                )
            })
            .collect();
        assert!(accepted[1].contains("Some(\"Rödsleskolan\")"), "{}: {}", file.display(), accepted[1]);
        assert!(accepted[1].contains("Some(\"Lugnt\\nbra samtal\")"), "{}: {}", file.display(), accepted[1]);
        match &first {
            None => first = Some((file, accepted)),
            Some((first_file, expected)) => {
                assert_eq!(&accepted, expected, "{} differs from {}", file.display(), first_file.display());
            }
        }
    }
}

#[test]
fn line_numbers_are_the_same_for_lf_crlf_and_lone_cr_files() {
    // Line 1 header, 2 a record, 3 blank, 4 a record whose quoted note runs over two lines (4–5), 6 a record.
    let lf = "id;date;party;activity;note\n1;2021-04-01;polisen;a;\n\n2;2021-04-02;polisen;a;\"two\nlines\"\n3;2021-04-03;polisen;a;\n";
    for (name, text) in [("LF", lf.to_string()), ("CRLF", lf.replace('\n', "\r\n")), ("CR", lf.replace('\n', "\r"))] {
        let rows = read(text.as_bytes()).unwrap();
        let lines: Vec<u64> = rows.iter().map(line).collect();
        assert_eq!(lines, [2, 4, 6], "{name}");
    }
}
