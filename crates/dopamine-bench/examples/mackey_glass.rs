//! Mackey-Glass one-step forecasting with an Elman RNN (H = 16): Dopamine-1 against Adam-BPTT and persistence.
//!
//! Run: `cargo run --release -p dopamine-bench --example mackey_glass`

use dopamine_bench::experiments::forecast::{ForecastConfig, forecast_data, persistence, run_one};
use dopamine_bench::{BenchError, Mode, config};
use dopamine_train::OptimizerKind;

fn main() -> Result<(), BenchError> {
    let config: ForecastConfig = config::parse(
        "mackey_glass.json",
        dopamine_bench::experiments::forecast::MACKEY_GLASS_CONFIG,
    )?;
    let data = forecast_data(&config, Mode::Quick)?;
    let base = persistence(&data, &[], &[])?;
    println!(
        "persistence: test NRMSE one step {:.4}",
        base.teacher_forced
    );
    for cand in &config.optimizers {
        if !matches!(
            cand.base.kind(),
            OptimizerKind::Dopamine1 | OptimizerKind::Adam
        ) {
            continue;
        }
        let spec = cand.base;
        let (run, _) = run_one::<f32>(&config, &data, &spec, 0, Mode::Quick)?;
        println!(
            "{:<11} {}  test NRMSE one step {:.4}, free-running {:?}",
            spec.name(),
            spec.describe(),
            run.test.teacher_forced,
            run.test.free_running
        );
    }
    Ok(())
}
