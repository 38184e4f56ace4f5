//! The Python base classes of the population methods: `PopulationOptimizer` (`ask`/`tell`, `step` with a loss function; SNES is one) and its subclass `PerturbationOptimizer` (the one-point interface too; WP, the Dopamine rules and OpenES are ones).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple, PyType};

use crate::catalog::Interface;
use crate::classes::{Optimizer, counters_dict, raise_on_nonfinite};
use crate::engine::with_kernel;
use crate::ops;
use crate::report::StepReport;
use crate::values::layout_to_py;

/// The methods every population method has: a step is a set of points,
/// evaluated by the caller, then told back. The base of `SNES` and of
/// `PerturbationOptimizer`; it cannot be built directly.
///
/// `points = opt.ask(params)` returns the step's evaluation points as the
/// rows of one `(n_points, n_params)` array (or writes them into `out`);
/// evaluate them, then `opt.tell(params, losses)` updates `params` in place
/// and returns a `StepReport`. `opt.step(params, loss_fn)` runs a whole
/// step with a Python loss function.
///
/// A non-finite loss is not an error: the step is rejected
/// (`report.rejected`), the safety net puts the parameters back, and
/// training continues.
#[pyclass(extends = Optimizer, subclass, module = "dopamine_py", name = "PopulationOptimizer")]
pub struct PopulationOptimizer;

#[pymethods]
impl PopulationOptimizer {
    #[new]
    #[classmethod]
    #[pyo3(signature = (*args, **kwargs))]
    fn py_new(
        cls: &Bound<'_, PyType>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let base = Optimizer::construct(cls, args, kwargs, Interface::Population)?;
        Ok(PyClassInitializer::from(base).add_subclass(Self))
    }

    /// Starts a step and returns its evaluation points, one per row of an
    /// `(n_points, n_params)` array (a perturbation optimizer's row `e` is
    /// what the one-point interface would evaluate at exchange `e`, bit for
    /// bit). With `out` (a writable C-contiguous array of that shape and the
    /// optimizer's dtype) the points are written there and `out` is
    /// returned. `params` is read, not changed; give the same array,
    /// unchanged, to `tell`. Calling `ask` again before `tell` gives the same
    /// points.
    #[pyo3(signature = (params, out=None))]
    fn ask<'py>(
        mut slf: PyRefMut<'py, Self>,
        params: &Bound<'py, PyAny>,
        out: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = params.py();
        let Optimizer {
            engine, scratch, ..
        } = &mut **slf.as_super();
        with_kernel!(engine, |k| ops::ask(py, k, scratch, params, out)
            .map(Bound::into_any))
    }

    /// Finishes the step `ask` started: `losses` holds the loss of every row
    /// of the points, in order (any 1-D array-like of `n_points` numbers).
    /// Updates `params` in place and returns the report.
    ///
    /// A non-finite loss rejects the step (`on_nonfinite="reject"`, the
    /// default: `report.rejected` is `True`, the parameters are back where
    /// the step began, up to the rounding of in-place restores). With
    /// `on_nonfinite="raise"` a non-finite loss raises `ValueError` instead
    /// and nothing changes: the step stays pending for a corrected `tell`.
    #[pyo3(signature = (params, losses, *, on_nonfinite="reject"))]
    fn tell(
        mut slf: PyRefMut<'_, Self>,
        params: &Bound<'_, PyAny>,
        losses: &Bound<'_, PyAny>,
        on_nonfinite: &str,
    ) -> PyResult<StepReport> {
        let raise = raise_on_nonfinite(on_nonfinite)?;
        let py = params.py();
        with_kernel!(&mut slf.as_super().engine, |k| ops::tell(
            py, k, params, losses, raise
        ))
    }

    /// One whole step: builds each point in turn into one scratch array,
    /// calls `loss_fn(point)` on it (the array is overwritten by the next
    /// point: copy it to keep it), then updates `params` in place. `params`
    /// itself does not move during the step. If `loss_fn` raises, the step
    /// is taken back and the exception propagates. `loss_fn` must not use
    /// this optimizer or change `params`.
    fn step(
        mut slf: PyRefMut<'_, Self>,
        params: &Bound<'_, PyAny>,
        loss_fn: &Bound<'_, PyAny>,
    ) -> PyResult<StepReport> {
        with_kernel!(&mut slf.as_super().engine, |k| ops::population_step(
            k, params, loss_fn
        ))
    }

    /// Evaluation points per step (rows of `ask`'s array).
    #[getter]
    fn n_points(mut slf: PyRefMut<'_, Self>) -> usize {
        with_kernel!(&mut slf.as_super().engine, |k| k
            .population()
            .map_or(0, |p| p.points_per_step()))
    }

    /// Counters of the work done: a dict with `forward_passes`, `updates`,
    /// `undone_updates`, `rejected_probes` (for SNES: steps rejected for a
    /// non-finite loss), `non_finite_baselines`, `skipped_updates`,
    /// `consecutive_rejections`.
    #[getter]
    fn counters<'py>(mut slf: PyRefMut<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        let py = slf.py();
        let counters = with_kernel!(&mut slf.as_super().engine, |k| k
            .population()
            .map(|p| *p.counters()))
        .unwrap_or_default();
        counters_dict(py, &counters)
    }

    /// The report of the last applied update, or `None`.
    #[getter]
    fn last_report(mut slf: PyRefMut<'_, Self>) -> Option<StepReport> {
        with_kernel!(&mut slf.as_super().engine, |k| k
            .population()
            .and_then(|p| p.last_report().map(StepReport::from_update)))
    }
}

