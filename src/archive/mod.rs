//! The archive of published results (docs/archive.md): `archive/<document>/<period>/` holds both PDFs,
//! results.json, the normalized input, the rejected rows and a manifest with the SHA-256 of every file.
//!
//! An entry is written into a temporary folder, every file and the folder fsynced, then renamed into place, so a
//! crash leaves a complete entry or none. Publishing again (`--force`) moves the earlier entry to
//! `archive/<document>/superseded/<period>-<n>/`; nothing is ever overwritten.

pub mod snapshot;

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::hash::{file_sha256, Hashing};
use serde::{Deserialize, Serialize};

/// The folder of superseded entries inside a document's folder.
pub const SUPERSEDED: &str = "superseded";
/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The public `results.json` of an entry (the internal one is `results-internal.json`).
pub const RESULTS_FILE: &str = "results.json";
/// Prefix of temporary folders; a crash may leave one behind, and nothing reads them.
const TEMP_PREFIX: &str = ".tmp-";
/// The file whose exclusive lock serialises manifest updates (in the archive's root, beside the document folders).
const LOCK_FILE: &str = ".manifest.lock";

/// Why the archive could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The period is archived already.
    #[error("{document} {period} was published already ({generated_at}); use --force to publish again (the earlier version is kept)")]
    AlreadyPublished {
        /// Document id.
        document: String,
        /// Period name.
        period: String,
        /// When the earlier version was made.
        generated_at: String,
    },
    /// A manifest that cannot be read.
    #[error("{}: not a lofte manifest ({reason})", path.display())]
    BadManifest {
        /// The manifest.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io { path: path.to_path_buf(), source }
}

/// What an entry is, and the hash of every file in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Pledge document id.
    pub document: String,
    /// Period name.
    pub period: String,
    /// The figures' as-of date.
    pub as_of: chrono::NaiveDate,
    /// Generation time (RFC 3339).
    pub generated_at: String,
    /// lofte's version.
    pub tool_version: String,
    /// SHA-256 of the settings and pledge documents.
    pub config_hash: String,
    /// SHA-256 of the input rows.
    pub input_hash: String,
    /// File name → SHA-256.
    pub files: BTreeMap<String, String>,
    /// Recipient (`role:address`) → delivery status.
    pub deliveries: BTreeMap<String, String>,
    /// 1 for the first publication of the period, one more for each correction (`publish --force`).
    #[serde(default = "first_version")]
    pub version: u32,
    /// Why this version replaced the one before (`publish --force --reason`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<String>,
    /// Review before release (SPEC §11): absent when the follow-up was released without review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
}

impl Manifest {
    /// Whether this version replaces one the public had: without review any later version; with review a version
    /// made with `publish --force --reason` after an approved one (a draft replaced before approval is not).
    #[must_use]
    pub fn is_correction(&self) -> bool {
        match &self.review {
            None => self.version > 1,
            Some(_) => self.correction.is_some(),
        }
    }

    /// Whether this version is a draft waiting for review.
    #[must_use]
    pub fn is_draft(&self) -> bool {
        self.review.as_ref().is_some_and(|r| r.state == ReviewState::Draft)
    }

    /// When the public got this version (RFC 3339): its approval, or its generation for a version made without
    /// review (and, for a draft, when it was made).
    #[must_use]
    pub fn released_at(&self) -> &str {
        self.review
            .as_ref()
            .filter(|r| r.state == ReviewState::Approved)
            .and_then(|r| r.decided_at.as_deref())
            .unwrap_or(&self.generated_at)
    }

    /// Whether this version reached (or may reach) the public: made without review, or approved.
    #[must_use]
    pub fn released(&self) -> bool {
        self.review.as_ref().is_none_or(|r| r.state == ReviewState::Approved)
    }
}

/// Where a reviewed follow-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// Waiting for review: only the reviewers have it.
    Draft,
    /// Approved and released to the public.
    Approved,
    /// Dropped; a new `publish` makes a new draft.
    Rejected,
}

