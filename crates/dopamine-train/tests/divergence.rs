//! Divergence through the trainer: non-finite steps are rolled back and counted, fixed-rate rules (WP, SGD, Adam) halve their rate, Dopamine-1 keeps its own, and a run that keeps failing stops with `Diverged` and its last checkpoint intact.

use dopamine_train::store::list_checkpoints;
use dopamine_train::{
    AdamSettings, Budget, CheckpointPolicy, Dopamine1Settings, FnObjective, NoObserver, Objective,
    OptimizerSpec, PerturbSpec, SgdSettings, TrainError, TrainSpec, Trainer, WpSettings,
    load_latest,
};

/// Loss beyond the cliff: NaN (a model that overflows).
const CLIFF: f64 = 10.0;

fn cliff_loss(w: &[f64]) -> f64 {
    if w.iter().any(|x| x.abs() > CLIFF) {
        f64::NAN
    } else {
        w.iter().map(|x| x * x).sum()
    }
}

/// `sum w^2` with its gradient, NaN beyond the cliff.
struct CliffQuadratic {
    params: Vec<f64>,
}

impl Objective<f64> for CliffQuadratic {
    fn params(&self) -> &[f64] {
        &self.params
    }
    fn params_mut(&mut self) -> &mut [f64] {
        &mut self.params
    }
    fn loss(&mut self) -> f64 {
        cliff_loss(&self.params)
    }
    fn loss_at(&mut self, params: &[f64]) -> f64 {
        cliff_loss(params)
    }
    fn loss_and_gradient(&mut self, grad: &mut [f64]) -> Option<f64> {
        for (g, w) in grad.iter_mut().zip(&self.params) {
            *g = 2.0 * w;
        }
        Some(cliff_loss(&self.params))
    }
}

fn perturb(eta: f64) -> PerturbSpec {
    PerturbSpec {
        sigma: 1e-3,
        eta,
        probes: 1,
        antithetic: false,
        cosine_to: None,
        ..Default::default()
    }
}

fn spec(steps: u64) -> TrainSpec {
    TrainSpec {
        budget: Budget::steps(steps),
        record_every: 1,
        ..Default::default()
    }
}

/// Runs `opt` on the cliff from `w = start` with noise seed 3; returns the
/// trainer, the final parameters and the rejected steps.
fn run_on_cliff(opt: OptimizerSpec, start: f64, steps: u64) -> (Trainer<f64>, Vec<f64>, u64) {
    run_on_cliff_seeded(opt, start, steps, 3)
}

fn run_on_cliff_seeded(
    opt: OptimizerSpec,
    start: f64,
    steps: u64,
    seed: u64,
) -> (Trainer<f64>, Vec<f64>, u64) {
    let mut obj = CliffQuadratic {
        params: vec![start; 4],
    };
    let mut t =
        Trainer::new(opt.build(4, seed, steps).expect("valid"), spec(steps)).expect("valid");
    let run = t.run(&mut obj, &mut NoObserver).expect("recovers");
    assert!(
        run.records.iter().all(|r| r.loss.is_finite()),
        "{}: every recorded loss finite",
        opt.name()
    );
    (t, obj.params, run.last.rejected_steps)
}

/// `rate / base` is `2^-n` for some `n >= 1`.
fn halvings(rate: f64, base: f64) -> Option<i32> {
    let n = (base / rate).log2().round() as i32;
    (n >= 1 && base * 0.5f64.powi(n) == rate).then_some(n)
}

#[test]
fn fixed_rate_rules_roll_back_count_and_halve() {
    for (opt, start, base) in [
        (OptimizerSpec::Wp(WpSettings::from(perturb(2.0))), 1.0, 2.0),
        (
            OptimizerSpec::Sgd(SgdSettings {
                lr: 1.5,
                momentum: 0.0,
            }),
            1.0,
            1.5,
        ),
        (OptimizerSpec::Adam(AdamSettings { lr: 30.0 }), 9.0, 30.0),
    ] {
        let (t, params, rejected) = run_on_cliff(opt, start, 200);
        let name = opt.name();
        assert!(rejected >= 1, "{name}: no step rolled back");
        let rate = t.optimizer().current_rate();
        let n = halvings(rate, base)
            .unwrap_or_else(|| panic!("{name}: rate {rate} is not {base} halved"));
        assert!(
            n as u64 <= rejected,
            "{name}: {n} halvings, {rejected} rejections"
        );
        assert!(
            params.iter().all(|w| w.is_finite() && w.abs() <= CLIFF),
            "{name}"
        );
        assert!(
            cliff_loss(&params) < 4.0 * start * start,
            "{name}: it still learned"
        );
    }
}

#[test]
fn dopamine_absorbs_divergence_without_halving() {
    let opt = OptimizerSpec::Dopamine1(Dopamine1Settings::new(perturb(0.5), 0.9));
    // Starts next to the cliff (loss 361): its first large steps fall off.
    // Seed 1, not 3: with the noise streams of 0.2.0 (CHANGELOG.md), seed 3's
    // run never reaches the cliff, the premise of this test. Of seeds 1..=7,
    // 1, 4, 5, 6 and 7 reach it; all but 4 (loss 2.3) end below loss 1
    // in 400 steps, seed 1 at 0.44 after one rollback.
    let (t, params, rejected) = run_on_cliff_seeded(opt, 9.5, 400, 1);
    assert!(rejected >= 1, "the first steps must hit the cliff");
    assert_eq!(
        t.optimizer().current_rate(),
        0.5,
        "adaptive coding, no halving"
    );
    assert!(cliff_loss(&params) < 1.0, "loss {}", cliff_loss(&params));
}

#[test]
fn persistent_failure_stops_with_diverged_and_keeps_the_last_good_checkpoint() {
    let dir = std::env::temp_dir().join(format!("dopamine-diverge-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // Healthy for 100 evaluations (50 steps), then NaN for ever (a data
    // stream that went bad).
    let mut calls = 0u64;
    let mut obj = FnObjective::new(
        vec![1.0, -1.0],
        move |w: &[f64]| {
            calls += 1;
            if calls > 100 {
                f64::NAN
            } else {
                w.iter().map(|x| x * x).sum()
            }
        },
        0,
    );
    let opt = OptimizerSpec::Dopamine1(Dopamine1Settings::new(perturb(0.05), 0.9));
    let train_spec = TrainSpec {
        max_consecutive_rejections: 5,
        ..spec(1000)
    };
    let mut t = Trainer::new(opt.build(2, 1, 1000).expect("valid"), train_spec)
        .expect("valid")
        .with_checkpoints(CheckpointPolicy::new(&dir, 10))
        .expect("valid");
    match t.run(&mut obj, &mut NoObserver) {
        Err(TrainError::Diverged { rejections }) => assert_eq!(rejections, 6),
        other => panic!("expected Diverged, got {other:?}"),
    }
    assert!(
        obj.params().iter().all(|w| w.is_finite()),
        "last finite weights"
    );
    assert_eq!(t.state().current.rejected_steps, 6, "every failure counted");
    let loaded = load_latest::<f64>(&dir).expect("the last good checkpoint");
    assert!(loaded.skipped.is_empty(), "{:?}", loaded.skipped);
    assert_eq!(loaded.checkpoint.step(), 50);
    assert!(loaded.checkpoint.params.iter().all(|w| w.is_finite()));
    assert_eq!(list_checkpoints(&dir).expect("lists").len(), 3);
    std::fs::remove_dir_all(&dir).ok();
}
