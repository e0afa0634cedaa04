//! `lofte archive list | show P | verify | site`: what was published, and whether it is still intact.

use std::fmt::Write as _;

use clap::Subcommand;

use crate::archive::{Archive, ArchiveError, RESULTS_FILE};
use crate::config::Config;
use crate::progress::json::{Results, ResultsError};
use crate::progress::Figure;
use crate::site;
use crate::state::LockError;

/// Archive actions.
#[derive(Debug, Subcommand)]
pub enum ArchiveAction {
    /// List published results.
    List,
    /// Show one published period.
    Show {
        /// The period.
        period: String,
    },
    /// Re-check every file's SHA-256.
    Verify,
    /// Write the static public site.
    Site,
}

/// Why an archive action failed.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveCommandError {
    /// The archive could not be read or written.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// Files are missing or changed (`verify`), or left off the site (`site`).
    #[error("{} archived file(s) are missing or changed:\n{}", .0.len(), .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Verify(Vec<String>),
    /// `show` found no such period.
    #[error("no published follow-up for period {0:?}: see `lofte archive list`")]
    NoSuchPeriod(String),
    /// Another process is publishing (the site is written under the same lock).
    #[error(transparent)]
    Busy(#[from] LockError),
    /// An archived `results.json` cannot be read back.
    #[error(transparent)]
    Results(#[from] ResultsError),
    /// The site could not be written.
    #[error(transparent)]
    Site(#[from] site::SiteError),
}

impl ArchiveCommandError {
    /// 2 for a period that does not exist (bad usage), 1 otherwise.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            ArchiveCommandError::NoSuchPeriod(_) => 2,
            _ => 1,
        }
    }
}

/// Runs an archive action; returns the text to print. On a `site` that left entries off, the site is written and
/// the error names them.
pub fn run(config: &Config, action: &ArchiveAction) -> Result<String, ArchiveCommandError> {
    let archive = Archive::new(&config.archive_dir);
    let mut out = String::new();
    match action {
        ArchiveAction::List => {
            let entries = archive.list()?;
            if entries.is_empty() {
                let _ =
                    writeln!(out, "the archive at {} is empty: nothing has been published", archive.root().display());
            }
            for e in entries {
                let m = &e.manifest;
                let state = if e.superseded { "superseded" } else { "current" };
                let _ = writeln!(
                    out,
                    "{:<20} {:<8} as of {}  generated {}  {:<10} {}",
                    m.document,
                    m.period,
                    m.as_of,
                    m.generated_at,
                    state,
                    e.dir.display()
                );
            }
            Ok(out)
        }
        ArchiveAction::Show { period } => {
            let entries: Vec<_> =
                archive.list()?.into_iter().filter(|e| !e.superseded && e.manifest.period == *period).collect();
            if entries.is_empty() {
                return Err(ArchiveCommandError::NoSuchPeriod(period.clone()));
            }
            for e in entries {
                let m = &e.manifest;
                let _ = writeln!(
                    out,
                    "{} {} (as of {}), generated {} by lofte {}",
                    m.document, m.period, m.as_of, m.generated_at, m.tool_version
                );
                let _ = writeln!(out, "  folder: {}", e.dir.display());
                let _ = writeln!(out, "  input sha256: {}", m.input_hash);
                let _ = writeln!(out, "  config sha256: {}", m.config_hash);
                let _ = writeln!(out, "  files:");
                for (name, hash) in &m.files {
                    let _ = writeln!(out, "    {name:<40} sha256:{hash}");
                }
                let _ = writeln!(out, "  deliveries:");
                for (who, status) in &m.deliveries {
                    let _ = writeln!(out, "    {who:<60} {status}");
                }
                let results = Results::read(&e.dir.join(RESULTS_FILE))?;
                let _ = writeln!(out, "  results:");
                for p in &results.pledges {
                    let achieved = match p.achieved {
                        Some(Figure::Count(n)) => n.to_string(),
                        Some(Figure::Measured(v)) => v.to_string(),
                        None => "-".to_string(),
                    };
                    let of = p.target.map_or(String::new(), |t| format!("of {t}"));
                    let _ = writeln!(out, "    {:<22} {achieved:>5} {of:<8} {}", p.id, p.status.key());
                }
            }
            Ok(out)
        }
        ArchiveAction::Verify => {
            let problems = archive.verify()?;
            if problems.is_empty() {
                let entries = archive.list()?;
                let files: usize = entries.iter().map(|e| e.manifest.files.len()).sum();
                let _ = writeln!(out, "ok: {} entries, {files} files, every SHA-256 matches", entries.len());
                Ok(out)
            } else {
                Err(ArchiveCommandError::Verify(problems))
            }
        }
        ArchiveAction::Site => {
            // The same lock as `publish`: two site writes at once would remove each other's version.
            let _lock = crate::state::RunLock::acquire(&config.state_dir, "publish")?;
            let written = site::write(config, &archive)?;
            let _ = writeln!(out, "public site written: {}", written.index.display());
            if written.left_out.is_empty() {
                Ok(out)
            } else {
                Err(ArchiveCommandError::Verify(written.left_out))
            }
        }
    }
}
