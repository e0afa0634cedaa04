//! Seeded generator of activity records: the shipped Oskarshamn 2021 sample (a realistic year with a handful of bad
//! rows) and large synthetic sets for benchmarks. Same seed, same bytes.

use std::io::{self, Write};

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// A small, seeded PRNG (SplitMix64): reproducible across platforms and versions, unlike a library's default.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// One output row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SampleRow {
    /// Record id.
    pub id: String,
    /// Date text (deliberately text: bad rows have bad dates).
    pub date: String,
    /// Party text.
    pub party: String,
    /// Activity kind.
    pub activity: String,
    /// Place.
    pub location: String,
    /// Count text (empty means 1).
    pub count: String,
    /// Milestone key.
    pub milestone: String,
    /// Internal note.
    pub note: String,
}

/// The four schools of the Oskarshamn pledge.
pub const SCHOOLS: [&str; 4] = ["Vallhallaskolan", "Kristinebergskolan", "Rödsleskolan", "Oscarsgymnasiet"];

const ROADS: [&str; 8] = [
    "Kalmarvägen",
    "Döderhultsvägen",
    "Varvsgatan",
    "Södra Långgatan",
    "Fårbo",
    "Påskallavik",
    "Kristdala",
    "Figeholm",
];

fn day(year: i32, month: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, d).expect("generator dates are valid")
}

/// A weekday in `month` of 2021, drawn from `rng`.
fn weekday_in(rng: &mut Rng, month: u32) -> NaiveDate {
    loop {
        let d = day(2021, month, 1) + Duration::days(rng.below(28) as i64);
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            return d;
        }
    }
}

