//! The Python classes of the perturbation rules: `WP`, `Dopamine1`, `Dopamine2` and `OpenES` (their keyword-argument constructors and rule state), subclasses of `PerturbationOptimizer`.

use dopamine_core::{AdaptiveCoding, OpenEsConfig};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::classes::Optimizer;
use crate::engine::Engine;
use crate::settings::{self, Common, CommonArgs, RuleSettings};

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
