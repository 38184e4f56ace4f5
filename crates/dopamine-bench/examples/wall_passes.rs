//! Forward passes that E2's and E3's equal-wall-time runs make in their full-mode time, before (f64, one point at a time) and after (f32, the measured population path) issue 22, for every configuration of their tuning grids' variants; one run at a time, before and after in turn.
//!
//! Run: `cargo run --release -p dopamine-bench --example wall_passes [seconds] [e2|e3|both]`
//! (defaults: the configs' full-mode seconds, both).
//!
//! For each optimizer of the built-in configs and each variant of its grid
//! (at the base sigma and rate; the rate does not change the cost of a
//! step), one run of seed 0 trains for the wall-clock budget as
//! `run_one_with` does: "before" in `f64` with every step taken one point
//! at a time (the harness before issue 22: its population sweep started at
//! 32 low-rank points, which no configuration here has), "after" in `f32`
//! with the objective's defaults (population steps on the measured path).
//! Reported: the passes in the budget, and the passes per second of the
//! thread's CPU time times the budget (what the run would make on a core of
//! its own: the machine may be shared), with the load average.

use dopamine_bench::experiments::forecast::{
    ForecastConfig, LORENZ_CONFIG, MACKEY_GLASS_CONFIG, forecast_data,
};
use dopamine_bench::{BenchError, Mode, config};
use dopamine_nets::{Bptt, Rnn, RnnInit};
use dopamine_train::{
    Budget, Float, NoObserver, Objective, OptimizerSpec, RnnObjective, SpecOptions, TrainSpec,
    train,
};
use faer::Mat;

/// This thread's CPU time in seconds (user + system, from `/proc`; 10 ms
/// resolution, plenty for runs of seconds).
fn thread_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after ')'.
    match (ticks(11), ticks(12)) {
        (Some(u), Some(s)) => (u + s) / 100.0,
        _ => f64::NAN,
    }
}

/// Passes and CPU seconds of one run of `seconds` wall-clock seconds.
fn run<T: Float>(
    config: &ForecastConfig,
    (inputs, targets): (&Mat<f64>, &Mat<f64>),
    spec: &OptimizerSpec,
    options: &SpecOptions,
    population: bool,
    seconds: f64,
) -> Result<(u64, f64), BenchError> {
    let cast = |m: &Mat<f64>| Mat::from_fn(m.nrows(), m.ncols(), |i, j| T::from_f64(m[(i, j)]));
    let d = inputs.ncols();
    let net = Rnn::<T>::new(
        d,
        config.hidden,
        d,
        &RnnInit {
            spectral_radius: config.spectral_radius,
            seed: 0,
            ..Default::default()
        },
    )?;
    let mut obj = RnnObjective::new(net, cast(inputs), cast(targets), config.washout, Bptt::Full)?
        .with_population(population);
    let layout = options.rank.and_then(|r| obj.param_layout(r));
    let steps = (config.budget.full / spec.passes_per_step_with(options)).max(1);
    let mut opt =
        spec.build_with::<T>(options, layout.as_ref(), obj.net().num_params(), 0, steps)?;
    let train_spec = TrainSpec {
        budget: Budget {
            seconds: Some(seconds),
            ..Default::default()
        },
        record_every: config.record_every,
        target_loss: None,
        max_consecutive_rejections: 200,
    };
    let cpu = thread_cpu_seconds();
    let r = train(&mut obj, opt.as_mut(), &train_spec, &mut NoObserver)?;
    let cpu = thread_cpu_seconds() - cpu;
    Ok((r.last.forward_passes + r.last.backward_passes, cpu))
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn experiment(text: &str, file: &str, seconds: Option<f64>) -> Result<(), BenchError> {
    let config: ForecastConfig = config::parse(file, text)?;
    let seconds = seconds
        .or_else(|| config.seconds.as_ref().map(|s| s.full))
        .unwrap_or(5.0);
    let data = forecast_data(&config, Mode::Full)?;
    let (inputs, targets) = data.pairs(0, data.train_end)?;
    println!(
        "\n## {} (H = {}, T = {}, {seconds} s per run; load {} at the start)\n",
        config.name,
        config.hidden,
        inputs.nrows(),
        load()
    );
    println!(
        "| optimizer | configuration | passes/step | before: passes | after: passes | after / before | before: passes per {seconds} s of CPU | after: passes per {seconds} s of CPU | after / before (CPU) |"
    );
    println!("| :-- | :-- | --: | --: | --: | --: | --: | --: | --: |");
    for cand in &config.optimizers {
        let bases = cand
            .variant_bases()
            .map_err(|e| BenchError::Setup(format!("{e:?}")))?;
        for (spec, options) in bases {
            let data = (&inputs, &targets);
            let before = run::<f64>(&config, data, &spec, &options, false, seconds)?;
            let after = run::<f32>(&config, data, &spec, &options, true, seconds)?;
            let per_cpu = |(passes, cpu): (u64, f64)| passes as f64 / cpu * seconds;
            let opts = options.describe();
            println!(
                "| {} | {}{}{} | {} | {} | {} | {:.2} | {:.0} | {:.0} | {:.2} |",
                spec.kind(),
                spec.describe(),
                if opts.is_empty() { "" } else { " " },
                opts,
                spec.passes_per_step_with(&options),
                before.0,
                after.0,
                after.0 as f64 / before.0 as f64,
                per_cpu(before),
                per_cpu(after),
                per_cpu(after) / per_cpu(before),
            );
        }
    }
    println!("\nLoad {} at the end.", load());
    Ok(())
}

fn main() -> Result<(), BenchError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seconds = args.iter().find_map(|a| a.parse::<f64>().ok());
    let which = args
        .iter()
        .find(|a| a.parse::<f64>().is_err())
        .map_or("both", String::as_str);
    if matches!(which, "e2" | "both") {
        experiment(MACKEY_GLASS_CONFIG, "mackey_glass.json", seconds)?;
    }
    if matches!(which, "e3" | "both") {
        experiment(LORENZ_CONFIG, "lorenz.json", seconds)?;
    }
    Ok(())
}
