//! Input validation shared by the models: shapes and finiteness of data.

use faer::MatRef;

use crate::{NetError, Scalar};

/// Errors unless `m` is `rows x cols` (`rows` of `None` accepts any count).
pub(crate) fn shape<T>(
    m: MatRef<'_, T>,
    what_rows: &'static str,
    rows: Option<usize>,
    what_cols: &'static str,
    cols: usize,
) -> Result<(), NetError> {
    if m.ncols() != cols {
        return Err(NetError::ShapeMismatch {
            what: what_cols,
            expected: cols,
            got: m.ncols(),
        });
    }
    if let Some(rows) = rows {
        if m.nrows() != rows {
            return Err(NetError::ShapeMismatch {
                what: what_rows,
                expected: rows,
                got: m.nrows(),
            });
        }
    }
    Ok(())
}

/// Errors on the first NaN or infinity in `m` (scanned row by row).
pub(crate) fn finite<T: Scalar>(m: MatRef<'_, T>, what: &'static str) -> Result<(), NetError> {
    for row in 0..m.nrows() {
        for col in 0..m.ncols() {
            if !m[(row, col)].is_finite() {
                return Err(NetError::NonFinite { what, row, col });
            }
        }
    }
    Ok(())
}
