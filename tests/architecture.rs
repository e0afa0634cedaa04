//! Architecture: the top-level modules of the library (`src/foo.rs` and `src/foo/**` are the module `foo`) import
//! each other without cycles, so that each stage can be read, tested and changed on its own (issue 14).
//!
//! The test reads the sources itself: comments are dropped and string and character literals blanked, then every
//! `crate::foo` path (including `use crate::{foo, bar::Baz}` groups) and every `super::` chain that climbs to the
//! crate root is an edge from the file's top-level module to `foo`. `src/lib.rs`, `src/main.rs` and `src/bin/` are
//! the roots that wire the modules together and are not part of the graph.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Source text without comments, and with the contents of string and character literals removed (a literal
/// becomes `""` or `' '`), so that neither `// crate::x` nor `"crate::x"` nor `"https://x"` is read as code. Line
/// breaks are kept everywhere, so line numbers stay those of the file.
fn code_only(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch == '/' && at(i + 1) == '/' {
            // A line comment, `//!` and `///` included: up to the end of the line.
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            // A block comment; Rust's nest.
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if c[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
            out.push(' ');
        } else if ch == 'r'
            && (i == 0 || !ident(c[i - 1]) || (matches!(c[i - 1], 'b' | 'c') && (i < 2 || !ident(c[i - 2]))))
            && {
                let mut j = i + 1;
                while at(j) == '#' {
                    j += 1;
                }
                at(j) == '"'
            }
        {
            // A raw string r"…", r#"…"#, br"…": no escapes, ends at `"` and as many `#` as it opened with.
            let mut hashes = 0;
            i += 1;
            while c[i] == '#' {
                hashes += 1;
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
            while i < c.len() {
                if c[i] == '"' && (1..=hashes).all(|k| at(i + k) == '#') {
                    i += 1 + hashes;
                    break;
                }
                if c[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
        } else if ch == '"' {
            // A string (or byte string): up to the first `"` that is not escaped.
            i += 1;
            out.push_str("\"\"");
            while i < c.len() && c[i] != '"' {
                if c[i] == '\n' {
                    out.push('\n');
                }
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if ch == '\'' && (at(i + 1) == '\\' || (at(i + 2) == '\'' && at(i + 1) != '\'')) {
            // A character literal ('"', '\'', '\u{2013}'); a lifetime such as 'a has no closing quote.
            i += 1;
            while i < c.len() && c[i] != '\'' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(ch);
            i += 1;
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    /// `::`
    Path,
    Punct(char),
}

/// The identifiers, `::` and single punctuation characters of code (as [`code_only`] leaves it), with their
/// 1-based line numbers. Literals and lifetimes are of no interest here and come out as punctuation.
fn tokens(code: &str) -> Vec<(Token, usize)> {
    let c: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            out.push((Token::Ident(word.strip_prefix("r#").unwrap_or(&word).to_string()), line));
        } else if ch.is_ascii_digit() {
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            out.push((Token::Path, line));
            i += 2;
        } else {
            out.push((Token::Punct(ch), line));
            i += 1;
        }
    }
    out
}

/// The first path segment(s) after a `crate::` (or a `super::` chain that reaches the crate root) whose `::` is at
/// `t[i - 1]`: `foo` in `crate::foo::Bar`, `foo` and `bar` in `crate::{foo::X, bar}`. `self` and globs name no
/// module and are left out.
fn first_segments(t: &[(Token, usize)], i: usize) -> Vec<String> {
    match t.get(i).map(|(tok, _)| tok) {
        Some(Token::Ident(name)) => vec![name.clone()],
        Some(Token::Punct('{')) => {
            let mut names = Vec::new();
            let (mut depth, mut item_start, mut j) = (0, true, i);
            while let Some((tok, _)) = t.get(j) {
                match tok {
                    Token::Punct('{') => {
                        depth += 1;
                        if depth == 1 {
                            item_start = true;
                            j += 1;
                            continue;
                        }
                    }
                    Token::Punct('}') => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    Token::Punct(',') if depth == 1 => {
                        item_start = true;
                        j += 1;
                        continue;
                    }
                    Token::Ident(name) if depth == 1 && item_start && name != "self" => names.push(name.clone()),
                    _ => {}
                }
                item_start = false;
                j += 1;
            }
            names
        }
        _ => Vec::new(),
    }
}

/// One reference from a file to a top-level module, by name, with the line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reference {
    name: String,
    line: usize,
}

/// Every top-level module named by `code` (comments and literals already out), for a file whose module path is
/// `module` (`["report", "pdf"]` for src/report/pdf.rs and src/report/pdf/mod.rs). Inline `mod x { … }` blocks
/// are followed, so a `super::` inside `mod tests` climbs to the file's own module.
fn references(code: &str, module: &[String]) -> Vec<Reference> {
    let t = tokens(code);
    let tok = |i: usize| t.get(i).map(|(tok, _)| tok);
    let ident = |i: usize, word: &str| matches!(tok(i), Some(Token::Ident(w)) if w == word);
    let mut out = Vec::new();
    // Inline modules open at a brace depth: (name, depth inside its braces).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < t.len() {
        let line = t[i].1;
        match &t[i].0 {
            Token::Punct('{') => {
                depth += 1;
                if i >= 2 && ident(i - 2, "mod") {
                    if let Some(Token::Ident(name)) = tok(i - 1) {
                        inline.push((name.clone(), depth));
                    }
                }
            }
            Token::Punct('}') => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth -= 1;
            }
            // `crate::x`, also as `$crate::x` in a macro, but not the `x::crate` of an extern path.
            Token::Ident(word)
                if word == "crate"
                    && tok(i + 1) == Some(&Token::Path)
                    && tok(i.wrapping_sub(1)) != Some(&Token::Path) =>
            {
                out.extend(first_segments(&t, i + 2).into_iter().map(|name| Reference { name, line }));
            }
            Token::Ident(word) if word == "super" && tok(i.wrapping_sub(1)) != Some(&Token::Path) => {
                let mut ups = 0;
                let mut j = i;
                while ident(j, "super") && tok(j + 1) == Some(&Token::Path) {
                    ups += 1;
                    j += 2;
                }
                // Only a chain that climbs out of every enclosing module reaches other top-level modules.
                if ups >= module.len() + inline.len() {
                    out.extend(first_segments(&t, j).into_iter().map(|name| Reference { name, line }));
                }
                i = j.max(i + 1);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The `.rs` files under `dir`, sorted.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect::<Vec<_>>();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file under src/: `src/foo.rs` and `src/foo/mod.rs` are `[foo]`, `src/foo/bar.rs` is
/// `[foo, bar]`.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let file = parts.pop().unwrap();
    let stem = file.strip_suffix(".rs").unwrap();
    if stem != "mod" {
        parts.push(stem.to_string());
    }
    parts
}

/// Module → module it imports → where (`src/file.rs:line`, each place).
type Graph = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// The import graph of the top-level modules of src/, and the `crate::x` names that are no top-level module.
fn graph() -> (Graph, Vec<String>) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let files: Vec<(PathBuf, Vec<String>)> = files
        .into_iter()
        .filter_map(|path| {
            let rel = path.strip_prefix(&src).unwrap().to_path_buf();
            let skip = rel.starts_with("bin") || rel == Path::new("main.rs") || rel == Path::new("lib.rs");
            (!skip).then(|| (path, module_path(&rel)))
        })
        .collect();
    let modules: BTreeSet<String> = files.iter().map(|(_, m)| m[0].clone()).collect();
    let mut graph: Graph = modules.iter().map(|m| (m.clone(), BTreeMap::new())).collect();
    let mut unknown = Vec::new();
    for (path, module) in &files {
        let shown = path.strip_prefix(&root).unwrap().display().to_string();
        let code = code_only(&std::fs::read_to_string(path).unwrap());
        for r in references(&code, module) {
            let place = format!("{shown}:{}", r.line);
            if !modules.contains(&r.name) {
                unknown.push(format!("crate::{} at {place}", r.name));
            } else if r.name != module[0] {
                graph.get_mut(&module[0]).unwrap().entry(r.name).or_default().push(place);
            }
        }
    }
    (graph, unknown)
}

/// The modules `from` reaches by one or more imports.
fn reachable(graph: &Graph, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<&str> = graph[from].keys().map(String::as_str).collect();
    while let Some(m) = todo.pop() {
        if seen.insert(m.to_string()) {
            todo.extend(graph[m].keys().map(String::as_str));
        }
    }
    seen
}

/// The strongly connected components with more than one module, each sorted, in order.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let reach: BTreeMap<&str, BTreeSet<String>> = graph.keys().map(|m| (m.as_str(), reachable(graph, m))).collect();
    let mut components: BTreeSet<Vec<String>> = BTreeSet::new();
    for m in graph.keys() {
        let component: Vec<String> = graph
            .keys()
            .filter(|o| *o == m || (reach[m.as_str()].contains(*o) && reach[o.as_str()].contains(m)))
            .cloned()
            .collect();
        if component.len() > 1 {
            components.insert(component);
        }
    }
    components.into_iter().collect()
}

/// The shortest import path from `from` to `to` inside `component`, both ends included.
fn path_within(graph: &Graph, component: &[String], from: &str, to: &str) -> Vec<String> {
    let mut previous: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = VecDeque::from([from.to_string()]);
    while let Some(m) = queue.pop_front() {
        for next in graph[&m].keys().filter(|n| component.contains(n)) {
            if next == to || (!previous.contains_key(next) && next != from) {
                previous.entry(next.clone()).or_insert_with(|| m.clone());
                if next == to {
                    let mut path = vec![to.to_string()];
                    let mut at = previous[to].clone();
                    while at != from {
                        path.push(at.clone());
                        at = previous[&at].clone();
                    }
                    path.push(from.to_string());
                    path.reverse();
                    return path;
                }
                queue.push_back(next.clone());
            }
        }
    }
    unreachable!("{to} is in the component of {from}")
}

/// A closed walk through every module of `component`: "a -> b -> c -> a".
fn walk(graph: &Graph, component: &[String]) -> String {
    let start = component[0].clone();
    let mut walk = vec![start.clone()];
    let mut left: BTreeSet<String> = component[1..].iter().cloned().collect();
    let mut at = start.clone();
    while !left.is_empty() {
        // The nearest module not yet on the walk.
        let path = left.iter().map(|m| path_within(graph, component, &at, m)).min_by_key(Vec::len).unwrap();
        for m in &path[1..] {
            left.remove(m);
            walk.push(m.clone());
        }
        at.clone_from(walk.last().unwrap());
    }
    walk.extend(path_within(graph, component, &at, &start).into_iter().skip(1));
    walk.join(" -> ")
}

#[test]
fn the_scanner_reads_paths_as_rust_does() {
    let src = r##"
//! Module docs naming crate::docs_only.
use crate::{alpha, beta::B, gamma::{self as g, X}};
use crate::delta::D; // trailing crate::comment_only
/* block crate::block_only /* nested crate::nested_only */ still crate::block_only */
const URL: &str = "https://example.org/crate::string_only";
const RAW: &str = r#"crate::raw_only "quoted" "#;
const QUOTE: char = '"';
fn f<'a>(x: &'a str) -> &'a str { let _ = crate::epsilon::e(); x }
mod tests {
    use super::*;
    use super::super::zeta;
}
"##;
    let code = code_only(src);
    assert_eq!(code.lines().count(), src.lines().count(), "line breaks are kept");
    let refs = references(&code, &["top".to_string()]);
    let names: Vec<(&str, usize)> = refs.iter().map(|r| (r.name.as_str(), r.line)).collect();
    assert_eq!(names, [("alpha", 3), ("beta", 3), ("gamma", 3), ("delta", 4), ("epsilon", 9), ("zeta", 12)], "{code}");
}

#[test]
fn top_level_modules_import_each_other_without_cycles() {
    let (graph, unknown) = graph();
    assert!(unknown.is_empty(), "paths that name no top-level module of src/:\n{}", unknown.join("\n"));
    // The graph is read from the real sources: these imports are the backbone of the pipeline.
    for (from, to) in
        [("pipeline", "archive"), ("pipeline", "report"), ("report", "progress"), ("progress", "validate")]
    {
        assert!(graph[from].contains_key(to), "{from} imports {to}, but the scan did not find it: {graph:#?}");
    }
    let found = cycles(&graph);
    let messages: Vec<String> = found
        .iter()
        .map(|component| {
            let mut message = format!("import cycle between top-level modules: {}", walk(&graph, component));
            for from in component {
                for (to, places) in graph[from].iter().filter(|(to, _)| component.contains(to)) {
                    let _ = write!(message, "\n    {from} -> {to}: {}", places.join(", "));
                }
            }
            message
        })
        .collect();
    assert!(messages.is_empty(), "{}", messages.join("\n"));
}
