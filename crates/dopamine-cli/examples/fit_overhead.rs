//! What `dopamine fit` adds to a training run: the whole `dopamine fit` process (CSV read, progress, checkpoint policy, Ctrl-C chunks, scoring, model, predictions, figures) against the same run trained directly with `dopamine_train::train`, interleaved, median of the samples.
//!
//! Run: `cargo run --release -p dopamine-cli --example fit_overhead -- target/release/dopamine [samples] [passes]`
//! (build the binary first; samples default to 5, passes to 20,000).
//!
//! The series is E2's: 3,000 rows of Mackey-Glass, written as a CSV file
//! for the command; the direct run trains Dopamine-1 with the starting
//! settings `fit` uses (the base of its default grid), seed 0, `f32`,
//! E2's split, hidden units and washout, on the same series, with no
//! observer. Reported per sample: the direct run's training seconds, the
//! command's whole wall time and the training seconds it records in
//! `summary.json`; then the ratios of the medians, with the load average.

use std::process::Command;
use std::time::Instant;

use dopamine_forecast::{Defaults, ForecastData, RunBudget, objective, run_setup};
use dopamine_tasks::MackeyGlassConfig;
use dopamine_train::{NoObserver, OptimizerKind, train};

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        0.5 * (xs[n / 2 - 1] + xs[n / 2])
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let binary = args
        .next()
        .ok_or("usage: fit_overhead PATH/TO/dopamine [samples] [passes]")?;
    let samples: usize = args.next().map_or(Ok(5), |s| s.parse())?;
    let passes: u64 = args.next().map_or(Ok(20_000), |s| s.parse())?;
    let defaults = Defaults::builtin();
    let settings = defaults.settings();
    let grid = defaults
        .grid(OptimizerKind::Dopamine1)
        .ok_or("Dopamine-1 has no default grid")?;
    let raw = MackeyGlassConfig::default().generate(3000)?;
    let data = ForecastData::new(&raw, settings.train_fraction, settings.validation_fraction)?;
    let dir = std::env::temp_dir().join(format!("dopamine-fit-overhead-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("mackey_glass_3000.csv");
    let mut text = String::from("x\n");
    for t in 0..raw.len() {
        text.push_str(&format!("{}\n", raw.row(t)[0]));
    }
    std::fs::write(&csv, text)?;
    println!(
        "3000 rows, Dopamine-1, {passes} passes, {samples} samples; load {}",
        load()
    );
    let (mut direct, mut wall, mut trained) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..samples {
        let start = Instant::now();
        let mut obj = objective::<f32, _>(&settings, &data, 0)?;
        let (mut opt, spec) = run_setup::<f32, _>(
            &settings,
            &grid.base,
            &grid.options,
            &obj,
            0,
            RunBudget::Passes(passes),
        )?;
        train(&mut obj, opt.as_mut(), &spec, &mut NoObserver)?;
        let d = start.elapsed().as_secs_f64();
        let out = dir.join(format!("fit{i}"));
        let start = Instant::now();
        let run = Command::new(&binary)
            .arg("fit")
            .arg(&csv)
            .args(["--optimizer", "dopamine1", "--passes", &passes.to_string()])
            .arg("--out")
            .arg(&out)
            .output()?;
        let w = start.elapsed().as_secs_f64();
        if !run.status.success() {
            return Err(String::from_utf8_lossy(&run.stderr).into_owned().into());
        }
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json"))?)?;
        let t = summary["seconds"].as_f64().unwrap_or(f64::NAN);
        println!(
            "sample {i}: direct {d:.3} s, command {w:.3} s (training {t:.3} s); load {}",
            load()
        );
        direct.push(d);
        wall.push(w);
        trained.push(t);
    }
    let (d, w, t) = (median(direct), median(wall), median(trained));
    println!(
        "median: direct {d:.3} s, command {w:.3} s (x{:.3}), its training {t:.3} s (x{:.3})",
        w / d,
        t / d
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
