//! Review and corrections as readers see them (SPEC §11), on a copy of the shipped sample with review on: the
//! draft's PDFs mark every example figure, the draft's mail to the reviewers says it is a draft and how to decide on
//! it, the approved follow-up's page names who approved it and when, and a correction's page says "Rättad <datum>:
//! <reason>" and links to the superseded version, which stays on the site (its own page and PDF) while the feed
//! gets an entry of its own for the correction. Rendered output is read back: PDFs with lopdf, pages as text, mail
//! parsed.

mod common;

use common::rendered::{has, html_text, lacks, pdf_text, walk};

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{stderr, Fixture};

const PERIOD: &str = "2021-H1";
const DOC: &str = "oskarshamn-2021";
const PLEDGE: &str = "config/pledges/oskarshamn-2021.toml";
const AT: &str = "2021-07-01T07:00:00Z";
const BY: &str = "Anders Pleijel, lokalpolischef";
/// 23:30 in UTC is already 2 July in Stockholm, the schedule's time zone: the date printed is the local one.
const APPROVED_AT: &str = "2021-07-01T23:30:00Z";
const CORRECTED_AT: &str = "2021-08-10T10:00:00+02:00";
const REASON: &str = "Fel antal i maj";

/// The shipped sample, with review on, and `sociala-medier` given the example baseline 150 (`example`) in place of
/// the one it counts from the records of 2020.
fn sample(example: bool, english: bool) -> Fixture {
    let f = Fixture::reviewed();
    assert!(
        f.read("config/lofte.toml").contains("[review]\nrequired = true\n"),
        "the shipped configuration has review on"
    );
    if english {
        f.edit("config/lofte.toml", "language = \"sv\"", "language = \"en\"");
    }
    if example {
        f.edit(
            PLEDGE,
            "baseline_from = { start = 2020-01-01, end = 2020-12-31 }",
            "baseline = 150\nbaseline_is_example = true",
        );
    }
    assert_eq!(f.read(PLEDGE).contains("baseline_is_example = true"), example);
    f
}

/// Runs lofte at `now` and requires it to succeed.
fn run(f: &Fixture, args: &[&str], now: &str) -> Output {
    let out = f.lofte_env(args, &[("LOFTE_NOW", now)]);
    assert_eq!(out.status.code(), Some(0), "lofte {args:?}: {}", stderr(&out));
    out
}

fn publish(f: &Fixture, extra: &[&str], now: &str) {
    let mut args = vec!["publish", "--period", PERIOD, "--generated-at", now];
    args.extend_from_slice(extra);
    run(f, &args, now);
}

fn approve(f: &Fixture, now: &str) {
    run(f, &["approve", "--period", PERIOD, "--by", BY], now);
}

/// Draft, approval, a correction drafted with `--force --reason`, and its approval.
fn corrected(english: bool) -> Fixture {
    let f = sample(false, english);
    publish(&f, &[], AT);
    approve(&f, APPROVED_AT);
    publish(&f, &["--force", "--reason", REASON], CORRECTED_AT);
    approve(&f, CORRECTED_AT);
    f
}

/// The PDF of `edition` in the current archive entry, as text.
fn archived_pdf(f: &Fixture, edition: &str) -> String {
    let path = f.path(&format!("archive/{DOC}/{PERIOD}/{DOC}-{PERIOD}-{edition}.pdf"));
    pdf_text(&std::fs::read(path).unwrap())
}

fn page(f: &Fixture, rel: &str) -> String {
    std::fs::read_to_string(f.path(&format!("site/{rel}"))).unwrap_or_else(|e| panic!("site/{rel}: {e}"))
}

/// Every mail in the outbox to `role`: (subject, plain-text body, HTML body as text).
fn mails(f: &Fixture, role: &str) -> Vec<(String, String, String)> {
    let mut paths: Vec<PathBuf> = walk(&f.path("outbox"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "eml") && p.to_string_lossy().contains(&format!(".{role}.")))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let raw = std::fs::read(p).unwrap();
            let m = mail_parser::MessageParser::default().parse(&raw).unwrap();
            (
                m.subject().unwrap_or_default().to_string(),
                m.body_text(0).unwrap().replace('\u{a0}', " ").replace("\r\n", "\n"),
                html_text(&m.body_html(0).unwrap()),
            )
        })
        .collect()
}

