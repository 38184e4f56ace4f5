//! The operations behind the Python methods, generic over the dtype and the method: population ask/tell (every population method), one-point ask/tell and step (perturbation optimizers), SNES's step.

use dopamine_core::{
    BaselinePolicy, PerturbConfig, PerturbationOptimizer, Population, PopulationOptimizer, Query,
    Real, Side, Snes, StepOutcome, Told, UpdateRule,
};
use numpy::{PyArray1, PyArray2, PyArrayMethods};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::arrays;
use crate::engine::{Float, Scratch, SharedVec};
use crate::errors::{Call, call_error, core_error};
use crate::report::StepReport;
use crate::settings::type_name;

/// Work (elements touched) above which the GIL is released around the
/// kernel's loops: below it, releasing and re-acquiring costs more than it
/// lets other threads gain.
const DETACH_WORK: usize = 1 << 15;

/// Runs `f` with the GIL released when `work` is large.
fn maybe_detach<F, R>(py: Python<'_>, work: usize, f: F) -> R
where
    F: Send + FnOnce() -> R,
    R: Send,
{
    if work >= DETACH_WORK {
        py.detach(f)
    } else {
        f()
    }
}

/// Evaluation points per step: the baseline (unless skipped) plus one
/// (forward) or two (antithetic) per probe.
pub(crate) fn n_points<T: Real>(config: &PerturbConfig<T>) -> usize {
    usize::from(config.baseline == BaselinePolicy::Evaluate) + config.probes * config.sides()
}

/// What point `e` of every step is (the same order as the kernel's `StepPlan`).
pub(crate) fn point<T: Real>(config: &PerturbConfig<T>, e: usize) -> Query {
    let e = if config.baseline == BaselinePolicy::Evaluate {
        if e == 0 {
            return Query::Baseline;
        }
        e - 1
    } else {
        e
    };
    let sides = config.sides();
    Query::Probe {
        probe: e / sides,
        side: if e % sides == 0 {
            Side::Plus
        } else {
            Side::Minus
        },
    }
}

/// A query as the Python tuple `(kind, probe, side)`:
/// `("baseline", None, None)` or `("probe", k, "plus" | "minus")`.
pub(crate) fn query_tuple<'py>(py: Python<'py>, q: Query) -> PyResult<Bound<'py, PyTuple>> {
    match q {
        Query::Baseline => ("baseline", py.None(), py.None()).into_pyobject(py),
        Query::Probe { probe, side } => (
            "probe",
            probe,
            match side {
                Side::Plus => "plus",
                Side::Minus => "minus",
            },
        )
            .into_pyobject(py),
    }
}

fn borrow_error(what: &str, e: numpy::BorrowError) -> PyErr {
    PyValueError::new_err(format!(
        "{what} cannot be borrowed ({e}); are params, out and losses distinct arrays?"
    ))
}

/// Runs `f` on the parameters, borrowed read-write for the duration only.
fn with_params<T: Float, R>(
    arr: &Bound<'_, PyArray1<T>>,
    f: impl FnOnce(&mut [T]) -> R,
) -> PyResult<R> {
    let mut rw = arr.try_readwrite().map_err(|e| borrow_error("params", e))?;
    let w = rw
        .as_slice_mut()
        .map_err(|_| PyValueError::new_err("params is not contiguous"))?;
    Ok(f(w))
}

/// Population `ask`: plans the step and writes every evaluation point, in
/// plan order, into the rows of `out` (or of a new `(n_points, P)` array).
pub(crate) fn ask<'py, T, O>(
    py: Python<'py>,
    opt: &mut O,
    scratch: &mut Scratch,
    params: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyArray2<T>>>
where
    T: Float,
    O: PopulationOptimizer<T> + 'static,
{
    let dim = opt.dim();
    let rows = opt.points_per_step();
    let params = arrays::params::<T>(params, dim, false)?;
    let out = out
        .map(|o| arrays::points_out::<T>(o, rows, dim))
        .transpose()?;
    let read = params
        .try_readonly()
        .map_err(|e| borrow_error("params", e))?;
    let w = read
        .as_slice()
        .map_err(|_| PyValueError::new_err("params is not contiguous"))?;
    // Borrow `out` before planning: an `out` that overlaps `params` fails
    // here, with the optimizer untouched.
    // A new array is uninitialised: every row is written below
    // (`build_point(e, ..)` for every `e < rows`) before it is returned.
    let target = match out {
        Some(o) => o.clone(),
        None => arrays::new_points::<T>(py, rows, dim)?,
    };
    let mut write = target.try_readwrite().map_err(|e| borrow_error("out", e))?;
    let points = write
        .as_slice_mut()
        .map_err(|_| PyValueError::new_err("out is not contiguous"))?;
    let plan = opt.plan(w).map_err(|e| call_error(Call::Ask, e))?;
    let base = T::buffer(scratch);
    base.clear();
    base.extend_from_slice(w);
    maybe_detach(py, rows.saturating_mul(dim), || {
        for (e, row) in points.chunks_exact_mut(dim).enumerate() {
            plan.build_point(e, base, row)?;
        }
        Ok(())
    })
    .map_err(core_error)?;
    drop(write);
    Ok(target)
}

