//! Times training steps of the E3 Lorenz network with low-rank Dopamine probes, every point evaluated one at a time against one population sweep (`Rnn::plan_losses`), in `f64` (the harness's precision) and `f32`; interleaved, median of samples.
//!
//! Run: `cargo run --release -p dopamine-bench --example population_path [probes]` (default 4).

use std::time::Instant;

use dopamine_bench::experiments::forecast::{ForecastConfig, forecast_data};
use dopamine_bench::stats::median;
use dopamine_bench::{BenchError, Mode, config};
use dopamine_nets::{Bptt, Rnn, RnnInit};
use dopamine_train::{
    Budget, Float, NoObserver, Objective, OptimizerSpec, RnnObjective, SpecOptions, TrainSpec,
    train,
};
use faer::Mat;

/// Seconds per step of `passes` forward-pass equivalents of training.
fn seconds_per_step<T: Float>(
    inputs: &Mat<f64>,
    targets: &Mat<f64>,
    spec: &OptimizerSpec,
    options: &SpecOptions,
    population: bool,
    passes: u64,
) -> Result<f64, BenchError> {
    let cast = |m: &Mat<f64>| Mat::from_fn(m.nrows(), m.ncols(), |i, j| T::from_f64(m[(i, j)]));
    let d = inputs.ncols();
    let net = Rnn::<T>::new(
        d,
        16,
        d,
        &RnnInit {
            spectral_radius: 0.9,
            seed: 0,
            ..Default::default()
        },
    )?;
    let mut obj = RnnObjective::new(net, cast(inputs), cast(targets), 50, Bptt::Full)?
        .with_population(population);
    let layout = options.rank.and_then(|r| obj.param_layout(r));
    let steps = passes / spec.passes_per_step_with(options);
    let mut opt =
        spec.build_with::<T>(options, layout.as_ref(), obj.net().num_params(), 0, steps)?;
    let train_spec = TrainSpec {
        budget: Budget {
            forward_equivalents: Some(passes),
            ..Default::default()
        },
        record_every: 1_000_000,
        target_loss: None,
        max_consecutive_rejections: 200,
    };
    let start = Instant::now();
    let r = train(&mut obj, opt.as_mut(), &train_spec, &mut NoObserver)?;
    Ok(start.elapsed().as_secs_f64() / r.last.step.max(1) as f64)
}

fn main() -> Result<(), BenchError> {
    let probes: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(4);
    let config: ForecastConfig = config::parse(
        "lorenz.json",
        dopamine_bench::experiments::forecast::LORENZ_CONFIG,
    )?;
    let data = forecast_data(&config, Mode::Full)?;
    let (inputs, targets) = data.pairs(0, data.train_end)?;
    let spec: OptimizerSpec = serde_json::from_str(&format!(
        r#"{{"kind": "dopamine2", "sigma": 0.003, "eta": 0.01, "beta": 0.9, "lambda": 0.9, "probes": {probes}, "antithetic": true}}"#
    ))
    .map_err(|e| BenchError::Setup(e.to_string()))?;
    let options = SpecOptions {
        rank: Some(1),
        baseline_from_probes: true,
        ..Default::default()
    };
    let passes = 40 * spec.passes_per_step_with(&options);
    println!(
        "Lorenz RNN H=16, Dopamine-2 K={probes} antithetic rank 1, {passes} passes per sample, 7 samples"
    );
    for precision in ["f64", "f32"] {
        let (mut one, mut pop) = (Vec::new(), Vec::new());
        for _ in 0..7 {
            for population in [false, true] {
                let s = if precision == "f64" {
                    seconds_per_step::<f64>(&inputs, &targets, &spec, &options, population, passes)?
                } else {
                    seconds_per_step::<f32>(&inputs, &targets, &spec, &options, population, passes)?
                };
                if population { pop.push(s) } else { one.push(s) }
            }
        }
        let (one, pop) = (median(&one), median(&pop));
        println!(
            "{precision}: one by one {:.3} ms/step, population sweep {:.3} ms/step, sweep / one-by-one {:.2}",
            one * 1e3,
            pop * 1e3,
            pop / one
        );
    }
    Ok(())
}
