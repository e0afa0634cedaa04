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
