//! The report speaks each target kind's own language (SPEC §10): real PDFs rendered from the test documents in
//! tests/fixtures/kinds/ and parsed back, the site's HTML and the public mail. A count says "303 genomförda" and
//! never "303 av"; a rate shows its buckets; an outcome its measurements; a qualitative promise its evidence, with
//! notes only in the internal edition; joint promises and declared parties are named; a two-year document counts
//! the days of its period, not of a year.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::stderr;
use serde_json::Value;

/// A copy of tests/fixtures/kinds in a temporary folder: `a.toml` (one year, every kind, default parties) and
/// `b.toml` (two years, two municipalities, declared parties). Outputs go beside the copy, in `out-a`, `out-b`.
struct Kinds {
    dir: tempfile::TempDir,
}

impl Kinds {
    fn new() -> Kinds {
        let dir = tempfile::tempdir().unwrap();
        common::copy_dir(&common::root().join("tests/fixtures/kinds"), &dir.path().join("kinds"));
        Kinds { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn lofte(&self, config: &str, args: &[&str]) -> Output {
        let config = self.path(&format!("kinds/{config}"));
        let mut all = vec!["--config", config.to_str().unwrap()];
        all.extend_from_slice(args);
        let out = common::lofte_in(self.dir.path(), &all);
        assert_eq!(out.status.code(), Some(0), "lofte {args:?}: {}", stderr(&out));
        out
    }

    /// The PDF of `config` for `period` and `edition`, as text.
    fn pdf(&self, config: &str, period: &str, edition: &str) -> String {
        let out = format!("{config}-{period}-{edition}.pdf");
        self.lofte(config, &["report", "--period", period, "--edition", edition, "--generated-at", AT, "--out", &out]);
        pdf_text(&std::fs::read(self.path(&out)).unwrap())
    }

    /// The public results.json of `config` for `period`.
    fn results(&self, config: &str, period: &str) -> Value {
        self.lofte(config, &["report", "--period", period, "--format", "json", "--out", "r.json"]);
        serde_json::from_slice(&std::fs::read(self.path("r.json")).unwrap()).unwrap()
    }

    fn english(&self, config: &str) {
        let path = self.path(&format!("kinds/{config}"));
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen("language = \"sv\"", "language = \"en\"", 1)).unwrap();
    }
}

const AT: &str = "2024-09-02T07:00:00Z";

/// Every line of text of the PDF, trimmed, in reading order.
fn pdf_lines(pdf: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(pdf).expect("a valid PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).expect("text");
    text.lines().map(|l| l.replace('\u{a0}', " ").trim().to_string()).filter(|l| !l.is_empty()).collect()
}

/// The PDF's text as one line, so that a sentence wrapped over two lines is still found whole.
fn pdf_text(pdf: &[u8]) -> String {
    pdf_lines(pdf).join(" ")
}

/// The visible text of an HTML page as one line (tags dropped, the few entities lofte writes decoded).
fn html_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out.replace("&amp;", "&").replace("&#x27;", "'").replace("&quot;", "\"").replace('\u{a0}', " ");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn pledge<'a>(results: &'a Value, id: &str) -> &'a Value {
    results["pledges"].as_array().unwrap().iter().find(|p| p["id"] == id).unwrap_or_else(|| panic!("no {id}"))
}

fn has(text: &str, expected: &[&str]) {
    for e in expected {
        assert!(text.contains(e), "{e:?} missing from:\n{text}");
    }
}

fn lacks(text: &str, unwanted: &[&str]) {
    for u in unwanted {
        assert!(!text.contains(u), "{u:?} must not appear in:\n{text}");
    }
}

