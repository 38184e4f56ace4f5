//! Dopamine-3 through the trainer: it learns Mackey-Glass one step ahead on an RNN; a run is the nets API's sweeps bit for bit; one and two threads agree; a run checkpointed mid-sequence resumes bit for bit; passes and FLOPs are charged as documented; bad settings and objectives without neurons are typed errors; the settings round-trip their config form and refuse unknown fields.

mod common;

use common::{assert_same_records, param_bits, xor_objective};
use dopamine_core::{Dopamine3, Error as CoreError};
use dopamine_nets::{Bptt, Rnn, RnnInit, RnnNodeWorkspace};
use dopamine_train::{
    Budget, Checkpoint, Copies, Dopamine3Optimizer, Dopamine3Settings, FnObjective, NoObserver,
    NodeSignal, Objective, Optimizer, OptimizerSpec, RnnObjective, SpecOptions, TrainError,
    TrainSpec, Trainer, train,
};
use faer::Mat;

const SEQ_LEN: usize = 400;
const WASHOUT: usize = 20;

/// Mackey-Glass (tau = 17), z-scored, one step ahead: `SEQ_LEN` pairs.
fn mackey_glass() -> (Mat<f64>, Mat<f64>) {
    let series = dopamine_tasks::MackeyGlassConfig::default()
        .generate(SEQ_LEN + 1)
        .expect("generates");
    let x: Vec<f64> = (0..=SEQ_LEN).map(|t| series.row(t)[0]).collect();
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / x.len() as f64).sqrt();
    let z = |t: usize| (x[t] - mean) / sd;
    (
        Mat::from_fn(SEQ_LEN, 1, |t, _| z(t)),
        Mat::from_fn(SEQ_LEN, 1, |t, _| z(t + 1)),
    )
}

fn net(seed: u64) -> Rnn<f64> {
    Rnn::new(
        1,
        8,
        1,
        &RnnInit {
            spectral_radius: 0.9,
            seed,
            ..Default::default()
        },
    )
    .expect("rnn")
}

fn objective(seed: u64) -> RnnObjective<f64> {
    let (x, y) = mackey_glass();
    RnnObjective::new(net(seed), x, y, WASHOUT, Bptt::Full).expect("objective")
}

/// Updates every 64 steps: a 400-step sweep is 7 steps of the trainer
/// (six of 64, one of 16).
fn settings() -> Dopamine3Settings {
    Dopamine3Settings {
        sigma: 0.01,
        eta: 0.01,
        lambda: 0.5,
        update_every: 64,
        ..Default::default()
    }
}

const STEPS_PER_SWEEP: u64 = 7;

fn build(s: Dopamine3Settings, dim: usize, sweeps: u64) -> Box<dyn Optimizer<f64>> {
    OptimizerSpec::Dopamine3(s)
        .build::<f64>(dim, 17, sweeps)
        .expect("valid settings")
}

fn sweeps(n: u64) -> TrainSpec {
    TrainSpec {
        budget: Budget::forward_equivalents(2 * n),
        ..Default::default()
    }
}

#[test]
fn learns_mackey_glass_one_step_ahead() {
    let mut obj = objective(1);
    let start = obj.loss();
    let mut opt = build(settings(), obj.params().len(), 300);
    let run = train(&mut obj, opt.as_mut(), &sweeps(300), &mut NoObserver).expect("trains");
    let end = obj.loss();
    eprintln!("Dopamine-3, MG RNN 1-8-1, 300 sweeps: loss {start} -> {end}");
    assert_eq!(run.last.forward_passes, 600);
    assert_eq!(run.last.step, 300 * STEPS_PER_SWEEP);
    // Measured: 7.86 -> 0.0035.
    assert!(
        end < start / 100.0,
        "the loss fell from {start} to {end} only"
    );
}

#[test]
fn a_run_is_the_nets_sweeps_bit_for_bit_and_charges_passes_and_flops() {
    let n = 20;
    let mut obj = objective(2);
    let dim = obj.params().len();
    let mut opt = build(settings(), dim, n);
    let run = train(&mut obj, opt.as_mut(), &sweeps(n), &mut NoObserver).expect("trains");

    // The same rule by hand: `node_sweep` n times.
    let (x, y) = mackey_glass();
    let mut net = net(2);
    let reference = Dopamine3Optimizer::new(settings().config::<f64>(17, n).expect("config"), dim)
        .expect("builds");
    let config = reference.rule_config(SEQ_LEN);
    let layout = net.node_layout();
    let mut rule =
        Dopamine3::new(config, layout, vec![0.0; config.storage_len(&layout)]).expect("rule");
    let mut ws = RnnNodeWorkspace::new(&net);
    for _ in 0..n {
        let _ = net
            .node_sweep(&mut rule, x.as_ref(), y.as_ref(), WASHOUT, &mut ws)
            .expect("sweeps");
    }
    assert_eq!(param_bits(obj.params()), param_bits(net.params()));
    assert_eq!(rule.counters().updates, n * STEPS_PER_SWEEP);

    // Two passes a sweep; FLOPs: the passes plus the rule's own count.
    assert_eq!(run.last.forward_passes, 2 * n);
    assert_eq!(run.last.backward_passes, 0);
    let cost = obj.cost();
    assert_eq!(
        run.last.flops,
        2 * n * cost.forward_flops + rule.counters().eligibility_flops
    );
    assert!(rule.counters().eligibility_flops > 0);
}

