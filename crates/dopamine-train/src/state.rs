//! The one format of an optimizer's saved state, for checkpoints and Python pickles alike: a checked envelope (magic, version, length, CRC-32) around bincode 2 of any serde type.
//!
//! # Format (version 1)
//!
//! | bytes | content |
//! | --- | --- |
//! | 0..8 | magic `DPMNSTAT` |
//! | 8..12 | format version, `u32` little-endian |
//! | 12..20 | payload length in bytes, `u64` little-endian |
//! | 20..24 | CRC-32 (IEEE) of bytes 8..20 and the payload, `u32` little-endian |
//! | 24.. | payload: the state in bincode 2 (`config::standard()`) |
//!
//! The checksum covers the version and the length as well as the payload,
//! so every single-bit flip and every truncation of a saved state is
//! refused with a typed [`CheckpointError`] before anything is decoded
//! (tested exhaustively in `tests/state_format.rs`).
//!
//! An [`crate::Optimizer`] saves and restores its own state as bytes, so
//! optimizers defined outside this crate are checkpointed like the built-in
//! ones; [`encode_state`] and [`decode_state`] are all one needs when the
//! state derives `Serialize` and `Deserialize`. States of release 0.2.0
//! were bare bincode (no envelope); a version-2 checkpoint's states are
//! sealed as they are read ([`seal_state`]), since the checkpoint's own
//! checksum covers them.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::CheckpointError;

/// The first eight bytes of every saved optimizer state.
pub const STATE_MAGIC: [u8; 8] = *b"DPMNSTAT";
/// The state format version this build writes and reads.
pub const STATE_VERSION: u32 = 1;
/// Bytes before the payload: magic, version, payload length, checksum.
pub const STATE_HEADER_LEN: usize = 24;

/// The most bytes the decoder will claim for one value (guards against huge
/// lengths in a damaged file).
const DECODE_LIMIT: usize = 1 << 30;

/// The bincode configuration of every checkpoint payload and state.
pub(crate) fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<DECODE_LIMIT>()
}

/// `value` as a sealed state: the envelope around its bincode 2 bytes.
pub fn encode_state<S: Serialize + ?Sized>(value: &S) -> Result<Vec<u8>, CheckpointError> {
    let payload = bincode::serde::encode_to_vec(value, config())
        .map_err(|e| CheckpointError::Encode(e.to_string()))?;
    Ok(seal_state(&payload))
}

/// Reads back what [`encode_state`] wrote: the envelope is checked first,
/// then the payload decoded; every byte must be used.
pub fn decode_state<S: DeserializeOwned>(bytes: &[u8]) -> Result<S, CheckpointError> {
    decode_payload(open_state(bytes)?)
}

/// Decodes bincode 2 bytes that must hold exactly one `S`.
pub(crate) fn decode_payload<S: DeserializeOwned>(payload: &[u8]) -> Result<S, CheckpointError> {
    let (value, used): (S, usize) = bincode::serde::decode_from_slice(payload, config())
        .map_err(|e| CheckpointError::Decode(e.to_string()))?;
    if used != payload.len() {
        return Err(CheckpointError::Decode(format!(
            "{} of {} bytes left over",
            payload.len() - used,
            payload.len()
        )));
    }
    Ok(value)
}

/// The envelope around `payload` (already encoded state bytes).
pub fn seal_state(payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(STATE_HEADER_LEN + payload.len());
    bytes.extend_from_slice(&STATE_MAGIC);
    bytes.extend_from_slice(&STATE_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    let crc = checksum(&bytes[8..20], payload);
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

/// The payload of a sealed state whose envelope checks out: magic,
/// version, length (neither truncated nor followed by extra bytes) and
/// checksum.
pub fn open_state(bytes: &[u8]) -> Result<&[u8], CheckpointError> {
    let found = bytes.len() as u64;
    let Some((header, payload)) = bytes.split_at_checked(STATE_HEADER_LEN) else {
        return Err(CheckpointError::Truncated {
            expected: STATE_HEADER_LEN as u64,
            found,
        });
    };
    let mut magic = [0u8; 8];
    magic.copy_from_slice(&header[0..8]);
    if magic != STATE_MAGIC {
        return Err(CheckpointError::BadMagic { found: magic });
    }
    let word = |range: std::ops::Range<usize>| {
        let mut b = [0u8; 8];
        b[..range.len()].copy_from_slice(&header[range]);
        u64::from_le_bytes(b)
    };
    let stored = word(20..24) as u32;
    let computed = checksum(&header[8..20], payload);
    let version = word(8..12) as u32;
    let len = word(12..20);
    let have = payload.len() as u64;
    if computed != stored {
        // A header that announces more than is there is a cut file, which
        // the length says better than the checksum.
        if version == STATE_VERSION && have < len {
            return Err(CheckpointError::Truncated {
                expected: (STATE_HEADER_LEN as u64).saturating_add(len),
                found,
            });
        }
        return Err(CheckpointError::ChecksumMismatch { stored, computed });
    }
    if version != STATE_VERSION {
        return Err(CheckpointError::UnsupportedVersion {
            found: version,
            supported: STATE_VERSION,
        });
    }
    if have != len {
        return Err(CheckpointError::TrailingBytes {
            extra: have.abs_diff(len),
        });
    }
    Ok(payload)
}

/// CRC-32 of the header's version and length, then the payload.
fn checksum(version_and_len: &[u8], payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(version_and_len);
    h.update(payload);
    h.finalize()
}