#[test]
fn the_swedish_pdf_speaks_each_kind_with_the_figures_of_results_json() {
    let k = Kinds::new();
    let json = k.results("a.toml", "2024-T2");
    let text = k.pdf("a.toml", "2024-T2", "public");

    // count: the figure alone, never "av" a number nobody promised, no expected figure, no forecast.
    let count = pledge(&json, "trafikkontroller");
    assert_eq!(
        (count["achieved"].as_u64(), &count["target"], &count["status"]),
        (Some(303), &Value::Null, &"active".into())
    );
    has(&text, &["Genomförs. 303 genomförda.", "inget antal utlovat"]);
    lacks(&text, &["303 av", "av null", "Prognos för hela året i nuvarande takt: ."]);

    // at_least per half, joint, on a labelled list with the report rule.
    let rate = pledge(&json, "moten");
    assert_eq!(rate["status"], "partly");
    assert_eq!(rate["by_bucket"][0]["status"], "not_met");
    has(
        &text,
        &[
            "Samverkansmöten (Polisen och Kommunen)",
            "minst 2 per termin",
            "Delvis genomfört. 2 genomförda sedan starten; målet är minst 2 per termin.",
            "Avslutade perioder som nådde målet: 0 av 1.",
            "Innevarande termin (1 juli–31 december 2024): 1 av 2.",
            "Per termin",
            "1 januari–30 juni 2024 2 1 Ej uppnått",
            "1 juli–31 december 2024 2 1 I fas",
            "Per kommundel Centrum 1 Norr 0 Söder 0 Övriga platser 1",
            "Per part Polisen 1 Kommunen 1",
        ],
    );

    // on_request: answers of requests, and "ingen förfrågan" where nobody asked.
    assert_eq!(
        (pledge(&json, "bistand")["requests"].as_u64(), pledge(&json, "bistand")["achieved"].as_u64()),
        (Some(4), Some(3))
    );
    assert_eq!(pledge(&json, "hembesok")["status"], "not_applicable");
    has(
        &text,
        &["Pågår. 3 av 4 förfrågningar besvarade.", "4 förfrågningar", "Ej aktuellt. Ingen förfrågan har kommit in."],
    );

    // decrease: fewer than the baseline, with the forecast at today's pace.
    let decrease = pledge(&json, "inbrott");
    let forecast = decrease["forecast"].as_f64().unwrap();
    assert!((forecast - 15.0).abs() < 1e-9, "10 × 366 / 244");
    has(
        &text,
        &["färre än 40", "I fas. 10 hittills; målet är färre än 40. Prognos för hela året i nuvarande takt: 15."],
    );

    // outcome: the latest measurement against baseline and target, with its unit; a list, not a monthly chart.
    let outcome = pledge(&json, "trygghet");
    assert_eq!((outcome["achieved"].as_f64(), &outcome["status"]), (Some(61.2), &"improving".into()));
    has(
        &text,
        &[
            "Förbättras. Senaste mätning 61,2 % (1 maj 2024), utgångsläge 55 %, mål 65 %.",
            "från 55 % till 65 %",
            "Mätningar Datum Värde 1 mars 2024 58,5 % 1 maj 2024 61,2 %",
        ],
    );
    let section = between(&text, "Ökad trygghet i centrum (Kommunen)", "Samverkan med föreningslivet (");
    lacks(section, &["Per månad"]);

    // assessed: not assessed, the evidence by date, activity and place, and no note in the public edition.
    has(
        &text,
        &[
            "Samverkan med föreningslivet (Polisen och Kommunen)",
            "Ej bedömt. 2 aktiviteter redovisas som underlag.",
            "Underlag Datum Aktivitet Plats 10 april 2024 Samverkansinsats Centrum 12 juni 2024 Samverkansinsats Norr",
        ],
    );
    lacks(&text, &["HEMLIG-ANTECKNING", "Anteckning (intern)"]);

    // coverage on the same labelled list: the places not yet visited are named.
    has(&text, &["Per kommundel Centrum 1 Norr 1 Söder 0 Övriga platser 0", "Ej besökta: Söder."]);

    // A one-year document keeps the wording of a year; no school heading on a list that is not the schools.
    has(&text, &["244 av årets 366 dagar", "Detta har polisen genomfört", "Detta har kommunen genomfört"]);
    lacks(&text, &["Per skola", "per skola", "periodens", "["]);
}

