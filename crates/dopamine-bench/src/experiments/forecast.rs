//! E2 and E3: one-step forecasting of Mackey-Glass and Lorenz-63 with an Elman RNN, teacher-forced and free-running.

use dopamine_nets::{Bptt, Rnn, RnnInit, RnnWorkspace};
use dopamine_tasks::{
    LorenzConfig, MackeyGlassConfig, NormalizationMethod, Series, nrmse, nrmse_scaled,
    one_step_pairs, persistence_forecast, split_by_fractions,
};
use dopamine_train::{
    Budget, Control, Objective, OptimizerKind, OptimizerSpec, Record, RnnObjective, SpecOptions,
    TrainError, TrainSpec, train,
};
use faer::{Mat, MatRef};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::tuning::{Candidate, Tuned, over_tuning_seeds, try_tune};
use crate::config::{ExperimentConfig, FieldError, positive, tuning_grid};
use crate::error::BenchError;
use crate::mode::{ByMode, Mode};
use crate::progress::Progress;

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

/// An ablation row's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AblationResult {
    /// The row's label.
    pub label: String,
    /// The configuration run.
    pub hyperparameters: String,
    /// Forward-pass equivalents per step.
    pub passes_per_step: u64,
    /// Test one-step NRMSE of every evaluation seed.
    pub test: Vec<f64>,
    /// Their median.
    pub median_teacher_forced: f64,
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

/// The data of one experiment, normalised on the training part.
pub struct ForecastData {
    /// The whole normalised series.
    pub series: Series,
    /// Rows of the training part: `0..train_end`.
    pub train_end: usize,
    /// Rows of the validation part: `train_end..val_end`; test: `val_end..`.
    pub val_end: usize,
}

/// A series as a matrix, one row per time step (the models' input form).
fn to_mat(s: &Series) -> Mat<f64> {
    Mat::from_fn(s.len(), s.dim(), |i, j| s.row(i)[j])
}

/// Rows of a matrix as a series; `None` when a value is not finite (a
/// diverged model), which scores as NaN.
fn to_series(m: MatRef<'_, f64>, rows: std::ops::Range<usize>) -> Option<Series> {
    let data: Vec<f64> = rows
        .flat_map(|t| (0..m.ncols()).map(move |j| m[(t, j)]))
        .collect();
    Series::new(m.ncols(), data).ok()
}

impl ForecastData {
    /// Generates, splits and normalises the series.
    pub fn generate(config: &ForecastConfig, mode: Mode) -> Result<Self, BenchError> {
        let n = config.samples.get(mode);
        let raw = match config.system {
            System::MackeyGlass => MackeyGlassConfig::default().generate(n)?,
            System::Lorenz => LorenzConfig::default().generate(n)?,
        };
        let split = split_by_fractions(&raw, config.train_fraction, config.validation_fraction)?;
        let (_, normalizer) = split.normalized(NormalizationMethod::ZScore)?;
        let series = normalizer.transform(&raw)?;
        let train_end = split.train.len();
        let val_end = train_end + split.validation.len();
        Ok(Self {
            series,
            train_end,
            val_end,
        })
    }

    fn rows(&self, start: usize, end: usize) -> Result<Mat<f64>, BenchError> {
        Ok(to_mat(&self.series.slice_rows(start, end)?))
    }

    /// Teacher-forced pairs over rows `start..end`: inputs `x_t`, targets `x_{t+1}`.
    pub fn pairs(&self, start: usize, end: usize) -> Result<(Mat<f64>, Mat<f64>), BenchError> {
        let pairs = one_step_pairs(&self.series.slice_rows(start, end)?)?;
        Ok((to_mat(&pairs.inputs), to_mat(&pairs.targets)))
    }

    /// Forecast origins spread evenly over the test part, leaving room for
    /// `context` rows before and `max_h` rows after.
    fn origins(&self, count: usize, context: usize, max_h: usize) -> Vec<usize> {
        let first = self.val_end.max(context);
        let last = self.series.len().saturating_sub(max_h);
        if last <= first {
            return vec![];
        }
        let count = count.max(1).min(last - first);
        (0..count)
            .map(|i| first + i * (last - first) / count)
            .collect()
    }

