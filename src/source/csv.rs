//! CSV files as people really export them: comma or semicolon (detected from the header), UTF-8 with or without
//! BOM or Windows-1252 (Excel on Swedish Windows), CRLF or LF, quoted fields with delimiters and newlines inside,
//! header names in any case and order (English or Swedish), extra columns ignored.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Fields, Locator, Position, RawRecord, SourceError};

/// Reads every file matching `pattern` (sorted by path, so runs are reproducible) into `sink`.
/// Returns the files read.
pub fn read_glob(source: &str, pattern: &str, sink: &mut dyn FnMut(RawRecord)) -> Result<Vec<PathBuf>, SourceError> {
    let no_files = || SourceError::NoFiles { source_name: source.to_string(), pattern: pattern.to_string() };
    let mut paths: Vec<PathBuf> =
        glob::glob(pattern).map_err(|_| no_files())?.filter_map(Result::ok).filter(|p| p.is_file()).collect();
    if paths.is_empty() {
        return Err(no_files());
    }
    paths.sort();
    let source: Arc<str> = Arc::from(source);
    for path in &paths {
        read_file(&source, path, sink)?;
    }
    Ok(paths)
}

/// Why a whole CSV file is unusable. Each says where and what to do; nothing of such a file is used.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Read(#[from] std::io::Error),
    /// Nothing but whitespace.
    #[error("the file is empty: expected a header line such as id;date;party;activity;location;count")]
    Empty,
    /// UTF-16, which Excel writes as "Unicode text".
    #[error("the file is UTF-16 ({0}), which lofte does not read; save it from Excel as \"CSV UTF-8\" (or \"CSV (semikolonavgränsad)\")")]
    Utf16(&'static str),
    /// A byte that neither UTF-8 nor Windows-1252 has.
    #[error("the file is neither UTF-8 nor Windows-1252 (byte 0x{byte:02X} at offset {offset}); save it from Excel as \"CSV UTF-8\"")]
    Encoding {
        /// The byte.
        byte: u8,
        /// Its offset.
        offset: usize,
    },
    /// Control characters: not a text export.
    #[error("line {line}: the file holds control characters, so it is not a text CSV export; check that the right file was given")]
    Binary {
        /// 1-based line.
        line: usize,
    },
    /// An odd number of quotes.
    #[error("line {line}: a quote opens a field that is never closed, which would swallow the rows after it; fix the quotes")]
    UnclosedQuote {
        /// 1-based line of the last quote.
        line: usize,
    },
    /// The header line could not be read.
    #[error("cannot read the header line: {0}")]
    Header(::csv::Error),
    /// A field named by more than one column.
    #[error("the header line names a field more than once ({0}): lofte cannot tell which column to use; remove or rename the extra column")]
    DuplicateColumns(String),
    /// A required column is missing.
    #[error("the header line lacks the column(s) {missing}; found: {found}. The header needs id, date, party and activity (any case, any order)")]
    MissingColumns {
        /// The missing fields.
        missing: String,
        /// The header as found.
        found: String,
    },
    /// The CSV reader stopped.
    #[error("line {line}: the CSV cannot be parsed ({source}); fix the file and run again")]
    Parse {
        /// 1-based line.
        line: u64,
        /// The reader's error.
        source: ::csv::Error,
    },
    /// Text between records that is not blank.
    #[error("line {line}: text that is neither a record nor a blank line ({text:?}); the file's structure is broken, fix it and run again")]
    Unaccounted {
        /// 1-based line.
        line: usize,
        /// The start of the text.
        text: String,
    },
    /// A quoted field holding lines that look like records: a stray quote.
    #[error("lines {first}–{last}: a quoted field opens on line {first} and closes on line {last}, and {record_like} line(s) inside it look like records of their own; a stray quote character probably opened it. Nothing from this file was used: fix the quotes (a quote inside a field is written twice, \"\") and run again")]
    SwallowedRecords {
        /// Where the field opens.
        first: u64,
        /// Where it closes.
        last: u64,
        /// How many lines inside look like records.
        record_like: usize,
    },
}

