//! Checkpoints: bit-identical resume for every optimizer, rotation, newest-valid loading, typed errors for damaged files (proptest), and refusal of non-finite weights.

mod common;

use std::fs;
use std::path::Path;

use common::{all_specs, assert_same_records, build, param_bits, xor_objective};
use dopamine_train::checkpoint::{FORMAT_VERSION, HEADER_LEN, MAGIC};
use dopamine_train::store::{self, list_checkpoints, read_checkpoint};
use dopamine_train::{
    Budget, Checkpoint, CheckpointError, CheckpointPolicy, NoObserver, Objective, OptimizerSpec,
    TrainError, TrainSpec, Trainer, load_latest, train,
};
use proptest::prelude::*;

const STEPS: u64 = 300;

fn train_spec() -> TrainSpec {
    TrainSpec {
        budget: Budget::steps(STEPS),
        record_every: 7,
        ..Default::default()
    }
}

fn trainer(spec: OptimizerSpec, dim: usize) -> Trainer<f64> {
    Trainer::new(build(spec, dim, STEPS), train_spec()).expect("valid train spec")
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("dopamine-ckpt-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

/// A small valid checkpoint file's bytes (Dopamine-2: rule state and trace).
fn sample_bytes() -> Vec<u8> {
    let mut obj = xor_objective(3);
    let mut t = trainer(all_specs()[2], obj.params().len());
    t.run_until(&mut obj, 20, &mut NoObserver).expect("runs");
    t.checkpoint(&obj)
        .expect("finite")
        .to_bytes()
        .expect("encodes")
}

#[test]
fn resume_from_checkpoint_bytes_is_bit_identical_for_every_optimizer() {
    for spec in all_specs() {
        let mut reference = xor_objective(5);
        let dim = reference.params().len();
        let mut opt = build(spec, dim, STEPS);
        let full =
            train(&mut reference, opt.as_mut(), &train_spec(), &mut NoObserver).expect("runs");

        for cut in [1, 123, STEPS - 1] {
            let mut obj = xor_objective(5);
            let mut first = trainer(spec, dim);
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
            // A fresh model with other weights: resume must overwrite them.
            let mut fresh = xor_objective(99);
            let saved = Checkpoint::from_bytes(&bytes).expect("decodes");
            let mut resumed =
                Trainer::resume(saved, build(spec, dim, STEPS), &mut fresh).expect("resumes");
            let run = resumed.run(&mut fresh, &mut NoObserver).expect("runs");
            let what = format!("{} cut at {cut}", spec.name());
            assert_eq!(
                param_bits(fresh.params()),
                param_bits(reference.params()),
                "{what}"
            );
            assert_same_records(&run.records, &full.records, &what);
            assert_eq!(run.stop, full.stop, "{what}");
        }
    }
}

#[test]
fn a_run_writes_every_interval_keeps_the_newest_and_resumes_from_disk() {
    let dir = temp_dir("rotation");
    let spec = all_specs()[1];
    let mut reference = xor_objective(8);
    let dim = reference.params().len();
    let full = trainer(spec, dim)
        .run(&mut reference, &mut NoObserver)
        .expect("runs");

    let mut obj = xor_objective(8);
    let mut policy = CheckpointPolicy::new(&dir, 40);
    policy.keep = 2;
    let mut t = trainer(spec, dim)
        .with_checkpoints(policy)
        .expect("valid policy");
    t.run_until(&mut obj, 130, &mut NoObserver).expect("runs");
    let steps: Vec<u64> = list_checkpoints(&dir)
        .expect("lists")
        .iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(steps, vec![80, 120]);
    drop(t);

    let loaded = load_latest(&dir).expect("loads");
    assert_eq!(loaded.checkpoint.step(), 120);
    assert!(loaded.skipped.is_empty());
    let mut fresh = xor_objective(0);
    let mut resumed =
        Trainer::resume(loaded.checkpoint, build(spec, dim, STEPS), &mut fresh).expect("resumes");
    let run = resumed.run(&mut fresh, &mut NoObserver).expect("runs");
    assert_eq!(param_bits(fresh.params()), param_bits(reference.params()));
    assert_same_records(&run.records, &full.records, "resumed from disk");
    fs::remove_dir_all(&dir).ok();
}

#[test]
fn loading_passes_over_damaged_newer_files_and_never_deletes_them() {
    let dir = temp_dir("damaged");
    let mut obj = xor_objective(2);
    let dim = obj.params().len();
    let policy = CheckpointPolicy::new(&dir, 10);
    let mut t = trainer(all_specs()[0], dim)
        .with_checkpoints(policy)
        .expect("valid");
    t.run_until(&mut obj, 30, &mut NoObserver).expect("runs");
    let files = list_checkpoints(&dir).expect("lists");
    assert_eq!(files.len(), 3);
    // Newest: one bit flipped. Next: truncated.
    let newest = &files[2].1;
    let mut bytes = fs::read(newest).expect("reads");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x10;
    fs::write(newest, &bytes).expect("writes");
    let middle = &files[1].1;
    let bytes = fs::read(middle).expect("reads");
    fs::write(middle, &bytes[..bytes.len() / 2]).expect("writes");

    let loaded = load_latest::<f64>(&dir).expect("the oldest is intact");
    assert_eq!(loaded.checkpoint.step(), 10);
    assert_eq!(loaded.skipped.len(), 2);
    assert!(matches!(
        loaded.skipped[0].error,
        CheckpointError::ChecksumMismatch { .. }
    ));
    assert!(matches!(
        loaded.skipped[1].error,
        CheckpointError::Truncated { .. }
    ));
    assert!(
        newest.exists() && middle.exists(),
        "loading deletes nothing"
    );

    // Every file damaged: a typed error listing each one.
    let bytes = fs::read(&files[0].1).expect("reads");
    fs::write(&files[0].1, &bytes[..5]).expect("writes");
    match load_latest::<f64>(&dir) {
        Err(e @ CheckpointError::NoValidCheckpoint { .. }) => {
            let CheckpointError::NoValidCheckpoint { skipped, .. } = &e else {
                unreachable!()
            };
            assert_eq!(skipped.len(), 3);
            assert!(e.to_string().contains("truncated"), "{e}");
        }
        other => panic!("expected NoValidCheckpoint, got {other:?}"),
    }
    fs::remove_dir_all(&dir).ok();
}

#[test]
fn missing_folder_or_file_is_an_io_error_naming_the_path() {
    let dir = temp_dir("missing");
    let e = load_latest::<f64>(&dir).expect_err("no folder");
    assert!(matches!(e, CheckpointError::Io { .. }), "{e:?}");
    assert!(e.to_string().contains("dopamine-ckpt-missing"), "{e}");
    let e = read_checkpoint::<f64>(&dir.join("ckpt-1.dpck")).expect_err("no file");
    assert!(matches!(e, CheckpointError::Io { .. }), "{e:?}");
}

#[test]
fn header_fields_give_their_own_errors() {
    let good = sample_bytes();
    assert!(Checkpoint::<f64>::from_bytes(&good).is_ok());

    let mut bad = good.clone();
    bad[..8].copy_from_slice(b"PNG\r\n\x1a\n\0");
    assert!(matches!(
        Checkpoint::<f64>::from_bytes(&bad),
        Err(CheckpointError::BadMagic { .. })
    ));

    let mut bad = good.clone();
    bad[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    match Checkpoint::<f64>::from_bytes(&bad) {
        Err(CheckpointError::UnsupportedVersion { found, supported }) => {
            assert_eq!((found, supported), (FORMAT_VERSION + 1, FORMAT_VERSION));
        }
        other => panic!("expected UnsupportedVersion, got {other:?}"),
    }

    let mut bad = good.clone();
    bad.push(0);
    assert!(matches!(
        Checkpoint::<f64>::from_bytes(&bad),
        Err(CheckpointError::TrailingBytes { extra: 1 })
    ));

    // A payload that passes its checksum but is not a checkpoint.
    let garbage = vec![0xff_u8; 64];
    let mut bad = Vec::new();
    bad.extend_from_slice(&MAGIC);
    bad.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bad.extend_from_slice(&(garbage.len() as u64).to_le_bytes());
    bad.extend_from_slice(&crc32fast::hash(&garbage).to_le_bytes());
    bad.extend_from_slice(&garbage);
    assert!(matches!(
        Checkpoint::<f64>::from_bytes(&bad),
        Err(CheckpointError::Decode(_))
    ));
}

#[test]
fn a_checkpoint_of_the_first_release_is_refused_with_unsupported_version() {
    // Written by `dopamine-bench` at revision f056fe2 (format version 1):
    // a Dopamine-1 run on the XOR MLP, 20 steps.
    let v1 = include_bytes!("fixtures/v1-dopamine1-xor.dpck");
    assert_eq!(&v1[..8], &MAGIC);
    match Checkpoint::<f64>::from_bytes(v1) {
        Err(e @ CheckpointError::UnsupportedVersion { .. }) => {
            let CheckpointError::UnsupportedVersion { found, supported } = e else {
                unreachable!()
            };
            assert_eq!((found, supported), (1, FORMAT_VERSION));
            assert!(e.to_string().contains("version 1 is not supported"), "{e}");
        }
        other => panic!("expected UnsupportedVersion, got {other:?}"),
    }
}

#[test]
fn an_f64_checkpoint_never_loads_into_an_f32_run() {
    let bytes = sample_bytes();
    match Checkpoint::<f32>::from_bytes(&bytes) {
        Err(CheckpointError::ScalarMismatch { found, expected }) => {
            assert_eq!((found, expected), ("f64", "f32"));
        }
        other => panic!("expected ScalarMismatch, got {other:?}"),
    }
}

#[test]
fn a_checkpoint_resumes_only_into_the_optimizer_that_wrote_it() {
    let obj = xor_objective(1);
    let dim = obj.params().len();
    let t = trainer(all_specs()[1], dim);
    let ckpt = t.checkpoint(&obj).expect("finite");
    let mut obj = xor_objective(1);
    match Trainer::resume(ckpt, build(all_specs()[0], dim, STEPS), &mut obj) {
        Err(TrainError::Checkpoint(CheckpointError::OptimizerMismatch { found, expected })) => {
            assert_eq!((found.as_str(), expected.as_str()), ("Dopamine-1", "WP"));
        }
        other => panic!("expected OptimizerMismatch, got {other:?}"),
    }
}

#[test]
fn non_finite_weights_are_never_checkpointed() {
    let dir = temp_dir("nonfinite");
    let mut obj = xor_objective(1);
    let dim = obj.params().len();
    let policy = CheckpointPolicy::new(&dir, 5);
    let mut t = trainer(all_specs()[1], dim)
        .with_checkpoints(policy.clone())
        .expect("valid");
    t.run_until(&mut obj, 5, &mut NoObserver).expect("runs");
    let good = fs::read(&list_checkpoints(&dir).expect("lists")[0].1).expect("reads");

    obj.params_mut()[3] = f64::NAN;
    match t.checkpoint(&obj) {
        Err(CheckpointError::NonFiniteParameters { index, .. }) => assert_eq!(index, 3),
        other => panic!("expected NonFiniteParameters, got {other:?}"),
    }
    // A hand-made checkpoint with infinite weights: refused by the writer.
    let mut obj = xor_objective(1);
    let mut ckpt = t.checkpoint(&obj).expect("finite");
    ckpt.params[0] = f64::INFINITY;
    ckpt.state.current.step = 1000;
    assert!(matches!(
        store::save(&policy, &ckpt),
        Err(CheckpointError::NonFiniteParameters { index: 0, .. })
    ));
    assert!(matches!(
        ckpt.to_bytes(),
        Err(CheckpointError::NonFiniteParameters { .. })
    ));
    let files = list_checkpoints(&dir).expect("lists");
    assert_eq!(files.len(), 1, "nothing new written");
    assert_eq!(
        fs::read(&files[0].1).expect("reads"),
        good,
        "good file untouched"
    );
    // Resuming a non-finite checkpoint is refused too.
    assert!(matches!(
        Trainer::resume(ckpt, build(all_specs()[1], dim, STEPS), &mut obj),
        Err(TrainError::Checkpoint(
            CheckpointError::NonFiniteParameters { .. }
        ))
    ));
    fs::remove_dir_all(&dir).ok();
}

#[test]
fn resume_into_a_model_of_another_size_is_refused() {
    let obj = xor_objective(1);
    let t = trainer(all_specs()[3], obj.params().len());
    let ckpt = t.checkpoint(&obj).expect("finite");
    let mut other = dopamine_train::FnObjective::new(vec![0.0; 3], |_: &[f64]| 0.0, 0);
    assert!(matches!(
        Trainer::resume(ckpt, build(all_specs()[3], 3, STEPS), &mut other),
        Err(TrainError::Checkpoint(CheckpointError::Invalid(_)))
    ));
}

#[test]
fn bad_policy_is_a_config_error() {
    let dim = xor_objective(1).params().len();
    for (every, keep) in [(0, 3), (10, 0)] {
        let mut p = CheckpointPolicy::new(Path::new("unused"), every);
        p.keep = keep;
        assert!(matches!(
            trainer(all_specs()[0], dim).with_checkpoints(p),
            Err(TrainError::Spec(_))
        ));
    }
}

fn classify(bytes: &[u8]) -> Result<(), CheckpointError> {
    Checkpoint::<f64>::from_bytes(bytes).map(|_| ())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_truncation_is_a_typed_error(cut in any::<prop::sample::Index>()) {
        let good = sample_bytes_cached();
        let len = cut.index(good.len());
        match classify(&good[..len]) {
            Err(CheckpointError::Truncated { found, .. }) => prop_assert_eq!(found, len as u64),
            other => prop_assert!(false, "length {}: {:?}", len, other),
        }
    }

    #[test]
    fn any_bit_flip_is_a_typed_error_naming_the_damaged_part(bit in any::<prop::sample::Index>()) {
        let good = sample_bytes_cached();
        let bit = bit.index(good.len() * 8);
        let mut bad = good.to_vec();
        bad[bit / 8] ^= 1 << (bit % 8);
        let byte = bit / 8;
        let result = classify(&bad);
        let ok = match byte {
            0..8 => matches!(result, Err(CheckpointError::BadMagic { .. })),
            8..12 => matches!(result, Err(CheckpointError::UnsupportedVersion { .. })),
            12..20 => matches!(
                result,
                Err(CheckpointError::Truncated { .. } | CheckpointError::TrailingBytes { .. })
            ),
            // The stored checksum, or the payload.
            20..HEADER_LEN | HEADER_LEN.. => {
                matches!(result, Err(CheckpointError::ChecksumMismatch { .. }))
            }
        };
        prop_assert!(ok, "bit {} (byte {}): {:?}", bit, byte, result);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any span overwritten with random bytes: an error unless the bytes
    /// happen to be the same, and never a panic.
    #[test]
    fn any_overwritten_span_is_a_typed_error(
        start in any::<prop::sample::Index>(),
        junk in prop::collection::vec(any::<u8>(), 1..64),
    ) {
        let good = sample_bytes_cached();
        let start = start.index(good.len());
        let end = (start + junk.len()).min(good.len());
        let mut bad = good.to_vec();
        bad[start..end].copy_from_slice(&junk[..end - start]);
        let result = classify(&bad);
        prop_assert_eq!(result.is_ok(), bad == good, "{:?}", result);
    }
}

fn sample_bytes_cached() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(sample_bytes)
}
