//! B5's correctness half: a step with the probes evaluated on a thread pool is bit-identical to the sequential step.

use dopamine_bench::parallel_probes::ProbePool;
use dopamine_bench::{Objective, Optimizer, OptimizerSpec, PerturbSpec, RnnObjective};
use dopamine_nets::{Bptt, Rnn, RnnInit};
use faer::Mat;

fn rnn() -> RnnObjective {
    let net = Rnn::new(1, 12, 1, &RnnInit::with_seed(4)).expect("rnn");
    let x = |i: usize| (0.13 * i as f64).sin() + 0.3 * (0.041 * i as f64).cos();
    let inputs = Mat::from_fn(120, 1, |i, _| x(i));
    let targets = Mat::from_fn(120, 1, |i, _| x(i + 1));
    RnnObjective::new(net, inputs, targets, 5, Bptt::Full).expect("objective")
}

fn specs() -> Vec<OptimizerSpec> {
    let base = PerturbSpec {
        sigma: 1e-2,
        eta: 5e-2,
        probes: 8,
        antithetic: false,
        cosine_to: Some(0.1),
    };
    let antithetic = PerturbSpec {
        probes: 3,
        antithetic: true,
        ..base
    };
    vec![
        OptimizerSpec::Wp(base),
        OptimizerSpec::Dopamine1 {
            perturb: base,
            beta: 0.9,
        },
        OptimizerSpec::Dopamine2 {
            perturb: antithetic,
            beta: 0.9,
            lambda: 0.5,
        },
        OptimizerSpec::Dopamine1 {
            perturb: PerturbSpec { probes: 1, ..base },
            beta: 0.9,
        },
    ]
}

#[test]
fn pooled_steps_are_bit_identical_to_sequential_steps() {
    let steps = 30;
    for spec in specs() {
        let start = rnn();
        let dim = start.params().len();
        let mut seq_obj = start.clone();
        let mut seq_opt = Optimizer::new(spec, dim, 11, steps).expect("spec");
        let mut seq_info = Vec::new();
        for _ in 0..steps {
            seq_info.push(seq_opt.step(&mut seq_obj).expect("step"));
        }
        for threads in [1, 2, 3] {
            let mut obj = start.clone();
            let mut opt = Optimizer::new(spec, dim, 11, steps).expect("spec");
            let mut pool = ProbePool::new(&obj, threads).expect("pool");
            for (i, expected) in seq_info.iter().enumerate() {
                let info = opt.step_with_probe_pool(&mut obj, &mut pool).expect("step");
                assert_eq!(
                    info.loss.to_bits(),
                    expected.loss.to_bits(),
                    "{} threads={threads} step {i}",
                    spec.describe()
                );
                assert_eq!(&info, expected);
            }
            let same = obj
                .params()
                .iter()
                .zip(seq_obj.params())
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(
                same,
                "{} threads={threads}: parameters differ",
                spec.describe()
            );
            assert_eq!(
                opt,
                seq_opt,
                "{} threads={threads}: optimizer state",
                spec.describe()
            );
        }
    }
}
