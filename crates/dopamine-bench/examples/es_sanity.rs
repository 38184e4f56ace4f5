//! Sanity check of the OpenES peer on E2 Mackey-Glass in full mode (20,000 forward passes): tune sigma x eta on one tuning seed (validation part), then report the test NRMSE of evaluation seed 0. The issue this peer answers says a faithful OpenES gets about 1e-2 here.
//!
//! Run: `cargo run --release -p dopamine-bench --example es_sanity [pairs]`

use dopamine_bench::experiments::forecast::{
    ForecastConfig, RunBudget, forecast_data, run_in_precision,
};
use dopamine_bench::experiments::tuning::{TUNING_SEED_BASE, tune};
use dopamine_bench::{BenchError, Mode, config};
use dopamine_train::{OpenEsSettings, OptimizerKind, OptimizerSpec};

fn main() -> Result<(), BenchError> {
    let pairs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(4);
    let config: ForecastConfig = config::parse(
        "mackey_glass.json",
        dopamine_bench::experiments::forecast::MACKEY_GLASS_CONFIG,
    )?;
    let data = forecast_data(&config, Mode::Full)?;
    let budget = RunBudget::Passes(config.budget.get(Mode::Full));
    let mut cand = config
        .optimizers
        .iter()
        .find(|c| c.base.kind() == OptimizerKind::OpenEs)
        .cloned()
        .ok_or_else(|| BenchError::Setup("no OpenES in mackey_glass.json".into()))?;
    if let OptimizerSpec::OpenEs(e) = cand.base {
        cand.base = OptimizerSpec::OpenEs(OpenEsSettings { pairs, ..e });
    }
    // The pairs are the command line's: sigma x eta only.
    cand.variants.clear();
    let start = std::time::Instant::now();
    let tuned = tune(&cand, |spec, options| {
        run_in_precision(
            &config,
            &data,
            spec,
            options,
            TUNING_SEED_BASE,
            budget,
            false,
        )
        .map_or(f64::NAN, |r| r.validation)
    })?;
    for s in &tuned.scores {
        println!(
            "eta={} sigma={} validation NRMSE {:.4}",
            s.rate, s.second, s.score
        );
    }
    let run = run_in_precision(
        &config,
        &data,
        &tuned.chosen,
        &tuned.options,
        0,
        budget,
        false,
    )?;
    println!(
        "OpenES {} : seed 0 test NRMSE (one step, teacher-forced) {:.4} after {} passes; {:.0} s for 13 runs",
        tuned.describe_flagged(),
        run.test.teacher_forced,
        run.curve
            .last()
            .map_or(0, |r| r.forward_passes + r.backward_passes),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
