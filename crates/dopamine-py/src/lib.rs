//! `dopamine_py`: Python bindings of the Dopamine optimizers (WP, Dopamine-1, Dopamine-2) and their evolution-strategy peers (OpenES, SNES) on numpy arrays.
//!
//! A Python extension module built with PyO3 and rust-numpy (see the
//! crate's `README.md` for how to build and use it). The noise, the rules
//! and the safety net run in `dopamine-core`; this crate only checks the
//! caller's arrays and arguments and maps the kernel's API onto Python:
//!
//! * population interface: `ask` plans a step ([`dopamine_core::PerturbationOptimizer::plan`])
//!   and builds every point with [`dopamine_core::StepPlan::build_point`]
//!   into the rows of one `(n_points, P)` array; `tell` hands the losses to
//!   [`dopamine_core::PerturbationOptimizer::tell_all`], which updates the
//!   caller's array in place, bit-identical to ask/tell. Both are written
//!   once over [`dopamine_core::PopulationOptimizer`], so SNES
//!   ([`dopamine_core::Snes`], its own class) runs through the same code;
//! * one-point interface (the perturbation optimizers: WP, Dopamine-1,
//!   Dopamine-2, OpenES): `ask_one`/`tell_one` are the kernel's
//!   `ask`/`tell`; `step` calls a Python loss function at each point. SNES
//!   has no one-point interface in Rust, so none here; its `step` builds
//!   each point into a scratch array for the loss function;
//! * settings are keyword arguments; the kernel validates them and its
//!   errors become `ValueError`s with the kernel's message;
//! * pickling serializes the kernel's optimizer (bincode 2), so a restored
//!   optimizer continues bit for bit.
//!
//! The Python API is documented in the type stubs, `dopamine_py.pyi`.

mod arrays;
mod classes;
mod engine;
mod errors;
mod ops;
mod report;
mod rule_classes;
mod settings;
mod snes_class;
mod snes_settings;
mod state;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Rebuilds an optimizer from the bytes its `__reduce__` wrote (pickle's
/// entry point; not meant to be called directly).
#[pyfunction]
fn _restore(py: Python<'_>, state: &Bound<'_, PyBytes>) -> PyResult<Py<PyAny>> {
    let restored = state::decode(state.as_bytes())?;
    classes::into_object(py, restored)
}

/// Dopamine: gradient-free training by weight perturbation whose learning
/// rate is set by a reward prediction error. WP, Dopamine-1, Dopamine-2 and
/// the evolution-strategy peers OpenES and SNES on float32/float64 numpy
/// arrays, with population (`ask`/`tell`) and one-point
/// (`ask_one`/`tell_one`, not for SNES) interfaces and `step`; the kernel
/// runs in Rust (dopamine-core).
#[pymodule]
fn dopamine_py(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<classes::Optimizer>()?;
    m.add_class::<rule_classes::Wp>()?;
    m.add_class::<rule_classes::Dopamine1>()?;
    m.add_class::<rule_classes::Dopamine2>()?;
    m.add_class::<rule_classes::OpenEs>()?;
    m.add_class::<snes_class::Snes>()?;
    m.add_class::<report::StepReport>()?;
    m.add_function(wrap_pyfunction!(_restore, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("MAX_PROBES", dopamine_core::MAX_PROBES)?;
    m.add("MAX_RANK", dopamine_core::MAX_RANK)?;
    m.add("MAX_BLOCKS", dopamine_core::MAX_BLOCKS)?;
    Ok(())
}
