//! E5's settings (`configs/scaling.json`): the hidden sizes, the gradient-alignment measurement and the forecasting protocol run at each size, and their checks.

use serde::{Deserialize, Serialize};

use crate::config::{ExperimentConfig, FieldError, positive};
use crate::experiments::forecast::ForecastConfig;
use crate::mode::ByMode;

/// The built-in config of E5 (`crates/dopamine-bench/configs/scaling.json`).
pub const SCALING_CONFIG: &str = include_str!("../../../configs/scaling.json");

/// Settings of E5, as in `configs/scaling.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingConfig {
    /// Experiment name (used in file names).
    pub name: String,
    /// The RNN hidden sizes H, in increasing order.
    pub hidden_sizes: Vec<usize>,
    /// The cosine of one update's estimate with the BPTT gradient.
    pub alignment: AlignmentConfig,
    /// The forecasting protocol (E2's) run at every hidden size: its
    /// `hidden` is replaced by each of `hidden_sizes`; its optimizers and
    /// grids are the methods compared at equal passes.
    pub forecast: ForecastConfig,
}

/// How the estimates' alignment with the gradient is measured: at the
/// initial weights and after `mid_fraction` of the forecast budget of Adam
/// training (the same weights for every rule), on the training part, in
/// `f64`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlignmentConfig {
    /// Network seeds `0..seeds` (one estimate of each rule per seed and point).
    pub seeds: ByMode<u64>,
    /// The fraction of the forecast budget Adam trains for before the
    /// mid-training point, in `(0, 1)`.
    pub mid_fraction: f64,
    /// Adam's learning rate for that training.
    pub adam_lr: f64,
    /// The weight-perturbation noise scale of Dopamine-1's probe.
    pub dopamine1_sigma: f64,
    /// The neuron-noise scale of Dopamine-3.
    pub dopamine3_sigma: f64,
    /// Dopamine-3's eligibility-trace decay, in `[0, 1)`.
    pub dopamine3_lambda: f64,
    /// OpenES's noise scale.
    pub openes_sigma: f64,
    /// OpenES's antithetic pairs (its population is twice this).
    pub openes_pairs: u32,
}

impl ExperimentConfig for ScalingConfig {
    fn check(&self) -> Result<(), FieldError> {
        if self.hidden_sizes.is_empty() {
            return Err(FieldError::new("hidden_sizes", "needs at least one size"));
        }
        if let Some(i) = self.hidden_sizes.iter().position(|&h| h == 0) {
            return Err(FieldError::new(
                format!("hidden_sizes[{i}]"),
                "must be >= 1",
            ));
        }
        if self.hidden_sizes.windows(2).any(|w| w[0] >= w[1]) {
            return Err(FieldError::new(
                "hidden_sizes",
                "must be strictly increasing",
            ));
        }
        let a = &self.alignment;
        positive("alignment.seeds", &a.seeds)?;
        if !(a.mid_fraction > 0.0 && a.mid_fraction < 1.0) {
            return Err(FieldError::new(
                "alignment.mid_fraction",
                "must be in (0, 1)",
            ));
        }
        for (field, v) in [
            ("alignment.adam_lr", a.adam_lr),
            ("alignment.dopamine1_sigma", a.dopamine1_sigma),
            ("alignment.dopamine3_sigma", a.dopamine3_sigma),
            ("alignment.openes_sigma", a.openes_sigma),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(FieldError::new(field, "must be a finite number > 0"));
            }
        }
        if !(0.0..1.0).contains(&a.dopamine3_lambda) {
            return Err(FieldError::new(
                "alignment.dopamine3_lambda",
                "must be in [0, 1)",
            ));
        }
        if a.openes_pairs == 0 {
            return Err(FieldError::new("alignment.openes_pairs", "must be >= 1"));
        }
        self.forecast
            .check()
            .map_err(|e| FieldError::new(format!("forecast.{}", e.field), e.reason))
    }
}

impl ScalingConfig {
    /// The forecast protocol's settings at hidden size `hidden`.
    pub fn forecast_at(&self, hidden: usize) -> ForecastConfig {
        ForecastConfig {
            name: format!("{}_h{hidden}", self.name),
            hidden,
            ..self.forecast.clone()
        }
    }
}
