//! B3: a training step allocates nothing in steady state — WP, Dopamine-1, Dopamine-2, OpenES and SNES on the MLP and the RNN, step by step and as population steps on every population path of the RNN, on one and two threads; Dopamine-3 on both (blocks and streamed) and SGD / Adam online on the RNN, step by step.
//!
//! The workspace's counting allocator (`dopamine-meter`) is installed for
//! this test binary; the test reads its per-thread count, so the harness's
//! own threads cannot disturb it (the two-thread runs read the process's
//! count, which covers the objective's helper thread: this binary has one
//! test, so nothing else runs meanwhile). Each run takes warm-up steps first
//! (nothing should allocate there either, but one-time lazily built state —
//! the scratch copy of a model, the population buffers — is allowed), then
//! counts the allocations of many steps through `Optimizer::step`, the path
//! the trainer uses, and through `population_step`.

use dopamine_meter::{CountingAllocator, thread_allocations};
use dopamine_nets::{Activation, Bptt, Loss, Mlp, PopulationPath, Rnn, RnnInit, WeightInit};
use dopamine_train::{
    AdamSettings, Dopamine1Settings, Dopamine2Settings, Dopamine3Settings, MlpObjective, Objective,
    OpenEsSettings, OptimizerSpec, PerturbSpec, PopulationScratch, RnnObjective, SgdSettings,
    SnesSettings, SpecOptions, WpSettings, population_step,
};
use faer::Mat;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();

const WARM_UP: usize = 5;
const STEPS: usize = 200;

fn specs() -> [OptimizerSpec; 6] {
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
        OptimizerSpec::OpenEs(OpenEsSettings {
            sigma: 1e-3,
            eta: 1e-2,
            pairs: 8,
            ..Default::default()
        }),
        OptimizerSpec::Snes(SnesSettings {
            sigma: 1e-2,
            eta: 1.0,
            population: Some(16),
            eta_sigma: None,
        }),
    ]
}

/// Rank-1 probes without a baseline: the points every RNN path evaluates
/// differently (lockstep of the built points, or the low-rank sweep).
fn low_rank() -> (OptimizerSpec, SpecOptions) {
    let spec = OptimizerSpec::Dopamine1(Dopamine1Settings::new(
        PerturbSpec {
            sigma: 1e-3,
            eta: 1e-2,
            probes: 12,
            antithetic: true,
            ..Default::default()
        },
        0.9,
    ));
    let options = SpecOptions {
        rank: Some(1),
        baseline_from_probes: true,
        ..Default::default()
    };
    (spec, options)
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
    // Long enough that two threads split even a pair of points.
    let inputs = Mat::from_fn(800, 1, |i, _| x(i));
    let targets = Mat::from_fn(800, 1, |i, _| x(i + 1));
    RnnObjective::new(net, inputs, targets, 10, Bptt::Full).expect("rnn objective")
}

/// Allocations made by `STEPS` steps after `WARM_UP` steps, step by step
/// and as population steps, counted by `count`.
fn allocations_per_run(
    objective: &mut dyn Objective<f64>,
    spec: OptimizerSpec,
    options: &SpecOptions,
    count: fn() -> u64,
) -> [u64; 2] {
    let total = 2 * (WARM_UP + STEPS) as u64;
    let layout = options.rank.and_then(|r| objective.param_layout(r));
    let mut optimizer = spec
        .build_with::<f64>(options, layout.as_ref(), objective.params().len(), 7, total)
        .expect("spec");
    for _ in 0..WARM_UP {
        optimizer.step(objective).expect("warm-up step");
    }
    let before = count();
    for _ in 0..STEPS {
        optimizer.step(objective).expect("step");
    }
    let sequential = count() - before;
    let mut scratch = PopulationScratch::new();
    let population = optimizer.population().expect("a perturbation rule");
    for _ in 0..WARM_UP {
        population_step(&mut *population, objective, &mut scratch).expect("warm-up step");
    }
    let before = count();
    for _ in 0..STEPS {
        population_step(&mut *population, objective, &mut scratch).expect("step");
    }
    [sequential, count() - before]
}

