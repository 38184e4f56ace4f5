//! E1's runs: XOR with an MLP 2-H-1 (tanh hidden, sigmoid output, MSE, full batch), tuned on held-out seeds and evaluated over many seeds.

use dopamine_nets::{Activation, Loss, Mlp, WeightInit};
use dopamine_tasks::xor;
use dopamine_train::{
    Budget, Control, Float, MlpObjective, Objective, OptimizerKind, OptimizerSpec, Record,
    SpecOptions, TrainError, TrainSpec, train,
};
use faer::{Mat, MatRef};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::config::XorConfig;
use crate::config::Precision;
use crate::error::BenchError;
use crate::experiments::tuning::{Tuned, over_tuning_seeds, try_tune};
use crate::mode::Mode;
use crate::progress::Progress;

/// One run's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct XorRun {
    /// Seed (initialisation and noise).
    pub seed: u64,
    /// Steps to solve, if solved.
    pub steps_to_solve: Option<u64>,
    /// Forward-pass equivalents (forward + backward) to solve, if solved.
    pub passes_to_solve: Option<u64>,
    /// Loss at the end.
    pub final_loss: f64,
}

/// One optimizer on one network size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XorResult {
    /// Hidden units.
    pub hidden: usize,
    /// The precision the networks trained in.
    #[serde(default = "Precision::before_the_field")]
    pub precision: Precision,
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// The tuning outcome (chosen spec and grid scores).
    pub tuned: Tuned,
    /// Every evaluation run.
    pub runs: Vec<XorRun>,
    /// Fraction of runs solved.
    pub success_rate: f64,
    /// Median forward-pass equivalents to solve, over solved runs.
    pub median_passes: Option<f64>,
    /// Median steps to solve, over solved runs.
    pub median_steps: Option<f64>,
    /// Loss curve of seed 0 (every 10 steps).
    pub curve_seed0: Vec<Record>,
}

/// Solved: all four outputs on the right side of 0.5 (a failed forward pass is not solved).
fn solved<T: Float>(outputs: Option<MatRef<'_, T>>, targets: &Mat<T>) -> bool {
    let half = T::from_f64(0.5);
    outputs.is_some_and(|out| {
        (0..targets.nrows()).all(|i| (out[(i, 0)] > half) == (targets[(i, 0)] > half))
    })
}

fn objective<T: Float>(hidden: usize, seed: u64) -> Result<(MlpObjective<T>, Mat<T>), BenchError> {
    let data = xor();
    let to_mat = |s: &dopamine_tasks::Series| {
        Mat::from_fn(s.len(), s.dim(), |i, j| T::from_f64(s.row(i)[j]))
    };
    let inputs = to_mat(&data.inputs);
    let targets = to_mat(&data.targets);
    let net = Mlp::new(
        &[2, hidden, 1],
        &[Activation::Tanh, Activation::Sigmoid],
        WeightInit::Xavier,
        seed,
    )?;
    Ok((
        MlpObjective::new(net, inputs, targets.clone(), Loss::Mse)?,
        targets,
    ))
}

/// One run without options in the precision `T`: [`run_one_with`] with
/// `steps` steps.
pub fn run_one<T: Float>(
    hidden: usize,
    spec: &OptimizerSpec,
    seed: u64,
    steps: u64,
    curve_every: Option<u64>,
) -> Result<(XorRun, Vec<Record>), BenchError> {
    run_one_with::<T>(
        hidden,
        spec,
        &SpecOptions::default(),
        seed,
        steps,
        curve_every,
    )
}

/// The steps a method gets from the budget of `steps` two-pass steps
/// (`2 * steps` forward-pass equivalents; see [`XorConfig::steps`]).
pub fn steps_for(spec: &OptimizerSpec, options: &SpecOptions, steps: u64) -> u64 {
    (2 * steps / spec.passes_per_step_with(options)).max(1)
}

