//! The Python classes: `PerturbationOptimizer` (the shared methods) and its subclasses `WP`, `Dopamine1`, `Dopamine2`, `OpenES` (the constructors and rule state), and `SNES` (a population method of its own).

use dopamine_core::{AdaptiveCoding, Counters, OpenEsConfig};
use numpy::{PyArray1, PyArrayDescr};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::engine::{Dtype, Engine, RuleKind, Scratch, SnesEngine, with_engine, with_snes};
use crate::report::StepReport;
use crate::settings::{Common, CommonArgs, RuleSettings, SnesArgs, block_to_py};
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
    engine: Engine,
    scratch: Scratch,
}

impl Optimizer {
    fn new(engine: Engine) -> Self {
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
        Restored::Snes(engine) => return Ok(Py::new(py, Snes::from_engine(*engine))?.into_any()),
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
fn raise_on_nonfinite(on_nonfinite: &str) -> PyResult<bool> {
    match on_nonfinite {
        "reject" => Ok(false),
        "raise" => Ok(true),
        other => Err(PyValueError::new_err(format!(
            "on_nonfinite must be 'reject' or 'raise', got '{other}'"
        ))),
    }
}

/// The counters as the Python dict of the `counters` properties.
fn counters_dict<'py>(py: Python<'py>, c: &Counters) -> PyResult<Bound<'py, PyDict>> {
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
fn repr_of(name: &str, config: &Bound<'_, PyDict>, step: u64) -> PyResult<String> {
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

/// The common constructor arguments (one list for the three classes).
macro_rules! common_args {
    ($($name:ident),*) => {
        CommonArgs { $($name),* }
    };
}

/// Weight perturbation (WP): `w += eta * (1/K) * sum_k (delta_k / sigma) z_k`,
/// stochastic gradient descent on a forward-only gradient estimate.
///
/// Settings shared by every rule (keyword-only except `n_params`):
/// `n_params` (or a `layout`), `sigma` (perturbation scale), `eta`
/// (learning rate), `probes` (K, 1..32), `rpe` (`"forward"`:
/// `delta = L(w) - L(w + sigma z)`; `"antithetic"`:
/// `delta = (L(w - sigma z) - L(w + sigma z)) / 2`), `baseline`
/// (`"evaluate"`, or `"from_probes"` to skip `L(w)` with antithetic RPE),
/// `noise` (`"gaussian"` or `"rademacher"`), `rank` (low-rank noise
/// `A B^T / sqrt(rank)` per matrix block of `layout`), `layout` (a list of
/// ints, vector blocks, and `(m, n)` pairs, C-ordered `m x n` matrices,
/// covering the parameters in order), `schedule` (`"constant"`, `"cosine"`
/// with `total_steps` and `final_fraction`, `"step"` with `every` and
/// `factor`), `seed`, `dtype` (`numpy.float32` or `numpy.float64`, the
/// default). WP's own: `halve_on_divergence` (halve `eta` each time an
/// update is undone because the loss after it was not finite).
#[pyclass(extends = Optimizer, module = "dopamine_py", name = "WP")]
pub struct Wp;

#[pymethods]
impl Wp {
    #[new]
    #[pyo3(signature = (
        n_params = None, *, layout = None, sigma = 1e-3, eta = 1e-2, probes = 1,
        rpe = "forward", baseline = "evaluate", noise = "gaussian", rank = None,
        schedule = "constant", total_steps = None, final_fraction = None, every = None,
        factor = None, seed = 0, dtype = None, halve_on_divergence = true
    ))]
    #[allow(
        clippy::too_many_arguments,
        reason = "one keyword argument per setting"
    )]
    fn new(
        py: Python<'_>,
        n_params: Option<i128>,
        layout: Option<&Bound<'_, PyAny>>,
        sigma: f64,
        eta: f64,
        probes: i128,
        rpe: &str,
        baseline: &str,
        noise: &str,
        rank: Option<i128>,
        schedule: &str,
        total_steps: Option<i128>,
        final_fraction: Option<f64>,
        every: Option<i128>,
        factor: Option<f64>,
        seed: i128,
        dtype: Option<&Bound<'_, PyAny>>,
        halve_on_divergence: bool,
    ) -> PyResult<PyClassInitializer<Self>> {
        let common = Common::parse(
            py,
            common_args!(
                n_params,
                layout,
                sigma,
                eta,
                probes,
                rpe,
                baseline,
                noise,
                rank,
                schedule,
                total_steps,
                final_fraction,
                every,
                factor,
                seed,
                dtype
            ),
        )?;
        let engine = settings::build(
            &common,
            RuleSettings::Wp {
                halve_on_divergence,
            },
        )?;
        Ok(PyClassInitializer::from(Optimizer::new(engine)).add_subclass(Self))
    }

    /// The factor (a power of 1/2) that divergences have put on `eta`.
    #[getter]
    fn eta_scale(slf: PyRef<'_, Self>) -> f64 {
        match &slf.as_super().engine {
            Engine::WpF32(o) => f64::from(o.rule().eta_scale()),
            Engine::WpF64(o) => o.rule().eta_scale(),
            _ => unreachable!("a WP object always holds a WP engine"),
        }
    }
}

