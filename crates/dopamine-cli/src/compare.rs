//! `dopamine compare`: the lab's E2 protocol on the user's series — every optimizer tuned on the validation part over its default equal-size grid (median over the tuning seeds), scored on the test part over the evaluation seeds, persistence beside them — written as `report.md` and `summary.json` and printed as a table.

use std::fmt::Write as _;
use std::time::Instant;

use dopamine_forecast::{
    Defaults, ForecastData, ForecastSettings, RunBudget, median_nan_worst, persistence,
    run_one_with, tune_on_validation,
};
use dopamine_train::tuning::{Candidate, Tuned};
use dopamine_train::{Float, OptimizerKind};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::args::{CompareArgs, Precision};
use crate::checkpoints;
use crate::data;
use crate::error::CliError;
use crate::figures;
use crate::optimizers;
use crate::output::{json, out_dir, write_text};

/// The folder, inside `--out`, of the optimizers a comparison finished
/// (one JSON file each) and of its identity: what `--resume` reads back.
const RUNS_DIR: &str = "runs";

/// A non-finite grid score (a diverged cell) as `runs/<tag>.json` holds
/// it (JSON has no NaN).
const NOT_FINITE: f64 = f64::MAX;

/// One finished optimizer as `runs/<tag>.json` holds it: a diverged
/// seed's test NRMSE as `null`, a diverged grid cell's score as
/// [`NOT_FINITE`].
#[derive(Serialize, Deserialize)]
struct Saved {
    optimizer: String,
    tuned: Tuned,
    test: Vec<Option<f64>>,
    passes: Vec<u64>,
    seconds: Vec<f64>,
    wall: f64,
}

/// One optimizer's result.
struct Compared {
    kind: OptimizerKind,
    tuned: Tuned,
    /// Test NRMSE per evaluation seed (NaN for a diverged run).
    test: Vec<f64>,
    /// Forward-pass equivalents per evaluation seed.
    passes: Vec<u64>,
    /// Training seconds per evaluation seed.
    seconds: Vec<f64>,
    /// Wall-clock seconds of tuning and evaluation together.
    wall: f64,
}

impl Compared {
    fn median(&self) -> f64 {
        median_nan_worst(&self.test)
    }
}

/// The optimizers asked for, each with its default grid.
fn candidates<'d>(
    list: Option<&str>,
    defaults: &'d Defaults,
) -> Result<Vec<&'d Candidate>, CliError> {
    let Some(list) = list else {
        return Ok(defaults.optimizers.iter().collect());
    };
    optimizers::resolve_list(list)?
        .into_iter()
        .map(|kind| {
            defaults.grid(kind).ok_or_else(|| {
                let with: Vec<&str> = defaults
                    .optimizers
                    .iter()
                    .map(|c| c.base.kind().tag())
                    .collect();
                CliError::usage(format!(
                    "{} has no default tuning grid; the optimizers with one are {}",
                    kind.tag(),
                    with.join(", ")
                ))
            })
        })
        .collect()
}

