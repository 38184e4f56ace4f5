//! The Python base class `PerturbationOptimizer` (the methods its subclasses `WP`, `Dopamine1`, `Dopamine2`, `OpenES` share; in `rule_classes.rs`) and the helpers every class uses; `SNES` is in `snes_class.rs`.

use dopamine_core::Counters;
use numpy::PyArrayDescr;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::engine::{Dtype, Engine, RuleKind, Scratch, with_engine};
use crate::report::StepReport;
use crate::rule_classes::{Dopamine1, Dopamine2, OpenEs, Wp};
use crate::settings::block_to_py;
use crate::state::Restored;
use crate::{ops, settings, state};

/// The methods every perturbation optimizer shares (the base class of `WP`,
/// `Dopamine1`, `Dopamine2` and `OpenES`; it cannot be built directly).
///
/// Population interface: `points = opt.ask(params)` returns the step's
/// evaluation points as the rows of one `(n_points, n_params)` array (or
/// writes them into `out`); evaluate them, then `opt.tell(params, losses)`
/// updates `params` in place and returns a `StepReport`.
///
/// One-point interface: `opt.ask_one(params)` moves `params` in place to the
/// next point and says which it is; `opt.tell_one(params, loss)` restores,
/// updates or undoes. `opt.step(params, loss_fn)` runs a whole step.
///
/// Errors: wrong array types and dtypes raise `TypeError`; wrong shapes,
/// non-contiguous or read-only arrays, wrong loss counts and the kernel's
/// own checks (invalid settings, non-finite parameters) raise `ValueError`
/// (the kernel's message, unchanged); calls out of protocol order (`tell`
/// without `ask`, `ask_one` during a population step) raise `RuntimeError`.
/// On any error nothing changes. A non-finite loss is not an error: the
/// step is rejected (`report.rejected`), the safety net puts the parameters
/// back, and training continues.
#[pyclass(subclass, module = "dopamine_py", name = "PerturbationOptimizer")]
pub struct Optimizer {
    pub(crate) engine: Engine,
    scratch: Scratch,
}

impl Optimizer {
    /// The base of a rule's class, running `engine`.
    pub(crate) fn new(engine: Engine) -> Self {
        Self {
            engine,
            scratch: Scratch::default(),
        }
    }
}

/// A restored optimizer as a Python object of the right class.
pub(crate) fn into_object(py: Python<'_>, restored: Restored) -> PyResult<Py<PyAny>> {
    let engine = match restored {
        Restored::Perturbation(engine) => *engine,
        Restored::Snes(engine) => {
            return Ok(Py::new(py, crate::snes_class::Snes::from_engine(*engine))?.into_any());
        }
    };
    let kind = engine.rule_kind();
    let base = PyClassInitializer::from(Optimizer::new(engine));
    Ok(match kind {
        RuleKind::Wp => Py::new(py, base.add_subclass(Wp))?.into_any(),
        RuleKind::Dopamine1 => Py::new(py, base.add_subclass(Dopamine1))?.into_any(),
        RuleKind::Dopamine2 => Py::new(py, base.add_subclass(Dopamine2))?.into_any(),
        RuleKind::OpenEs => Py::new(py, base.add_subclass(OpenEs))?.into_any(),
    })
}

/// `tell`'s `on_nonfinite`: `true` for `"raise"`, `false` for `"reject"`.
pub(crate) fn raise_on_nonfinite(on_nonfinite: &str) -> PyResult<bool> {
    match on_nonfinite {
        "reject" => Ok(false),
        "raise" => Ok(true),
        other => Err(PyValueError::new_err(format!(
            "on_nonfinite must be 'reject' or 'raise', got '{other}'"
        ))),
    }
}

/// The counters as the Python dict of the `counters` properties.
pub(crate) fn counters_dict<'py>(py: Python<'py>, c: &Counters) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("forward_passes", c.forward_passes)?;
    d.set_item("updates", c.updates)?;
    d.set_item("undone_updates", c.undone_updates)?;
    d.set_item("rejected_probes", c.rejected_probes)?;
    d.set_item("non_finite_baselines", c.non_finite_baselines)?;
    d.set_item("skipped_updates", c.skipped_updates)?;
    d.set_item("consecutive_rejections", c.consecutive_rejections)?;
    Ok(d)
}

