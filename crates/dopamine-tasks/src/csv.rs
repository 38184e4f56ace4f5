//! Loading numeric time series from CSV, on the `csv` crate.
//!
//! Format: one row per line, fields separated by `,`, surrounding whitespace
//! trimmed, blank lines skipped, `\n` or `\r\n` line ends, an optional UTF-8
//! byte-order mark, fields optionally quoted (`"1.5"`). Every field must
//! parse as a finite `f64` (Rust's `f64` syntax, e.g. `1`, `-2.5`, `3e-4`);
//! a field that does not parse is reported with its line and column rather
//! than guessed at. Every row needs as many fields as the first.
//!
//! The `csv` crate splits the records; this module decides what a header is
//! and checks every value, so its errors name the line (1-based, counting
//! every physical line) and the column (0-based).

use std::io::Read;
use std::path::Path;

use crate::error::{Result, TaskError};
use crate::series::Series;

/// Whether the first non-blank line is a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderMode {
    /// Header if any field of the first non-blank line does not parse as a
    /// number (`nan` and `inf` count as numbers, so they are reported as
    /// non-finite data, not taken for a header).
    #[default]
    Auto,
    /// The first non-blank line is always a header.
    Present,
    /// There is no header; the first non-blank line is data.
    Absent,
}

/// A loaded CSV file: the column names, if there was a header, and the data.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvTable {
    /// Column names from the header line, trimmed.
    pub header: Option<Vec<String>>,
    /// The numeric rows; one column per CSV column.
    pub series: Series,
}

/// Parses CSV text.
///
/// # Errors
/// [`TaskError::CsvEmpty`] for no data rows, [`TaskError::CsvRaggedRow`],
/// [`TaskError::CsvNotANumber`] and [`TaskError::CsvNonFinite`] with the
/// 1-based line number.
pub fn parse_csv(text: &str, header: HeaderMode) -> Result<CsvTable> {
    read_named(text.as_bytes(), header, "<text>")
}

/// Reads CSV from any reader (see [`parse_csv`]).
///
/// # Errors
/// As for [`parse_csv`], plus [`TaskError::Io`] if reading fails (including
/// invalid UTF-8; the message names the line).
pub fn read_csv<R: Read>(reader: R, header: HeaderMode) -> Result<CsvTable> {
    read_named(reader, header, "<reader>")
}

/// Loads a CSV file (see [`parse_csv`]).
///
/// # Errors
/// As for [`read_csv`]; [`TaskError::Io`] names the path.
pub fn load_csv(path: impl AsRef<Path>, header: HeaderMode) -> Result<CsvTable> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| TaskError::Io {
        source_name: name.clone(),
        message: e.to_string(),
    })?;
    read_named(std::io::BufReader::new(file), header, &name)
}

fn read_named<R: Read>(mut reader: R, header: HeaderMode, name: &str) -> Result<CsvTable> {
    // Read whole, so every error can name its physical line (the `csv`
    // crate's own line count skips blank lines).
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(|e| TaskError::Io {
        source_name: name.to_string(),
        message: e.to_string(),
    })?;
    // A record's position is where the reader resumed, before any blank
    // lines it skipped: its line is that of the first byte after them.
    let line_at = |byte: u64| {
        let mut end = (byte as usize).min(bytes.len());
        while end < bytes.len() && matches!(bytes[end], b'\n' | b'\r') {
            end += 1;
        }
        1 + bytes[..end].iter().filter(|&&b| b == b'\n').count()
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(::csv::Trim::All)
        .from_reader(bytes.as_slice());
    let mut table = Table::new(header);
    let mut record = ::csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(p.byte()));
                return Err(TaskError::Io {
                    source_name: name.to_string(),
                    message: format!("line {line}: {e}"),
                });
            }
        }
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        table.push(line, &record)?;
    }
    table.finish()
}

/// The rows read so far and what the first row decided.
struct Table {
    mode: HeaderMode,
    seen_first: bool,
    columns: usize,
    header: Option<Vec<String>>,
    data: Vec<f64>,
}

impl Table {
    fn new(mode: HeaderMode) -> Self {
        Table {
            mode,
            seen_first: false,
            columns: 0,
            header: None,
            data: Vec::new(),
        }
    }

    fn push(&mut self, line: usize, record: &::csv::StringRecord) -> Result<()> {
        // A line of spaces only is a record of one empty field: blank.
        if record.iter().all(str::is_empty) && record.len() <= 1 {
            return Ok(());
        }
        if !self.seen_first {
            self.seen_first = true;
            self.columns = record.len();
            let is_header = match self.mode {
                HeaderMode::Present => true,
                HeaderMode::Absent => false,
                HeaderMode::Auto => record.iter().any(|f| f.parse::<f64>().is_err()),
            };
            if is_header {
                self.header = Some(record.iter().map(str::to_string).collect());
                return Ok(());
            }
        }
        if record.len() != self.columns {
            return Err(TaskError::CsvRaggedRow {
                line,
                expected: self.columns,
                found: record.len(),
            });
        }
        for (column, field) in record.iter().enumerate() {
            let value: f64 = field.parse().map_err(|_| TaskError::CsvNotANumber {
                line,
                column,
                field: field.to_string(),
            })?;
            if !value.is_finite() {
                return Err(TaskError::CsvNonFinite {
                    line,
                    column,
                    field: field.to_string(),
                });
            }
            self.data.push(value);
        }
        Ok(())
    }

