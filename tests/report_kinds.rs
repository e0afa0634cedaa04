//! The report speaks each target kind's own language (SPEC §10): real PDFs rendered from the test documents in
//! tests/fixtures/kinds/ and parsed back, the site's HTML and the public mail. A count says "303 genomförda" and
//! never "303 av"; a rate shows its buckets; an outcome its measurements; a qualitative promise its evidence, with
//! notes only in the internal edition; joint promises and declared parties are named; a two-year document counts
//! the days of its period, not of a year.

mod common;

use common::rendered::{has, html_text, lacks, pdf_text, walk};

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::stderr;
use serde_json::Value;

/// A copy of tests/fixtures/kinds in a temporary folder: `a.toml` (one year, every kind, default parties),
/// `b.toml` (two years, two municipalities, declared parties) and `c.toml` (two years, three municipalities, long
/// party names, targets in each municipality, coverage of three visits per place, records without a municipality,
/// a joint conditional promise nobody invoked, an outcome without a measurement). Outputs go beside the copy, in
/// `out-a`, `out-b`, `out-c`.
struct Kinds(common::Scratch);

impl std::ops::Deref for Kinds {
    type Target = common::Scratch;
    fn deref(&self) -> &common::Scratch {
        &self.0
    }
}

impl Kinds {
    fn new() -> Kinds {
        Kinds(common::Scratch::new("kinds"))
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

    /// The PDF of `config` for `period` (public edition), as its drawn lines of text.
    fn pdf_bytes(&self, config: &str, period: &str) -> Vec<u8> {
        let out = format!("{config}-{period}.pdf");
        self.lofte(config, &["report", "--period", period, "--generated-at", AT, "--out", &out]);
        std::fs::read(self.path(&out)).unwrap()
    }

    fn english(&self, config: &str) {
        let path = self.path(&format!("kinds/{config}"));
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen("language = \"sv\"", "language = \"en\"", 1)).unwrap();
    }
}

const AT: &str = "2024-09-02T07:00:00Z";

fn pledge<'a>(results: &'a Value, id: &str) -> &'a Value {
    results["pledges"].as_array().unwrap().iter().find(|p| p["id"] == id).unwrap_or_else(|| panic!("no {id}"))
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
            "Under målet i: Orust kommun.",
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
            "Under målet i: Orust kommun.",
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

/// The public mail's plain-text body after `publish` of `config` (outputs in `out`).
fn public_mail(k: &Kinds, out: &str) -> String {
    let outbox: Vec<PathBuf> = walk(&k.path(&format!("{out}/outbox")));
    let public = outbox.iter().find(|p| p.to_string_lossy().contains("public_list")).expect("the public mail");
    let raw = std::fs::read(public).unwrap();
    let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
    message.body_text(0).unwrap().replace('\u{a0}', " ")
}