/// Runs `dopamine compare`.
///
/// # Errors
/// A usage error for a bad optimizer list, column or folder; a runtime
/// error for a bad file or a failed run.
pub fn run(args: &CompareArgs) -> Result<(), CliError> {
    let defaults = Defaults::builtin();
    let settings = args.data.settings(&defaults)?;
    let candidates = candidates(args.optimizers.as_deref(), &defaults)?;
    let passes = if args.quick {
        defaults.quick_passes
    } else {
        args.passes.unwrap_or(defaults.passes)
    };
    let seeds = args.seeds.unwrap_or(defaults.seeds);
    let tuning_seeds = args.tuning_seeds.unwrap_or(defaults.tuning_seeds);
    for (name, v) in [
        ("--passes", passes),
        ("--seeds", seeds),
        ("--tuning-seeds", tuning_seeds),
    ] {
        if v == 0 {
            return Err(CliError::usage(format!("{name} must be at least 1")));
        }
    }
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
        "precision": args.data.precision.name(),
        "passes": passes,
        "seeds": seeds,
        "tuning_seeds": tuning_seeds,
    });
    let runs = dir.join(RUNS_DIR);
    if args.resume {
        checkpoints::check(&runs, &identity)?;
    } else {
        checkpoints::start(&runs, &identity)?;
    }
    let columns = data::parse_columns(args.data.columns.as_deref());
    let table = data::load(&args.data.data, &columns)?;
    let fdata = data::prepare(&args.data.data, &table, &settings)?;
    let floor = persistence(&fdata, &[], &[])
        .map_err(|e| CliError::runtime(format!("persistence: {e}")))?
        .teacher_forced;
    let plan = Plan {
        settings: &settings,
        data: &fdata,
        passes,
        seeds,
        tuning_seeds,
    };
    let mut results = Vec::new();
    for c in candidates {
        let saved = runs.join(format!("{}.json", c.base.kind().tag()));
        if args.resume {
            if let Some(done) = read_saved(&saved)? {
                eprintln!("{}: finished before, read back", c.base.kind().name());
                results.push(done);
                continue;
            }
        }
        eprintln!(
            "{}: tuning {} cells x {tuning_seeds} seeds, then {seeds} seeds, {passes} passes each",
            c.base.kind().name(),
            c.grid_size()
        );
        results.push(match args.data.precision {
            Precision::F32 => plan.compare::<f32>(c)?,
            Precision::F64 => plan.compare::<f64>(c)?,
        });
        if let Some(done) = results.last() {
            let mut tuned = done.tuned.clone();
            for cell in &mut tuned.scores {
                if !cell.score.is_finite() {
                    cell.score = NOT_FINITE;
                }
            }
            let record = Saved {
                optimizer: done.kind.tag().to_string(),
                tuned,
                test: done
                    .test
                    .iter()
                    .map(|x| x.is_finite().then_some(*x))
                    .collect(),
                passes: done.passes.clone(),
                seconds: done.seconds.clone(),
                wall: done.wall,
            };
            let text = serde_json::to_string(&record)
                .map_err(|e| CliError::runtime(format!("cannot encode a result: {e}")))?;
            write_text(&saved, &text)?;
        }
    }
    let table_md = table_markdown(&results, floor);
    let command: Vec<String> = std::env::args().collect();
    let report = format!(
        "# dopamine compare on `{}`\n\n{table_md}\n\
         Test NRMSE: RMSE of the one-step predictions over the standard deviation of the test targets \
         (z-scored on the training part), per column, averaged; the median over seeds 0..{seeds}, a \
         diverged run counting as the worst. Each optimizer was tuned on the validation part over its \
         default grid ({} cells for every one), each cell scored by the median validation NRMSE over \
         {tuning_seeds} tuning seeds; every run had {passes} forward-pass equivalents. Persistence \
         predicts each value by the one before.\n\n\
         - columns: {}\n- rows: {} train, {} validation, {} test\n- {}, {} hidden units, washout {}\n\
         - command: `{}`\n- revision: {}\n",
        args.data.data.display(),
        results.first().map_or(0, |r| r.tuned.scores.len()),
        table.names.join(", "),
        fdata.train_end,
        fdata.val_end - fdata.train_end,
        fdata.series.len() - fdata.val_end,
        args.data.precision.name(),
        settings.hidden,
        settings.washout,
        command.join(" "),
        crate::REVISION,
    );
    let medians: Vec<(String, f64)> = results
        .iter()
        .map(|r| (r.kind.name().to_string(), r.median()))
        .collect();
    let figure = match figures::compare_figure(&dir, &medians, floor) {
        Some(warning) => {
            eprintln!("warning: {warning}");
            String::new()
        }
        None => "![test NRMSE per optimizer](nrmse.svg)\n\n".to_string(),
    };
    let report = report.replacen("\n\nTest NRMSE:", &format!("\n\n{figure}Test NRMSE:"), 1);
    write_text(&dir.join("report.md"), &report)?;
    write_text(
        &dir.join("summary.json"),
        &json(&summary(args, &results, floor, passes, seeds, tuning_seeds)),
    )?;
    print!("{table_md}");
    println!("wrote {}", dir.display());
    Ok(())
}

/// The optimizer saved in `path`, if it was finished there.
///
/// # Errors
/// A runtime error naming a damaged file.
fn read_saved(path: &std::path::Path) -> Result<Option<Compared>, CliError> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(None);
    };
    let damaged = |e: &dyn std::fmt::Display| {
        CliError::runtime(format!("`{}` is damaged: {e}", path.display()))
    };
    let mut saved: Saved = serde_json::from_str(&text).map_err(|e| damaged(&e))?;
    let kind = optimizers::resolve(&saved.optimizer).map_err(|e| damaged(&e))?;
    for cell in &mut saved.tuned.scores {
        if cell.score == NOT_FINITE {
            cell.score = f64::NAN;
        }
    }
    Ok(Some(Compared {
        kind,
        tuned: saved.tuned,
        test: saved.test.iter().map(|x| x.unwrap_or(f64::NAN)).collect(),
        passes: saved.passes,
        seconds: saved.seconds,
        wall: saved.wall,
    }))
}

