//! A class's keyword arguments read as a config file's optimizer is: the registry's renamed names refused with their new ones, the settings and options deserialized by serde into the entry's settings struct and `SpecOptions` (unknown names refused), checked by the registry and built through it; and written back (`config`, pickles).

use dopamine_core::{Block, ParamLayout};
use dopamine_train::registry::{EntryVisitor, OptimizerEntry, check_renamed};
use dopamine_train::{OptimizerKind, OptimizerSpec, SpecOptions, TrainError};
use pyo3::exceptions::{PyMemoryError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use pythonize::{Depythonizer, PythonizeError, pythonize};
use serde::{Deserialize, Serialize};

use crate::catalog::{ClassSpec, Source, python_name};
use crate::engine::{Dtype, Engine, Float};
use crate::errors::core_error;
use crate::kernel::{Kernel, PySink};
use crate::values::{as_u64, as_usize, layout_to_py, parameter_count, parse_dtype, parse_layout};

/// What an optimizer was built from: its registry entry's settings and
/// options, and the binding's own arguments. Immutable once built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Settings {
    /// The entry's settings (its config form, with the `kind` tag).
    pub(crate) spec: OptimizerSpec,
    /// The options.
    pub(crate) options: SpecOptions,
    /// Number of parameters.
    pub(crate) n_params: usize,
    /// The layout's blocks (kernel terms); `None`: one flat vector.
    pub(crate) layout: Option<Vec<Block>>,
    /// The noise streams' seed.
    pub(crate) seed: u64,
    /// The dtype's numpy name.
    pub(crate) dtype: String,
}

impl Settings {
    /// The registry entry.
    pub(crate) fn kind(&self) -> OptimizerKind {
        self.spec.kind()
    }

    /// The dtype.
    pub(crate) fn dtype(&self) -> Dtype {
        Dtype::from_name(&self.dtype).unwrap_or(Dtype::F64)
    }

