//! Follow-up notes as readers see them (SPEC §11): real PDFs of both editions parsed back, the site and the mail
//! after `publish`, from tests/fixtures/notes/ (the one-year document of every kind with notes for 2024-T2). The
//! summary, each assessment with its justification (and the computed status where the verdict is not the status)
//! and each public comment appear everywhere; an internal note appears in the internal PDF and nowhere public.

mod common;

use common::rendered::{has, html_text, lacks, pdf_text, walk};

use std::path::PathBuf;
use std::process::Output;

use common::stderr;
use serde_json::Value;

const AT: &str = "2024-09-02T07:00:00Z";
const PERIOD: &str = "2024-T2";

const SUMMARY: &str = "Värmeböljan i juli påverkade flera aktiviteter under sommaren (SAMMANFATTNING-11).";
const SUMMARY_2: &str = "Arbetet i centrum fortsätter som planerat.";
/// A decrease that is on track by the figures, judged partly met: the verdict beside the computed status.
const DECREASE: &str = "Bedömning: delvis genomfört – Inbrotten minskar men inte i alla kommundelar \
                        (MOTIVERING-DECREASE). Beräknat: i fas.";
/// A qualitative promise: the verdict is the status, so no computed status.
const ASSESSED: &str = "Bedömning: delvis genomfört – Två av fem föreningar har nåtts (MOTIVERING-ASSESSED).";
/// A count: the verdict is the status too.
const COUNT: &str = "Bedömning: genomfört – Kontrollerna har genomförts i hela kommunen (MOTIVERING-COUNT).";
const COMMENTS: [&str; 3] = [
    "Grannsamverkan startade i Norr i maj (KOMMENTAR-DECREASE).",
    "Idrottsföreningarna vill ha fler träffar (KOMMENTAR-ASSESSED).",
    "Vårens andra möte ställdes in på grund av sjukdom (KOMMENTAR-RATE).",
];
const INTERNAL: [&str; 2] = [
    "Intern anteckning: HEMLIG-INTERN-91: två anmälningar utreds fortfarande.",
    "Intern anteckning: HEMLIG-INTERN-92: ordföranden i en förening har avgått.",
];

/// A copy of tests/fixtures/notes in a temporary folder; outputs go to `out/` beside it.
struct Notes(common::Scratch);

impl Notes {
    fn new() -> Notes {
        Notes(common::Scratch::new("notes"))
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.path(rel)
    }

    fn lofte(&self, args: &[&str]) -> Output {
        self.0.lofte("lofte.toml", args)
    }

    fn pdf_bytes(&self, edition: &str) -> Vec<u8> {
        let out = format!("{edition}.pdf");
        self.lofte(&["report", "--period", PERIOD, "--edition", edition, "--generated-at", AT, "--out", &out]);
        std::fs::read(self.path(&out)).unwrap()
    }

    /// The PDF of `edition`, as text.
    fn pdf(&self, edition: &str) -> String {
        pdf_text(&self.pdf_bytes(edition))
    }

    /// results.json of `edition`, as `report` writes it.
    fn results(&self, edition: &str) -> Value {
        let out = format!("{edition}.json");
        self.lofte(&["report", "--period", PERIOD, "--edition", edition, "--format", "json", "--out", &out]);
        serde_json::from_slice(&std::fs::read(self.path(&out)).unwrap()).unwrap()
    }

    fn english(&self) {
        let path = self.path("notes/lofte.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen("language = \"sv\"", "language = \"en\"", 1)).unwrap();
    }

    /// The decoded plain-text and HTML bodies of the one mail to `role` in the outbox.
    fn mail(&self, role: &str) -> (String, String) {
        let outbox = walk(&self.path("out/outbox"));
        let mails: Vec<&PathBuf> = outbox
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "eml") && p.to_string_lossy().contains(role))
            .collect();
        assert_eq!(mails.len(), 1, "one mail to {role} in {outbox:?}");
        let raw = std::fs::read(mails[0]).unwrap();
        let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let text = message.body_text(0).unwrap().replace('\u{a0}', " ").replace("\r\n", "\n");
        let html = html_text(&message.body_html(0).unwrap());
        (text, html)
    }
}

/// The text from `from` up to the next `to` after it.
fn between<'a>(text: &'a str, from: &str, to: &str) -> &'a str {
    let start = text.find(from).unwrap_or_else(|| panic!("{from:?} missing from:\n{text}"));
    let rest = &text[start..];
    let end = rest[from.len()..].find(to).map_or(rest.len(), |i| i + from.len());
    &rest[..end]
}

fn pledge<'a>(results: &'a Value, id: &str) -> &'a Value {
    results["pledges"].as_array().unwrap().iter().find(|p| p["id"] == id).unwrap_or_else(|| panic!("no {id}"))
}

