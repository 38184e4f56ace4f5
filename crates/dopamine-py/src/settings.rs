//! Constructor keyword arguments: parsed into the kernel's settings (the perturbation optimizers' and SNES's), validated by the kernel, and written back as a dict.

use dopamine_core::{
    AdaptiveCoding, BaselinePolicy, Block, Dopamine1Rule, Dopamine2Rule, Error, EtaSchedule,
    NoiseKind, NoiseStructure, OpenEsConfig, OpenEsRule, ParamLayout, PerturbConfig,
    PerturbationOptimizer, Real, RpeMode, UpdateRule, WpConfig, WpRule,
};
use pyo3::exceptions::{PyMemoryError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::engine::{Dtype, Engine, SharedVec};
use crate::errors::core_error;

/// The learning-rate schedule, before conversion to the dtype.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Schedule {
    /// `schedule="constant"`.
    Constant,
    /// `schedule="cosine"`, `total_steps`, `final_fraction`.
    Cosine {
        total_steps: u64,
        final_fraction: f64,
    },
    /// `schedule="step"`, `every`, `factor`.
    Step { every: u64, factor: f64 },
}

/// The settings every rule shares, as given in Python (`f64` values).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Common {
    /// Number of parameters.
    pub(crate) n_params: usize,
    /// The layout's blocks in the kernel's terms; `None`: one vector block.
    pub(crate) blocks: Option<Vec<Block>>,
    pub(crate) sigma: f64,
    pub(crate) eta: f64,
    pub(crate) probes: usize,
    pub(crate) rpe: RpeMode,
    pub(crate) baseline: BaselinePolicy,
    pub(crate) noise: NoiseKind,
    pub(crate) rank: Option<usize>,
    pub(crate) schedule: Schedule,
    pub(crate) seed: u64,
    pub(crate) dtype: Dtype,
}

/// The rule's own settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum RuleSettings {
    /// WP: `halve_on_divergence`.
    Wp { halve_on_divergence: bool },
    /// Dopamine-1: `beta`, `eps`, `bias_correction`.
    Dopamine1 { coding: AdaptiveCoding<f64> },
    /// Dopamine-2: Dopamine-1's settings and `lambda_`.
    Dopamine2 {
        coding: AdaptiveCoding<f64>,
        lambda: f64,
    },
    /// OpenES: `beta1`, `beta2`, `eps`, `l2`.
    OpenEs { config: OpenEsConfig<f64> },
}

/// The common keyword arguments, as PyO3 extracted them. Integers arrive as
/// `i128` so that a negative or huge value gets a `ValueError` with a
/// message, not an `OverflowError`.
pub(crate) struct CommonArgs<'a, 'py> {
    pub(crate) n_params: Option<i128>,
    pub(crate) layout: Option<&'a Bound<'py, PyAny>>,
    pub(crate) sigma: f64,
    pub(crate) eta: f64,
    pub(crate) probes: i128,
    pub(crate) rpe: &'a str,
    pub(crate) baseline: &'a str,
    pub(crate) noise: &'a str,
    pub(crate) rank: Option<i128>,
    pub(crate) schedule: &'a str,
    pub(crate) total_steps: Option<i128>,
    pub(crate) final_fraction: Option<f64>,
    pub(crate) every: Option<i128>,
    pub(crate) factor: Option<f64>,
    pub(crate) seed: i128,
    pub(crate) dtype: Option<&'a Bound<'py, PyAny>>,
}

pub(crate) fn value_error(msg: String) -> PyErr {
    PyValueError::new_err(msg)
}

pub(crate) fn as_usize(value: i128, name: &str) -> PyResult<usize> {
    if value < 0 {
        return Err(value_error(format!("{name} must be >= 0, got {value}")));
    }
    usize::try_from(value).map_err(|_| value_error(format!("{name} = {value} is too large")))
}

pub(crate) fn as_u64(value: i128, name: &str) -> PyResult<u64> {
    u64::try_from(value)
        .map_err(|_| value_error(format!("{name} must lie in [0, 2**64), got {value}")))
}