/// The text from `from` up to `to` (both must be there).
fn between<'a>(text: &'a str, from: &str, to: &str) -> &'a str {
    let start = text.find(from).unwrap_or_else(|| panic!("{from:?} missing"));
    let end = start + text[start..].find(to).unwrap_or_else(|| panic!("{to:?} missing after {from:?}"));
    &text[start..end]
}

#[test]
fn the_internal_edition_alone_shows_the_notes_of_evidence() {
    let k = Kinds::new();
    let internal = k.pdf("a.toml", "2024-T2", "internal");
    has(&internal, &["Intern utgåva", "Anteckning (intern)", "HEMLIG-ANTECKNING-77"]);
    let public = k.pdf("a.toml", "2024-T2", "public");
    lacks(&public, &["HEMLIG-ANTECKNING-77"]);
}

#[test]
fn the_english_pdf_speaks_each_kind_too() {
    let k = Kinds::new();
    k.english("a.toml");
    let text = k.pdf("a.toml", "2024-T2", "public");
    has(
        &text,
        &[
            "Active. 303 done.",
            "no number promised",
            "at least 2 per term",
            "Partly met. 2 done since the start; the target is at least 2 per term.",
            "Current term (1 July–31 December 2024): 1 of 2.",
            "Samverkansmöten (Police and Municipality)",
            "In progress. 3 of 4 requests answered.",
            "Not applicable. No request has come in.",
            "fewer than 40",
            "Improving. Latest measurement 61.2 % (1 May 2024), baseline 55 %, target 65 %.",
            "Not assessed. 2 activities are listed as evidence.",
            "Other places",
            "Not visited: Söder.",
            "day 244 of 366",
        ],
    );
    lacks(&text, &["303 of", "HEMLIG-ANTECKNING", "By school", "["]);
}

#[test]
fn a_two_year_document_for_two_municipalities_names_its_declared_parties() {
    let k = Kinds::new();
    let json = k.results("b.toml", "2024-H1");
    assert_eq!((json["days_elapsed"].as_u64(), json["days_total"].as_u64()), (Some(547), Some(731)));
    let text = k.pdf("b.toml", "2024-H1", "public");
    has(
        &text,
        &[
            "dag 547 av periodens 731",
            "Polisen, Kommunerna och Räddningstjänsten Mitt Bohuslän lovade",
            "Hembesök om brandskydd (Räddningstjänsten Mitt Bohuslän)",
            "Trafikkontroller (Polisen och Kommunerna)",
            "Prognos för hela perioden i nuvarande takt:",
            "Målet ej nått i: Orust kommun.",
            "Detta har Räddningstjänsten Mitt Bohuslän genomfört",
            "Hembesök om brandskydd: 8 (Genomförs)",
        ],
    );
    lacks(&text, &["av årets", "Prognos för hela året", "Undertecknat", "8 av"]);

    // The per-year and per-municipality tables carry the figures of results.json, in order.
    for id in ["brandskydd", "trafik"] {
        let p = pledge(&json, id);
        let section = between(
            &text,
            &format!("{} (", title(id)),
            if id == "trafik" { "Detta har" } else { "Trafikkontroller (" },
        );
        let years: Vec<String> = p["by_year"].as_object().unwrap().iter().map(|(y, n)| format!("{y} {n}")).collect();
        has(section, &[&format!("Per år {}", years.join(" "))]);
        let towns = ["Stenungsunds kommun", "Orust kommun"].map(|m| format!("{m} {}", p["by_municipality"][m]));
        has(section, &[&format!("Per kommun {}", towns.join(" "))]);
    }
    assert_eq!(pledge(&json, "trafik")["by_year"]["2023"], 100);
    // Several activity kinds count toward one commitment: a breakdown per kind, under the document's labels.
    let kinds = &pledge(&json, "trafik")["by_activity"];
    assert_eq!((kinds["trafikkontroll"].as_u64(), kinds["hastighetskontroll"].as_u64()), (Some(150), Some(10)));
    has(&text, &["160 av 200 genomförda.", "Per aktivitet Trafikkontroll 150 Hastighetskontroll 10"]);

    // The site says the same.
    k.lofte("b.toml", &["publish", "--period", "2024-H1", "--generated-at", AT]);
    let page = std::fs::read_to_string(k.path("out-b/site/kinds-b-2023/2024-H1/index.html")).unwrap();
    let site = html_text(&page);
    has(
        &site,
        &[
            "dag 547 av periodens 731",
            "Hembesök om brandskydd (Räddningstjänsten Mitt Bohuslän)",
            "Per år År Antal 2023 5 2024 3",
            "Per kommun Kommun Antal Stenungsunds kommun 8 Orust kommun 0",
            "Målet ej nått i: Orust kommun.",
            "Detta har Räddningstjänsten Mitt Bohuslän genomfört",
        ],
    );
    lacks(&site, &["av årets", "Undertecknat"]);
    assert_eq!(pledge(&json, "brandskydd")["uncovered"][0], "Orust kommun");
}

