//! How the kernel's errors reach Python: `ValueError` with the kernel's own message, `RuntimeError` for misuse of the ask/tell protocol.

use dopamine_core::Error;
use pyo3::PyErr;
use pyo3::exceptions::{PyRuntimeError, PyValueError};

/// A kernel error as a `ValueError` whose message is exactly the kernel's
/// `Display` text (invalid settings, non-finite parameters, lengths).
pub(crate) fn core_error(e: Error) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// Which call met an out-of-order protocol error; the message says, in the
/// Python method names, what to do instead.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Call {
    /// `ask(params)`: the population interface.
    Ask,
    /// `tell(params, losses)`.
    Tell,
    /// `ask_one(params)` or `step(params, loss_fn)`.
    AskOne,
    /// `tell_one(params, loss)`.
    TellOne,
}

/// A kernel error met by `call`: protocol misuse becomes a `RuntimeError`
/// worded in the Python method names; everything else a `ValueError` with
/// the kernel's message.
pub(crate) fn call_error(call: Call, e: Error) -> PyErr {
    match (call, e) {
        (Call::Ask, Error::BatchOutOfOrder) => PyRuntimeError::new_err(
            "ask() cannot start a population step while a one-point step (ask_one/tell_one or an interrupted step()) is in progress; finish that step first",
        ),
        (Call::Tell, Error::BatchOutOfOrder) => {
            PyRuntimeError::new_err("tell() needs a matching ask() first")
        }
        (Call::AskOne, Error::BatchOutOfOrder) => PyRuntimeError::new_err(
            "a population step is pending: ask() was called and tell() has not been; finish it with tell() before ask_one() or step()",
        ),
        (Call::TellOne, Error::TellWithoutAsk) => {
            PyRuntimeError::new_err("tell_one() needs a matching ask_one() first")
        }
        (_, e) => core_error(e),
    }
}
