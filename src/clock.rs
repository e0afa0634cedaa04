//! The wall clock, in one place. `LOFTE_NOW` (RFC 3339, e.g. `2021-07-01T09:00:00+02:00`) sets it for a run, the
//! way `SOURCE_DATE_EPOCH` sets the generation time: the tests use it to publish "on 1 July 2021", and an operator
//! can ask what lofte would have done on a given day. Unset, it is the system clock.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// The environment variable that sets the clock.
pub const NOW_ENV: &str = "LOFTE_NOW";

/// Why `LOFTE_NOW` is not usable.
#[derive(Debug, thiserror::Error)]
#[error("{NOW_ENV}={value:?} is not a time like 2021-07-01T09:00:00+02:00: {source}")]
pub struct ClockError {
    value: String,
    source: chrono::ParseError,
}

/// Now: `LOFTE_NOW` when set, else the system clock.
pub fn now() -> Result<DateTime<Utc>, ClockError> {
    match std::env::var(NOW_ENV) {
        Ok(value) if !value.trim().is_empty() => DateTime::parse_from_rfc3339(value.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|source| ClockError { value, source }),
        _ => Ok(Utc::now()),
    }
}

/// Today's date in `tz` (the schedule's time zone: a record dated today in Stockholm is not in the future).
pub fn today(tz: Tz) -> Result<NaiveDate, ClockError> {
    Ok(now()?.with_timezone(&tz).date_naive())
}
