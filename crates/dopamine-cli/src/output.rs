//! Writing results: the output folder (refused when it holds files, unless `--force`), text files that name their path on failure, and the predictions as CSV in the data's units.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use dopamine_tasks::Series;

use crate::error::{CliError, io_error};

/// The output folder `dir`, created if missing. One that holds files is
/// refused unless `force`, so no earlier result is overwritten silently.
///
/// # Errors
/// A usage error for a folder with files (without `force`) or a path that
/// is a file; a runtime error naming the folder when it cannot be created.
pub fn out_dir(dir: &Path, force: bool) -> Result<PathBuf, CliError> {
    if dir.is_file() {
        return Err(CliError::usage(format!(
            "--out `{}` is a file; name a folder",
            dir.display()
        )));
    }
    if dir.is_dir() && !force {
        let mut entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, "read", &e))?;
        if entries.next().is_some() {
            return Err(CliError::usage(format!(
                "--out `{}` already holds files; name another folder, or add --force to write over them",
                dir.display()
            )));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, "create the folder", &e))?;
    Ok(dir.to_path_buf())
}

/// Writes `text` to `path`.
///
/// # Errors
/// A runtime error naming the path.
pub fn write_text(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text).map_err(|e| io_error(path, "write", &e))
}

/// `value` as pretty JSON with a final newline.
pub fn json(value: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

/// A CSV field: quoted when it holds a comma, a quote or a line break.
fn field(name: &str) -> String {
    if name.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", name.replace('"', "\"\""))
    } else {
        name.to_string()
    }
}

/// One-step predictions as CSV: `row` (the data row predicted, counted
/// from 1 after any header), then each column's target and prediction, in
/// the data's units. `first_row` is the 0-based row of `targets`' first.
pub fn predictions_csv(
    names: &[String],
    first_row: usize,
    targets: &Series,
    predictions: &Series,
) -> String {
    let mut out = String::from("row");
    for name in names {
        let _ = write!(
            out,
            ",{},{}",
            field(name),
            field(&format!("{name}_predicted"))
        );
    }
    out.push('\n');
    for t in 0..targets.len() {
        let _ = write!(out, "{}", first_row + t + 1);
        for (target, predicted) in targets.row(t).iter().zip(predictions.row(t)) {
            let _ = write!(out, ",{target},{predicted}");
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predictions_are_written_by_row_with_quoted_names() {
        let targets = Series::new(1, vec![1.0, 2.5]).unwrap();
        let preds = Series::new(1, vec![0.5, 2.0]).unwrap();
        assert_eq!(
            predictions_csv(&["a,b".into()], 3, &targets, &preds),
            "row,\"a,b\",\"a,b_predicted\"\n4,1,0.5\n5,2.5,2\n"
        );
    }
}
