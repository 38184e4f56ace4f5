//! Checkpoints: the whole trainer state in a checked file, written atomically, rotated, loaded newest-valid-first.
//!
//! # File format (version 1)
//!
//! | bytes | content |
//! | --- | --- |
//! | 0..8 | magic `DPMNCKPT` |
//! | 8..12 | format version, `u32` little-endian |
//! | 12..20 | payload length in bytes, `u64` little-endian |
//! | 20..24 | CRC-32 (IEEE) of the payload, `u32` little-endian |
//! | 24.. | payload: a [`Checkpoint`] in bincode 2 (`config::standard()`) |
//!
//! A file is named `ckpt-<step, 20 digits>.dpck`. It is written to a hidden
//! temporary file in the same folder, flushed to disk (`fsync`), renamed over
//! its final name and the folder is flushed, so a reader sees either the whole
//! new file or none of it, whenever the writer is killed. Only the newest
//! [`CheckpointPolicy::keep`] files are kept.
//!
//! [`load_latest`] tries the files newest first and returns the first that
//! reads back whole, with the ones it skipped and why; a bad file is never
//! deleted or overwritten by loading.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::optimizer::Optimizer;
use crate::trainer::TrainState;

/// The first eight bytes of every checkpoint file.
pub const MAGIC: [u8; 8] = *b"DPMNCKPT";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Bytes before the payload: magic, version, payload length, checksum.
pub const HEADER_LEN: usize = 24;
/// Extension of checkpoint files.
const EXTENSION: &str = "dpck";
/// The most bytes the decoder will claim for one payload (guards against
/// huge lengths in a damaged file).
const DECODE_LIMIT: usize = 1 << 30;

/// Everything needed to continue a run exactly where it stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The model's flat parameter vector.
    pub params: Vec<f64>,
    /// The optimizer: its spec and seed, rule state (learning-rate scale,
    /// RPE statistics, traces, counters), the noise-stream position (step
    /// counter) and, for SGD / Adam, velocity, moments, step count and the
    /// rollback copy of the parameters.
    pub optimizer: Optimizer,
    /// The trainer: its spec, the records so far, running counters and
    /// elapsed seconds.
    pub state: TrainState,
}

