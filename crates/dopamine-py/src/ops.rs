//! The operations behind the Python methods, generic over the dtype and written once over a [`Kernel`]: population ask/tell and `step` (every population method), one-point ask/tell and `step` in place (the perturbation optimizers), the gradient step.

use dopamine_core::{
    BaselinePolicy, PerturbConfig, Plan, Population, Query, Real, Side, StepOutcome, Told,
};
use dopamine_train::TrainError;
use numpy::{PyArray1, PyArray2, PyArrayMethods};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::arrays;
use crate::engine::{Float, Scratch};
use crate::errors::{Call, call_error, core_error};
use crate::kernel::{Kernel, OnePoint};
use crate::report::StepReport;
use crate::settings::train_error;
use crate::values::type_name;

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

/// The kernel of a population class (every one has a population step).
type Boxed<T> = Box<dyn Kernel<T>>;

fn no_interface(what: &str) -> PyErr {
    PyTypeError::new_err(format!("this optimizer has no {what} interface"))
}

/// The kernel's one-point interface (the perturbation optimizers).
pub(crate) fn one_point<T: Float>(kernel: &mut Boxed<T>) -> PyResult<&mut dyn OnePoint<T>> {
    kernel.one_point().ok_or_else(|| no_interface("one-point"))
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
pub(crate) fn ask<'py, T: Float>(
    py: Python<'py>,
    kernel: &mut Boxed<T>,
    scratch: &mut Scratch,
    params: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyArray2<T>>> {
    let opt = kernel
        .population()
        .ok_or_else(|| no_interface("population"))?;
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

/// The name of point `e` of the planned step, for messages.
fn describe<T: Real>(plan: Option<Plan<'_, T>>, e: usize) -> String {
    match plan {
        Some(Plan::Perturbation(p)) if e < p.len() => match p.point(e) {
            Query::Baseline => "the baseline".into(),
            Query::Probe { probe, side } => format!(
                "probe {probe}, {} side",
                match side {
                    Side::Plus => "plus",
                    Side::Minus => "minus",
                }
            ),
        },
        _ => format!("point {e}"),
    }
}

/// Population `tell`: the losses of every point, in plan order; updates
/// `params` in place. A non-finite loss refused with `raise_nonfinite` is
/// named in the message.
pub(crate) fn tell<T: Float>(
    py: Python<'_>,
    kernel: &mut Boxed<T>,
    params: &Bound<'_, PyAny>,
    losses: &Bound<'_, PyAny>,
    raise_nonfinite: bool,
) -> PyResult<StepReport> {
    let opt = kernel
        .population()
        .ok_or_else(|| no_interface("population"))?;
    let dim = opt.dim();
    let n = opt.points_per_step();
    let params = arrays::params::<T>(params, dim, true)?;
    let losses = arrays::losses::<T>(losses, n)?;
    if raise_nonfinite {
        if let Some(e) = losses.iter().position(|l| !l.is_finite()) {
            return Err(PyValueError::new_err(format!(
                "loss {e} ({}) is {}; nothing was changed (on_nonfinite='raise'). \
                 With on_nonfinite='reject' the step is rejected and the parameters restored",
                describe(opt.current_plan(), e),
                losses[e]
            )));
        }
    }
    let step = opt.step_index();
    let outcome = with_params(params, |w| {
        maybe_detach(py, n.saturating_mul(dim), || {
            kernel
                .population()
                .map(|opt| opt.tell_all(w, &losses))
                .expect("a population kernel")
        })
    })?
    .map_err(|e| call_error(Call::Tell, e))?;
    Ok(StepReport::from_outcome(step, outcome))
}

/// One-point `ask`: puts the parameters where the next loss is wanted.
pub(crate) fn ask_one<T: Float>(
    kernel: &mut Boxed<T>,
    params: &Bound<'_, PyAny>,
) -> PyResult<Query> {
    let opt = one_point(kernel)?;
    let params = arrays::params::<T>(params, opt.dim(), true)?;
    with_params(params, |w| opt.ask(w))?.map_err(|e| call_error(Call::AskOne, e))
}

/// One-point `tell`: `None` while the step goes on, a report when it ends.
pub(crate) fn tell_one<T: Float>(
    kernel: &mut Boxed<T>,
    params: &Bound<'_, PyAny>,
    loss: f64,
) -> PyResult<Option<StepReport>> {
    let step = kernel.step_index();
    let opt = one_point(kernel)?;
    let params = arrays::params::<T>(params, opt.dim(), true)?;
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

/// `loss_fn(point)` as a number of `T`, or the error it raised (a
/// `TypeError` when it returned something that is not a number).
fn call_loss<T: Float>(loss_fn: &Bound<'_, PyAny>, point: &Bound<'_, PyAny>) -> PyResult<T> {
    let value = loss_fn.call1((point,))?;
    value.extract::<f64>().map(T::from_f64).map_err(|_| {
        PyTypeError::new_err(format!(
            "loss_fn must return a number, got {}",
            type_name(&value)
        ))
    })
}

/// One whole step with `loss_fn(params)` evaluated on the parameters in
/// place. If `loss_fn` raises (or returns something that is not a number),
/// the exchange it was evaluating is taken back — a probe's perturbation is
/// restored, and the optimizer's state is what it was before that exchange —
/// and the exception propagates.
pub(crate) fn one_point_step<T: Float>(
    kernel: &mut Boxed<T>,
    params: &Bound<'_, PyAny>,
    loss_fn: &Bound<'_, PyAny>,
) -> PyResult<StepReport> {
    let arr = arrays::params::<T>(params, one_point(kernel)?.dim(), true)?;
    loop {
        // Per-parameter state is shared copy-on-write: this snapshot copies
        // nothing, and it is dropped before `tell` may write that state.
        let before = kernel.snapshot();
        let step = kernel.step_index();
        let query = with_params(arr, |w| {
            one_point(kernel)?
                .ask(w)
                .map_err(|e| call_error(Call::AskOne, e))
        })??;
        let value = match call_loss::<T>(loss_fn, params) {
            Ok(v) => {
                drop(before);
                v
            }
            Err(err) => {
                if let Query::Probe { probe, side } = query {
                    let was = before.one_point_ref().is_some_and(|o| o.is_perturbed());
                    let opt = one_point(kernel)?;
                    if opt.is_perturbed() && !was {
                        with_params(arr, |w| opt.restore_probe(w, probe, side))?;
                    }
                }
                *kernel = before;
                return Err(err);
            }
        };
        let told = with_params(arr, |w| {
            one_point(kernel)?
                .tell(w, value)
                .map_err(|e| call_error(Call::TellOne, e))
        })??;
        if let Some(report) = report_of(step, told) {
            return Ok(report);
        }
    }
}

/// One whole population step: plans it, builds each point in turn into one
/// scratch array of `P` values, calls `loss_fn(point)` on it, then updates
/// `params` from all the losses. `params` is not moved during the step. If
/// `loss_fn` raises (or returns something that is not a number), the step
/// is taken back — the optimizer is as before the call — and the exception
/// propagates.
pub(crate) fn population_step<T: Float>(
    kernel: &mut Boxed<T>,
    params: &Bound<'_, PyAny>,
    loss_fn: &Bound<'_, PyAny>,
) -> PyResult<StepReport> {
    let py = params.py();
    let opt = kernel
        .population()
        .ok_or_else(|| no_interface("population"))?;
    let dim = opt.dim();
    let arr = arrays::params::<T>(params, dim, true)?;
    if opt.current_plan().is_some() {
        return Err(PyRuntimeError::new_err(
            "a population step is pending: ask() was called and tell() has not been; finish it with tell() before step()",
        ));
    }
    // The parameters as the step's base, copied: no borrow of `params` is
    // held while `loss_fn` runs.
    let mut base = arr
        .try_readonly()
        .map_err(|e| borrow_error("params", e))?
        .as_slice()
        .map_err(|_| PyValueError::new_err("params is not contiguous"))?
        .to_vec();
    let start = base.clone();
    let point = arrays::new_vector::<T>(py, dim)?;
    let before = kernel.snapshot();
    let evaluated = (|| -> PyResult<Vec<T>> {
        let opt = kernel
            .population()
            .ok_or_else(|| no_interface("population"))?;
        let plan = opt.plan(&start).map_err(|e| call_error(Call::AskOne, e))?;
        let mut losses = Vec::with_capacity(plan.len());
        for e in 0..plan.len() {
            {
                let mut write = point
                    .try_readwrite()
                    .map_err(|e| borrow_error("the point buffer", e))?;
                let out = write
                    .as_slice_mut()
                    .map_err(|_| PyValueError::new_err("the point buffer is not contiguous"))?;
                plan.build_point(e, &mut base, out).map_err(core_error)?;
            }
            losses.push(call_loss::<T>(loss_fn, point.as_any())?);
        }
        Ok(losses)
    })();
    let losses = match evaluated {
        Ok(losses) => {
            drop(before);
            losses
        }
        Err(err) => {
            *kernel = before;
            return Err(err);
        }
    };
    let step = kernel.step_index();
    let opt = kernel
        .population()
        .ok_or_else(|| no_interface("population"))?;
    let outcome = with_params(arr, |w| opt.tell_all(w, &losses))?.map_err(core_error)?;
    Ok(StepReport::from_outcome(step, outcome))
}

/// One gradient step: `params` updated in place from `grad` and `loss` (or
/// the last update rolled back).
pub(crate) fn gradient_step<T: Float>(
    kernel: &mut Boxed<T>,
    params: &Bound<'_, PyAny>,
    grad: &Bound<'_, PyAny>,
    loss: f64,
) -> PyResult<StepReport> {
    let dim = kernel.optimizer().dim();
    let arr = arrays::params::<T>(params, dim, true)?;
    let grad = arrays::gradient::<T>(grad, dim)?;
    let step = kernel.step_index();
    let info = with_params(arr, |w| kernel.gradient_step(w, &grad, T::from_f64(loss)))?
        .ok_or_else(|| no_interface("gradient"))?
        .map_err(|e| match e {
            TrainError::NonFiniteStart => PyValueError::new_err(format!(
                "the loss ({loss}) or the gradient is not finite and there is no update to roll back; nothing was changed"
            )),
            other => train_error(other),
        })?;
    Ok(StepReport::from_gradient_step(step, &info))
}
