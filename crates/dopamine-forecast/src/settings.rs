//! What a forecasting run needs to know ([`RunSettings`]), the settings of the protocol on a user's series ([`ForecastSettings`]), and its defaults ([`Defaults`], from `defaults.json`: the lab's E2 settings and tuning grids).

use dopamine_train::OptimizerKind;
use dopamine_train::tuning::Candidate;
use serde::{Deserialize, Serialize};

/// The default protocol, as `crates/dopamine-forecast/defaults.json` writes
/// it: the lab's E2 (Mackey-Glass) settings and its tuning grids. The lab's
/// `configs/mackey_glass.json` is tested to agree with it.
pub const DEFAULTS_JSON: &str = include_str!("../defaults.json");

/// What one training run of the protocol reads from its settings. The lab's
/// experiment configs and [`ForecastSettings`] implement it.
pub trait RunSettings: Sync {
    /// RNN hidden units.
    fn hidden(&self) -> usize;
    /// Spectral radius of the initial recurrent matrix.
    fn spectral_radius(&self) -> f64;
    /// Leading steps of the training sequence excluded from the loss.
    fn washout(&self) -> usize;
    /// Record the training loss every this many steps.
    fn record_every(&self) -> u64;
    /// Free-running horizons to score on the test part (none: no
    /// free-running score).
    fn horizons(&self) -> &[usize] {
        &[]
    }
    /// Forecast origins in the test part for the free-running scores.
    fn origins(&self) -> usize {
        0
    }
    /// Teacher-forced context before each origin.
    fn context(&self) -> usize {
        0
    }
}

/// The protocol's settings on a user's series: the split and the model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForecastSettings {
    /// Fraction of the rows that trains (the first part).
    pub train_fraction: f64,
    /// Fraction that validates (the middle part); the rest is the test part.
    pub validation_fraction: f64,
    /// RNN hidden units.
    pub hidden: usize,
    /// Spectral radius of the initial recurrent matrix.
    pub spectral_radius: f64,
    /// Leading steps of the training sequence excluded from the loss.
    pub washout: usize,
    /// Record the training loss every this many steps.
    pub record_every: u64,
}

impl RunSettings for ForecastSettings {
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
}

/// The default protocol: the settings, the budgets, the seeds and a tuning
/// grid per optimizer (every grid the same size).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Fraction of the rows that trains.
    pub train_fraction: f64,
    /// Fraction that validates.
    pub validation_fraction: f64,
    /// RNN hidden units.
    pub hidden: usize,
    /// Spectral radius of the initial recurrent matrix.
    pub spectral_radius: f64,
    /// Leading training steps excluded from the loss.
    pub washout: usize,
    /// Record the training loss every this many steps.
    pub record_every: u64,
    /// Forward-pass equivalents per run.
    pub passes: u64,
    /// Forward-pass equivalents per run of a quick comparison.
    pub quick_passes: u64,
    /// Evaluation seeds `0..seeds`.
    pub seeds: u64,
    /// Tuning seeds (`TUNING_SEED_BASE..`), each grid cell scored by the
    /// median over them.
    pub tuning_seeds: u64,
    /// The tuning grid of every optimizer that has one.
    pub optimizers: Vec<Candidate>,
}

impl Defaults {
    /// The built-in defaults ([`DEFAULTS_JSON`]), checked by a test.
    pub fn builtin() -> Defaults {
        // The file is part of the crate and parsed by its tests.
        serde_json::from_str(DEFAULTS_JSON)
            .unwrap_or_else(|e| unreachable!("defaults.json is checked by the crate's tests: {e}"))
    }

    /// The settings part.
    pub fn settings(&self) -> ForecastSettings {
        ForecastSettings {
            train_fraction: self.train_fraction,
            validation_fraction: self.validation_fraction,
            hidden: self.hidden,
            spectral_radius: self.spectral_radius,
            washout: self.washout,
            record_every: self.record_every,
        }
    }

    /// The default grid of `kind`, if it has one.
    pub fn grid(&self, kind: OptimizerKind) -> Option<&Candidate> {
        self.optimizers.iter().find(|c| c.base.kind() == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dopamine_train::tuning::check_grids;

    #[test]
    fn the_defaults_parse_and_their_grids_are_fair() {
        let d: Defaults = serde_json::from_str(DEFAULTS_JSON).expect("defaults.json parses");
        check_grids(&d.optimizers).expect("equal-size grids that fit their methods");
        assert_eq!(d, Defaults::builtin());
        // One grid per optimizer at most.
        for (i, c) in d.optimizers.iter().enumerate() {
            assert_eq!(
                d.grid(c.base.kind()),
                Some(c),
                "optimizers[{i}] listed twice"
            );
        }
        let s = d.settings();
        assert!(s.train_fraction > 0.0 && s.train_fraction + s.validation_fraction < 1.0);
        assert!(d.seeds >= 1 && d.tuning_seeds >= 1 && d.quick_passes <= d.passes);
    }
}
