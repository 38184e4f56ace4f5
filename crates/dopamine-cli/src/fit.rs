//! `dopamine fit`: one optimizer trained on the user's series by the forecasting protocol; writes the model, its scores (`summary.json`, `report.md`) and its test predictions in the data's units (`predictions.csv`).

use std::path::Path;

use dopamine_forecast::{
    Defaults, ForecastData, ForecastSettings, RunBudget, persistence, predict_rows,
    run_one_observed,
};
use dopamine_train::{Control, Float, OptimizerSpec, Record, SpecOptions};
use serde_json::json;

use crate::args::{FitArgs, Precision};
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
    let dir = out_dir(&args.data.out, args.data.force)?;
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
    };
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
        "budget": match budget {
            Total::Passes(p) => json!({"passes": p}),
            Total::Seconds(s) => json!({"seconds": s}),
        },
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
        let mut progress = Progress::new(self.label, self.budget);
        let (run, net) = run_one_observed::<T, _>(
            self.settings,
            self.data,
            self.spec,
            self.options,
            self.seed,
            budget,
            false,
            &mut |r| {
                progress.observe(r);
                Control::Continue
            },
        )
        .map_err(failed)?;
        progress.finish();
        let len = self.data.series.len();
        let predictions = predict_rows(&net, self.data, self.data.val_end, len)
            .map_err(|e| CliError::runtime(format!("predicting the test part: {e}")))?
            .map(|p| self.data.normalizer.inverse(&p))
            .transpose()
            .map_err(|e| CliError::runtime(format!("undoing the z-score: {e}")))?;
        let last = run.curve.last();
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
            test: run.test.teacher_forced,
            validation: run.validation,
            passes: last.map_or(0, |r| r.forward_passes + r.backward_passes),
            seconds: last.map_or(0.0, |r| r.seconds),
            curve: run.curve,
            model,
            predictions,
        })
    }
}

impl Job<'_> {
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