/// The review of one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// Draft, approved or rejected.
    pub state: ReviewState,
    /// When the draft was made (RFC 3339).
    pub drafted_at: String,
    /// Who approved it ("Namn, titel").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    /// When it was approved or rejected (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    /// Why it was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_because: Option<String>,
    /// When the reviewers were reminded (RFC 3339); a draft is reminded about once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded_at: Option<String>,
    /// The draft's example figures, as `commitment: figure`: a draft made with one is never approved (its figures
    /// were computed with it), however the pledge document reads by then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
}

fn first_version() -> u32 {
    1
}

/// One entry found in the archive.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its folder.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// Whether a later publication of the same period replaced it.
    pub superseded: bool,
}

/// The archive folder.
#[derive(Debug, Clone)]
pub struct Archive {
    root: PathBuf,
}

impl Archive {
    /// The archive at `root` (created on first write).
    #[must_use]
    pub fn new(root: impl Into<PathBuf>) -> Archive {
        Archive { root: root.into() }
    }

    /// The archive's folder.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of the current entry of `document` and `period`.
    #[must_use]
    pub fn entry_dir(&self, document: &str, period: &str) -> PathBuf {
        self.root.join(document).join(period)
    }

    /// The current entry of `document` and `period`, if published.
    pub fn current(&self, document: &str, period: &str) -> Result<Option<Entry>, ArchiveError> {
        let dir = self.entry_dir(document, period);
        if !dir.join(MANIFEST).exists() {
            return Ok(None);
        }
        Ok(Some(Entry { manifest: read_manifest(&dir)?, dir, superseded: false }))
    }

    /// Writes an entry atomically. `manifest.files` is filled in here from `files`.
    pub fn write(&self, mut manifest: Manifest, files: &[(String, Body)], force: bool) -> Result<Entry, ArchiveError> {
        let doc_dir = self.root.join(&manifest.document);
        fs::create_dir_all(&doc_dir).map_err(io(&doc_dir))?;
        let target = doc_dir.join(&manifest.period);
        if let Some(earlier) = self.current(&manifest.document, &manifest.period)? {
            if !force {
                return Err(ArchiveError::AlreadyPublished {
                    document: manifest.document,
                    period: manifest.period,
                    generated_at: earlier.manifest.generated_at,
                });
            }
        }
        // The next version after every earlier one, superseded ones included: a crash between moving the current
        // entry aside and moving the new one in must not make the next publication reuse a version number.
        manifest.version = document_entries(&doc_dir)?
            .iter()
            .filter(|e| e.manifest.period == manifest.period)
            .map(|e| e.manifest.version)
            .max()
            .map_or(1, |v| v + 1);
        let temp = doc_dir.join(format!("{TEMP_PREFIX}{}-{}", manifest.period, std::process::id()));
        if temp.exists() {
            fs::remove_dir_all(&temp).map_err(io(&temp))?;
        }
        fs::create_dir_all(&temp).map_err(io(&temp))?;
        let filled = (|| {
            for (i, (name, body)) in files.iter().enumerate() {
                let hash = body.write_to(&temp.join(name))?;
                manifest.files.insert(name.clone(), hash);
                if i == files.len() / 2 {
                    crate::fault::point("archive-mid-write");
                }
            }
            write_synced(&temp.join(MANIFEST), &manifest_json(&manifest, &temp)?)?;
            sync_dir(&temp)
        })();
        if let Err(e) = filled {
            // A failed write (disk full, say) leaves nothing behind; a crash leaves a temporary folder nobody reads.
            let _ = fs::remove_dir_all(&temp);
            return Err(e);
        }
        if target.exists() {
            let superseded = doc_dir.join(SUPERSEDED);
            fs::create_dir_all(&superseded).map_err(io(&superseded))?;
            let n = (1..=u32::MAX).find(|n| !superseded.join(format!("{}-{n}", manifest.period)).exists()).unwrap_or(1);
            let old = superseded.join(format!("{}-{n}", manifest.period));
            fs::rename(&target, &old).map_err(io(&old))?;
            sync_dir(&superseded)?;
            crate::fault::point("archive-between-renames");
        }
        fs::rename(&temp, &target).map_err(io(&target))?;
        sync_dir(&doc_dir)?;
        Ok(Entry { dir: target, manifest, superseded: false })
    }

