//! Mackey-Glass one-step forecasting with an Elman RNN (H = 16): Dopamine-1 against Adam-BPTT and persistence.
//!
//! Run: `cargo run --release -p dopamine-bench --example mackey_glass`

use dopamine_bench::experiments::Mode;
use dopamine_bench::experiments::forecast::{ForecastConfig, ForecastData, persistence, run_one};
use dopamine_bench::reproduce::builtin;

fn main() -> Result<(), dopamine_bench::TrainError> {
    let config: ForecastConfig = serde_json::from_str(builtin::MACKEY_GLASS)
        .map_err(|e| dopamine_bench::TrainError::Config(e.to_string()))?;
    let data = ForecastData::generate(&config, Mode::Quick)?;
    let base = persistence(&data, &config.horizons, &[]);
    println!(
        "persistence: test NRMSE one step {:.4}",
        base.teacher_forced
    );
    for cand in &config.optimizers {
        if !matches!(cand.base.name(), "Dopamine-1" | "Adam") {
            continue;
        }
        let spec = cand.base;
        let (run, _) = run_one(&config, &data, &spec, 0, Mode::Quick)?;
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
