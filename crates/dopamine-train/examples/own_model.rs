//! Trains a user's own model, given only as a loss function of a parameter slice, with Dopamine-1.
//!
//! Run: `cargo run --release -p dopamine-train --example own_model`

use dopamine_train::{
    Budget, Dopamine1Settings, FnObjective, NoObserver, Objective, OptimizerSpec, PerturbSpec,
    TrainSpec, train,
};

fn main() -> Result<(), dopamine_train::TrainError> {
    // A model the library knows nothing about: a line fitted to noisy-free points.
    let xs: Vec<f64> = (0..50).map(|i| i as f64 / 49.0).collect();
    let ys: Vec<f64> = xs.iter().map(|x| 3.0 * x - 1.0).collect();
    let loss = move |w: &[f64]| {
        xs.iter()
            .zip(&ys)
            .map(|(x, y)| (w[0] * x + w[1] - y).powi(2))
            .sum::<f64>()
            / xs.len() as f64
    };
    let mut objective = FnObjective::new(vec![0.0, 0.0], loss, 200);
    let steps = 3_000;
    let spec = OptimizerSpec::Dopamine1(Dopamine1Settings::new(
        PerturbSpec {
            sigma: 1e-3,
            eta: 0.02,
            probes: 1,
            antithetic: false,
            cosine_to: Some(0.01),
            ..Default::default()
        },
        0.9,
    ));
    let mut optimizer = spec.build::<f64>(2, 42, steps)?;
    let run = train(
        &mut objective,
        optimizer.as_mut(),
        &TrainSpec {
            budget: Budget::steps(steps),
            record_every: 500,
            ..Default::default()
        },
        &mut NoObserver,
    )?;
    for r in &run.records {
        println!(
            "step {:>5}  loss {:.3e}  effective eta {:.3e}",
            r.step, r.loss, r.effective_eta
        );
    }
    println!(
        "fitted slope {:.4}, intercept {:.4} (truth 3, -1)",
        objective.params()[0],
        objective.params()[1]
    );
    Ok(())
}
