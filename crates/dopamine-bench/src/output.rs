//! Writing the lab's files: whole files and CSV tables (an error names the path), a training curve's CSV columns, and the optimizer names used in file names.

use std::fs;
use std::path::Path;

use dopamine_train::{OptimizerKind, Record};

use crate::error::BenchError;

/// Writes `contents` to `path`; an error names the path.
pub fn write_file(path: &Path, contents: impl AsRef<[u8]>) -> Result<(), BenchError> {
    fs::write(path, contents).map_err(BenchError::io(path))
}

/// Writes a CSV file (the `csv` crate): a header and one record per row,
/// every field already formatted; an error names the path.
pub fn write_csv<const N: usize>(
    path: &Path,
    header: [&str; N],
    rows: impl IntoIterator<Item = [String; N]>,
) -> Result<(), BenchError> {
    let io = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(source) => BenchError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => BenchError::Setup(format!("{}: {other:?}", path.display())),
    };
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(path)
        .map_err(io)?;
    w.write_record(header).map_err(io)?;
    for row in rows {
        w.write_record(&row).map_err(io)?;
    }
    w.flush().map_err(BenchError::io(path))
}

/// A training curve's columns.
pub const CURVE_HEADER: [&str; 11] = [
    "step",
    "loss",
    "effective_eta",
    "last_delta",
    "expected_rpe",
    "surprise_size",
    "rejected_steps",
    "forward_passes",
    "backward_passes",
    "flops",
    "seconds",
];

/// One record of a training curve as a CSV row ([`CURVE_HEADER`]).
pub fn curve_row(r: &Record) -> [String; 11] {
    [
        r.step.to_string(),
        r.loss.to_string(),
        r.effective_eta.to_string(),
        r.last_delta.to_string(),
        r.expected_rpe.to_string(),
        r.surprise_size.to_string(),
        r.rejected_steps.to_string(),
        r.forward_passes.to_string(),
        r.backward_passes.to_string(),
        r.flops.to_string(),
        r.seconds.to_string(),
    ]
}

/// Writes a training curve to `path` as CSV ([`CURVE_HEADER`]).
pub fn write_curve(path: &Path, curve: &[Record]) -> Result<(), BenchError> {
    write_csv(path, CURVE_HEADER, curve.iter().map(curve_row))
}

/// An optimizer's name in file names: `dopamine1`, `openes`, `adam`.
pub fn slug(kind: OptimizerKind) -> String {
    kind.name().to_lowercase().replace('-', "")
}
