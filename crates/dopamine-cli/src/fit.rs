//! `dopamine fit`: one optimizer trained on the user's series by the forecasting protocol; writes the model, its scores (`summary.json`, `report.md`) and its test predictions in the data's units (`predictions.csv`).

use std::path::Path;

use std::sync::atomic::{AtomicBool, Ordering};

use dopamine_forecast::{
    Defaults, ForecastData, ForecastSettings, RunBudget, objective, persistence, predict_rows,
    run_one_observed, run_setup, score,
};
use dopamine_train::{
    Control, Float, OptimizerSpec, Record, RnnObjective, SpecOptions, TrainError, Trainer,
    load_latest, store,
};
use serde_json::json;

use crate::args::{FitArgs, Precision};
use crate::checkpoints;
use crate::data::{self, Table};
use crate::error::CliError;
use crate::figures;
use crate::model::{FittedModel, MODEL_FILE, MODEL_FORMAT, weights};
use crate::optimizers;
use crate::output::{json, out_dir, predictions_csv, write_text};
use crate::progress::{Progress, Total};

/// Steps of the probe run that measures the training rate of a
/// `--seconds` run (its schedule's length comes from it).
const PROBE_STEPS: u64 = 50;

/// Chunks a run is trained in; Ctrl-C is looked at between two.
const CHUNKS: u64 = 200;

/// What one fit produced, for its summary.
struct Fitted {
    test: f64,
    validation: f64,
    passes: u64,
    seconds: f64,
    /// The training curve (one record every `record_every` steps).
    curve: Vec<Record>,
    model: FittedModel,
    /// Test-part predictions in the data's units; `None` for a diverged model.
    predictions: Option<dopamine_tasks::Series>,
}

/// Runs `dopamine fit`.
///
/// # Errors
/// A usage error for a bad optimizer, setting, column or folder; a runtime
/// error for a bad file or a failed run.
pub fn run(args: &FitArgs) -> Result<(), CliError> {
    let defaults = Defaults::builtin();
    let settings = args.data.settings(&defaults)?;
    let kind = optimizers::resolve(&args.optimizer)?;
    let (spec, options) =
        optimizers::configure(kind, &defaults, args.config.as_deref(), &args.sets)?;
    let budget = match args.seconds {
        Some(s) if !(s.is_finite() && s > 0.0) => {
            return Err(CliError::usage("--seconds must be a positive number"));
        }
        Some(s) => Total::Seconds(s),
        None => match args.passes.unwrap_or(defaults.passes) {
            0 => return Err(CliError::usage("--passes must be at least 1")),
            p => Total::Passes(p),
        },
    };
    // The folder first: a refused --out costs no reading or training.
    let dir = if args.resume {
        args.data.out.clone()
    } else {
        out_dir(&args.data.out, args.data.force)?
    };
    let identity = json!({
        "data": args.data.data.display().to_string(),
        "columns": args.data.columns,
        "settings": settings,
        "optimizer": spec,
        "options": options,
        "seed": args.seed,
        "precision": args.data.precision.name(),
        "budget": budget_json(budget),
    });
    let folder = checkpoints::folder(&dir);
    if args.resume {
        checkpoints::check(&folder, &identity)?;
    }
    let interrupted = checkpoints::interrupt_flag()?;
    let columns = data::parse_columns(args.data.columns.as_deref());
    let table = data::load(&args.data.data, &columns)?;
    let fdata = data::prepare(&args.data.data, &table, &settings)?;
    let job = Job {
        settings: &settings,
        data: &fdata,
        table: &table,
        spec: &spec,
        options: &options,
        seed: args.seed,
        budget,
        label: kind.name(),
        checkpoints: &folder,
        resume: args.resume,
        interrupted: &interrupted,
    };
    if !args.resume {
        checkpoints::start(&folder, &identity)?;
    }
    let fitted = match args.data.precision {
        Precision::F32 => job.fit::<f32>()?,
        Precision::F64 => job.fit::<f64>()?,
    };
    let floor = persistence(&fdata, &[], &[])
        .map_err(|e| CliError::runtime(format!("persistence: {e}")))?
        .teacher_forced;
    fitted.model.save(&dir.join(MODEL_FILE))?;
    let targets = table
        .series
        .slice_rows(fdata.val_end, table.series.len())
        .map_err(|e| CliError::runtime(e.to_string()))?;
    match &fitted.predictions {
        Some(p) => write_text(
            &dir.join("predictions.csv"),
            &predictions_csv(&table.names, fdata.val_end, &targets, p),
        )?,
        None => eprintln!(
            "warning: the model's test predictions are not finite (the run diverged); no predictions.csv"
        ),
    }
    let summary = json!({
        "command": "fit",
        "data": args.data.data.display().to_string(),
        "columns": table.names,
        "rows": {"train": fdata.train_end, "validation": fdata.val_end - fdata.train_end,
                 "test": table.series.len() - fdata.val_end},
        "optimizer": kind.tag(),
        "settings": spec,
        "options": options,
        "seed": args.seed,
        "precision": args.data.precision.name(),
        "hidden": settings.hidden,
        "washout": settings.washout,
        "test_nrmse": fitted.test,
        "validation_nrmse": fitted.validation,
        "persistence_test_nrmse": floor,
        "budget": budget_json(budget),
        "resumed": args.resume,
        "passes": fitted.passes,
        "seconds": fitted.seconds,
        "revision": crate::REVISION,
        "version": env!("CARGO_PKG_VERSION"),
    });
    write_text(&dir.join("summary.json"), &json(&summary))?;
    for warning in figures::fit_figures(
        &dir,
        kind.name(),
        &fitted.curve,
        &table,
        fdata.val_end,
        &targets,
        fitted.predictions.as_ref(),
    ) {
        eprintln!("warning: {warning}");
    }
    write_text(
        &dir.join("report.md"),
        &report(args, &table, &fdata, kind.name(), &spec, &fitted, floor),
    )?;
    println!(
        "{}: test NRMSE {:.4} (persistence {floor:.4}), validation NRMSE {:.4}, {} passes in {:.2} s; wrote {}",
        kind.name(),
        fitted.test,
        fitted.validation,
        fitted.passes,
        fitted.seconds,
        dir.display()
    );
    Ok(())
}