#[test]
fn a_target_in_each_municipality_says_so_and_names_the_municipality_that_decides_it() {
    let k = Kinds::new();
    let json = k.results("c.toml", "2024-H1");
    let walks = pledge(&json, "vandringar");
    assert_eq!((walks["achieved"].as_u64(), walks["by_municipality"]["Tjörns kommun"].as_u64()), (Some(5), Some(0)));
    let text = k.pdf("c.toml", "2024-H1", "public");
    has(
        &text,
        &[
            // The summary table and the body: the target applies in each municipality, and the sentence gives the
            // lowest (at least) or the highest (decrease) municipality, the figure the status is decided on.
            "minst 2 i varje kommun",
            "färre än 10 i varje kommun",
            "Efter plan. Lägst: Tjörns kommun med 0 av 2; totalt 5 genomförda. Förväntat hittills i varje kommun: 1,5.",
            "I fas. Högst: Stenungsunds kommun med 6; målet är färre än 10 i varje kommun. Totalt 14 hittills. \
             Prognos för hela perioden i nuvarande takt (Stenungsunds kommun): 8,02.",
        ],
    );
    lacks(&text, &["5 av 2", "14 hittills; målet är färre än 10."]);

    k.lofte("c.toml", &["publish", "--period", "2024-H1", "--generated-at", AT]);
    let site = html_text(&std::fs::read_to_string(k.path("out-c/site/kinds-c-2023/2024-H1/index.html")).unwrap());
    has(&site, &["minst 2 i varje kommun", "Lägst: Tjörns kommun med 0 av 2", "färre än 10 i varje kommun"]);
    let summary = html_text(&std::fs::read_to_string(k.path("out-c/site/kinds-c-2023/index.html")).unwrap());
    has(&summary, &["minst 2 i varje kommun", "färre än 10 i varje kommun"]);
    let mail = public_mail(&k, "out-c");
    has(
        &mail,
        &["Trygghetsvandringar: 5 (minst 2 i varje kommun)", "Färre bostadsinbrott: 14 (färre än 10 i varje kommun)"],
    );

    let k = Kinds::new();
    k.english("c.toml");
    let text = k.pdf("c.toml", "2024-H1", "public");
    has(
        &text,
        &[
            "at least 2 in each municipality",
            "fewer than 10 in each municipality",
            "Behind. Lowest: Tjörns kommun with 0 of 2; 5 done in all. Expected by now in each municipality: 1.5.",
            "On track. Highest: Stenungsunds kommun with 6; the aim is fewer than 10 in each municipality. 14 so far \
             in all. End-of-period forecast at the current pace (Stenungsunds kommun): 8.02.",
        ],
    );
    lacks(&text, &["5 of 2"]);
    k.lofte("c.toml", &["publish", "--period", "2024-H1", "--generated-at", AT]);
    let mail = public_mail(&k, "out-c");
    has(&mail, &["at least 2 in each municipality", "fewer than 10 in each municipality"]);
}

#[test]
fn coverage_of_several_visits_per_place_names_the_places_short_of_it() {
    let k = Kinds::new();
    let json = k.results("c.toml", "2024-H1");
    assert_eq!(pledge(&json, "patrull")["uncovered"], serde_json::json!(["Söderby", "Hagaberg"]));
    let text = k.pdf("c.toml", "2024-H1", "public");
    // Söderby had 1 visit and Hagaberg 2: neither is "not visited".
    has(&text, &["Per bostadsområde Söderby 1 Hagaberg 2 Kvarnen 3", "Färre än 3 besök i: Söderby och Hagaberg."]);
    lacks(&text, &["Ej besökta"]);
    k.lofte("c.toml", &["publish", "--period", "2024-H1", "--generated-at", AT]);
    let site = html_text(&std::fs::read_to_string(k.path("out-c/site/kinds-c-2023/2024-H1/index.html")).unwrap());
    has(&site, &["Färre än 3 besök i: Söderby och Hagaberg."]);
    lacks(&site, &["Ej besökta"]);

    let k = Kinds::new();
    k.english("c.toml");
    let text = k.pdf("c.toml", "2024-H1", "public");
    has(&text, &["Fewer than 3 visits at: Söderby and Hagaberg."]);
    lacks(&text, &["Not visited"]);
    // One visit per place keeps its wording (a.toml, per_place 1).
    let k = Kinds::new();
    has(&k.pdf("a.toml", "2024-T2", "public"), &["Ej besökta: Söder."]);
}

/// One line of text as drawn on a page: its left and right edge and baseline in points, and the text.
#[derive(Debug)]
struct Run {
    page: usize,
    x: f32,
    right: f32,
    y: f32,
    text: String,
}

/// The advance widths (per 1,000 em) of a composite font's glyphs, by glyph id, and its default width.
fn glyph_widths(doc: &lopdf::Document, font: &lopdf::Dictionary) -> (BTreeMap<u32, f32>, f32) {
    let deref = |o: &lopdf::Object| doc.dereference(o).unwrap().1.clone();
    let descendant = deref(&font.get(b"DescendantFonts").unwrap().as_array().unwrap()[0]);
    let descendant = descendant.as_dict().unwrap();
    let default = descendant.get(b"DW").map_or(1000.0, |w| deref(w).as_float().unwrap());
    let mut widths = BTreeMap::new();
    let Ok(w) = descendant.get(b"W") else { return (widths, default) };
    let w = deref(w);
    let items = w.as_array().unwrap();
    let mut i = 0;
    while i < items.len() {
        let first = u32::try_from(items[i].as_i64().unwrap()).unwrap();
        match deref(&items[i + 1]) {
            lopdf::Object::Array(list) => {
                for (n, width) in list.iter().enumerate() {
                    widths.insert(first + u32::try_from(n).unwrap(), width.as_float().unwrap());
                }
                i += 2;
            }
            last => {
                let last = u32::try_from(last.as_i64().unwrap()).unwrap();
                for g in first..=last {
                    widths.insert(g, items[i + 2].as_float().unwrap());
                }
                i += 3;
            }
        }
    }
    (widths, default)
}

