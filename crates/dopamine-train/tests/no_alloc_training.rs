//! B3: a training step allocates nothing in steady state — WP, Dopamine-1 and Dopamine-2 on the MLP and the RNN, step by step and as population steps.
//!
//! The workspace's counting allocator (`dopamine-meter`) is installed for
//! this test binary; the test reads its per-thread count, so the harness's
//! own threads cannot disturb it. Each run takes warm-up steps first
//! (nothing should allocate there either, but one-time lazily built state —
//! the scratch copy of a model, the population buffers — is allowed), then
//! counts the allocations of many steps through `Optimizer::step`, the path
//! the trainer uses, and through `population_step`.

use dopamine_meter::{CountingAllocator, thread_allocations};
use dopamine_nets::{Activation, Bptt, Loss, Mlp, Rnn, RnnInit, WeightInit};
use dopamine_train::{
    Dopamine1Settings, Dopamine2Settings, MlpObjective, Objective, OptimizerSpec, PerturbSpec,
    PopulationScratch, RnnObjective, WpSettings, population_step,
};
use faer::Mat;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();

const WARM_UP: usize = 5;
const STEPS: usize = 200;

fn specs() -> [OptimizerSpec; 4] {
    let perturb = PerturbSpec {
        sigma: 1e-3,
        eta: 1e-2,
        probes: 1,
        antithetic: false,
        cosine_to: Some(0.1),
        ..Default::default()
    };
    let several = PerturbSpec {
        probes: 4,
        antithetic: true,
        ..perturb
    };
    [
        OptimizerSpec::Wp(WpSettings::from(perturb)),
        OptimizerSpec::Dopamine1(Dopamine1Settings::new(perturb, 0.9)),
        OptimizerSpec::Dopamine2(Dopamine2Settings::new(perturb, 0.9, 0.5)),
        // K > 1 and antithetic probes go through the fused K-probe update.
        OptimizerSpec::Dopamine1(Dopamine1Settings::new(several, 0.9)),
    ]
}

fn mlp() -> MlpObjective<f64> {
    let net = Mlp::new(
        &[2, 8, 1],
        &[Activation::Tanh, Activation::Sigmoid],
        WeightInit::Auto,
        3,
    )
    .expect("mlp");
    let inputs = Mat::from_fn(4, 2, |i, j| ((i >> j) & 1) as f64);
    let targets = Mat::from_fn(4, 1, |i, _| ((i & 1) ^ (i >> 1)) as f64);
    MlpObjective::new(net, inputs, targets, Loss::Mse).expect("mlp objective")
}

fn rnn() -> RnnObjective<f64> {
    let net = Rnn::new(1, 16, 1, &RnnInit::with_seed(2)).expect("rnn");
    let x = |i: usize| (0.1 * i as f64).sin();
    let inputs = Mat::from_fn(200, 1, |i, _| x(i));
    let targets = Mat::from_fn(200, 1, |i, _| x(i + 1));
    RnnObjective::new(net, inputs, targets, 10, Bptt::Full).expect("rnn objective")
}

/// Allocations made by `STEPS` steps after `WARM_UP` steps, step by step
/// and as population steps.
fn allocations_per_run(objective: &mut dyn Objective<f64>, spec: OptimizerSpec) -> [u64; 2] {
    let total = 2 * (WARM_UP + STEPS) as u64;
    let mut optimizer = spec
        .build::<f64>(objective.params().len(), 7, total)
        .expect("spec");
    for _ in 0..WARM_UP {
        optimizer.step(objective).expect("warm-up step");
    }
    let before = thread_allocations();
    for _ in 0..STEPS {
        optimizer.step(objective).expect("step");
    }
    let sequential = thread_allocations() - before;
    let mut scratch = PopulationScratch::new();
    let population = optimizer.population().expect("a perturbation rule");
    for _ in 0..WARM_UP {
        population_step(&mut *population, objective, &mut scratch).expect("warm-up step");
    }
    let before = thread_allocations();
    for _ in 0..STEPS {
        population_step(&mut *population, objective, &mut scratch).expect("step");
    }
    [sequential, thread_allocations() - before]
}

#[test]
fn training_steps_allocate_nothing_in_steady_state() {
    // The meter itself counts: a vector allocated here shows up.
    let before = thread_allocations();
    let probe = std::hint::black_box(vec![0u8; 64]);
    assert!(thread_allocations() > before, "the per-thread count works");
    drop(probe);
    let mut failures = Vec::new();
    for spec in specs() {
        let mut m = mlp();
        let on_mlp = allocations_per_run(&mut m, spec);
        let mut r = rnn();
        let on_rnn = allocations_per_run(&mut r, spec);
        for (model, counts) in [("MLP", on_mlp), ("RNN", on_rnn)] {
            for (path, count) in ["step", "population step"].into_iter().zip(counts) {
                if count != 0 {
                    failures.push(format!(
                        "{} on the {model}, {path}: {count} allocations",
                        spec.describe()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "allocations in {STEPS} steps: {failures:?}"
    );
}
