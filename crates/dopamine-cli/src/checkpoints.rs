//! `fit`'s checkpoints: the folder (`DIR/checkpoints`, written by `dopamine-train`'s store), the policy (by the clock), the run's identity saved beside them so `--resume` refuses another run's checkpoints (`compare` keeps its finished optimizers the same way), and the Ctrl-C flag.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use dopamine_train::CheckpointPolicy;

use crate::error::{CliError, io_error};
use crate::output::{json, write_text};

/// The checkpoints' folder inside a `fit` folder.
pub const CHECKPOINT_DIR: &str = "checkpoints";

/// The run's identity, beside its checkpoints.
const IDENTITY_FILE: &str = "run.json";

/// Seconds between periodic checkpoints. By the clock, not by steps, so
/// a short run writes none (its cost stays within the 5% the command may
/// add) and a long one loses at most this much to a crash.
pub const EVERY_SECONDS: f64 = 60.0;

/// `dir`'s checkpoint folder.
pub fn folder(dir: &Path) -> PathBuf {
    dir.join(CHECKPOINT_DIR)
}

/// The policy: every [`EVERY_SECONDS`] into `folder`, the newest 3 kept, a
/// failed write reported and the run going on.
pub fn policy(folder: &Path) -> CheckpointPolicy {
    let mut policy = CheckpointPolicy::new(folder, u64::MAX);
    policy.every_seconds = Some(EVERY_SECONDS);
    policy
}

/// A fresh run: removes any earlier checkpoints in `folder` (a `--force`
/// over an old fit must not leave them for a later `--resume`) and writes
/// `identity`.
///
/// # Errors
/// A runtime error naming the path.
pub fn start(folder: &Path, identity: &serde_json::Value) -> Result<(), CliError> {
    if folder.exists() {
        std::fs::remove_dir_all(folder).map_err(|e| io_error(folder, "remove", &e))?;
    }
    std::fs::create_dir_all(folder).map_err(|e| io_error(folder, "create the folder", &e))?;
    write_text(&folder.join(IDENTITY_FILE), &json(identity))
}

/// A resumed run: `folder`'s identity must be `identity`.
///
/// # Errors
/// A usage error when there is nothing to resume or another run wrote the
/// checkpoints (naming the first setting that differs).
pub fn check(folder: &Path, identity: &serde_json::Value) -> Result<(), CliError> {
    let path = folder.join(IDENTITY_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        CliError::usage(format!(
            "--resume: no run to resume in `{}` ({e}); start one without --resume",
            folder.display()
        ))
    })?;
    let saved: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| CliError::runtime(format!("`{}` is damaged: {e}", path.display())))?;
    if let (Some(saved), Some(now)) = (saved.as_object(), identity.as_object()) {
        for (key, value) in now {
            if saved.get(key) != Some(value) {
                return Err(CliError::usage(format!(
                    "--resume: what `{}` holds is of another run: its {key} was {}, this command's is {value}; repeat the command that started it",
                    folder.display(),
                    saved.get(key).map_or("missing".into(), ToString::to_string)
                )));
            }
        }
    }
    Ok(())
}

/// A flag Ctrl-C sets (the first press; a run checks it between chunks of
/// steps, saves and stops).
///
/// # Errors
/// A runtime error when the handler cannot be installed.
pub fn interrupt_flag() -> Result<Arc<AtomicBool>, CliError> {
    let flag = Arc::new(AtomicBool::new(false));
    let set = flag.clone();
    ctrlc::set_handler(move || set.store(true, Ordering::SeqCst))
        .map_err(|e| CliError::runtime(format!("cannot handle Ctrl-C: {e}")))?;
    Ok(flag)
}
