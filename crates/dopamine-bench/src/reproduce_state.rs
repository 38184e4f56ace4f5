//! Finished experiments of `reproduce`, saved as JSON under `<out>/state/` so that `--resume` skips them.
//!
//! Each file `<out>/state/<experiment>.json` holds the mode, a 64-bit FNV-1a
//! hash (the `fnv` crate) of the experiment's config text, the version of
//! what the experiment measures ([`crate::experiments::Experiment::version`])
//! and the experiment's result. With `--resume`, a result is reused only
//! when its mode, config hash and version match;
//! a missing, unreadable or mismatched file means the experiment runs again
//! (and says why on stderr). A result holding a NaN or infinite number (a
//! diverged run) cannot be read back from JSON, which has no such numbers;
//! such an experiment is rerun on resume.

use std::fs;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use std::hash::Hasher as _;

use crate::error::BenchError;
use crate::mode::Mode;

/// 64-bit FNV-1a hash of a config's text (stable across builds and platforms).
pub fn config_hash(text: &str) -> u64 {
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(text.as_bytes());
    hasher.finish()
}

/// One saved experiment.
#[derive(Serialize, Deserialize)]
struct StageFile<T> {
    experiment: String,
    mode: Mode,
    /// [`config_hash`] in hex (JSON numbers lose precision above 2^53).
    config_hash: String,
    /// The experiment's version (1 in files saved before this field existed).
    #[serde(default = "first_version")]
    version: u32,
    /// Git revision of the code that produced the result ("unknown" in
    /// files saved before this field existed).
    #[serde(default = "unknown_revision")]
    revision: String,
    result: T,
}

fn first_version() -> u32 {
    1
}

fn unknown_revision() -> String {
    crate::machine::UNKNOWN.to_string()
}

/// The `state/` folder of one reproduce run.
#[derive(Debug, Clone)]
pub struct StageStore {
    dir: PathBuf,
    mode: Mode,
    resume: bool,
    revision: String,
    resumed: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

impl StageStore {
    /// The store under `out/state` (created) for `mode`; with `resume`,
    /// saved results are reused.
    ///
    /// `revision` is stored with every saved result, so a report built from
    /// resumed results can say which code produced them.
    pub fn new(out: &Path, mode: Mode, resume: bool, revision: &str) -> Result<Self, BenchError> {
        let dir = out.join("state");
        fs::create_dir_all(&dir).map_err(BenchError::io(&dir))?;
        Ok(Self {
            dir,
            mode,
            resume,
            revision: revision.to_string(),
            resumed: Default::default(),
        })
    }

    /// The experiments reused from saved state so far, with the revision
    /// that produced each.
    pub fn resumed(&self) -> Vec<(String, String)> {
        self.resumed.lock().map(|r| r.clone()).unwrap_or_default()
    }

    fn path(&self, experiment: &str) -> PathBuf {
        self.dir.join(format!("{experiment}.json"))
    }

    /// The saved result of `experiment` if resuming and its mode, config
    /// hash and version match; otherwise `None` (with the reason on stderr
    /// when a file was there but not usable).
    pub fn load<T: DeserializeOwned>(
        &self,
        experiment: &str,
        config_hash: u64,
        version: u32,
    ) -> Option<T> {
        if !self.resume {
            return None;
        }
        let path = self.path(experiment);
        let text = fs::read_to_string(&path).ok()?;
        let why = match serde_json::from_str::<StageFile<T>>(&text) {
            Err(e) => format!("unreadable ({e})"),
            Ok(f) if f.mode != self.mode => format!("saved for mode {:?}", f.mode),
            Ok(f) if f.config_hash != format!("{config_hash:016x}") => {
                "saved for another config".to_string()
            }
            Ok(f) if f.version != version => format!(
                "saved by version {} of the experiment, which now measures as version {version}",
                f.version
            ),
            Ok(f) => {
                if let Ok(mut r) = self.resumed.lock() {
                    r.push((experiment.to_string(), f.revision));
                }
                return Some(f.result);
            }
        };
        eprintln!(
            "[reproduce] {experiment}: not resuming from {}: {why}; running it again",
            path.display()
        );
        None
    }

    /// Saves `result` atomically (temporary file, then rename).
    pub fn save<T: Serialize>(
        &self,
        experiment: &str,
        config_hash: u64,
        version: u32,
        result: &T,
    ) -> Result<(), BenchError> {
        let file = StageFile {
            experiment: experiment.to_string(),
            mode: self.mode,
            config_hash: format!("{config_hash:016x}"),
            version,
            revision: self.revision.clone(),
            result,
        };
        let json = serde_json::to_string(&file)
            .map_err(|e| BenchError::Setup(format!("saving {experiment}: {e}")))?;
        let path = self.path(experiment);
        let tmp = self.dir.join(format!(".{experiment}.json.tmp"));
        fs::write(&tmp, json).map_err(BenchError::io(&tmp))?;
        fs::rename(&tmp, &path).map_err(BenchError::io(&path))?;
        Ok(())
    }

    /// Reuses the saved result of `experiment` (see [`StageStore::load`]) or
    /// runs it and saves what it returns.
    pub fn run<T: Serialize + DeserializeOwned>(
        &self,
        experiment: &str,
        config_hash: u64,
        version: u32,
        run: impl FnOnce() -> Result<T, BenchError>,
    ) -> Result<T, BenchError> {
        if let Some(result) = self.load(experiment, config_hash, version) {
            eprintln!("[reproduce] {experiment}: resumed from saved state");
            return Ok(result);
        }
        let result = run()?;
        self.save(experiment, config_hash, version, &result)?;
        Ok(result)
    }
}