/// `Class(k=v, ...) at step N` from the `config` dict (`None` values left out).
pub(crate) fn repr_of(name: &str, config: &Bound<'_, PyDict>, step: u64) -> PyResult<String> {
    let mut parts = Vec::new();
    for (k, v) in config.iter() {
        if !v.is_none() {
            parts.push(format!("{}={}", k.str()?, v.repr()?));
        }
    }
    Ok(format!("{name}({}) at step {step}", parts.join(", ")))
}

#[pymethods]
impl Optimizer {
    /// Starts a step and returns its evaluation points, one per row of an
    /// `(n_points, n_params)` array: row `e` is what the one-point interface
    /// would evaluate at exchange `e`, bit for bit (`points_info` says which
    /// row is the baseline and which probe and side each other row is).
    /// With `out` (a writable C-contiguous array of that shape and the
    /// optimizer's dtype) the points are written there and `out` is
    /// returned. `params` is read, not changed; give the same array, unchanged,
    /// to `tell`. Calling `ask` again before `tell` gives the same points.
    #[pyo3(signature = (params, out=None))]
    fn ask<'py>(
        &mut self,
        py: Python<'py>,
        params: &Bound<'py, PyAny>,
        out: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let scratch = &mut self.scratch;
        with_engine!(&mut self.engine, |opt| ops::ask(
            py, opt, scratch, params, out
        )
        .map(Bound::into_any))
    }

    /// Finishes the step `ask` started: `losses` holds the loss of every row
    /// of the points, in order (any 1-D array-like of `n_points` numbers).
    /// Updates `params` in place — restores, updates or undoes exactly as
    /// the same losses told one at a time would — and returns the report.
    ///
    /// A non-finite loss rejects the step (`on_nonfinite="reject"`, the
    /// default: `report.rejected` is `True`, the parameters are back where
    /// the step began, up to the rounding of in-place restores). With
    /// `on_nonfinite="raise"` a non-finite loss raises `ValueError` instead
    /// and nothing changes: the step stays pending for a corrected `tell`.
    #[pyo3(signature = (params, losses, *, on_nonfinite="reject"))]
    fn tell(
        &mut self,
        py: Python<'_>,
        params: &Bound<'_, PyAny>,
        losses: &Bound<'_, PyAny>,
        on_nonfinite: &str,
    ) -> PyResult<StepReport> {
        let raise = raise_on_nonfinite(on_nonfinite)?;
        with_engine!(&mut self.engine, |opt| ops::tell(
            py,
            opt,
            params,
            losses,
            raise,
            ops::describe_point
        ))
    }

    /// Moves `params` in place to where the next loss is wanted and returns
    /// `(kind, probe, side)`: `("baseline", None, None)` or
    /// `("probe", k, "plus" | "minus")`. Calling it again before `tell_one`
    /// changes nothing.
    fn ask_one<'py>(
        &mut self,
        py: Python<'py>,
        params: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let q = with_engine!(&mut self.engine, |opt| ops::ask_one(opt, params))?;
        ops::query_tuple(py, q)
    }

    /// Takes the loss at the point `ask_one` prepared: restores a probe,
    /// moves on, updates or undoes. Returns `None` while the step goes on and
    /// a `StepReport` when it ends (updated or rejected).
    fn tell_one(&mut self, params: &Bound<'_, PyAny>, loss: f64) -> PyResult<Option<StepReport>> {
        with_engine!(&mut self.engine, |opt| ops::tell_one(opt, params, loss))
    }

    /// One whole step: calls `loss_fn(params)` with the parameters moved in
    /// place to each point (baseline, then probes), then updates. Returns
    /// the report. If `loss_fn` raises, the exchange it was evaluating is
    /// taken back (a probe's perturbation is restored in place, the
    /// optimizer's state is as before that exchange) and the exception
    /// propagates. `loss_fn` must not use this optimizer.
    fn step(
        &mut self,
        params: &Bound<'_, PyAny>,
        loss_fn: &Bound<'_, PyAny>,
    ) -> PyResult<StepReport> {
        with_engine!(&mut self.engine, |opt| ops::step(opt, params, loss_fn))
    }

    /// Number of parameters.
    #[getter]
    fn n_params(&self) -> usize {
        with_engine!(&self.engine, |opt| opt.dim())
    }

    /// The dtype the optimizer works in (`numpy.float32` or `numpy.float64`).
    #[getter]
    fn dtype<'py>(&self, py: Python<'py>) -> Bound<'py, PyArrayDescr> {
        match self.engine.dtype() {
            Dtype::F32 => numpy::dtype::<f32>(py),
            Dtype::F64 => numpy::dtype::<f64>(py),
        }
    }

    /// Evaluation points per step (rows of `ask`'s array): the baseline
    /// (unless `baseline="from_probes"`) plus one (forward) or two
    /// (antithetic) per probe.
    #[getter]
    fn n_points(&self) -> usize {
        with_engine!(&self.engine, |opt| ops::n_points(opt.config()))
    }

    /// What each row of `ask`'s points is: a list of `(kind, probe, side)`
    /// tuples, as `ask_one` returns them.
    #[getter]
    fn points_info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = with_engine!(&self.engine, |opt| {
            let config = opt.config();
            (0..ops::n_points(config))
                .map(|e| ops::query_tuple(py, ops::point(config, e)))
                .collect::<PyResult<Vec<_>>>()
        })?;
        PyList::new(py, items)
    }

    /// The index of the step in progress (= steps completed or rejected).
    #[getter]
    fn step_index(&self) -> u64 {
        with_engine!(&self.engine, |opt| opt.step_index())
    }

    /// `True` while `params` hold a probe's perturbation (between an
    /// `ask_one` for a probe and its `tell_one`).
    #[getter]
    fn is_perturbed(&self) -> bool {
        with_engine!(&self.engine, |opt| opt.is_perturbed())
    }

    /// Counters of the work done: a dict with `forward_passes`, `updates`,
    /// `undone_updates`, `rejected_probes`, `non_finite_baselines`,
    /// `skipped_updates`, `consecutive_rejections`.
    #[getter]
    fn counters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = *with_engine!(&self.engine, |opt| opt.counters());
        counters_dict(py, &c)
    }

    /// The report of the last applied update, or `None`.
    #[getter]
    fn last_report(&self) -> Option<StepReport> {
        with_engine!(&self.engine, |opt| opt
            .last_report()
            .map(StepReport::from_update))
    }

    /// The settings as the keyword arguments that build a fresh optimizer
    /// like this one: `type(opt)(**opt.config)`.
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        settings::to_dict(py, &self.engine)
    }

    /// The parameter layout: `None` (one flat vector) or a list of blocks,
    /// ints for vectors and `(m, n)` pairs for C-ordered matrices.
    #[getter]
    fn layout<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        let blocks = with_engine!(&self.engine, |opt| *opt.layout());
        let blocks = blocks.blocks();
        if blocks.len() == 1 && matches!(blocks[0], dopamine_core::Block::Vector { .. }) {
            return Ok(None);
        }
        let items = blocks
            .iter()
            .map(|b| block_to_py(py, b))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(Some(PyList::new(py, items)?))
    }

    /// Pickling: the whole state (settings, rule state, trace, step,
    /// counters, a step in progress) as bytes; a restored optimizer continues
    /// bit for bit.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let bytes = state::encode(&self.engine)?;
        // The module's own function object, so that pickle finds it by name.
        let restore = py.import("dopamine_py")?.getattr("_restore")?;
        (restore, (PyBytes::new(py, &bytes),)).into_pyobject(py)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        let this = slf.try_borrow()?;
        let name = slf.get_type().name()?.to_string();
        let config = settings::to_dict(py, &this.engine)?;
        let step = with_engine!(&this.engine, |opt| opt.step_index());
        repr_of(&name, &config, step)
    }
}
