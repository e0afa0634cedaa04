//! The archive and the public site: round trip, verification, crash safety, supersession, the Atom feed and the
//! open-data CSV.

mod common;

use std::fmt::Write as _;

use common::{stderr, stdout, Fixture};
use lofte::archive::snapshot::inert;
use lofte::archive::{Archive, Manifest};
use serde_json::Value;

const AT: &str = "2021-07-01T07:00:00Z";

fn publish(f: &Fixture, period: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["publish", "--period", period, "--generated-at", AT];
    args.extend_from_slice(extra);
    f.lofte(&args)
}

fn json(path: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// SHA-256 in lower-case hex, computed here with the sha2 crate rather than by lofte.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

fn pledge<'a>(results: &'a Value, id: &str) -> &'a Value {
    results["pledges"].as_array().unwrap().iter().find(|p| p["id"] == id).unwrap()
}

#[test]
fn publish_archives_both_editions_and_every_file_verifies() {
    let f = Fixture::new();
    let out = publish(&f, "2021-H1", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("published oskarshamn-2021 2021-H1"), "{}", stdout(&out));
    let dir = f.path("archive/oskarshamn-2021/2021-H1");
    let manifest: Manifest = serde_json::from_value(json(&dir.join("manifest.json"))).unwrap();
    let expected_files = [
        "input.csv",
        "oskarshamn-2021-2021-H1-internal.pdf",
        "oskarshamn-2021-2021-H1-public.pdf",
        "rejected.csv",
        "results-internal.json",
        "results.json",
    ];
    assert_eq!(manifest.files.keys().map(String::as_str).collect::<Vec<_>>(), expected_files);
    for (name, hash) in &manifest.files {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        assert_eq!(&sha256_hex(&bytes), hash, "{name}");
    }
    assert_eq!(manifest.generated_at, "2021-07-01T07:00:00Z");
    assert_eq!(manifest.tool_version, env!("CARGO_PKG_VERSION"));
    // docs/archive.md: the SHA-256 of the settings file's text followed by each listed pledge document's text.
    let settings = f.read("config/lofte.toml");
    assert_eq!(settings.matches("pledges = [\"pledges/oskarshamn-2021.toml\"]").count(), 1, "the one document");
    let mut config = settings.into_bytes();
    config.extend(f.read("config/pledges/oskarshamn-2021.toml").into_bytes());
    assert_eq!(manifest.config_hash, sha256_hex(&config));
    assert_eq!(manifest.deliveries.len(), 3);
    assert!(manifest.deliveries.values().all(|s| s == "sent"), "with no SMTP, the outbox folder takes them");

    // The archived public results are what `report` computes, plus this publication for aterrapportering.
    let report = f.lofte(&["report", "--period", "2021-H1", "--format", "json", "--out", "report.json"]);
    assert_eq!(report.status.code(), Some(0));
    let (archived, on_demand) = (json(&dir.join("results.json")), json(&f.path("report.json")));
    assert_eq!(pledge(&archived, "hastighetskontroller"), pledge(&on_demand, "hastighetskontroller"));
    assert_eq!(pledge(&archived, "aterrapportering")["achieved"], 1, "the publication itself counts");
    assert_eq!(pledge(&on_demand, "aterrapportering")["achieved"], 0, "an on-demand report publishes nothing");
    assert!(!std::fs::read_to_string(dir.join("results.json")).unwrap().contains("provenance"));
    assert!(std::fs::read_to_string(dir.join("results-internal.json")).unwrap().contains("provenance"));
    let rejected = std::fs::read_to_string(dir.join("rejected.csv")).unwrap();
    assert_eq!(rejected.lines().count(), 1 + archived["records"]["rejected"].as_u64().unwrap() as usize);

    let verify = f.lofte(&["archive", "verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));
    assert!(stdout(&verify).contains("ok: 1 entries, 6 files"), "{}", stdout(&verify));
    let list = f.lofte(&["archive", "list"]);
    assert!(stdout(&list).contains("oskarshamn-2021      2021-H1"), "{}", stdout(&list));
    let show = f.lofte(&["archive", "show", "2021-H1"]);
    assert!(stdout(&show).contains("hastighetskontroller"), "{}", stdout(&show));
    assert_eq!(f.lofte(&["archive", "show", "2020-H1"]).status.code(), Some(2));
}

#[test]
fn publishing_again_is_refused_and_force_keeps_the_earlier_version() {
    let f = Fixture::new();
    assert_eq!(publish(&f, "2021-H1", &[]).status.code(), Some(0));
    let again = publish(&f, "2021-H1", &[]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("oskarshamn-2021 2021-H1 was published already (2021-07-01T07:00:00Z); use --force"),
        "{}",
        stderr(&again)
    );

    let first = std::fs::read(f.path("archive/oskarshamn-2021/2021-H1/manifest.json")).unwrap();
    let forced = f.lofte(&["publish", "--period", "2021-H1", "--force", "--generated-at", "2021-07-02T07:00:00Z"]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    let kept = std::fs::read(f.path("archive/oskarshamn-2021/superseded/2021-H1-1/manifest.json")).unwrap();
    assert_eq!(kept, first, "the earlier version is kept as it was");
    let list = stdout(&f.lofte(&["archive", "list"]));
    assert!(list.contains("superseded") && list.contains("current"), "{list}");
    assert_eq!(f.lofte(&["archive", "verify"]).status.code(), Some(0));
    // A re-publication of the same period does not count twice.
    let results = json(&f.path("archive/oskarshamn-2021/2021-H1/results.json"));
    assert_eq!(pledge(&results, "aterrapportering")["achieved"], 1);
}

#[test]
fn every_publication_counts_toward_aterrapportering() {
    let f = Fixture::new();
    assert_eq!(publish(&f, "2021-H1", &[]).status.code(), Some(0));
    let year = f.lofte(&["publish", "--period", "2021", "--generated-at", "2022-01-15T08:00:00Z"]);
    assert_eq!(year.status.code(), Some(0), "{}", stderr(&year));
    let results = json(&f.path("archive/oskarshamn-2021/2021/results.json"));
    let p = pledge(&results, "aterrapportering");
    assert_eq!(p["achieved"], 2, "H1 and the whole year");
    assert_eq!(p["status"], "achieved", "minst två gånger");
}

#[test]
fn verify_names_a_changed_byte_and_a_missing_file() {
    let f = Fixture::new();
    assert_eq!(publish(&f, "2021-H1", &[]).status.code(), Some(0));
    let dir = f.path("archive/oskarshamn-2021/2021-H1");
    let mut bytes = std::fs::read(dir.join("results.json")).unwrap();
    bytes[10] ^= 0x01;
    std::fs::write(dir.join("results.json"), bytes).unwrap();
    std::fs::remove_file(dir.join("input.csv")).unwrap();
    let out = f.lofte(&["archive", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("2 archived file(s) are missing or changed"), "{err}");
    assert!(err.contains("2021-H1/results.json: changed (SHA-256 differs)"), "{err}");
    assert!(err.contains("2021-H1/input.csv: missing"), "{err}");
}

#[test]
fn a_crash_mid_write_leaves_no_entry_and_the_next_run_succeeds() {
    let f = Fixture::new();
    let crash = std::process::Command::new(env!("CARGO_BIN_EXE_lofte"))
        .current_dir(f.dir.path())
        .args(["--config", f.config().to_str().unwrap(), "publish", "--period", "2021-H1", "--generated-at", AT])
        .env("LOFTE_FAULT", "archive-mid-write")
        .output()
        .unwrap();
    assert_ne!(crash.status.code(), Some(0), "the fault must stop the process");
    assert!(stderr(&crash).contains("aborting at archive-mid-write"));
    assert!(!f.path("archive/oskarshamn-2021/2021-H1").exists(), "no partial entry");
    let archive = Archive::new(f.path("archive"));
    assert!(archive.list().unwrap().is_empty(), "a half-written temporary folder is not an entry");
    assert!(archive.verify().unwrap().is_empty());

    let again = publish(&f, "2021-H1", &[]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(archive.list().unwrap().len(), 1);
    assert_eq!(f.lofte(&["archive", "verify"]).status.code(), Some(0));
}

#[test]
fn dry_run_builds_everything_and_archives_nothing() {
    let f = Fixture::new();
    let out = publish(&f, "2021-H1", &["--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("dry run"), "{}", stdout(&out));
    assert!(!f.path("archive/oskarshamn-2021/2021-H1").exists());
    assert!(f.path("state/dry-run/oskarshamn-2021/2021-H1/oskarshamn-2021-2021-H1-public.pdf").exists());
}

#[test]
fn the_site_has_an_index_a_document_page_a_report_page_a_feed_and_open_data() {
    let f = Fixture::new();
    // A commitment title that a spreadsheet would run as a formula, and that a browser would read as markup.
    f.edit(
        "config/pledges/oskarshamn-2021.toml",
        "title = \"Fler inlägg på sociala medier\"",
        r#"title = "=1+1 <b>inlägg</b> & \"fler\"""#,
    );
    assert_eq!(publish(&f, "2021-H1", &[]).status.code(), Some(0));
    assert_eq!(
        f.lofte(&["publish", "--period", "2021", "--generated-at", "2022-01-15T08:00:00Z"]).status.code(),
        Some(0)
    );
    let site = f.path("site");
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(index.contains("<html lang=\"sv\">"));
    assert!(index.contains("href=\"oskarshamn-2021/index.html\""));
    let doc = std::fs::read_to_string(site.join("oskarshamn-2021/index.html")).unwrap();
    assert!(doc.contains("<table>") && doc.contains("<th scope=\"col\">Status</th>"), "a real HTML table");
    assert!(doc.contains("href=\"2021-H1/oskarshamn-2021-2021-H1-public.pdf\""));
    assert!(site.join("oskarshamn-2021/2021-H1/oskarshamn-2021-2021-H1-public.pdf").exists());
    assert!(
        !site.join("oskarshamn-2021/2021-H1/oskarshamn-2021-2021-H1-internal.pdf").exists(),
        "never the internal edition"
    );
    let report = std::fs::read_to_string(site.join("oskarshamn-2021/2021-H1/index.html")).unwrap();
    let results = json(&site.join("oskarshamn-2021/2021-H1/results.json"));
    for p in results["pledges"].as_array().unwrap() {
        let achieved = p["achieved"].as_u64().unwrap();
        assert!(report.contains(&format!("<td class=\"num\">{achieved}</td>")), "{} {achieved}", p["id"]);
    }
    assert!(report.contains("Rödsleskolan") && report.contains("Detta har kommunen genomfört"));
    assert!(!report.contains("<script"), "no JavaScript");
    // The title is shown as text: minijinja escapes `<`, `>`, `&`, `"` and `/` in the .html templates (`=` needs no
    // escaping in HTML text), and the markup never reaches the page as markup.
    let escaped = "=1+1 &lt;b&gt;inlägg&lt;&#x2f;b&gt; &amp; &quot;fler&quot;";
    for page in [&report, &doc] {
        assert!(page.contains(&format!("<th scope=\"row\">{escaped}</th>")), "the summary row:\n{page}");
        for raw in ["<b>", "</b>", "& \"fler\""] {
            assert!(!page.contains(raw), "{raw:?} unescaped:\n{page}");
        }
    }
    assert!(report.contains(&format!("<h3 id=\"h-sociala-medier\">{escaped} (Polisen)</h3>")), "{report}");

    let feed = atom_syndication::Feed::read_from(std::fs::read(site.join("feed.xml")).unwrap().as_slice()).unwrap();
    assert_eq!(feed.entries().len(), 2);
    assert!(feed.entries().iter().any(|e| e.id() == "urn:lofte:oskarshamn-2021:2021-H1"));
    assert!(feed.entries()[0].links().iter().any(|l| l.href().ends_with("2021/index.html")));

    let bytes = std::fs::read(site.join("results.csv")).unwrap();
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").expect("a BOM for Excel")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 16, "8 commitments in 2 publications");
    let h1 = rows.iter().find(|r| &r[2] == "2021-H1" && &r[5] == "hastighetskontroller").unwrap();
    assert_eq!(h1[9].parse::<u64>().unwrap(), pledge(&results, "hastighetskontroller")["achieved"].as_u64().unwrap());
    assert_eq!(&h1[12], pledge(&results, "hastighetskontroller")["status"].as_str().unwrap());
    let formula = rows.iter().find(|r| &r[5] == "sociala-medier").unwrap();
    assert_eq!(&formula[6], "'=1+1 <b>inlägg</b> & \"fler\"", "the formula comes out inert, the text as it is");
}

#[test]
fn cells_that_start_like_formulas_are_made_inert() {
    for (cell, expected) in
        [("=1+1", "'=1+1"), ("+46", "'+46"), ("-3", "'-3"), ("@SUM(A1)", "'@SUM(A1)"), ("Rödsle", "Rödsle"), ("", "")]
    {
        assert_eq!(inert(cell), expected);
    }
}
