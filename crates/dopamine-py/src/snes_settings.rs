//! SNES's constructor keyword arguments: parsed into the kernel's `SnesConfig`, validated by the kernel, and written back as a dict.

use dopamine_core::{Real, Snes, SnesConfig};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::engine::{Dtype, SharedVec, SnesEngine};
use crate::errors::core_error;
use crate::settings::{as_u64, as_usize, parse_dtype, value_error, zeros};

/// SNES's keyword arguments, as PyO3 extracted them (integers as `i128`,
/// as for [`CommonArgs`]); `None` for `eta_sigma` and `population` means
/// the kernel's default for `n_params` ([`SnesConfig::new`]).
pub(crate) struct SnesArgs<'a, 'py> {
    pub(crate) n_params: i128,
    pub(crate) sigma0: f64,
    pub(crate) eta_mu: f64,
    pub(crate) eta_sigma: Option<f64>,
    pub(crate) population: Option<i128>,
    pub(crate) seed: i128,
    pub(crate) dtype: Option<&'a Bound<'py, PyAny>>,
}

/// SNES in `T`: the kernel's defaults for `dim` ([`SnesConfig::new`]) with
/// the given settings over them, validated by the kernel.
fn snes<T: Real>(
    dim: usize,
    sigma0: f64,
    eta_mu: f64,
    eta_sigma: Option<f64>,
    population: Option<usize>,
    seed: u64,
) -> PyResult<Snes<T, SharedVec<T>>> {
    let mut config = SnesConfig::<T>::new(dim, T::from_f64(sigma0));
    config.eta_mu = T::from_f64(eta_mu);
    if let Some(eta_sigma) = eta_sigma {
        config.eta_sigma = T::from_f64(eta_sigma);
    }
    if let Some(population) = population {
        config.population = population;
    }
    config.seed = seed;
    // The kernel checks the settings before the length, so an invalid
    // setting is reported before an empty parameter vector (as in Rust).
    config.validate().map_err(core_error)?;
    let sigma = zeros(Some(dim), "SNES's sigma")?;
    Snes::new(config, dim, sigma).map_err(core_error)
}

/// Builds SNES; the kernel's validation errors become `ValueError`s with
/// the kernel's message.
pub(crate) fn build_snes(py: Python<'_>, a: SnesArgs<'_, '_>) -> PyResult<SnesEngine> {
    let dim = as_usize(a.n_params, "n_params")?;
    // A negative size cannot reach the kernel (a `usize`): say so here; a
    // huge one is the kernel's out-of-range error.
    let population = match a.population {
        None => None,
        Some(p) if p < 0 => {
            return Err(value_error(format!("population must be >= 0, got {p}")));
        }
        Some(p) => Some(usize::try_from(p).unwrap_or(usize::MAX)),
    };
    let seed = as_u64(a.seed, "seed")?;
    let (sigma0, eta_mu, eta_sigma) = (a.sigma0, a.eta_mu, a.eta_sigma);
    Ok(match parse_dtype(py, a.dtype)? {
        Dtype::F32 => SnesEngine::F32(snes(dim, sigma0, eta_mu, eta_sigma, population, seed)?),
        Dtype::F64 => SnesEngine::F64(snes(dim, sigma0, eta_mu, eta_sigma, population, seed)?),
    })
}

/// The keyword arguments that rebuild SNES with the settings of `engine`
/// (its `config` property; `eta_sigma` and `population` as numbers, also
/// when they were the defaults).
pub(crate) fn snes_to_dict<'py>(
    py: Python<'py>,
    engine: &SnesEngine,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    crate::engine::with_snes!(engine, |opt| {
        let c = opt.config();
        d.set_item("n_params", opt.dim())?;
        d.set_item("sigma0", c.sigma0.to_f64())?;
        d.set_item("eta_mu", c.eta_mu.to_f64())?;
        d.set_item("eta_sigma", c.eta_sigma.to_f64())?;
        d.set_item("population", c.population)?;
        d.set_item("seed", c.seed)?;
    });
    d.set_item("dtype", engine.dtype().name())?;
    Ok(d)
}