fn in_term(d: NaiveDate) -> bool {
    let (m, day) = (d.month(), d.day());
    let spring = (m == 1 && day >= 12) || (2..=5).contains(&m) || (m == 6 && day <= 10);
    let autumn = (m == 8 && day >= 18) || (9..=11).contains(&m) || (m == 12 && day <= 17);
    (spring || autumn) && !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The shipped sample: Oskarshamn 2021, a realistic year of records, sorted by date, then a handful of bad rows
/// that exercise every rejection reason.
#[must_use]
pub fn sample(seed: u64) -> Vec<SampleRow> {
    let mut rng = Rng::new(seed);
    let mut rows = Rows(Vec::new());
    // The order of the steps is the order the seeded generator draws in: keep it, or the sample changes.
    police_traffic(&mut rng, &mut rows);
    foot_patrols(&mut rng, &mut rows);
    municipality(&mut rows);
    social_media(&mut rng, &mut rows);
    let mut rows = rows.0;
    rows.sort_by(|a, b| a.date.cmp(&b.date));
    for (i, row) in rows.iter_mut().enumerate() {
        row.id = format!("OSK21-{:04}", i + 1);
    }
    rows.extend(bad_rows(&rows));
    rows.extend(last_year_posts());
    rows
}

/// The posts of 2020, month by month, that `sociala-medier` counts its baseline from (`baseline_from` in the pledge
/// document): appended last, so every 2021 row keeps its id and line.
fn last_year_posts() -> Vec<SampleRow> {
    (1..=12)
        .filter_map(|month| {
            let next = if month == 12 { day(2021, 1, 1) } else { day(2020, month + 1, 1) };
            let last = next.pred_opt()?;
            Some(SampleRow {
                id: format!("OSK20-{month:02}"),
                date: last.to_string(),
                party: "polisen".into(),
                activity: "inlagg_sociala_medier".into(),
                location: "Facebook".into(),
                count: "15".into(),
                milestone: String::new(),
                note: "Antal inlägg under månaden".into(),
            })
        })
        .collect()
}

/// The sample's rows as they are made (ids are given once they are sorted).
struct Rows(Vec<SampleRow>);

impl Rows {
    #[allow(clippy::too_many_arguments)] // one argument per CSV column reads best here
    fn add(
        &mut self,
        date: NaiveDate,
        party: &str,
        activity: &str,
        location: &str,
        count: &str,
        milestone: &str,
        note: &str,
    ) {
        self.0.push(SampleRow {
            id: String::new(),
            date: date.to_string(),
            party: party.into(),
            activity: activity.into(),
            location: location.into(),
            count: count.into(),
            milestone: milestone.into(),
            note: note.into(),
        });
    }
}

/// Speed controls (about one a week, fewer during the summer holidays) and controls of motor-borne youth (spring
/// evenings and the start of the autumn term).
fn police_traffic(rng: &mut Rng, rows: &mut Rows) {
    for (month, n) in
        [(1, 5), (2, 4), (3, 5), (4, 5), (5, 5), (6, 4), (7, 1), (8, 3), (9, 5), (10, 5), (11, 5), (12, 4)]
    {
        for _ in 0..n {
            let road = *rng.pick(&ROADS);
            let note = if rng.below(4) == 0 { "Efter medborgarklagomål via kommunens e-tjänst" } else { "" };
            rows.add(weekday_in(rng, month), "polisen", "hastighetskontroll", road, "", "", note);
        }
    }
    for month in [4, 5, 8] {
        rows.add(
            weekday_in(rng, month),
            "polisen",
            "trafikkontroll_ungdom",
            "Hamnen",
            "",
            "",
            "EPA-traktorer och mopeder",
        );
    }
}

/// Foot patrols at the four schools, in term time only, the school's name written as people write it.
fn foot_patrols(rng: &mut Rng, rows: &mut Rows) {
    let mut date = day(2021, 1, 12);
    while date.year() == 2021 {
        if in_term(date) && rng.below(9) == 0 {
            let school = *rng.pick(&SCHOOLS);
            let written = match rng.below(6) {
                0 => school.to_lowercase(),
                1 => format!(" {school}"),
                _ => school.to_string(),
            };
            rows.add(date, "polisen", "fotpatrull_skola", &written, "", "", "");
        }
        date += Duration::days(1);
    }
}

/// The municipality: LUPP in spring and autumn, one safety walk, the county training.
fn municipality(rows: &mut Rows) {
    rows.add(day(2021, 3, 16), "kommunen", "lupp_enkat", "", "", "ak8", "Enkäten genomförd i alla åk 8-klasser");
    rows.add(day(2021, 10, 12), "kommunen", "lupp_enkat", "", "", "gy2", "");
    rows.add(
        day(2021, 5, 20),
        "kommunen",
        "trygghetsvandring",
        "Centrum och Badholmen",
        "",
        "",
        "Elevråden från Vallhallaskolan och Rödsleskolan deltog;\nkontakt: rektor",
    );
    rows.add(
        day(2021, 9, 23),
        "kommunen",
        "utbildning_fri_fran_vald",
        "Kalmar",
        "3",
        "",
        "Tre deltagare från socialförvaltningen",
    );
}

/// Social media: several posts a week, sometimes batched.
fn social_media(rng: &mut Rng, rows: &mut Rows) {
    let mut date = day(2021, 1, 1);
    while date.year() == 2021 {
        if rng.below(2) == 0 {
            let count = if rng.below(8) == 0 { "2" } else { "" };
            rows.add(date, "polisen", "inlagg_sociala_medier", "Facebook", count, "", "");
        }
        date += Duration::days(1);
    }
}

/// Realistic mistakes, one of each kind the validation knows.
fn bad_rows(good: &[SampleRow]) -> Vec<SampleRow> {
    let row =
        |id: &str, date: &str, party: &str, activity: &str, location: &str, count: &str, milestone: &str| SampleRow {
            id: id.into(),
            date: date.into(),
            party: party.into(),
            activity: activity.into(),
            location: location.into(),
            count: count.into(),
            milestone: milestone.into(),
            note: String::new(),
        };
    let mut bad = vec![
        row("OSK21-9001", "2020-12-30", "polisen", "hastighetskontroll", "Kalmarvägen", "", ""),
        row("OSK21-9002", "2021-02-30", "polisen", "hastighetskontroll", "Varvsgatan", "", ""),
        row("OSK21-9003", "2021-03-04", "Polisen", "hastighetskontrol", "Fårbo", "", ""),
        row("OSK21-9004", "2021-04-13", "kommunen", "hastighetskontroll", "Kristdala", "", ""),
        row("OSK21-9005", "2021-05-06", "polisen", "inlagg_sociala_medier", "Instagram", "1,5", ""),
        row("OSK21-9006", "2021-09-14", "polisen", "fotpatrull_skola", "Stadsparken", "", ""),
        row("OSK21-9007", "2021-10-05", "polisen", "fotpatrull_skola", "Kristinebergsskolan", "", ""),
        row("OSK21-9008", "2021-11-02", "kommunen", "lupp_enkat", "", "", "ak9"),
        row("", "2021-06-01", "polisen", "hastighetskontroll", "Figeholm", "", ""),
        row("OSK21-9009", "2021-08-26", "", "trafikkontroll_ungdom", "Hamnen", "", ""),
    ];
    // An export run twice: an identical copy (counted once) and a changed copy (a conflict, both kept out).
    if let Some(first) = good.iter().find(|r| r.activity == "hastighetskontroll") {
        bad.push(first.clone());
    }
    if let Some(post) = good.iter().rev().find(|r| r.activity == "inlagg_sociala_medier") {
        let mut changed = post.clone();
        changed.count = "3".into();
        bad.push(changed);
    }
    bad
}

/// `n` synthetic records for the Oskarshamn 2021 document, about 1 % of them bad, for benchmarks.
pub fn large(seed: u64, n: usize, out: &mut dyn Write, delimiter: u8) -> io::Result<()> {
    let mut rng = Rng::new(seed);
    let mut w = Writer::new(out, delimiter)?;
    let kinds: [(&str, &str); 7] = [
        ("polisen", "hastighetskontroll"),
        ("polisen", "trafikkontroll_ungdom"),
        ("polisen", "fotpatrull_skola"),
        ("polisen", "inlagg_sociala_medier"),
        ("kommunen", "trygghetsvandring"),
        ("kommunen", "utbildning_fri_fran_vald"),
        ("kommunen", "lupp_enkat"),
    ];
    for i in 0..n {
        let (party, activity) = *rng.pick(&kinds);
        let date = day(2021, 1, 1) + Duration::days(rng.below(365) as i64);
        let mut row = SampleRow {
            id: format!("R{i:09}"),
            date: date.to_string(),
            party: party.into(),
            activity: activity.into(),
            ..SampleRow::default()
        };
        match activity {
            "fotpatrull_skola" => row.location = (*rng.pick(&SCHOOLS)).to_string(),
            "lupp_enkat" => row.milestone = (*rng.pick(&["ak8", "gy2"])).to_string(),
            "hastighetskontroll" => row.location = (*rng.pick(&ROADS)).to_string(),
            _ => {}
        }
        if rng.below(100) == 0 {
            match rng.below(3) {
                0 => row.date = "2021-13-01".into(),
                1 => row.count = "-3".into(),
                _ => row.activity = "okand".into(),
            }
        }
        w.row(&row)?;
    }
    Ok(())
}

/// A CSV writer that quotes only when needed, as Excel does.
pub struct Writer<'a> {
    out: &'a mut dyn Write,
    delimiter: u8,
}

