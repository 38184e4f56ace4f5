//! The RNN objective's population paths and threads: every path that must keep the bits (one by one, lockstep, the measured choice) trains bit for bit like the optimizer's own step, on one and two threads, for every population method; the low-rank sweep gives the same bits on one and two threads.

use dopamine_nets::{Bptt, PopulationPath, Rnn, RnnInit, two_thread_split};
use dopamine_train::{
    Dopamine1Settings, Dopamine2Settings, Objective, OpenEsSettings, OptimizerSpec, PerturbSpec,
    PopulationScratch, RnnObjective, SnesSettings, SpecOptions, StepInfo, WpSettings,
    step_preferred,
};
use faer::Mat;

const SEQ_LEN: usize = 800;

fn rnn<T: dopamine_train::Float>() -> RnnObjective<T> {
    let net = Rnn::new(1, 16, 1, &RnnInit::with_seed(4)).expect("rnn");
    let x = |i: usize| T::from_f64((0.13 * i as f64).sin() + 0.3 * (0.041 * i as f64).cos());
    let inputs = Mat::from_fn(SEQ_LEN, 1, |i, _| x(i));
    let targets = Mat::from_fn(SEQ_LEN, 1, |i, _| x(i + 1));
    RnnObjective::new(net, inputs, targets, 5, Bptt::Full).expect("objective")
}

fn specs() -> Vec<(OptimizerSpec, SpecOptions)> {
    let base = PerturbSpec {
        sigma: 1e-2,
        eta: 5e-2,
        probes: 8,
        antithetic: false,
        cosine_to: Some(0.1),
        ..Default::default()
    };
    let pair = PerturbSpec {
        probes: 1,
        antithetic: true,
        ..base
    };
    let no_baseline = SpecOptions {
        baseline_from_probes: true,
        ..Default::default()
    };
    let rank1 = SpecOptions {
        rank: Some(1),
        ..no_baseline
    };
    vec![
        (
            OptimizerSpec::Wp(WpSettings::from(base)),
            SpecOptions::default(),
        ),
        (
            OptimizerSpec::Dopamine1(Dopamine1Settings::new(pair, 0.9)),
            no_baseline,
        ),
        (
            OptimizerSpec::Dopamine1(Dopamine1Settings::new(
                PerturbSpec { probes: 4, ..pair },
                0.9,
            )),
            rank1,
        ),
        (
            OptimizerSpec::Dopamine2(Dopamine2Settings::new(
                PerturbSpec { probes: 3, ..pair },
                0.9,
                0.5,
            )),
            no_baseline,
        ),
        (
            OptimizerSpec::OpenEs(OpenEsSettings {
                sigma: 1e-2,
                eta: 1e-2,
                pairs: 5,
                ..Default::default()
            }),
            SpecOptions::default(),
        ),
        (
            OptimizerSpec::Snes(SnesSettings {
                sigma: 5e-2,
                eta: 1.0,
                population: Some(9),
                eta_sigma: None,
            }),
            SpecOptions::default(),
        ),
    ]
}

/// `steps` steps of `spec` on `objective` the way the trainer takes them;
/// the infos and the final parameters' bits.
fn run<T: dopamine_train::Float>(
    spec: &OptimizerSpec,
    options: &SpecOptions,
    mut objective: RnnObjective<T>,
    steps: u64,
) -> (Vec<StepInfo>, Vec<u64>) {
    let layout = options.rank.and_then(|r| objective.param_layout(r));
    let dim = objective.params().len();
    let mut opt = spec
        .build_with::<T>(options, layout.as_ref(), dim, 11, steps)
        .expect("spec");
    let mut scratch = PopulationScratch::new();
    let infos = (0..steps)
        .map(|_| step_preferred(opt.as_mut(), &mut objective, &mut scratch).expect("step"))
        .collect();
    let bits = objective
        .params()
        .iter()
        .map(|v| v.to_f64().to_bits())
        .collect();
    (infos, bits)
}

fn paths_keep_the_bits<T: dopamine_train::Float>() {
    // At this size even a pair splits, so the two-thread runs use both.
    assert_eq!(
        two_thread_split::<T>(16, SEQ_LEN, 2, PopulationPath::Lockstep),
        Some(1)
    );
    let steps = 12;
    for (spec, options) in specs() {
        let name = format!("{} {}", spec.describe(), options.describe());
        let reference = run(&spec, &options, rnn::<T>().with_population(false), steps);
        let variants: [(&str, RnnObjective<T>); 5] = [
            ("measured path", rnn()),
            (
                "one by one",
                rnn().with_path(Some(PopulationPath::OneByOne)),
            ),
            ("lockstep", rnn().with_path(Some(PopulationPath::Lockstep))),
            (
                "measured path, 2 threads",
                rnn().with_threads(2).expect("2 threads"),
            ),
            (
                "lockstep, 2 threads",
                rnn()
                    .with_path(Some(PopulationPath::Lockstep))
                    .with_threads(2)
                    .expect("2 threads"),
            ),
        ];
        for (what, objective) in variants {
            if what.starts_with("measured") && options.rank.is_some() {
                // The measured path of a low-rank step may be the sweep,
                // whose rounding differs; checked below.
                continue;
            }
            let got = run(&spec, &options, objective, steps);
            assert_eq!(got.0, reference.0, "{name}: {what}");
            assert!(got.1 == reference.1, "{name}: {what}: parameters differ");
        }
        if options.rank.is_some() {
            let sweep = |threads| {
                let objective = rnn::<T>()
                    .with_path(Some(PopulationPath::LowRankSweep))
                    .with_threads(threads)
                    .expect("threads");
                run(&spec, &options, objective, steps)
            };
            let one = sweep(1);
            assert_eq!(sweep(2), one, "{name}: the sweep on 2 threads");
            let measured = |threads| {
                run(
                    &spec,
                    &options,
                    rnn::<T>().with_threads(threads).expect("threads"),
                    steps,
                )
            };
            assert_eq!(
                measured(2),
                measured(1),
                "{name}: measured path on 2 threads"
            );
        }
    }
}

#[test]
fn every_bit_keeping_path_trains_like_the_optimizers_own_step_f64() {
    paths_keep_the_bits::<f64>();
}

#[test]
fn every_bit_keeping_path_trains_like_the_optimizers_own_step_f32() {
    paths_keep_the_bits::<f32>();
}

#[test]
fn a_sweep_split_between_threads_gives_each_point_its_bits() {
    // 40 low-rank points: the sweep splits at 32 (a multiple of its
    // padding), and every loss matches the one-thread evaluation.
    let spec = OptimizerSpec::Dopamine1(Dopamine1Settings::new(
        PerturbSpec {
            sigma: 1e-2,
            eta: 1e-2,
            probes: 20,
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
    let sweep = |threads| {
        let objective = rnn::<f32>()
            .with_path(Some(PopulationPath::LowRankSweep))
            .with_threads(threads)
            .expect("threads");
        run(&spec, &options, objective, 4)
    };
    assert_eq!(sweep(2), sweep(1));
}

#[test]
fn thread_counts_other_than_one_or_two_are_refused() {
    for bad in [0, 3] {
        let err = rnn::<f32>().with_threads(bad).err().expect("refused");
        assert!(err.to_string().contains("threads"), "{err}");
    }
}