#[test]
fn both_pdf_editions_show_the_summary_the_assessments_and_the_comments() {
    let n = Notes::new();
    for edition in ["public", "internal"] {
        let text = n.pdf(edition);
        has(&text, &[SUMMARY, SUMMARY_2, DECREASE, ASSESSED, COUNT]);
        has(&text, &COMMENTS);
        // The summary leads the summary section, above its table.
        let summary = between(&text, "Sammanfattning", "Trafikkontroller (Polisen)");
        has(summary, &[SUMMARY, SUMMARY_2, "Löfte Part Mål"]);
        assert!(summary.find(SUMMARY) < summary.find("Löfte Part Mål"), "the summary comes before the table");
        // Each line stands under its own commitment, right after the status line.
        let decrease = between(&text, "Färre bostadsinbrott (Polisen)", "Ökad trygghet i centrum (Kommunen)");
        has(
            decrease,
            &[&format!(
                "I fas. 10 hittills; målet är färre än 40. Prognos för hela året i nuvarande takt: 15. {DECREASE} {}",
                COMMENTS[0]
            )],
        );
        let assessed =
            between(&text, "Samverkan med föreningslivet (Polisen och Kommunen)", "Trygghetsvandringar i varje");
        has(
            assessed,
            &[&format!("Delvis genomfört. 2 aktiviteter redovisas som underlag. {ASSESSED} {}", COMMENTS[1])],
        );
        lacks(assessed, &["Beräknat"]);
        let count = between(&text, "Trafikkontroller (Polisen)", "Samverkansmöten (Polisen och Kommunen)");
        has(count, &[&format!("Uppnått. 303 genomförda. {COUNT}")]);
        let rate = between(&text, "Samverkansmöten (Polisen och Kommunen)", "Stöd vid evenemang (Kommunen)");
        has(rate, &[COMMENTS[2]]);
        lacks(rate, &["Bedömning"]);
        // A commitment without notes is as it was.
        let outcome = between(&text, "Ökad trygghet i centrum (Kommunen)", "Samverkan med föreningslivet (");
        lacks(outcome, &["Bedömning", "Beräknat", "Intern anteckning"]);
    }
}

#[test]
fn the_internal_note_is_in_the_internal_pdf_and_nowhere_in_the_public_one() {
    let n = Notes::new();
    let internal = n.pdf("internal");
    has(&internal, &INTERNAL);
    let decrease = between(&internal, "Färre bostadsinbrott (Polisen)", "Ökad trygghet i centrum (Kommunen)");
    has(decrease, &[&format!("{} {}", COMMENTS[0], INTERNAL[0])]);
    let public = n.pdf("public");
    lacks(&public, &["HEMLIG-INTERN", "Intern anteckning"]);

    // results.json: the internal edition alone carries the note; both carry what the public may read.
    let public = n.results("public");
    let internal = n.results("internal");
    lacks(&public.to_string(), &["HEMLIG-INTERN"]);
    assert_eq!(pledge(&internal, "inbrott")["internal_note"], "HEMLIG-INTERN-91: två anmälningar utreds fortfarande.");
    for json in [&public, &internal] {
        assert_eq!(json["summary"].as_str().map(|s| s.contains("SAMMANFATTNING-11")), Some(true));
        let decrease = pledge(json, "inbrott");
        assert_eq!((&decrease["status"], &decrease["computed_status"]), (&"on_track".into(), &"on_track".into()));
        assert_eq!(decrease["assessment"]["verdict"], "partly");
    }
}

#[test]
fn a_verdict_on_an_assessed_promise_is_its_status_in_the_summary_table() {
    let n = Notes::new();
    let json = n.results("public");
    let assessed = pledge(&json, "samverkan");
    assert_eq!((&assessed["status"], &assessed["computed_status"]), (&"partly".into(), &"not_assessed".into()));
    for edition in ["public", "internal"] {
        let text = n.pdf(edition);
        let table = between(&text, "Sammanfattning", "Trafikkontroller (Polisen)");
        let row = between(table, "Samverkan med", "Trygghetsvandringar");
        has(row, &["kvalitativt löfte", "Delvis genomfört"]);
        lacks(row, &["Ej bedömt"]);
        // A decrease keeps the status the figures give; its verdict stands under the commitment.
        let row = between(table, "Färre bostadsinbrott", "Ökad trygghet");
        has(row, &["I fas"]);
        lacks(row, &["Delvis"]);
    }
}

