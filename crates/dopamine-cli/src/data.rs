//! The user's series: a CSV file read with the columns asked for (`--columns`), split in time order (`--split`), with errors that name the file, the line and the column.

use std::path::Path;

use dopamine_forecast::{ForecastData, ForecastError, ForecastSettings};
use dopamine_tasks::{ColumnRef, HeaderMode, Series, TaskError, load_csv_columns};

use crate::error::CliError;

/// A loaded series and the names of its columns.
#[derive(Debug, Clone)]
pub struct Table {
    /// The kept columns' names: the header's, or `column N` (from 1).
    pub names: Vec<String>,
    /// The kept columns' positions in the file (0-based).
    pub positions: Vec<usize>,
    /// Whether the file has a header line (the names are its).
    pub has_header: bool,
    /// The values, one row per line of the file.
    pub series: Series,
}

/// The columns of `--columns a,b,3`: a whole number is a position counted
/// from 1, anything else a header name. Empty: every column.
pub fn parse_columns(list: Option<&str>) -> Vec<ColumnRef> {
    list.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| match c.parse::<usize>() {
            Ok(p) if p >= 1 => ColumnRef::Position(p - 1),
            _ => ColumnRef::Name(c.to_string()),
        })
        .collect()
}

/// Reads `path`, keeping `columns` (all when empty); a first line that does
/// not parse as numbers is the header.
///
/// # Errors
/// A usage error for a column the file does not have; a runtime error
/// naming the file (and the line and column) for anything else.
pub fn load(path: &Path, columns: &[ColumnRef]) -> Result<Table, CliError> {
    let shown = path.display();
    let table = load_csv_columns(path, HeaderMode::Auto, columns).map_err(|e| match e {
        TaskError::CsvUnknownColumn { .. } => CliError::usage(format!("`{shown}`: {e}")),
        TaskError::CsvNotANumber {
            line,
            column,
            field,
        } => CliError::runtime(format!(
            "`{shown}`, line {line}, column {}: `{field}` is not a number",
            column + 1
        )),
        TaskError::CsvNonFinite {
            line,
            column,
            field,
        } => CliError::runtime(format!(
            "`{shown}`, line {line}, column {}: `{field}` is not finite",
            column + 1
        )),
        TaskError::Io { message, .. } => {
            CliError::runtime(format!("cannot read `{shown}`: {message}"))
        }
        other => CliError::runtime(format!("`{shown}`: {other}")),
    })?;
    let names = match &table.header {
        Some(h) => h.clone(),
        None => table
            .columns
            .iter()
            .map(|p| format!("column {}", p + 1))
            .collect(),
    };
    Ok(Table {
        has_header: table.header.is_some(),
        names,
        positions: table.columns,
        series: table.series,
    })
}

/// `--split 0.5,0.2,0.3`: the training and validation fractions (the test
/// part is the rest; a third number, when given, must make the sum 1).
///
/// # Errors
/// A usage error for anything else.
pub fn parse_split(text: &str) -> Result<(f64, f64), CliError> {
    let bad = |why: &str| CliError::usage(format!("--split `{text}`: {why}"));
    let parts: Vec<f64> = text
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad("write the fractions as train,validation[,test], e.g. 0.5,0.2,0.3"))?;
    let (train, validation) = match parts[..] {
        [t, v] => (t, v),
        [t, v, rest] if (t + v + rest - 1.0).abs() < 1e-9 => (t, v),
        [_, _, _] => return Err(bad("the three fractions must add up to 1")),
        _ => return Err(bad("give two or three fractions")),
    };
    if !(train > 0.0 && validation > 0.0 && train + validation < 1.0) {
        return Err(bad(
            "each part needs a positive fraction, with room left for the test part",
        ));
    }
    Ok((train, validation))
}

/// Rows each part needs at least: two targets to score, and more training
/// rows than the washout.
const MIN_PART: usize = 3;

/// The protocol's data: `table` split by `settings`, z-scored on the
/// training part, with every part long enough for the protocol.
///
/// # Errors
/// A runtime error naming `path` and saying the lengths, or the column
/// that is constant on the training part.
pub fn prepare(
    path: &Path,
    table: &Table,
    settings: &ForecastSettings,
) -> Result<ForecastData, CliError> {
    let shown = path.display();
    let len = table.series.len();
    let n_train = (settings.train_fraction * len as f64).floor() as usize;
    let n_val = (settings.validation_fraction * len as f64).floor() as usize;
    let n_test = len.saturating_sub(n_train + n_val);
    let needed_train = settings.washout + MIN_PART;
    if n_train < needed_train || n_val < MIN_PART || n_test < MIN_PART {
        return Err(CliError::runtime(format!(
            "`{shown}`: {len} rows are too few for the split {}/{}/{}: the parts have {n_train}, {n_val} and {n_test} rows; training needs at least {needed_train} (washout {} + {MIN_PART}), validation and test at least {MIN_PART} each",
            settings.train_fraction,
            settings.validation_fraction,
            // Rounded, so 1 - 0.5 - 0.2 reads 0.3.
            ((1.0 - settings.train_fraction - settings.validation_fraction) * 1e9).round() / 1e9,
            settings.washout,
        )));
    }
    ForecastData::new(
        &table.series,
        settings.train_fraction,
        settings.validation_fraction,
    )
    .map_err(|e| match e {
        ForecastError::Task(TaskError::ZeroSpread { dim }) => CliError::runtime(format!(
            "`{shown}`: column `{}` is constant over the training part (the first {n_train} rows): nothing to learn or scale",
            table.names.get(dim).map_or("?", String::as_str)
        )),
        other => CliError::runtime(format!("`{shown}`: {other}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_names_or_positions_from_one() {
        assert_eq!(
            parse_columns(Some("temp, 2")),
            vec![ColumnRef::Name("temp".into()), ColumnRef::Position(1)]
        );
        assert!(parse_columns(None).is_empty());
    }

    #[test]
    fn splits_are_checked() {
        assert_eq!(parse_split("0.5,0.2,0.3").unwrap(), (0.5, 0.2));
        assert_eq!(parse_split("0.6,0.2").unwrap(), (0.6, 0.2));
        for bad in ["0.5,0.2,0.2", "0.5", "a,b", "0.9,0.1", "0,0.5"] {
            assert_eq!(parse_split(bad).unwrap_err().exit_code(), 2, "{bad}");
        }
    }
}