/// One fit's inputs.
struct Job<'a> {
    settings: &'a ForecastSettings,
    data: &'a ForecastData,
    table: &'a Table,
    spec: &'a OptimizerSpec,
    options: &'a SpecOptions,
    seed: u64,
    budget: Total,
    /// The optimizer's name, for the progress display.
    label: &'a str,
    /// The checkpoints' folder.
    checkpoints: &'a Path,
    /// Whether to continue the run saved there.
    resume: bool,
    /// Set by Ctrl-C.
    interrupted: &'a AtomicBool,
}

/// A budget as the summary and the run's identity write it.
fn budget_json(budget: Total) -> serde_json::Value {
    match budget {
        Total::Passes(p) => json!({"passes": p}),
        Total::Seconds(s) => json!({"seconds": s}),
    }
}

impl Job<'_> {
    /// Trains in `T`, scores, predicts the test part in the data's units.
    fn fit<T: Float>(&self) -> Result<Fitted, CliError> {
        let failed = |e| CliError::runtime(format!("training failed: {e}"));
        let budget = match self.budget {
            Total::Passes(p) => RunBudget::Passes(p),
            Total::Seconds(seconds) => RunBudget::Seconds {
                seconds,
                steps: self.probe_steps::<T>(seconds)?,
            },
        };
        let (curve, net) = self.train::<T>(budget)?;
        let (test, validation) = score(self.settings, self.data, &net).map_err(failed)?;
        let len = self.data.series.len();
        let predictions = predict_rows(&net, self.data, self.data.val_end, len)
            .map_err(|e| CliError::runtime(format!("predicting the test part: {e}")))?
            .map(|p| self.data.normalizer.inverse(&p))
            .transpose()
            .map_err(|e| CliError::runtime(format!("undoing the z-score: {e}")))?;
        let last = curve.last();
        let model = FittedModel {
            format: MODEL_FORMAT.to_string(),
            header: self.table.has_header.then(|| self.table.names.clone()),
            positions: self.table.positions.clone(),
            settings: *self.settings,
            optimizer: serde_json::to_string(self.spec).unwrap_or_default(),
            options: serde_json::to_string(self.options).unwrap_or_default(),
            offset: self.data.normalizer.offset().to_vec(),
            scale: self.data.normalizer.scale().to_vec(),
            weights: weights(net.params()),
        };
        Ok(Fitted {
            test: test.teacher_forced,
            validation,
            passes: last.map_or(0, |r| r.forward_passes + r.backward_passes),
            seconds: last.map_or(0.0, |r| r.seconds),
            curve,
            model,
            predictions,
        })
    }
}

