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
//!
//! [`load_csv_columns`] and [`parse_csv_columns`] keep only some columns,
//! named by header or by position ([`ColumnRef`]); the other columns (a
//! timestamp, a label) are not parsed, only counted.

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
    /// Column names from the header line, trimmed (of the kept columns).
    pub header: Option<Vec<String>>,
    /// The numeric rows; one column per kept CSV column.
    pub series: Series,
    /// The kept columns' positions in the file (0-based), in the series' order.
    pub columns: Vec<usize>,
}

/// A column to keep: by its header name (exact, after trimming) or by its
/// position in the file (0-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnRef {
    /// The column whose header is this name.
    Name(String),
    /// The column at this position (0-based).
    Position(usize),
}

impl std::fmt::Display for ColumnRef {
    /// A name as written; a position counted from 1, as people count columns.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ColumnRef::Name(n) => f.write_str(n),
            ColumnRef::Position(p) => write!(f, "{}", p + 1),
        }
    }
}

/// Parses CSV text.
///
/// # Errors
/// [`TaskError::CsvEmpty`] for no data rows, [`TaskError::CsvRaggedRow`],
/// [`TaskError::CsvNotANumber`] and [`TaskError::CsvNonFinite`] with the
/// 1-based line number.
pub fn parse_csv(text: &str, header: HeaderMode) -> Result<CsvTable> {
    read_named(text.as_bytes(), header, &[], "<text>")
}

/// Parses CSV text, keeping the `columns` given (all when empty), in that
/// order. Only the kept columns are parsed as numbers; every row still
/// needs as many fields as the first. With [`HeaderMode::Auto`], the first
/// line is a header if a kept field of it (any field, when a column is
/// named) does not parse as a number.
///
/// # Errors
/// As for [`parse_csv`], plus [`TaskError::CsvUnknownColumn`] for a name
/// that is not in the header (or a name without a header) and a position
/// past the last column.
pub fn parse_csv_columns(
    text: &str,
    header: HeaderMode,
    columns: &[ColumnRef],
) -> Result<CsvTable> {
    read_named(text.as_bytes(), header, columns, "<text>")
}

/// Reads CSV from any reader (see [`parse_csv`]).
///
/// # Errors
/// As for [`parse_csv`], plus [`TaskError::Io`] if reading fails (including
/// invalid UTF-8; the message names the line).
pub fn read_csv<R: Read>(reader: R, header: HeaderMode) -> Result<CsvTable> {
    read_named(reader, header, &[], "<reader>")
}

/// Loads a CSV file (see [`parse_csv`]).
///
/// # Errors
/// As for [`read_csv`]; [`TaskError::Io`] names the path.
pub fn load_csv(path: impl AsRef<Path>, header: HeaderMode) -> Result<CsvTable> {
    load_csv_columns(path, header, &[])
}

/// Loads a CSV file keeping some columns (see [`parse_csv_columns`]).
///
/// # Errors
/// As for [`parse_csv_columns`]; [`TaskError::Io`] names the path.
pub fn load_csv_columns(
    path: impl AsRef<Path>,
    header: HeaderMode,
    columns: &[ColumnRef],
) -> Result<CsvTable> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| TaskError::Io {
        source_name: name.clone(),
        message: e.to_string(),
    })?;
    read_named(std::io::BufReader::new(file), header, columns, &name)
}

fn read_named<R: Read>(
    mut reader: R,
    header: HeaderMode,
    columns: &[ColumnRef],
    name: &str,
) -> Result<CsvTable> {
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
    let mut table = Table::new(header, columns);
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
struct Table<'c> {
    mode: HeaderMode,
    seen_first: bool,
    columns: usize,
    header: Option<Vec<String>>,
    data: Vec<f64>,
    /// The columns asked for (all when empty).
    select: &'c [ColumnRef],
    /// The positions kept, once the first row is read.
    keep: Vec<usize>,
}

impl<'c> Table<'c> {
    fn new(mode: HeaderMode, select: &'c [ColumnRef]) -> Self {
        Table {
            mode,
            seen_first: false,
            columns: 0,
            header: None,
            data: Vec::new(),
            select,
            keep: Vec::new(),
        }
    }

