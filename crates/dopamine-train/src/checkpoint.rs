//! [`Checkpoint`]: the whole state of a run, and its checked, versioned file format.
//!
//! # File format (version 3)
//!
//! | bytes | content |
//! | --- | --- |
//! | 0..8 | magic `DPMNCKPT` |
//! | 8..12 | format version, `u32` little-endian |
//! | 12..20 | payload length in bytes, `u64` little-endian |
//! | 20..24 | CRC-32 (IEEE) of the payload, `u32` little-endian |
//! | 24.. | payload: a [`Checkpoint`] in bincode 2 (`config::standard()`) |
//!
//! The payload starts with the parameters' type (`"f32"` or `"f64"`), read
//! before anything else: a checkpoint of an `f64` run loaded into an `f32`
//! run is a [`CheckpointError::ScalarMismatch`], not garbage. Then the
//! parameters, the optimizer's name and its state (the bytes of
//! [`crate::Optimizer::save_state`], in the state format of
//! [`crate::state`]: checked on its own, so it can be handed around apart
//! from the file) and the trainer's [`TrainState`].
//!
//! Version 2 (release 0.2.0: the same layout, the optimizer's state as bare
//! bincode) is read, its optimizer state sealed as it is read; version 1
//! (the first release: one enum of the built-in optimizers, `f64` only) is
//! refused with [`CheckpointError::UnsupportedVersion`], and so is any
//! version newer than this build's.

use serde::{Deserialize, Serialize};

use crate::error::CheckpointError;
use crate::float::Float;
use crate::record::TrainState;
use crate::state::{config, seal_state};

/// The first eight bytes of every checkpoint file.
pub const MAGIC: [u8; 8] = *b"DPMNCKPT";
/// The format version this build writes (and reads, with version 2).
pub const FORMAT_VERSION: u32 = 3;
/// The oldest format version this build reads (release 0.2.0's).
pub const OLDEST_READABLE_VERSION: u32 = 2;
/// Bytes before the payload: magic, version, payload length, checksum.
pub const HEADER_LEN: usize = 24;

/// Everything needed to continue a run exactly where it stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint<T> {
    /// The parameters' type, `"f32"` or `"f64"` ([`Float::type_name`]).
    pub scalar: String,
    /// The model's flat parameter vector.
    pub params: Vec<T>,
    /// The optimizer's [name](crate::Optimizer::name).
    pub optimizer: String,
    /// The optimizer's state: rule state, learning-rate scale, noise-stream
    /// position (step counter), gradient buffers and rollback copy.
    pub optimizer_state: Vec<u8>,
    /// The trainer: its spec, the records so far, running counters and
    /// elapsed seconds.
    pub state: TrainState,
}

impl<T: Float> Checkpoint<T> {
    /// The number of steps the checkpointed run had completed.
    pub fn step(&self) -> u64 {
        self.state.current.step
    }

    /// Refuses non-finite parameters and a type name that is not `T`'s.
    pub fn validate(&self) -> Result<(), CheckpointError> {
        if self.scalar != T::type_name() {
            return Err(CheckpointError::ScalarMismatch {
                found: scalar_name(&self.scalar),
                expected: T::type_name(),
            });
        }
        if let Some((index, value)) = self.params.iter().enumerate().find(|(_, w)| !w.is_finite()) {
            return Err(CheckpointError::NonFiniteParameters {
                index,
                value: value.to_f64(),
            });
        }
        Ok(())
    }

    /// The whole file: header and payload. Refuses an invalid checkpoint
    /// (non-finite parameters above all).
    pub fn to_bytes(&self) -> Result<Vec<u8>, CheckpointError> {
        self.validate()?;
        let payload = bincode::serde::encode_to_vec(self, config())
            .map_err(|e| CheckpointError::Encode(e.to_string()))?;
        let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
        bytes.extend_from_slice(&MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        bytes.extend_from_slice(&payload);
        Ok(bytes)
    }

    /// Reads a whole file's bytes back, checking magic, version, length and
    /// checksum before decoding, the parameters' type first, and the decoded
    /// state after.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CheckpointError> {
        let (version, payload) = checked_payload(bytes)?;
        let (scalar, _): (String, usize) = bincode::serde::decode_from_slice(payload, config())
            .map_err(|e| CheckpointError::Decode(e.to_string()))?;
        if scalar != T::type_name() {
            return Err(CheckpointError::ScalarMismatch {
                found: scalar_name(&scalar),
                expected: T::type_name(),
            });
        }
        let (mut checkpoint, used): (Self, usize) =
            bincode::serde::decode_from_slice(payload, config())
                .map_err(|e| CheckpointError::Decode(e.to_string()))?;
        if used != payload.len() {
            return Err(CheckpointError::Decode(format!(
                "{} of {} payload bytes left over",
                payload.len() - used,
                payload.len()
            )));
        }
        if version == 2 {
            // Release 0.2.0 stored the optimizer's state as bare bincode,
            // covered by the file's checksum.
            checkpoint.optimizer_state = seal_state(&checkpoint.optimizer_state);
        }
        checkpoint.validate()?;
        Ok(checkpoint)
    }
}

/// The name of a type found in a file, as a static string.
fn scalar_name(found: &str) -> &'static str {
    match found {
        "f32" => "f32",
        "f64" => "f64",
        _ => "an unknown type",
    }
}

/// The format version and payload of a file whose header checks out.
fn checked_payload(bytes: &[u8]) -> Result<(u32, &[u8]), CheckpointError> {
    let found = bytes.len() as u64;
    let Some((header, payload)) = bytes.split_at_checked(HEADER_LEN) else {
        return Err(CheckpointError::Truncated {
            expected: HEADER_LEN as u64,
            found,
        });
    };
    let mut magic = [0u8; 8];
    magic.copy_from_slice(&header[0..8]);
    if magic != MAGIC {
        return Err(CheckpointError::BadMagic { found: magic });
    }
    let word = |range: std::ops::Range<usize>| {
        let mut b = [0u8; 8];
        b[..range.len()].copy_from_slice(&header[range]);
        u64::from_le_bytes(b)
    };
    let version = word(8..12) as u32;
    if !(OLDEST_READABLE_VERSION..=FORMAT_VERSION).contains(&version) {
        return Err(CheckpointError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let len = word(12..20);
    let stored = word(20..24) as u32;
    let have = payload.len() as u64;
    if have < len {
        return Err(CheckpointError::Truncated {
            expected: (HEADER_LEN as u64).saturating_add(len),
            found,
        });
    }
    if have > len {
        return Err(CheckpointError::TrailingBytes { extra: have - len });
    }
    let computed = crc32fast::hash(payload);
    if computed != stored {
        return Err(CheckpointError::ChecksumMismatch { stored, computed });
    }
    Ok((version, payload))
}