#[test]
fn the_site_and_the_mail_show_the_notes_and_never_the_internal_note() {
    let n = Notes::new();
    n.lofte(&["publish", "--period", PERIOD, "--generated-at", AT]);

    let page = html_text(&std::fs::read_to_string(n.path("out/site/kinds-a-2024/2024-T2/index.html")).unwrap());
    has(&page, &[SUMMARY, SUMMARY_2, DECREASE, ASSESSED, COUNT]);
    has(&page, &COMMENTS);
    has(
        between(&page, "Färre bostadsinbrott (Polisen)", "Ökad trygghet i centrum (Kommunen)"),
        &[&format!("{DECREASE} {}", COMMENTS[0])],
    );
    // The summary table: the assessed promise's status is the verdict.
    let table = between(&page, "Sammanfattning", "Löftena ett och ett");
    has(table, &[SUMMARY, "Samverkan med föreningslivet Polisen och Kommunen kvalitativt löfte – – Delvis genomfört"]);
    // The document's page gives each follow-up's summary above its table.
    let document = html_text(&std::fs::read_to_string(n.path("out/site/kinds-a-2024/index.html")).unwrap());
    has(&document, &[SUMMARY, SUMMARY_2]);

    // Nothing the public can read holds an internal note: not the pages, the feed, the data or the public PDF.
    for entry in walk(&n.path("out/site")) {
        let bytes = std::fs::read(&entry).unwrap();
        let haystack = if entry.extension().is_some_and(|e| e == "pdf") {
            pdf_text(&bytes)
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        lacks(&haystack, &["HEMLIG-INTERN", "Intern anteckning"]);
    }
    let archived: Vec<PathBuf> =
        walk(&n.path("out/archive")).into_iter().filter(|p| p.ends_with("results.json")).collect();
    assert!(!archived.is_empty(), "the archive holds the public results.json");
    for path in archived {
        let json: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        lacks(&json.to_string(), &["HEMLIG-INTERN"]);
        assert_eq!(pledge(&json, "samverkan")["comment"], COMMENTS[1]);
    }
    let feed = std::fs::read_to_string(n.path("out/site/feed.xml")).unwrap();
    has(&feed, &["SAMMANFATTNING-11"]);

    // The public mail: the summary near the top, each assessment and comment under its row, no internal note.
    let (text, html) = n.mail("public_list");
    for body in [&text, &html] {
        has(body, &[SUMMARY, DECREASE, ASSESSED, COUNT]);
        has(body, &COMMENTS);
        lacks(body, &["HEMLIG-INTERN", "Intern anteckning"]);
    }
    assert!(text.find("SAMMANFATTNING-11") < text.find("- Trafikkontroller:"), "the summary comes before the rows");
    has(&text, &[&format!("- Färre bostadsinbrott: 10 (färre än 40), I fas\n  {DECREASE}\n  {}\n", COMMENTS[0])]);
    // The internal mail gives the summary too; the internal note is in its PDF.
    let (text, html) = n.mail("police_chief");
    has(&text, &[SUMMARY, SUMMARY_2, DECREASE]);
    has(&html, &[SUMMARY, SUMMARY_2]);
}

#[test]
fn the_english_report_site_and_mail_say_it_in_english() {
    let n = Notes::new();
    n.english();
    let decrease = "Assessment: partly met – Inbrotten minskar men inte i alla kommundelar (MOTIVERING-DECREASE). \
                    Computed: on track.";
    let assessed = "Assessment: partly met – Två av fem föreningar har nåtts (MOTIVERING-ASSESSED).";
    let count = "Assessment: achieved – Kontrollerna har genomförts i hela kommunen (MOTIVERING-COUNT).";
    let public = n.pdf("public");
    has(&public, &[SUMMARY, decrease, assessed, count, COMMENTS[0]]);
    lacks(&public, &["HEMLIG-INTERN", "Internal note", "Bedömning", "Beräknat"]);
    let internal = n.pdf("internal");
    has(&internal, &[decrease, "Internal note: HEMLIG-INTERN-91: två anmälningar utreds fortfarande."]);

    n.lofte(&["publish", "--period", PERIOD, "--generated-at", AT]);
    let page = html_text(&std::fs::read_to_string(n.path("out/site/kinds-a-2024/2024-T2/index.html")).unwrap());
    has(&page, &[SUMMARY, decrease, assessed, COMMENTS[1]]);
    lacks(&page, &["HEMLIG-INTERN"]);
    let (text, _) = n.mail("public_list");
    has(&text, &[SUMMARY, decrease, COMMENTS[2]]);
    lacks(&text, &["HEMLIG-INTERN"]);
}

#[test]
fn without_a_notes_file_the_report_is_as_before() {
    let n = Notes::new();
    std::fs::remove_dir_all(n.path("notes/followups")).unwrap();
    let ours = n.pdf_bytes("internal");
    // The same document and records without notes, from the fixture of tests/report_kinds.rs.
    let kinds = tempfile::tempdir().unwrap();
    common::copy_dir(&common::root().join("tests/fixtures/kinds"), &kinds.path().join("kinds"));
    let config = kinds.path().join("kinds/a.toml");
    let args = [
        "--config",
        config.to_str().unwrap(),
        "report",
        "--period",
        PERIOD,
        "--edition",
        "internal",
        "--generated-at",
        AT,
        "--out",
        "kinds.pdf",
    ];
    let out = common::lofte_in(kinds.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let theirs = std::fs::read(kinds.path().join("kinds.pdf")).unwrap();
    assert!(ours == theirs, "a follow-up without notes renders the same bytes");
    lacks(&pdf_text(&ours), &["Bedömning", "Beräknat", "Intern anteckning", "SAMMANFATTNING"]);
}