/// Dopamine-1: WP whose learning rate is set by adaptive coding of the RPE,
/// `w += eta * (1/K) * sum_k D_k z_k` with `D_k = (delta_k - b) / sqrt(v + eps)`.
///
/// Takes every setting WP takes (see `WP`) except `halve_on_divergence`,
/// and the RPE statistics' settings: `beta` (factor of the running averages,
/// in [0, 1)), `eps` (floor of the surprise variance, > 0) and
/// `bias_correction` (divide the averages by `1 - beta^t`).
#[pyclass(extends = Optimizer, module = "dopamine_py", name = "Dopamine1")]
pub struct Dopamine1;

#[pymethods]
impl Dopamine1 {
    #[new]
    #[pyo3(signature = (
        n_params = None, *, layout = None, sigma = 1e-3, eta = 1e-2, probes = 1,
        rpe = "forward", baseline = "evaluate", noise = "gaussian", rank = None,
        schedule = "constant", total_steps = None, final_fraction = None, every = None,
        factor = None, seed = 0, dtype = None, beta = 0.9, eps = 1e-12, bias_correction = true
    ))]
    #[allow(
        clippy::too_many_arguments,
        reason = "one keyword argument per setting"
    )]
    fn new(
        py: Python<'_>,
        n_params: Option<i128>,
        layout: Option<&Bound<'_, PyAny>>,
        sigma: f64,
        eta: f64,
        probes: i128,
        rpe: &str,
        baseline: &str,
        noise: &str,
        rank: Option<i128>,
        schedule: &str,
        total_steps: Option<i128>,
        final_fraction: Option<f64>,
        every: Option<i128>,
        factor: Option<f64>,
        seed: i128,
        dtype: Option<&Bound<'_, PyAny>>,
        beta: f64,
        eps: f64,
        bias_correction: bool,
    ) -> PyResult<PyClassInitializer<Self>> {
        let common = Common::parse(
            py,
            common_args!(
                n_params,
                layout,
                sigma,
                eta,
                probes,
                rpe,
                baseline,
                noise,
                rank,
                schedule,
                total_steps,
                final_fraction,
                every,
                factor,
                seed,
                dtype
            ),
        )?;
        let coding = AdaptiveCoding {
            beta,
            eps,
            bias_correction,
        };
        let engine = settings::build(&common, RuleSettings::Dopamine1 { coding })?;
        Ok(PyClassInitializer::from(Optimizer::new(engine)).add_subclass(Self))
    }

    /// The expected RPE `b` (bias-corrected when enabled).
    #[getter]
    fn expected_rpe(slf: PyRef<'_, Self>) -> f64 {
        match &slf.as_super().engine {
            Engine::D1F32(o) => f64::from(o.rule().stats().expected_rpe()),
            Engine::D1F64(o) => o.rule().stats().expected_rpe(),
            _ => unreachable!("a Dopamine1 object always holds a Dopamine-1 engine"),
        }
    }

    /// The surprise variance `v` (bias-corrected when enabled).
    #[getter]
    fn surprise_variance(slf: PyRef<'_, Self>) -> f64 {
        match &slf.as_super().engine {
            Engine::D1F32(o) => f64::from(o.rule().stats().surprise_variance()),
            Engine::D1F64(o) => o.rule().stats().surprise_variance(),
            _ => unreachable!("a Dopamine1 object always holds a Dopamine-1 engine"),
        }
    }
}

