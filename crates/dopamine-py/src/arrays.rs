//! Checks of the caller's numpy arrays (type, dtype, shape, contiguity, writability), with messages that say how to fix them.

use numpy::{
    PyArray1, PyArray2, PyArrayDescrMethods, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::engine::Float;
use crate::values::type_name;

/// `obj` as an ndarray of dtype `T`, or a `TypeError` naming what was given.
fn typed<'a, 'py, T: Float>(
    obj: &'a Bound<'py, PyAny>,
    what: &str,
) -> PyResult<&'a Bound<'py, PyUntypedArray>> {
    let arr = obj.cast::<PyUntypedArray>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be a numpy.ndarray of {}, got {}",
            T::NAME,
            type_name(obj)
        ))
    })?;
    let dtype = arr.dtype();
    if !dtype.is_equiv_to(&numpy::dtype::<T>(obj.py())) {
        let got = dtype
            .str()
            .map(|s| s.to_string())
            .unwrap_or_else(|_| "?".into());
        return Err(PyTypeError::new_err(format!(
            "{what} has dtype {got}, but this optimizer was built with dtype={}; \
             build it with the dtype of your parameters, or convert them once with .astype(numpy.{})",
            T::NAME,
            T::NAME
        )));
    }
    Ok(arr)
}

/// Checks that `obj` is the parameter vector: a C-contiguous, aligned 1-D
/// ndarray of `T` with `dim` elements, writable when `write` is set.
/// Nothing is borrowed yet; the caller borrows the returned array.
pub(crate) fn params<'a, 'py, T: Float>(
    obj: &'a Bound<'py, PyAny>,
    dim: usize,
    write: bool,
) -> PyResult<&'a Bound<'py, PyArray1<T>>> {
    let arr = typed::<T>(obj, "params")?;
    if arr.ndim() != 1 {
        return Err(PyValueError::new_err(format!(
            "params must be 1-D with {dim} elements, got shape {:?}; pass a flat view, e.g. params.reshape(-1) of a contiguous array",
            arr.shape()
        )));
    }
    if arr.len() != dim {
        return Err(PyValueError::new_err(format!(
            "params has {} elements, this optimizer has {dim} parameters",
            arr.len()
        )));
    }
    check_layout(arr, "params")?;
    if write && !is_writeable(arr) {
        return Err(PyValueError::new_err(
            "params is read-only (its WRITEABLE flag is off); the optimizer updates the parameters in place",
        ));
    }
    Ok(arr.cast::<PyArray1<T>>()?)
}

/// Checks `out` for a population `ask`: a writable, C-contiguous, aligned
/// `(rows, dim)` ndarray of `T`.
pub(crate) fn points_out<'a, 'py, T: Float>(
    obj: &'a Bound<'py, PyAny>,
    rows: usize,
    dim: usize,
) -> PyResult<&'a Bound<'py, PyArray2<T>>> {
    let arr = typed::<T>(obj, "out")?;
    if arr.shape() != [rows, dim] {
        return Err(PyValueError::new_err(format!(
            "out must have shape ({rows}, {dim}) (n_points, n_params), got {:?}",
            arr.shape()
        )));
    }
    check_layout(arr, "out")?;
    if !is_writeable(arr) {
        return Err(PyValueError::new_err(
            "out is read-only (its WRITEABLE flag is off)",
        ));
    }
    Ok(arr.cast::<PyArray2<T>>()?)
}

fn check_layout(arr: &Bound<'_, PyUntypedArray>, what: &str) -> PyResult<()> {
    if !arr.is_c_contiguous() {
        return Err(PyValueError::new_err(format!(
            "{what} is not C-contiguous (a strided view or a transposed array); \
             the optimizer works in place on contiguous memory: pass numpy.ascontiguousarray({what}) \
             and keep using that array"
        )));
    }
    if !arr.is_aligned() {
        return Err(PyValueError::new_err(format!(
            "{what} is not aligned for its dtype; pass a copy (numpy.array({what}))"
        )));
    }
    Ok(())
}

fn is_writeable(arr: &Bound<'_, PyUntypedArray>) -> bool {
    // SAFETY: `as_array_ptr` is a live ndarray (the cast checked it) and the
    // GIL is held; reading its flags mutates and retains nothing.
    let flags = unsafe { (*numpy::npyffi::_PyArray_GET_ITEM_DATA(arr.as_array_ptr())).flags };
    flags & numpy::npyffi::NPY_ARRAY_WRITEABLE != 0
}

