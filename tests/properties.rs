//! Property tests: the CSV reader never panics, and validation never loses a row:
//! accepted + rejected + duplicates = rows read = rows written.

mod common;

use std::sync::Arc;

use lofte::config::{Config, Env};
use lofte::generate::{SampleRow, Writer};
use lofte::source::csv::read_bytes;
use lofte::validate::validate_all;
use proptest::prelude::*;

fn field(choices: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(choices).prop_map(str::to_string),
        1 => "[ -~åäöÅÄÖ;,\"\n]{0,12}",
    ]
}

fn row() -> impl Strategy<Value = SampleRow> {
    (
        field(&["A", "B", "C", "D", ""]),
        field(&["2021-03-01", "2021-07-15 10:00", "2020-12-31", "2021-02-30", ""]),
        field(&["polisen", "Kommunen", "länsstyrelsen", ""]),
        field(&["hastighetskontroll", "fotpatrull_skola", "lupp_enkat", "trygghetsvandring", "okänd"]),
        field(&["Rödsleskolan", "rodsle skolan", "Stadsparken", ""]),
        field(&["", "1", "3", "0", "-3", "1,5", "99999999999"]),
        field(&["", "ak8", "gy2", "ak9"]),
        field(&["", "anteckning; med \"citat\"\noch radbrytning"]),
    )
        .prop_map(|(id, date, party, activity, location, count, milestone, note)| SampleRow {
            id,
            date,
            party,
            activity,
            location,
            count,
            milestone,
            note,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn no_row_is_lost(rows in proptest::collection::vec(row(), 0..40), semicolon in any::<bool>()) {
        let pledge = Config::load(&common::root().join("config/lofte.toml"), &Env::default()).unwrap().pledges.remove(0);
        let mut bytes = Vec::new();
        let mut writer = Writer::new(&mut bytes, if semicolon { b';' } else { b',' }).unwrap();
        for r in &rows {
            writer.row(r).unwrap();
        }
        let mut read = Vec::new();
        read_bytes(&Arc::from("p"), &Arc::from("p.csv"), &bytes, &mut |r| read.push(r)).unwrap();
        prop_assert_eq!(read.len(), rows.len());
        let v = validate_all(&pledge, read);
        prop_assert_eq!(v.rows, rows.len());
        prop_assert_eq!(v.accepted.len() + v.rejected.len() + v.duplicates, v.rows);
        // Every row is accounted for by its input position, once.
        let mut positions: Vec<usize> = v.accepted.iter().map(|a| a.row).chain(v.rejected.iter().map(|r| r.row)).collect();
        positions.sort_unstable();
        positions.dedup();
        prop_assert_eq!(positions.len(), v.accepted.len() + v.rejected.len());
    }

    #[test]
    fn the_reader_never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let mut n = 0;
        let _ = read_bytes(&Arc::from("p"), &Arc::from("p.csv"), &bytes, &mut |_| n += 1);
    }

    #[test]
    fn the_reader_never_panics_on_text_that_looks_like_csv(text in "[a-z0-9;,\"\r\n åäö-]{0,400}") {
        let header = format!("id;date;party;activity\n{text}");
        let mut n = 0;
        let _ = read_bytes(&Arc::from("p"), &Arc::from("p.csv"), header.as_bytes(), &mut |_| n += 1);
    }
}