/// Dopamine-2: Dopamine-1's signal gated into a per-synapse eligibility
/// trace, `e = lambda e + (1/K) sum_k D_k z_k`, `w += eta (1 - lambda) e`.
///
/// Takes every setting Dopamine-1 takes (see `Dopamine1`) and `lambda_`,
/// the trace decay in [0, 1). The optimizer owns the trace (one value per
/// parameter, in the optimizer's dtype).
#[pyclass(extends = Optimizer, module = "dopamine_py", name = "Dopamine2")]
pub struct Dopamine2;

#[pymethods]
impl Dopamine2 {
    #[new]
    #[pyo3(signature = (
        n_params = None, *, layout = None, sigma = 1e-3, eta = 1e-2, probes = 1,
        rpe = "forward", baseline = "evaluate", noise = "gaussian", rank = None,
        schedule = "constant", total_steps = None, final_fraction = None, every = None,
        factor = None, seed = 0, dtype = None, beta = 0.9, eps = 1e-12, bias_correction = true,
        lambda_ = 0.5
    ))]
    #[allow(
        clippy::too_many_arguments,
        reason = "one keyword argument per setting"
    )]
    fn new(
        py: Python<'_>,
        n_params: Option<i128>,
        layout: Option<&Bound<'_, PyAny>>,
        sigma: f64,
        eta: f64,
        probes: i128,
        rpe: &str,
        baseline: &str,
        noise: &str,
        rank: Option<i128>,
        schedule: &str,
        total_steps: Option<i128>,
        final_fraction: Option<f64>,
        every: Option<i128>,
        factor: Option<f64>,
        seed: i128,
        dtype: Option<&Bound<'_, PyAny>>,
        beta: f64,
        eps: f64,
        bias_correction: bool,
        lambda_: f64,
    ) -> PyResult<PyClassInitializer<Self>> {
        let common = Common::parse(
            py,
            common_args!(
                n_params,
                layout,
                sigma,
                eta,
                probes,
                rpe,
                baseline,
                noise,
                rank,
                schedule,
                total_steps,
                final_fraction,
                every,
                factor,
                seed,
                dtype
            ),
        )?;
        let coding = AdaptiveCoding {
            beta,
            eps,
            bias_correction,
        };
        let engine = settings::build(
            &common,
            RuleSettings::Dopamine2 {
                coding,
                lambda: lambda_,
            },
        )?;
        Ok(PyClassInitializer::from(Optimizer::new(engine)).add_subclass(Self))
    }

    /// The expected RPE `b` (bias-corrected when enabled).
    #[getter]
    fn expected_rpe(slf: PyRef<'_, Self>) -> f64 {
        match &slf.as_super().engine {
            Engine::D2F32(o) => f64::from(o.rule().stats().expected_rpe()),
            Engine::D2F64(o) => o.rule().stats().expected_rpe(),
            _ => unreachable!("a Dopamine2 object always holds a Dopamine-2 engine"),
        }
    }

    /// The surprise variance `v` (bias-corrected when enabled).
    #[getter]
    fn surprise_variance(slf: PyRef<'_, Self>) -> f64 {
        match &slf.as_super().engine {
            Engine::D2F32(o) => f64::from(o.rule().stats().surprise_variance()),
            Engine::D2F64(o) => o.rule().stats().surprise_variance(),
            _ => unreachable!("a Dopamine2 object always holds a Dopamine-2 engine"),
        }
    }

    /// A copy of the eligibility trace (one value per parameter).
    #[getter]
    fn trace<'py>(slf: PyRef<'py, Self>) -> Bound<'py, PyAny> {
        let py = slf.py();
        match &slf.as_super().engine {
            Engine::D2F32(o) => PyArray1::from_slice(py, o.rule().trace()).into_any(),
            Engine::D2F64(o) => PyArray1::from_slice(py, o.rule().trace()).into_any(),
            _ => unreachable!("a Dopamine2 object always holds a Dopamine-2 engine"),
        }
    }

    /// The trace decay `lambda`.
    #[getter]
    fn lambda_(slf: PyRef<'_, Self>) -> f64 {
        match &slf.as_super().engine {
            Engine::D2F32(o) => f64::from(o.rule().lambda()),
            Engine::D2F64(o) => o.rule().lambda(),
            _ => unreachable!("a Dopamine2 object always holds a Dopamine-2 engine"),
        }
    }
}

