//! The optimizer's state as bytes, for pickling: a magic tag, a format version and the kernel's optimizer in bincode 2.

use dopamine_core::{PerturbationOptimizer, Real, UpdateRule};
use pyo3::PyResult;
use pyo3::exceptions::PyValueError;

use crate::engine::{Engine, with_engine};

/// The first bytes of every state.
const MAGIC: &[u8; 4] = b"DOPY";
/// The format version; bumped when the layout of the bytes changes.
const VERSION: u8 = 1;

fn bincode_config() -> impl bincode::config::Config {
    bincode::config::standard()
}

/// The engine as bytes: everything the optimizer knows (settings, rule
/// state, Dopamine-2's trace, step, counters, a step in progress), so that
/// a restored optimizer continues bit for bit.
pub(crate) fn encode(engine: &Engine) -> PyResult<Vec<u8>> {
    let mut bytes = MAGIC.to_vec();
    bytes.push(VERSION);
    let payload = bincode::serde::encode_to_vec(engine, bincode_config())
        .map_err(|e| PyValueError::new_err(format!("cannot encode the optimizer: {e}")))?;
    bytes.extend_from_slice(&payload);
    Ok(bytes)
}

/// The engine back from [`encode`]'s bytes, checked as the kernel checks a
/// new optimizer.
pub(crate) fn decode(bytes: &[u8]) -> PyResult<Engine> {
    let bad =
        |why: String| PyValueError::new_err(format!("not a dopamine_py optimizer state: {why}"));
    let Some(rest) = bytes.strip_prefix(MAGIC.as_slice()) else {
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
    let (engine, used): (Engine, usize) =
        bincode::serde::decode_from_slice(payload, bincode_config())
            .map_err(|e| bad(e.to_string()))?;
    if used != payload.len() {
        return Err(bad(format!("{} bytes left over", payload.len() - used)));
    }
    with_engine!(&engine, |opt| check(opt)).map_err(|e| bad(format!("inconsistent state: {e}")))?;
    Ok(engine)
}

/// The checks a new optimizer passes: settings, layout against the
/// parameter count, and the rule (e.g. Dopamine-2's trace length).
fn check<T: Real, R: UpdateRule<T>>(
    opt: &PerturbationOptimizer<T, R>,
) -> Result<(), dopamine_core::Error> {
    opt.config().validate()?;
    opt.layout().validate(opt.dim(), opt.config().rank())?;
    opt.rule().validate(opt.dim())
}
