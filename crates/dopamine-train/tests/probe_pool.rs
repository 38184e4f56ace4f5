//! A step with the points evaluated on a thread pool, and a population step through `Objective::evaluate_plan`, are bit-identical to the sequential step, for every population method (the perturbation rules, OpenES, SNES).

use dopamine_nets::{Bptt, Rnn, RnnInit};
use dopamine_train::{
    Dopamine1Settings, Dopamine2Settings, Objective, OpenEsSettings, OptimizerSpec, PerturbSpec,
    PopulationScratch, ProbePool, RnnObjective, SnesSettings, WpSettings, population_step,
};
use faer::Mat;

fn rnn() -> RnnObjective<f64> {
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
        ..Default::default()
    };
    let antithetic = PerturbSpec {
        probes: 3,
        antithetic: true,
        ..base
    };
    vec![
        OptimizerSpec::Wp(WpSettings::from(base)),
        OptimizerSpec::Dopamine1(Dopamine1Settings::new(base, 0.9)),
        OptimizerSpec::Dopamine2(Dopamine2Settings::new(antithetic, 0.9, 0.5)),
        OptimizerSpec::Dopamine1(Dopamine1Settings::new(
            PerturbSpec { probes: 1, ..base },
            0.9,
        )),
        // The evolution strategies run the same population path: OpenES's
        // antithetic pairs, and SNES's full-rank points (evaluated in
        // lockstep by the RNN's population sweep, on clones by the pool).
        OptimizerSpec::OpenEs(OpenEsSettings {
            sigma: 1e-2,
            eta: 1e-2,
            pairs: 3,
            ..Default::default()
        }),
        OptimizerSpec::Snes(SnesSettings {
            sigma: 5e-2,
            eta: 1.0,
            population: Some(7),
            eta_sigma: None,
        }),
    ]
}

#[test]
fn pooled_steps_are_bit_identical_to_sequential_steps() {
    let steps = 30;
    for spec in specs() {
        let start = rnn();
        let dim = start.params().len();
        let mut seq_obj = start.clone();
        let mut seq_opt = spec.build::<f64>(dim, 11, steps).expect("spec");
        let mut seq_info = Vec::new();
        for _ in 0..steps {
            seq_info.push(seq_opt.step(&mut seq_obj).expect("step"));
        }
        for threads in [1, 2, 3] {
            let mut obj = start.clone();
            let mut opt = spec.build::<f64>(dim, 11, steps).expect("spec");
            let mut pool = ProbePool::new(&obj, threads).expect("pool");
            for (i, expected) in seq_info.iter().enumerate() {
                let info = pool.step(opt.as_mut(), &mut obj).expect("step");
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
                opt.save_state().expect("encodes"),
                seq_opt.save_state().expect("encodes"),
                "{} threads={threads}: optimizer state",
                spec.describe()
            );
        }
    }
}

#[test]
fn population_steps_through_evaluate_plan_are_bit_identical_to_sequential_steps() {
    let steps = 30;
    for spec in specs() {
        let start = rnn();
        let dim = start.params().len();
        let mut seq_obj = start.clone();
        let mut seq_opt = spec.build::<f64>(dim, 11, steps).expect("spec");
        let mut obj = start.clone();
        let mut opt = spec.build::<f64>(dim, 11, steps).expect("spec");
        let mut scratch = PopulationScratch::new();
        for i in 0..steps {
            let expected = seq_opt.step(&mut seq_obj).expect("step");
            let population = opt
                .population()
                .expect("a population method plans its steps");
            let info = population_step(population, &mut obj, &mut scratch).expect("step");
            assert_eq!(info, expected, "{} step {i}", spec.describe());
        }
        let same = obj
            .params()
            .iter()
            .zip(seq_obj.params())
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "{}: parameters differ", spec.describe());
        assert_eq!(
            opt.save_state().expect("encodes"),
            seq_opt.save_state().expect("encodes")
        );
    }
}