    fn finish(self) -> Result<CsvTable> {
        if self.data.is_empty() {
            return Err(TaskError::CsvEmpty);
        }
        Ok(CsvTable {
            header: self.header,
            series: Series::new(self.columns, self.data)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_auto_detection_and_formats() {
        let t = parse_csv("time, x\n0, 1.5\n1,-2e-1\r\n\n2 ,3\n", HeaderMode::Auto).unwrap();
        assert_eq!(t.header, Some(vec!["time".to_string(), "x".to_string()]));
        assert_eq!(t.series.dim(), 2);
        assert_eq!(t.series.as_slice(), &[0.0, 1.5, 1.0, -0.2, 2.0, 3.0]);

        let t = parse_csv("\u{feff}1\n2\n3", HeaderMode::Auto).unwrap();
        assert_eq!(t.header, None);
        assert_eq!(t.series.as_slice(), &[1.0, 2.0, 3.0]);

        // A numeric first line can still be declared a header.
        let t = parse_csv("10,20\n1,2\n", HeaderMode::Present).unwrap();
        assert_eq!(t.header, Some(vec!["10".to_string(), "20".to_string()]));
        assert_eq!(t.series.len(), 1);
    }

    #[test]
    fn malformed_inputs_name_the_line_and_problem() {
        use HeaderMode::{Absent, Auto};
        let cases: &[(&str, HeaderMode, TaskError)] = &[
            ("", Auto, TaskError::CsvEmpty),
            ("\n  \n\n", Auto, TaskError::CsvEmpty),
            ("a,b\n", Auto, TaskError::CsvEmpty),
            ("a,b\n\n", Auto, TaskError::CsvEmpty),
            (
                "a,b\n1,2\n3\n",
                Auto,
                TaskError::CsvRaggedRow {
                    line: 3,
                    expected: 2,
                    found: 1,
                },
            ),
            (
                "1,2\n\n3,4,5\n",
                Auto,
                TaskError::CsvRaggedRow {
                    line: 3,
                    expected: 2,
                    found: 3,
                },
            ),
            (
                "a\n1\n2,\n",
                Auto,
                TaskError::CsvRaggedRow {
                    line: 3,
                    expected: 1,
                    found: 2,
                },
            ),
            (
                "x,y\n1,2\n3,four\n",
                Auto,
                TaskError::CsvNotANumber {
                    line: 3,
                    column: 1,
                    field: "four".into(),
                },
            ),
            (
                "x,y\n1,\n",
                Auto,
                TaskError::CsvNotANumber {
                    line: 2,
                    column: 1,
                    field: String::new(),
                },
            ),
            (
                "x\n1\n1.2.3\n",
                Auto,
                TaskError::CsvNotANumber {
                    line: 3,
                    column: 0,
                    field: "1.2.3".into(),
                },
            ),
            (
                "x,y\n1,2\n\n3,NaN\n",
                Auto,
                TaskError::CsvNonFinite {
                    line: 4,
                    column: 1,
                    field: "NaN".into(),
                },
            ),
            (
                "inf,1\n2,3\n",
                Auto,
                TaskError::CsvNonFinite {
                    line: 1,
                    column: 0,
                    field: "inf".into(),
                },
            ),
            (
                "1\n-infinity\n",
                Auto,
                TaskError::CsvNonFinite {
                    line: 2,
                    column: 0,
                    field: "-infinity".into(),
                },
            ),
            (
                "1e999\n",
                Auto,
                TaskError::CsvNonFinite {
                    line: 1,
                    column: 0,
                    field: "1e999".into(),
                },
            ),
            (
                "x\n1\n",
                Absent,
                TaskError::CsvNotANumber {
                    line: 1,
                    column: 0,
                    field: "x".into(),
                },
            ),
        ];
        for (text, mode, want) in cases {
            assert_eq!(&parse_csv(text, *mode).unwrap_err(), want, "input {text:?}");
            // The reader path reports the same error.
            assert_eq!(&read_csv(text.as_bytes(), *mode).unwrap_err(), want);
        }
    }

    #[test]
    fn loads_from_a_path_and_reports_missing_files() {
        let dir = std::env::temp_dir();
        let path = dir.join(format!("dopamine-tasks-csv-{}.csv", std::process::id()));
        std::fs::write(&path, "a,b\n1,2\n3,4\n").unwrap();
        let t = load_csv(&path, HeaderMode::Auto);
        std::fs::remove_file(&path).unwrap();
        let t = t.unwrap();
        assert_eq!(t.series.as_slice(), &[1.0, 2.0, 3.0, 4.0]);

        let missing = dir.join("dopamine-tasks-no-such-file.csv");
        match load_csv(&missing, HeaderMode::Auto) {
            Err(TaskError::Io { source_name, .. }) => {
                assert!(source_name.contains("dopamine-tasks-no-such-file"));
            }
            other => panic!("expected Io error, got {other:?}"),
        }
    }

    #[test]
    fn invalid_utf8_is_an_io_error_naming_the_line() {
        let bytes: &[u8] = b"1\n\xff\n";
        match read_csv(bytes, HeaderMode::Auto) {
            Err(TaskError::Io { message, .. }) => assert!(message.contains("line 2")),
            other => panic!("expected Io error, got {other:?}"),
        }
    }
}
