//! When to publish: cron expressions in a named time zone (default `Europe/Stockholm`), and which period each run
//! publishes.
//!
//! Next-run computation is a pure function of (now, time zone, expression) so that it can be tested across
//! daylight-saving changes; the daemon re-plans after every run instead of trusting a fixed offset.

use chrono::{DateTime, Datelike, TimeZone, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds};
use croner::Cron;

use crate::period::Period;

/// A schedule entry that cannot be used. Each says what to write instead.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// Not six fields.
    #[error("cron expression {expression:?} has {fields} fields; lofte wants six, seconds first: \"0 0 9 1 7 *\" is 09:00 on 1 July")]
    Fields {
        /// As written.
        expression: String,
        /// How many fields it has.
        fields: usize,
    },
    /// Six fields, but not a cron expression.
    #[error("cron expression {expression:?} is not valid: {source}")]
    Invalid {
        /// As written.
        expression: String,
        /// croner's reason.
        source: croner::errors::CronError,
    },
    /// A valid expression for a day that never comes.
    #[error("cron expression {expression:?} never fires (no such date, e.g. 30 February): fix the day or month")]
    NeverFires {
        /// As written.
        expression: String,
    },
    /// A period template that does not name a period.
    #[error("period template {template:?} is not understood: write \"{{year}}-H1\", \"{{year}}\" or \"{{year-1}}\" (the run's year, or the year before)")]
    Template {
        /// As written.
        template: String,
    },
}

/// Parses a six-field cron expression (seconds first): `0 0 9 1 7 *` is 09:00:00 on 1 July.
pub fn parse_cron(expression: &str) -> Result<Cron, ScheduleError> {
    let fields = expression.split_whitespace().count();
    if fields != 6 {
        return Err(ScheduleError::Fields { expression: expression.to_string(), fields });
    }
    let cron = CronParser::builder()
        .seconds(Seconds::Required)
        .build()
        .parse(expression)
        .map_err(|source| ScheduleError::Invalid { expression: expression.to_string(), source })?;
    // A valid expression can still name a day that never comes (30 February): such a run would silently never
    // happen, so it is refused like a syntax error.
    if cron.find_next_occurrence(&Utc::now(), false).is_err() {
        return Err(ScheduleError::NeverFires { expression: expression.to_string() });
    }
    Ok(cron)
}

/// The first run strictly after `now`, in the time zone `tz`.
#[must_use]
pub fn next_run(cron: &Cron, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Tz>> {
    cron.find_next_occurrence(&now.with_timezone(&tz), false).ok()
}

/// The next `count` runs after `now`.
#[must_use]
pub fn next_runs(cron: &Cron, tz: Tz, now: DateTime<Utc>, count: usize) -> Vec<DateTime<Tz>> {
    let mut runs = Vec::with_capacity(count);
    let mut after = now;
    while runs.len() < count {
        let Some(run) = next_run(cron, tz, after) else { break };
        after = run.with_timezone(&Utc);
        runs.push(run);
    }
    runs
}

/// The period that a run at `run` publishes, from a template such as `{year}-H1` or `{year-1}`, where the year is
/// the run's local year.
pub fn period_for_run<T: TimeZone>(template: &str, run: &DateTime<T>) -> Result<Period, ScheduleError> {
    let year = run.year();
    let name = template.replace("{year-1}", &(year - 1).to_string()).replace("{year}", &year.to_string());
    Period::parse(&name).map_err(|_| ScheduleError::Template { template: template.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.from_utc_datetime(&NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap())
    }

    #[test]
    fn nine_o_clock_stays_nine_o_clock_across_daylight_saving() {
        let daily = parse_cron("0 0 9 * * *").unwrap();
        let tz = chrono_tz::Europe::Stockholm;
        // Spring forward 2021-03-28 and 2026-03-29; fall back 2021-10-31 and 2026-10-25.
        for (y, m, d) in [(2021, 3, 27), (2021, 10, 30), (2026, 3, 28), (2026, 10, 24)] {
            let runs = next_runs(&daily, tz, utc(y, m, d, 12, 0), 2);
            for run in runs {
                assert_eq!(run.format("%H:%M").to_string(), "09:00", "{run}");
            }
        }
        // Summer time: 09:00 in Stockholm is 07:00 UTC; winter time: 08:00 UTC.
        let july = next_run(&parse_cron("0 0 9 1 7 *").unwrap(), tz, utc(2026, 1, 1, 0, 0)).unwrap();
        assert_eq!(july.with_timezone(&Utc), utc(2026, 7, 1, 7, 0));
        let january = next_run(&parse_cron("0 0 9 15 1 *").unwrap(), tz, utc(2026, 7, 1, 0, 0)).unwrap();
        assert_eq!(january.with_timezone(&Utc), utc(2027, 1, 15, 8, 0));
    }

    #[test]
    fn a_run_in_the_skipped_hour_moves_not_vanishes() {
        // 02:30 does not exist on 2026-03-29 in Stockholm; the run must still happen once that day or later.
        let cron = parse_cron("0 30 2 * * *").unwrap();
        let tz = chrono_tz::Europe::Stockholm;
        let run = next_run(&cron, tz, utc(2026, 3, 28, 12, 0)).unwrap();
        assert!(run.with_timezone(&Utc) > utc(2026, 3, 28, 12, 0));
        assert!(run.with_timezone(&Utc) < utc(2026, 3, 30, 12, 0), "{run}");
    }

    #[test]
    fn five_field_and_broken_expressions_are_explained() {
        assert!(parse_cron("0 9 1 7 *").unwrap_err().to_string().contains("six"));
        assert!(parse_cron("0 0 25 1 7 *").unwrap_err().to_string().contains("not valid"));
    }

    #[test]
    fn period_templates_use_the_runs_local_year() {
        let tz = chrono_tz::Europe::Stockholm;
        let run = tz.with_ymd_and_hms(2022, 1, 15, 9, 0, 0).unwrap();
        assert_eq!(period_for_run("{year-1}", &run).unwrap().name, "2021");
        assert_eq!(period_for_run("{year}-H1", &run).unwrap().name, "2022-H1");
        assert!(period_for_run("{yr}-H1", &run).unwrap_err().to_string().contains("{year}-H1"));
    }
}