/// OpenES (Salimans et al. 2017): antithetic pairs `w ± sigma z_k`, centred
/// ranks of all `2K` losses, and Adam on the search gradient
/// `g = 1/(2K sigma) sum_k (u_k+ - u_k-) z_k` (ascent on `-L`), with an
/// optional L2 term: Adam's input is `-g + l2 w`.
///
/// A perturbation optimizer like the others: population `ask`/`tell`
/// (`2K` points per step, `+` then `-` of each pair), one-point
/// `ask_one`/`tell_one` and `step`. Takes every setting `WP` takes except
/// `halve_on_divergence`: `sigma` is the starter code's `noise_stdev`, `eta`
/// Adam's step size (`stepsize`), `probes` the number of pairs `K`, and
/// `rpe="antithetic"`, `baseline="from_probes"` are the defaults and the only
/// values OpenES runs with (others raise the kernel's `ValueError`). Adam's
/// settings: `beta1` and `beta2` (in [0, 1)), `eps` (> 0, added to
/// `sqrt(v)`), `l2` (>= 0; the starter code's `l2coeff` is `sigma * l2`).
/// A non-finite loss after an update undoes it and restarts Adam.
#[pyclass(extends = Optimizer, module = "dopamine_py", name = "OpenES")]
pub struct OpenEs;

#[pymethods]
impl OpenEs {
    #[new]
    #[pyo3(signature = (
        n_params = None, *, layout = None, sigma = 1e-3, eta = 1e-2, probes = 1,
        rpe = "antithetic", baseline = "from_probes", noise = "gaussian", rank = None,
        schedule = "constant", total_steps = None, final_fraction = None, every = None,
        factor = None, seed = 0, dtype = None, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, l2 = 0.0
    ))]
    #[allow(
        clippy::too_many_arguments,
        reason = "one keyword argument per setting"
    )]
    fn new(
        py: Python<'_>,
        n_params: Option<i128>,
        layout: Option<&Bound<'_, PyAny>>,
        sigma: f64,
        eta: f64,
        probes: i128,
        rpe: &str,
        baseline: &str,
        noise: &str,
        rank: Option<i128>,
        schedule: &str,
        total_steps: Option<i128>,
        final_fraction: Option<f64>,
        every: Option<i128>,
        factor: Option<f64>,
        seed: i128,
        dtype: Option<&Bound<'_, PyAny>>,
        beta1: f64,
        beta2: f64,
        eps: f64,
        l2: f64,
    ) -> PyResult<PyClassInitializer<Self>> {
        let common = Common::parse(
            py,
            common_args!(
                n_params,
                layout,
                sigma,
                eta,
                probes,
                rpe,
                baseline,
                noise,
                rank,
                schedule,
                total_steps,
                final_fraction,
                every,
                factor,
                seed,
                dtype
            ),
        )?;
        let config = OpenEsConfig {
            beta1,
            beta2,
            eps,
            l2,
        };
        let engine = settings::build(&common, RuleSettings::OpenEs { config })?;
        Ok(PyClassInitializer::from(Optimizer::new(engine)).add_subclass(Self))
    }

    /// Copies of Adam's moments `(m, v)`, one value per parameter each.
    #[getter]
    fn moments<'py>(slf: PyRef<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        match &slf.as_super().engine {
            Engine::OesF32(o) => {
                let (m, v) = o.rule().moments();
                (PyArray1::from_slice(py, m), PyArray1::from_slice(py, v)).into_pyobject(py)
            }
            Engine::OesF64(o) => {
                let (m, v) = o.rule().moments();
                (PyArray1::from_slice(py, m), PyArray1::from_slice(py, v)).into_pyobject(py)
            }
            _ => unreachable!("an OpenES object always holds an OpenES engine"),
        }
    }

    /// Adam steps since the moments were last cleared (by an undo).
    #[getter]
    fn adam_steps(slf: PyRef<'_, Self>) -> u64 {
        match &slf.as_super().engine {
            Engine::OesF32(o) => o.rule().adam_steps(),
            Engine::OesF64(o) => o.rule().adam_steps(),
            _ => unreachable!("an OpenES object always holds an OpenES engine"),
        }
    }
}

