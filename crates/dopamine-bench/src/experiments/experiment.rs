//! The `Experiment` abstraction: what an experiment is (a config, a run, and an `Outcome` that writes its data, figures, report section and part of the summary and gives the claims their evidence), and the type-erased form the one list holds.
//!
//! An experiment kind implements [`Experiment`] once, with its own config
//! and results types; [`AnyExperiment`] (implemented for every
//! `Experiment`) is what [`EXPERIMENTS`](super::EXPERIMENTS) holds, so
//! `reproduce` is a loop over that list:
//!
//! 1. [`AnyExperiment::prepare`] reads and checks every config first (a bad
//!    config fails before anything runs);
//! 2. [`Prepared::run`] runs each experiment, or reuses its saved result
//!    with `--resume`, and returns its [`Outcome`];
//! 3. the outcomes write their files and report sections and give the
//!    claims their [`Evidence`].

use std::path::Path;
use std::time::Instant;

use dopamine_meter::CountingAllocator;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::claims::{Evidence, Robustness};
use crate::config::{ExperimentConfig, load};
use crate::error::BenchError;
use crate::mode::Mode;
use crate::progress::Progress;
use crate::reproduce::Summary;
use crate::reproduce_state::StageStore;

/// What an experiment's run gets besides its config.
pub struct RunContext<'a> {
    /// Full or quick.
    pub mode: Mode,
    /// The counting allocator, when the binary installed one (E4 then
    /// measures the peak heap).
    pub meter: Option<&'a CountingAllocator>,
    /// The experiment's progress bar (hidden when it reports no run count).
    pub progress: &'a Progress,
}

/// One experiment of the lab: its config file, how it runs and what its
/// results become ([`Outcome`]).
pub trait Experiment: Sync {
    /// Its settings, as its config file holds them.
    type Config: ExperimentConfig;
    /// What a run produces; saved under `<out>/state/` for `--resume`.
    type Results: Serialize + DeserializeOwned;

    /// Its name in saved state and logs: `e1_xor`.
    fn key(&self) -> &'static str;
    /// Its name in progress lines: `E1 XOR`.
    fn title(&self) -> &'static str;
    /// The config's file name (`xor.json`), read from `--configs DIR` when given.
    fn config_file(&self) -> &'static str;
    /// The built-in config text (a file under `crates/dopamine-bench/configs/`).
    fn builtin_config(&self) -> &'static str;
    /// The version of what the experiment measures: bumped when the same
    /// config would now give different results, so that `--resume` does not
    /// reuse results saved by an earlier version.
    fn version(&self) -> u32 {
        1
    }
    /// Training runs it makes in `mode`, for a progress bar (`None`: no bar).
    fn run_count(&self, config: &Self::Config, mode: Mode) -> Option<u64>;
    /// Runs it.
    fn run(
        &self,
        config: &Self::Config,
        context: &RunContext<'_>,
    ) -> Result<Self::Results, BenchError>;
    /// Its results, with the config they came from, ready to report.
    fn outcome(&self, config: Self::Config, results: Self::Results) -> Box<dyn Outcome>;
}

/// A finished experiment: what it writes and what it tells the rest of the report.
pub trait Outcome {
    /// Writes its data files (CSV under `curves/`) into `out`.
    fn write_data(&self, out: &Path) -> Result<(), BenchError>;
    /// Draws its figures under `out/figures/`; returns their PNG paths
    /// relative to `out`, in the order the report lists them.
    fn write_figures(&self, out: &Path) -> Result<Vec<String>, BenchError>;
    /// Its section of `report.md`.
    fn report_section(&self, mode: Mode) -> String;
    /// Puts its numbers into `summary.json`.
    fn summarize(&self, summary: &mut Summary);
    /// Robustness rows of its tuning grids, for the report's robustness table.
    fn robustness(&self) -> Vec<Robustness> {
        Vec::new()
    }
    /// Adds what the claims are judged on.
    fn evidence<'a>(&'a self, evidence: &mut Evidence<'a>) {
        let _ = evidence;
    }
}

/// The lab-wide state a run of the list shares.
pub struct Session<'a> {
    /// Full or quick.
    pub mode: Mode,
    /// The counting allocator, if installed.
    pub meter: Option<&'a CountingAllocator>,
    /// Saved results for `--resume`.
    pub state: &'a StageStore,
    /// When `reproduce` started (for progress lines).
    pub started: Instant,
}

/// Any [`Experiment`], whatever its types: what the list holds.
pub trait AnyExperiment: Sync {
    /// [`Experiment::key`].
    fn key(&self) -> &'static str;
    /// [`Experiment::config_file`].
    fn config_file(&self) -> &'static str;
    /// [`Experiment::builtin_config`].
    fn builtin_config(&self) -> &'static str;
    /// Reads the config from `dir` (the built-in text when `None`) and
    /// checks it; an error names the file and the field.
    fn prepare(&self, dir: Option<&Path>) -> Result<Box<dyn Prepared + '_>, BenchError>;
}

/// An experiment with its config read and checked, ready to run.
pub trait Prepared {
    /// Runs it (or reuses its saved result) and returns its outcome.
    fn run(self: Box<Self>, session: &Session<'_>) -> Result<Box<dyn Outcome>, BenchError>;
}

/// An [`Experiment`] and its checked config.
struct Loaded<'e, E: Experiment> {
    experiment: &'e E,
    config: E::Config,
    config_hash: u64,
}

impl<E: Experiment> AnyExperiment for E {
    fn key(&self) -> &'static str {
        Experiment::key(self)
    }

    fn config_file(&self) -> &'static str {
        Experiment::config_file(self)
    }

    fn builtin_config(&self) -> &'static str {
        Experiment::builtin_config(self)
    }

    fn prepare(&self, dir: Option<&Path>) -> Result<Box<dyn Prepared + '_>, BenchError> {
        let (config, config_hash) = load(dir, self.config_file(), self.builtin_config())?;
        Ok(Box::new(Loaded {
            experiment: self,
            config,
            config_hash,
        }))
    }
}

impl<E: Experiment> Prepared for Loaded<'_, E> {
    fn run(self: Box<Self>, session: &Session<'_>) -> Result<Box<dyn Outcome>, BenchError> {
        let Loaded {
            experiment: e,
            config,
            config_hash,
        } = *self;
        let results = session.state.run(e.key(), config_hash, e.version(), || {
            let so_far = session.started.elapsed().as_secs_f64();
            let runs = e.run_count(&config, session.mode);
            let progress = match runs {
                Some(n) => {
                    eprintln!(
                        "[reproduce] {}: {n} training runs ({so_far:.0} s so far)",
                        e.title()
                    );
                    Progress::new(n, e.title())
                }
                None => {
                    eprintln!("[reproduce] {} ({so_far:.0} s so far)", e.title());
                    Progress::hidden()
                }
            };
            let context = RunContext {
                mode: session.mode,
                meter: session.meter,
                progress: &progress,
            };
            let results = e.run(&config, &context);
            progress.finish();
            results
        })?;
        Ok(e.outcome(config, results))
    }
}
