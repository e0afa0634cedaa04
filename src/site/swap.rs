//! Switching the public site to a new version without a moment where it is half written or missing.
//!
//! The configured site folder (`site/`) is a symbolic link to one complete version in `site.versions/<n>/`. A new
//! version is written beside it, and the link is replaced by `rename(2)` of a new link over the old one, which is
//! atomic: a reader (or a web server) sees the old site or the new one, never a mix. A crash leaves at most a
//! version nobody links to, and [`clean`] removes those (and the `site.tmp`/`site.old` folders of earlier lofte
//! versions) before the next write. A site folder that is still a plain folder is moved into the versions once.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The folder that holds the versions of `site`: `site.versions` beside it.
#[must_use]
pub fn versions_dir(site: &Path) -> PathBuf {
    site.with_file_name(format!("{}.versions", name(site)))
}

fn name(site: &Path) -> String {
    site.file_name().map_or_else(|| "site".into(), |n| n.to_string_lossy().into_owned())
}

/// The version folder `site` links to now, if it is a link.
fn current(site: &Path) -> Option<PathBuf> {
    let target = fs::read_link(site).ok()?;
    Some(if target.is_absolute() { target } else { site.parent().unwrap_or(Path::new(".")).join(target) })
}

/// Removes what an interrupted switch left: versions that `site` does not link to, and the `.tmp`/`.old` folders
/// and the temporary link of earlier writes. Returns how many were removed.
pub fn clean(site: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for leftover in [site.with_extension("tmp"), site.with_extension("old"), link_temp(site)] {
        if fs::symlink_metadata(&leftover).is_ok() {
            remove(&leftover)?;
            removed += 1;
        }
    }
    let versions = versions_dir(site);
    if versions.is_dir() {
        let keep = current(site).and_then(|p| p.file_name().map(ToOwned::to_owned));
        for entry in fs::read_dir(&versions)?.filter_map(Result::ok) {
            if Some(entry.file_name()) != keep {
                remove(&entry.path())?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

fn remove(path: &Path) -> io::Result<()> {
    if fs::symlink_metadata(path)?.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}

fn link_temp(site: &Path) -> PathBuf {
    site.with_file_name(format!(".{}.link-tmp", name(site)))
}

/// A fresh, empty version folder to write the next site into.
pub fn new_version(site: &Path) -> io::Result<PathBuf> {
    let versions = versions_dir(site);
    fs::create_dir_all(&versions)?;
    let next = fs::read_dir(&versions)?
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u64>().ok()))
        .max()
        .map_or(1, |n| n + 1);
    let dir = versions.join(next.to_string());
    fs::create_dir(&dir)?;
    Ok(dir)
}

/// Points `site` at `version` atomically, then removes the version it pointed at before.
pub fn switch(site: &Path, version: &Path) -> io::Result<()> {
    let before = current(site);
    let mut legacy = None;
    if fs::symlink_metadata(site).is_ok_and(|m| m.is_dir()) {
        // A site written by an earlier lofte is a plain folder: move it into the versions (the one moment the
        // site is absent, once per installation).
        let moved = new_version(site)?;
        fs::remove_dir(&moved)?;
        fs::rename(site, &moved)?;
        legacy = Some(moved);
    }
    // A relative link keeps working when the whole folder is moved or served from elsewhere.
    let relative = Path::new(&format!("{}.versions", name(site))).join(version.file_name().unwrap_or_default());
    let temp = link_temp(site);
    if fs::symlink_metadata(&temp).is_ok() {
        fs::remove_file(&temp)?;
    }
    std::os::unix::fs::symlink(&relative, &temp)?;
    fs::rename(&temp, site)?;
    if let Some(parent) = site.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::File::open(parent)?.sync_all()?;
    }
    for old in [before, legacy].into_iter().flatten().filter(|b| b.file_name() != version.file_name()) {
        if old.exists() {
            fs::remove_dir_all(old)?;
        }
    }
    Ok(())
}