fn layout_dim(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<usize> {
    let value: i128 = obj.extract().map_err(|_| {
        PyTypeError::new_err(format!(
            "layout entries must be ints or (m, n) pairs of ints, got {}",
            type_name(obj)
        ))
    })?;
    as_usize(value, name)
}

/// The Python type name of `obj`, for messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

fn choice<T: Copy>(name: &str, value: &str, options: &[(&str, T)]) -> PyResult<T> {
    options
        .iter()
        .find(|(s, _)| *s == value)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<String> = options.iter().map(|(s, _)| format!("'{s}'")).collect();
            value_error(format!(
                "{name} must be one of {}, got '{value}'",
                names.join(", ")
            ))
        })
}

/// Parses `dtype` (anything `numpy.dtype()` accepts; `None` is float64).
pub(crate) fn parse_dtype(py: Python<'_>, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Dtype> {
    let Some(dtype) = dtype else {
        return Ok(Dtype::F64);
    };
    let np = py.import("numpy")?;
    let descr = np.getattr("dtype")?.call1((dtype,))?;
    let name: String = descr.getattr("name")?.extract()?;
    match name.as_str() {
        "float32" => Ok(Dtype::F32),
        "float64" => Ok(Dtype::F64),
        other => Err(PyTypeError::new_err(format!(
            "dtype must be float32 or float64, got {other}"
        ))),
    }
}

/// One layout entry: an int is a vector block; a pair `(m, n)` is a matrix
/// stored as a C-ordered `m x n` array, which is the kernel's column-major
/// `n x m` block.
fn parse_block(entry: &Bound<'_, PyAny>, index: usize) -> PyResult<Block> {
    let bad = || {
        value_error(format!(
            "layout entry {index} must be an int (a vector block) or a pair (m, n) (an m x n matrix in C order), got {}",
            entry.repr().map(|r| r.to_string()).unwrap_or_default()
        ))
    };
    if entry.is_instance_of::<PyTuple>() || entry.is_instance_of::<PyList>() {
        let items: Vec<Bound<'_, PyAny>> = entry.try_iter()?.collect::<PyResult<_>>()?;
        if items.len() != 2 {
            return Err(bad());
        }
        let m = layout_dim(&items[0], "a layout dimension")?;
        let n = layout_dim(&items[1], "a layout dimension")?;
        return Ok(Block::Matrix { rows: n, cols: m });
    }
    if entry.extract::<i128>().is_err() {
        return Err(bad());
    }
    let len = layout_dim(entry, "a layout length")?;
    Ok(Block::Vector { len })
}

/// The Python form of a block (the inverse of [`parse_block`]).
pub(crate) fn block_to_py<'py>(py: Python<'py>, block: &Block) -> PyResult<Bound<'py, PyAny>> {
    match *block {
        Block::Vector { len } => Ok(len.into_pyobject(py)?.into_any()),
        Block::Matrix { rows, cols } => Ok(PyTuple::new(py, [cols, rows])?.into_any()),
    }
}

