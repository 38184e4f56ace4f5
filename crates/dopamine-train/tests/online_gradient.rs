//! SGD and Adam online (`SpecOptions::online_every`): truncated BPTT with an update every `C` steps learns, equals the whole-sequence step when a block is the whole sequence, charges a pass per pass over the sequence, resumes bit for bit from a checkpoint taken mid-sequence, and is refused where it does not apply.

mod common;

use common::{assert_same_records, param_bits, xor_objective};
use dopamine_nets::{Bptt, Rnn, RnnInit};
use dopamine_train::{
    AdamSettings, Budget, Checkpoint, Dopamine1Settings, NoObserver, Objective, Optimizer,
    OptimizerSpec, RnnObjective, SgdSettings, SpecOptions, TrainError, TrainSpec, Trainer, train,
};
use faer::Mat;

const SEQ_LEN: usize = 300;
const WASHOUT: usize = 10;

fn objective(seed: u64) -> RnnObjective<f64> {
    let net = Rnn::new(
        1,
        8,
        1,
        &RnnInit {
            spectral_radius: 0.9,
            seed,
            ..Default::default()
        },
    )
    .expect("rnn");
    let x = |i: usize| (0.21 * i as f64).sin() + 0.4 * (0.057 * i as f64).cos();
    let inputs = Mat::from_fn(SEQ_LEN, 1, |i, _| x(i));
    let targets = Mat::from_fn(SEQ_LEN, 1, |i, _| x(i + 1));
    RnnObjective::new(net, inputs, targets, WASHOUT, Bptt::Full).expect("objective")
}

fn online(c: u32) -> SpecOptions {
    SpecOptions {
        online_every: Some(c),
        ..Default::default()
    }
}

fn build(spec: OptimizerSpec, options: &SpecOptions, dim: usize) -> Box<dyn Optimizer<f64>> {
    spec.build_with::<f64>(options, None, dim, 3, 100)
        .expect("valid")
}

fn passes(n: u64) -> TrainSpec {
    TrainSpec {
        budget: Budget::forward_equivalents(2 * n),
        record_every: 1,
        ..Default::default()
    }
}

fn specs() -> [OptimizerSpec; 2] {
    [
        OptimizerSpec::Sgd(SgdSettings {
            lr: 0.05,
            momentum: 0.9,
        }),
        OptimizerSpec::Adam(AdamSettings { lr: 0.01 }),
    ]
}

#[test]
fn online_sgd_and_adam_learn_and_charge_a_pass_per_sequence() {
    for spec in specs() {
        let mut obj = objective(1);
        let start = obj.loss();
        let mut opt = build(spec, &online(50), obj.params().len());
        assert_eq!(opt.name(), spec.name());
        let run = train(&mut obj, opt.as_mut(), &passes(100), &mut NoObserver).expect("trains");
        // 300 steps in blocks of 50: six updates a pass.
        assert_eq!(run.last.step, 600, "{}", spec.name());
        assert_eq!(run.last.forward_passes, 100);
        assert_eq!(run.last.backward_passes, 100);
        let end = obj.loss();
        eprintln!(
            "{} online C=50, 100 passes: loss {start} -> {end}",
            spec.name()
        );
        // Measured: 5.85 -> 0.0013 (SGD), 0.0009 (Adam).
        assert!(end < start / 100.0, "{}: {start} -> {end}", spec.name());
    }
}

#[test]
fn a_block_as_long_as_the_sequence_is_the_whole_sequence_step() {
    for spec in specs() {
        let mut a = objective(2);
        let mut b = objective(2);
        let dim = a.params().len();
        let mut whole = build(spec, &SpecOptions::default(), dim);
        let mut blocks = build(spec, &online(SEQ_LEN as u32 + 7), dim);
        let ra = train(&mut a, whole.as_mut(), &passes(30), &mut NoObserver).expect("trains");
        let rb = train(&mut b, blocks.as_mut(), &passes(30), &mut NoObserver).expect("trains");
        assert_eq!(
            param_bits(a.params()),
            param_bits(b.params()),
            "{}",
            spec.name()
        );
        assert_same_records(&ra.records, &rb.records, spec.name());
    }
}

#[test]
fn a_run_checkpointed_mid_sequence_resumes_bit_for_bit() {
    let options = online(70); // blocks of 70, 70, 70, 70, 20
    for spec in specs() {
        let mut reference = objective(4);
        let dim = reference.params().len();
        let mut opt = build(spec, &options, dim);
        let full = train(&mut reference, opt.as_mut(), &passes(4), &mut NoObserver).expect("runs");
        for cut in [2, 5, 13] {
            let mut obj = objective(4);
            let mut first = Trainer::new(build(spec, &options, dim), passes(4)).expect("trainer");
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
            let mut fresh = objective(77);
            let saved = Checkpoint::from_bytes(&bytes).expect("decodes");
            let mut resumed =
                Trainer::resume(saved, build(spec, &options, dim), &mut fresh).expect("resumes");
            let run = resumed.run(&mut fresh, &mut NoObserver).expect("runs");
            let what = format!("{} cut at {cut}", spec.name());
            assert_eq!(
                param_bits(fresh.params()),
                param_bits(reference.params()),
                "{what}"
            );
            assert_same_records(&run.records, &full.records, &what);
        }
    }
}

#[test]
fn online_updates_are_refused_where_they_do_not_apply() {
    let d1 = OptimizerSpec::Dopamine1(Dopamine1Settings::default());
    match d1.build_with::<f64>(&online(10), None, 5, 0, 10) {
        Err(TrainError::Spec(e)) => assert_eq!(e.field, "online_every"),
        other => panic!("{:?}", other.map(|o| o.name().to_string())),
    }
    let sgd = specs()[0];
    match sgd.build_with::<f64>(&online(0), None, 5, 0, 10) {
        Err(TrainError::Spec(e)) => assert_eq!(e.field, "online_every"),
        other => panic!("{:?}", other.map(|o| o.name().to_string())),
    }
    // An MLP on a batch has no sequence to cut: refused before any step.
    let mut xor = xor_objective(1);
    let start = xor.params().to_vec();
    let mut opt = build(sgd, &online(2), start.len());
    match train(&mut xor, opt.as_mut(), &passes(3), &mut NoObserver) {
        Err(TrainError::Spec(e)) => assert_eq!(e.field, "online_every"),
        other => panic!("{:?}", other.map(|r| r.last.step)),
    }
    assert_eq!(xor.params(), &start[..]);
    // The option round-trips its config form.
    let text = serde_json::to_string(&online(25)).expect("encodes");
    assert_eq!(
        serde_json::from_str::<SpecOptions>(&text).expect("decodes"),
        online(25)
    );
    assert!(online(25).describe().contains("online C=25"));
}
