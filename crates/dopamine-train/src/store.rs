//! Checkpoint files on disk: written atomically, rotated, loaded newest-valid-first ([`CheckpointPolicy`], [`save`], [`load_latest`]).
//!
//! A file is named `ckpt-<step, 20 digits>.dpck`. It is written to a hidden
//! temporary file in the same folder, flushed to disk (`fsync`), renamed over
//! its final name and the folder is flushed, so a reader sees either the whole
//! new file or none of it, whenever the writer is killed. Only the newest
//! [`CheckpointPolicy::keep`] files are kept, and older ones are deleted only
//! after the new one is in place.
//!
//! A write that fails at any stage ([`WriteStage`]: a full disk, a read-only
//! or vanished folder) returns an error naming the file or folder, removes
//! its temporary file and leaves every earlier checkpoint as it was; what the
//! run does next is [`CheckpointPolicy::on_write_failure`]. A temporary file
//! is never listed or read as a checkpoint, whatever it holds.
//!
//! [`load_latest`] tries the files newest first and returns the first that
//! reads back whole, with the ones it skipped and why; a bad file is never
//! deleted or overwritten by loading.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::checkpoint::Checkpoint;
use crate::error::{CheckpointError, SkippedCheckpoint, SpecError};
use crate::float::Float;

/// Extension of checkpoint files.
const EXTENSION: &str = "dpck";

/// A test hook: pause between writing a checkpoint's temporary file (whole
/// and flushed) and renaming it, so a test can kill the process mid-save.
/// The temporary file reads back as a valid checkpoint during the pause.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PauseBeforeRename {
    /// Pause when writing the checkpoint of this step.
    pub step: u64,
    /// How long.
    pub pause: Duration,
}

/// The stages of writing one checkpoint, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteStage {
    /// Creating the folder (and its parents) when missing.
    CreateDir,
    /// Creating the temporary file.
    Create,
    /// Writing the bytes to the temporary file.
    Write,
    /// Flushing the temporary file to disk (`fsync`).
    Sync,
    /// Renaming the temporary file to the checkpoint's name.
    Rename,
    /// Flushing the folder's entries (the rename) to disk.
    SyncDir,
    /// Deleting checkpoints beyond [`CheckpointPolicy::keep`].
    Rotate,
}

impl WriteStage {
    /// Every stage, in the order a write goes through them.
    pub const ALL: [WriteStage; 7] = [
        WriteStage::CreateDir,
        WriteStage::Create,
        WriteStage::Write,
        WriteStage::Sync,
        WriteStage::Rename,
        WriteStage::SyncDir,
        WriteStage::Rotate,
    ];
}

impl fmt::Display for WriteStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WriteStage::CreateDir => "creating the folder",
            WriteStage::Create => "creating the temporary file",
            WriteStage::Write => "writing the temporary file",
            WriteStage::Sync => "flushing the temporary file",
            WriteStage::Rename => "renaming the temporary file",
            WriteStage::SyncDir => "flushing the folder",
            WriteStage::Rotate => "deleting old checkpoints",
        })
    }
}

/// A test hook: the write of a checkpoint fails at `stage` with the error a
/// full disk or a read-only folder gives, after doing what a real failure
/// at that stage leaves behind (half the bytes written at
/// [`WriteStage::Write`], the whole temporary file at [`WriteStage::Sync`]
/// and [`WriteStage::Rename`], the new file in place at
/// [`WriteStage::SyncDir`] and [`WriteStage::Rotate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InjectedFailure {
    /// Where the write fails.
    pub stage: WriteStage,
    /// Only the checkpoint of this step fails; `None`: every one.
    pub step: Option<u64>,
}

impl InjectedFailure {
    fn error(self, stage: WriteStage, step: u64) -> Option<io::Error> {
        if self.stage != stage || self.step.is_some_and(|s| s != step) {
            return None;
        }
        let kind = match stage {
            WriteStage::Write | WriteStage::Sync => io::ErrorKind::StorageFull,
            _ => io::ErrorKind::ReadOnlyFilesystem,
        };
        Some(io::Error::new(kind, format!("injected failure: {stage}")))
    }
}

/// What a run does when a checkpoint cannot be written.
///
/// Either way the checkpoints already written stay as they were, the
/// failure is reported to the observer
/// ([`crate::Observer::checkpoint_failed`]) and kept in
/// [`crate::RunResult::checkpoint_failures`], with an error naming the file
/// or folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnWriteFailure {
    /// Keep training and try again at the next checkpoint (the default). A
    /// checkpoint is insurance, not the result: the training state in memory
    /// is unharmed by a failed write, a full disk may be freed before the
    /// next one, and stopping would throw away exactly the work since the
    /// last checkpoint that checkpoints exist to keep.
    #[default]
    Continue,
    /// Stop the run with the error (`TrainError::Checkpoint`), for runs that
    /// must never go on without a fresh checkpoint; the trainer still holds
    /// the state, so the caller can save it elsewhere.
    Stop,
}