#[test]
fn a_draft_marks_every_example_figure_in_both_pdfs_and_the_reviewers_mail() {
    let f = sample(true, false);
    publish(&f, &[], AT);
    for edition in ["public", "internal"] {
        let text = archived_pdf(&f, edition);
        has(
            &text,
            &[
                "UTKAST – ej granskad",
                // The summary table's target cell.
                "fler än 150, exempelvärde",
                // The commitment's own section.
                "Exempelvärde: utgångsläget 150 är inte ett verkligt värde.",
            ],
        );
        // Only the example figure is marked.
        assert_eq!(text.matches(", exempelvärde").count(), 1, "{edition}: one example figure in the table");
    }
    let reviewers = mails(&f, "police_chief");
    assert_eq!(reviewers.len(), 1);
    let (subject, text, html) = &reviewers[0];
    assert_eq!(subject, "Utkast för granskning: Uppföljning av medborgarlöftet: Oskarshamns kommun 2021-H1");
    for body in [text, html] {
        has(
            body,
            &[
                "Detta är ett utkast för granskning. Det har inte skickats till allmänheten.",
                &format!("Godkänn det med lofte approve --period {PERIOD} --by \"Namn, titel\""),
                &format!("avvisa det med lofte reject --period {PERIOD} --reason"),
                "fler än 150, exempelvärde",
            ],
        );
    }
    assert!(mails(&f, "public_list").is_empty(), "a draft reaches only the reviewers");
}

#[test]
fn without_review_nothing_is_marked_as_a_draft_or_an_example() {
    let f = Fixture::new();
    run(&f, &["publish", "--period", PERIOD, "--generated-at", AT], AT);
    for edition in ["public", "internal"] {
        lacks(&archived_pdf(&f, edition), &["exempelvärde", "Exempelvärde", "UTKAST", "Granskad och godkänd"]);
    }
    for role in ["police_chief", "public_list"] {
        for (subject, text, _) in mails(&f, role) {
            lacks(&subject, &["Utkast"]);
            lacks(&text, &["utkast", "lofte approve"]);
        }
    }
    let report = html_text(&page(&f, &format!("{DOC}/{PERIOD}/index.html")));
    lacks(&report, &["Granskad och godkänd", "Rättad", "Tidigare versioner"]);
}

#[test]
fn the_approved_followup_page_names_who_approved_it_and_the_local_date() {
    let f = sample(false, false);
    publish(&f, &[], AT);
    // The draft's mail to the reviewers has no example figure to mark here.
    lacks(&mails(&f, "board_chair")[0].1, &["exempelvärde"]);
    approve(&f, APPROVED_AT);
    let report = html_text(&page(&f, &format!("{DOC}/{PERIOD}/index.html")));
    has(&report, &["Granskad och godkänd av Anders Pleijel, lokalpolischef den 2 juli 2021"]);
    lacks(&report, &["Rättad", "Tidigare versioner", "UTKAST", "exempelvärde"]);
    assert!(!f.path(&format!("site/{DOC}/{PERIOD}/v1")).exists(), "a draft never gets a page");
}

/// Every `href` and `src` of an HTML page that is not an absolute URL, resolved against the page's folder.
fn relative_links(page: &Path) -> Vec<PathBuf> {
    let html = std::fs::read_to_string(page).unwrap();
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        for piece in html.split(attr).skip(1) {
            let link = piece.split('"').next().unwrap().replace("&#x2f;", "/");
            assert!(!link.starts_with('/'), "{}: absolute link {link}", page.display());
            if !link.contains(':') {
                out.push(page.parent().unwrap().join(link));
            }
        }
    }
    out
}