impl<'a> Writer<'a> {
    /// Starts a file: writes the header line.
    pub fn new(out: &'a mut dyn Write, delimiter: u8) -> io::Result<Self> {
        let mut w = Writer { out, delimiter };
        w.line(&["id", "date", "party", "activity", "location", "count", "milestone", "note"])?;
        Ok(w)
    }

    /// Writes one row.
    pub fn row(&mut self, r: &SampleRow) -> io::Result<()> {
        self.line(&[&r.id, &r.date, &r.party, &r.activity, &r.location, &r.count, &r.milestone, &r.note])
    }

    fn line(&mut self, fields: &[&str]) -> io::Result<()> {
        let d = char::from(self.delimiter);
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                write!(self.out, "{d}")?;
            }
            if f.contains(d) || f.contains('"') || f.contains('\n') || f.contains('\r') {
                write!(self.out, "\"{}\"", f.replace('"', "\"\""))?;
            } else {
                self.out.write_all(f.as_bytes())?;
            }
        }
        self.out.write_all(b"\r\n")
    }
}

/// Writes the sample as the shipped file: UTF-8 with BOM, semicolons, CRLF (Excel on Swedish Windows).
pub fn write_sample(seed: u64, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut w = Writer::new(out, b';')?;
    for row in sample(seed) {
        w.row(&row)?;
    }
    Ok(())
}

/// Writes `count` municipalities under `dir`, each a folder with its own `config/lofte.toml`, a copy of the
/// Oskarshamn pledge under its own id and name, and `records` generated rows: the national roll-out case.
pub fn municipalities(seed: u64, count: usize, records: usize, dir: &std::path::Path) -> io::Result<()> {
    const SETTINGS: &str = include_str!("../config/lofte.toml");
    const PLEDGE: &str = include_str!("../config/pledges/oskarshamn-2021.toml");
    for i in 0..count {
        let id = format!("kommun{i:03}-2021");
        let config = dir.join(format!("kommun{i:03}")).join("config");
        std::fs::create_dir_all(config.join("pledges"))?;
        std::fs::create_dir_all(config.join("data"))?;
        let pledge = PLEDGE.replacen("id = \"oskarshamn-2021\"", &format!("id = \"{id}\""), 1).replacen(
            "municipality = \"Oskarshamns kommun\"",
            &format!("municipality = \"Kommun {i:03}\""),
            1,
        );
        std::fs::write(config.join("pledges").join(format!("{id}.toml")), pledge)?;
        let settings = SETTINGS
            .replace("pledges/oskarshamn-2021.toml", &format!("pledges/{id}.toml"))
            .replace("data/oskarshamn-2021.csv", &format!("data/{id}.csv"));
        std::fs::write(config.join("lofte.toml"), settings)?;
        let mut out = io::BufWriter::new(std::fs::File::create(config.join("data").join(format!("{id}.csv")))?);
        large(seed.wrapping_add(i as u64), records, &mut out, b';')?;
        out.flush()?;
    }
    Ok(())
}