/// Reads one CSV file into `sink`.
pub fn read_file(source: &Arc<str>, path: &Path, sink: &mut dyn FnMut(RawRecord)) -> Result<(), SourceError> {
    let file_error = |cause: CsvError| SourceError::File { path: path.to_path_buf(), cause };
    let bytes = std::fs::read(path).map_err(|e| file_error(CsvError::Read(e)))?;
    let origin: Arc<str> = Arc::from(path.display().to_string());
    read_bytes(source, &origin, &bytes, sink).map_err(file_error)
}

/// Reads CSV from memory; the error is the reason the whole input is unusable.
pub fn read_bytes(
    source: &Arc<str>,
    origin: &Arc<str>,
    bytes: &[u8],
    sink: &mut dyn FnMut(RawRecord),
) -> Result<(), CsvError> {
    let text = decode(bytes)?;
    if text.trim().is_empty() {
        return Err(CsvError::Empty);
    }
    // An odd number of quote characters means a quoted field is never closed: the rows after it would be read as
    // part of that field, so they would vanish. Refuse the file instead.
    if text.bytes().filter(|b| *b == b'"').count() % 2 == 1 {
        let last = text.rfind('"').unwrap_or(0);
        let line = text[..last].matches('\n').count() + 1;
        return Err(CsvError::UnclosedQuote { line });
    }
    let delimiter = detect_delimiter(&text);
    let mut reader =
        ::csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).has_headers(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(CsvError::Header)?.clone();
    let columns = Columns::from_headers(&headers)?;
    let separator = char::from(delimiter).to_string();
    let mut record = ::csv::StringRecord::new();
    // Every byte of the file must belong to the header, a record or a blank line: checked as we go, so a reader
    // that skipped text would be caught rather than trusted.
    let mut covered = reader.position().byte();
    let mut lines = LineCounter::default();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let start = record.position().map_or(covered, ::csv::Position::byte);
                let line = lines.line_of_record(&text, start as usize);
                unaccounted(&text, covered, start)?;
                let end = reader.position().byte();
                let physical = text.get(start as usize..end as usize).unwrap_or_default();
                swallowed_records(physical, &record, headers.len(), line, delimiter)?;
                covered = end;
                sink(RawRecord {
                    locator: Locator { source: source.clone(), origin: origin.clone(), position: Position::Line(line) },
                    fields: columns.fields(&record),
                    raw: join(&record, &separator),
                });
            }
            Err(e) => {
                let line = e.position().map_or(0, ::csv::Position::line);
                return Err(CsvError::Parse { line, source: e });
            }
        }
    }
    unaccounted(&text, covered, text.len() as u64)
}

/// The 1-based line on which a record starts, counted incrementally over the text. The csv reader's own line
/// number is off by one in CRLF files (it places a record at the line break before it) and counts no lone CR.
#[derive(Default)]
struct LineCounter {
    /// Bytes up to here are counted.
    at: usize,
    /// Line breaks before `at`.
    breaks: u64,
}

impl LineCounter {
    /// The line of the first character of the record whose reader position is `start` (line breaks and blank
    /// lines before it skipped).
    fn line_of_record(&mut self, text: &str, start: usize) -> u64 {
        let bytes = text.as_bytes();
        let mut first = start.max(self.at).min(bytes.len());
        while first < bytes.len() && (bytes[first] == b'\r' || bytes[first] == b'\n') {
            first += 1;
        }
        for i in self.at..first {
            // "\r\n" is one break, counted at its "\n"; a lone "\r" is a break of its own (old Mac exports).
            if bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                self.breaks += 1;
            }
        }
        self.at = first;
        self.breaks + 1
    }
}

/// Text between two records that is not blank was skipped by the reader: refuse rather than lose it.
fn unaccounted(text: &str, from: u64, to: u64) -> Result<(), CsvError> {
    let gap = text.get(from as usize..to as usize).unwrap_or_default();
    if gap.trim().is_empty() {
        return Ok(());
    }
    let line = text[..from as usize].matches('\n').count() + 1;
    Err(CsvError::Unaccounted { line, text: gap.chars().take(60).collect() })
}

/// At least this many delimiters on one line inside a quoted field make that line look like a record of its own.
const RECORD_LIKE_DELIMITERS: usize = 3;