    /// The rows `o + offset` for every origin `o`.
    fn at_origins(&self, origins: &[usize], offset: isize) -> Result<Series, BenchError> {
        let rows: Vec<&[f64]> = origins
            .iter()
            .map(|&o| self.series.row((o as isize + offset) as usize))
            .collect();
        Ok(Series::from_rows(&rows)?)
    }
}

/// NRMSE of free-running predictions (one row per origin) against the
/// truth, scaled by the test part's spread; NaN for a diverged model.
fn free_running_nrmse(pred: Option<Series>, truth: &Series, scale: &[f64]) -> f64 {
    pred.and_then(|p| nrmse_scaled(&p, truth, scale).ok())
        .unwrap_or(f64::NAN)
}

/// Test-set errors of one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastScores {
    /// One-step teacher-forced NRMSE on the test part.
    pub teacher_forced: f64,
    /// Free-running NRMSE at each configured horizon.
    pub free_running: Vec<(usize, f64)>,
}

/// Evaluates `net` on rows `start..end` (teacher-forced, one step ahead,
/// with everything before `start` as context) and free-running from origins.
/// NRMSE is [`dopamine_tasks::nrmse`]: RMSE over the standard deviation of
/// rows `start..end`, per dimension, averaged.
pub fn evaluate(
    net: &Rnn<f64>,
    data: &ForecastData,
    start: usize,
    end: usize,
    horizons: &[usize],
    origins: &[usize],
    context: usize,
) -> Result<ForecastScores, BenchError> {
    let mut ws = RnnWorkspace::new(net);
    let (inputs, _) = data.pairs(0, end)?;
    let mut out = Mat::zeros(inputs.nrows(), net.output_dim());
    net.predict(inputs.as_ref(), out.as_mut(), &mut ws)?;
    let truth = data.series.slice_rows(start, end)?;
    let teacher_forced = to_series(out.as_ref(), (start - 1)..(end - 1))
        .and_then(|pred| nrmse(&pred, &truth).ok())
        .unwrap_or(f64::NAN);
    let scale = truth.std_per_dim()?;
    let max_h = horizons.iter().copied().max().unwrap_or(1);
    let mut forecasts = Mat::zeros(max_h, net.output_dim());
    // Per horizon: the prediction at every origin.
    let mut per_h: Vec<Vec<f64>> = vec![Vec::new(); horizons.len()];
    for &o in origins {
        let ctx = data.rows(o - context, o)?;
        net.free_run(ctx.as_ref(), forecasts.as_mut(), &mut ws)?;
        for (k, &h) in horizons.iter().enumerate() {
            per_h[k].extend((0..forecasts.ncols()).map(|j| forecasts[(h - 1, j)]));
        }
    }
    let mut free_running = Vec::new();
    for (k, &h) in horizons.iter().enumerate() {
        let pred = Series::new(net.output_dim(), std::mem::take(&mut per_h[k])).ok();
        let truth = data.at_origins(origins, h as isize - 1)?;
        free_running.push((h, free_running_nrmse(pred, &truth, &scale)));
    }
    Ok(ForecastScores {
        teacher_forced,
        free_running,
    })
}

/// Persistence (next value = last value) on the same test rows and origins,
/// from [`dopamine_tasks::persistence_forecast`].
pub fn persistence(
    data: &ForecastData,
    horizons: &[usize],
    origins: &[usize],
) -> Result<ForecastScores, BenchError> {
    let (start, end) = (data.val_end, data.series.len());
    let pairs = persistence_forecast(&data.series.slice_rows(start - 1, end)?, 1)?;
    let teacher_forced = nrmse(&pairs.inputs, &pairs.targets)?;
    let scale = pairs.targets.std_per_dim()?;
    let last = data.at_origins(origins, -1)?;
    let free_running = horizons
        .iter()
        .map(|&h| {
            let truth = data.at_origins(origins, h as isize - 1)?;
            Ok((h, free_running_nrmse(Some(last.clone()), &truth, &scale)))
        })
        .collect::<Result<_, BenchError>>()?;
    Ok(ForecastScores {
        teacher_forced,
        free_running,
    })
}

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