/// One run in the precision `T`: trains until solved or out of steps
/// (`steps` of this method; see [`steps_for`]). A run whose optimizer gives
/// up (a distribution that would overflow, repeated non-finite losses)
/// counts as not solved.
pub fn run_one_with<T: Float>(
    hidden: usize,
    spec: &OptimizerSpec,
    options: &SpecOptions,
    seed: u64,
    steps: u64,
    curve_every: Option<u64>,
) -> Result<(XorRun, Vec<Record>), BenchError> {
    let (mut obj, targets) = objective::<T>(hidden, seed)?;
    let layout = options.rank.and_then(|r| obj.param_layout(r));
    let mut opt =
        spec.build_with::<T>(options, layout.as_ref(), obj.params().len(), seed, steps)?;
    let train_spec = TrainSpec {
        budget: Budget::steps(steps),
        record_every: 1,
        target_loss: None,
        max_consecutive_rejections: 1000,
    };
    let mut solved_at = None;
    let mut curve = Vec::new();
    let mut observer = |rec: &Record, o: &mut MlpObjective<T>| {
        if curve_every.is_some_and(|every| rec.step % every == 0) {
            curve.push(*rec);
        }
        if solved(o.outputs(), &targets) {
            solved_at = Some(*rec);
            return Control::Stop;
        }
        Control::Continue
    };
    match train(&mut obj, opt.as_mut(), &train_spec, &mut observer) {
        Ok(_) | Err(TrainError::Diverged { .. } | TrainError::Optimizer(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let final_loss = obj.loss().to_f64();
    Ok((
        XorRun {
            seed,
            steps_to_solve: solved_at.map(|r| r.step),
            passes_to_solve: solved_at.map(|r| r.forward_passes + r.backward_passes),
            final_loss,
        },
        curve,
    ))
}

/// Median of the solved runs' counts; `None` when no run solved.
fn median(xs: Vec<f64>) -> Option<f64> {
    (!xs.is_empty()).then(|| crate::stats::median(&xs))
}

/// Score for tuning: minus the success rate, with the median passes as a tie-break.
fn tuning_score(runs: &[XorRun], steps: u64) -> f64 {
    let solved: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.passes_to_solve.map(|p| p as f64))
        .collect();
    let rate = solved.len() as f64 / runs.len() as f64;
    let med = median(solved).unwrap_or(4.0 * steps as f64);
    -rate + med / (1e3 * 4.0 * steps as f64)
}

/// Training runs E1 makes in `mode` (for a progress bar).
pub fn run_count(config: &XorConfig, mode: Mode) -> u64 {
    let per_size: u64 = config
        .optimizers
        .iter()
        .map(|c| c.grid_size() as u64 * config.tuning_seeds.get(mode) + config.seeds.get(mode))
        .sum();
    per_size * config.hidden.len() as u64
}

/// Runs E1 in the config's precision: tunes each optimizer on the tuning
/// seeds, then evaluates on the evaluation seeds, in parallel over seeds
/// (results do not depend on the thread count: each run is a pure function
/// of its spec and seed).
pub fn run(
    config: &XorConfig,
    mode: Mode,
    progress: &Progress,
) -> Result<Vec<XorResult>, BenchError> {
    match config.precision {
        Precision::F32 => run_in::<f32>(config, mode, progress),
        Precision::F64 => run_in::<f64>(config, mode, progress),
    }
}

/// [`run`] with networks in `T`.
fn run_in<T: Float>(
    config: &XorConfig,
    mode: Mode,
    progress: &Progress,
) -> Result<Vec<XorResult>, BenchError> {
    let steps = config.steps.get(mode);
    let mut results = Vec::new();
    for &hidden in &config.hidden {
        for cand in &config.optimizers {
            let tuned = try_tune(cand, |spec, options| {
                let n = steps_for(spec, options, steps);
                let runs = over_tuning_seeds(config.tuning_seeds.get(mode), |s| {
                    let r = run_one_with::<T>(hidden, spec, options, s, n, None).map(|r| r.0);
                    progress.inc(1);
                    r
                })?;
                Ok::<_, BenchError>(tuning_score(&runs, steps))
            })?;
            let n = steps_for(&tuned.chosen, &tuned.options, steps);
            let runs: Vec<(XorRun, Vec<Record>)> = (0..config.seeds.get(mode))
                .into_par_iter()
                .map(|s| {
                    let r = run_one_with::<T>(
                        hidden,
                        &tuned.chosen,
                        &tuned.options,
                        s,
                        n,
                        (s == 0).then_some(10),
                    );
                    progress.inc(1);
                    r
                })
                .collect::<Result<_, _>>()?;
            let curve_seed0 = runs.first().map(|r| r.1.clone()).unwrap_or_default();
            let runs: Vec<XorRun> = runs.into_iter().map(|r| r.0).collect();
            let solved: Vec<&XorRun> = runs.iter().filter(|r| r.steps_to_solve.is_some()).collect();
            results.push(XorResult {
                hidden,
                precision: config.precision,
                optimizer: cand.base.kind(),
                success_rate: solved.len() as f64 / runs.len() as f64,
                median_passes: median(
                    solved
                        .iter()
                        .filter_map(|r| r.passes_to_solve.map(|p| p as f64))
                        .collect(),
                ),
                median_steps: median(
                    solved
                        .iter()
                        .filter_map(|r| r.steps_to_solve.map(|p| p as f64))
                        .collect(),
                ),
                tuned,
                runs,
                curve_seed0,
            });
        }
    }
    Ok(results)
}
