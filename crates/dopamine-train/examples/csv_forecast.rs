//! Your own series: trains an Elman RNN with Dopamine-1 on a CSV file (one column per variable, optional header), forecasts one step ahead, and writes predictions next to targets.
//!
//! Run: `cargo run --release -p dopamine-train --example csv_forecast -- DATA.csv [OUT.csv]`
//!
//! Without arguments it writes a demo file (Mackey-Glass) to the temporary
//! folder and uses that. The first 80% of the rows train the model, the
//! next 10% are for you to tune on, the last 10% are the test part; the
//! data are z-scored with the training part's statistics. `OUT.csv`
//! (default: `DATA.predictions.csv`) has one row per time step of the
//! validation and test parts: the step, then for every column its target and
//! its one-step prediction, in the file's units. A malformed file stops with
//! the loader's error, which names the line and the column.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dopamine_nets::{Bptt, Rnn, RnnInit, RnnWorkspace};
use dopamine_tasks::{
    HeaderMode, MackeyGlassConfig, NormalizationMethod, Series, load_csv, nrmse, one_step_pairs,
    persistence_nrmse, split_by_fractions,
};
use dopamine_train::{
    Budget, Dopamine1Settings, NoObserver, OptimizerSpec, PerturbSpec, RnnObjective, TrainSpec,
    train,
};
use faer::Mat;

const STEPS: u64 = 3_000;

fn to_mat(s: &Series) -> Mat<f64> {
    Mat::from_fn(s.len(), s.dim(), |i, j| s.row(i)[j])
}

/// A demo file: 1,200 samples of Mackey-Glass with a header.
fn demo_file() -> Result<PathBuf, Box<dyn std::error::Error>> {
    let path = std::env::temp_dir().join("dopamine-demo-mackey-glass.csv");
    let series = MackeyGlassConfig::default().generate(1_200)?;
    let mut w = csv::Writer::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    w.write_record(["x"])?;
    for row in series.rows() {
        w.write_record([row[0].to_string()])?;
    }
    w.flush().map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let input = match args.first() {
        Some(p) => PathBuf::from(p),
        None => demo_file()?,
    };
    let output = args
        .get(1)
        .map_or_else(|| input.with_extension("predictions.csv"), PathBuf::from);
    let table =
        load_csv(&input, HeaderMode::Auto).map_err(|e| format!("{}: {e}", input.display()))?;
    let names: Vec<String> = match &table.header {
        Some(h) => h.clone(),
        None => (0..table.series.dim()).map(|j| format!("x{j}")).collect(),
    };
    let raw = table.series;
    let d = raw.dim();

    let split = split_by_fractions(&raw, 0.8, 0.1)?;
    let (_, normalizer) = split.normalized(NormalizationMethod::ZScore)?;
    let series = normalizer.transform(&raw)?;
    let train_end = split.train.len();
    let pairs = one_step_pairs(&series.slice_rows(0, train_end)?)?;
    let net = Rnn::new(d, 16, d, &RnnInit::with_seed(1))?;
    let mut objective = RnnObjective::new(
        net,
        to_mat(&pairs.inputs),
        to_mat(&pairs.targets),
        20.min(train_end / 4),
        Bptt::Full,
    )?;
    let spec = OptimizerSpec::Dopamine1(Dopamine1Settings::new(
        PerturbSpec {
            sigma: 1e-3,
            eta: 0.01,
            probes: 1,
            antithetic: false,
            cosine_to: Some(0.01),
            ..Default::default()
        },
        0.9,
    ));
    let mut optimizer = spec.build::<f64>(objective.net().num_params(), 7, STEPS)?;
    let run = train(
        &mut objective,
        optimizer.as_mut(),
        &TrainSpec {
            budget: Budget::steps(STEPS),
            record_every: 500,
            ..Default::default()
        },
        &mut NoObserver,
    )?;
    for r in &run.records {
        println!("step {:>5}  training loss {:.3e}", r.step, r.loss);
    }

    // One-step predictions over the whole series (teacher-forced), kept
    // from the end of the training part on.
    let all = one_step_pairs(&series)?;
    let net = objective.net();
    let mut out = Mat::zeros(all.inputs.len(), d);
    net.predict(
        to_mat(&all.inputs).as_ref(),
        out.as_mut(),
        &mut RnnWorkspace::new(net),
    )?;
    let first = train_end - 1;
    let rows = first..all.inputs.len();
    let predicted = Series::from_rows(
        &rows
            .clone()
            .map(|t| (0..d).map(|j| out[(t, j)]).collect::<Vec<f64>>())
            .collect::<Vec<_>>(),
    )?;
    let targets = all.targets.slice_rows(first, all.inputs.len())?;
    println!(
        "one-step NRMSE after the training part: model {:.4}, persistence {:.4}",
        nrmse(&predicted, &targets)?,
        persistence_nrmse(&series.slice_rows(train_end, series.len())?, 1)?
    );
    write_predictions(
        &output,
        &names,
        first + 1,
        &normalizer.inverse(&targets)?,
        &normalizer.inverse(&predicted)?,
    )?;
    println!("predictions: {}", output.display());
    Ok(())
}

/// `step, <name>_target, <name>_prediction, ...` for every row.
fn write_predictions(
    path: &Path,
    names: &[String],
    first_step: usize,
    targets: &Series,
    predicted: &Series,
) -> Result<(), Box<dyn std::error::Error>> {
    let io = |e: csv::Error| format!("{}: {e}", path.display());
    let mut w = csv::Writer::from_path(path).map_err(io)?;
    let mut header = vec!["step".to_string()];
    for n in names {
        header.push(format!("{n}_target"));
        header.push(format!("{n}_prediction"));
    }
    w.write_record(&header).map_err(io)?;
    for (i, (t, p)) in targets.rows().zip(predicted.rows()).enumerate() {
        let mut record = vec![(first_step + i).to_string()];
        for (a, b) in t.iter().zip(p) {
            record.push(a.to_string());
            record.push(b.to_string());
        }
        w.write_record(&record).map_err(io)?;
    }
    w.flush().map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(())
}
