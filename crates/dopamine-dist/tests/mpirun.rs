//! Runs `dist_check` under `mpirun -np 1, 2, 3, 4` on localhost, for every
//! optimizer the crate distributes, and compares the final `params_hash`
//! with the single-process run computed here.

mod common;

use common::{expected_hash_line, mpirun, mpirun_available, one_at_a_time};
use dopamine_core::RpeMode;
use dopamine_dist::demo::{DemoRule, DemoSpec, RunOptions, train_single};

fn check(spec: &DemoSpec) {
    if !mpirun_available() {
        return;
    }
    let _one_at_a_time = one_at_a_time();
    let reference = train_single(spec, &RunOptions::default()).unwrap();
    let expected = expected_hash_line(reference.hash);
    for np in [1, 2, 3, 4] {
        let out = mpirun(np, spec, &[], &[]).output().expect("mpirun starts");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "mpirun -np {np} failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            out.status
        );
        println!("np {np}: {}", stdout.trim());
        assert_eq!(
            stdout.lines().last(),
            Some(expected.as_str()),
            "np {np}: single process ended with final loss {:.6e}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            reference.final_loss
        );
        assert!(stdout.contains(&format!("ranks {np} ")), "{stdout}");
    }
}

#[test]
fn dopamine1_forward_matches_single_process_on_1_to_4_ranks() {
    check(&DemoSpec {
        rule: DemoRule::Dopamine1,
        ..DemoSpec::default()
    });
}

#[test]
fn dopamine2_antithetic_matches_single_process_on_1_to_4_ranks() {
    check(&DemoSpec {
        rule: DemoRule::Dopamine2,
        rpe: RpeMode::Antithetic,
        probes: 5,
        ..DemoSpec::default()
    });
}

#[test]
fn wp_matches_single_process_on_1_to_4_ranks() {
    check(&DemoSpec {
        rule: DemoRule::Wp,
        ..DemoSpec::default()
    });
}

#[test]
fn openes_matches_single_process_on_1_to_4_ranks() {
    check(&DemoSpec {
        rule: DemoRule::OpenEs,
        probes: 3,
        ..DemoSpec::default()
    });
}