impl Job<'_> {
    /// Trains the network for `budget` with a [`Trainer`] (from the
    /// checkpoint with `resume`), writing checkpoints by the clock and, on
    /// Ctrl-C, one of where it stopped (then a [`CliError::Interrupted`]).
    /// A run that keeps diverging is scored as it stands, as
    /// `run_one_with` does. Returns the training curve and the network.
    fn train<T: Float>(
        &self,
        budget: RunBudget,
    ) -> Result<(Vec<Record>, dopamine_nets::Rnn<T>), CliError> {
        let failed = |e: &dyn std::fmt::Display| CliError::runtime(format!("training failed: {e}"));
        let mut obj =
            objective::<T, _>(self.settings, self.data, self.seed).map_err(|e| failed(&e))?;
        let (opt, train_spec) = run_setup::<T, _>(
            self.settings,
            self.spec,
            self.options,
            &obj,
            self.seed,
            budget,
        )
        .map_err(|e| failed(&e))?;
        let policy = checkpoints::policy(self.checkpoints);
        let trainer = if self.resume {
            let loaded = load_latest::<T>(self.checkpoints).map_err(|e| {
                CliError::runtime(format!(
                    "--resume: no checkpoint to resume in `{}`: {e}",
                    self.checkpoints.display()
                ))
            })?;
            eprintln!(
                "resuming from {} (step {})",
                loaded.path.display(),
                loaded.checkpoint.step()
            );
            Trainer::resume(loaded.checkpoint, opt, &mut obj)
        } else {
            Trainer::new(opt, train_spec)
        };
        let mut trainer = trainer
            .and_then(|t| t.with_checkpoints(policy.clone()))
            .map_err(|e| failed(&e))?;
        let steps = match budget {
            RunBudget::Passes(p) => p / self.spec.passes_per_step_with(self.options),
            RunBudget::Seconds { steps, .. } => steps,
        };
        let chunk = (steps / CHUNKS).max(1);
        let mut progress = Progress::new(self.label, self.budget);
        let mut observer = |r: &Record, _: &mut RnnObjective<T>| {
            progress.observe(r);
            Control::Continue
        };
        let mut until = trainer.state().current.step + chunk;
        let curve = loop {
            match trainer.run_until(&mut obj, until, &mut observer) {
                Ok(Some(result)) => break result.records,
                Ok(None) => {}
                Err(TrainError::Diverged { .. } | TrainError::Optimizer(_)) => break vec![],
                Err(e) => return Err(failed(&e)),
            }
            if self.interrupted.load(Ordering::SeqCst) {
                progress.finish();
                let saved = trainer
                    .checkpoint(&obj)
                    .and_then(|c| store::save(&policy, &c))
                    .map_err(|e| {
                        CliError::runtime(format!("interrupted, and the checkpoint failed: {e}"))
                    })?;
                return Err(CliError::Interrupted(format!(
                    "interrupted at step {}; saved `{}`. Continue with the same command and --resume",
                    trainer.state().current.step,
                    saved.display()
                )));
            }
            until += chunk;
        };
        progress.finish();
        Ok((curve, obj.net().clone()))
    }

    /// The steps a `--seconds` budget is expected to buy (the length of the
    /// optimizer's schedule): the rate of a [`PROBE_STEPS`]-step run of the
    /// same optimizer, seed and data, scaled to `seconds`.
    fn probe_steps<T: Float>(&self, seconds: f64) -> Result<u64, CliError> {
        let per_step = self.spec.passes_per_step_with(self.options);
        let (probe, _) = run_one_observed::<T, _>(
            self.settings,
            self.data,
            self.spec,
            self.options,
            self.seed,
            RunBudget::Passes(per_step * PROBE_STEPS),
            false,
            &mut |_| Control::Continue,
        )
        .map_err(|e| CliError::runtime(format!("the rate probe failed: {e}")))?;
        let Some(last) = probe.curve.last().filter(|r| r.step > 0 && r.seconds > 0.0) else {
            return Ok(PROBE_STEPS);
        };
        let per_second = last.step as f64 / last.seconds;
        Ok(((per_second * seconds) as u64).max(1))
    }
}

/// `report.md`: what was run and how it scored.
fn report(
    args: &FitArgs,
    table: &Table,
    data: &ForecastData,
    name: &str,
    spec: &OptimizerSpec,
    fitted: &Fitted,
    floor: f64,
) -> String {
    let path: &Path = &args.data.data;
    format!(
        "# dopamine fit: {name} on `{}`\n\n\
         | | test NRMSE | validation NRMSE |\n| --- | --- | --- |\n\
         | {name} | {:.4} | {:.4} |\n| persistence | {floor:.4} | |\n\n\
         - columns: {}\n- rows: {} train, {} validation, {} test\n\
         - optimizer: {name} ({})\n- budget: {} forward-pass equivalents, {:.2} s\n\
         - seed {}, {}, revision {}\n\n\
         NRMSE: RMSE of the one-step predictions over the standard deviation of the targets, \
         per column, averaged. Persistence predicts each value by the one before.\n",
        path.display(),
        fitted.test,
        fitted.validation,
        table.names.join(", "),
        data.train_end,
        data.val_end - data.train_end,
        data.series.len() - data.val_end,
        spec.describe(),
        fitted.passes,
        fitted.seconds,
        args.seed,
        args.data.precision.name(),
        crate::REVISION,
    )
}
