//! `lofte archive list | show P | verify | site`: what was published, and whether it is still intact.

use crate::archive::{site, Archive};
use crate::cli::{ArchiveAction, CliError};
use crate::config::Config;

/// Runs an archive action.
pub fn run(config: &Config, action: &ArchiveAction) -> Result<(), CliError> {
    let archive = Archive::new(&config.archive_dir);
    match action {
        ArchiveAction::List => {
            let entries = archive.list()?;
            if entries.is_empty() {
                outln!("the archive at {} is empty: nothing has been published", archive.root().display());
            }
            for e in entries {
                let m = &e.manifest;
                let state = if e.superseded { "superseded" } else { "current" };
                outln!(
                    "{:<20} {:<8} as of {}  generated {}  {:<10} {}",
                    m.document,
                    m.period,
                    m.as_of,
                    m.generated_at,
                    state,
                    e.dir.display()
                );
            }
            Ok(())
        }
        ArchiveAction::Show { period } => {
            let entries: Vec<_> =
                archive.list()?.into_iter().filter(|e| !e.superseded && e.manifest.period == *period).collect();
            if entries.is_empty() {
                return Err(CliError::NoSuchPeriod(period.clone()));
            }
            for e in entries {
                let m = &e.manifest;
                outln!(
                    "{} {} (as of {}), generated {} by lofte {}",
                    m.document,
                    m.period,
                    m.as_of,
                    m.generated_at,
                    m.tool_version
                );
                outln!("  folder: {}", e.dir.display());
                outln!("  input sha256: {}", m.input_hash);
                outln!("  config sha256: {}", m.config_hash);
                outln!("  files:");
                for (name, hash) in &m.files {
                    outln!("    {name:<40} sha256:{hash}");
                }
                outln!("  deliveries:");
                for (who, status) in &m.deliveries {
                    outln!("    {who:<60} {status}");
                }
                if let Ok(bytes) = std::fs::read(e.dir.join("results.json")) {
                    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                        outln!("  results:");
                        for p in json["pledges"].as_array().into_iter().flatten() {
                            outln!(
                                "    {:<22} {:>5} of {:<5} {}",
                                p["id"].as_str().unwrap_or(""),
                                p["achieved"],
                                p["target"],
                                p["status"].as_str().unwrap_or("")
                            );
                        }
                    }
                }
            }
            Ok(())
        }
        ArchiveAction::Verify => {
            let problems = archive.verify()?;
            if problems.is_empty() {
                let entries = archive.list()?;
                let files: usize = entries.iter().map(|e| e.manifest.files.len()).sum();
                outln!("ok: {} entries, {files} files, every SHA-256 matches", entries.len());
                Ok(())
            } else {
                Err(CliError::Verify(problems))
            }
        }
        ArchiveAction::Site => {
            // The same lock as `publish`: two site writes at once would remove each other's version.
            let _lock =
                crate::daemon::state::RunLock::acquire(&config.state_dir, "publish").map_err(CliError::State)?;
            let written = site::write(config, &archive)?;
            outln!("public site written: {}", written.index.display());
            if written.left_out.is_empty() {
                Ok(())
            } else {
                Err(CliError::Verify(written.left_out))
            }
        }
    }
}