    /// Changes the delivery statuses in the manifest of the current entry of `document` and `period`, if it is
    /// still `version`: read, changed and written back (atomically, by rename) under an exclusive lock, so that
    /// two processes recording different recipients never lose each other's status. Returns whether it changed.
    pub fn update_deliveries(
        &self,
        document: &str,
        period: &str,
        version: u32,
        change: impl FnOnce(&mut BTreeMap<String, String>) -> bool,
    ) -> Result<bool, ArchiveError> {
        self.update_manifest(document, period, version, |m| change(&mut m.deliveries))
    }

    /// Changes the review record of the current entry of `document` and `period` if it is still `version`, has
    /// one, and `change` says it changed it, under the same lock as [`Archive::update_deliveries`]. Returns whether
    /// the manifest was rewritten.
    pub fn update_review(
        &self,
        document: &str,
        period: &str,
        version: u32,
        change: impl FnOnce(&mut Review) -> bool,
    ) -> Result<bool, ArchiveError> {
        self.update_manifest(document, period, version, |m| m.review.as_mut().is_some_and(change))
    }

    /// Rewrites the manifest of the current entry of `document` and `period`, if it is still `version` and `change`
    /// says it changed something, atomically and under the archive's manifest lock.
    fn update_manifest(
        &self,
        document: &str,
        period: &str,
        version: u32,
        change: impl FnOnce(&mut Manifest) -> bool,
    ) -> Result<bool, ArchiveError> {
        let lock_path = self.root.join(LOCK_FILE);
        let lock = File::options().create(true).truncate(false).write(true).open(&lock_path).map_err(io(&lock_path))?;
        lock.lock().map_err(io(&lock_path))?;
        let Some(mut entry) = self.current(document, period)? else { return Ok(false) };
        if entry.manifest.version != version || !change(&mut entry.manifest) {
            return Ok(false);
        }
        let json = manifest_json(&entry.manifest, &entry.dir)?;
        let temp = entry.dir.join(format!("{TEMP_PREFIX}{MANIFEST}.{}", std::process::id()));
        write_synced(&temp, &json)?;
        let path = entry.dir.join(MANIFEST);
        fs::rename(&temp, &path).map_err(io(&path))?;
        sync_dir(&entry.dir)?;
        // The lock is released when `lock` is dropped (closed).
        Ok(true)
    }

    /// Removes what interrupted writes left behind: temporary entry folders and manifest rewrites of processes that
    /// no longer run. Returns how many were removed.
    pub fn clean_leftovers(&self) -> Result<usize, ArchiveError> {
        let mut removed = 0;
        if !self.root.exists() {
            return Ok(0);
        }
        for doc in sorted_dirs(&self.root)? {
            for item in fs::read_dir(&doc).map_err(io(&doc))?.filter_map(Result::ok) {
                let path = item.path();
                let name = item.file_name().to_string_lossy().into_owned();
                if name.starts_with(TEMP_PREFIX) && !writer_alive(&name) {
                    // A temporary entry with its manifest is complete (the manifest is written last): a crash
                    // between moving the earlier version aside and moving this one in left the period without a
                    // current entry, so finish the move. Anything else is half written: remove it.
                    let target = roll_forward_target(&path, &doc);
                    match target {
                        Some(target) if !target.exists() => {
                            fs::rename(&path, &target).map_err(io(&target))?;
                            sync_dir(&doc)?;
                        }
                        _ => fs::remove_dir_all(&path).map_err(io(&path))?,
                    }
                    removed += 1;
                } else if path.is_dir() {
                    for file in fs::read_dir(&path).map_err(io(&path))?.filter_map(Result::ok) {
                        let name = file.file_name().to_string_lossy().into_owned();
                        if name.starts_with(TEMP_PREFIX) && !writer_alive(&name) && file.path().is_file() {
                            fs::remove_file(file.path()).map_err(io(&file.path()))?;
                            removed += 1;
                        }
                    }
                }
            }
        }
        Ok(removed)
    }

