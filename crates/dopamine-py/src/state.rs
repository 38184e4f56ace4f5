//! An optimizer as pickle bytes and back: its settings in their config form (JSON) and the optimizer's own state, in the training library's one checked state format (magic, version, length, CRC-32; `dopamine_train::state`). A restored optimizer is rebuilt through the registry from its settings, then takes the state. Pickles of release 0.2.0 (magic `DOPY`/`DOPS`, no checksum) still load (`legacy.rs`).

use pyo3::PyResult;
use pyo3::exceptions::PyValueError;
use serde::{Deserialize, Serialize};

use crate::engine::{Engine, with_kernel};
use crate::legacy;
use crate::settings::Settings;

/// What a pickle holds.
#[derive(Serialize, Deserialize)]
struct Pickled {
    /// The settings, as JSON ([`Settings`]: the entry's config form, the
    /// options, the binding's own arguments).
    settings: String,
    /// The optimizer's state (its `save_state`, itself checked).
    state: Vec<u8>,
}

/// The optimizer as bytes: everything it knows (settings, rule state,
/// per-parameter state, step, counters, a step in progress), so that a
/// restored optimizer continues bit for bit.
pub(crate) fn encode(settings: &Settings, engine: &Engine) -> PyResult<Vec<u8>> {
    let cannot = |e: String| PyValueError::new_err(format!("cannot encode the optimizer: {e}"));
    let pickled = Pickled {
        settings: serde_json::to_string(settings).map_err(|e| cannot(e.to_string()))?,
        state: with_kernel!(engine, |k| k.save()).map_err(|e| cannot(e.to_string()))?,
    };
    dopamine_train::encode_state(&pickled).map_err(|e| cannot(e.to_string()))
}

/// The optimizer back from [`encode`]'s bytes (or a 0.2.0 pickle's): built
/// by the registry from its settings, then given its state, checked as a
/// new optimizer is. Every damaged byte of a current state is refused (its
/// checksum).
pub(crate) fn decode(bytes: &[u8]) -> PyResult<(Settings, Engine)> {
    let bad =
        |why: String| PyValueError::new_err(format!("not a dopamine_py optimizer state: {why}"));
    let (settings, state) = if legacy::is_legacy(bytes) {
        legacy::decode(bytes).map_err(bad)?
    } else {
        let pickled: Pickled =
            dopamine_train::decode_state(bytes).map_err(|e| bad(e.to_string()))?;
        let settings: Settings = serde_json::from_str(&pickled.settings)
            .map_err(|e| bad(format!("its settings do not read: {e}")))?;
        (settings, pickled.state)
    };
    let mut engine = settings
        .build()
        .map_err(|e| bad(format!("its settings do not build: {e}")))?;
    with_kernel!(&mut engine, |k| k.load(&state)).map_err(bad)?;
    Ok((settings, engine))
}
