//! `reproduce --resume` bookkeeping: a saved experiment is reused only with the same mode, config hash and experiment version, and only when resuming.

use dopamine_bench::Mode;
use dopamine_bench::reproduce_state::{StageStore, config_hash};

fn out_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("dopamine-state-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn saved_results_are_reused_only_when_mode_config_and_version_match() {
    let out = out_dir("match");
    let hash = config_hash("{\"seeds\": 3}");
    assert_ne!(hash, config_hash("{\"seeds\": 4}"));
    let writer = StageStore::new(&out, Mode::Quick, false, "abc1234").expect("creates state/");
    writer
        .save("e9", hash, 1, &vec![1.5f64, 0.1 + 0.2])
        .expect("saves");

    let resume = StageStore::new(&out, Mode::Quick, true, "def5678").expect("opens");
    assert_eq!(
        resume.load::<Vec<f64>>("e9", hash, 1),
        Some(vec![1.5, 0.1 + 0.2])
    );
    assert_eq!(
        resume.load::<Vec<f64>>("e9", hash ^ 1, 1),
        None,
        "other config"
    );
    assert_eq!(resume.load::<Vec<f64>>("missing", hash, 1), None);
    // What was reused is reported with the revision that produced it.
    assert_eq!(
        resume.resumed()[0],
        ("e9".to_string(), "abc1234".to_string())
    );
    let full = StageStore::new(&out, Mode::Full, true, "def5678").expect("opens");
    assert_eq!(full.load::<Vec<f64>>("e9", hash, 1), None, "other mode");
    assert_eq!(writer.load::<Vec<f64>>("e9", hash, 1), None, "not resuming");

    // `run` skips the work when the result is saved, does it otherwise.
    let reused = resume
        .run("e9", hash, 1, || -> Result<Vec<f64>, _> {
            panic!("must not rerun a finished experiment")
        })
        .expect("reused");
    assert_eq!(reused.len(), 2);
    let fresh = resume.run("e10", hash, 1, || Ok(7u32)).expect("runs");
    assert_eq!(fresh, 7);
    assert_eq!(resume.load::<u32>("e10", hash, 1), Some(7));
    // A result saved by an earlier version of the experiment (one that
    // measured differently with the same config) is not resumed.
    assert_eq!(resume.load::<u32>("e10", hash, 2), None, "other version");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn unreadable_state_means_the_experiment_runs_again() {
    let out = out_dir("unreadable");
    let store = StageStore::new(&out, Mode::Quick, true, "def5678").expect("creates state/");
    // JSON has no NaN: a diverged run's NaN is written as null and cannot be
    // read back into an f64, so the experiment is rerun rather than misread.
    store.save("nan", 1, 1, &vec![f64::NAN]).expect("saves");
    assert_eq!(store.load::<Vec<f64>>("nan", 1, 1), None);
    std::fs::write(out.join("state/bad.json"), "{ not json").expect("writes");
    assert_eq!(store.load::<u32>("bad", 1, 1), None);
    let rerun = store.run("bad", 1, 1, || Ok(3u32)).expect("runs again");
    assert_eq!(rerun, 3);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn state_saved_before_versions_existed_is_version_1() {
    let out = out_dir("unversioned");
    let store = StageStore::new(&out, Mode::Quick, true, "def5678").expect("creates state/");
    // A file as `reproduce` wrote it before the `version` field existed.
    let old = r#"{"experiment":"e1_xor","mode":"Quick","config_hash":"00000000000000ff","revision":"abc1234","result":[1,2]}"#;
    std::fs::write(out.join("state/e1_xor.json"), old).expect("writes");
    assert_eq!(store.load::<Vec<u32>>("e1_xor", 0xff, 1), Some(vec![1, 2]));
    // E4 measures as version 2 now: its old results are not reused.
    std::fs::write(
        out.join("state/e4_cost.json"),
        old.replace("e1_xor", "e4_cost"),
    )
    .expect("writes");
    assert_eq!(store.load::<Vec<u32>>("e4_cost", 0xff, 2), None);
    let _ = std::fs::remove_dir_all(&out);
}