/// SNES, separable natural evolution strategies (Schaul, Glasmachers and
/// Schmidhuber 2011): a Gaussian search distribution around the parameters
/// (its mean `mu`) with one `sigma` per parameter. A step samples
/// `population` points `mu + sigma * s_k`, ranks their losses into
/// utilities `u_k`, and updates `mu += eta_mu * sigma * sum_k u_k s_k` and
/// `sigma *= exp(eta_sigma / 2 * sum_k u_k (s_k^2 - 1))`.
///
/// Population interface only: `points = opt.ask(params)` returns the
/// `(population, n_params)` points, `opt.tell(params, losses)` updates
/// `params` in place; `opt.step(params, loss_fn)` runs a whole step. There
/// is no `ask_one`/`tell_one`: the Rust SNES has no one-point interface
/// (a point evaluated in place would have to be restored to `mu`, which
/// floating point does only to within an ulp).
///
/// Settings: `n_params`, `sigma0` (the initial `sigma` of every parameter,
/// > 0; required), `eta_mu` (> 0, default 1), `eta_sigma` (>= 0; default
/// `(3 + ln d) / (5 sqrt d)`), `population` (2..256; default
/// `4 + floor(3 ln d)`), `seed`, `dtype`: the Rust `SnesConfig` and its
/// defaults for `d = n_params` parameters. The noise is Gaussian and full
/// rank.
///
/// Errors as for the perturbation optimizers (`TypeError` for wrong array
/// types and dtypes, `ValueError` for shapes, contiguity, loss counts and
/// the kernel's checks, `RuntimeError` for `tell` without `ask`); on any
/// error nothing changes. A non-finite loss rejects the step
/// (`reason="non_finite_probe"`) and an update that would overflow is
/// skipped (`"update_too_large"`); either way `params` and `sigma` are
/// exactly as they were.
#[pyclass(module = "dopamine_py", name = "SNES")]
pub struct Snes {
    engine: SnesEngine,
    scratch: Scratch,
}

impl Snes {
    fn from_engine(engine: SnesEngine) -> Self {
        Self {
            engine,
            scratch: Scratch::default(),
        }
    }
}