    /// Reads the arguments of `class(*args, **kwargs)`: `n_params` (the
    /// only positional one), the settings and options by their config
    /// names, `layout`, `seed`, `dtype`.
    pub(crate) fn from_arguments(
        class: &ClassSpec,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Settings> {
        let py = args.py();
        let who = format!("{}()", class.name);
        if args.len() > 1 {
            return Err(PyTypeError::new_err(format!(
                "{who} takes at most 1 positional argument (n_params), got {}; the settings are keyword-only",
                args.len()
            )));
        }
        let (settings, options) = (PyDict::new(py), PyDict::new(py));
        let mut own: Vec<(Source, Bound<'_, PyAny>)> = Vec::new();
        if let Some(n) = args.iter().next() {
            own.push((Source::NParams, n));
        }
        if let Some(kwargs) = kwargs {
            let keys: Vec<String> = kwargs
                .keys()
                .iter()
                .map(|k| k.extract::<String>())
                .collect::<PyResult<_>>()?;
            check_renamed(
                class.renamed,
                class.kind.name(),
                keys.iter().map(String::as_str),
            )
            .map_err(|e| PyTypeError::new_err(format!("{who}: {}", e.reason)))?;
            for (key, value) in keys.iter().zip(kwargs.values()) {
                match class.param(key) {
                    Some(p) if p.ty.is_bool() && value.extract::<bool>().is_err() => {
                        return Err(PyTypeError::new_err(format!(
                            "{who}: `{key}` must be True or False, got {}",
                            crate::values::type_name(&value)
                        )));
                    }
                    Some(p) if p.source == Source::Setting => settings.set_item(p.field, value)?,
                    Some(p) if p.source == Source::Option => options.set_item(p.field, value)?,
                    Some(p) => {
                        if own.iter().any(|(s, _)| *s == p.source) {
                            return Err(PyTypeError::new_err(format!(
                                "{who} got multiple values for argument '{key}'"
                            )));
                        }
                        own.push((p.source, value));
                    }
                    // Unknown: refused by the settings struct, as in a config.
                    None => settings.set_item(key, value)?,
                }
            }
        }
        let spec = class
            .kind
            .visit(ReadSettings(&settings))
            .map_err(|e| serde_error(py, &who, e))?;
        let options: SpecOptions =
            serde_path_to_error::deserialize(&mut Depythonizer::from_object(&options))
                .map_err(|e| serde_error(py, &who, e))?;
        let arg = |source: Source| own.iter().find(|(s, _)| *s == source).map(|(_, v)| v);
        let layout = arg(Source::Layout).map(parse_layout).transpose()?.flatten();
        let n_params = arg(Source::NParams)
            .filter(|n| !n.is_none())
            .map(|n| as_usize(n, "n_params"))
            .transpose()?;
        let with_layout = class.params.iter().any(|p| p.source == Source::Layout);
        let n_params = parameter_count(&who, with_layout, n_params, layout.as_deref())?;
        let seed = arg(Source::Seed).map_or(Ok(0), |s| as_u64(s, "seed"))?;
        let dtype = match arg(Source::Dtype) {
            Some(d) => parse_dtype(d)?,
            None => Dtype::F64,
        };
        let settings = Settings {
            spec,
            options,
            n_params,
            layout,
            seed,
            dtype: dtype.name().to_string(),
        };
        settings.check(&who)?;
        Ok(settings)
    }

    /// The registry's checks of the options against the settings, and the
    /// one a Python optimizer adds: a cosine schedule needs its length
    /// (`total_steps`), which a config takes from its run's budget.
    fn check(&self, who: &str) -> PyResult<()> {
        self.spec
            .check_options(&self.options)
            .map_err(|e| PyValueError::new_err(format!("{who}: {e}")))?;
        let fields = serde_json::to_value(self.spec).map_err(|e| {
            PyValueError::new_err(format!("{who}: the settings cannot be written: {e}"))
        })?;
        if !fields["cosine_to"].is_null() && fields["total_steps"].is_null() {
            return Err(PyValueError::new_err(format!(
                "{who}: `cosine_to` needs `total_steps` (the length of the cosine schedule; a config takes it from its run's budget, and a Python optimizer has none)"
            )));
        }
        Ok(())
    }

    /// The optimizer, built by the registry; the kernel's errors become
    /// `ValueError`s with its message.
    pub(crate) fn build(&self) -> PyResult<Engine> {
        Ok(match self.dtype() {
            Dtype::F32 => Engine::F32(self.build_kernel::<f32>()?),
            Dtype::F64 => Engine::F64(self.build_kernel::<f64>()?),
        })
    }

    fn build_kernel<T: Float>(&self) -> PyResult<Box<dyn Kernel<T>>> {
        // The largest buffer an entry allocates is OpenES's 2P moments: an
        // impossible size is a MemoryError here, not an abort there.
        let mut probe: Vec<T> = Vec::new();
        if probe
            .try_reserve_exact(self.n_params.saturating_mul(2))
            .is_err()
        {
            return Err(PyMemoryError::new_err(format!(
                "cannot allocate an optimizer of {} parameters",
                self.n_params
            )));
        }
        drop(probe);
        // Low-rank noise needs a layout; without one, the flat vector's
        // (which the kernel refuses with its own message).
        let layout = match (&self.layout, self.options.rank) {
            (Some(blocks), _) => Some(ParamLayout::new(blocks).map_err(core_error)?),
            (None, Some(_)) => Some(ParamLayout::flat(self.n_params).map_err(core_error)?),
            (None, None) => None,
        };
        // `total_steps` is the run's budget, which only a cosine schedule
        // without `total_steps` reads; `check` refuses that.
        self.spec
            .build_into(
                &self.options,
                layout.as_ref(),
                self.n_params,
                self.seed,
                1,
                PySink,
            )
            .map_err(train_error)
    }

    /// The keyword arguments that build a fresh optimizer like this one,
    /// in the class's order: `type(opt)(**opt.config)`.
    pub(crate) fn to_dict<'py>(
        &self,
        py: Python<'py>,
        class: &ClassSpec,
    ) -> PyResult<Bound<'py, PyDict>> {
        let spec = pythonize(py, &self.spec)?;
        let options = pythonize(py, &self.options)?;
        let d = PyDict::new(py);
        for p in &class.params {
            let value = match p.source {
                Source::NParams => self.n_params.into_pyobject(py)?.into_any(),
                Source::Layout => layout_to_py(py, self.layout.as_deref())?,
                Source::Seed => self.seed.into_pyobject(py)?.into_any(),
                Source::Dtype => self.dtype.as_str().into_pyobject(py)?.into_any(),
                Source::Setting => spec.get_item(p.field)?,
                Source::Option => options.get_item(p.field)?,
            };
            d.set_item(&p.name, value)?;
        }
        Ok(d)
    }
}

/// Reads an entry's settings struct from a dict of its fields.
struct ReadSettings<'a, 'py>(&'a Bound<'py, PyDict>);

impl EntryVisitor for ReadSettings<'_, '_> {
    type Output = Result<OptimizerSpec, serde_path_to_error::Error<PythonizeError>>;

    fn visit<E: OptimizerEntry>(self) -> Self::Output
    where
        OptimizerSpec: From<E>,
    {
        let mut de = Depythonizer::from_object(self.0.as_any());
        serde_path_to_error::deserialize::<_, E>(&mut de).map(OptimizerSpec::from)
    }
}

/// A serde error about the keyword arguments: `TypeError` for an unknown
/// keyword or a value of the wrong type, `ValueError` for a value out of
/// range; the message names the keyword.
fn serde_error(py: Python<'_>, who: &str, e: serde_path_to_error::Error<PythonizeError>) -> PyErr {
    let path = e.path().to_string();
    let py_err: PyErr = e.into_inner().into();
    let message = py_err.value(py).to_string();
    let what = if path == "." || path.is_empty() {
        String::new()
    } else {
        format!("`{}`: ", python_name(&path))
    };
    let text = format!("{who}: {what}{message}");
    let is_type = py_err.is_instance_of::<PyTypeError>(py)
        || message.starts_with("invalid type")
        || message.starts_with("unknown field");
    if is_type {
        PyTypeError::new_err(text)
    } else {
        PyValueError::new_err(text)
    }
}

/// A training-library error while building: the kernel's errors with its
/// message unchanged, the registry's naming the setting.
pub(crate) fn train_error(e: TrainError) -> PyErr {
    match e {
        TrainError::Optimizer(e) => core_error(e),
        TrainError::Spec(e) => PyValueError::new_err(e.to_string()),
        other => PyValueError::new_err(other.to_string()),
    }
}
