//! The Python class `SNES`: a population method of its own (population `ask`/`tell` and `step`, no one-point calls, as in Rust).

use numpy::{PyArray1, PyArrayDescr};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};

use crate::classes::{counters_dict, raise_on_nonfinite, repr_of};
use crate::engine::{Dtype, Scratch, SnesEngine, with_snes};
use crate::report::StepReport;
use crate::snes_settings::{self, SnesArgs};
use crate::{ops, state};

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
    /// The class around a built or restored SNES.
    pub(crate) fn from_engine(engine: SnesEngine) -> Self {
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
        let engine = snes_settings::build_snes(
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
    /// fields are `None`). A non-finite loss rejects the step and changes
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
        snes_settings::snes_to_dict(py, &self.engine)
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
        let config = snes_settings::snes_to_dict(py, &self.engine)?;
        let step = with_snes!(&self.engine, |opt| opt.step_index());
        repr_of("SNES", &config, step)
    }
}