fn title(id: &str) -> &'static str {
    match id {
        "brandskydd" => "Hembesök om brandskydd",
        _ => "Trafikkontroller",
    }
}

#[test]
fn the_site_and_the_public_mail_speak_each_kind_and_show_no_notes() {
    let k = Kinds::new();
    k.lofte("a.toml", &["publish", "--period", "2024-T2", "--generated-at", AT]);
    let page = std::fs::read_to_string(k.path("out-a/site/kinds-a-2024/2024-T2/index.html")).unwrap();
    let text = html_text(&page);
    has(
        &text,
        &[
            "Genomförs. 303 genomförda.",
            "inget antal utlovat",
            "Samverkansmöten (Polisen och Kommunen)",
            "Per termin Period Mål Utfört Status 1 januari–30 juni 2024 2 1 Ej uppnått",
            "Per kommundel Plats Antal Centrum 1 Norr 0 Söder 0 Övriga platser 1",
            "Pågår. 3 av 4 förfrågningar besvarade.",
            "Ej aktuellt. Ingen förfrågan har kommit in.",
            "Senaste mätning 61,2 % (1 maj 2024), utgångsläge 55 %, mål 65 %.",
            "Mätningar Datum Värde 1 mars 2024 58,5 % 1 maj 2024 61,2 %",
            "Underlag Datum Aktivitet Plats 10 april 2024 Samverkansinsats Centrum",
            "Ej besökta: Söder.",
            "244 av årets 366 dagar",
        ],
    );
    lacks(&text, &["303 av", "Per skola", "HEMLIG"]);
    // A count has no bar toward a number that nobody promised.
    let count = between(&page, "<section id=\"trafikkontroller\"", "</section>");
    lacks(count, &["class=\"bar\""]);

    // Nothing the public can read holds a note: not the pages, not the data, not the public PDF's text.
    for entry in walk(&k.path("out-a/site")) {
        let bytes = std::fs::read(&entry).unwrap();
        let haystack = if entry.extension().is_some_and(|e| e == "pdf") {
            pdf_text(&bytes)
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        lacks(&haystack, &["HEMLIG"]);
    }

    // The public mail: the same words in its summary, and no note.
    let outbox: Vec<PathBuf> = walk(&k.path("out-a/outbox"));
    let public = outbox.iter().find(|p| p.to_string_lossy().contains("public_list")).expect("the public mail");
    let raw = std::fs::read(public).unwrap();
    let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
    let body = message.body_text(0).unwrap().replace('\u{a0}', " ");
    has(
        &body,
        &[
            "Trafikkontroller: 303 (inget antal utlovat), Genomförs",
            "Samverkansmöten: 2 (minst 2 per termin), Delvis genomfört",
            "Hembesök efter inbrott: ingen förfrågan (vid förfrågan), Ej aktuellt",
            "Ökad trygghet i centrum: 61,2 % (från 55 % till 65 %), Förbättras",
            "Samverkan med föreningslivet: – (kvalitativt löfte), Ej bedömt",
        ],
    );
    lacks(&body, &["HEMLIG", "303 av"]);
    let html = html_text(&message.body_html(0).unwrap());
    lacks(&html, &["HEMLIG"]);
    has(&html, &["inget antal utlovat"]);
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
