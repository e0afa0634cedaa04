//! Shared test helpers: a copy of the shipped configuration in a temporary folder, and the `lofte` binary.
#![allow(dead_code)]

pub mod rendered;
pub mod smtp;
pub mod wait;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of `config/` (settings, pledge documents, sample data) that a test may change.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    /// The shipped configuration with review turned off, so that `publish` releases at once: most tests are about
    /// what happens after a release. [`Fixture::reviewed`] keeps review on.
    pub fn new() -> Fixture {
        let f = Fixture::reviewed();
        f.edit("config/lofte.toml", "required = true", "required = false");
        f
    }

    /// The shipped configuration as it is: review on.
    pub fn reviewed() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&root().join("config"), &dir.path().join("config"));
        Fixture { dir }
    }

    /// The settings file.
    pub fn config(&self) -> PathBuf {
        self.path("config/lofte.toml")
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Replaces `from` (which must be there exactly once) by `to` in the file `rel`.
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert_eq!(text.matches(from).count(), 1, "{from:?} must occur once in {rel}");
        std::fs::write(self.path(rel), text.replacen(from, to, 1)).unwrap();
    }

    /// Runs `lofte --config <fixture> ARGS` in the fixture folder.
    pub fn lofte(&self, args: &[&str]) -> Output {
        self.lofte_env(args, &[])
    }

    /// The same, with environment variables set.
    pub fn lofte_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let config = self.config();
        let mut all = vec!["--config", config.to_str().unwrap()];
        all.extend_from_slice(args);
        let mut command = lofte_command(self.dir.path(), &all);
        command.envs(env.iter().copied());
        command.output().unwrap()
    }
}

/// Runs the `lofte` binary in `cwd` with no SMTP settings from the environment.
pub fn lofte_in(cwd: &Path, args: &[&str]) -> Output {
    lofte_command(cwd, args).output().unwrap()
}

fn lofte_command(cwd: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lofte"));
    command
        .args(args)
        .current_dir(cwd)
        .env_remove("LOFTE_SMTP_URL")
        .env_remove("LOFTE_SMTP_PASSWORD")
        .env_remove("LOFTE_FAULT")
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("RUST_LOG");
    command
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// 1-based number of the line holding `needle` (which must be there exactly once).
pub fn line_of(text: &str, needle: &str) -> usize {
    let hits: Vec<usize> = text.lines().enumerate().filter(|(_, l)| l.contains(needle)).map(|(i, _)| i + 1).collect();
    assert_eq!(hits.len(), 1, "{needle:?} must be on exactly one line");
    hits[0]
}

/// Copies a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of `tests/fixtures/<name>` in a temporary folder (at `<tmp>/<name>`), run with the settings files in it;
/// outputs go wherever those settings say, inside the temporary folder.
pub struct Scratch {
    pub dir: tempfile::TempDir,
    name: String,
}

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&root().join("tests/fixtures").join(name), &dir.path().join(name));
        Scratch { dir, name: name.to_string() }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Runs `lofte --config <copy>/<config> ARGS` in the temporary folder and requires it to succeed.
    pub fn lofte(&self, config: &str, args: &[&str]) -> Output {
        let config = self.path(&format!("{}/{config}", self.name));
        let mut all = vec!["--config", config.to_str().unwrap()];
        all.extend_from_slice(args);
        let out = lofte_in(self.dir.path(), &all);
        assert_eq!(out.status.code(), Some(0), "lofte {args:?}: {}", stderr(&out));
        out
    }
}