/// What can go wrong with a checkpoint. Every variant names the problem;
/// none of them is a panic.
#[derive(Debug)]
#[non_exhaustive]
pub enum CheckpointError {
    /// A file or folder could not be read or written.
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The file ends before the header or the payload it announces.
    Truncated {
        /// Bytes the header (or the header's length field) needs.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// The file is longer than header plus announced payload.
    TrailingBytes {
        /// Bytes past the payload.
        extra: u64,
    },
    /// The file does not start with [`MAGIC`]: not a checkpoint.
    BadMagic {
        /// The first bytes found.
        found: [u8; 8],
    },
    /// A format version this build cannot read.
    UnsupportedVersion {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// The payload's checksum does not match: the file is damaged.
    ChecksumMismatch {
        /// Checksum in the header.
        stored: u32,
        /// Checksum of the payload as read.
        computed: u32,
    },
    /// The payload passed the checksum but does not decode.
    Decode(String),
    /// The checkpoint could not be encoded.
    Encode(String),
    /// The payload decodes but is inconsistent (e.g. the optimizer's state
    /// is for another number of parameters).
    Invalid(String),
    /// The parameters hold a NaN or infinite value; such a state is never written.
    NonFiniteParameters {
        /// Index of the first bad value.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A folder holds no checkpoint that reads back whole.
    NoValidCheckpoint {
        /// The folder.
        dir: PathBuf,
        /// The files tried, newest first, and why each was refused.
        skipped: Vec<SkippedCheckpoint>,
    },
}

/// A checkpoint file that [`load_latest`] passed over.
#[derive(Debug)]
pub struct SkippedCheckpoint {
    /// The file.
    pub path: PathBuf,
    /// Why it was refused.
    pub error: CheckpointError,
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            CheckpointError::Truncated { expected, found } => {
                write!(f, "truncated: {found} bytes, expected {expected}")
            }
            CheckpointError::TrailingBytes { extra } => {
                write!(f, "{extra} unexpected bytes after the payload")
            }
            CheckpointError::BadMagic { found } => {
                write!(f, "not a checkpoint (magic bytes {found:02x?})")
            }
            CheckpointError::UnsupportedVersion { found, supported } => write!(
                f,
                "format version {found} is not supported (this build reads version {supported})"
            ),
            CheckpointError::ChecksumMismatch { stored, computed } => write!(
                f,
                "checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): the file is damaged"
            ),
            CheckpointError::Decode(m) => write!(f, "payload does not decode: {m}"),
            CheckpointError::Encode(m) => write!(f, "cannot encode: {m}"),
            CheckpointError::Invalid(m) => write!(f, "inconsistent checkpoint: {m}"),
            CheckpointError::NonFiniteParameters { index, value } => write!(
                f,
                "refusing a checkpoint with non-finite parameters (parameter {index} is {value})"
            ),
            CheckpointError::NoValidCheckpoint { dir, skipped } => {
                write!(f, "no valid checkpoint in {}", dir.display())?;
                for s in skipped {
                    write!(f, "; skipped {}: {}", s.path.display(), s.error)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CheckpointError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> CheckpointError + '_ {
    move |source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn bincode_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<DECODE_LIMIT>()
}

impl Checkpoint {
    /// The number of steps the checkpointed run had completed.
    pub fn step(&self) -> u64 {
        self.state.current.step
    }

    /// Refuses non-finite parameters and an optimizer state that does not
    /// fit the parameters.
    pub fn validate(&self) -> Result<(), CheckpointError> {
        if let Some((index, &value)) = self.params.iter().enumerate().find(|(_, w)| !w.is_finite())
        {
            return Err(CheckpointError::NonFiniteParameters { index, value });
        }
        self.optimizer
            .check_dim(self.params.len())
            .map_err(CheckpointError::Invalid)
    }

    /// The whole file: header and payload. Refuses an invalid checkpoint
    /// (non-finite parameters above all).
    pub fn to_bytes(&self) -> Result<Vec<u8>, CheckpointError> {
        self.validate()?;
        let payload = bincode::serde::encode_to_vec(self, bincode_config())
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
    /// checksum before decoding, and the decoded state after.
    pub fn from_bytes(bytes: &[u8]) -> Result<Checkpoint, CheckpointError> {
        let found = bytes.len() as u64;
        let Some((header, payload)) = bytes.split_at_checked(HEADER_LEN) else {
            return Err(CheckpointError::Truncated {
                expected: HEADER_LEN as u64,
                found,
            });
        };
        let field = |range: std::ops::Range<usize>| &header[range];
        let magic: [u8; 8] = field(0..8).try_into().unwrap_or_default();
        if magic != MAGIC {
            return Err(CheckpointError::BadMagic { found: magic });
        }
        let version = u32::from_le_bytes(field(8..12).try_into().unwrap_or_default());
        if version != FORMAT_VERSION {
            return Err(CheckpointError::UnsupportedVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        let len = u64::from_le_bytes(field(12..20).try_into().unwrap_or_default());
        let stored = u32::from_le_bytes(field(20..24).try_into().unwrap_or_default());
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
        let (checkpoint, used): (Checkpoint, usize) =
            bincode::serde::decode_from_slice(payload, bincode_config())
                .map_err(|e| CheckpointError::Decode(e.to_string()))?;
        if used != payload.len() {
            return Err(CheckpointError::Decode(format!(
                "{} of {} payload bytes left over",
                payload.len() - used,
                payload.len()
            )));
        }
        checkpoint.validate()?;
        Ok(checkpoint)
    }
}

/// A test hook: pause between writing a checkpoint's temporary file and
/// renaming it, so a test can kill the process mid-save.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PauseBeforeRename {
    /// Pause when writing the checkpoint of this step.
    pub step: u64,
    /// How long.
    pub pause: Duration,
}

/// Where, how often and how many checkpoints a run writes.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointPolicy {
    /// The folder (created if missing).
    pub dir: PathBuf,
    /// Write one every this many steps (`>= 1`).
    pub every_steps: u64,
    /// Keep this many newest checkpoints (`>= 1`); older ones are deleted.
    pub keep: usize,
    /// Test hook; `None` in real runs.
    pub pause_before_rename: Option<PauseBeforeRename>,
}

impl CheckpointPolicy {
    /// Every `every_steps` steps into `dir`, keeping the newest 3.
    pub fn new(dir: impl Into<PathBuf>, every_steps: u64) -> Self {
        Self {
            dir: dir.into(),
            every_steps,
            keep: 3,
            pause_before_rename: None,
        }
    }

    /// Checks the interval and the number kept.
    pub fn validate(&self) -> Result<(), String> {
        if self.every_steps == 0 {
            return Err("checkpoint interval (every_steps) must be >= 1".into());
        }
        if self.keep == 0 {
            return Err("checkpoints kept (keep) must be >= 1".into());
        }
        Ok(())
    }
}

/// The file name of the checkpoint of `step`.
pub fn file_name(step: u64) -> String {
    format!("ckpt-{step:020}.{EXTENSION}")
}

fn step_of(name: &str) -> Option<u64> {
    name.strip_prefix("ckpt-")?
        .strip_suffix(&format!(".{EXTENSION}"))?
        .parse()
        .ok()
}

/// The checkpoint files in `dir` with their steps, oldest first.
pub fn list_checkpoints(dir: &Path) -> Result<Vec<(u64, PathBuf)>, CheckpointError> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name();
        if let Some(step) = name.to_str().and_then(step_of) {
            found.push((step, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// Writes `checkpoint` into `policy.dir` atomically (temporary file, fsync,
/// rename, fsync of the folder), then deletes all but the newest
/// `policy.keep` checkpoints up to its step and any temporary file a killed
/// writer left. Refuses non-finite parameters. Returns the file written.
pub fn save(
    policy: &CheckpointPolicy,
    checkpoint: &Checkpoint,
) -> Result<PathBuf, CheckpointError> {
    policy.validate().map_err(CheckpointError::Invalid)?;
    let bytes = checkpoint.to_bytes()?;
    let dir = &policy.dir;
    fs::create_dir_all(dir).map_err(io_error(dir))?;
    let step = checkpoint.step();
    let name = file_name(step);
    let path = dir.join(&name);
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut file = File::create(&tmp).map_err(io_error(&tmp))?;
        file.write_all(&bytes).map_err(io_error(&tmp))?;
        file.sync_all().map_err(io_error(&tmp))?;
    }
    if let Some(hook) = policy.pause_before_rename {
        if hook.step == step {
            std::thread::sleep(hook.pause);
        }
    }
    fs::rename(&tmp, &path).map_err(io_error(&path))?;
    sync_dir(dir)?;
    rotate(dir, step, policy.keep)?;
    Ok(path)
}

/// Flushes a folder's entries (the rename) to disk. Unix only: elsewhere a
/// folder cannot be opened as a file and the rename is all there is.
fn sync_dir(dir: &Path) -> Result<(), CheckpointError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Deletes checkpoints older than the newest `keep` at or before `step`, and
/// stale temporary files. Files of later steps (from a timeline that was
/// resumed from an earlier checkpoint) are left alone.
fn rotate(dir: &Path, step: u64, keep: usize) -> Result<(), CheckpointError> {
    let older: Vec<_> = list_checkpoints(dir)?
        .into_iter()
        .filter(|(s, _)| *s <= step)
        .collect();
    let excess = older.len().saturating_sub(keep);
    for (_, path) in &older[..excess] {
        fs::remove_file(path).map_err(io_error(path))?;
    }
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name();
        let stale = name
            .to_str()
            .is_some_and(|n| n.starts_with(".ckpt-") && n.ends_with(".tmp"));
        if stale {
            let path = entry.path();
            fs::remove_file(&path).map_err(io_error(&path))?;
        }
    }
    Ok(())
}

/// Reads one checkpoint file.
pub fn read_checkpoint(path: &Path) -> Result<Checkpoint, CheckpointError> {
    let bytes = fs::read(path).map_err(io_error(path))?;
    Checkpoint::from_bytes(&bytes)
}

/// The newest checkpoint of a folder that reads back whole.
#[derive(Debug)]
pub struct LoadedCheckpoint {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// Its file.
    pub path: PathBuf,
    /// Newer files that were refused, newest first, with the reason.
    pub skipped: Vec<SkippedCheckpoint>,
}

/// Loads the newest valid checkpoint in `dir`, passing over (and reporting)
/// damaged ones. Errors: the folder cannot be read, or no file in it is valid
/// ([`CheckpointError::NoValidCheckpoint`], listing every file refused).
pub fn load_latest(dir: &Path) -> Result<LoadedCheckpoint, CheckpointError> {
    let mut skipped = Vec::new();
    for (_, path) in list_checkpoints(dir)?.into_iter().rev() {
        match read_checkpoint(&path) {
            Ok(checkpoint) => {
                return Ok(LoadedCheckpoint {
                    checkpoint,
                    path,
                    skipped,
                });
            }
            Err(error) => skipped.push(SkippedCheckpoint { path, error }),
        }
    }
    Err(CheckpointError::NoValidCheckpoint {
        dir: dir.to_path_buf(),
        skipped,
    })
}