/// Points per step from which a run with low-rank probes evaluates each
/// step in one population sweep (`Rnn::plan_losses`, one shared product per
/// time step) instead of one point at a time. Measured on the E3 network
/// (H = 16) by `cargo run --release --example population_path`: with 32
/// points (K = 16 antithetic) the sweep takes 0.89x the time of one by one
/// in `f64` (0.65x in `f32`), with 8 points (K = 4) 1.8x (1.95x). Full-rank
/// points never use it: a lockstep sweep reads each point's matrices every
/// step and measured slower than one by one (benchmark B7).
pub const POPULATION_FROM_POINTS: u64 = 32;

/// Snapshots kept along an evaluation run for its test curve.
const SNAPSHOTS: usize = 20;

/// Steps a budget of forward-pass equivalents buys for `spec`.
pub fn steps_for_budget(spec: &OptimizerSpec, budget: u64) -> u64 {
    (budget / spec.passes_per_step()).max(1)
}

/// Trains one seed at the config's pass budget without options and
/// evaluates it; returns the run and the trained network.
pub fn run_one(
    config: &ForecastConfig,
    data: &ForecastData,
    spec: &OptimizerSpec,
    seed: u64,
    mode: Mode,
) -> Result<(ForecastRun, Rnn<f64>), BenchError> {
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

/// Trains one seed with `options` for `budget` and evaluates it; with
/// `test_curve`, also scores 20 snapshots of the weights taken
/// along the run. A run whose optimizer gives up (non-finite losses again
/// and again, a distribution that would overflow) is scored as it stands.
pub fn run_one_with(
    config: &ForecastConfig,
    data: &ForecastData,
    spec: &OptimizerSpec,
    options: &SpecOptions,
    seed: u64,
    budget: RunBudget,
    test_curve: bool,
) -> Result<(ForecastRun, Rnn<f64>), BenchError> {
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
    let population =
        options.rank.is_some() && spec.passes_per_step_with(options) >= POPULATION_FROM_POINTS;
    let mut obj = RnnObjective::new(net, inputs, targets, config.washout, Bptt::Full)?
        .with_population(population);
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
    let mut opt = spec.build_with::<f64>(
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
    let mut snapshots: Vec<(Record, Vec<f64>)> = Vec::new();
    let fraction = |r: &Record| match (budget.forward_equivalents, budget.seconds) {
        (Some(p), _) => (r.forward_passes + r.backward_passes) as f64 / p as f64,
        (_, Some(s)) => r.seconds / s,
        _ => 1.0,
    };
    let mut observer = |r: &Record, o: &mut RnnObjective<f64>| {
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

/// One optimizer's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastResult {
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// The tuning outcome.
    pub tuned: Tuned,
    /// Every evaluation run.
    pub runs: Vec<ForecastRun>,
    /// Median test teacher-forced NRMSE over seeds.
    pub median_teacher_forced: f64,
    /// Median free-running NRMSE per horizon over seeds.
    pub median_free_running: Vec<(usize, f64)>,
    /// Teacher-forced predictions of seed 0 over the first test rows (for plots).
    pub example_teacher_forced: Vec<Vec<f64>>,
    /// Free-running forecast of seed 0 from the first origin (for plots).
    pub example_free_running: Vec<Vec<f64>>,
    /// The same chosen configuration at an equal wall-clock budget (when
    /// the config sets `seconds`).
    #[serde(default)]
    pub wall: Option<WallResult>,
}

/// One optimizer at an equal wall-clock budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WallResult {
    /// The budget in seconds.
    pub seconds: f64,
    /// Every evaluation run (one per core at a time).
    pub runs: Vec<ForecastRun>,
    /// Median test teacher-forced NRMSE over seeds.
    pub median_teacher_forced: f64,
    /// Median forward-pass equivalents a run got in that time.
    pub median_passes: f64,
}

/// The experiment's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastReport {
    /// Experiment name.
    pub name: String,
    /// Persistence on the same test rows and origins.
    pub persistence: ForecastScores,
    /// Per optimizer.
    pub results: Vec<ForecastResult>,
    /// Truth over the plotted window (first test rows).
    pub example_truth: Vec<Vec<f64>>,
    /// Truth from the first origin over the plotted free-running window.
    pub example_truth_free: Vec<Vec<f64>>,
    /// Model parameters.
    pub params: usize,
    /// Ablation rows.
    #[serde(default)]
    pub ablations: Vec<AblationResult>,
}

/// Median in which a NaN (a diverged run) counts as the worst value.
fn median(xs: Vec<f64>) -> f64 {
    let xs: Vec<f64> = xs
        .into_iter()
        .map(|x| if x.is_nan() { f64::INFINITY } else { x })
        .collect();
    crate::stats::median(&xs)
}

const PLOT_ROWS: usize = 200;

/// Training runs the experiment makes in `mode` (for a progress bar).
pub fn run_count(config: &ForecastConfig, mode: Mode) -> u64 {
    config
        .optimizers
        .iter()
        .map(|c| {
            c.grid_size() as u64 * config.tuning_seeds.get(mode)
                + config.seeds.get(mode) * (1 + u64::from(config.seconds.is_some()))
        })
        .sum::<u64>()
        + config.ablations.len() as u64 * config.seeds.get(mode)
}

/// The chosen configuration on every evaluation seed at `seconds` of
/// training, one run per core at a time (nothing else of the experiment
/// runs meanwhile, so runs of this table never share a core). The cosine schedule's length is the steps the equal-pass runs
/// made per second, times `seconds`.
fn wall_runs(
    config: &ForecastConfig,
    data: &ForecastData,
    tuned: &Tuned,
    pass_runs: &[ForecastRun],
    seconds: f64,
    progress: &Progress,
) -> Result<WallResult, BenchError> {
    let rate = crate::stats::median(
        &pass_runs
            .iter()
            .filter_map(|r| r.curve.last())
            .filter(|r| r.seconds > 0.0)
            .map(|r| r.step as f64 / r.seconds)
            .collect::<Vec<f64>>(),
    );
    let steps = if rate.is_finite() {
        (rate * seconds) as u64
    } else {
        1
    };
    // One run per core at a time: rayon's pool has one thread per core and
    // every run is single-threaded.
    let runs: Vec<ForecastRun> = (0..pass_runs.len() as u64)
        .into_par_iter()
        .map(|seed| {
            let r = run_one_with(
                config,
                data,
                &tuned.chosen,
                &tuned.options,
                seed,
                RunBudget::Seconds { seconds, steps },
                true,
            )
            .map(|r| r.0);
            progress.inc(1);
            r
        })
        .collect::<Result<_, BenchError>>()?;
    Ok(WallResult {
        seconds,
        median_teacher_forced: median(runs.iter().map(|r| r.test.teacher_forced).collect()),
        median_passes: crate::stats::median(
            &runs
                .iter()
                .map(|r| {
                    r.curve
                        .last()
                        .map_or(0.0, |c| (c.forward_passes + c.backward_passes) as f64)
                })
                .collect::<Vec<f64>>(),
        ),
        runs,
    })
}

/// Runs the experiment: tune on the validation part, evaluate on the test part.
pub fn run(
    config: &ForecastConfig,
    mode: Mode,
    progress: &Progress,
) -> Result<ForecastReport, BenchError> {
    let data = ForecastData::generate(config, mode)?;
    let max_h = config.horizons.iter().copied().max().unwrap_or(1);
    let origins = data.origins(config.origins, config.context, max_h);
    if origins.is_empty() {
        return Err(BenchError::config(
            &config.name,
            "context",
            "the test part is too short for the horizons and the context",
        ));
    }
    let persistence = persistence(&data, &config.horizons, &origins)?;
    let plot_rows = PLOT_ROWS.min(data.series.len() - data.val_end);
    let first_origin = origins[0];
    let free_len = PLOT_ROWS.min(data.series.len() - first_origin);
    let mut results = Vec::new();
    let mut params = 0;
    for cand in &config.optimizers {
        let passes = RunBudget::Passes(config.budget.get(mode));
        let tuned = try_tune(cand, |spec, options| {
            let scores = over_tuning_seeds(config.tuning_seeds.get(mode), |s| {
                let r = run_one_with(config, &data, spec, options, s, passes, false)
                    .map(|r| r.0.validation);
                progress.inc(1);
                r
            })?;
            Ok(median(scores))
        })?;
        let runs: Vec<(ForecastRun, Rnn<f64>)> = (0..config.seeds.get(mode))
            .into_par_iter()
            .map(|s| {
                let r = run_one_with(
                    config,
                    &data,
                    &tuned.chosen,
                    &tuned.options,
                    s,
                    passes,
                    true,
                );
                progress.inc(1);
                r
            })
            .collect::<Result<_, BenchError>>()?;
        let Some((_, net0)) = runs.first() else {
            return Err(BenchError::config(&config.name, "seeds", "must be >= 1"));
        };
        params = net0.num_params();
        let mut ws = RnnWorkspace::new(net0);
        let (inputs, _) = data.pairs(0, data.val_end + plot_rows + 1)?;
        let mut out = Mat::zeros(inputs.nrows(), net0.output_dim());
        net0.predict(inputs.as_ref(), out.as_mut(), &mut ws)?;
        let example_teacher_forced = (data.val_end - 1..data.val_end - 1 + plot_rows)
            .map(|t| (0..out.ncols()).map(|j| out[(t, j)]).collect())
            .collect();
        let mut free = Mat::zeros(free_len, net0.output_dim());
        net0.free_run(
            data.rows(first_origin - config.context, first_origin)?
                .as_ref(),
            free.as_mut(),
            &mut ws,
        )?;
        let example_free_running = (0..free_len)
            .map(|t| (0..free.ncols()).map(|j| free[(t, j)]).collect())
            .collect();
        let runs: Vec<ForecastRun> = runs.into_iter().map(|r| r.0).collect();
        let wall = match &config.seconds {
            Some(sec) => Some(wall_runs(
                config,
                &data,
                &tuned,
                &runs,
                sec.get(mode),
                progress,
            )?),
            None => None,
        };
        let median_free_running = config
            .horizons
            .iter()
            .enumerate()
            .map(|(k, &h)| {
                (
                    h,
                    median(runs.iter().map(|r| r.test.free_running[k].1).collect()),
                )
            })
            .collect();
        results.push(ForecastResult {
            optimizer: cand.base.kind(),
            median_teacher_forced: median(runs.iter().map(|r| r.test.teacher_forced).collect()),
            median_free_running,
            tuned,
            runs,
            example_teacher_forced,
            example_free_running,
            wall,
        });
    }
    let mut ablations = Vec::new();
    for a in &config.ablations {
        let Some(from) = results.iter().find(|r| r.optimizer == a.from) else {
            continue;
        };
        let chosen = &from.tuned.chosen;
        let spec = a
            .base
            .with_sigma(chosen.sigma().unwrap_or(f64::NAN))
            .with_rate(chosen.rate());
        let test: Vec<f64> = (0..config.seeds.get(mode))
            .into_par_iter()
            .map(|s| {
                let r = run_one_with(
                    config,
                    &data,
                    &spec,
                    &a.options,
                    s,
                    RunBudget::Passes(config.budget.get(mode)),
                    false,
                )
                .map(|r| r.0.test.teacher_forced);
                progress.inc(1);
                r
            })
            .collect::<Result<_, BenchError>>()?;
        let opts = a.options.describe();
        ablations.push(AblationResult {
            label: a.label.clone(),
            hyperparameters: if opts.is_empty() {
                spec.describe()
            } else {
                format!("{} {opts}", spec.describe())
            },
            passes_per_step: spec.passes_per_step_with(&a.options),
            median_teacher_forced: median(test.clone()),
            test,
        });
    }
    Ok(ForecastReport {
        ablations,
        name: config.name.clone(),
        persistence,
        results,
        example_truth: (data.val_end..data.val_end + plot_rows)
            .map(|t| data.series.row(t).to_vec())
            .collect(),
        example_truth_free: (first_origin..first_origin + free_len)
            .map(|t| data.series.row(t).to_vec())
            .collect(),
        params,
    })
}
