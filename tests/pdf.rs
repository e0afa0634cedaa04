//! The PDF report, parsed back with lopdf: the figures of results.json, the schools' names, the status labels,
//! nothing internal in the public edition, metadata, and byte-identical output for the same generation time.

mod common;

use std::fmt::Write as _;

use common::{stderr, Fixture};
use serde_json::Value;

const AT: &str = "2021-07-01T07:00:00Z";

fn render(f: &Fixture, extra: &[&str], edition: &str, out: &str) -> Vec<u8> {
    let mut args: Vec<&str> = extra.to_vec();
    args.extend(["report", "--period", "2021-H1", "--edition", edition, "--generated-at", AT, "--out", out]);
    let run = f.lofte(&args);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    std::fs::read(f.path(out)).unwrap()
}

fn results(f: &Fixture, extra: &[&str]) -> Value {
    let mut args: Vec<&str> = extra.to_vec();
    args.extend(["report", "--period", "2021-H1", "--format", "json", "--out", "results.json"]);
    let run = f.lofte(&args);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    serde_json::from_slice(&std::fs::read(f.path("results.json")).unwrap()).unwrap()
}

fn text(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).expect("a valid PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("text")
}

/// "25.79" as the Swedish report writes it: "25,79"; whole numbers as they are.
fn swedish(x: f64) -> String {
    let s = format!("{:.2}", (x * 100.0).round() / 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    s.replace('.', ",")
}

#[test]
fn the_public_report_shows_every_figure_of_results_json() {
    let f = Fixture::new();
    let json = results(&f, &[]);
    let pdf = render(&f, &[], "public", "public.pdf");
    assert!(pdf.len() < 300 * 1024, "the public PDF is {} bytes, over the 300 KB budget", pdf.len());
    let text = text(&pdf);
    for p in json["pledges"].as_array().unwrap() {
        let achieved = p["achieved"].as_u64().unwrap().to_string();
        let target = p["target"].as_u64().unwrap().to_string();
        if let Some(expected) = p["expected_by_now"].as_f64() {
            let line = format!("{achieved} av {target} genomförda. Förväntat hittills: {}.", swedish(expected));
            assert!(text.contains(&line), "{}: {line:?} not in the PDF", p["id"]);
            let forecast = swedish(p["forecast"].as_f64().unwrap());
            assert!(text.contains(&format!("i nuvarande takt: {forecast}.")), "{}: forecast {forecast}", p["id"]);
        }
    }
    // The chart of the schools: under its heading, each school in the document's order with its own count.
    let patrols = json["pledges"].as_array().unwrap().iter().find(|p| p["id"] == "fotpatrull-skolor").unwrap();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let heading = lines.iter().position(|l| *l == "Fotpatrullering per skola").expect("the schools' heading");
    let mut chart = Vec::new();
    for school in ["Vallhallaskolan", "Kristinebergskolan", "Rödsleskolan", "Oscarsgymnasiet"] {
        chart.push(school.to_string());
        chart.push(patrols["by_location"][school].as_u64().unwrap().to_string());
    }
    assert_eq!(lines[heading + 1..heading + 9], chart, "each school with its count");
    for (status, label) in
        [("on_track", "I fas"), ("achieved", "Uppnått"), ("in_progress", "Pågår"), ("not_started", "Ej påbörjat")]
    {
        if json["pledges"].as_array().unwrap().iter().any(|p| p["status"] == status) {
            assert!(text.contains(label), "status label {label:?} missing");
        }
    }
    for expected in [
        "Uppföljning av medborgarlöftet",
        "Oskarshamns kommun och Lokalpolisområde Västervik",
        "läget den 30 juni 2021",
        "Sammanställd 1 juli 2021 kl. 09.00",
        "Offentlig utgåva",
        "Sammanfattning",
        "Detta har polisen genomfört",
        "Detta har kommunen genomfört",
        "Datakvalitet",
        "Anders Pleijel",
        "Kommunstyrelsens ordförande",
        "Per månad",
        "Fotpatrullering per skola",
        "fotpatrullera i skolmiljö vid minst 20 tillfällen",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from the public PDF");
    }
    let records = &json["records"];
    let counts = format!(
        "{} godkändes, {} avvisades och {} var dubbletter",
        records["accepted"], records["rejected"], records["duplicates"]
    );
    assert!(text.contains(&counts), "{counts}");

    // Every page ends with the footer of templates/report.sv.toml, numbered "sida N av M".
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let total = pages.len();
    assert_eq!(pages, (1..=total as u32).collect::<Vec<u32>>(), "pages are numbered from 1");
    let hash = sample_input_hash();
    for n in &pages {
        let page = doc.extract_text(&[*n]).unwrap();
        let footer = format!(
            "oskarshamn-2021 · 2021-H1 · sammanställd 1 juli 2021 kl. 09.00 · indata sha256:{} · sida {n} av {total}",
            &hash[..12]
        );
        assert_eq!(page.lines().filter(|l| l.contains(" · sida ")).collect::<Vec<_>>(), [footer.as_str()], "page {n}");
    }
}

/// docs/archive.md `input_hash`, computed here from the shipped sample: SHA-256 over every row in input order,
/// accepted or rejected, except the identical repeat of an earlier row (counted once), each as the source's name,
/// the byte 0x1f, the row's cells joined by its delimiter, and a line break.
fn sample_input_hash() -> String {
    use sha2::Digest as _;
    let bytes = std::fs::read(common::root().join("config/data/oskarshamn-2021.csv")).unwrap();
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap();
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(text);
    let mut seen: Vec<Vec<String>> = Vec::new();
    let mut hasher = sha2::Sha256::new();
    let mut repeats = 0;
    for record in reader.records() {
        let cells: Vec<String> = record.unwrap().iter().map(str::to_string).collect();
        if seen.contains(&cells) {
            repeats += 1;
            continue;
        }
        hasher.update(b"oskarshamn\x1f");
        hasher.update(cells.join(";").as_bytes());
        hasher.update(b"\n");
        seen.push(cells);
    }
    assert_eq!(repeats, 1, "the sample repeats one row identically");
    hasher.finalize().iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

#[test]
fn the_public_edition_has_no_notes_and_no_record_ids() {
    let f = Fixture::new();
    std::fs::write(
        f.path("marked.csv"),
        "id;date;party;activity;location;note\n\
         MARK-ID-0815;2021-03-01;polisen;hastighetskontroll;Fårbo;HEMLIG-ANTECKNING-4711\n\
         MARK-ID-0816;2021-03-02;polisen;okand_aktivitet;Fårbo;HEMLIG-ANTECKNING-4712\n",
    )
    .unwrap();
    let records = ["--records", "marked.csv"];
    let public = text(&render(&f, &records, "public", "public.pdf"));
    for secret in ["HEMLIG-ANTECKNING", "MARK-ID"] {
        assert!(!public.contains(secret), "{secret} leaked into the public edition");
    }
    assert!(public.contains("okänd aktivitet: 1"), "the public edition still counts the rejection");
    let internal = text(&render(&f, &records, "internal", "internal.pdf"));
    assert!(internal.contains("Intern utgåva"));
    assert!(internal.contains("MARK-ID-0816"), "the internal edition lists the rejected row");
    assert!(internal.contains("HEMLIG-ANTECKNING-4712"), "with the row as it was");
}

#[test]
fn the_same_generation_time_gives_byte_identical_pdfs() {
    let f = Fixture::new();
    let a = render(&f, &[], "internal", "a.pdf");
    let b = render(&f, &[], "internal", "b.pdf");
    assert!(a == b, "two renders differ");
    let run = f.lofte(&[
        "report",
        "--period",
        "2021-H1",
        "--edition",
        "internal",
        "--generated-at",
        "2021-07-02T07:00:00Z",
        "--out",
        "c.pdf",
    ]);
    assert_eq!(run.status.code(), Some(0));
    assert!(std::fs::read(f.path("c.pdf")).unwrap() != a, "another generation time gives another file");

    // SOURCE_DATE_EPOCH is the other way to fix the time.
    let epoch = std::process::Command::new(env!("CARGO_BIN_EXE_lofte"))
        .current_dir(f.dir.path())
        .args([
            "--config",
            f.config().to_str().unwrap(),
            "report",
            "--period",
            "2021-H1",
            "--edition",
            "internal",
            "--out",
            "d.pdf",
        ])
        .env("SOURCE_DATE_EPOCH", "1625122800")
        .output()
        .unwrap();
    assert_eq!(epoch.status.code(), Some(0), "{}", stderr(&epoch));
    assert!(std::fs::read(f.path("d.pdf")).unwrap() == a, "SOURCE_DATE_EPOCH 1625122800 is {AT}");
}

#[test]
fn metadata_names_the_report_and_its_language() {
    let f = Fixture::new();
    let pdf = render(&f, &[], "public", "public.pdf");
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let catalog = doc.catalog().unwrap();
    assert_eq!(catalog.get(b"Lang").unwrap().as_str().unwrap(), b"sv-SE");
    let info_ref = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let info = doc.get_dictionary(info_ref).unwrap();
    let title = lopdf::decode_text_string(info.get(b"Title").unwrap()).unwrap();
    assert_eq!(title, "Uppföljning av medborgarlöftet – Oskarshamns kommun 2021-H1");
    let author = lopdf::decode_text_string(info.get(b"Author").unwrap()).unwrap();
    assert_eq!(author, "Oskarshamns kommun / Lokalpolisområde Västervik");
    let subject = lopdf::decode_text_string(info.get(b"Subject").unwrap()).unwrap();
    assert_eq!(subject, "Uppföljning av medborgarlöfte 2021-H1", "pdf_subject of templates/report.sv.toml");
}

#[test]
fn english_is_selectable() {
    let f = Fixture::new();
    f.edit("config/lofte.toml", "language = \"sv\"", "language = \"en\"");
    let pdf = render(&f, &[], "public", "en.pdf");
    let pages = lopdf::Document::load_mem(&pdf).unwrap().get_pages().len();
    let text = text(&pdf);
    for expected in ["Citizen pledge follow-up", "status as of 30 June 2021", "What the police did"] {
        assert!(text.contains(expected), "{expected:?} missing from the English PDF");
    }
    for n in 1..=pages {
        assert_eq!(text.matches(&format!(" · page {n} of {pages}\n")).count(), 1, "the footer of page {n}");
    }
}

#[test]
fn a_long_table_continues_on_the_next_page_under_its_header() {
    let f = Fixture::new();
    let mut csv = String::from("id,date,party,activity,location\n");
    for i in 0..150 {
        writeln!(csv, "BAD-{i:03},2021-02-{:02},polisen,fotpatrull_skola,Stadsparken {i}", 1 + i % 28).unwrap();
    }
    std::fs::write(f.path("bad.csv"), csv).unwrap();
    let pdf = render(&f, &["--records", "bad.csv"], "internal", "long.pdf");
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let with_header: Vec<u32> = pages
        .iter()
        .copied()
        .filter(|p| {
            let t = doc.extract_text(&[*p]).unwrap();
            t.lines().any(|l| l.trim() == "Orsak") && t.contains("BAD-")
        })
        .collect();
    assert!(with_header.len() >= 3, "150 rejected rows span several pages, each under the header: {with_header:?}");
    let all = text(&pdf);
    for i in [0, 75, 149] {
        assert!(all.contains(&format!("BAD-{i:03}")), "row {i} is missing");
    }
    let total = pages.len();
    assert!(all.contains(&format!("sida {total} av {total}")), "the last footer says sida {total} av {total}");
}
