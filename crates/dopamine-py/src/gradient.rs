//! The Python base class of the gradient methods, `GradientOptimizer`: a step from the caller's parameters, gradient and loss, in place (SGD and Adam are ones).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple, PyType};

use crate::catalog::Interface;
use crate::classes::Optimizer;
use crate::engine::with_kernel;
use crate::ops;
use crate::report::StepReport;

/// The methods of the gradient methods: you compute the loss and its
/// gradient (e.g. with torch or jax), the optimizer updates the parameters
/// in place. The base of `SGD` and `Adam`; it cannot be built directly.
///
/// A non-finite loss or gradient is not an error once an update was made:
/// that update is rolled back (the parameters are put back where it
/// started), the learning rate halved, and the step reported as rejected
/// (`reason="update_undone"`). Before any update there is nothing to roll
/// back: `ValueError`, and nothing changes.
#[pyclass(extends = Optimizer, subclass, module = "dopamine_py", name = "GradientOptimizer")]
pub struct GradientOptimizer;

#[pymethods]
impl GradientOptimizer {
    #[new]
    #[classmethod]
    #[pyo3(signature = (*args, **kwargs))]
    fn py_new(
        cls: &Bound<'_, PyType>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let base = Optimizer::construct(cls, args, kwargs, Interface::Gradient)?;
        Ok(PyClassInitializer::from(base).add_subclass(Self))
    }

    /// One step: `grad` is the gradient of the loss at `params` and `loss`
    /// its value; updates `params` in place (or rolls the last update back,
    /// see the class) and returns the report (`baseline_loss` is `loss`,
    /// `eta` and `effective_eta` the learning rate of the step).
    fn step(
        mut slf: PyRefMut<'_, Self>,
        params: &Bound<'_, PyAny>,
        grad: &Bound<'_, PyAny>,
        loss: f64,
    ) -> PyResult<StepReport> {
        with_kernel!(&mut slf.as_super().engine, |k| ops::gradient_step(
            k, params, grad, loss
        ))
    }
}
