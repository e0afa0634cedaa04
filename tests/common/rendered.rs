//! Reading rendered output back as text: PDFs (with lopdf), HTML pages, and a folder's files.

use std::path::{Path, PathBuf};

/// Every line of text of the PDF, trimmed, in reading order.
pub fn pdf_lines(pdf: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(pdf).expect("a valid PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).expect("text");
    text.lines().map(|l| l.replace('\u{a0}', " ").trim().to_string()).filter(|l| !l.is_empty()).collect()
}

/// The PDF's text as one line, so that a sentence wrapped over two lines is still found whole.
pub fn pdf_text(pdf: &[u8]) -> String {
    pdf_lines(pdf).join(" ")
}

/// The visible text of an HTML page as one line (tags dropped, the few entities lofte writes decoded).
pub fn html_text(html: &str) -> String {
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

/// Every file under `dir`, at any depth.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
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

/// Every one of `expected` is in `text`.
pub fn has(text: &str, expected: &[&str]) {
    for e in expected {
        assert!(text.contains(e), "{e:?} missing from:\n{text}");
    }
}

/// None of `unwanted` is in `text`.
pub fn lacks(text: &str, unwanted: &[&str]) {
    for u in unwanted {
        assert!(!text.contains(u), "{u:?} must not appear in:\n{text}");
    }
}
