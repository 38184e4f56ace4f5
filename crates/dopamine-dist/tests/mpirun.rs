//! Runs `dist_check` under `mpirun -np 1, 2, 4` on localhost and compares the
//! final parameter hash with the single-process run computed here.

use std::process::Command;
use std::sync::{Mutex, PoisonError};

/// One `mpirun` at a time: the tests oversubscribe a small machine already.
static MPIRUN: Mutex<()> = Mutex::new(());

use dopamine_core::RpeMode;
use dopamine_dist::demo::{DemoRule, DemoSpec, train_single};

fn mpirun_available() -> bool {
    Command::new("mpirun")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn check(spec: &DemoSpec, extra: &[&str]) {
    if !mpirun_available() {
        eprintln!(
            "SKIPPED: mpirun not found (install openmpi-bin; see crates/dopamine-dist/README.md)"
        );
        println!("SKIPPED: mpirun not found");
        return;
    }
    let _one_at_a_time = MPIRUN.lock().unwrap_or_else(PoisonError::into_inner);
    let reference = train_single(spec).unwrap();
    let expected = format!("hash {:016x}", reference.hash);
    for np in ["1", "2", "4"] {
        let out = Command::new("mpirun")
            // CI runs as root; Open MPI refuses root without this flag.
            .args(["--allow-run-as-root", "--oversubscribe", "-np", np])
            .arg(env!("CARGO_BIN_EXE_dist_check"))
            .args(["--steps", &spec.steps.to_string()])
            .args(["--probes", &spec.probes.to_string()])
            .args(extra)
            // Localhost only: no network interfaces to probe.
            .env("OMPI_MCA_btl", "self,vader")
            .output()
            .expect("mpirun starts");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "mpirun -np {np} failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            out.status
        );
        println!("np {np}: {}", stdout.trim());
        assert!(
            stdout.contains(&expected),
            "np {np}: expected `{expected}` (single process, final loss {:.6e})\nstdout:\n{stdout}\nstderr:\n{stderr}",
            reference.final_loss
        );
        assert!(stdout.contains(&format!("ranks {np} ")), "{stdout}");
    }
}

#[test]
fn dopamine1_forward_matches_single_process_on_1_2_4_ranks() {
    let spec = DemoSpec {
        rule: DemoRule::Dopamine1,
        ..DemoSpec::default()
    };
    check(&spec, &["--rule", "d1"]);
}

#[test]
fn dopamine2_antithetic_matches_single_process_on_1_2_4_ranks() {
    let spec = DemoSpec {
        rule: DemoRule::Dopamine2,
        rpe: RpeMode::Antithetic,
        probes: 5,
        ..DemoSpec::default()
    };
    check(&spec, &["--rule", "d2", "--antithetic"]);
}

#[test]
fn wp_matches_single_process_on_1_2_4_ranks() {
    let spec = DemoSpec {
        rule: DemoRule::Wp,
        ..DemoSpec::default()
    };
    check(&spec, &["--rule", "wp"]);
}
