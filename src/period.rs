//! Report periods: `2021` (whole year), `2021-H1`/`H2` (halves), `2021-T1`..`T3` (tertials), each with the date
//! the report is made "as of". An explicit `--as-of` date overrides the period's own.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// A named reporting period and the (inclusive) date its figures are counted up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    /// The name as the user wrote it, normalised to upper-case suffix: `2021-H1`.
    pub name: String,
    /// The calendar year the period belongs to.
    pub year: i32,
    /// The last day counted.
    pub as_of: NaiveDate,
}

/// A period name that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("period {0:?} is not understood: write a year and optionally a half or tertial, e.g. 2021, 2021-H1, 2021-H2, 2021-T1, 2021-T2 or 2021-T3")]
pub struct PeriodError(pub String);

impl Period {
    /// Parses a period name such as `2021-H1`.
    pub fn parse(text: &str) -> Result<Period, PeriodError> {
        let err = || PeriodError(text.to_string());
        let trimmed = text.trim();
        let (year_text, part) = match trimmed.split_once('-') {
            Some((y, p)) => (y, Some(p.to_ascii_uppercase())),
            None => (trimmed, None),
        };
        if year_text.len() != 4 || !year_text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let year: i32 = year_text.parse().map_err(|_| err())?;
        let (month, day) = match part.as_deref() {
            None | Some("H2" | "T3") => (12, 31),
            Some("H1") => (6, 30),
            Some("T1") => (4, 30),
            Some("T2") => (8, 31),
            Some(_) => return Err(err()),
        };
        let as_of = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(err)?;
        let name = match part {
            Some(p) => format!("{year}-{p}"),
            None => year.to_string(),
        };
        Ok(Period { name, year, as_of })
    }

    /// The same period counted up to another date (`--as-of`).
    #[must_use]
    pub fn with_as_of(mut self, as_of: NaiveDate) -> Period {
        self.as_of = as_of;
        self
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// A calendar month, written `YYYY-MM` (the keys of `by_month` in results.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// Months since year 0: `year * 12 + month0`, so that consecutive months are consecutive numbers.
    index: i32,
}

impl Month {
    /// The month a date falls in.
    #[must_use]
    pub fn of(date: NaiveDate) -> Month {
        Month { index: date.year() * 12 + date.month0() as i32 }
    }

    /// The month from its [`Month::index`].
    #[must_use]
    pub fn from_index(index: i32) -> Month {
        Month { index }
    }

    /// Months since year 0 (for grouping in a column of integers).
    #[must_use]
    pub fn index(self) -> i32 {
        self.index
    }

    /// The year.
    #[must_use]
    pub fn year(self) -> i32 {
        self.index.div_euclid(12)
    }

    /// 0 for January … 11 for December.
    #[must_use]
    pub fn month0(self) -> usize {
        self.index.rem_euclid(12) as usize
    }

    /// `YYYY-MM` back to a month.
    #[must_use]
    pub fn parse(text: &str) -> Option<Month> {
        let (year, month) = text.split_once('-')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        let date = NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, 1)?;
        Some(Month::of(date))
    }

    /// Every month from `start`'s to `end`'s, both included.
    #[must_use]
    pub fn range(start: NaiveDate, end: NaiveDate) -> Vec<Month> {
        (Month::of(start).index..=Month::of(end).index).map(Month::from_index).collect()
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month0() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn every_period_name_has_its_as_of_date() {
        let cases = [
            ("2021", d(2021, 12, 31)),
            ("2021-H1", d(2021, 6, 30)),
            ("2021-h2", d(2021, 12, 31)),
            ("2021-T1", d(2021, 4, 30)),
            ("2021-T2", d(2021, 8, 31)),
            ("2021-T3", d(2021, 12, 31)),
        ];
        for (name, as_of) in cases {
            let p = Period::parse(name).unwrap();
            assert_eq!(p.as_of, as_of, "{name}");
            assert_eq!(p.year, 2021);
        }
        assert_eq!(Period::parse("2021-h2").unwrap().name, "2021-H2");
    }

    #[test]
    fn bad_names_say_what_is_accepted() {
        for bad in ["21", "2021-H3", "2021-Q1", "", "H1", "2021-", "abcd"] {
            let e = Period::parse(bad).unwrap_err();
            assert!(e.to_string().contains("2021-H1"), "{e}");
        }
    }
}