impl Common {
    /// Parses and checks the arguments the kernel does not check itself
    /// (types, names of choices, which schedule argument goes with which
    /// schedule); the numeric settings are validated by the kernel when the
    /// optimizer is built.
    pub(crate) fn parse(py: Python<'_>, a: CommonArgs<'_, '_>) -> PyResult<Self> {
        let blocks = match a.layout {
            None => None,
            Some(layout) if layout.is_none() => None,
            Some(layout) => {
                if layout.is_instance_of::<pyo3::types::PyString>() {
                    return Err(PyTypeError::new_err(
                        "layout must be a list of ints and (m, n) pairs",
                    ));
                }
                let entries: Vec<Bound<'_, PyAny>> = layout
                    .try_iter()
                    .map_err(|_| {
                        PyTypeError::new_err(format!(
                            "layout must be a list of ints and (m, n) pairs, got {}",
                            type_name(layout)
                        ))
                    })?
                    .collect::<PyResult<_>>()?;
                let blocks = entries
                    .iter()
                    .enumerate()
                    .map(|(i, e)| parse_block(e, i))
                    .collect::<PyResult<Vec<_>>>()?;
                Some(blocks)
            }
        };
        let n_params = a.n_params.map(|n| as_usize(n, "n_params")).transpose()?;
        let n_params = match (n_params, &blocks) {
            (Some(n), None) => n,
            (None, Some(blocks)) => blocks.iter().map(Block::len).sum(),
            (Some(n), Some(blocks)) => {
                let covered: usize = blocks.iter().map(Block::len).sum();
                if covered != n {
                    return Err(core_error(Error::LayoutMismatch {
                        layout: covered,
                        params: n,
                    }));
                }
                n
            }
            (None, None) => {
                return Err(PyTypeError::new_err(
                    "give the number of parameters (n_params) or a layout",
                ));
            }
        };
        // A count below 1 is the kernel's "at least 1" error.
        let probes = if a.probes < 1 {
            return Err(core_error(Error::ZeroProbes));
        } else {
            usize::try_from(a.probes).unwrap_or(usize::MAX)
        };
        let rpe = choice(
            "rpe",
            a.rpe,
            &[
                ("forward", RpeMode::Forward),
                ("antithetic", RpeMode::Antithetic),
            ],
        )?;
        let baseline = choice(
            "baseline",
            a.baseline,
            &[
                ("evaluate", BaselinePolicy::Evaluate),
                ("from_probes", BaselinePolicy::FromProbes),
            ],
        )?;
        let noise = choice(
            "noise",
            a.noise,
            &[
                ("gaussian", NoiseKind::Gaussian),
                ("rademacher", NoiseKind::Rademacher),
            ],
        )?;
        let rank = match a.rank {
            None => None,
            Some(r) if r < 1 => return Err(core_error(Error::RankZero)),
            Some(r) => Some(usize::try_from(r).unwrap_or(usize::MAX)),
        };
        let (total_steps, every) = (a.total_steps, a.every);
        let unused = |name: &str, given: bool, for_schedule: &str| -> PyResult<()> {
            if given {
                Err(value_error(format!(
                    "{name} applies only to schedule='{for_schedule}' (schedule is '{}')",
                    a.schedule
                )))
            } else {
                Ok(())
            }
        };
        let schedule = match a.schedule {
            "constant" => {
                unused("total_steps", total_steps.is_some(), "cosine")?;
                unused("final_fraction", a.final_fraction.is_some(), "cosine")?;
                unused("every", every.is_some(), "step")?;
                unused("factor", a.factor.is_some(), "step")?;
                Schedule::Constant
            }
            "cosine" => {
                unused("every", every.is_some(), "step")?;
                unused("factor", a.factor.is_some(), "step")?;
                let total = total_steps
                    .ok_or_else(|| value_error("schedule='cosine' needs total_steps".to_owned()))?;
                Schedule::Cosine {
                    total_steps: as_u64(total, "total_steps")?,
                    final_fraction: a.final_fraction.unwrap_or(0.0),
                }
            }
            "step" => {
                unused("total_steps", total_steps.is_some(), "cosine")?;
                unused("final_fraction", a.final_fraction.is_some(), "cosine")?;
                let every =
                    every.ok_or_else(|| value_error("schedule='step' needs every".to_owned()))?;
                let factor = a
                    .factor
                    .ok_or_else(|| value_error("schedule='step' needs factor".to_owned()))?;
                Schedule::Step {
                    every: as_u64(every, "every")?,
                    factor,
                }
            }
            other => {
                return Err(value_error(format!(
                    "schedule must be one of 'constant', 'cosine', 'step', got '{other}'"
                )));
            }
        };
        let seed = as_u64(a.seed, "seed")?;
        Ok(Self {
            n_params,
            blocks,
            sigma: a.sigma,
            eta: a.eta,
            probes,
            rpe,
            baseline,
            noise,
            rank,
            schedule,
            seed,
            dtype: parse_dtype(py, a.dtype)?,
        })
    }

    /// The kernel's config in `T` (validated later, with the optimizer).
    fn config<T: Real>(&self) -> PerturbConfig<T> {
        PerturbConfig {
            sigma: T::from_f64(self.sigma),
            eta: T::from_f64(self.eta),
            probes: self.probes,
            rpe: self.rpe,
            noise: self.noise,
            structure: match self.rank {
                None => NoiseStructure::Full,
                Some(rank) => NoiseStructure::LowRank { rank },
            },
            baseline: self.baseline,
            schedule: match self.schedule {
                Schedule::Constant => EtaSchedule::Constant,
                Schedule::Cosine {
                    total_steps,
                    final_fraction,
                } => EtaSchedule::Cosine {
                    total_steps,
                    final_fraction: T::from_f64(final_fraction),
                },
                Schedule::Step { every, factor } => EtaSchedule::Step {
                    every,
                    factor: T::from_f64(factor),
                },
            },
            seed: self.seed,
        }
    }

