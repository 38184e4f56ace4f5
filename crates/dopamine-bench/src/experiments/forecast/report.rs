//! E2's and E3's report: their part of `summary.json`, their sections of `report.md`, the robustness rows of their tuning grids and the training curves of every evaluation run.

use std::fmt::Write as _;
use std::path::Path;

use dopamine_train::OptimizerKind;
use serde::{Deserialize, Serialize};

use super::config::ForecastConfig;
use super::data::ForecastScores;
use super::results::{AblationResult, ForecastReport};
use crate::claims::Robustness;
use crate::config::Precision;
use crate::error::BenchError;
use crate::markdown::{Table, fmt_sig};
use crate::mode::Mode;
use crate::output::{slug, write_curve};

/// E2 / E3 in brief.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForecastSummary {
    /// Experiment.
    pub name: String,
    /// The precision the networks trained in.
    #[serde(default = "Precision::before_the_field")]
    pub precision: Precision,
    /// Model parameters.
    pub params: usize,
    /// Persistence: teacher-forced and per horizon.
    pub persistence: ForecastScores,
    /// Per optimizer.
    pub optimizers: Vec<ForecastOptimizerSummary>,
    /// Ablation rows.
    #[serde(default)]
    pub ablations: Vec<AblationResult>,
}

/// One optimizer's row of an E2 / E3 table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForecastOptimizerSummary {
    /// Optimizer.
    pub optimizer: OptimizerKind,
    /// Chosen hyperparameters (flagged when on the edge of the grid).
    pub hyperparameters: String,
    /// Median test NRMSE, one step, teacher-forced.
    pub teacher_forced: f64,
    /// Median test NRMSE at equal wall time (when run).
    #[serde(default)]
    pub wall_teacher_forced: Option<f64>,
    /// Median forward-pass equivalents in that wall time (when run).
    #[serde(default)]
    pub wall_passes: Option<f64>,
    /// Median free-running NRMSE per horizon.
    pub free_running: Vec<(usize, f64)>,
}

/// The summary of one forecasting experiment's results.
pub fn summarize(f: &ForecastReport) -> ForecastSummary {
    ForecastSummary {
        name: f.name.clone(),
        precision: f.precision,
        params: f.params,
        persistence: f.persistence.clone(),
        ablations: f.ablations.clone(),
        optimizers: f
            .results
            .iter()
            .map(|r| ForecastOptimizerSummary {
                optimizer: r.optimizer,
                hyperparameters: r.tuned.describe_flagged(),
                teacher_forced: r.median_teacher_forced,
                wall_teacher_forced: r.wall.as_ref().map(|w| w.median_teacher_forced),
                wall_passes: r.wall.as_ref().map(|w| w.median_passes),
                free_running: r.median_free_running.clone(),
            })
            .collect(),
    }
}

/// The robustness row of every method's tuning grid.
pub fn robustness(f: &ForecastReport) -> Vec<Robustness> {
    f.results
        .iter()
        .map(|r| Robustness::of(&f.name, r.optimizer, &r.tuned))
        .collect()
}

/// Every evaluation run's training curve, under `curves/`.
pub fn write_curves(out: &Path, f: &ForecastReport) -> Result<(), BenchError> {
    for r in &f.results {
        for run in &r.runs {
            let path = out.join(format!(
                "curves/{}_{}_seed{}.csv",
                f.name,
                slug(r.optimizer),
                run.seed
            ));
            write_curve(&path, &run.curve)?;
        }
    }
    Ok(())
}

/// The experiment's section of `report.md`: its table (persistence and
/// every method) and its ablation rows.
pub fn section(f: &ForecastSummary, cfg: &ForecastConfig, mode: Mode) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## {}\n\nElman RNN in {}, H = {} ({} parameters), one step ahead, teacher-forced, washout {}; {} samples split {:.0}/{:.0}/{:.0}% in time order, z-scored on the training part. Budget {} forward-pass equivalents per run (every evaluation counted: a gradient step costs 2, forward + backward; a Dopamine step with K antithetic probes and no baseline 2K; OpenES 2K; SNES its population); {} evaluation seeds; every method tuned on the validation part with {} tuning seed(s) over a grid of {} configurations per method (its axes are in the robustness table: learning rate x sigma or momentum / beta1, times the variants of the step where the config lists some, each variant's settings shown in the pick; chosen one shown, flagged on the edge of a numeric axis).{} NRMSE = RMSE / standard deviation of the target over the test part, per dimension, averaged. Free-running: from {} origins in the test part, {} teacher-forced context steps, then outputs fed back; NRMSE of the h-th prediction.\n",
        f.name,
        f.precision.name(),
        cfg.hidden,
        f.params,
        cfg.washout,
        cfg.samples.get(mode),
        100.0 * cfg.train_fraction,
        100.0 * cfg.validation_fraction,
        100.0 * (1.0 - cfg.train_fraction - cfg.validation_fraction),
        cfg.budget.get(mode),
        cfg.seeds.get(mode),
        cfg.tuning_seeds.get(mode),
        cfg.optimizers.first().map_or(0, |c| c.grid_size()),
        cfg.seconds.as_ref().map_or(String::new(), |sec| format!(
            " Equal wall time: the same chosen configurations train for {} s per seed, one run per core at a time, nothing else of the experiment running meanwhile; the schedule's length is the steps the method made per second at equal passes.",
            sec.get(mode)
        )),
        cfg.origins,
        cfg.context
    );
    let mut headers = vec![
        "model".to_string(),
        "hyperparameters".into(),
        "test NRMSE (1 step, TF)".into(),
    ];
    headers.extend(
        f.persistence
            .free_running
            .iter()
            .map(|(h, _)| format!("free-running h={h}")),
    );
    let timed = f.optimizers.iter().any(|o| o.wall_teacher_forced.is_some());
    if timed {
        headers.push("test NRMSE, equal wall time".into());
        headers.push("passes in that time".into());
    }
    let mut t = Table::new(headers);
    let mut row = vec![
        "persistence".to_string(),
        "-".into(),
        fmt_sig(f.persistence.teacher_forced, 3),
    ];
    row.extend(
        f.persistence
            .free_running
            .iter()
            .map(|(_, v)| fmt_sig(*v, 3)),
    );
    if timed {
        row.extend(["-".to_string(), "-".to_string()]);
    }
    t.row(row);
    for o in &f.optimizers {
        let mut row = vec![
            o.optimizer.to_string(),
            o.hyperparameters.clone(),
            fmt_sig(o.teacher_forced, 3),
        ];
        row.extend(o.free_running.iter().map(|(_, v)| fmt_sig(*v, 3)));
        if timed {
            row.push(o.wall_teacher_forced.map_or("-".into(), |v| fmt_sig(v, 3)));
            row.push(o.wall_passes.map_or("-".into(), |v| fmt_sig(v, 3)));
        }
        t.row(row);
    }
    let _ = writeln!(md, "{}", t.render());
    if !f.ablations.is_empty() {
        let _ = writeln!(
            md,
            "Ablations on {}: each row changes one knob of a tuned Dopamine configuration (its sigma and eta are the tuned ones, not re-tuned), same budget in forward passes, same evaluation seeds.\n",
            f.name
        );
        let mut t = Table::new([
            "variant",
            "configuration",
            "passes per step",
            "test NRMSE (1 step, TF), median",
        ]);
        for a in &f.ablations {
            t.row([
                a.label.clone(),
                a.hyperparameters.clone(),
                a.passes_per_step.to_string(),
                fmt_sig(a.median_teacher_forced, 3),
            ]);
        }
        let _ = writeln!(md, "{}", t.render());
    }
    md
}