    /// Every entry, current and superseded, sorted by document, period and age.
    pub fn list(&self) -> Result<Vec<Entry>, ArchiveError> {
        let mut entries = Vec::new();
        if !self.root.exists() {
            return Ok(entries);
        }
        for doc in sorted_dirs(&self.root)? {
            entries.extend(document_entries(&doc)?);
        }
        entries.sort_by(|a, b| {
            (&a.manifest.document, &a.manifest.period, !a.superseded, &a.manifest.generated_at).cmp(&(
                &b.manifest.document,
                &b.manifest.period,
                !b.superseded,
                &b.manifest.generated_at,
            ))
        });
        Ok(entries)
    }

    /// The as-of dates of the released publications of `document`, except `period`'s own (a draft counts once it
    /// is approved: SPEC §11).
    pub fn publications(&self, document: &str, except_period: &str) -> Result<Vec<chrono::NaiveDate>, ArchiveError> {
        Ok(self
            .released()?
            .into_iter()
            .filter(|e| e.manifest.document == document && e.manifest.period != except_period)
            .map(|e| e.manifest.as_of)
            .collect())
    }

    /// For each document and period, its newest released version (made without review, or approved): what the
    /// public has. A draft or a rejected version after it leaves the released one in place.
    pub fn released(&self) -> Result<Vec<Entry>, ArchiveError> {
        let mut newest: BTreeMap<(String, String), Entry> = BTreeMap::new();
        for entry in self.list()?.into_iter().filter(|e| e.manifest.released()) {
            let key = (entry.manifest.document.clone(), entry.manifest.period.clone());
            if newest.get(&key).is_none_or(|e| e.manifest.version < entry.manifest.version) {
                newest.insert(key, entry);
            }
        }
        Ok(newest.into_values().collect())
    }

    /// The newest released version (made without review, or approved) of `document` and `period`, current or
    /// superseded, reading only that document's folder.
    pub fn newest_released(&self, document: &str, period: &str) -> Result<Option<Entry>, ArchiveError> {
        let doc_dir = self.root.join(document);
        if !doc_dir.is_dir() {
            return Ok(None);
        }
        Ok(document_entries(&doc_dir)?
            .into_iter()
            .filter(|e| e.manifest.period == period && e.manifest.released())
            .max_by_key(|e| e.manifest.version))
    }

    /// Re-hashes every file of every entry. Returns one line per file that is missing, changed or unexpected.
    pub fn verify(&self) -> Result<Vec<String>, ArchiveError> {
        let mut problems = Vec::new();
        for entry in self.list()? {
            problems.extend(verify_entry(&entry)?);
        }
        Ok(problems)
    }
}

/// Re-hashes every file of one entry. Returns one line per file that is missing, changed or unexpected.
pub fn verify_entry(entry: &Entry) -> Result<Vec<String>, ArchiveError> {
    let mut problems = Vec::new();
    for (name, hash) in &entry.manifest.files {
        let path = entry.dir.join(name);
        match file_sha256(&path) {
            Err(_) => problems.push(format!("{}: missing", path.display())),
            Ok(found) if found != *hash => {
                problems.push(format!("{}: changed (SHA-256 differs)", path.display()));
            }
            Ok(_) => {}
        }
    }
    for file in fs::read_dir(&entry.dir).map_err(io(&entry.dir))? {
        let file = file.map_err(io(&entry.dir))?;
        let name = file.file_name().to_string_lossy().into_owned();
        // A manifest rewrite that a crash interrupted is not part of the entry; `clean_leftovers` removes it.
        if name != MANIFEST && !name.starts_with(TEMP_PREFIX) && !entry.manifest.files.contains_key(&name) {
            problems.push(format!("{}: not in the manifest", file.path().display()));
        }
    }
    Ok(problems)
}