/// A quoted field may hold line breaks (a note over several lines), but a record over several physical lines is
/// a stray quote at work when a line inside a field looks like a record of its own (the delimiters of a row), when
/// the record has more fields than the header (a quote that closed on the next row, whose fields then became extra
/// columns), or when text follows a quote that closed on a later line (`"stray⏎"R3;…`). Rows would be merged and
/// vanish: refuse the file naming the lines. Lines end at `\n`, `\r\n` or a lone `\r` (old Excel for Mac), as
/// the CSV reader sees them.
fn swallowed_records(
    physical: &str,
    record: &::csv::StringRecord,
    columns: usize,
    line: u64,
    delimiter: u8,
) -> Result<(), CsvError> {
    // The reader's span of a record may begin with the previous line's terminator (CRLF files): only the
    // line breaks inside a record count.
    let body = physical.trim_matches(['\r', '\n']);
    let breaks = body.split("\r\n").flat_map(|l| l.split(['\r', '\n'])).count() - 1;
    if breaks == 0 {
        return Ok(());
    }
    let delimiter = char::from(delimiter);
    let record_like = record
        .iter()
        .flat_map(|field| field.split("\r\n").flat_map(|l| l.split(['\r', '\n'])).skip(1))
        .filter(|l| l.matches(delimiter).count() >= RECORD_LIKE_DELIMITERS)
        .count();
    if record_like > 0 || record.len() > columns || text_after_late_quote(body, delimiter) {
        let last = line + breaks as u64;
        return Err(CsvError::SwallowedRecords { first: line, last, record_like: record_like.max(1) });
    }
    Ok(())
}

/// Whether a quoted field that spans a line break closes with a quote followed by something other than the
/// delimiter or the end of the line: the CSV reader would glue that text onto the field.
fn text_after_late_quote(body: &str, delimiter: char) -> bool {
    let mut chars = body.chars().peekable();
    let (mut quoted, mut spans_lines) = (false, false);
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
            }
            (true, '"') => {
                quoted = false;
                let next = chars.peek().copied();
                if spans_lines && !matches!(next, None | Some('\r' | '\n')) && next != Some(delimiter) {
                    return true;
                }
            }
            (true, '\r' | '\n') => spans_lines = true,
            (false, '"') => {
                quoted = true;
                spans_lines = false;
            }
            _ => {}
        }
    }
    false
}

/// The row as it was, fields joined by the file's delimiter.
fn join(record: &::csv::StringRecord, separator: &str) -> String {
    let mut raw = String::with_capacity(record.as_slice().len() + record.len());
    for (i, field) in record.iter().enumerate() {
        if i > 0 {
            raw.push_str(separator);
        }
        raw.push_str(field);
    }
    raw
}

/// UTF-8 (BOM stripped) when the bytes are valid UTF-8, else Windows-1252. Bytes that are neither (control
/// characters, the five bytes Windows-1252 leaves undefined) make the file unreadable rather than garbled.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, CsvError> {
    if let Some(order) = utf16(bytes) {
        return Err(CsvError::Utf16(order));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        if let Some(offset) = text.find(is_binary) {
            return Err(binary_error(text, offset));
        }
        return Ok(Cow::Borrowed(text));
    }
    if let Some(offset) = bytes.iter().position(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D)) {
        return Err(CsvError::Encoding { byte: bytes[offset], offset });
    }
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
    if let Some(offset) = text.find(is_binary) {
        return Err(binary_error(&text, offset));
    }
    Ok(Cow::Owned(text.into_owned()))
}

/// "little-endian" or "big-endian" when the bytes are UTF-16: a UTF-16 byte order mark, or (without one) text
/// whose every other byte is zero, which is how ASCII looks in UTF-16.
fn utf16(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\xFF\xFE") {
        return Some("little-endian, with byte order mark");
    }
    if bytes.starts_with(b"\xFE\xFF") {
        return Some("big-endian, with byte order mark");
    }
    let sample = &bytes[..bytes.len().min(512) & !1];
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let zero_odd = sample.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
    let zero_even = sample.iter().step_by(2).filter(|b| **b == 0).count();
    if zero_odd * 10 >= pairs * 9 && zero_even == 0 {
        Some("little-endian, without byte order mark")
    } else if zero_even * 10 >= pairs * 9 && zero_odd == 0 {
        Some("big-endian, without byte order mark")
    } else {
        None
    }
}

