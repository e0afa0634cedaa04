//! Follow-up notes (SPEC §11, docs/followups.md): what the parties say about one follow-up. A person's verdict on a
//! qualitative promise with its justification, a public comment under a commitment ("pandemin påverkade …"), an
//! internal note for the police chief and the board chair, and a summary for the whole follow-up.
//!
//! The notes live in `followups/<document>/<period>.toml`; a follow-up without a file has no notes. Reading checks
//! the file against its pledge document and reports every problem at once, with its line and column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::pledge::Pledge;
use crate::problem::{Problem, Problems};
use crate::progress::Progress;
pub use crate::progress::{Assessment, Verdict};

/// The notes on one commitment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Note {
    /// A verdict and its justification.
    pub assessment: Option<Assessment>,
    /// Public text under the commitment.
    pub comment: Option<String>,
    /// Internal edition only.
    pub internal: Option<String>,
}

/// The notes on one follow-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notes {
    /// Public text for the whole follow-up.
    pub summary: Option<String>,
    /// Commitment id → its note.
    pub commitments: BTreeMap<String, Note>,
    /// The file they were read from (`None` when there is none).
    pub file: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotes {
    summary: Option<String>,
    #[serde(default)]
    commitments: Vec<Spanned<RawNote>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNote {
    id: Spanned<String>,
    verdict: Option<Spanned<Verdict>>,
    justification: Option<String>,
    comment: Option<String>,
    internal: Option<String>,
}

/// The notes file of `document` and `period` under `dir`.
#[must_use]
pub fn path(dir: &Path, document: &str, period: &str) -> PathBuf {
    dir.join(document).join(format!("{period}.toml"))
}

/// Reads the notes of `period` for `pledge` from `dir`; no file means no notes.
pub fn read(dir: &Path, pledge: &Pledge, period: &str) -> Result<Notes, Vec<Problem>> {
    let file = path(dir, &pledge.id, period);
    match std::fs::read_to_string(&file) {
        Ok(text) => parse(&file, &text, pledge),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Notes::default()),
        Err(e) => Err(vec![Problem::whole(&file, format!("cannot read the follow-up notes: {e}"))]),
    }
}

/// Parses a notes file and checks it against its pledge document: every id is a commitment of the document and
/// named once, and every verdict has a justification.
pub fn parse(file: &Path, text: &str, pledge: &Pledge) -> Result<Notes, Vec<Problem>> {
    let raw: RawNotes = toml::from_str(text)
        .map_err(|e| vec![Problem::at(file, text, e.span(), crate::problem::without_values(e.message()))])?;
    let mut problems = Problems::new(file, text);
    let mut notes =
        Notes { summary: nonempty(raw.summary), commitments: BTreeMap::new(), file: Some(file.to_path_buf()) };
    for note in raw.commitments {
        let (span, note) = (note.span(), note.into_inner());
        let id = note.id.get_ref();
        if !pledge.commitments.iter().any(|c| c.id == *id) {
            let known: Vec<&str> = pledge.commitments.iter().map(|c| c.id.as_str()).collect();
            problems.at(
                note.id.span(),
                format!("{id:?} is not a commitment of {}: write one of {}", pledge.id, known.join(", ")),
            );
            continue;
        }
        if notes.commitments.contains_key(id) {
            problems.at(note.id.span(), format!("commitment {id:?} has notes twice: keep one [[commitments]] entry"));
            continue;
        }
        let justification = nonempty(note.justification);
        let assessment = match (note.verdict, justification) {
            (Some(verdict), Some(justification)) => Some(Assessment { verdict: *verdict.get_ref(), justification }),
            (Some(verdict), None) => {
                problems.at(
                    verdict.span(),
                    format!("commitment {id:?}: a verdict needs its justification: add justification = \"…\" (why the parties judge it so)"),
                );
                None
            }
            (None, Some(_)) => {
                problems.at(span, format!("commitment {id:?}: a justification without a verdict: add verdict = \"achieved\" | \"partly\" | \"not_met\" | \"in_progress\" | \"not_applicable\", or write it as a comment"));
                None
            }
            (None, None) => None,
        };
        notes.commitments.insert(
            id.clone(),
            Note { assessment, comment: nonempty(note.comment), internal: nonempty(note.internal) },
        );
    }
    if problems.list.is_empty() {
        Ok(notes)
    } else {
        Err(problems.list)
    }
}

fn nonempty(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

impl Notes {
    /// Puts the notes into the follow-up: the summary, and for each commitment its assessment, comment and internal
    /// note. A verdict is the status of an `assessed` or `count` commitment; on any other kind it stands beside
    /// the computed status and never hides it. `computed_status` keeps what the figures say either way.
    pub fn apply(&self, pledge: &Pledge, progress: &mut Progress) {
        progress.summary.clone_from(&self.summary);
        for (c, p) in pledge.commitments.iter().zip(progress.pledges.iter_mut()) {
            p.computed_status = Some(p.status);
            let Some(note) = self.commitments.get(&c.id) else { continue };
            p.comment.clone_from(&note.comment);
            p.internal_note.clone_from(&note.internal);
            p.assessment.clone_from(&note.assessment);
            if let Some(a) = &note.assessment {
                if matches!(c.target, crate::pledge::Target::Assessed | crate::pledge::Target::Count) {
                    p.status = a.verdict.status();
                }
            }
        }
    }
}