    /// The kernel's optimizer with `rule`; every setting validated by the kernel.
    fn optimizer<T: Real, R: UpdateRule<T>>(
        &self,
        rule: R,
    ) -> Result<PerturbationOptimizer<T, R>, Error> {
        let config = self.config::<T>();
        match &self.blocks {
            None => PerturbationOptimizer::new(config, rule, self.n_params),
            Some(blocks) => {
                PerturbationOptimizer::with_layout(config, rule, ParamLayout::new(blocks)?)
            }
        }
    }
}

fn coding<T: Real>(c: &AdaptiveCoding<f64>) -> AdaptiveCoding<T> {
    AdaptiveCoding {
        beta: T::from_f64(c.beta),
        eps: T::from_f64(c.eps),
        bias_correction: c.bias_correction,
    }
}

/// `n` zeros, or a `MemoryError` (naming `what`) when they cannot be allocated.
pub(crate) fn zeros<T: Real>(n: Option<usize>, what: &str) -> PyResult<SharedVec<T>> {
    let mut values = Vec::new();
    match n {
        Some(n) if values.try_reserve_exact(n).is_ok() => {
            values.resize(n, T::ZERO);
            Ok(SharedVec::new(values))
        }
        _ => Err(PyMemoryError::new_err(format!(
            "cannot allocate {what} of {} values",
            n.map_or_else(|| "too many".to_owned(), |n| n.to_string())
        ))),
    }
}

fn open_es_config<T: Real>(c: &OpenEsConfig<f64>) -> OpenEsConfig<T> {
    OpenEsConfig {
        beta1: T::from_f64(c.beta1),
        beta2: T::from_f64(c.beta2),
        eps: T::from_f64(c.eps),
        l2: T::from_f64(c.l2),
    }
}

/// Builds the engine; the kernel's validation errors become `ValueError`s
/// with the kernel's message.
pub(crate) fn build(common: &Common, rule: RuleSettings) -> PyResult<Engine> {
    let n = Some(common.n_params);
    const TRACE: &str = "Dopamine-2's eligibility trace";
    const MOMENTS: &str = "OpenES's Adam moments";
    let engine = match (rule, common.dtype) {
        (
            RuleSettings::Wp {
                halve_on_divergence,
            },
            dtype,
        ) => {
            let config = WpConfig {
                halve_on_divergence,
            };
            match dtype {
                Dtype::F32 => common.optimizer(WpRule::new(config)).map(Engine::WpF32),
                Dtype::F64 => common.optimizer(WpRule::new(config)).map(Engine::WpF64),
            }
        }
        (RuleSettings::Dopamine1 { coding: c }, Dtype::F32) => common
            .optimizer(Dopamine1Rule::new(coding::<f32>(&c)))
            .map(Engine::D1F32),
        (RuleSettings::Dopamine1 { coding: c }, Dtype::F64) => common
            .optimizer(Dopamine1Rule::new(coding::<f64>(&c)))
            .map(Engine::D1F64),
        (RuleSettings::Dopamine2 { coding: c, lambda }, Dtype::F32) => common
            .optimizer(Dopamine2Rule::new(
                coding::<f32>(&c),
                lambda as f32,
                zeros(n, TRACE)?,
            ))
            .map(Engine::D2F32),
        (RuleSettings::Dopamine2 { coding: c, lambda }, Dtype::F64) => common
            .optimizer(Dopamine2Rule::new(
                coding::<f64>(&c),
                lambda,
                zeros(n, TRACE)?,
            ))
            .map(Engine::D2F64),
        (RuleSettings::OpenEs { config: c }, Dtype::F32) => common
            .optimizer(OpenEsRule::new(
                open_es_config::<f32>(&c),
                zeros(common.n_params.checked_mul(2), MOMENTS)?,
            ))
            .map(Engine::OesF32),
        (RuleSettings::OpenEs { config: c }, Dtype::F64) => common
            .optimizer(OpenEsRule::new(
                open_es_config::<f64>(&c),
                zeros(common.n_params.checked_mul(2), MOMENTS)?,
            ))
            .map(Engine::OesF64),
    };
    engine.map_err(core_error)
}

