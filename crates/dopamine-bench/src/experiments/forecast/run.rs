//! One training run of a forecasting experiment: an Elman RNN trained on one seed for a budget of passes or seconds, then scored on the validation and test parts, with a test curve from snapshots of its weights.

use dopamine_nets::{Bptt, Rnn, RnnInit};
use dopamine_train::{
    Budget, Control, Float, Objective, OptimizerSpec, Record, RnnObjective, SpecOptions,
    TrainError, TrainSpec, train,
};
use serde::{Deserialize, Serialize};

use super::config::ForecastConfig;
use super::data::{ForecastData, ForecastScores, cast, evaluate};
use crate::config::Precision;
use crate::error::BenchError;
use crate::mode::Mode;

/// One training run of one seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastRun {
    /// Seed (initialisation and noise).
    pub seed: u64,
    /// The training curve.
    pub curve: Vec<Record>,
    /// Test errors.
    pub test: ForecastScores,
    /// Validation one-step NRMSE.
    pub validation: f64,
    /// Test one-step NRMSE along training (evaluation runs only; empty for
    /// tuning runs): snapshots of the weights, scored after the run, so the
    /// scoring never counts in the training time.
    #[serde(default)]
    pub test_curve: Vec<TestPoint>,
}

/// The test NRMSE of the weights at one point of a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TestPoint {
    /// Training seconds so far.
    pub seconds: f64,
    /// Forward-pass equivalents so far.
    pub passes: u64,
    /// FLOPs so far.
    pub flops: u64,
    /// Test one-step NRMSE (NaN for a diverged model).
    pub nrmse: f64,
}

/// How long a run trains.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RunBudget {
    /// Forward-pass equivalents.
    Passes(u64),
    /// Wall-clock seconds, with the step count the schedule assumes.
    Seconds {
        /// Seconds.
        seconds: f64,
        /// Expected steps (the length of a cosine schedule).
        steps: u64,
    },
}

/// Snapshots kept along an evaluation run for its test curve.
const SNAPSHOTS: usize = 20;

/// Steps a budget of forward-pass equivalents buys for `spec`.
pub fn steps_for_budget(spec: &OptimizerSpec, budget: u64) -> u64 {
    (budget / spec.passes_per_step()).max(1)
}

/// Trains one seed at the config's pass budget without options and
/// evaluates it; returns the run and the trained network (in the precision
/// `T`, which the caller chooses from [`ForecastConfig::precision`]).
pub fn run_one<T: Float>(
    config: &ForecastConfig,
    data: &ForecastData,
    spec: &OptimizerSpec,
    seed: u64,
    mode: Mode,
) -> Result<(ForecastRun, Rnn<T>), BenchError> {
    run_one_with(
        config,
        data,
        spec,
        &SpecOptions::default(),
        seed,
        RunBudget::Passes(config.budget.get(mode)),
        false,
    )
}

/// [`run_one_with`] in the config's precision ([`ForecastConfig::precision`]),
/// without the trained network.
pub fn run_in_precision(
    config: &ForecastConfig,
    data: &ForecastData,
    spec: &OptimizerSpec,
    options: &SpecOptions,
    seed: u64,
    budget: RunBudget,
    test_curve: bool,
) -> Result<ForecastRun, BenchError> {
    let (c, d, o) = (config, data, options);
    match config.precision {
        Precision::F32 => run_one_with::<f32>(c, d, spec, o, seed, budget, test_curve).map(|r| r.0),
        Precision::F64 => run_one_with::<f64>(c, d, spec, o, seed, budget, test_curve).map(|r| r.0),
    }
}

