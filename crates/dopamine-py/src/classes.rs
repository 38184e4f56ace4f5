//! The Python base class `Optimizer`, which holds the optimizer of every registry class (its engine and the settings it was built from) and has what they all share, and how a registry class's instance is made: from its keyword arguments, through the registry, or from a pickle.

use std::sync::Mutex;

use dopamine_core::Counters;
use dopamine_train::OptimizerKind;
use numpy::PyArrayDescr;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple, PyType};

use crate::catalog::{ClassSpec, Interface};
use crate::engine::{Dtype, Engine, Scratch, with_kernel};
use crate::registry_classes::catalog;
use crate::settings::Settings;
use crate::state;

/// The base of every optimizer class: what they all have (settings,
/// dtype, pickling). It cannot be built directly; its subclasses
/// `PopulationOptimizer`, `PerturbationOptimizer` and `GradientOptimizer`
/// add the interfaces, and each optimizer of the registry (`WP`,
/// `Dopamine1`, `SNES`, `Adam`, ... ; see `OPTIMIZERS`) is a class of one of
/// them.
///
/// Errors: wrong array types and dtypes raise `TypeError`; wrong shapes,
/// non-contiguous or read-only arrays, wrong loss counts and the kernel's
/// own checks (invalid settings, non-finite parameters) raise `ValueError`
/// (the kernel's message, unchanged); unknown and renamed keyword
/// arguments raise `TypeError` (a renamed one naming its new name); calls
/// out of protocol order raise `RuntimeError`. On any error nothing
/// changes.
#[pyclass(subclass, module = "dopamine_py", name = "Optimizer")]
pub struct Optimizer {
    pub(crate) engine: Engine,
    pub(crate) settings: Settings,
    pub(crate) scratch: Scratch,
}

/// An optimizer restored from a pickle, on its way into its class's
/// constructor (never seen by Python code).
#[pyclass(module = "dopamine_py", name = "_Restored")]
pub(crate) struct Restored(Mutex<Option<(Settings, Engine)>>);

impl Restored {
    /// Carries `settings` and `engine`.
    pub(crate) fn new(settings: Settings, engine: Engine) -> Self {
        Self(Mutex::new(Some((settings, engine))))
    }
}

impl Optimizer {
    /// The optimizer of `cls(*args, **kwargs)` for a registry class whose
    /// base class has `interface`: built by the registry from the keyword
    /// arguments, or the one a pickle carries.
    pub(crate) fn construct(
        cls: &Bound<'_, PyType>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
        interface: Interface,
    ) -> PyResult<Self> {
        let class = class_of(cls)?;
        if class.interface != interface {
            return Err(PyTypeError::new_err(format!(
                "{} is a {}, not a {}",
                class.name,
                class.interface.base(),
                interface.base()
            )));
        }
        if let (Some(carried), None) = (args.iter().next(), kwargs) {
            if let Ok(restored) = carried.cast::<Restored>() {
                let taken = restored
                    .borrow()
                    .0
                    .lock()
                    .map_err(|_| PyRuntimeError::new_err("a restored optimizer was poisoned"))?
                    .take();
                let (settings, engine) = taken
                    .ok_or_else(|| PyRuntimeError::new_err("a restored optimizer is used once"))?;
                if settings.kind() != class.kind {
                    return Err(PyValueError::new_err(format!(
                        "a {} state cannot restore a {}",
                        settings.kind(),
                        class.name
                    )));
                }
                return Ok(Self::new(settings, engine));
            }
        }
        let settings = Settings::from_arguments(class, args, kwargs)?;
        let engine = settings.build()?;
        Ok(Self::new(settings, engine))
    }

    fn new(settings: Settings, engine: Engine) -> Self {
        Self {
            engine,
            settings,
            scratch: Scratch::default(),
        }
    }

    /// The class of this optimizer's registry entry.
    pub(crate) fn class(&self) -> PyResult<&'static ClassSpec> {
        let kind = self.settings.kind();
        catalog()?
            .class(kind)
            .ok_or_else(|| PyTypeError::new_err(format!("{kind} has no Python class")))
    }
}

/// The registry class `cls` is (or derives from), by its `kind`.
fn class_of(cls: &Bound<'_, PyType>) -> PyResult<&'static ClassSpec> {
    let not_built = || not_built(cls);
    let tag: String = cls
        .getattr("kind")
        .and_then(|k| k.extract())
        .map_err(|_| not_built())?;
    let kind = OptimizerKind::from_tag(&tag).ok_or_else(not_built)?;
    catalog()?.class(kind).ok_or_else(not_built)
}

/// The error of building a base class.
fn not_built(cls: &Bound<'_, PyType>) -> PyErr {
    PyTypeError::new_err(format!(
        "{} cannot be built directly: build one of the optimizer classes (see dopamine_py.OPTIMIZERS)",
        cls.name().map(|n| n.to_string()).unwrap_or_default()
    ))
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

#[pymethods]
impl Optimizer {
    #[new]
    #[classmethod]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn py_new(
        cls: &Bound<'_, PyType>,
        _args: &Bound<'_, PyTuple>,
        _kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        Err(not_built(cls))
    }

    /// Number of parameters.
    #[getter]
    fn n_params(&self) -> usize {
        self.settings.n_params
    }

    /// The dtype the optimizer works in (`numpy.float32` or `numpy.float64`).
    #[getter]
    fn dtype<'py>(&self, py: Python<'py>) -> Bound<'py, PyArrayDescr> {
        match self.engine.dtype() {
            Dtype::F32 => numpy::dtype::<f32>(py),
            Dtype::F64 => numpy::dtype::<f64>(py),
        }
    }

    /// The settings as the keyword arguments that build a fresh optimizer
    /// like this one, `type(opt)(**opt.config)`: every keyword, with the
    /// values given or their defaults (`None` where the default depends on
    /// the number of parameters, as for SNES's `population`).
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.settings.to_dict(py, self.class()?)
    }

    /// The index of the step in progress (= steps completed or rejected).
    #[getter]
    fn step_index(&mut self) -> u64 {
        with_kernel!(&mut self.engine, |k| k.step_index())
    }

    /// The learning rate in force now: after the schedule, WP's halvings
    /// on divergence and a gradient method's halvings on rollback (SNES:
    /// the mean's rate, `eta`).
    #[getter]
    fn current_rate(&self) -> f64 {
        with_kernel!(&self.engine, |k| k.optimizer().current_rate())
    }

    /// Pickling: the settings and the whole state (rule state, per-parameter
    /// state, step, counters, a step in progress), in the training
    /// library's checked state format; a restored optimizer continues bit
    /// for bit.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let bytes = state::encode(&self.settings, &self.engine)?;
        // The module's own function object, so that pickle finds it by name.
        let restore = py.import("dopamine_py")?.getattr("_restore")?;
        (restore, (PyBytes::new(py, &bytes),)).into_pyobject(py)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        let mut this = slf.try_borrow_mut()?;
        let name = slf.get_type().name()?.to_string();
        let config = this.settings.to_dict(py, this.class()?)?;
        let step = with_kernel!(&mut this.engine, |k| k.step_index());
        let mut parts = Vec::new();
        for (k, v) in config.iter() {
            if !v.is_none() {
                parts.push(format!("{}={}", k.str()?, v.repr()?));
            }
        }
        Ok(format!("{name}({}) at step {step}", parts.join(", ")))
    }
}
