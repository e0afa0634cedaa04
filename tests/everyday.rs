//! Everyday use (part of issue 19): a run with every folder overridden writes nothing outside those folders, and
//! the binary works from an empty working directory with only a configuration (templates and fonts are built in).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{stderr, Fixture};

fn tree(root: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
            let path = entry.path();
            out.insert(path.strip_prefix(root).unwrap().to_path_buf());
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            }
        }
    }
    out
}

#[test]
fn a_run_with_every_folder_overridden_writes_nothing_outside_them() {
    let f = Fixture::new();
    let trial = tempfile::tempdir().unwrap();
    let t = |name: &str| trial.path().join(name).to_string_lossy().into_owned();
    let before = tree(f.dir.path());
    let (archive, state, site, outbox) = (t("archive"), t("state"), t("site"), t("outbox"));
    let args = [
        "--archive-dir",
        archive.as_str(),
        "--state-dir",
        state.as_str(),
        "--site-dir",
        site.as_str(),
        "--outbox-dir",
        outbox.as_str(),
    ];
    for command in [&["publish", "--period", "2021-H1"][..], &["deliver", "--retry"], &["status"], &["archive", "site"]]
    {
        let mut all = args.to_vec();
        all.extend_from_slice(command);
        let out = f.lofte(&all);
        assert_eq!(out.status.code(), Some(0), "{command:?}: {}", stderr(&out));
    }
    assert_eq!(tree(f.dir.path()), before, "nothing new beside the configuration");
    let written: BTreeSet<String> =
        tree(trial.path()).iter().filter(|p| p.components().count() == 1).map(|p| p.display().to_string()).collect();
    assert_eq!(written, ["archive", "outbox", "site", "site.versions", "state"].map(String::from).into());
    assert_eq!(std::fs::read_dir(trial.path().join("outbox")).unwrap().count(), 3, "the three messages");
}

#[test]
fn the_binary_works_from_an_empty_working_directory() {
    let f = Fixture::new();
    let empty = tempfile::tempdir().unwrap();
    let config = f.config();
    let out = common::lofte_in(empty.path(), &["--config", config.to_str().unwrap(), "check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let pdf = empty.path().join("r.pdf");
    let out = common::lofte_in(
        empty.path(),
        &["--config", config.to_str().unwrap(), "report", "--period", "2021-H1", "--out", pdf.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    assert_eq!(tree(empty.path()).len(), 1, "only the report it was asked for: {:?}", tree(empty.path()));
}
