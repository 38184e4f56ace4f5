//! The one state format: every single-bit flip and every truncation of a saved optimizer state is refused with a typed error and changes nothing (proptest, every built-in optimizer); checkpoints of release 0.2.0 (format v2) still load and resume bit for bit.

mod common;

use common::{param_bits, record_bits, xor_objective};
use dopamine_train::state::{STATE_HEADER_LEN, open_state};
use dopamine_train::{
    Budget, Checkpoint, CheckpointError, NoObserver, Objective, Optimizer, OptimizerKind,
    OptimizerSpec, SpecOptions, TrainSpec, Trainer, train,
};
use proptest::prelude::*;
use serde_json::Value;

/// An optimizer, built and trained, with its saved state.
type Saved = (OptimizerKind, Box<dyn Optimizer<f64>>, Vec<u8>);

/// Every built-in optimizer after 7 steps on XOR, with its saved state.
fn saved_states() -> Vec<Saved> {
    OptimizerKind::ALL
        .into_iter()
        .map(|kind| {
            let mut objective = xor_objective(2);
            let dim = objective.params().len();
            let mut opt = kind.default_spec().build::<f64>(dim, 5, 7).expect("builds");
            let spec = TrainSpec {
                budget: Budget::steps(7),
                ..Default::default()
            };
            train(&mut objective, opt.as_mut(), &spec, &mut NoObserver).expect("trains");
            let state = opt.save_state().expect("encodes");
            (kind, opt, state)
        })
        .collect()
}

/// A damaged state is refused with a typed error and leaves the optimizer
/// exactly as it was.
fn assert_refused(opt: &mut dyn Optimizer<f64>, state: &[u8], damaged: &[u8], what: &str) {
    let err = opt.load_state(damaged).expect_err(what);
    assert!(
        matches!(
            err,
            CheckpointError::BadMagic { .. }
                | CheckpointError::UnsupportedVersion { .. }
                | CheckpointError::Truncated { .. }
                | CheckpointError::TrailingBytes { .. }
                | CheckpointError::ChecksumMismatch { .. }
        ),
        "{what}: {err:?}"
    );
    assert_eq!(
        opt.save_state().expect("encodes"),
        state,
        "{what}: state changed"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_bit_flip_is_refused(which in 0usize..8, bit in any::<prop::sample::Index>()) {
        let mut states = saved_states();
        let (kind, opt, state) = &mut states[which];
        let bit = bit.index(state.len() * 8);
        let mut damaged = state.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        assert_refused(opt.as_mut(), state, &damaged, &format!("{kind}: bit {bit}"));
    }

    #[test]
    fn every_truncation_is_refused(which in 0usize..8, cut in any::<prop::sample::Index>()) {
        let mut states = saved_states();
        let (kind, opt, state) = &mut states[which];
        let cut = cut.index(state.len());
        assert_refused(opt.as_mut(), state, &state[..cut], &format!("{kind}: cut at {cut}"));
        if cut < STATE_HEADER_LEN {
            let truncated = matches!(open_state(&state[..cut]), Err(CheckpointError::Truncated { .. }));
            prop_assert!(truncated, "cut {}", cut);
        }
    }
}

/// Exhaustive for one optimizer: every bit of a Dopamine-2 state (settings,
/// statistics, trace, counters, the envelope itself) and every cut.
#[test]
fn every_flip_and_cut_of_one_state_is_refused() {
    let mut states = saved_states();
    let (kind, opt, state) = &mut states[4];
    assert_eq!(*kind, OptimizerKind::Dopamine2);
    for bit in 0..state.len() * 8 {
        let mut damaged = state.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        assert!(opt.load_state(&damaged).is_err(), "bit {bit}");
    }
    for cut in 0..state.len() {
        assert!(opt.load_state(&state[..cut]).is_err(), "cut {cut}");
    }
    let mut longer = state.clone();
    longer.push(0);
    assert!(opt.load_state(&longer).is_err());
    opt.load_state(state).expect("the intact state loads");
}

/// The checkpoints of release 0.2.0 in `tests/fixtures/v2/` (written at
/// step 20 of 40 on XOR 2-4-1, one per optimizer) load and resume to the
/// parameters and last record of the uninterrupted 0.2.0 run, bit for bit.
#[test]
fn release_0_2_0_checkpoints_resume_bit_identically() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v2");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let cases = expected["cases"].as_array().unwrap();
    // Every optimizer of release 0.2.0 (Dopamine-3 came later), one twice.
    assert_eq!(cases.len(), 8);
    for case in cases {
        let file = case["file"].as_str().unwrap();
        let bytes = std::fs::read(dir.join(file)).unwrap();
        assert_eq!(
            u32::from_le_bytes(bytes[8..12].try_into().unwrap()),
            2,
            "{file}"
        );
        let spec: OptimizerSpec = serde_json::from_value(case["spec"].clone()).unwrap();
        let options: SpecOptions = serde_json::from_value(case["options"].clone()).unwrap();
        let saved = Checkpoint::<f64>::from_bytes(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(saved.step(), 20, "{file}");
        let mut fresh = xor_objective(99);
        let dim = fresh.params().len();
        let layout = options.rank.map(|r| fresh.param_layout(r).unwrap());
        let opt = spec
            .build_with::<f64>(&options, layout.as_ref(), dim, 11, 40)
            .unwrap();
        let mut resumed =
            Trainer::resume(saved, opt, &mut fresh).unwrap_or_else(|e| panic!("{file}: {e}"));
        let run = resumed.run(&mut fresh, &mut NoObserver).unwrap();
        let hex = |v: Vec<u64>| v.iter().map(|b| format!("{b:016x}")).collect::<Vec<_>>();
        let want = |key: &str| -> Vec<String> {
            case[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            hex(param_bits(fresh.params())),
            want("params"),
            "{file}: parameters"
        );
        assert_eq!(
            hex(record_bits(&run.last).to_vec()),
            want("last_record"),
            "{file}: last record"
        );
        // Saved again, the state is in the current format.
        let state = resumed.checkpoint(&fresh).unwrap().optimizer_state;
        assert!(open_state(&state).is_ok(), "{file}");
    }
}
