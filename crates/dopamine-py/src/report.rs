//! `StepReport`: what a finished step did (updated or rejected, and why), as a Python object.

use dopamine_core::{Real, Rejection, StepOutcome, StepReport as CoreReport};
use dopamine_train::StepInfo;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// What one step did: updated the parameters or was rejected.
///
/// Returned by `tell`, by `step`, and by `tell_one` when a step ends. Values
/// are Python floats (exact copies of the optimizer's float32 or float64
/// values). For a rejected step only `step`, `rejected` and `reason` are
/// set; the other values are `None`. A value the method does not have is
/// `None` too: SNES and the gradient methods have no RPE (`mean_delta`,
/// `last_delta`), and only the Dopamine rules code their RPEs
/// (`expected_rpe`, `surprise_size`).
#[pyclass(frozen, module = "dopamine_py", name = "StepReport")]
#[derive(Debug, Clone)]
pub struct StepReport {
    /// Index of the step this report is about (the noise keys' step).
    #[pyo3(get)]
    step: u64,
    /// `True` when the step was rejected; the parameters are then back where
    /// the step began (up to the rounding of in-place restores).
    #[pyo3(get)]
    rejected: bool,
    /// Why the step was rejected: `"update_undone"`, `"non_finite_baseline"`,
    /// `"non_finite_probe"` or `"update_too_large"`; `None` when updated.
    #[pyo3(get)]
    reason: Option<&'static str>,
    /// The loss at the unperturbed parameters before the update, `L0`
    /// (with `baseline="from_probes"`, the mean of the probe losses).
    #[pyo3(get)]
    baseline_loss: Option<f64>,
    /// The mean RPE (reward prediction error) of the step's probes (`None`
    /// for SNES).
    #[pyo3(get)]
    mean_delta: Option<f64>,
    /// The RPE of the last probe.
    #[pyo3(get)]
    last_delta: Option<f64>,
    /// The scheduled learning rate of the step.
    #[pyo3(get)]
    eta: Option<f64>,
    /// The step's learning rate in WP units: `eta` for WP,
    /// `eta * sigma / sqrt(v + eps)` for the Dopamine rules.
    #[pyo3(get)]
    effective_eta: Option<f64>,
    /// The expected RPE `b` after the step (the Dopamine rules; `None` for
    /// the others).
    #[pyo3(get)]
    expected_rpe: Option<f64>,
    /// The typical surprise `sqrt(v)` after the step (the Dopamine rules;
    /// `None` for the others).
    #[pyo3(get)]
    surprise_size: Option<f64>,
}

/// The Python name of a rejection.
pub(crate) fn reason_name(why: Rejection) -> &'static str {
    match why {
        Rejection::UpdateUndone => "update_undone",
        Rejection::NonFiniteBaseline => "non_finite_baseline",
        Rejection::NonFiniteProbe => "non_finite_probe",
        Rejection::UpdateTooLarge => "update_too_large",
    }
}

impl StepReport {
    /// The report of a step that ended with `outcome`; `step` is the index
    /// the step had when it was told.
    pub(crate) fn from_outcome<T: Real>(step: u64, outcome: StepOutcome<T>) -> Self {
        match outcome {
            StepOutcome::Updated(r) => Self::from_update(&r),
            StepOutcome::Rejected(why) => Self {
                step,
                rejected: true,
                reason: Some(reason_name(why)),
                baseline_loss: None,
                mean_delta: None,
                last_delta: None,
                eta: None,
                effective_eta: None,
                expected_rpe: None,
                surprise_size: None,
            },
        }
    }

    /// The report of a gradient step (`step` its index): its loss and
    /// learning rate, or a rollback of the last update (`update_undone`).
    pub(crate) fn from_gradient_step(step: u64, info: &StepInfo) -> Self {
        if info.rejected {
            return Self::from_outcome(step, StepOutcome::<f64>::Rejected(Rejection::UpdateUndone));
        }
        Self {
            step,
            rejected: false,
            reason: None,
            baseline_loss: Some(info.loss),
            mean_delta: None,
            last_delta: None,
            eta: Some(info.effective_eta),
            effective_eta: Some(info.effective_eta),
            expected_rpe: None,
            surprise_size: None,
        }
    }

    /// The report of an applied update.
    pub(crate) fn from_update<T: Real>(r: &CoreReport<T>) -> Self {
        Self {
            step: r.step,
            rejected: false,
            reason: None,
            baseline_loss: Some(r.baseline_loss.to_f64()),
            mean_delta: r.rpe.map(|x| x.mean_delta.to_f64()),
            last_delta: r.rpe.map(|x| x.last_delta.to_f64()),
            eta: Some(r.eta.to_f64()),
            effective_eta: Some(r.effective_eta.to_f64()),
            expected_rpe: r.coding.map(|c| c.expected_rpe.to_f64()),
            surprise_size: r.coding.map(|c| c.surprise_size.to_f64()),
        }
    }
}

#[pymethods]
impl StepReport {
    /// `True` when the parameters were updated (`not rejected`).
    #[getter]
    fn updated(&self) -> bool {
        !self.rejected
    }

    /// The report as a dict (for logging).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("step", self.step)?;
        d.set_item("rejected", self.rejected)?;
        d.set_item("reason", self.reason)?;
        d.set_item("baseline_loss", self.baseline_loss)?;
        d.set_item("mean_delta", self.mean_delta)?;
        d.set_item("last_delta", self.last_delta)?;
        d.set_item("eta", self.eta)?;
        d.set_item("effective_eta", self.effective_eta)?;
        d.set_item("expected_rpe", self.expected_rpe)?;
        d.set_item("surprise_size", self.surprise_size)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        match self.reason {
            Some(reason) => format!(
                "StepReport(step={}, rejected=True, reason='{reason}')",
                self.step
            ),
            None => format!(
                "StepReport(step={}, rejected=False, baseline_loss={}, mean_delta={}, eta={}, effective_eta={}, expected_rpe={}, surprise_size={})",
                self.step,
                py_float(self.baseline_loss),
                py_float(self.mean_delta),
                py_float(self.eta),
                py_float(self.effective_eta),
                py_float(self.expected_rpe),
                py_float(self.surprise_size),
            ),
        }
    }
}

/// A float as Python's `repr` would print it, near enough for a summary.
fn py_float(x: Option<f64>) -> String {
    match x {
        None => "None".into(),
        Some(x) if x.is_nan() => "nan".into(),
        Some(x) if x.is_infinite() => if x > 0.0 { "inf" } else { "-inf" }.into(),
        Some(x) => format!("{x:.6e}"),
    }
}