    /// The positions of the selected columns in a file of `count` columns
    /// with `header`.
    fn resolve(&self, count: usize, header: Option<&[String]>) -> Result<Vec<usize>> {
        if self.select.is_empty() {
            return Ok((0..count).collect());
        }
        let available = || match header {
            Some(h) => h.to_vec(),
            None => (1..=count).map(|p| p.to_string()).collect(),
        };
        self.select
            .iter()
            .map(|c| {
                let found = match c {
                    ColumnRef::Name(n) => header.and_then(|h| h.iter().position(|x| x == n)),
                    ColumnRef::Position(p) => (*p < count).then_some(*p),
                };
                found.ok_or_else(|| TaskError::CsvUnknownColumn {
                    column: c.to_string(),
                    has_header: header.is_some(),
                    available: available(),
                })
            })
            .collect()
    }

    fn push(&mut self, line: usize, record: &::csv::StringRecord) -> Result<()> {
        // A line of spaces only is a record of one empty field: blank.
        if record.iter().all(str::is_empty) && record.len() <= 1 {
            return Ok(());
        }
        if !self.seen_first {
            self.seen_first = true;
            self.columns = record.len();
            let by_position = self
                .select
                .iter()
                .all(|c| matches!(c, ColumnRef::Position(_)));
            let is_header = match self.mode {
                HeaderMode::Present => true,
                HeaderMode::Absent => false,
                HeaderMode::Auto if by_position => {
                    let kept = self.resolve(record.len(), None)?;
                    kept.iter()
                        .any(|&p| record.get(p).is_none_or(|f| f.parse::<f64>().is_err()))
                }
                HeaderMode::Auto => record.iter().any(|f| f.parse::<f64>().is_err()),
            };
            let names: Vec<String> = record.iter().map(str::to_string).collect();
            self.keep = self.resolve(record.len(), is_header.then_some(&names[..]))?;
            if is_header {
                self.header = Some(self.keep.iter().map(|&p| names[p].clone()).collect());
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
        for &column in &self.keep {
            let field = record.get(column).unwrap_or_default();
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
            series: Series::new(self.keep.len(), self.data)?,
            columns: self.keep,
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
    fn kept_columns_are_the_only_ones_parsed() {
        use ColumnRef::{Name, Position};
        let text = "date,temp,rain\n2020-01-01,1.5,0\n2020-01-02,2.5,1\n";
        let t =
            parse_csv_columns(text, HeaderMode::Auto, &[Name("rain".into()), Position(1)]).unwrap();
        assert_eq!(t.header, Some(vec!["rain".to_string(), "temp".to_string()]));
        assert_eq!(t.columns, vec![2, 1]);
        assert_eq!(t.series.as_slice(), &[0.0, 1.5, 1.0, 2.5]);
        // Without a header, positions; the unparsed column may hold anything.
        let t = parse_csv_columns("x1,1\nx2,2\n", HeaderMode::Auto, &[Position(1)]).unwrap();
        assert_eq!(t.header, None);
        assert_eq!(t.series.as_slice(), &[1.0, 2.0]);
        // A bad value in a kept column still names its line and column.
        assert_eq!(
            parse_csv_columns(
                text.replace("2.5", "").as_str(),
                HeaderMode::Auto,
                &[Name("temp".into())]
            ),
            Err(TaskError::CsvNotANumber {
                line: 3,
                column: 1,
                field: String::new()
            })
        );
        // Unknown names and positions list what there is.
        let e = parse_csv_columns(text, HeaderMode::Auto, &[Name("wind".into())]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no column `wind`: the columns are date, temp, rain"
        );
        let e = parse_csv_columns("1,2\n", HeaderMode::Auto, &[Position(2)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no column `3`: the file has no header; name its columns by position, 1 to 2"
        );
        let e = parse_csv_columns("1,2\n", HeaderMode::Auto, &[Name("a".into())]).unwrap_err();
        assert!(
            matches!(
                e,
                TaskError::CsvUnknownColumn {
                    has_header: false,
                    ..
                }
            ),
            "{e}"
        );
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
