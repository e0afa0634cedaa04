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

/// Whether `dir` is a site lofte wrote: it holds the four files every lofte site has. Only such a folder is ever
/// moved or removed by name; anything else beside the site is the operator's and stays.
#[must_use]
pub fn is_lofte_site(dir: &Path) -> bool {
    fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir())
        && ["index.html", "style.css", "feed.xml", "results.csv"].iter().all(|f| dir.join(f).is_file())
}

/// Removes what an interrupted switch left: versions that `site` does not link to, the `.tmp`/`.old` sites of
/// earlier lofte versions (only when they are lofte sites) and the temporary link. Returns how many were removed.
pub fn clean(site: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for leftover in [site.with_extension("tmp"), site.with_extension("old")] {
        if is_lofte_site(&leftover) {
            fs::remove_dir_all(&leftover)?;
            removed += 1;
        }
    }
    let temp = link_temp(site);
    if fs::symlink_metadata(&temp).is_ok_and(|m| m.file_type().is_symlink()) {
        fs::remove_file(&temp)?;
        removed += 1;
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

/// `path` made absolute and with `.` and `..` taken out (without touching the disk), for comparing folders.
fn normal(path: &Path) -> PathBuf {
    crate::config::lexical_normal(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// Why `site` may not be the site folder, if it may not: it must not be, hold or lie inside any of `others` (the
/// archive, the state, the outbox, the configuration), since writing the site replaces the folder as a whole.
#[must_use]
pub fn unsafe_location(site: &Path, others: &[(&str, &Path)]) -> Option<String> {
    let s = normal(site);
    if s.parent().is_none() {
        return Some("it is the root of the file system".into());
    }
    others.iter().find_map(|(what, other)| {
        let o = normal(other);
        if s == o {
            Some(format!("it is the {what} folder"))
        } else if o.starts_with(&s) {
            Some(format!("it holds the {what} folder {}", other.display()))
        } else if s.starts_with(&o) {
            Some(format!("it lies inside the {what} folder {}", other.display()))
        } else {
            None
        }
    })
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
    match fs::symlink_metadata(site) {
        Ok(m) if m.file_type().is_symlink() => {}
        Ok(m) if m.is_dir() && fs::read_dir(site)?.next().is_none() => fs::remove_dir(site)?,
        Ok(m) if m.is_dir() && is_lofte_site(site) => {
            // A site written by an earlier lofte is a plain folder: move it into the versions (the one moment the
            // site is absent, once per installation).
            let moved = new_version(site)?;
            fs::remove_dir(&moved)?;
            fs::rename(site, &moved)?;
            legacy = Some(moved);
        }
        Ok(_) => {
            return Err(io::Error::other(
                "it exists and is not a site lofte wrote (nor empty): lofte will not replace it; choose a new or empty folder for the site",
            ))
        }
        Err(_) => {}
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
