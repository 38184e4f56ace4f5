//! Checkpoint files on disk: written atomically, rotated, loaded newest-valid-first ([`CheckpointPolicy`], [`save`], [`load_latest`]).
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

use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::checkpoint::Checkpoint;
use crate::error::{CheckpointError, SkippedCheckpoint, SpecError};
use crate::float::Float;

/// Extension of checkpoint files.
const EXTENSION: &str = "dpck";

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
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.every_steps == 0 {
            return Err(SpecError::new(
                "every_steps",
                "the checkpoint interval must be >= 1",
            ));
        }
        if self.keep == 0 {
            return Err(SpecError::new("keep", "checkpoints kept must be >= 1"));
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
    for entry in fs::read_dir(dir).map_err(CheckpointError::io(dir))? {
        let entry = entry.map_err(CheckpointError::io(dir))?;
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
pub fn save<T: Float>(
    policy: &CheckpointPolicy,
    checkpoint: &Checkpoint<T>,
) -> Result<PathBuf, CheckpointError> {
    policy
        .validate()
        .map_err(|e| CheckpointError::Invalid(e.to_string()))?;
    let bytes = checkpoint.to_bytes()?;
    let dir = &policy.dir;
    fs::create_dir_all(dir).map_err(CheckpointError::io(dir))?;
    let step = checkpoint.step();
    let name = file_name(step);
    let path = dir.join(&name);
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut file = File::create(&tmp).map_err(CheckpointError::io(&tmp))?;
        file.write_all(&bytes).map_err(CheckpointError::io(&tmp))?;
        file.sync_all().map_err(CheckpointError::io(&tmp))?;
    }
    if let Some(hook) = policy.pause_before_rename {
        if hook.step == step {
            std::thread::sleep(hook.pause);
        }
    }
    fs::rename(&tmp, &path).map_err(CheckpointError::io(&path))?;
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
        .map_err(CheckpointError::io(dir))?;
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
        fs::remove_file(path).map_err(CheckpointError::io(path))?;
    }
    for entry in fs::read_dir(dir).map_err(CheckpointError::io(dir))? {
        let entry = entry.map_err(CheckpointError::io(dir))?;
        let name = entry.file_name();
        let stale = name
            .to_str()
            .is_some_and(|n| n.starts_with(".ckpt-") && n.ends_with(".tmp"));
        if stale {
            let path = entry.path();
            fs::remove_file(&path).map_err(CheckpointError::io(&path))?;
        }
    }
    Ok(())
}

/// Reads one checkpoint file.
pub fn read_checkpoint<T: Float>(path: &Path) -> Result<Checkpoint<T>, CheckpointError> {
    let bytes = fs::read(path).map_err(CheckpointError::io(path))?;
    Checkpoint::from_bytes(&bytes)
}

/// The newest checkpoint of a folder that reads back whole.
#[derive(Debug)]
pub struct LoadedCheckpoint<T> {
    /// The checkpoint.
    pub checkpoint: Checkpoint<T>,
    /// Its file.
    pub path: PathBuf,
    /// Newer files that were refused, newest first, with the reason.
    pub skipped: Vec<SkippedCheckpoint>,
}

/// Loads the newest valid checkpoint in `dir`, passing over (and reporting)
/// damaged ones. Errors: the folder cannot be read, or no file in it is valid
/// ([`CheckpointError::NoValidCheckpoint`], listing every file refused).
pub fn load_latest<T: Float>(dir: &Path) -> Result<LoadedCheckpoint<T>, CheckpointError> {
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
