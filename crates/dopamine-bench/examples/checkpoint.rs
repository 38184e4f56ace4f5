//! Checkpoint and resume a Mackey-Glass RNN (H = 16) run; prints checkpoint size and write time, and checks the resumed run matches.
//!
//! Run: `cargo run --release -p dopamine-bench --example checkpoint [-- FOLDER]`

use std::time::Instant;

use dopamine_bench::experiments::forecast::{ForecastConfig, ForecastData, forecast_data};
use dopamine_bench::{BenchError, Mode, config};
use dopamine_nets::{Bptt, Rnn, RnnInit};
use dopamine_train::{
    Budget, CheckpointPolicy, Dopamine1Settings, NoObserver, Objective, OptimizerSpec,
    RnnObjective, TrainSpec, Trainer, load_latest, store,
};

const STEPS: u64 = 2000;

fn objective(
    config: &ForecastConfig,
    data: &ForecastData,
) -> Result<RnnObjective<f64>, BenchError> {
    let d = data.series.dim();
    let net = Rnn::new(
        d,
        config.hidden,
        d,
        &RnnInit {
            spectral_radius: config.spectral_radius,
            seed: 0,
            ..Default::default()
        },
    )?;
    let (inputs, targets) = data.pairs(0, data.train_end)?;
    Ok(RnnObjective::new(
        net,
        inputs,
        targets,
        config.washout,
        Bptt::Full,
    )?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).map_or_else(
        || std::env::temp_dir().join("dopamine-checkpoint-demo"),
        Into::into,
    );
    let _ = std::fs::remove_dir_all(&dir);
    let config: ForecastConfig = config::parse(
        "mackey_glass.json",
        dopamine_bench::experiments::forecast::MACKEY_GLASS_CONFIG,
    )?;
    let data = forecast_data(&config, Mode::Quick)?;
    let spec = OptimizerSpec::Dopamine1(Dopamine1Settings {
        sigma: 1e-3,
        eta: 0.01,
        cosine_to: Some(0.1),
        beta: 0.9,
        ..Default::default()
    });
    let train_spec = TrainSpec {
        budget: Budget::steps(STEPS),
        record_every: 1,
        ..Default::default()
    };
    let mut obj = objective(&config, &data)?;
    let dim = obj.params().len();
    println!("RNN H={}: {dim} parameters", config.hidden);

    // Uninterrupted reference.
    let mut reference = objective(&config, &data)?;
    let full = Trainer::new(spec.build(dim, 1, STEPS)?, train_spec)?
        .run(&mut reference, &mut NoObserver)?;

    // First half with a checkpoint every 250 steps, then "crash".
    let mut trainer = Trainer::new(spec.build(dim, 1, STEPS)?, train_spec)?
        .with_checkpoints(CheckpointPolicy::new(&dir, 250))?;
    let start = Instant::now();
    trainer.run_until(&mut obj, STEPS / 2, &mut NoObserver)?;
    let train_seconds = start.elapsed().as_secs_f64();

    // Size and write time of the checkpoint at the half (1000 records).
    let policy = CheckpointPolicy::new(&dir, 250);
    let ckpt = trainer.checkpoint(&obj)?;
    let start = Instant::now();
    let reps = 20;
    let mut path = dir.clone();
    for _ in 0..reps {
        path = store::save(&policy, &ckpt)?;
    }
    let write_ms = start.elapsed().as_secs_f64() * 1e3 / f64::from(reps);
    let start = Instant::now();
    for _ in 0..reps {
        std::hint::black_box(ckpt.to_bytes()?);
    }
    let encode_ms = start.elapsed().as_secs_f64() * 1e3 / f64::from(reps);
    let bytes = std::fs::metadata(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    let records_bytes = ckpt.state.records.len() * std::mem::size_of_val(&ckpt.state.records[0]);
    println!(
        "checkpoint at step {}: {bytes} bytes ({} records, ~{records_bytes} bytes of them); \
         write (encode + fsync + rename + fsync dir) {write_ms:.2} ms, of which encoding \
         {encode_ms:.3} ms; the {} training steps before it took {train_seconds:.2} s",
        ckpt.step(),
        ckpt.step(),
        ckpt.state.records.len(),
    );
    drop(trainer);

    // Resume from disk and finish.
    let loaded = load_latest::<f64>(&dir)?;
    let mut resumed_obj = objective(&config, &data)?;
    let run = Trainer::resume(
        loaded.checkpoint,
        spec.build(dim, 1, STEPS)?,
        &mut resumed_obj,
    )?
    .run(&mut resumed_obj, &mut NoObserver)?;
    let same_params = resumed_obj
        .params()
        .iter()
        .zip(reference.params())
        .all(|(a, b)| a.to_bits() == b.to_bits());
    let same_losses = run.records.len() == full.records.len()
        && run
            .records
            .iter()
            .zip(&full.records)
            .all(|(a, b)| a.loss.to_bits() == b.loss.to_bits());
    println!(
        "resumed from {}: final loss {:.6}, bit-identical to the uninterrupted run: parameters {same_params}, losses {same_losses}",
        loaded.path.display(),
        run.last.loss
    );
    let _ = std::fs::remove_dir_all(&dir);
    if same_params && same_losses {
        Ok(())
    } else {
        Err("the resumed run differs".into())
    }
}
