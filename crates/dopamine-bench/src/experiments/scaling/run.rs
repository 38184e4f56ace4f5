//! E5's runs: the alignment of each rule's estimate with the gradient at every hidden size (at initialisation and after part of an Adam run), and the forecasting protocol at every hidden size.

use std::time::Instant;

use dopamine_nets::{Rnn, RnnInit};
use dopamine_train::{OptimizerSpec, SpecOptions};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::alignment::{Estimator, Sequence, cosines};
use super::config::ScalingConfig;
use crate::error::BenchError;
use crate::experiments::forecast::{self, ForecastReport, RunBudget, forecast_data, run_one_with};
use crate::mode::Mode;
use crate::progress::Progress;

/// Where along training the estimates are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Point {
    /// The initial weights.
    Init,
    /// The weights after `mid_fraction` of the budget of Adam training.
    Mid,
}

impl Point {
    /// Its name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Point::Init => "initialisation",
            Point::Mid => "mid-training",
        }
    }
}

/// One rule's cosines with the gradient at one hidden size and point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlignmentRow {
    /// Hidden units.
    pub hidden: usize,
    /// Parameters of the network.
    pub params: usize,
    /// Where along training.
    pub point: Point,
    /// The rule.
    pub estimator: Estimator,
    /// Forward passes per estimate.
    pub passes: u64,
    /// One cosine per network seed.
    pub cosines: Vec<f64>,
}

/// The forecasting protocol at one hidden size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingForecast {
    /// Hidden units.
    pub hidden: usize,
    /// The protocol's results (E2's kind).
    pub report: ForecastReport,
    /// Seconds the protocol took at this size.
    pub seconds: f64,
}

/// E5's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingResults {
    /// Passes of Adam training before the mid-training point.
    pub mid_passes: u64,
    /// Every rule, size and point.
    pub alignment: Vec<AlignmentRow>,
    /// Seconds the alignment measurement took.
    pub alignment_seconds: f64,
    /// The protocol at every size.
    pub forecasts: Vec<ScalingForecast>,
}

/// Training runs E5 makes in `mode` (for a progress bar): the Adam runs
/// to the mid-training point and the protocol's runs at every size.
pub fn run_count(config: &ScalingConfig, mode: Mode) -> u64 {
    config
        .hidden_sizes
        .iter()
        .map(|&h| {
            config.alignment.seeds.get(mode) + forecast::run_count(&config.forecast_at(h), mode)
        })
        .sum()
}

/// Passes of Adam training before the mid-training point.
pub fn mid_passes(config: &ScalingConfig, mode: Mode) -> u64 {
    ((config.forecast.budget.get(mode) as f64 * config.alignment.mid_fraction) as u64).max(2)
}

/// Runs E5.
pub fn run(
    config: &ScalingConfig,
    mode: Mode,
    progress: &Progress,
) -> Result<ScalingResults, BenchError> {
    let started = Instant::now();
    let data = forecast_data(&config.forecast, mode)?;
    let (inputs, targets) = data.pairs(0, data.train_end)?;
    let sequence = Sequence {
        inputs: inputs.as_ref(),
        targets: targets.as_ref(),
        washout: config.forecast.washout,
    };
    let settings = &config.alignment;
    let adam: OptimizerSpec =
        serde_json::from_value(serde_json::json!({"kind": "adam", "lr": settings.adam_lr}))
            .map_err(|e| BenchError::config(&config.name, "alignment.adam_lr", e.to_string()))?;
    let mid = mid_passes(config, mode);
    let dim = data.series.dim();
    let jobs: Vec<(usize, u64)> = config
        .hidden_sizes
        .iter()
        .flat_map(|&h| (0..settings.seeds.get(mode)).map(move |s| (h, s)))
        .collect();
    // (hidden, params, seed, cosines at init, cosines mid-training)
    let measured: Vec<(usize, usize, [f64; 3], [f64; 3])> = jobs
        .par_iter()
        .map(|&(hidden, seed)| {
            let at = config.forecast_at(hidden);
            let init = Rnn::<f64>::new(
                dim,
                hidden,
                dim,
                &RnnInit {
                    spectral_radius: at.spectral_radius,
                    seed,
                    ..Default::default()
                },
            )?;
            let before = cosines(&init, sequence, settings, seed)?;
            let (_, trained) = run_one_with::<f64, _>(
                &at,
                &data,
                &adam,
                &SpecOptions::default(),
                seed,
                RunBudget::Passes(mid),
                false,
            )?;
            let after = cosines(&trained, sequence, settings, seed + (1 << 32))?;
            progress.inc(1);
            Ok((hidden, init.num_params(), before, after))
        })
        .collect::<Result<_, BenchError>>()?;
    let mut alignment = Vec::new();
    for &hidden in &config.hidden_sizes {
        let rows: Vec<_> = measured.iter().filter(|m| m.0 == hidden).collect();
        let params = rows.first().map_or(0, |m| m.1);
        for point in [Point::Init, Point::Mid] {
            for (k, estimator) in Estimator::ALL.into_iter().enumerate() {
                alignment.push(AlignmentRow {
                    hidden,
                    params,
                    point,
                    estimator,
                    passes: estimator.passes(settings),
                    cosines: rows
                        .iter()
                        .map(|m| if point == Point::Init { m.2[k] } else { m.3[k] })
                        .collect(),
                });
            }
        }
    }
    let alignment_seconds = started.elapsed().as_secs_f64();
    let mut forecasts = Vec::new();
    for &hidden in &config.hidden_sizes {
        let t = Instant::now();
        let report = forecast::run(&config.forecast_at(hidden), mode, progress)?;
        forecasts.push(ScalingForecast {
            hidden,
            report,
            seconds: t.elapsed().as_secs_f64(),
        });
    }
    Ok(ScalingResults {
        mid_passes: mid,
        alignment,
        alignment_seconds,
        forecasts,
    })
}
