//! The binding's own arguments from Python values: `n_params`, `seed` (integers with messages, not `OverflowError`s), `dtype`, and `layout` (C-ordered `(m, n)` matrices become the kernel's column-major `n x m` blocks), and back.

use dopamine_core::{Block, Error, ParamLayout};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};

use crate::engine::Dtype;
use crate::errors::core_error;

/// A `ValueError` with `msg`.
pub(crate) fn value_error(msg: String) -> PyErr {
    PyValueError::new_err(msg)
}

/// The Python type name of `obj`, for messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

/// An integer argument as `i128`, so that a negative or huge value gets a
/// `ValueError` with a message rather than an `OverflowError`.
fn integer(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<i128> {
    obj.extract::<i128>()
        .map_err(|_| PyTypeError::new_err(format!("{name} must be an int, got {}", type_name(obj))))
}

/// A size (`n_params`, a layout dimension): `>= 0`.
pub(crate) fn as_usize(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<usize> {
    let value = integer(obj, name)?;
    if value < 0 {
        return Err(value_error(format!("{name} must be >= 0, got {value}")));
    }
    usize::try_from(value).map_err(|_| value_error(format!("{name} = {value} is too large")))
}

/// A seed, in `[0, 2**64)`.
pub(crate) fn as_u64(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<u64> {
    let value = integer(obj, name)?;
    u64::try_from(value)
        .map_err(|_| value_error(format!("{name} must lie in [0, 2**64), got {value}")))
}

/// Parses `dtype` (anything `numpy.dtype()` accepts; `None` is float64).
pub(crate) fn parse_dtype(dtype: &Bound<'_, PyAny>) -> PyResult<Dtype> {
    if dtype.is_none() {
        return Ok(Dtype::F64);
    }
    let np = dtype.py().import("numpy")?;
    let descr = np.getattr("dtype")?.call1((dtype,))?;
    let name: String = descr.getattr("name")?.extract()?;
    Dtype::from_name(&name).ok_or_else(|| {
        PyTypeError::new_err(format!("dtype must be float32 or float64, got {name}"))
    })
}

/// One layout entry: an int is a vector block; a pair `(m, n)` is a matrix
/// stored as a C-ordered `m x n` array, which is the kernel's column-major
/// `n x m` block.
fn parse_block(entry: &Bound<'_, PyAny>, index: usize) -> PyResult<Block> {
    let bad = || {
        value_error(format!(
            "layout entry {index} must be an int (a vector block) or a pair (m, n) (an m x n matrix in C order), got {}",
            entry.repr().map(|r| r.to_string()).unwrap_or_default()
        ))
    };
    let dim = |obj: &Bound<'_, PyAny>, name: &str| -> PyResult<usize> {
        if obj.extract::<i128>().is_err() {
            return Err(PyTypeError::new_err(format!(
                "layout entries must be ints or (m, n) pairs of ints, got {}",
                type_name(obj)
            )));
        }
        as_usize(obj, name)
    };
    if entry.is_instance_of::<PyTuple>() || entry.is_instance_of::<PyList>() {
        let items: Vec<Bound<'_, PyAny>> = entry.try_iter()?.collect::<PyResult<_>>()?;
        if items.len() != 2 {
            return Err(bad());
        }
        let m = dim(&items[0], "a layout dimension")?;
        let n = dim(&items[1], "a layout dimension")?;
        return Ok(Block::Matrix { rows: n, cols: m });
    }
    if entry.extract::<i128>().is_err() {
        return Err(bad());
    }
    Ok(Block::Vector {
        len: dim(entry, "a layout length")?,
    })
}

/// Parses `layout` (`None`: one flat vector) into blocks, checked by the
/// kernel as a layout.
pub(crate) fn parse_layout(layout: &Bound<'_, PyAny>) -> PyResult<Option<Vec<Block>>> {
    if layout.is_none() {
        return Ok(None);
    }
    if layout.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "layout must be a list of ints and (m, n) pairs",
        ));
    }
    let entries: Vec<Bound<'_, PyAny>> = layout
        .try_iter()
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "layout must be a list of ints and (m, n) pairs, got {}",
                type_name(layout)
            ))
        })?
        .collect::<PyResult<_>>()?;
    let blocks = entries
        .iter()
        .enumerate()
        .map(|(i, e)| parse_block(e, i))
        .collect::<PyResult<Vec<_>>>()?;
    ParamLayout::new(&blocks).map_err(core_error)?;
    Ok(Some(blocks))
}

/// The number of parameters from `n_params` and `layout`, which must agree
/// when both are given (`who` takes a layout when `with_layout`).
pub(crate) fn parameter_count(
    who: &str,
    with_layout: bool,
    n_params: Option<usize>,
    blocks: Option<&[Block]>,
) -> PyResult<usize> {
    let covered = blocks.map(|b| b.iter().map(Block::len).sum::<usize>());
    match (n_params, covered) {
        (Some(n), None) => Ok(n),
        (None, Some(covered)) => Ok(covered),
        (Some(n), Some(covered)) if n == covered => Ok(n),
        (Some(n), Some(covered)) => Err(core_error(Error::LayoutMismatch {
            layout: covered,
            params: n,
        })),
        (None, None) if with_layout => Err(PyTypeError::new_err(format!(
            "{who}: give the number of parameters (n_params) or a layout"
        ))),
        (None, None) => Err(PyTypeError::new_err(format!(
            "{who} needs the number of parameters (n_params)"
        ))),
    }
}

/// The Python form of a block (the inverse of [`parse_block`]).
pub(crate) fn block_to_py<'py>(py: Python<'py>, block: &Block) -> PyResult<Bound<'py, PyAny>> {
    match *block {
        Block::Vector { len } => Ok(len.into_pyobject(py)?.into_any()),
        Block::Matrix { rows, cols } => Ok(PyTuple::new(py, [cols, rows])?.into_any()),
    }
}

/// The Python form of a layout: `None` or a list of blocks.
pub(crate) fn layout_to_py<'py>(
    py: Python<'py>,
    blocks: Option<&[Block]>,
) -> PyResult<Bound<'py, PyAny>> {
    match blocks {
        None => Ok(py.None().into_bound(py)),
        Some(blocks) => {
            let items = blocks
                .iter()
                .map(|b| block_to_py(py, b))
                .collect::<PyResult<Vec<_>>>()?;
            Ok(PyList::new(py, items)?.into_any())
        }
    }
}
