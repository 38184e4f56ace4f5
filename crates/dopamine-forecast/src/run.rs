//! One training run of the forecasting protocol: the RNN objective (an Elman RNN on the training part's one-step pairs), trained on one seed for a budget of passes or seconds, then scored on the validation and test parts, with a test curve from snapshots of its weights.

use dopamine_nets::{Bptt, Rnn, RnnInit};
use dopamine_train::{
    Budget, Control, Float, Objective, Optimizer, OptimizerSpec, Record, RnnObjective, SpecOptions,
    TrainError, TrainSpec, train,
};
use serde::{Deserialize, Serialize};

use crate::data::{ForecastData, ForecastScores, cast, evaluate};
use crate::error::ForecastError;
use crate::settings::RunSettings;

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

/// The network of seed `seed`: `d` inputs and outputs (the series'
/// columns), `settings.hidden()` units, the recurrent matrix scaled to
/// `settings.spectral_radius()`, in `T`.
pub fn network<T: Float, C: RunSettings + ?Sized>(
    settings: &C,
    dim: usize,
    seed: u64,
) -> Result<Rnn<T>, ForecastError> {
    Ok(Rnn::new(
        dim,
        settings.hidden(),
        dim,
        &RnnInit {
            spectral_radius: settings.spectral_radius(),
            seed,
            ..Default::default()
        },
    )?)
}

/// The RNN objective of seed `seed`: the [`network`] on the training
/// part's one-step pairs (teacher-forced, the first `settings.washout()`
/// steps excluded from the loss, full BPTT for the gradient methods), in
/// `T`. A population method's steps take the objective's measured
/// population path (one by one, lockstep or the low-rank sweep, whichever
/// the table in `dopamine-nets` says is fastest for the float type, `H` and
/// the number of points).
pub fn objective<T: Float, C: RunSettings + ?Sized>(
    settings: &C,
    data: &ForecastData,
    seed: u64,
) -> Result<RnnObjective<T>, ForecastError> {
    let net = network::<T, C>(settings, data.series.dim(), seed)?;
    let (inputs, targets) = data.pairs(0, data.train_end)?;
    Ok(RnnObjective::new(
        net,
        cast::<T>(&inputs),
        cast::<T>(&targets),
        settings.washout(),
        Bptt::Full,
    )?)
}

/// Trains one seed with `options` for `budget` in the precision `T` and
/// evaluates it (in `T`); with `test_curve`, also scores 20 snapshots of the
/// weights taken along the run. A run whose optimizer gives up (non-finite losses again
/// and again, a distribution that would overflow) is scored as it stands.
pub fn run_one_with<T: Float, C: RunSettings + ?Sized>(
    config: &C,
    data: &ForecastData,
    spec: &OptimizerSpec,
    options: &SpecOptions,
    seed: u64,
    budget: RunBudget,
    test_curve: bool,
) -> Result<(ForecastRun, Rnn<T>), ForecastError> {
    run_one_observed::<T, C>(
        config,
        data,
        spec,
        options,
        seed,
        budget,
        test_curve,
        &mut |_: &Record| Control::Continue,
    )
}

/// The optimizer of a run of seed `seed` on `objective` and the trainer's
/// spec for `budget`, as [`run_one_with`] trains them: the schedule as long
/// as the steps the budget buys (or the expected steps of a time budget), a
/// record every `config.record_every()` steps, 200 rejected steps in a row
/// the most. For a caller that drives the run itself (a
/// [`dopamine_train::Trainer`] with checkpoints).
pub fn run_setup<T: Float, C: RunSettings + ?Sized>(
    config: &C,
    spec: &OptimizerSpec,
    options: &SpecOptions,
    objective: &RnnObjective<T>,
    seed: u64,
    budget: RunBudget,
) -> Result<(Box<dyn Optimizer<T>>, TrainSpec), ForecastError> {
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
    let layout = options.rank.and_then(|r| objective.param_layout(r));
    let opt = spec.build_with::<T>(
        options,
        layout.as_ref(),
        objective.net().num_params(),
        seed,
        steps,
    )?;
    let train_spec = TrainSpec {
        budget,
        record_every: config.record_every(),
        target_loss: None,
        max_consecutive_rejections: 200,
    };
    Ok((opt, train_spec))
}

/// The scores of a trained `net`: the test part's (teacher-forced and at
/// `config.horizons()`) and the validation part's one-step NRMSE.
pub fn score<T: Float, C: RunSettings + ?Sized>(
    config: &C,
    data: &ForecastData,
    net: &Rnn<T>,
) -> Result<(ForecastScores, f64), ForecastError> {
    let max_h = config.horizons().iter().copied().max().unwrap_or(1);
    let origins = data.origins(config.origins(), config.context(), max_h);
    let test = evaluate(
        net,
        data,
        data.val_end,
        data.series.len(),
        config.horizons(),
        &origins,
        config.context(),
    )?;
    let validation = evaluate(
        net,
        data,
        data.train_end,
        data.val_end,
        &[],
        &[],
        config.context(),
    )?
    .teacher_forced;
    Ok((test, validation))
}

/// [`run_one_with`], showing every record of the run (every
/// `config.record_every()` steps) to `progress` as it is taken: a progress
/// display, or a stop flag ([`Control::Stop`] ends the training there, and
/// the run is scored as it stands).
#[expect(
    clippy::too_many_arguments,
    reason = "run_one_with's arguments and the observer; a struct would only rename them"
)]
pub fn run_one_observed<T: Float, C: RunSettings + ?Sized>(
    config: &C,
    data: &ForecastData,
    spec: &OptimizerSpec,
    options: &SpecOptions,
    seed: u64,
    budget: RunBudget,
    test_curve: bool,
    progress: &mut dyn FnMut(&Record) -> Control,
) -> Result<(ForecastRun, Rnn<T>), ForecastError> {
    let mut obj = objective::<T, C>(config, data, seed)?;
    let (mut opt, train_spec) = run_setup::<T, C>(config, spec, options, &obj, seed, budget)?;
    let budget = train_spec.budget;
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
        progress(r)
    };
    let result = train(&mut obj, opt.as_mut(), &train_spec, &mut observer);
    let curve = match result {
        Ok(r) => r.records,
        // A run that keeps diverging is reported with what it has.
        Err(TrainError::Diverged { .. } | TrainError::Optimizer(_)) => vec![],
        Err(e) => return Err(e.into()),
    };
    let net = obj.net().clone();
    let (test, validation) = score(config, data, &net)?;
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
            config.context(),
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