/// The methods of the perturbation optimizers beyond the population
/// interface: the one-point ask/tell and `step` with the parameters moved
/// in place. The base of `WP`, `Dopamine1`, `Dopamine2` and `OpenES`; it
/// cannot be built directly.
///
/// One-point interface: `opt.ask_one(params)` moves `params` in place to
/// the next point and says which it is; `opt.tell_one(params, loss)`
/// restores, updates or undoes. `opt.step(params, loss_fn)` runs a whole
/// step. Calls out of protocol order (`tell` without `ask`, `ask_one`
/// during a population step) raise `RuntimeError`.
#[pyclass(
    extends = PopulationOptimizer,
    subclass,
    module = "dopamine_py",
    name = "PerturbationOptimizer"
)]
pub struct PerturbationOptimizer;

/// The base `Optimizer` of a perturbation optimizer.
fn base<'a>(slf: &'a mut PyRefMut<'_, PerturbationOptimizer>) -> &'a mut Optimizer {
    slf.as_super().as_super()
}

#[pymethods]
impl PerturbationOptimizer {
    #[new]
    #[classmethod]
    #[pyo3(signature = (*args, **kwargs))]
    fn py_new(
        cls: &Bound<'_, PyType>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let base = Optimizer::construct(cls, args, kwargs, Interface::Perturbation)?;
        Ok(PyClassInitializer::from(base)
            .add_subclass(PopulationOptimizer)
            .add_subclass(Self))
    }

    /// Moves `params` in place to where the next loss is wanted and returns
    /// `(kind, probe, side)`: `("baseline", None, None)` or
    /// `("probe", k, "plus" | "minus")`. Calling it again before `tell_one`
    /// changes nothing.
    fn ask_one<'py>(
        mut slf: PyRefMut<'py, Self>,
        params: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let py = params.py();
        let query = with_kernel!(&mut base(&mut slf).engine, |k| ops::ask_one(k, params))?;
        ops::query_tuple(py, query)
    }

    /// Takes the loss at the point `ask_one` prepared: restores a probe,
    /// moves on, updates or undoes. Returns `None` while the step goes on and
    /// a `StepReport` when it ends (updated or rejected).
    fn tell_one(
        mut slf: PyRefMut<'_, Self>,
        params: &Bound<'_, PyAny>,
        loss: f64,
    ) -> PyResult<Option<StepReport>> {
        with_kernel!(&mut base(&mut slf).engine, |k| ops::tell_one(
            k, params, loss
        ))
    }

    /// One whole step: calls `loss_fn(params)` with the parameters moved in
    /// place to each point (baseline, then probes), then updates. Returns
    /// the report. If `loss_fn` raises, the exchange it was evaluating is
    /// taken back (a probe's perturbation is restored in place, the
    /// optimizer's state is as before that exchange) and the exception
    /// propagates. `loss_fn` must not use this optimizer.
    fn step(
        mut slf: PyRefMut<'_, Self>,
        params: &Bound<'_, PyAny>,
        loss_fn: &Bound<'_, PyAny>,
    ) -> PyResult<StepReport> {
        with_kernel!(&mut base(&mut slf).engine, |k| ops::one_point_step(
            k, params, loss_fn
        ))
    }

    /// What each row of `ask`'s points is: a list of `(kind, probe, side)`
    /// tuples, as `ask_one` returns them.
    #[getter]
    fn points_info<'py>(mut slf: PyRefMut<'py, Self>) -> PyResult<Bound<'py, PyList>> {
        let py = slf.py();
        let items = with_kernel!(&mut base(&mut slf).engine, |k| {
            let config = *ops::one_point(k)?.config();
            (0..ops::n_points(&config))
                .map(|e| ops::query_tuple(py, ops::point(&config, e)))
                .collect::<PyResult<Vec<_>>>()
        })?;
        PyList::new(py, items)
    }

    /// `True` while `params` hold a probe's perturbation (between an
    /// `ask_one` for a probe and its `tell_one`).
    #[getter]
    fn is_perturbed(mut slf: PyRefMut<'_, Self>) -> PyResult<bool> {
        with_kernel!(&mut base(&mut slf).engine, |k| Ok(
            ops::one_point(k)?.is_perturbed()
        ))
    }

    /// The parameter layout: `None` (one flat vector) or a list of blocks,
    /// ints for vectors and `(m, n)` pairs for C-ordered matrices.
    #[getter]
    fn layout<'py>(mut slf: PyRefMut<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        layout_to_py(py, base(&mut slf).settings.layout.as_deref())
    }
}