#[test]
fn a_correction_says_so_and_keeps_the_superseded_version_on_the_site() {
    let f = corrected(false);
    let current = html_text(&page(&f, &format!("{DOC}/{PERIOD}/index.html")));
    has(
        &current,
        &[
            &format!("Rättad 10 augusti 2021: {REASON}"),
            "Granskad och godkänd av Anders Pleijel, lokalpolischef den 10 augusti 2021",
            "Tidigare versioner: publicerad 2 juli 2021",
        ],
    );
    let raw = page(&f, &format!("{DOC}/{PERIOD}/index.html"));
    has(&raw, &["<a href=\"v2/index.html\">publicerad 2 juli 2021</a>"]);

    // The superseded version: its own page, PDF and data, saying it was replaced and linking to the current one.
    let old_dir = format!("{DOC}/{PERIOD}/v2");
    let old = html_text(&page(&f, &format!("{old_dir}/index.html")));
    has(
        &old,
        &[
            "Detta är en tidigare version. Den ersattes av en rättad version den 10 augusti 2021.",
            "Läs den gällande versionen",
            "Granskad och godkänd av Anders Pleijel, lokalpolischef den 2 juli 2021",
        ],
    );
    lacks(&old, &["Rättad", "Tidigare versioner"]);
    has(&page(&f, &format!("{old_dir}/index.html")), &["<a href=\"../index.html\">Läs den gällande versionen</a>"]);
    let archived_old: Vec<PathBuf> = walk(&f.path(&format!("archive/{DOC}/superseded")))
        .into_iter()
        .filter(|p| p.ends_with(format!("{DOC}-{PERIOD}-public.pdf")))
        .collect();
    let site_old = std::fs::read(f.path(&format!("site/{old_dir}/{DOC}-{PERIOD}-public.pdf"))).unwrap();
    assert!(
        archived_old.iter().any(|p| std::fs::read(p).unwrap() == site_old),
        "the superseded version's PDF is the archived one"
    );
    assert!(pdf_text(&site_old).contains("Granskad och godkänd av Anders Pleijel, lokalpolischef den 2 juli 2021"));
    assert!(f.path(&format!("site/{old_dir}/results.json")).is_file());
    // Drafts and rejected versions never reach the site: only v2 and the current version (v4) are there.
    let versions: Vec<String> = std::fs::read_dir(f.path(&format!("site/{DOC}/{PERIOD}")))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(versions, ["v2"]);

    // The document's page shows the correction beside the follow-up.
    has(&html_text(&page(&f, &format!("{DOC}/index.html"))), &[&format!("Rättad 10 augusti 2021: {REASON}")]);

    // The feed: the first release keeps its id and now links to its own page; the correction is an entry of its own.
    let feed = page(&f, "feed.xml");
    has(
        &feed,
        &[
            "<id>urn:lofte:oskarshamn-2021:2021-H1</id>\n<updated>2021-07-01T23:30:00Z</updated>",
            "href=\"oskarshamn-2021/2021-H1/v2/index.html\"",
            "<id>urn:lofte:oskarshamn-2021:2021-H1:v4</id>\n<updated>2021-08-10T08:00:00Z</updated>",
            "<title>Rättelse: Lokalt medborgarlöfte i Oskarshamns kommun 2021",
            &format!("<summary>Rättad 10 augusti 2021: {REASON} "),
            "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"sv\">\n<title>Medborgarlöften: uppföljningar</title>\n<id>urn:lofte:site</id>\n<updated>2021-08-10T08:00:00Z</updated>",
        ],
    );
    assert!(feed.find(":v4</id>") < feed.find("2021-H1</id>"), "newest first");

    // No JavaScript anywhere, and every relative link of every page leads to a file of the site.
    for file in walk(&f.path("site")) {
        if file.extension().is_some_and(|e| e == "html") {
            lacks(&std::fs::read_to_string(&file).unwrap(), &["<script", "javascript:"]);
            for target in relative_links(&file) {
                assert!(target.exists(), "{}: broken link {}", file.display(), target.display());
            }
        }
    }
    let archive = run(&f, &["archive", "verify"], CORRECTED_AT);
    assert_eq!(archive.status.code(), Some(0));
}