/// Population `tell`: the losses of every point, in plan order; updates
/// `params` in place. `describe(opt, e)` names point `e` in the message of
/// a non-finite loss refused with `raise_nonfinite`.
pub(crate) fn tell<T, O>(
    py: Python<'_>,
    opt: &mut O,
    params: &Bound<'_, PyAny>,
    losses: &Bound<'_, PyAny>,
    raise_nonfinite: bool,
    describe: fn(&O, usize) -> String,
) -> PyResult<StepReport>
where
    T: Float,
    O: PopulationOptimizer<T> + Send,
{
    let dim = opt.dim();
    let n = opt.points_per_step();
    let params = arrays::params::<T>(params, dim, true)?;
    let losses = arrays::losses::<T>(losses, n)?;
    if raise_nonfinite {
        if let Some(e) = losses.iter().position(|l| !l.is_finite()) {
            return Err(PyValueError::new_err(format!(
                "loss {e} ({}) is {}; nothing was changed (on_nonfinite='raise'). \
                 With on_nonfinite='reject' the step is rejected and the parameters restored",
                describe(opt, e),
                losses[e]
            )));
        }
    }
    let step = opt.step_index();
    let outcome = with_params(params, |w| {
        maybe_detach(py, n.saturating_mul(dim), || opt.tell_all(w, &losses))
    })?
    .map_err(|e| call_error(Call::Tell, e))?;
    Ok(StepReport::from_outcome(step, outcome))
}

/// The name of point `e` of a perturbation optimizer's step, for messages.
pub(crate) fn describe_point<T: Real, R: UpdateRule<T>>(
    opt: &PerturbationOptimizer<T, R>,
    e: usize,
) -> String {
    describe(point(opt.config(), e))
}

/// The name of point `e` of a SNES step, for messages.
pub(crate) fn describe_snes_point<T: Real>(_: &Snes<T, SharedVec<T>>, e: usize) -> String {
    format!("point {e}")
}

fn describe(q: Query) -> String {
    match q {
        Query::Baseline => "the baseline".into(),
        Query::Probe { probe, side } => format!(
            "probe {probe}, {} side",
            match side {
                Side::Plus => "plus",
                Side::Minus => "minus",
            }
        ),
    }
}

/// One-point `ask`: puts the parameters where the next loss is wanted.
pub(crate) fn ask_one<T: Float, R: UpdateRule<T>>(
    opt: &mut PerturbationOptimizer<T, R>,
    params: &Bound<'_, PyAny>,
) -> PyResult<Query> {
    let params = arrays::params::<T>(params, opt.dim(), true)?;
    with_params(params, |w| opt.ask(w))?.map_err(|e| call_error(Call::AskOne, e))
}

/// One-point `tell`: `None` while the step goes on, a report when it ends.
pub(crate) fn tell_one<T: Float, R: UpdateRule<T>>(
    opt: &mut PerturbationOptimizer<T, R>,
    params: &Bound<'_, PyAny>,
    loss: f64,
) -> PyResult<Option<StepReport>> {
    let params = arrays::params::<T>(params, opt.dim(), true)?;
    let step = opt.step_index();
    let told = with_params(params, |w| opt.tell(w, T::from_f64(loss)))?
        .map_err(|e| call_error(Call::TellOne, e))?;
    Ok(report_of(step, told))
}

fn report_of<T: Real>(step: u64, told: Told<T>) -> Option<StepReport> {
    match told {
        Told::Baseline { .. } | Told::Probed => None,
        Told::Updated(r) => Some(StepReport::from_update(&r)),
        Told::Rejected(why) => Some(StepReport::from_outcome(
            step,
            StepOutcome::<T>::Rejected(why),
        )),
    }
}

