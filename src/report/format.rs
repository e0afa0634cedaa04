//! Numbers and dates as Swedish (and English) readers expect them: "30 juni 2021", "25,79", "1 234".

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

use crate::language::Language;

/// No-break space: the Swedish thousands separator, which must not break a number across lines.
const NBSP: char = '\u{a0}';

const MONTHS_SV: [&str; 12] = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A calendar date in words: "30 juni 2021" / "30 June 2021".
#[must_use]
pub fn date(d: NaiveDate, language: Language) -> String {
    let month = d.month0() as usize;
    match language {
        Language::Sv => format!("{} {} {}", d.day(), MONTHS_SV[month], d.year()),
        Language::En => format!("{} {} {}", d.day(), MONTHS_EN[month], d.year()),
    }
}

/// A span of days: "1 januari–30 juni 2024", or with both years when they differ; one day alone when it is one.
#[must_use]
pub fn date_range(start: NaiveDate, end: NaiveDate, language: Language) -> String {
    if start == end {
        return date(start, language);
    }
    let first = if start.year() == end.year() {
        let full = date(start, language);
        // Drop the year from the first date: "1 januari 2024" → "1 januari".
        full.rsplit_once(' ').map_or(full.clone(), |(head, _)| head.to_string())
    } else {
        date(start, language)
    };
    format!("{first}–{}", date(end, language))
}

/// A measured figure with its unit: "61,2 %" (a no-break space, so the unit stays with its number).
#[must_use]
pub fn measure(x: f64, unit: Option<&str>, language: Language) -> String {
    match unit.map(str::trim).filter(|u| !u.is_empty()) {
        Some(unit) => format!("{}{NBSP}{unit}", decimal(x, language)),
        None => decimal(x, language),
    }
}

/// A short month name for chart axes: "jan" / "Jan".
#[must_use]
pub fn month_short(month0: usize, language: Language) -> String {
    let name = match language {
        Language::Sv => MONTHS_SV[month0 % 12],
        Language::En => MONTHS_EN[month0 % 12],
    };
    name.chars().take(3).collect()
}

/// A moment in Swedish local time: "26 november 2026 kl. 13.20" / "26 November 2026, 13:20".
#[must_use]
pub fn moment(t: DateTime<Utc>, language: Language) -> String {
    let local = t.with_timezone(&chrono_tz::Europe::Stockholm);
    let day = date(local.date_naive(), language);
    match language {
        Language::Sv => format!("{day} kl. {:02}.{:02}", local.hour(), local.minute()),
        Language::En => format!("{day}, {:02}:{:02} (Stockholm)", local.hour(), local.minute()),
    }
}

/// A whole number with thousands separators: "1 234" / "1,234".
#[must_use]
pub fn integer(n: u64, language: Language) -> String {
    let digits = n.to_string();
    let separator = match language {
        Language::Sv => NBSP,
        Language::En => ',',
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

/// A figure with up to two decimals, trailing zeros dropped: "25,79", "1 000,5", "3" / "25.79".
#[must_use]
pub fn decimal(x: f64, language: Language) -> String {
    let hundredths = (x * 100.0).round() as i64;
    let sign = if hundredths < 0 { "-" } else { "" };
    let hundredths = hundredths.unsigned_abs();
    let whole = integer(hundredths / 100, language);
    let fraction = hundredths % 100;
    let comma = match language {
        Language::Sv => ',',
        Language::En => '.',
    };
    match fraction {
        0 => format!("{sign}{whole}"),
        f if f % 10 == 0 => format!("{sign}{whole}{comma}{}", f / 10),
        f => format!("{sign}{whole}{comma}{f:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_dates_and_numbers() {
        let d = NaiveDate::from_ymd_opt(2021, 6, 30).unwrap();
        assert_eq!(date(d, Language::Sv), "30 juni 2021");
        assert_eq!(date(d, Language::En), "30 June 2021");
        assert_eq!(integer(1_234_567, Language::Sv), "1\u{a0}234\u{a0}567");
        assert_eq!(integer(52, Language::Sv), "52");
        assert_eq!(integer(1000, Language::En), "1,000");
        assert_eq!(decimal(25.786, Language::Sv), "25,79");
        assert_eq!(decimal(54.5, Language::Sv), "54,5");
        assert_eq!(decimal(3.0, Language::Sv), "3");
        assert_eq!(decimal(1234.5, Language::Sv), "1\u{a0}234,5");
        assert_eq!(decimal(25.786, Language::En), "25.79");
        assert_eq!(month_short(8, Language::Sv), "sep");
        let (jan, jun) = (NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2024, 6, 30).unwrap());
        assert_eq!(date_range(jan, jun, Language::Sv), "1 januari–30 juni 2024");
        assert_eq!(date_range(d, jun, Language::En), "30 June 2021–30 June 2024");
        assert_eq!(measure(61.2, Some("%"), Language::Sv), "61,2\u{a0}%");
        assert_eq!(measure(3.0, None, Language::En), "3");
    }

    #[test]
    fn moments_are_shown_in_stockholm_time() {
        let t = DateTime::parse_from_rfc3339("2021-07-01T07:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(moment(t, Language::Sv), "1 juli 2021 kl. 09.00");
        let winter = DateTime::parse_from_rfc3339("2022-01-15T08:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(moment(winter, Language::Sv), "15 januari 2022 kl. 09.00");
    }
}