/// The content of one archived file: bytes in memory, or written straight to the file (the large CSVs).
pub enum Body<'a> {
    /// Bytes in memory.
    Bytes(Vec<u8>),
    /// A function that writes the file's content.
    Stream(Box<WriteFn<'a>>),
}

/// Writes a file's content to the writer it is given.
pub type WriteFn<'a> = dyn Fn(&mut dyn Write) -> std::io::Result<()> + Send + Sync + 'a;

impl Body<'_> {
    /// Writes the content to `path` (created, fsynced) and returns its SHA-256, computed as it is written.
    pub fn write_to(&self, path: &Path) -> Result<String, ArchiveError> {
        let file = File::create(path).map_err(io(path))?;
        let mut out = Hashing::new(std::io::BufWriter::new(file));
        match self {
            Body::Bytes(bytes) => out.write_all(bytes),
            Body::Stream(write) => write(&mut out),
        }
        .map_err(io(path))?;
        let (buffered, hash) = out.finish();
        let file =
            buffered.into_inner().map_err(|e| ArchiveError::Io { path: path.to_path_buf(), source: e.into_error() })?;
        file.sync_all().map_err(io(path))?;
        Ok(hash)
    }
}

/// The manifest as pretty JSON; a manifest that cannot be serialised is an error, never an empty file.
fn manifest_json(manifest: &Manifest, dir: &Path) -> Result<Vec<u8>, ArchiveError> {
    let mut json = serde_json::to_vec_pretty(manifest)
        .map_err(|e| ArchiveError::BadManifest { path: dir.join(MANIFEST), reason: e.to_string() })?;
    json.push(b'\n');
    Ok(json)
}

/// Where a complete temporary entry belongs: its manifest names the period.
fn roll_forward_target(temp: &Path, doc: &Path) -> Option<PathBuf> {
    if !temp.is_dir() || !temp.join(MANIFEST).is_file() {
        return None;
    }
    let manifest = read_manifest(temp).ok()?;
    Some(doc.join(manifest.period))
}

/// Whether the process that wrote a `.tmp-…-<pid>` name still runs (then its temporary file is in use).
fn writer_alive(name: &str) -> bool {
    name.rsplit(['-', '.'])
        .next()
        .and_then(|pid| pid.parse::<u32>().ok())
        .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists())
}

/// Every entry of one document's folder, current and superseded (temporary folders are not entries).
fn document_entries(doc: &Path) -> Result<Vec<Entry>, ArchiveError> {
    let mut entries = Vec::new();
    if !doc.exists() {
        return Ok(entries);
    }
    for dir in sorted_dirs(doc)? {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name == SUPERSEDED {
            for old in sorted_dirs(&dir)? {
                entries.push(Entry { manifest: read_manifest(&old)?, dir: old, superseded: true });
            }
        } else if !name.starts_with(TEMP_PREFIX) && dir.join(MANIFEST).exists() {
            entries.push(Entry { manifest: read_manifest(&dir)?, dir, superseded: false });
        }
    }
    Ok(entries)
}

fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>, ArchiveError> {
    let mut dirs: Vec<PathBuf> =
        fs::read_dir(dir).map_err(io(dir))?.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    Ok(dirs)
}

fn read_manifest(dir: &Path) -> Result<Manifest, ArchiveError> {
    let path = dir.join(MANIFEST);
    let bytes = fs::read(&path).map_err(io(&path))?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| ArchiveError::BadManifest { path: path.clone(), reason: e.to_string() })?;
    // The ids become paths of the public site: refuse anything that could leave its folder.
    if !crate::pledge::is_safe_id(&manifest.document) || crate::period::Period::parse(&manifest.period).is_err() {
        return Err(ArchiveError::BadManifest { path, reason: "document or period is not a safe id".into() });
    }
    Ok(manifest)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), ArchiveError> {
    let mut file = File::create(path).map_err(io(path))?;
    file.write_all(bytes).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

fn sync_dir(dir: &Path) -> Result<(), ArchiveError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}