/// Every line of text the PDF draws, with where it starts and ends (lofte writes each line in a text section of
/// its own, placed with one `Td`, in two-byte glyph ids).
fn runs(pdf: &[u8]) -> Vec<Run> {
    let doc = lopdf::Document::load_mem(pdf).expect("a valid PDF");
    let mut out = Vec::new();
    for (page, id) in doc.get_pages().into_values().enumerate() {
        let fonts = doc.get_page_fonts(id).unwrap();
        let metrics: BTreeMap<Vec<u8>, (BTreeMap<u32, f32>, f32)> =
            fonts.iter().map(|(name, font)| (name.clone(), glyph_widths(&doc, font))).collect();
        let content = lopdf::content::Content::decode(&doc.get_page_content(id)).unwrap();
        let (mut font, mut size, mut at) = (Vec::new(), 0.0, (0.0, 0.0));
        for op in content.operations {
            match op.operator.as_str() {
                "Tf" => (font, size) = (op.operands[0].as_name().unwrap().to_vec(), op.operands[1].as_float().unwrap()),
                "Td" => at = (op.operands[0].as_float().unwrap(), op.operands[1].as_float().unwrap()),
                "Tj" => {
                    let bytes = op.operands[0].as_str().unwrap();
                    let (widths, default) = &metrics[&font];
                    let units: f32 = bytes
                        .chunks(2)
                        .map(|g| widths.get(&(u32::from(g[0]) << 8 | u32::from(g[1]))).copied().unwrap_or(*default))
                        .sum();
                    let text = fonts[&font]
                        .get_font_encoding(&doc)
                        .ok()
                        .and_then(|e| lopdf::Document::decode_text(&e, bytes).ok())
                        .unwrap_or_default();
                    out.push(Run { page: page + 1, x: at.0, right: at.0 + units / 1000.0 * size, y: at.1, text });
                }
                _ => {}
            }
        }
    }
    out
}

/// No line of text runs past the right margin (20 mm), and no two lines on one baseline overlap.
fn assert_fits(pdf: &[u8], what: &str) {
    let runs = runs(pdf);
    assert!(runs.len() > 50, "{what}: the text runs were not found");
    let margin = (210.0 - 20.0) / 25.4 * 72.0 + 0.5;
    for r in &runs {
        assert!(r.right <= margin, "{what}: runs off the page at {:.1} pt: {r:?}", r.right);
    }
    let mut lines: BTreeMap<(usize, i64), Vec<&Run>> = BTreeMap::new();
    for r in &runs {
        lines.entry((r.page, (r.y * 10.0).round() as i64)).or_default().push(r);
    }
    for line in lines.values_mut() {
        line.sort_by(|a, b| a.x.total_cmp(&b.x));
        for pair in line.windows(2) {
            assert!(pair[0].right <= pair[1].x + 0.3, "{what}: overprinted:\n{:?}\n{:?}", pair[0], pair[1]);
        }
    }
}

