//! The optimizer's state as bytes, for pickling: the training library's one state format (magic, version, length, CRC-32; `dopamine_train::state`) around the kernel's optimizer in bincode 2; pickles of release 0.2.0 (magic `DOPY`/`DOPS`, no checksum) still load.

use dopamine_core::{PerturbationOptimizer, Real, Snes, UpdateRule};
use pyo3::PyResult;
use pyo3::exceptions::PyValueError;
use serde::{Deserialize, Serialize};

use crate::engine::{Engine, SharedVec, SnesEngine, with_engine, with_snes};

/// The first bytes of a 0.2.0 pickle of a perturbation optimizer (WP, the
/// Dopamine rules, OpenES).
const LEGACY_MAGIC: &[u8; 4] = b"DOPY";
/// The first bytes of a 0.2.0 pickle of SNES.
const LEGACY_MAGIC_SNES: &[u8; 4] = b"DOPS";
/// The format version of 0.2.0 pickles.
const LEGACY_VERSION: u8 = 1;

fn bincode_config() -> impl bincode::config::Config {
    bincode::config::standard()
}

/// What a pickle holds: the kernel's optimizer, whichever it is.
#[derive(Deserialize)]
enum Pickled {
    /// A perturbation optimizer (WP, the Dopamine rules, OpenES).
    Perturbation(Box<Engine>),
    /// SNES.
    Snes(Box<SnesEngine>),
}

/// [`Pickled`] as it is written (the same bytes), borrowing the engine.
#[derive(Serialize)]
enum PickledRef<'a> {
    /// A perturbation optimizer.
    Perturbation(&'a Engine),
    /// SNES.
    Snes(&'a SnesEngine),
}

/// The engine as bytes: everything the optimizer knows (settings, rule
/// state, Dopamine-2's trace, OpenES's moments, step, counters, a step in
/// progress), so that a restored optimizer continues bit for bit.
pub(crate) fn encode(engine: &Engine) -> PyResult<Vec<u8>> {
    seal(&PickledRef::Perturbation(engine))
}

/// SNES as bytes: settings, `sigma`, step, counters, a planned step.
pub(crate) fn encode_snes(engine: &SnesEngine) -> PyResult<Vec<u8>> {
    seal(&PickledRef::Snes(engine))
}

fn seal(value: &PickledRef<'_>) -> PyResult<Vec<u8>> {
    dopamine_train::encode_state(value)
        .map_err(|e| PyValueError::new_err(format!("cannot encode the optimizer: {e}")))
}

/// An optimizer restored from its bytes.
pub(crate) enum Restored {
    /// A perturbation optimizer (WP, Dopamine-1, Dopamine-2, OpenES).
    Perturbation(Box<Engine>),
    /// SNES.
    Snes(Box<SnesEngine>),
}

/// The optimizer back from [`encode`]'s or [`encode_snes`]'s bytes (or a
/// 0.2.0 pickle's), checked as the kernel checks a new optimizer. Every
/// damaged byte of a current state is refused (its checksum).
pub(crate) fn decode(bytes: &[u8]) -> PyResult<Restored> {
    let bad =
        |why: String| PyValueError::new_err(format!("not a dopamine_py optimizer state: {why}"));
    let pickled = if bytes.starts_with(LEGACY_MAGIC) || bytes.starts_with(LEGACY_MAGIC_SNES) {
        decode_legacy(bytes).map_err(bad)?
    } else {
        dopamine_train::decode_state::<Pickled>(bytes).map_err(|e| bad(e.to_string()))?
    };
    let inconsistent = |e: dopamine_core::Error| bad(format!("inconsistent state: {e}"));
    match pickled {
        Pickled::Snes(engine) => {
            with_snes!(&*engine, |opt| check_snes(opt)).map_err(inconsistent)?;
            Ok(Restored::Snes(engine))
        }
        Pickled::Perturbation(engine) => {
            with_engine!(&*engine, |opt| check(opt)).map_err(inconsistent)?;
            Ok(Restored::Perturbation(engine))
        }
    }
}

/// A pickle of release 0.2.0: magic, version 1, the engine in bincode 2.
fn decode_legacy(bytes: &[u8]) -> Result<Pickled, String> {
    let is_snes = bytes.starts_with(LEGACY_MAGIC_SNES);
    let Some((&version, payload)) = bytes[LEGACY_MAGIC.len()..].split_first() else {
        return Err("truncated".into());
    };
    if version != LEGACY_VERSION {
        return Err(format!(
            "format version {version}, this build reads version {LEGACY_VERSION}"
        ));
    }
    Ok(if is_snes {
        Pickled::Snes(Box::new(decode_payload(payload)?))
    } else {
        Pickled::Perturbation(Box::new(decode_payload(payload)?))
    })
}

fn decode_payload<D: serde::de::DeserializeOwned>(payload: &[u8]) -> Result<D, String> {
    let (value, used): (D, usize) =
        bincode::serde::decode_from_slice(payload, bincode_config()).map_err(|e| e.to_string())?;
    if used != payload.len() {
        return Err(format!("{} bytes left over", payload.len() - used));
    }
    Ok(value)
}

/// The checks a new optimizer passes: settings, layout against the
/// parameter count, and the rule (e.g. Dopamine-2's trace length).
fn check<T: Real, R: UpdateRule<T>>(
    opt: &PerturbationOptimizer<T, R>,
) -> Result<(), dopamine_core::Error> {
    opt.config().validate()?;
    opt.layout().validate(opt.dim(), opt.config().rank())?;
    opt.rule().validate(opt.dim())?;
    opt.rule().validate_config(opt.config())
}

/// The checks a new SNES passes (settings, a non-empty parameter vector,
/// one `sigma` per parameter), and a `sigma` SNES can produce: finite and
/// `>= 0`.
fn check_snes<T: Real>(opt: &Snes<T, SharedVec<T>>) -> Result<(), dopamine_core::Error> {
    opt.config().validate()?;
    if opt.dim() == 0 {
        return Err(dopamine_core::Error::EmptyParameters);
    }
    if opt.sigma().len() != opt.dim() {
        return Err(dopamine_core::Error::LengthMismatch {
            expected: opt.dim(),
            got: opt.sigma().len(),
        });
    }
    if opt.sigma().iter().any(|s| !s.is_finite() || *s < T::ZERO) {
        return Err(dopamine_core::Error::InvalidSetting(
            "sigma must be finite and >= 0",
        ));
    }
    Ok(())
}
