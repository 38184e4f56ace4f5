//! The optimizer's state as bytes, for pickling: a magic tag (which kind of optimizer), a format version and the kernel's optimizer in bincode 2.

use dopamine_core::{PerturbationOptimizer, Real, Snes, UpdateRule};
use pyo3::PyResult;
use pyo3::exceptions::PyValueError;
use serde::Serialize;

use crate::engine::{Engine, SharedVec, SnesEngine, with_engine, with_snes};

/// The first bytes of the state of a perturbation optimizer (WP, the
/// Dopamine rules, OpenES).
const MAGIC: &[u8; 4] = b"DOPY";
/// The first bytes of the state of SNES.
const MAGIC_SNES: &[u8; 4] = b"DOPS";
/// The format version; bumped when the layout of the bytes changes.
const VERSION: u8 = 1;

fn bincode_config() -> impl bincode::config::Config {
    bincode::config::standard()
}

/// The engine as bytes: everything the optimizer knows (settings, rule
/// state, Dopamine-2's trace, OpenES's moments, step, counters, a step in
/// progress), so that a restored optimizer continues bit for bit.
pub(crate) fn encode(engine: &Engine) -> PyResult<Vec<u8>> {
    encode_with(MAGIC, engine)
}

/// SNES as bytes: settings, `sigma`, step, counters, a planned step.
pub(crate) fn encode_snes(engine: &SnesEngine) -> PyResult<Vec<u8>> {
    encode_with(MAGIC_SNES, engine)
}

fn encode_with<S: Serialize>(magic: &[u8; 4], value: &S) -> PyResult<Vec<u8>> {
    let mut bytes = magic.to_vec();
    bytes.push(VERSION);
    let payload = bincode::serde::encode_to_vec(value, bincode_config())
        .map_err(|e| PyValueError::new_err(format!("cannot encode the optimizer: {e}")))?;
    bytes.extend_from_slice(&payload);
    Ok(bytes)
}

/// An optimizer restored from its bytes.
pub(crate) enum Restored {
    /// A perturbation optimizer (WP, Dopamine-1, Dopamine-2, OpenES).
    Perturbation(Box<Engine>),
    /// SNES.
    Snes(Box<SnesEngine>),
}

/// The optimizer back from [`encode`]'s or [`encode_snes`]'s bytes, checked
/// as the kernel checks a new optimizer.
pub(crate) fn decode(bytes: &[u8]) -> PyResult<Restored> {
    let bad =
        |why: String| PyValueError::new_err(format!("not a dopamine_py optimizer state: {why}"));
    let (is_snes, rest) = if let Some(rest) = bytes.strip_prefix(MAGIC.as_slice()) {
        (false, rest)
    } else if let Some(rest) = bytes.strip_prefix(MAGIC_SNES.as_slice()) {
        (true, rest)
    } else {
        return Err(bad("wrong magic bytes".into()));
    };
    let Some((&version, payload)) = rest.split_first() else {
        return Err(bad("truncated".into()));
    };
    if version != VERSION {
        return Err(bad(format!(
            "format version {version}, this build reads version {VERSION}"
        )));
    }
    let inconsistent = |e: dopamine_core::Error| bad(format!("inconsistent state: {e}"));
    if is_snes {
        let engine: SnesEngine = decode_payload(payload).map_err(bad)?;
        with_snes!(&engine, |opt| check_snes(opt)).map_err(inconsistent)?;
        Ok(Restored::Snes(Box::new(engine)))
    } else {
        let engine: Engine = decode_payload(payload).map_err(bad)?;
        with_engine!(&engine, |opt| check(opt)).map_err(inconsistent)?;
        Ok(Restored::Perturbation(Box::new(engine)))
    }
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
