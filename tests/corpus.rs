//! The bad-input corpus (`tests/fixtures/corpus/`): every file gives a clear error or rejected rows with reasons,
//! never a panic and never a silent drop. (The 10 MB line is made at test time in `tests/csv.rs`.)

mod common;

use std::sync::Arc;

use common::{stderr, stdout, Fixture};
use lofte::config::{Config, Env};
use lofte::source::csv::read_bytes;
use lofte::validate::validate_all;

/// (file, exit code of `lofte check --records FILE`, text the user must see)
const CORPUS: [(&str, i32, &str); 8] = [
    ("empty.csv", 2, "the file is empty"),
    ("header-only.csv", 0, "0 rows read, 0 accepted, 0 rejected"),
    ("binary-garbage.csv", 2, "neither UTF-8 nor Windows-1252"),
    ("not-utf8-nor-1252.csv", 2, "neither UTF-8 nor Windows-1252 (byte 0x81"),
    ("bad-dates.csv", 0, "unparsable_date: 4"),
    ("bad-counts.csv", 0, "bad_count: 4"),
    ("ragged-rows.csv", 0, "3 rows read, 1 accepted, 2 rejected"),
    ("unclosed-quote.csv", 2, "line 2: a quote opens a field that is never closed"),
];

#[test]
fn every_corpus_file_gives_a_clear_error_or_reasons_for_every_row() {
    let corpus = common::root().join("tests/fixtures/corpus");
    let mut files: Vec<String> =
        std::fs::read_dir(&corpus).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    let mut listed: Vec<&str> = CORPUS.iter().map(|c| c.0).collect();
    listed.sort_unstable();
    assert_eq!(files, listed, "every corpus file has an expectation here");

    let f = Fixture::new();
    let pledge = Config::load(&f.config(), &Env::default()).unwrap().pledges.remove(0);
    for (file, code, text) in CORPUS {
        let path = corpus.join(file);
        let out = f.lofte(&["check", "--records", path.to_str().unwrap()]);
        let shown = format!("{}{}", stdout(&out), stderr(&out));
        assert_eq!(out.status.code(), Some(code), "{file}: {shown}");
        assert!(shown.contains(text), "{file}: {text:?} not in\n{shown}");
        if code == 2 {
            assert!(shown.contains(file), "{file}: the error names the file");
        }
        // In the library too: the reader returns an error or rows, and validation loses none.
        let bytes = std::fs::read(&path).unwrap();
        let mut rows = Vec::new();
        if read_bytes(&Arc::from("c"), &Arc::from(file), &bytes, &mut |r| rows.push(r)).is_ok() {
            let n = rows.len();
            let v = validate_all(&pledge, rows);
            assert_eq!(v.accepted.len() + v.rejected.len() + v.duplicates, n, "{file}");
            assert!(v.rejected.iter().all(|r| !r.reason.to_string().is_empty()), "{file}");
        }
    }
}