#[pymethods]
impl Snes {
    #[new]
    #[pyo3(signature = (
        n_params, *, sigma0, eta_mu = 1.0, eta_sigma = None, population = None, seed = 0,
        dtype = None
    ))]
    #[allow(
        clippy::too_many_arguments,
        reason = "one keyword argument per setting"
    )]
    fn py_new(
        py: Python<'_>,
        n_params: i128,
        sigma0: f64,
        eta_mu: f64,
        eta_sigma: Option<f64>,
        population: Option<i128>,
        seed: i128,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let engine = settings::build_snes(
            py,
            SnesArgs {
                n_params,
                sigma0,
                eta_mu,
                eta_sigma,
                population,
                seed,
                dtype,
            },
        )?;
        Ok(Self::from_engine(engine))
    }

    /// Starts a step and returns its `population` points `mu + sigma * s_k`,
    /// one per row of a `(n_points, n_params)` array (or written into `out`,
    /// a writable C-contiguous array of that shape and dtype, which is
    /// returned). `params` (the mean) is read, not changed; give the same
    /// array, unchanged, to `tell`. Calling `ask` again before `tell` gives
    /// the same points.
    #[pyo3(signature = (params, out=None))]
    fn ask<'py>(
        &mut self,
        py: Python<'py>,
        params: &Bound<'py, PyAny>,
        out: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let scratch = &mut self.scratch;
        with_snes!(&mut self.engine, |opt| ops::ask(
            py, opt, scratch, params, out
        )
        .map(Bound::into_any))
    }

    /// Finishes the step `ask` started with the loss of every row of its
    /// points, in order: updates `params` (the mean) in place and `sigma`,
    /// and returns the report (`baseline_loss` is the mean of the losses,
    /// `eta` and `effective_eta` are `eta_mu`; SNES has no RPE, so the RPE
    /// fields are 0). A non-finite loss rejects the step and changes
    /// nothing (`on_nonfinite="reject"`, the default) or raises `ValueError`
    /// and leaves the step pending (`on_nonfinite="raise"`).
    #[pyo3(signature = (params, losses, *, on_nonfinite="reject"))]
    fn tell(
        &mut self,
        py: Python<'_>,
        params: &Bound<'_, PyAny>,
        losses: &Bound<'_, PyAny>,
        on_nonfinite: &str,
    ) -> PyResult<StepReport> {
        let raise = raise_on_nonfinite(on_nonfinite)?;
        with_snes!(&mut self.engine, |opt| ops::tell(
            py,
            opt,
            params,
            losses,
            raise,
            ops::describe_snes_point
        ))
    }

    /// One whole step: builds each point in turn into one scratch array,
    /// calls `loss_fn(point)` on it (the array is overwritten by the next
    /// point: copy it to keep it), then updates `params` in place. `params`
    /// itself does not move during the step. If `loss_fn` raises, the step
    /// is taken back and the exception propagates. `loss_fn` must not use
    /// this optimizer or change `params`.
    fn step(
        &mut self,
        params: &Bound<'_, PyAny>,
        loss_fn: &Bound<'_, PyAny>,
    ) -> PyResult<StepReport> {
        with_snes!(&mut self.engine, |opt| ops::snes_step(opt, params, loss_fn))
    }

    /// Number of parameters.
    #[getter]
    fn n_params(&self) -> usize {
        with_snes!(&self.engine, |opt| opt.dim())
    }

    /// The dtype the optimizer works in (`numpy.float32` or `numpy.float64`).
    #[getter]
    fn dtype<'py>(&self, py: Python<'py>) -> Bound<'py, PyArrayDescr> {
        match self.engine.dtype() {
            Dtype::F32 => numpy::dtype::<f32>(py),
            Dtype::F64 => numpy::dtype::<f64>(py),
        }
    }

    /// Points per step (rows of `ask`'s array): the population size.
    #[getter]
    fn n_points(&self) -> usize {
        with_snes!(&self.engine, |opt| opt.population())
    }

    /// The index of the step in progress (= steps completed or rejected).
    #[getter]
    fn step_index(&self) -> u64 {
        with_snes!(&self.engine, |opt| opt.step_index())
    }

    /// Counters of the work done: a dict with `forward_passes`, `updates`,
    /// `undone_updates` (always 0), `rejected_probes` (steps rejected for a
    /// non-finite loss), `non_finite_baselines` (always 0),
    /// `skipped_updates`, `consecutive_rejections`.
    #[getter]
    fn counters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = *with_snes!(&self.engine, |opt| opt.counters());
        counters_dict(py, &c)
    }

    /// The report of the last applied update, or `None`.
    #[getter]
    fn last_report(&self) -> Option<StepReport> {
        with_snes!(&self.engine, |opt| opt
            .last_report()
            .map(StepReport::from_update))
    }

    /// The settings as the keyword arguments that build a fresh SNES like
    /// this one: `SNES(**opt.config)` (with `eta_sigma` and `population` as
    /// numbers, also when they were the defaults).
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        settings::snes_to_dict(py, &self.engine)
    }

    /// A copy of the per-parameter step sizes `sigma`.
    #[getter]
    fn sigma<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        match &self.engine {
            SnesEngine::F32(o) => PyArray1::from_slice(py, o.sigma()).into_any(),
            SnesEngine::F64(o) => PyArray1::from_slice(py, o.sigma()).into_any(),
        }
    }

    /// Pickling: the whole state (settings, `sigma`, step, counters, a
    /// planned step) as bytes; a restored SNES continues bit for bit.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let bytes = state::encode_snes(&self.engine)?;
        let restore = py.import("dopamine_py")?.getattr("_restore")?;
        (restore, (PyBytes::new(py, &bytes),)).into_pyobject(py)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let config = settings::snes_to_dict(py, &self.engine)?;
        let step = with_snes!(&self.engine, |opt| opt.step_index());
        repr_of("SNES", &config, step)
    }
}
