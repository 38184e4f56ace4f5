//! The protocol of E2 and E3: every method tuned on the validation part, evaluated on the test part over the evaluation seeds, run again at an equal wall-clock budget, and the ablation rows.

use dopamine_forecast::{ForecastError, median_nan_worst, tune_on_validation};
use dopamine_nets::{Rnn, RnnWorkspace};
use dopamine_train::Float;
use faer::Mat;
use rayon::prelude::*;

use super::config::ForecastConfig;
use super::data::{ForecastData, cast, persistence};
use super::generate::forecast_data;
use super::results::{AblationResult, ForecastReport, ForecastResult, WallResult};
use super::run::{ForecastRun, RunBudget, run_one_with};
use crate::config::Precision;
use crate::error::BenchError;
use crate::experiments::tuning::Tuned;
use crate::mode::Mode;
use crate::progress::Progress;

/// Median in which a NaN (a diverged run) counts as the worst value.
fn median(xs: Vec<f64>) -> f64 {
    median_nan_worst(&xs)
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
/// runs meanwhile, so runs of this table never share a core). The cosine
/// schedule's length is the passes the equal-pass runs made per second,
/// times `seconds`, in steps of `passes_per_step` passes.
fn wall_runs<T: Float>(
    config: &ForecastConfig,
    data: &ForecastData,
    tuned: &Tuned,
    pass_runs: &[ForecastRun],
    seconds: f64,
    progress: &Progress,
) -> Result<WallResult, BenchError> {
    // In passes per second, then in the schedule's steps: a step of
    // Dopamine-3 is one update interval, but its schedule counts sweeps
    // (`passes_per_step` passes each), as the equal-pass runs' schedule does.
    let rate = crate::stats::median(
        &pass_runs
            .iter()
            .filter_map(|r| r.curve.last())
            .filter(|r| r.seconds > 0.0)
            .map(|r| (r.forward_passes + r.backward_passes) as f64 / r.seconds)
            .collect::<Vec<f64>>(),
    );
    let per_step = tuned.chosen.passes_per_step_with(&tuned.options).max(1) as f64;
    let steps = if rate.is_finite() {
        (rate * seconds / per_step) as u64
    } else {
        1
    };
    // One run per core at a time: rayon's pool has one thread per core and
    // every run is single-threaded.
    let runs: Vec<ForecastRun> = (0..pass_runs.len() as u64)
        .into_par_iter()
        .map(|seed| {
            let r = run_one_with::<T, _>(
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
        .collect::<Result<_, ForecastError>>()?;
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

/// Runs the experiment in the config's precision: tune on the validation
/// part, evaluate on the test part.
pub fn run(
    config: &ForecastConfig,
    mode: Mode,
    progress: &Progress,
) -> Result<ForecastReport, BenchError> {
    match config.precision {
        Precision::F32 => run_in::<f32>(config, mode, progress),
        Precision::F64 => run_in::<f64>(config, mode, progress),
    }
}

/// [`run`] with networks in `T`.
fn run_in<T: Float>(
    config: &ForecastConfig,
    mode: Mode,
    progress: &Progress,
) -> Result<ForecastReport, BenchError> {
    let data = forecast_data(config, mode)?;
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
        let tuned = tune_on_validation(cand, config.tuning_seeds.get(mode), |spec, options, s| {
            let r = run_one_with::<T, _>(config, &data, spec, options, s, passes, false)
                .map(|r| r.0.validation);
            progress.inc(1);
            r.map_err(BenchError::from)
        })?;
        let runs: Vec<(ForecastRun, Rnn<T>)> = (0..config.seeds.get(mode))
            .into_par_iter()
            .map(|s| {
                let r = run_one_with::<T, _>(
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
            .collect::<Result<_, ForecastError>>()?;
        let Some((_, net0)) = runs.first() else {
            return Err(BenchError::config(&config.name, "seeds", "must be >= 1"));
        };
        params = net0.num_params();
        let mut ws = RnnWorkspace::new(net0);
        let inputs = cast::<T>(&data.pairs(0, data.val_end + plot_rows + 1)?.0);
        let mut out = Mat::zeros(inputs.nrows(), net0.output_dim());
        net0.predict(inputs.as_ref(), out.as_mut(), &mut ws)?;
        let example_teacher_forced = (data.val_end - 1..data.val_end - 1 + plot_rows)
            .map(|t| (0..out.ncols()).map(|j| out[(t, j)].to_f64()).collect())
            .collect();
        let mut free = Mat::zeros(free_len, net0.output_dim());
        net0.free_run(
            cast::<T>(&data.rows(first_origin - config.context, first_origin)?).as_ref(),
            free.as_mut(),
            &mut ws,
        )?;
        let example_free_running = (0..free_len)
            .map(|t| (0..free.ncols()).map(|j| free[(t, j)].to_f64()).collect())
            .collect();
        let runs: Vec<ForecastRun> = runs.into_iter().map(|r| r.0).collect();
        let wall = match &config.seconds {
            Some(sec) => Some(wall_runs::<T>(
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
                let r = run_one_with::<T, _>(
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
            .collect::<Result<_, ForecastError>>()?;
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
        precision: config.precision,
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