/// One whole step with `loss_fn(params)` evaluated on the parameters in
/// place. If `loss_fn` raises (or returns something that is not a number),
/// the exchange it was evaluating is taken back — a probe's perturbation is
/// restored, and the optimizer's state is what it was before that exchange —
/// and the exception propagates.
pub(crate) fn step<T: Float, R: UpdateRule<T> + Clone>(
    opt: &mut PerturbationOptimizer<T, R>,
    params: &Bound<'_, PyAny>,
    loss_fn: &Bound<'_, PyAny>,
) -> PyResult<StepReport> {
    let arr = arrays::params::<T>(params, opt.dim(), true)?;
    loop {
        let before = opt.clone();
        let step = opt.step_index();
        let query = with_params(arr, |w| opt.ask(w))?.map_err(|e| call_error(Call::AskOne, e))?;
        let value = loss_fn.call1((params,)).and_then(|v| {
            v.extract::<f64>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "loss_fn must return a number, got {}",
                    type_name(&v)
                ))
            })
        });
        let value = match value {
            Ok(v) => {
                // Before `tell`, which may write Dopamine-2's trace: with the
                // snapshot gone, the trace is written without a copy.
                drop(before);
                v
            }
            Err(err) => {
                if let Query::Probe { probe, side } = query {
                    if opt.is_perturbed() && !before.is_perturbed() {
                        let sigma = match side {
                            Side::Plus => opt.config().sigma,
                            Side::Minus => -opt.config().sigma,
                        };
                        let noise = opt.noise(opt.step_index());
                        with_params(arr, |w| noise.restore(w, probe, sigma))?;
                    }
                }
                *opt = before;
                return Err(err);
            }
        };
        let told = with_params(arr, |w| opt.tell(w, T::from_f64(value)))?
            .map_err(|e| call_error(Call::TellOne, e))?;
        if let Some(report) = report_of(step, told) {
            return Ok(report);
        }
    }
}

/// One whole SNES step: plans it, builds each point in turn into one
/// scratch array of `P` values, calls `loss_fn(point)` on it, then updates
/// `params` (the mean) and `sigma` from all the losses. `params` is not moved
/// during the step. If `loss_fn` raises (or returns something that is not a
/// number), the step is taken back — the optimizer is as before the call —
/// and the exception propagates.
pub(crate) fn snes_step<T: Float>(
    opt: &mut Snes<T, SharedVec<T>>,
    params: &Bound<'_, PyAny>,
    loss_fn: &Bound<'_, PyAny>,
) -> PyResult<StepReport> {
    let py = params.py();
    let dim = opt.dim();
    let arr = arrays::params::<T>(params, dim, true)?;
    if opt.current_plan().is_some() {
        return Err(PyRuntimeError::new_err(
            "a population step is pending: ask() was called and tell() has not been; finish it with tell() before step()",
        ));
    }
    // The parameters as the step's base: SNES builds every point around
    // them and never moves them, and no borrow of `params` is held while
    // `loss_fn` runs.
    let mut base = arr
        .try_readonly()
        .map_err(|e| borrow_error("params", e))?
        .as_slice()
        .map_err(|_| PyValueError::new_err("params is not contiguous"))?
        .to_vec();
    let point = arrays::new_vector::<T>(py, dim)?;
    // `sigma` is shared copy-on-write: this snapshot copies nothing, and it
    // is dropped before `tell_all` writes `sigma`.
    let before = opt.clone();
    opt.plan(&base).map_err(core_error)?;
    let evaluated = (|| -> PyResult<Vec<T>> {
        let n = opt.population();
        let mut losses = Vec::with_capacity(n);
        for e in 0..n {
            {
                let plan = opt
                    .current_plan()
                    .ok_or_else(|| PyRuntimeError::new_err("the SNES step was not planned"))?;
                let mut write = point
                    .try_readwrite()
                    .map_err(|e| borrow_error("the point buffer", e))?;
                let out = write
                    .as_slice_mut()
                    .map_err(|_| PyValueError::new_err("the point buffer is not contiguous"))?;
                plan.build_point(e, &mut base, out).map_err(core_error)?;
            }
            let value = loss_fn.call1((&point,))?;
            let value = value.extract::<f64>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "loss_fn must return a number, got {}",
                    type_name(&value)
                ))
            })?;
            losses.push(T::from_f64(value));
        }
        Ok(losses)
    })();
    let losses = match evaluated {
        Ok(losses) => {
            drop(before);
            losses
        }
        Err(err) => {
            *opt = before;
            return Err(err);
        }
    };
    let step = opt.step_index();
    let outcome = with_params(arr, |w| opt.tell_all(w, &losses))?.map_err(core_error)?;
    Ok(StepReport::from_outcome(step, outcome))
}