#[test]
fn no_heading_or_breakdown_runs_off_the_page_or_over_its_figures() {
    for english in [false, true] {
        let k = Kinds::new();
        if english {
            k.english("c.toml");
            k.english("a.toml");
            k.english("b.toml");
        }
        let what = |c: &str| format!("{c} {}", if english { "en" } else { "sv" });
        let pdf = k.pdf_bytes("c.toml", "2024-H1");
        assert_fits(&pdf, &what("c.toml"));
        // The long heading wraps onto a second line instead of being clipped, and is whole in the text.
        let text = pdf_text(&pdf);
        has(
            &text,
            &[&format!(
                "Samverkansmöten om lägesbilden (Polisen, lokalpolisområde Stenungsund {} Stenungsunds, Orust och \
                 Tjörns kommuner)",
                if english { "and" } else { "och" }
            )],
        );
        let heading: Vec<Run> = runs(&pdf).into_iter().filter(|r| r.text.starts_with("Samverkansmöten om")).collect();
        assert!(heading.iter().any(|r| r.text.len() < 80), "{}: the heading wraps: {heading:?}", what("c.toml"));
        // A long party name wraps under itself in the per-party table, clear of its figure (checked above), and
        // reads whole.
        let by_party = if english { "By party" } else { "Per part" };
        has(
            &text,
            &[&format!("{by_party} Polisen, lokalpolisområde Stenungsund 1 Stenungsunds, Orust och Tjörns kommuner 3")],
        );
        assert_fits(&k.pdf_bytes("a.toml", "2024-T2"), &what("a.toml"));
        assert_fits(&k.pdf_bytes("b.toml", "2024-H1"), &what("b.toml"));

        // The Bohuslän example, at its end and at its second tertial.
        let dir = k.path("example");
        common::copy_dir(&common::root().join("config/pledges/examples/bohuslan-2023-2024"), &dir);
        if english {
            let config = dir.join("lofte.toml");
            let text = std::fs::read_to_string(&config).unwrap();
            std::fs::write(&config, text.replacen("language = \"sv\"", "language = \"en\"", 1)).unwrap();
        }
        for period in ["2024", "2023-T2"] {
            let out = k.path(&format!("example-{period}.pdf"));
            let args = ["--config", "example/lofte.toml", "report", "--period", period, "--generated-at", AT, "--out"];
            let mut args = args.to_vec();
            args.push(out.to_str().unwrap());
            let o = common::lofte_in(k.dir.path(), &args);
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            assert_fits(&std::fs::read(&out).unwrap(), &what(&format!("bohuslan {period}")));
        }
    }
}

#[test]
fn records_without_a_municipality_get_a_row_of_their_own() {
    let k = Kinds::new();
    let json = k.results("c.toml", "2024-H1");
    let patrols = pledge(&json, "patrull");
    assert_eq!((patrols["no_municipality"].as_u64(), patrols["achieved"].as_u64()), (Some(3), Some(6)));
    assert_eq!(pledge(&json, "samverkan")["no_municipality"], 2);
    let text = k.pdf("c.toml", "2024-H1", "public");
    has(
        &text,
        &[
            "Per kommun Stenungsunds kommun 0 Orust kommun 3 Tjörns kommun 0 Ingen kommun angiven 3",
            "Per kommun Stenungsunds kommun 1 Orust kommun 0 Tjörns kommun 1 Ingen kommun angiven 2",
        ],
    );
    // Every record of the walks names its municipality: no such row there.
    let walks = between(&text, "Trygghetsvandringar (", "Färre bostadsinbrott (");
    lacks(walks, &["Ingen kommun angiven"]);
    k.lofte("c.toml", &["publish", "--period", "2024-H1", "--generated-at", AT]);
    let site = html_text(&std::fs::read_to_string(k.path("out-c/site/kinds-c-2023/2024-H1/index.html")).unwrap());
    has(
        &site,
        &["Per kommun Kommun Antal Stenungsunds kommun 0 Orust kommun 3 Tjörns kommun 0 Ingen kommun angiven 3"],
    );

    let k = Kinds::new();
    k.english("c.toml");
    let text = k.pdf("c.toml", "2024-H1", "public");
    has(&text, &["By municipality Stenungsunds kommun 0 Orust kommun 3 Tjörns kommun 0 No municipality given 3"]);
}