#[test]
fn one_and_two_threads_give_the_same_bits() {
    let n = 10;
    let mut runs = Vec::new();
    for threads in [1, 2] {
        let mut obj = objective(3).with_threads(threads).expect("threads");
        let mut opt = build(settings(), obj.params().len(), n);
        let run = train(&mut obj, opt.as_mut(), &sweeps(n), &mut NoObserver).expect("trains");
        runs.push((param_bits(obj.params()), run));
    }
    assert_eq!(runs[0].0, runs[1].0);
    assert_same_records(&runs[0].1.records, &runs[1].1.records, "threads");
}

#[test]
fn a_run_checkpointed_mid_sequence_resumes_bit_for_bit() {
    let n = 6;
    let spec = TrainSpec {
        record_every: 1,
        ..sweeps(n)
    };
    let mut reference = objective(4);
    let dim = reference.params().len();
    let mut opt = build(settings(), dim, n);
    let full = train(&mut reference, opt.as_mut(), &spec, &mut NoObserver).expect("runs");

    // Cuts inside the first sweep, on a sweep's end and inside a later one.
    for cut in [3, STEPS_PER_SWEEP, 2 * STEPS_PER_SWEEP + 4] {
        let mut obj = objective(4);
        let mut first = Trainer::new(build(settings(), dim, n), spec).expect("trainer");
        assert!(
            first
                .run_until(&mut obj, cut, &mut NoObserver)
                .expect("runs")
                .is_none()
        );
        let bytes = first
            .checkpoint(&obj)
            .expect("finite")
            .to_bytes()
            .expect("encodes");
        drop(first);
        // A fresh objective with other weights and no lockstep state.
        let mut fresh = objective(99);
        let saved = Checkpoint::from_bytes(&bytes).expect("decodes");
        let mut resumed =
            Trainer::resume(saved, build(settings(), dim, n), &mut fresh).expect("resumes");
        let stream_at = resumed_position(&resumed);
        assert_eq!(stream_at == 0, cut % STEPS_PER_SWEEP == 0, "cut {cut}");
        let run = resumed.run(&mut fresh, &mut NoObserver).expect("runs");
        let what = format!("cut at {cut}");
        assert_eq!(
            param_bits(fresh.params()),
            param_bits(reference.params()),
            "{what}"
        );
        assert_same_records(&run.records, &full.records, &what);
    }
}

/// The stream position in a trainer's saved Dopamine-3 state.
fn resumed_position(trainer: &Trainer<f64>) -> usize {
    let state = trainer.optimizer().save_state().expect("encodes");
    let config = settings().config(0, 1).expect("config");
    let dim = objective(0).params().len();
    let mut opt = Dopamine3Optimizer::<f64>::new(config, dim).expect("builds");
    opt.load_state(&state).expect("loads");
    opt.stream().position
}

#[test]
fn the_mlp_learns_xor_with_one_sweep_a_step() {
    let mut obj = xor_objective(5);
    let start = obj.loss();
    let s = Dopamine3Settings {
        sigma: 0.05,
        eta: 0.1,
        update_every: 4,
        ..Default::default()
    };
    let mut opt = build(s, obj.params().len(), 1000);
    let run = train(
        &mut obj,
        opt.as_mut(),
        &TrainSpec {
            budget: Budget::steps(1000),
            ..Default::default()
        },
        &mut NoObserver,
    )
    .expect("trains");
    assert_eq!(run.last.forward_passes, 2000);
    assert!(obj.loss() < start / 10.0, "{start} -> {}", obj.loss());
}

