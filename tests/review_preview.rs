//! The preview site of drafts (issue 16): what approving would publish, in the state folder, never the public one,
//! with the draft said and every example figure marked "exempelvärde".

mod common;

use common::rendered::html_text;

const NOW: [(&str, &str); 1] = [("LOFTE_NOW", "2021-07-01T09:00:00+02:00")];
const PAGE: &str = "oskarshamn-2021/2021-H1/index.html";

fn page(f: &common::Fixture, site: &str) -> Option<String> {
    std::fs::read_to_string(f.path(&format!("{site}/{PAGE}"))).ok().map(|html| html_text(&html))
}

#[test]
fn a_draft_is_previewed_with_its_example_figures_marked_and_never_on_the_public_site() {
    let f = common::Fixture::reviewed();
    // An example figure in the copy, as a coordinator might have it before the real one is known.
    f.edit(
        "config/pledges/oskarshamn-2021.toml",
        "baseline_from = { start = 2020-01-01, end = 2020-12-31 }",
        "baseline = 150\nbaseline_is_example = true",
    );
    let run = f.lofte_env(&["publish", "--period", "2021-H1"], &NOW);
    assert_eq!(run.status.code(), Some(0), "{}", common::stderr(&run));
    let preview = page(&f, "state/preview").expect("the draft has a preview page");
    assert!(preview.contains("UTKAST – ej granskad"), "{preview}");
    assert!(preview.contains("fler än 150, exempelvärde"), "{preview}");
    assert_eq!(page(&f, "site"), None, "the public site has no page for a draft");

    // Rejected: the preview drops it too.
    let run = f.lofte_env(&["reject", "--period", "2021-H1", "--reason", "Fel siffra"], &NOW);
    assert_eq!(run.status.code(), Some(0), "{}", common::stderr(&run));
    assert_eq!(page(&f, "state/preview"), None);
}

#[test]
fn once_approved_the_preview_and_the_public_site_show_the_same_released_page() {
    let f = common::Fixture::reviewed();
    let run = f.lofte_env(&["publish", "--period", "2021-H1", "--approve-as", "Anders Pleijel, lokalpolischef"], &NOW);
    assert_eq!(run.status.code(), Some(0), "{}", common::stderr(&run));
    let public = page(&f, "site").expect("released");
    let preview = page(&f, "state/preview").expect("previewed");
    assert_eq!(public, preview);
    assert!(!public.contains("UTKAST") && !public.contains("exempelvärde"), "{public}");
}

fn public_mail(f: &common::Fixture) -> String {
    let dir = f.path("outbox");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("public_list"))
        .expect("a public message");
    let raw = std::fs::read(file).unwrap();
    let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
    format!("{}\n{}", message.subject().unwrap_or_default(), message.body_text(0).unwrap_or_default())
}

#[test]
fn the_public_mail_gives_the_counted_baseline() {
    let f = common::Fixture::reviewed();
    let run = f.lofte_env(&["publish", "--period", "2021-H1", "--approve-as", "A, t"], &NOW);
    assert_eq!(run.status.code(), Some(0), "{}", common::stderr(&run));
    let mail = public_mail(&f);
    assert!(mail.contains("(fler än 180)") && !mail.contains("fler än 0"), "{mail}");
}

#[test]
fn a_draft_made_before_the_pledge_document_changed_is_not_approved() {
    let f = common::Fixture::reviewed();
    let run = f.lofte_env(&["publish", "--period", "2021-H1"], &NOW);
    assert_eq!(run.status.code(), Some(0), "{}", common::stderr(&run));
    f.edit("config/pledges/oskarshamn-2021.toml", "target = 52", "target = 60");
    let run = f.lofte_env(&["approve", "--period", "2021-H1", "--by", "A, t"], &NOW);
    assert_eq!(run.status.code(), Some(2));
    assert!(common::stderr(&run).contains("changed since the draft"), "{}", common::stderr(&run));
    assert!(!f.path("site/oskarshamn-2021/2021-H1").exists(), "nothing was released");
}

#[test]
fn a_reviewer_on_the_public_list_is_refused() {
    let f = common::Fixture::reviewed();
    f.edit(
        "config/lofte.toml",
        "board_chair = [\"ks.ordforande@oskarshamn.example.se\"]",
        "board_chair = [\"Medborgarloften@Lista.oskarshamn.example.se\"]",
    );
    let run = f.lofte(&["check"]);
    assert_eq!(run.status.code(), Some(2));
    let out = format!("{}{}", common::stdout(&run), common::stderr(&run));
    assert!(
        out.contains("is both a board_chair (a reviewer, who gets unapproved drafts) and on the public list"),
        "{out}"
    );
}

#[test]
fn a_draft_replaced_before_any_release_is_no_correction() {
    let f = common::Fixture::reviewed();
    for args in [
        &["publish", "--period", "2021-H1"][..],
        &["publish", "--period", "2021-H1", "--force", "--reason", "Fel i utkastet"],
        &["approve", "--period", "2021-H1", "--by", "A, t"],
    ] {
        let run = f.lofte_env(args, &NOW);
        assert_eq!(run.status.code(), Some(0), "{args:?}: {}", common::stderr(&run));
    }
    let mail = public_mail(&f);
    assert!(!mail.starts_with("Rättelse") && !mail.contains("Fel i utkastet"), "{mail}");
    let page = page(&f, "site").expect("released");
    assert!(!page.contains("Rättad"), "{page}");
}
