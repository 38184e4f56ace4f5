//! E2's and E3's settings (`configs/mackey_glass.json`, `configs/lorenz.json`) and their checks.

use dopamine_forecast::RunSettings;
use dopamine_train::{OptimizerKind, OptimizerSpec, SpecOptions};
use serde::{Deserialize, Serialize};

use crate::config::{ExperimentConfig, FieldError, Precision, positive, tuning_grid};
use crate::experiments::tuning::Candidate;
use crate::mode::ByMode;

/// The built-in config of E2 (`crates/dopamine-bench/configs/mackey_glass.json`).
pub const MACKEY_GLASS_CONFIG: &str = include_str!("../../../configs/mackey_glass.json");
/// The built-in config of E3 (`crates/dopamine-bench/configs/lorenz.json`).
pub const LORENZ_CONFIG: &str = include_str!("../../../configs/lorenz.json");

/// Which dynamical system generates the series (default parameters of `dopamine-tasks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum System {
    /// Mackey-Glass, tau = 17, sampled every 1.0.
    MackeyGlass,
    /// Lorenz-63, sampled every 0.02.
    Lorenz,
}

/// Settings of E2 / E3, as in `configs/mackey_glass.json` and `configs/lorenz.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForecastConfig {
    /// Experiment name (used in file names).
    pub name: String,
    /// The system.
    pub system: System,
    /// Samples generated (train, validation and test together).
    pub samples: ByMode<usize>,
    /// Fraction of the series used for training (the first part).
    pub train_fraction: f64,
    /// Fraction used for validation (the middle part); the rest is the test part.
    pub validation_fraction: f64,
    /// RNN hidden units.
    pub hidden: usize,
    /// The precision of the network, its data and its training (`f32`
    /// when absent); the scores are computed in `f64` from its outputs.
    #[serde(default)]
    pub precision: Precision,
    /// Spectral radius of the initial recurrent matrix.
    pub spectral_radius: f64,
    /// Leading steps of every sequence excluded from the loss.
    pub washout: usize,
    /// Evaluation seeds `0..seeds`.
    pub seeds: ByMode<u64>,
    /// Tuning seeds (`10_000..`).
    pub tuning_seeds: ByMode<u64>,
    /// Training budget in forward-pass equivalents (forward + backward passes).
    pub budget: ByMode<u64>,
    /// Record the training loss every this many steps.
    pub record_every: u64,
    /// Free-running horizons (steps ahead) to report.
    pub horizons: Vec<usize>,
    /// Forecast origins in the test part for free-running error.
    pub origins: usize,
    /// Teacher-forced context before each origin.
    pub context: usize,
    /// Wall-clock budget in seconds of the equal-wall-time runs (none: not
    /// run). Every method's configuration chosen at equal passes trains for
    /// this long on every evaluation seed, one run at a time.
    #[serde(default)]
    pub seconds: Option<ByMode<f64>>,
    /// The optimizers and their tuning grids.
    pub optimizers: Vec<Candidate>,
    /// Ablation rows: variants of a tuned method run on the evaluation seeds
    /// (not re-tuned).
    #[serde(default)]
    pub ablations: Vec<Ablation>,
}

/// An ablation row: `base` with `options`, its sigma and learning rate
/// taken from the configuration chosen for `from`, run on the evaluation
/// seeds at the same pass budget. It is not re-tuned, so it isolates the
/// knob it changes at the tuned method's sigma and eta.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ablation {
    /// The row's label in the report.
    pub label: String,
    /// The variant (its sigma and eta are replaced).
    pub base: OptimizerSpec,
    /// Its options.
    #[serde(default)]
    pub options: SpecOptions,
    /// The tuned method whose sigma and eta it takes.
    pub from: OptimizerKind,
}

/// What one run of the shared protocol reads from the config.
impl RunSettings for ForecastConfig {
    fn hidden(&self) -> usize {
        self.hidden
    }
    fn spectral_radius(&self) -> f64 {
        self.spectral_radius
    }
    fn washout(&self) -> usize {
        self.washout
    }
    fn record_every(&self) -> u64 {
        self.record_every
    }
    fn horizons(&self) -> &[usize] {
        &self.horizons
    }
    fn origins(&self) -> usize {
        self.origins
    }
    fn context(&self) -> usize {
        self.context
    }
}

impl ExperimentConfig for ForecastConfig {
    fn check(&self) -> Result<(), FieldError> {
        for (mode, n) in [("full", self.samples.full), ("quick", self.samples.quick)] {
            if n < 3 {
                return Err(FieldError::new(
                    format!("samples.{mode}"),
                    "needs at least 3 samples (training, validation, test)",
                ));
            }
        }
        let (t, v) = (self.train_fraction, self.validation_fraction);
        if !(t > 0.0 && v > 0.0 && t + v < 1.0) {
            return Err(FieldError::new(
                "train_fraction",
                format!(
                    "training ({t}) and validation ({v}) fractions must be > 0 and leave a test part"
                ),
            ));
        }
        if self.hidden == 0 {
            return Err(FieldError::new("hidden", "must be >= 1"));
        }
        positive("seeds", &self.seeds)?;
        positive("tuning_seeds", &self.tuning_seeds)?;
        positive("budget", &self.budget)?;
        if self.record_every == 0 {
            return Err(FieldError::new("record_every", "must be >= 1"));
        }
        if let Some(i) = self.horizons.iter().position(|&h| h == 0) {
            return Err(FieldError::new(format!("horizons[{i}]"), "must be >= 1"));
        }
        if self.origins == 0 {
            return Err(FieldError::new("origins", "must be >= 1"));
        }
        if let Some(sec) = &self.seconds {
            for (mode, v) in [("full", sec.full), ("quick", sec.quick)] {
                if !(v.is_finite() && v > 0.0) {
                    return Err(FieldError::new(
                        format!("seconds.{mode}"),
                        "must be a finite number of seconds > 0",
                    ));
                }
            }
        }
        tuning_grid(&self.optimizers)?;
        for (i, a) in self.ablations.iter().enumerate() {
            a.options.check(&a.base).map_err(|e| {
                FieldError::new(format!("ablations[{i}].options.{}", e.field), e.reason)
            })?;
            if !self.optimizers.iter().any(|c| c.base.kind() == a.from) {
                return Err(FieldError::new(
                    format!("ablations[{i}].from"),
                    format!("{} is not among the optimizers", a.from),
                ));
            }
            if a.base.sigma().is_none() {
                return Err(FieldError::new(
                    format!("ablations[{i}].base"),
                    "an ablation varies a method with noise (sigma and eta)",
                ));
            }
        }
        Ok(())
    }
}
