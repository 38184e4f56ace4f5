//! A perturbation rule written outside the workspace (clipped WP) trains an Elman RNN through `Trainer`, with checkpoints, a simulated crash and a bit-identical resume.
//!
//! Everything the rule needs is public API: `dopamine_core::UpdateRule` for
//! the update and its undo, `dopamine_train::NamedRule` for its name, and
//! serde for its state. No library code knows about it.
//!
//! Run: `cargo run --release -p dopamine-train --example own_rule [-- FOLDER]`

use dopamine_core::rule::NoiseCombination;
use dopamine_core::{
    EtaSchedule, PerturbConfig, PerturbationOptimizer, Real, RuleSignal, StepNoise, UpdateContext,
    UpdateRule,
};
use dopamine_nets::{Bptt, Rnn, RnnInit};
use dopamine_train::{
    Budget, CheckpointPolicy, NamedRule, NoObserver, Objective, Optimizer, RnnObjective,
    TrainError, TrainSpec, Trainer, load_latest,
};
use faer::Mat;
use serde::{Deserialize, Serialize};

/// Weight perturbation whose per-probe gradient estimate `delta / sigma` is
/// clipped to `[-clip, clip]`: `w += (eta / K) sum_k clip(delta_k / sigma) z_k`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ClippedWp<T> {
    clip: T,
    /// The coefficients of the last update, to undo it.
    last: NoiseCombination<T>,
}

impl<T: Real> UpdateRule<T> for ClippedWp<T> {
    fn validate(&self, _dim: usize) -> Result<(), dopamine_core::Error> {
        if self.clip.is_finite() && self.clip > T::ZERO {
            Ok(())
        } else {
            Err(dopamine_core::Error::InvalidSetting("clip must be > 0"))
        }
    }

    fn update(
        &mut self,
        params: &mut [T],
        noise: &StepNoise<'_>,
        ctx: &UpdateContext<'_, T>,
    ) -> RuleSignal<T> {
        let k = T::from_usize(ctx.deltas.len());
        let clip = self.clip;
        self.last.set(ctx.deltas.len(), |i| {
            let g = (ctx.deltas[i] / ctx.sigma).max(-clip).min(clip);
            ctx.eta * g / k
        });
        RuleSignal {
            effective_eta: ctx.eta,
            coding: None,
            applied: self.last.apply(params, noise, ctx),
        }
    }

    fn undo(&mut self, params: &mut [T], noise: &StepNoise<'_>) {
        self.last.undo(params, noise);
    }
}

impl<T> NamedRule for ClippedWp<T> {
    const NAME: &'static str = "Clipped-WP";
}

const STEPS: u64 = 600;

fn objective() -> Result<RnnObjective<f64>, TrainError> {
    let x = |i: usize| (0.2 * i as f64).sin() + 0.3 * (0.053 * i as f64).cos();
    let inputs = Mat::from_fn(200, 1, |i, _| x(i));
    let targets = Mat::from_fn(200, 1, |i, _| x(i + 1));
    let net = Rnn::new(1, 8, 1, &RnnInit::with_seed(5))?;
    Ok(RnnObjective::new(net, inputs, targets, 10, Bptt::Full)?)
}

fn optimizer(dim: usize) -> Result<Box<dyn Optimizer<f64>>, TrainError> {
    let config = PerturbConfig {
        sigma: 1e-3,
        eta: 2e-2,
        probes: 4,
        schedule: EtaSchedule::Cosine {
            total_steps: STEPS,
            final_fraction: 0.1,
        },
        seed: 9,
        ..Default::default()
    };
    let rule = ClippedWp {
        clip: 5.0,
        last: NoiseCombination::default(),
    };
    Ok(Box::new(PerturbationOptimizer::new(config, rule, dim)?))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).map_or_else(
        || std::env::temp_dir().join(format!("dopamine-own-rule-{}", std::process::id())),
        Into::into,
    );
    let _ = std::fs::remove_dir_all(&dir);
    let spec = TrainSpec {
        budget: Budget::steps(STEPS),
        record_every: 50,
        ..Default::default()
    };

    // Uninterrupted reference.
    let mut reference = objective()?;
    let dim = reference.params().len();
    let start_loss = reference.loss();
    let full = Trainer::new(optimizer(dim)?, spec)?.run(&mut reference, &mut NoObserver)?;

    // The same run with a checkpoint every 100 steps, "killed" after 250.
    let mut obj = objective()?;
    let mut first =
        Trainer::new(optimizer(dim)?, spec)?.with_checkpoints(CheckpointPolicy::new(&dir, 100))?;
    first.run_until(&mut obj, 250, &mut NoObserver)?;
    drop(first);

    // A fresh process would do this: newest valid checkpoint, fresh model
    // and optimizer, resume.
    let loaded = load_latest::<f64>(&dir)?;
    let resumed_at = loaded.checkpoint.step();
    let mut resumed_obj = objective()?;
    let mut resumed = Trainer::resume(loaded.checkpoint, optimizer(dim)?, &mut resumed_obj)?;
    let run = resumed.run(&mut resumed_obj, &mut NoObserver)?;
    let _ = std::fs::remove_dir_all(&dir);

    let identical = resumed_obj
        .params()
        .iter()
        .zip(reference.params())
        .all(|(a, b)| a.to_bits() == b.to_bits())
        && run.last.loss.to_bits() == full.last.loss.to_bits();
    println!(
        "{}: loss {start_loss:.4} -> {:.4} in {STEPS} steps ({} forward passes); resumed from {} at step {resumed_at}: bit-identical to the uninterrupted run: {identical}",
        resumed.optimizer().name(),
        run.last.loss,
        run.last.forward_passes,
        loaded.path.display(),
    );
    if !identical {
        return Err("the resumed run differs from the uninterrupted one".into());
    }
    if run.last.loss >= 0.5 * start_loss {
        return Err(format!("the rule did not learn: {start_loss} -> {}", run.last.loss).into());
    }
    Ok(())
}
