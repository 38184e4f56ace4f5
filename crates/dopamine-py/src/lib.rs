//! `dopamine_py`: Python bindings of the optimizer registry — the Dopamine optimizers (WP, Dopamine-1, Dopamine-2), their evolution-strategy peers (OpenES, SNES) and the gradient methods (SGD, Adam) — on numpy arrays.
//!
//! A Python extension module built with PyO3 and rust-numpy (see the
//! crate's `README.md` for how to build and use it). The classes come from
//! the registry's one list (`dopamine_train::registry`): at import, every
//! entry with a Python class becomes a subclass of the base class of its
//! interface, with the entry's settings and options as keyword arguments
//! (under their config names, read by serde into the entry's settings
//! struct, unknown and renamed names refused as in a config file), its doc
//! comments as docstrings and its state views as properties (`catalog.rs`,
//! `registry_classes.rs`). Adding an entry to the registry adds its class.
//! The noise, the rules and the safety net run in `dopamine-core`; this
//! crate checks the caller's arrays and arguments and maps the kernel's API
//! onto Python:
//!
//! * population interface (every population method): `ask` plans a step
//!   ([`dopamine_core::PopulationOptimizer::plan`]) and builds every point
//!   with [`dopamine_core::Population::build_point`] into the rows of one
//!   `(n_points, P)` array; `tell` hands the losses to
//!   [`dopamine_core::PopulationOptimizer::tell_all`], which updates the
//!   caller's array in place, bit-identical to ask/tell. Written once over
//!   the object-safe trait, so SNES runs through the same code as the
//!   perturbation optimizers;
//! * one-point interface (the perturbation optimizers: WP, Dopamine-1,
//!   Dopamine-2, OpenES): `ask_one`/`tell_one` are the kernel's
//!   `ask`/`tell`; `step` calls a Python loss function at each point;
//! * gradient step (SGD, Adam): `step(params, grad, loss)` in place;
//! * pickling writes the settings and the optimizer's state in the training
//!   library's checked state format, so a restored optimizer continues bit
//!   for bit.
//!
//! The Python API is documented in the type stubs, `dopamine_py.pyi`, whose
//! registry part is generated (`tests/stub.rs`).

mod arrays;
mod catalog;
mod classes;
mod engine;
mod errors;
mod gradient;
mod kernel;
mod legacy;
mod ops;
mod population;
mod registry_classes;
mod report;
mod settings;
mod state;
mod values;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyType};

use crate::classes::Restored;

/// Rebuilds an optimizer from the bytes its `__reduce__` wrote (pickle's
/// entry point; not meant to be called directly).
#[pyfunction]
fn _restore(py: Python<'_>, state: &Bound<'_, PyBytes>) -> PyResult<Py<PyAny>> {
    let (settings, engine) = state::decode(state.as_bytes())?;
    let class = registry_classes::catalog()?
        .class(settings.kind())
        .ok_or_else(|| {
            pyo3::exceptions::PyValueError::new_err(format!(
                "not a dopamine_py optimizer state: {} has no Python class",
                settings.kind()
            ))
        })?;
    let cls = py.import("dopamine_py")?.getattr(class.name)?;
    let cls = cls.cast::<PyType>()?;
    let carried = Py::new(py, Restored::new(settings, engine))?;
    Ok(cls.call_method1("__new__", (cls, carried))?.unbind())
}

/// Dopamine: gradient-free training by weight perturbation whose learning
/// rate is set by a reward prediction error. Every optimizer of the
/// registry (`OPTIMIZERS`): WP, Dopamine-1, Dopamine-2, the
/// evolution-strategy peers OpenES and SNES, and the gradient methods SGD
/// and Adam, on float32/float64 numpy arrays, with population
/// (`ask`/`tell`), one-point (`ask_one`/`tell_one`) and gradient
/// (`step(params, grad, loss)`) interfaces; the kernel runs in Rust
/// (dopamine-core).
#[pymodule]
fn dopamine_py(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<classes::Optimizer>()?;
    m.add_class::<population::PopulationOptimizer>()?;
    m.add_class::<population::PerturbationOptimizer>()?;
    m.add_class::<gradient::GradientOptimizer>()?;
    m.add_class::<report::StepReport>()?;
    registry_classes::add_classes(m)?;
    m.add_function(wrap_pyfunction!(_restore, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("MAX_PROBES", dopamine_core::MAX_PROBES)?;
    m.add("MAX_RANK", dopamine_core::MAX_RANK)?;
    m.add("MAX_BLOCKS", dopamine_core::MAX_BLOCKS)?;
    Ok(())
}
