//! Times the generation of 1e6 Mackey-Glass samples (default configuration:
//! RK4, dt = 0.1, one sample per time unit, so 1e7 integration steps).
//!
//! Run with `cargo run --release -p dopamine-tasks --example mg_generate`.

use std::time::Instant;

use dopamine_tasks::MackeyGlassConfig;

fn main() -> Result<(), dopamine_tasks::TaskError> {
    const SAMPLES: usize = 1_000_000;
    let config = MackeyGlassConfig::default();
    let start = Instant::now();
    let series = config.generate(SAMPLES)?;
    let seconds = start.elapsed().as_secs_f64();
    let mean = series.mean_per_dim()?[0];
    let std = series.std_per_dim()?[0];
    println!(
        "generated {SAMPLES} Mackey-Glass samples ({} RK4 steps) in {seconds:.3} s: \
         {:.3e} samples/s (mean {mean:.4}, std {std:.4})",
        SAMPLES as f64 * config.sample_step / config.dt,
        SAMPLES as f64 / seconds,
    );
    Ok(())
}