#[test]
fn results_csv_names_every_party_and_the_kind_of_each_target() {
    let k = Kinds::new();
    k.lofte("a.toml", &["publish", "--period", "2024-T2", "--generated-at", AT]);
    let bytes = std::fs::read(k.path("out-a/site/results.csv")).unwrap();
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap()).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(
        header,
        [
            "document",
            "municipality",
            "period",
            "as_of",
            "published",
            "commitment",
            "title",
            "party",
            "target",
            "achieved",
            "expected_by_now",
            "forecast",
            "status",
            "target_kind",
            "per",
            "unit",
        ]
    );
    let rows: BTreeMap<String, csv::StringRecord> =
        reader.records().map(Result::unwrap).map(|r| (r[5].to_string(), r)).collect();
    let cells = |id: &str| -> Vec<String> {
        let r = &rows[id];
        [7, 13, 14, 15].iter().map(|i| r[*i].to_string()).collect()
    };
    // A joint promise names both parties; "*" names every party of the document.
    assert_eq!(cells("moten"), ["polisen+kommunen", "at_least", "half", ""]);
    assert_eq!(cells("samverkan"), ["polisen+kommunen", "assessed", "", ""]);
    assert_eq!(cells("trygghet"), ["kommunen", "outcome", "", "%"]);
    assert_eq!(cells("trafikkontroller"), ["polisen", "count", "", ""]);
    assert_eq!(cells("inbrott"), ["polisen", "decrease", "", ""]);

    // Declared parties, joint: the keys as the document writes them.
    k.lofte("c.toml", &["publish", "--period", "2024-H1", "--generated-at", AT]);
    let text = std::fs::read_to_string(k.path("out-c/site/results.csv")).unwrap();
    has(&text, &["polisen+kommunerna", "polisen+raddningstjansten"]);
}

#[test]
fn an_outcome_without_a_measurement_says_so_once_and_not_yet() {
    let k = Kinds::new();
    let json = k.results("c.toml", "2024-H1");
    assert_eq!(pledge(&json, "trygghet")["status"], "no_data");
    let text = k.pdf("c.toml", "2024-H1", "public");
    has(&text, &["Ingen mätning. Utgångsläge 60 %.", "Ökad trygghet (Ingen mätning)"]);
    lacks(&text, &["mätning än", "Ingen mätning. Ingen mätning"]);
    k.lofte("c.toml", &["publish", "--period", "2024-H1", "--generated-at", AT]);
    let site = html_text(&std::fs::read_to_string(k.path("out-c/site/kinds-c-2023/2024-H1/index.html")).unwrap());
    has(&site, &["Ingen mätning. Utgångsläge 60 %."]);
    lacks(&site, &["mätning än"]);
    lacks(&public_mail(&k, "out-c"), &["mätning än"]);

    let k = Kinds::new();
    k.english("c.toml");
    let text = k.pdf("c.toml", "2024-H1", "public");
    has(&text, &["No measurement. Baseline 60 %.", "Ökad trygghet (No measurement)"]);
    lacks(&text, &["measurement yet", "No measurement. No measurement"]);
}

#[test]
fn a_joint_conditional_promise_nobody_invoked_reads_as_a_sentence_per_party() {
    let k = Kinds::new();
    let json = k.results("c.toml", "2024-H1");
    assert_eq!(pledge(&json, "stod")["status"], "not_applicable");
    let text = k.pdf("c.toml", "2024-H1", "public");
    let police = between(&text, "Detta har Polisen, lokalpolisområde Stenungsund genomfört", "Detta har Stenungsunds");
    has(police, &["Stöd vid evenemang (Ej aktuellt): ingen förfrågan har kommit in"]);
    let rescue = between(&text, "Detta har Räddningstjänsten Mitt Bohuslän genomfört", "Datakvalitet");
    has(rescue, &["Stöd vid evenemang (Ej aktuellt): ingen förfrågan har kommit in"]);
    lacks(&text, &["totalt ingen förfrågan", "0 (Ej aktuellt"]);

    let k = Kinds::new();
    k.english("c.toml");
    let text = k.pdf("c.toml", "2024-H1", "public");
    has(&text, &["Stöd vid evenemang (Not applicable): no request has come in"]);
    lacks(&text, &["in all no request", "no request in all", "0 (Not applicable"]);
}

#[test]
fn check_says_a_report_list_counts_any_place() {
    let k = Kinds::new();
    let out = k.lofte("a.toml", &["check"]);
    let text = common::stdout(&out);
    has(&text, &["at any place, listed: Centrum, Norr, Söder"]);
    lacks(&text, &["reported by"]);
    let text = common::stdout(&k.lofte("c.toml", &["check"]));
    has(&text, &["at least 3 at each of Söderby, Hagaberg, Kvarnen"]);
}
