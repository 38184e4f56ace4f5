//! Encoding an optimizer's state for a checkpoint: bincode 2 of any serde type, with typed errors.
//!
//! An [`crate::Optimizer`] saves and restores its own state as bytes, so
//! optimizers defined outside this crate are checkpointed like the built-in
//! ones; [`encode_state`] and [`decode_state`] are all one needs when the
//! state derives `Serialize` and `Deserialize`.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::CheckpointError;

/// The most bytes the decoder will claim for one value (guards against huge
/// lengths in a damaged file).
const DECODE_LIMIT: usize = 1 << 30;

/// The bincode configuration of every checkpoint payload.
pub(crate) fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<DECODE_LIMIT>()
}

/// `value` as bytes (bincode 2, standard configuration).
pub fn encode_state<S: Serialize + ?Sized>(value: &S) -> Result<Vec<u8>, CheckpointError> {
    bincode::serde::encode_to_vec(value, config())
        .map_err(|e| CheckpointError::Encode(e.to_string()))
}

/// Reads back what [`encode_state`] wrote; every byte must be used.
pub fn decode_state<S: DeserializeOwned>(bytes: &[u8]) -> Result<S, CheckpointError> {
    let (value, used): (S, usize) = bincode::serde::decode_from_slice(bytes, config())
        .map_err(|e| CheckpointError::Decode(e.to_string()))?;
    if used != bytes.len() {
        return Err(CheckpointError::Decode(format!(
            "{} of {} bytes left over",
            bytes.len() - used,
            bytes.len()
        )));
    }
    Ok(value)
}