/// Trains one seed with `options` for `budget` in the precision `T` and
/// evaluates it; with `test_curve`, also scores 20 snapshots of the weights
/// taken along the run. Every step of a population method goes through the
/// RNN objective's measured population path (the same results as one point
/// at a time, except the low-rank sweep's rounding where it is the
/// fastest). A run whose optimizer gives up (non-finite losses again and
/// again, a distribution that would overflow) is scored as it stands.
pub fn run_one_with<T: Float>(
    config: &ForecastConfig,
    data: &ForecastData,
    spec: &OptimizerSpec,
    options: &SpecOptions,
    seed: u64,
    budget: RunBudget,
    test_curve: bool,
) -> Result<(ForecastRun, Rnn<T>), BenchError> {
    let d = data.series.dim();
    let net = Rnn::new(
        d,
        config.hidden,
        d,
        &RnnInit {
            spectral_radius: config.spectral_radius,
            seed,
            ..Default::default()
        },
    )?;
    let (inputs, targets) = data.pairs(0, data.train_end)?;
    let mut obj = RnnObjective::new(
        net,
        cast::<T>(&inputs),
        cast::<T>(&targets),
        config.washout,
        Bptt::Full,
    )?;
    let (budget, steps) = match budget {
        RunBudget::Passes(p) => (
            Budget {
                forward_equivalents: Some(p),
                ..Default::default()
            },
            (p / spec.passes_per_step_with(options)).max(1),
        ),
        RunBudget::Seconds { seconds, steps } => (
            Budget {
                seconds: Some(seconds),
                ..Default::default()
            },
            steps.max(1),
        ),
    };
    let layout = options.rank.and_then(|r| obj.param_layout(r));
    let mut opt = spec.build_with::<T>(
        options,
        layout.as_ref(),
        obj.net().num_params(),
        seed,
        steps,
    )?;
    let train_spec = TrainSpec {
        budget,
        record_every: config.record_every,
        target_loss: None,
        max_consecutive_rejections: 200,
    };
    // Snapshots at evenly spaced fractions of the budget.
    let mut snapshots: Vec<(Record, Vec<T>)> = Vec::new();
    let fraction = |r: &Record| match (budget.forward_equivalents, budget.seconds) {
        (Some(p), _) => (r.forward_passes + r.backward_passes) as f64 / p as f64,
        (_, Some(s)) => r.seconds / s,
        _ => 1.0,
    };
    let mut observer = |r: &Record, o: &mut RnnObjective<T>| {
        if test_curve && fraction(r) * SNAPSHOTS as f64 >= (snapshots.len() + 1) as f64 {
            snapshots.push((*r, o.params().to_vec()));
        }
        Control::Continue
    };
    let result = train(&mut obj, opt.as_mut(), &train_spec, &mut observer);
    let curve = match result {
        Ok(r) => r.records,
        // A run that keeps diverging is reported with what it has.
        Err(TrainError::Diverged { .. } | TrainError::Optimizer(_)) => vec![],
        Err(e) => return Err(e.into()),
    };
    let net = obj.net().clone();
    let max_h = config.horizons.iter().copied().max().unwrap_or(1);
    let origins = data.origins(config.origins, config.context, max_h);
    let test = evaluate(
        &net,
        data,
        data.val_end,
        data.series.len(),
        &config.horizons,
        &origins,
        config.context,
    )?;
    let validation = evaluate(
        &net,
        data,
        data.train_end,
        data.val_end,
        &[],
        &[],
        config.context,
    )?
    .teacher_forced;
    let mut points = Vec::with_capacity(snapshots.len() + 1);
    for (r, params) in snapshots {
        let mut at = net.clone();
        at.params_mut().copy_from_slice(&params);
        let nrmse = evaluate(
            &at,
            data,
            data.val_end,
            data.series.len(),
            &[],
            &[],
            config.context,
        )?
        .teacher_forced;
        points.push(TestPoint {
            seconds: r.seconds,
            passes: r.forward_passes + r.backward_passes,
            flops: r.flops,
            nrmse,
        });
    }
    if test_curve {
        if let Some(last) = curve.last() {
            points.push(TestPoint {
                seconds: last.seconds,
                passes: last.forward_passes + last.backward_passes,
                flops: last.flops,
                nrmse: test.teacher_forced,
            });
        }
    }
    Ok((
        ForecastRun {
            seed,
            curve,
            test,
            validation,
            test_curve: points,
        },
        net,
    ))
}
