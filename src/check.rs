//! `lofte check`: validates the settings, the pledge documents and the sources, and prints what lofte would do:
//! documents, commitments, sources with a data-quality summary, recipients and the next scheduled runs. Every
//! problem is printed at once; the exit code is 2 when there is any.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::Utc;

use crate::config::{Config, SourceConfig};
use crate::pipeline::{self, RecordsOverride, RECORDS_SOURCE};
use crate::pledge::{Parties, Party, PlacesRule, Pledge, Target};
use crate::problem::Problem;
use crate::schedule;
use crate::validate::Validated;

/// How many example rows are shown per rejection reason.
const EXAMPLES_PER_REASON: usize = 3;

/// What `check` found: the description to print, and every problem (the command exits 2 when there is one).
#[derive(Debug)]
pub struct Checked {
    /// Documents, commitments, sources with their data quality, recipients, runs and warnings.
    pub text: String,
    /// Every problem, each with its place.
    pub problems: Vec<Problem>,
}

/// Runs `lofte check` on a loaded configuration.
pub async fn run(config: &Config, records: &RecordsOverride) -> Checked {
    let mut out = describe(config, records);
    let mut problems: Vec<Problem> =
        crate::report::templates::problems().into_iter().map(|p| Problem::whole("templates", p)).collect();
    let today = match crate::clock::today(config.schedule.timezone) {
        Ok(today) => today,
        Err(e) => {
            problems.push(Problem::whole("environment", e.to_string()));
            chrono::NaiveDate::MAX
        }
    };
    let mut warnings: Vec<String> = config.warnings.iter().map(ToString::to_string).collect();
    // A folder of notes for no configured document is never read.
    if let Ok(entries) = std::fs::read_dir(&config.followups_dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if config.pledge(&name).is_none() {
                warnings.push(format!(
                    "{}: never read: follow-up notes go in a folder named after a document id ({})",
                    entry.path().display(),
                    config.pledges.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    for pledge in &config.pledges {
        match pipeline::ingest(config, pledge, records, today).await {
            Ok(validated) => out.push_str(&data_quality(pledge, &validated)),
            Err(e) => problems.push(Problem::whole(&config.path, format!("sources for {}: {e}", pledge.id))),
        }
        check_notes(config, pledge, &mut problems, &mut warnings);
    }
    if !warnings.is_empty() {
        out.push_str("\nwarnings:\n");
        for w in &warnings {
            let _ = writeln!(out, "  {w}");
        }
    }
    Checked { text: out, problems }
}

/// The plain description of a valid configuration.
#[must_use]
pub fn describe(config: &Config, records: &RecordsOverride) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "config: {}", config.path.display());
    for p in &config.pledges {
        let _ = writeln!(out, "\ndocument {}: {}", p.id, p.title);
        let _ = writeln!(
            out,
            "  {} and {}, period {} – {}, signed {} in {}",
            p.police_area, p.municipality, p.start, p.end, p.signed_on, p.signed_place
        );
        for s in &p.signatories {
            let _ = writeln!(out, "  signed by {}, {} ({})", s.name, s.title, s.party);
        }
        let _ = writeln!(out, "  commitments ({}):", p.commitments.len());
        for c in &p.commitments {
            let target = match (c.baseline_from, &c.target) {
                (Some((start, end)), crate::pledge::Target::Increase { .. }) => format!("more than in {start} – {end}"),
                (Some((start, end)), _) => format!("fewer than in {start} – {end}"),
                (None, target) => target_text(target),
            };
            let places = c.places.as_ref().map_or(String::new(), |p| {
                let rule = match p.rule {
                    PlacesRule::Only => "only at".to_string(),
                    // Any place counts; the list only names the places the breakdown shows one by one.
                    PlacesRule::Report => "at any place, listed:".to_string(),
                    PlacesRule::Each { per_place: 0 | 1 } => "at each of".to_string(),
                    PlacesRule::Each { per_place } => format!("at least {per_place} at each of"),
                };
                format!(" {rule} {}", p.list.names.join(", "))
            });
            let parties = match &c.parties {
                Parties::Any => "*".to_string(),
                Parties::Listed(list) => list.iter().map(Party::key).collect::<Vec<_>>().join("+"),
            };
            let each = if c.each_municipality { " in each municipality" } else { "" };
            let _ = writeln!(
                out,
                "    {:<22} {:<9} {:<28} {}{places}{each}",
                c.id,
                parties,
                target,
                c.activities.join(", ")
            );
        }
    }
    out.push_str("\nsources:\n");
    if records.0.is_empty() {
        for s in &config.sources {
            match s {
                SourceConfig::Csv { name, pattern } => {
                    let _ = writeln!(out, "  {name}: csv {pattern}");
                }
                SourceConfig::Api(api) => {
                    let _ = writeln!(out, "  {}: api {}", api.name, api.url);
                }
            }
        }
    } else {
        for p in &records.0 {
            let _ = writeln!(out, "  {RECORDS_SOURCE}: csv {} (--records)", p.display());
        }
    }
    out.push_str("\nrecipients:\n");
    let r = &config.recipients;
    for (role, list, edition) in [
        ("police_chief", &r.police_chief, "internal"),
        ("board_chair", &r.board_chair, "internal"),
        ("public_list", &r.public_list, "public"),
    ] {
        let _ = writeln!(out, "  {role:<13} {edition:<8} {}", list.join(", "));
    }
    let transport = match &config.smtp.settings {
        Some(settings) => format!("SMTP {settings}"),
        None => format!("no SMTP configured: mail goes to {} as .eml files", config.outbox_dir.display()),
    };
    let _ = writeln!(out, "  delivery: {transport}");
    out.push_str(&next_runs(config));
    out
}

/// The next scheduled runs, and runs missed beyond the catch-up window (which the daemon will not send).
#[must_use]
pub fn next_runs(config: &Config) -> String {
    let tz = config.schedule.timezone;
    let mut runs = Vec::new();
    for run in &config.schedule.runs {
        let Ok(cron) = schedule::parse_cron(&run.cron) else { continue };
        for at in schedule::next_runs(&cron, tz, Utc::now(), 2) {
            if let Ok(period) = schedule::period_for_run(&run.period, &at) {
                runs.push((at, period));
            }
        }
    }
    runs.sort_by_key(|(at, _)| *at);
    let mut out = format!("\nnext scheduled runs ({tz}, catch-up window {} days):\n", config.schedule.catch_up_days);
    for (at, period) in runs {
        let note = if config.document_for(&period).is_some() { "" } else { "  (no pledge document covers it yet)" };
        let _ = writeln!(out, "  {}  publishes {period}{note}", at.format("%Y-%m-%d %H:%M %Z"));
    }
    if let Ok(entries) = crate::daemon::entries(config) {
        for due in crate::daemon::due_at_start(config, &entries, Utc::now()).into_iter().filter(|d| !d.in_window) {
            let (at, period) = (due.at, due.period);
            let _ = writeln!(
                out,
                "  missed: {period} was due {} and is not published; older than the catch-up window, so the daemon will not send it (use lofte publish --period {period})",
                at.format("%Y-%m-%d %H:%M %Z")
            );
        }
    }
    out
}

/// Counts per reason and the first examples of each.
#[must_use]
pub fn data_quality(pledge: &Pledge, v: &Validated) -> String {
    let mut out = format!(
        "\ndata quality for {}: {} rows read, {} accepted, {} rejected, {} identical duplicates\n",
        pledge.id,
        v.rows,
        v.accepted.len(),
        v.rejected.len(),
        v.duplicates
    );
    let mut by_reason: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, r) in v.rejected.iter().enumerate() {
        by_reason.entry(r.reason.code()).or_default().push(i);
    }
    for (code, rows) in by_reason {
        let _ = writeln!(out, "  {code}: {}", rows.len());
        for &i in rows.iter().take(EXAMPLES_PER_REASON) {
            let r = &v.rejected[i];
            let id = r.id.as_deref().unwrap_or("(no id)");
            let _ = writeln!(out, "    {} id {id}: {}", r.locator, r.reason);
        }
    }
    out
}

/// "at least 52", "count (no number promised)", … as `check` lists a target.
fn target_text(target: &Target) -> String {
    match target {
        Target::AtLeast { value, per: None } => format!("at least {value}"),
        Target::AtLeast { value, per: Some(per) } => format!("at least {value} per {}", per.key()),
        Target::OnRequest { request_activity } => format!("on request ({request_activity})"),
        Target::Count => "count (no number promised)".to_string(),
        Target::Increase { baseline, .. } => format!("more than {baseline} (at least {})", baseline + 1),
        Target::Decrease { baseline, .. } => format!("fewer than {baseline}"),
        Target::Outcome { direction, baseline, target, .. } => {
            let way = match direction {
                crate::pledge::Direction::Increase => "up",
                crate::pledge::Direction::Decrease => "down",
            };
            match target {
                Some(t) => format!("outcome {way} from {baseline} to {t}"),
                None => format!("outcome {way} from {baseline}"),
            }
        }
        Target::Assessed => "assessed".to_string(),
        Target::Milestones { milestones } => {
            format!("milestones {}", milestones.iter().map(|m| m.key.as_str()).collect::<Vec<_>>().join(", "))
        }
    }
}

/// Every follow-up notes file of `pledge` (mistakes are problems), and for each published period a warning per
/// commitment that falls short without a comment (SPEC §11).
fn check_notes(config: &Config, pledge: &Pledge, problems: &mut Vec<Problem>, warnings: &mut Vec<String>) {
    let dir = config.followups_dir.join(&pledge.id);
    let mut files: Vec<std::path::PathBuf> =
        std::fs::read_dir(&dir).map(|entries| entries.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    files.sort();
    // A file is read only under its period's exact name (`2021-H1.toml`): any other is never read, so say so.
    files.retain(|file| {
        let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let period = name.strip_suffix(".toml").and_then(|stem| crate::period::Period::parse(stem).ok());
        let read = period.is_some_and(|p| format!("{}.toml", p.name) == name);
        if !read {
            warnings.push(format!(
                "{}: never read: a notes file is named after its period, like 2021-H1.toml or 2021.toml",
                file.display()
            ));
        }
        read
    });
    for file in &files {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) => {
                problems.push(Problem::whole(file, format!("cannot read the follow-up notes: {e}")));
                continue;
            }
        };
        if let Err(list) = crate::followup::parse(file, &text, pledge) {
            problems.extend(list);
        }
    }
    let archive = crate::archive::Archive::new(&config.archive_dir);
    let Ok(entries) = archive.list() else { return };
    for entry in entries.iter().filter(|e| !e.superseded && e.manifest.document == pledge.id) {
        let period = &entry.manifest.period;
        let Ok(results) = crate::progress::json::Results::read(&entry.dir.join(crate::archive::RESULTS_FILE)) else {
            continue;
        };
        let notes = crate::followup::read(&config.followups_dir, pledge, period).unwrap_or_default();
        let file = crate::followup::path(&config.followups_dir, &pledge.id, period);
        for p in &results.pledges {
            if p.status.falls_short() && notes.commitments.get(&p.id).and_then(|n| n.comment.as_ref()).is_none() {
                warnings.push(format!(
                    "{}: commitment {:?} is {} in the published {period} and has no comment saying why",
                    file.display(),
                    p.id,
                    p.status.key()
                ));
            }
        }
    }
}