/// Where, how often and how many checkpoints a run writes.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointPolicy {
    /// The folder (created if missing, also when removed during the run).
    pub dir: PathBuf,
    /// Write one every this many steps (`>= 1`; `u64::MAX` for time only).
    pub every_steps: u64,
    /// Also write one when this many seconds of wall time have passed since
    /// the last (finite, `> 0`). Which steps get a checkpoint then depends
    /// on the clock, the training does not: the checkpoints are snapshots of
    /// the same deterministic run. In a run spread over processes the
    /// writer's clock decides for all ([`crate::Replicas`]).
    pub every_seconds: Option<f64>,
    /// Keep this many newest checkpoints (`>= 1`); older ones are deleted.
    pub keep: usize,
    /// What the run does when a checkpoint cannot be written.
    pub on_write_failure: OnWriteFailure,
    /// Test hook; `None` in real runs.
    pub pause_before_rename: Option<PauseBeforeRename>,
    /// Test hook; `None` in real runs.
    pub inject_failure: Option<InjectedFailure>,
}

impl CheckpointPolicy {
    /// Every `every_steps` steps into `dir`, keeping the newest 3, going on
    /// when a write fails.
    pub fn new(dir: impl Into<PathBuf>, every_steps: u64) -> Self {
        Self {
            dir: dir.into(),
            every_steps,
            every_seconds: None,
            keep: 3,
            on_write_failure: OnWriteFailure::Continue,
            pause_before_rename: None,
            inject_failure: None,
        }
    }

    /// Checks the intervals and the number kept.
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.every_steps == 0 {
            return Err(SpecError::new(
                "every_steps",
                "the checkpoint interval must be >= 1",
            ));
        }
        if self
            .every_seconds
            .is_some_and(|s| !(s.is_finite() && s > 0.0))
        {
            return Err(SpecError::new(
                "every_seconds",
                "the checkpoint interval in seconds must be finite and > 0",
            ));
        }
        if self.keep == 0 {
            return Err(SpecError::new("keep", "checkpoints kept must be >= 1"));
        }
        Ok(())
    }

    fn fail_at(&self, stage: WriteStage, step: u64) -> io::Result<()> {
        match self.inject_failure.and_then(|f| f.error(stage, step)) {
            Some(e) => Err(e),
            None => Ok(()),
        }
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
///
/// Errors: [`CheckpointError::Io`] naming the file or folder of the stage
/// that failed; the temporary file is then removed (when it can be), and no
/// earlier checkpoint has been touched. After a failure at
/// [`WriteStage::SyncDir`] or [`WriteStage::Rotate`] the new file is in
/// place and valid, but the error is still returned: the write was not
/// everything it should be.
pub fn save<T: Float>(
    policy: &CheckpointPolicy,
    checkpoint: &Checkpoint<T>,
) -> Result<PathBuf, CheckpointError> {
    policy
        .validate()
        .map_err(|e| CheckpointError::Invalid(e.to_string()))?;
    let bytes = checkpoint.to_bytes()?;
    let dir = &policy.dir;
    let step = checkpoint.step();
    policy
        .fail_at(WriteStage::CreateDir, step)
        .and_then(|()| fs::create_dir_all(dir))
        .map_err(CheckpointError::io(dir))?;
    let name = file_name(step);
    let path = dir.join(&name);
    let tmp = dir.join(format!(".{name}.tmp"));
    if let Err(e) = write_temporary(policy, step, &tmp, &bytes) {
        // Best effort: a leftover is never read as a checkpoint, and the
        // next successful save deletes it.
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    if let Some(hook) = policy.pause_before_rename {
        if hook.step == step {
            std::thread::sleep(hook.pause);
        }
    }
    if let Err(e) = policy
        .fail_at(WriteStage::Rename, step)
        .and_then(|()| fs::rename(&tmp, &path))
    {
        let _ = fs::remove_file(&tmp);
        return Err(CheckpointError::Io { path, source: e });
    }
    policy
        .fail_at(WriteStage::SyncDir, step)
        .map_err(CheckpointError::io(dir))?;
    sync_dir(dir)?;
    policy
        .fail_at(WriteStage::Rotate, step)
        .map_err(CheckpointError::io(dir))?;
    rotate(dir, step, policy.keep)?;
    Ok(path)
}

/// Creates `tmp`, writes `bytes` and flushes it: the stages
/// [`WriteStage::Create`], [`WriteStage::Write`] and [`WriteStage::Sync`].
fn write_temporary(
    policy: &CheckpointPolicy,
    step: u64,
    tmp: &Path,
    bytes: &[u8],
) -> Result<(), CheckpointError> {
    let io = CheckpointError::io(tmp);
    policy.fail_at(WriteStage::Create, step).map_err(io)?;
    let mut file = File::create(tmp).map_err(CheckpointError::io(tmp))?;
    if let Err(e) = policy.fail_at(WriteStage::Write, step) {
        // What a full disk leaves: part of the file.
        file.write_all(&bytes[..bytes.len() / 2])
            .map_err(CheckpointError::io(tmp))?;
        return Err(CheckpointError::Io {
            path: tmp.to_path_buf(),
            source: e,
        });
    }
    file.write_all(bytes).map_err(CheckpointError::io(tmp))?;
    policy
        .fail_at(WriteStage::Sync, step)
        .and_then(|()| file.sync_all())
        .map_err(CheckpointError::io(tmp))
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