/// `numpy.asarray`, looked up once.
fn asarray(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static ASARRAY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    ASARRAY
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("numpy")?.getattr("asarray")?.unbind())
        })
        .map(|f| f.bind(py))
}

/// `numpy.empty`, looked up once.
fn empty(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static EMPTY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    EMPTY
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("numpy")?.getattr("empty")?.unbind())
        })
        .map(|f| f.bind(py))
}

/// A new, uninitialised `(rows, dim)` array of `T` for a population `ask`,
/// made by `numpy.empty` so that a failed allocation is a `MemoryError`.
pub(crate) fn new_points<'py, T: Float>(
    py: Python<'py>,
    rows: usize,
    dim: usize,
) -> PyResult<Bound<'py, PyArray2<T>>> {
    let array = empty(py)?.call1(((rows, dim), numpy::dtype::<T>(py)))?;
    Ok(array.cast_into::<PyArray2<T>>()?)
}

/// A new, uninitialised vector of `dim` values of `T` (the point buffer of
/// a population method's `step`), made by `numpy.empty`.
pub(crate) fn new_vector<'py, T: Float>(
    py: Python<'py>,
    dim: usize,
) -> PyResult<Bound<'py, PyArray1<T>>> {
    let array = empty(py)?.call1((dim, numpy::dtype::<T>(py)))?;
    Ok(array.cast_into::<PyArray1<T>>()?)
}

/// The `n` losses of a population `tell`, as `T`: any 1-D array-like of
/// numbers (a list, an ndarray of any float dtype, a CPU tensor), converted
/// with `numpy.asarray(losses, dtype)` unless it already is a contiguous
/// 1-D ndarray of `T`.
pub(crate) fn losses<T: Float>(obj: &Bound<'_, PyAny>, n: usize) -> PyResult<Vec<T>> {
    numbers(
        obj,
        n,
        "losses",
        "one per row of ask()'s points",
        &format!("expected {n} losses (one per row of ask()'s points, n_points = {n})"),
    )
}

/// The gradient of a gradient step, as `T`: any 1-D array-like of `n`
/// numbers, converted as [`losses`] are.
pub(crate) fn gradient<T: Float>(obj: &Bound<'_, PyAny>, n: usize) -> PyResult<Vec<T>> {
    numbers(
        obj,
        n,
        "grad",
        "one per parameter",
        &format!("grad must have {n} values (one per parameter)"),
    )
}

/// `n` numbers from a 1-D array-like (see [`losses`]); `what` names it
/// and `each` says what its values are in messages.
fn numbers<T: Float>(
    obj: &Bound<'_, PyAny>,
    n: usize,
    what: &str,
    each: &str,
    wrong_count: &str,
) -> PyResult<Vec<T>> {
    let py = obj.py();
    let direct = obj
        .cast::<PyArray1<T>>()
        .ok()
        .filter(|a| a.is_c_contiguous());
    let converted;
    let arr = match direct {
        Some(a) => a,
        None => {
            let any = asarray(py)?
                .call1((obj, numpy::dtype::<T>(py)))
                .map_err(|e| {
                    PyTypeError::new_err(format!(
                        "{what} must be a 1-D sequence of {n} numbers ({each}): {e}"
                    ))
                })?;
            let untyped = any.cast::<PyUntypedArray>()?;
            if untyped.ndim() != 1 {
                return Err(PyValueError::new_err(format!(
                    "{what} must be 1-D with {n} values ({each}), got shape {:?}",
                    untyped.shape()
                )));
            }
            converted = any.cast_into::<PyArray1<T>>()?;
            &converted
        }
    };
    if arr.len() != n {
        return Err(PyValueError::new_err(format!(
            "{wrong_count}, got {}",
            arr.len()
        )));
    }
    let read = arr
        .try_readonly()
        .map_err(|e| PyValueError::new_err(format!("{what} cannot be read: {e}")))?;
    match read.as_slice() {
        Ok(s) => Ok(s.to_vec()),
        Err(_) => Ok(read.as_array().iter().copied().collect()),
    }
}
