//! Shared helpers of the `mpirun` tests: is `mpirun` there, one job at a time, the `dist_check` command line for a spec.

#![allow(dead_code)]

use std::process::Command;
use std::sync::{Mutex, MutexGuard, PoisonError};

use dopamine_core::RpeMode;
use dopamine_dist::demo::DemoSpec;

/// One `mpirun` at a time: the tests oversubscribe a small machine already.
static MPIRUN: Mutex<()> = Mutex::new(());

/// Holds the `mpirun` lock until dropped.
pub fn one_at_a_time() -> MutexGuard<'static, ()> {
    MPIRUN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether `mpirun` runs; prints a skip note when it does not.
pub fn mpirun_available() -> bool {
    let found = Command::new("mpirun")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!(
            "SKIPPED: mpirun not found (install openmpi-bin; see crates/dopamine-dist/README.md)"
        );
        println!("SKIPPED: mpirun not found");
    }
    found
}

/// The arguments of `dist_check` that select `spec`.
pub fn spec_args(spec: &DemoSpec) -> Vec<String> {
    let mut args = vec![
        "--rule".to_string(),
        spec.rule.flag().to_string(),
        "--steps".to_string(),
        spec.steps.to_string(),
        "--probes".to_string(),
        spec.probes.to_string(),
        "--hidden".to_string(),
        spec.hidden.to_string(),
        "--len".to_string(),
        spec.len.to_string(),
    ];
    if spec.rpe == RpeMode::Antithetic {
        args.push("--antithetic".to_string());
    }
    assert_eq!(
        spec.seed,
        DemoSpec::default().seed,
        "dist_check has no --seed"
    );
    args
}

/// `mpirun -np <np> dist_check <spec> <extra>` with the environment
/// variables `env`, on localhost; more ranks than cores are allowed.
pub fn mpirun(np: usize, spec: &DemoSpec, extra: &[&str], env: &[(&str, String)]) -> Command {
    let mut cmd = Command::new("mpirun");
    // CI runs as root; Open MPI refuses root without this flag.
    cmd.args(["--allow-run-as-root", "--oversubscribe", "-np"])
        .arg(np.to_string())
        .arg(env!("CARGO_BIN_EXE_dist_check"))
        .args(spec_args(spec))
        .args(extra)
        // Localhost only: no network interfaces to probe.
        .env("OMPI_MCA_btl", "self,vader");
    // The ranks on this host inherit mpirun's environment.
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd
}

/// The last line `dist_check` prints for a run that ends with parameters
/// of hash `hash`.
pub fn expected_hash_line(hash: u64) -> String {
    format!("params_hash {hash:016x}")
}