#[test]
fn a_correction_waiting_for_review_leaves_the_site_as_it_was() {
    let f = sample(false, false);
    publish(&f, &[], AT);
    approve(&f, APPROVED_AT);
    let before = page(&f, &format!("{DOC}/{PERIOD}/index.html"));
    publish(&f, &["--force", "--reason", REASON], CORRECTED_AT);
    assert_eq!(page(&f, &format!("{DOC}/{PERIOD}/index.html")), before);
    lacks(&page(&f, "feed.xml"), &["Rättelse", ":v"]);
    // The reviewers' mail of the correction's draft says both things.
    let drafts = mails(&f, "police_chief");
    assert!(
        drafts.iter().any(|(s, _, _)| s
            == "Utkast för granskning: Rättelse: Uppföljning av medborgarlöftet: Oskarshamns kommun 2021-H1"),
        "{drafts:?}"
    );
}

#[test]
fn a_correction_made_without_review_and_without_a_reason_says_so_neutrally() {
    let f = Fixture::new();
    run(&f, &["publish", "--period", PERIOD, "--generated-at", AT], AT);
    run(&f, &["publish", "--period", PERIOD, "--force", "--generated-at", "2021-07-05T10:00:00Z"], AT);
    let current = html_text(&page(&f, &format!("{DOC}/{PERIOD}/index.html")));
    has(
        &current,
        &["Rättad 5 juli 2021: ersätter en tidigare publicerad version", "Tidigare versioner: publicerad 1 juli 2021"],
    );
    lacks(&current, &["Granskad och godkänd"]);
    assert!(f.path(&format!("site/{DOC}/{PERIOD}/v1/index.html")).is_file());
    has(
        &page(&f, "feed.xml"),
        &["<id>urn:lofte:oskarshamn-2021:2021-H1:v2</id>\n<updated>2021-07-05T10:00:00Z</updated>"],
    );
}

#[test]
fn a_superseded_version_whose_files_changed_is_left_off_the_site() {
    let f = corrected(false);
    let old: PathBuf = walk(&f.path(&format!("archive/{DOC}/superseded")))
        .into_iter()
        .find(|p| {
            p.ends_with("results.json")
                && std::fs::read_to_string(p.with_file_name("manifest.json"))
                    .unwrap()
                    .contains("\"state\": \"approved\"")
        })
        .expect("the approved, superseded version");
    std::fs::write(&old, b"{}").unwrap();
    let out = f.lofte_env(&["archive", "site"], &[("LOFTE_NOW", CORRECTED_AT)]);
    assert!(!f.path(&format!("site/{DOC}/{PERIOD}/v2")).exists(), "{}", stderr(&out));
    let current = page(&f, &format!("{DOC}/{PERIOD}/index.html"));
    lacks(&current, &["v2/index.html", "Tidigare versioner"]);
    // The correction itself is still shown as one.
    has(&html_text(&current), &[&format!("Rättad 10 augusti 2021: {REASON}")]);
    lacks(&page(&f, "feed.xml"), &["v2/index.html"]);
}

#[test]
fn in_english_the_draft_the_approval_and_the_correction_say_it_in_english() {
    let f = sample(true, true);
    publish(&f, &[], AT);
    let text = archived_pdf(&f, "public");
    has(
        &text,
        &[
            "DRAFT – not reviewed",
            "more than 150, example value",
            "Example value: the baseline 150 is not a real figure.",
        ],
    );
    let (subject, body, _) = &mails(&f, "police_chief")[0];
    assert_eq!(subject, "Draft for review: Citizen pledge follow-up: Oskarshamns kommun 2021-H1");
    has(
        body,
        &[
            "This is a draft for review. It has not been sent to the public.",
            &format!("Approve it with lofte approve --period {PERIOD} --by \"Name, title\""),
        ],
    );

    let f = corrected(true);
    let current = html_text(&page(&f, &format!("{DOC}/{PERIOD}/index.html")));
    has(
        &current,
        &[
            &format!("Corrected 10 August 2021: {REASON}"),
            "Reviewed and approved by Anders Pleijel, lokalpolischef on 10 August 2021",
            "Earlier versions: published 2 July 2021",
        ],
    );
    let old = html_text(&page(&f, &format!("{DOC}/{PERIOD}/v2/index.html")));
    has(
        &old,
        &[
            "This is an earlier version. It was replaced by a corrected version on 10 August 2021.",
            "Read the current version",
        ],
    );
    has(&page(&f, "feed.xml"), &["<title>Correction: "]);
}