/// The keyword arguments that rebuild an optimizer with the settings of
/// `engine` (the `config` property).
pub(crate) fn to_dict<'py>(py: Python<'py>, engine: &Engine) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    crate::engine::with_engine!(engine, |opt| common_dict(
        py,
        &d,
        opt.config(),
        opt.layout()
    )?);
    d.set_item("dtype", engine.dtype().name())?;
    match engine {
        Engine::WpF32(o) => {
            d.set_item("halve_on_divergence", o.rule().config().halve_on_divergence)?
        }
        Engine::WpF64(o) => {
            d.set_item("halve_on_divergence", o.rule().config().halve_on_divergence)?
        }
        Engine::D1F32(o) => coding_dict(&d, o.rule().stats().coding())?,
        Engine::D1F64(o) => coding_dict(&d, o.rule().stats().coding())?,
        Engine::D2F32(o) => {
            coding_dict(&d, o.rule().stats().coding())?;
            d.set_item("lambda_", f64::from(o.rule().lambda()))?;
        }
        Engine::D2F64(o) => {
            coding_dict(&d, o.rule().stats().coding())?;
            d.set_item("lambda_", o.rule().lambda())?;
        }
        Engine::OesF32(o) => open_es_dict(&d, o.rule().config())?,
        Engine::OesF64(o) => open_es_dict(&d, o.rule().config())?,
    }
    Ok(d)
}

fn open_es_dict<T: Real>(d: &Bound<'_, PyDict>, c: &OpenEsConfig<T>) -> PyResult<()> {
    d.set_item("beta1", c.beta1.to_f64())?;
    d.set_item("beta2", c.beta2.to_f64())?;
    d.set_item("eps", c.eps.to_f64())?;
    d.set_item("l2", c.l2.to_f64())
}

fn coding_dict<T: Real>(d: &Bound<'_, PyDict>, c: &AdaptiveCoding<T>) -> PyResult<()> {
    d.set_item("beta", c.beta.to_f64())?;
    d.set_item("eps", c.eps.to_f64())?;
    d.set_item("bias_correction", c.bias_correction)
}

fn common_dict<T: Real>(
    py: Python<'_>,
    d: &Bound<'_, PyDict>,
    c: &PerturbConfig<T>,
    layout: &ParamLayout,
) -> PyResult<()> {
    d.set_item("n_params", layout.num_params())?;
    let blocks = layout.blocks();
    if blocks.len() == 1 && matches!(blocks[0], Block::Vector { .. }) {
        d.set_item("layout", py.None())?;
    } else {
        let items = blocks
            .iter()
            .map(|b| block_to_py(py, b))
            .collect::<PyResult<Vec<_>>>()?;
        d.set_item("layout", PyList::new(py, items)?)?;
    }
    d.set_item("sigma", c.sigma.to_f64())?;
    d.set_item("eta", c.eta.to_f64())?;
    d.set_item("probes", c.probes)?;
    d.set_item(
        "rpe",
        match c.rpe {
            RpeMode::Forward => "forward",
            RpeMode::Antithetic => "antithetic",
        },
    )?;
    d.set_item(
        "baseline",
        match c.baseline {
            BaselinePolicy::Evaluate => "evaluate",
            BaselinePolicy::FromProbes => "from_probes",
        },
    )?;
    d.set_item(
        "noise",
        match c.noise {
            NoiseKind::Gaussian => "gaussian",
            NoiseKind::Rademacher => "rademacher",
        },
    )?;
    d.set_item("rank", c.rank())?;
    match c.schedule {
        EtaSchedule::Constant => d.set_item("schedule", "constant")?,
        EtaSchedule::Cosine {
            total_steps,
            final_fraction,
        } => {
            d.set_item("schedule", "cosine")?;
            d.set_item("total_steps", total_steps)?;
            d.set_item("final_fraction", final_fraction.to_f64())?;
        }
        EtaSchedule::Step { every, factor } => {
            d.set_item("schedule", "step")?;
            d.set_item("every", every)?;
            d.set_item("factor", factor.to_f64())?;
        }
    }
    d.set_item("seed", c.seed)
}