/// What every optimizer of a comparison shares.
struct Plan<'a> {
    settings: &'a ForecastSettings,
    data: &'a ForecastData,
    passes: u64,
    seeds: u64,
    tuning_seeds: u64,
}

impl Plan<'_> {
    /// Tunes `candidate` on the validation part, then scores its pick on
    /// the test part over the seeds (in parallel), in `T`.
    fn compare<T: Float>(&self, candidate: &Candidate) -> Result<Compared, CliError> {
        let start = Instant::now();
        let budget = RunBudget::Passes(self.passes);
        let failed = |e| CliError::runtime(format!("{}: {e}", candidate.base.kind().name()));
        let tuned = tune_on_validation(candidate, self.tuning_seeds, |spec, options, seed| {
            run_one_with::<T, _>(self.settings, self.data, spec, options, seed, budget, false)
                .map(|(run, _)| run.validation)
                .map_err(failed)
        })?;
        let runs = (0..self.seeds)
            .into_par_iter()
            .map(|seed| {
                run_one_with::<T, _>(
                    self.settings,
                    self.data,
                    &tuned.chosen,
                    &tuned.options,
                    seed,
                    budget,
                    false,
                )
                .map(|(run, _)| run)
                .map_err(failed)
            })
            .collect::<Result<Vec<_>, CliError>>()?;
        let last = |r: &dopamine_forecast::ForecastRun| r.curve.last().copied();
        Ok(Compared {
            kind: candidate.base.kind(),
            test: runs.iter().map(|r| r.test.teacher_forced).collect(),
            passes: runs
                .iter()
                .map(|r| last(r).map_or(0, |c| c.forward_passes + c.backward_passes))
                .collect(),
            seconds: runs
                .iter()
                .map(|r| last(r).map_or(0.0, |c| c.seconds))
                .collect(),
            tuned,
            wall: start.elapsed().as_secs_f64(),
        })
    }
}

/// The results as a markdown table, persistence last, the best median in bold.
fn table_markdown(results: &[Compared], floor: f64) -> String {
    let best = results
        .iter()
        .map(Compared::median)
        .fold(f64::INFINITY, f64::min);
    let mut md = String::from(
        "| optimizer | test NRMSE (median) | per seed | tuned setting | validation NRMSE (tuning) |\n\
         | --- | --- | --- | --- | --- |\n",
    );
    for r in results {
        let median = r.median();
        let shown = if median == best {
            format!("**{median:.4}**")
        } else {
            format!("{median:.4}")
        };
        let seeds: Vec<String> = r.test.iter().map(|x| format!("{x:.4}")).collect();
        let _ = writeln!(
            md,
            "| {} | {shown} | {} | {} | {:.4} |",
            r.kind.name(),
            seeds.join(", "),
            r.tuned.describe_flagged(),
            r.tuned.best()
        );
    }
    let _ = writeln!(md, "| persistence | {floor:.4} | | | |");
    md
}

/// `summary.json`: per optimizer the median and per-seed test NRMSE, the
/// pick, the grid's scores, the passes and the seconds.
fn summary(
    args: &CompareArgs,
    results: &[Compared],
    floor: f64,
    passes: u64,
    seeds: u64,
    tuning_seeds: u64,
) -> serde_json::Value {
    let optimizers: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            json!({
                "optimizer": r.kind.tag(),
                "name": r.kind.name(),
                "test_nrmse_median": r.median(),
                "test_nrmse": r.test,
                "chosen": r.tuned.chosen,
                "options": r.tuned.options,
                "edge_of_grid": r.tuned.edge,
                "grid": r.tuned.scores,
                "passes": r.passes,
                "seconds": r.seconds,
                "wall_seconds": r.wall,
            })
        })
        .collect();
    json!({
        "command": "compare",
        "data": args.data.data.display().to_string(),
        "precision": args.data.precision.name(),
        "passes": passes,
        "seeds": seeds,
        "tuning_seeds": tuning_seeds,
        "persistence_test_nrmse": floor,
        "optimizers": optimizers,
        "revision": crate::REVISION,
        "version": env!("CARGO_PKG_VERSION"),
    })
}