#[test]
fn bad_settings_are_typed_errors_when_built() {
    let dim = 10;
    let cases = [
        (
            Dopamine3Settings {
                sigma: 0.0,
                ..settings()
            },
            CoreError::SigmaNotPositive,
        ),
        (
            Dopamine3Settings {
                sigma: -1.0,
                ..settings()
            },
            CoreError::SigmaNotPositive,
        ),
        (
            Dopamine3Settings {
                lambda: 1.0,
                ..settings()
            },
            CoreError::LambdaOutOfRange,
        ),
        (
            Dopamine3Settings {
                lambda: -0.1,
                ..settings()
            },
            CoreError::LambdaOutOfRange,
        ),
    ];
    for (s, expected) in cases {
        match OptimizerSpec::Dopamine3(s).build::<f64>(dim, 0, 10) {
            Err(TrainError::Optimizer(e)) => assert_eq!(e, expected, "{s:?}"),
            other => panic!("{s:?}: {:?}", other.map(|o| o.name().to_string())),
        }
    }
    let zero = Dopamine3Settings {
        update_every: 0,
        ..settings()
    };
    match OptimizerSpec::Dopamine3(zero).build::<f64>(dim, 0, 10) {
        Err(TrainError::Optimizer(CoreError::InvalidSetting(why))) => {
            assert!(why.contains("interval C"), "{why}");
        }
        other => panic!("C = 0: {:?}", other.map(|o| o.name().to_string())),
    }
    // Options it does not take, and schedules that are not one.
    let spec = OptimizerSpec::Dopamine3(settings());
    for options in [
        SpecOptions {
            rank: Some(1),
            ..Default::default()
        },
        SpecOptions {
            second_moment: Some(0.99),
            ..Default::default()
        },
    ] {
        assert!(matches!(
            spec.build_with::<f64>(&options, None, dim, 0, 10),
            Err(TrainError::Spec(_))
        ));
    }
    let both = Dopamine3Settings {
        every: Some(5),
        factor: Some(0.5),
        ..settings()
    };
    assert!(matches!(
        OptimizerSpec::Dopamine3(both).build::<f64>(dim, 0, 10),
        Err(TrainError::Spec(e)) if e.field == "cosine_to"
    ));
}

#[test]
fn an_objective_without_neurons_is_refused_before_any_step() {
    let start = vec![0.5f64, -0.5];
    let mut obj = FnObjective::new(start.clone(), |w: &[f64]| w.iter().map(|x| x * x).sum(), 4);
    let mut opt = build(settings(), 2, 10);
    let err = train(&mut obj, opt.as_mut(), &sweeps(10), &mut NoObserver).unwrap_err();
    assert!(matches!(err, TrainError::NoNeurons), "{err:?}");
    assert!(err.to_string().contains("loss closure"), "{err}");
    assert_eq!(obj.params(), &start[..]);
    // Its own step says the same.
    assert!(matches!(opt.step(&mut obj), Err(TrainError::NoNeurons)));
    // A model of another size is refused too.
    let mut rnn = objective(0);
    let mut small = build(settings(), 3, 10);
    assert!(matches!(
        train(&mut rnn, small.as_mut(), &sweeps(1), &mut NoObserver),
        Err(TrainError::Spec(e)) if e.field == "dim"
    ));
}

#[test]
fn settings_round_trip_their_config_form_and_refuse_unknown_fields() {
    let s = Dopamine3Settings {
        sigma: 0.02,
        eta: 0.004,
        lambda: 0.9,
        update_every: 50,
        once_per_sweep: true,
        signal: NodeSignal::Adaptive,
        beta: 0.8,
        second_moment: false,
        beta2: 0.99,
        copies: Copies::CleanPerturbed,
        cosine_to: None,
        every: Some(100),
        factor: Some(0.5),
        streaming: true,
        ..Default::default()
    };
    let spec = OptimizerSpec::Dopamine3(s);
    let text = serde_json::to_string(&spec).expect("encodes");
    assert!(text.starts_with(r#"{"kind":"dopamine3""#), "{text}");
    assert!(text.contains(r#""copies":"clean_perturbed""#), "{text}");
    assert!(text.contains(r#""signal":"adaptive""#), "{text}");
    let back: OptimizerSpec = serde_json::from_str(&text).expect("decodes");
    assert_eq!(back, spec);
    // Defaults fill what a config leaves out.
    let short: OptimizerSpec =
        serde_json::from_str(r#"{"kind": "dopamine3", "lambda": 0.9}"#).expect("decodes");
    assert_eq!(
        short,
        OptimizerSpec::Dopamine3(Dopamine3Settings {
            lambda: 0.9,
            ..Default::default()
        })
    );
    for bad in [
        r#"{"kind": "dopamine3", "probes": 2}"#,
        r#"{"kind": "dopamine3", "C": 2}"#,
    ] {
        let err = serde_json::from_str::<OptimizerSpec>(bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field"), "{bad}: {err}");
    }
    let err = serde_json::from_str::<OptimizerSpec>(r#"{"kind": "dopamine3", "copies": "both"}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown variant `both`"), "{err}");
}