fn is_binary(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\r' | '\n')
}

fn binary_error(text: &str, offset: usize) -> CsvError {
    CsvError::Binary { line: text[..offset].matches('\n').count() + 1 }
}

/// Semicolon when the header line has more semicolons than commas (Excel with a Swedish locale), else comma.
#[must_use]
pub fn detect_delimiter(text: &str) -> u8 {
    let mut in_quotes = false;
    let (mut commas, mut semicolons) = (0, 0);
    for c in text.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => commas += 1,
            ';' if !in_quotes => semicolons += 1,
            '\n' if !in_quotes => break,
            _ => {}
        }
    }
    if semicolons > commas {
        b';'
    } else {
        b','
    }
}

/// A header cell as compared with the field names: trimmed, without a BOM, in NFC and lower case (so `DELMÅL`,
/// and `delmål` written with a combining ring, both name the milestone column).
fn header_name(cell: &str) -> String {
    crate::text::nfc(cell.trim().trim_start_matches('\u{feff}')).to_lowercase()
}

/// Which column holds which field.
struct Columns {
    id: Option<usize>,
    date: Option<usize>,
    party: Option<usize>,
    activity: Option<usize>,
    location: Option<usize>,
    count: Option<usize>,
    milestone: Option<usize>,
    note: Option<usize>,
    municipality: Option<usize>,
    value: Option<usize>,
    document: Option<usize>,
}

impl Columns {
    fn from_headers(headers: &::csv::StringRecord) -> Result<Columns, CsvError> {
        let matches = |names: &[&str]| -> Vec<usize> {
            headers
                .iter()
                .enumerate()
                .filter(|(_, h)| names.iter().any(|n| header_name(h) == *n))
                .map(|(i, _)| i)
                .collect()
        };
        let mut twice = Vec::new();
        let mut find = |names: &[&str]| {
            let found = matches(names);
            if found.len() > 1 {
                let listed: Vec<String> = found
                    .iter()
                    .map(|i| format!("column {} {:?}", i + 1, headers.get(*i).unwrap_or_default()))
                    .collect();
                twice.push(format!("the {} field is named by {}", names[0], listed.join(" and ")));
            }
            found.first().copied()
        };
        let columns = Columns {
            id: find(&["id"]),
            date: find(&["date", "datum"]),
            party: find(&["party", "part"]),
            activity: find(&["activity", "aktivitet"]),
            location: find(&["location", "plats"]),
            count: find(&["count", "antal"]),
            milestone: find(&["milestone", "delmal", "delmål"]),
            note: find(&["note", "anteckning"]),
            municipality: find(&["municipality", "kommun"]),
            value: find(&["value", "varde", "värde"]),
            document: find(&["document", "dokument"]),
        };
        if !twice.is_empty() {
            return Err(CsvError::DuplicateColumns(twice.join("; ")));
        }
        let missing: Vec<&str> =
            [("id", columns.id), ("date", columns.date), ("party", columns.party), ("activity", columns.activity)]
                .iter()
                .filter(|(_, c)| c.is_none())
                .map(|(n, _)| *n)
                .collect();
        if missing.is_empty() {
            Ok(columns)
        } else {
            Err(CsvError::MissingColumns {
                missing: missing.join(", "),
                found: headers.iter().collect::<Vec<_>>().join(", "),
            })
        }
    }

    fn fields(&self, record: &::csv::StringRecord) -> Fields {
        let get = |column: Option<usize>| {
            column.and_then(|i| record.get(i)).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
        };
        Fields {
            id: get(self.id),
            date: get(self.date),
            party: get(self.party),
            activity: get(self.activity),
            location: get(self.location),
            count: get(self.count),
            milestone: get(self.milestone),
            note: get(self.note),
            municipality: get(self.municipality),
            value: get(self.value),
            document: get(self.document),
        }
    }
}
