//! The archive's CSV files: the normalized input snapshot, the rejected rows, and the cell escaping that keeps a
//! spreadsheet from running a value such as `=1+1` as a formula.

use std::io::{self, Write};

use crate::pledge::Pledge;
use crate::source::Position;
use crate::validate::Validated;

/// A cell that a spreadsheet shows as text: values starting with `=`, `+`, `-`, `@`, tab or CR get a leading `'`.
#[must_use]
pub fn inert(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

fn position(p: Position) -> String {
    match p {
        Position::Line(n) => format!("line {n}"),
        Position::Index(n) => format!("record {n}"),
    }
}

/// Writes a CSV file row by row to `out` (the archive streams these, so a million rejected rows are never held twice).
fn csv(out: &mut dyn Write, header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> io::Result<()> {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out);
    writer.write_record(header)?;
    for row in rows {
        writer.write_record(row.iter().map(|c| inert(c)))?;
    }
    writer.flush()
}

/// Every accepted record, normalized: the data behind the figures.
pub fn input_csv(pledge: &Pledge, validated: &Validated, out: &mut dyn Write) -> io::Result<()> {
    csv(
        out,
        &[
            "source",
            "origin",
            "position",
            "id",
            "date",
            "party",
            "activity",
            "commitment",
            "location",
            "count",
            "milestone",
            "note",
            "municipality",
            "value",
        ],
        validated.accepted.iter().map(|a| {
            let c = &pledge.commitments[a.commitment];
            vec![
                a.locator.source.to_string(),
                a.locator.origin.to_string(),
                position(a.locator.position),
                a.id.clone(),
                a.date.to_string(),
                pledge.parties.get(a.party as usize).map(|p| p.key.to_string()).unwrap_or_default(),
                pledge.activities.get(a.activity as usize).map(|k| k.kind.clone()).unwrap_or_default(),
                c.id.clone(),
                a.location.clone().unwrap_or_default(),
                a.count.to_string(),
                a.milestone.clone().unwrap_or_default(),
                a.note.clone().unwrap_or_default(),
                a.municipality.and_then(|m| pledge.municipalities.get(m as usize)).cloned().unwrap_or_default(),
                a.value.map(|v| v.to_string()).unwrap_or_default(),
            ]
        }),
    )
}

/// Every rejected row with its reason and the row as it was.
pub fn rejected_csv(validated: &Validated, out: &mut dyn Write) -> io::Result<()> {
    csv(
        out,
        &["source", "origin", "position", "id", "reason", "message", "raw"],
        validated.rejected.iter().map(|r| {
            vec![
                r.locator.source.to_string(),
                r.locator.origin.to_string(),
                position(r.locator.position),
                r.id.clone().unwrap_or_default(),
                r.reason.code().to_string(),
                r.reason.to_string(),
                r.raw.clone(),
            ]
        }),
    )
}