/// Allocations made by `STEPS` steps after `WARM_UP` steps of an
/// optimizer without population steps (Dopamine-3, the online gradient
/// methods), counted by `count`.
fn allocations_per_step_run(
    objective: &mut dyn Objective<f64>,
    spec: OptimizerSpec,
    options: &SpecOptions,
    count: fn() -> u64,
) -> u64 {
    let mut optimizer = spec
        .build_with::<f64>(options, None, objective.params().len(), 7, 100)
        .expect("spec");
    optimizer.prepare(objective).expect("prepares");
    for _ in 0..WARM_UP {
        optimizer.step(objective).expect("warm-up step");
    }
    let before = count();
    for _ in 0..STEPS {
        optimizer.step(objective).expect("step");
    }
    count() - before
}

/// An objective, named, with the allocation count that covers its threads.
type Counted = (&'static str, Box<dyn Objective<f64>>, fn() -> u64);

/// Allocations of the whole process (the objective's helper thread too).
fn process_allocations() -> u64 {
    ALLOCATOR.snapshot().allocations
}

#[test]
fn training_steps_allocate_nothing_in_steady_state() {
    // The meter itself counts: a vector allocated here shows up.
    let before = thread_allocations();
    let probe = std::hint::black_box(vec![0u8; 64]);
    assert!(thread_allocations() > before, "the per-thread count works");
    drop(probe);
    let mut failures = Vec::new();
    let mut check = |what: String, counts: [u64; 2]| {
        for (path, count) in ["step", "population step"].into_iter().zip(counts) {
            if count != 0 {
                failures.push(format!("{what}, {path}: {count} allocations"));
            }
        }
    };
    let none = SpecOptions::default();
    for spec in specs() {
        let counts = allocations_per_run(&mut mlp(), spec, &none, thread_allocations);
        check(format!("{} on the MLP", spec.describe()), counts);
        let counts = allocations_per_run(&mut rnn(), spec, &none, thread_allocations);
        check(format!("{} on the RNN", spec.describe()), counts);
        let mut two = rnn().with_threads(2).expect("two threads");
        let counts = allocations_per_run(&mut two, spec, &none, process_allocations);
        check(format!("{} on the RNN, 2 threads", spec.describe()), counts);
    }
    let (spec, options) = low_rank();
    for path in [
        PopulationPath::OneByOne,
        PopulationPath::Lockstep,
        PopulationPath::LowRankSweep,
    ] {
        for threads in [1, 2] {
            let mut objective = rnn()
                .with_path(Some(path))
                .with_threads(threads)
                .expect("threads");
            let count = if threads == 1 {
                thread_allocations
            } else {
                process_allocations
            };
            let counts = allocations_per_run(&mut objective, spec, &options, count);
            check(
                format!(
                    "{} rank 1 on the RNN, {path:?}, {threads} threads",
                    spec.describe()
                ),
                counts,
            );
        }
    }
    // Dopamine-3 (an interval a step on the RNN, in blocks and streamed;
    // a sweep a step on the MLP) and SGD / Adam online.
    let d3 = Dopamine3Settings {
        update_every: 64,
        ..Default::default()
    };
    let streamed = Dopamine3Settings {
        streaming: true,
        ..d3
    };
    for spec in [d3, streamed].map(OptimizerSpec::Dopamine3) {
        let mut objectives: [Counted; 3] = [
            ("the MLP", Box::new(mlp()), thread_allocations),
            ("the RNN", Box::new(rnn()), thread_allocations),
            (
                "the RNN, 2 threads",
                Box::new(rnn().with_threads(2).expect("two threads")),
                process_allocations,
            ),
        ];
        for (what, objective, count) in &mut objectives {
            let n = allocations_per_step_run(objective.as_mut(), spec, &none, *count);
            if n != 0 {
                failures.push(format!("{} on {what}: {n} allocations", spec.describe()));
            }
        }
    }
    let online = SpecOptions {
        online_every: Some(50),
        ..Default::default()
    };
    for spec in [
        OptimizerSpec::Sgd(SgdSettings::default()),
        OptimizerSpec::Adam(AdamSettings::default()),
    ] {
        let n = allocations_per_step_run(&mut rnn(), spec, &online, thread_allocations);
        if n != 0 {
            failures.push(format!(
                "{} online on the RNN: {n} allocations",
                spec.describe()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "allocations in {STEPS} steps: {failures:?}"
    );
}
