//! End-to-end: `reproduce` in quick mode writes a report, a parseable summary and a verdict with numbers for every claim.
//!
//! Slow (minutes): marked `#[ignore]` and named `slow_*`, so a plain
//! `cargo test --release` skips it; `.ci/run` runs it with
//! `cargo test --release -- --ignored slow_`.

use dopamine_bench::Mode;
use dopamine_bench::reproduce::{ReproduceOptions, Summary, reproduce};

#[test]
#[ignore = "slow: a whole quick reproduce (minutes); run by .ci/run with --ignored slow_"]
fn slow_quick_reproduce_writes_report_summary_and_verdicts() {
    let out = std::env::temp_dir().join(format!("dopamine-reproduce-quick-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let opts = ReproduceOptions {
        mode: Mode::Quick,
        out_dir: out.clone(),
        configs_dir: None,
        command: "reproduce_quick test".into(),
        resume: false,
    };
    let summary = reproduce(&opts, None).expect("quick reproduce runs");
    let report = std::fs::read_to_string(out.join("report.md")).expect("report.md written");
    let parsed: Summary = serde_json::from_str(
        &std::fs::read_to_string(out.join("summary.json")).expect("summary.json written"),
    )
    .expect("summary.json parses");
    assert_eq!(parsed.claims.len(), 3);
    for (claim, id) in parsed.claims.iter().zip(["C1", "C2", "C3"]) {
        assert_eq!(claim.id, id);
        assert!(!claim.checks.is_empty(), "{id} has no numbers behind it");
        assert!(
            claim
                .checks
                .iter()
                .all(|c| c.numbers.chars().any(|ch| ch.is_ascii_digit()))
        );
        assert!(report.contains(claim.verdict.label()));
    }
    assert_eq!(parsed.claims, summary.claims);
    // Both XOR sizes and all eight optimizers (Dopamine-3 included), both forecasting tasks with persistence beside them.
    assert_eq!(parsed.xor.len(), 16);
    assert_eq!(parsed.forecasts.len(), 2);
    for f in &parsed.forecasts {
        assert!(f.persistence.teacher_forced > 0.0);
        assert!(
            f.persistence.free_running.iter().any(|(_, v)| *v > 0.5),
            "{}: no horizon where persistence is poor",
            f.name
        );
    }
    // Every method's row has a measured equal-wall-time result, and every
    // method's tuning grid has a robustness row.
    for f in &parsed.forecasts {
        assert_eq!(f.optimizers.len(), 8);
        for o in &f.optimizers {
            assert!(
                o.wall_teacher_forced.is_some_and(|v| v > 0.0),
                "{} {}: no equal-wall-time result",
                f.name,
                o.optimizer
            );
        }
    }
    assert_eq!(parsed.robustness.len(), 16);
    assert!(parsed.robustness.iter().all(|r| r.grid == 12));
    assert!(report.contains("## Robustness to settings"));
    for fig in [
        "xor_success",
        "mackey_glass_loss_passes",
        "mackey_glass_test_vs_time",
        "lorenz_grid_openes",
        "lorenz_grid_dopamine1",
        "lorenz_prediction_free_running",
        "cost_vs_seq_len_memory",
        "scaling_cosine",
        "scaling_nrmse",
    ] {
        assert!(
            out.join("figures").join(format!("{fig}.png")).exists(),
            "{fig}.png"
        );
        assert!(
            out.join("figures").join(format!("{fig}.svg")).exists(),
            "{fig}.svg"
        );
    }
    assert!(out.join("curves/cost.csv").exists());
    // E5: a cosine of every rule at every size and point, and a test NRMSE
    // of every method at every size, each a number in its range.
    assert!(report.contains("## E5 scaling with hidden size"));
    let cosines: Vec<_> = parsed
        .scaling
        .iter()
        .filter(|r| r.measure.starts_with("cosine"))
        .collect();
    assert_eq!(cosines.len(), 3 * 2 * 3, "3 sizes x 2 points x 3 rules");
    assert!(cosines.iter().all(|r| (-1.0..=1.0).contains(&r.median)));
    assert!(
        parsed
            .scaling
            .iter()
            .filter(|r| r.measure == "test NRMSE")
            .all(|r| r.median > 0.0)
    );
    assert!(out.join("curves/scaling_alignment.csv").exists());

    // `--resume`: every finished experiment was saved under state/ and is
    // reused, not rerun. A marker planted in E4's saved result proves it.
    for name in [
        "e1_xor",
        "e2_mackey_glass",
        "e3_lorenz",
        "e4_cost",
        "e5_scaling",
    ] {
        assert!(out.join(format!("state/{name}.json")).exists(), "{name}");
    }
    let e4 = out.join("state/e4_cost.json");
    let mut saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&e4).expect("reads")).expect("parses");
    saved["result"]["by_hidden"][0]["seconds_per_step"] = serde_json::json!(12345.0);
    std::fs::write(&e4, saved.to_string()).expect("writes");
    let resumed = reproduce(
        &ReproduceOptions {
            resume: true,
            ..opts.clone()
        },
        None,
    )
    .expect("resumed reproduce runs");
    assert_eq!(resumed.cost_by_hidden[0].seconds_per_step, 12345.0);
    assert_eq!(resumed.xor.len(), summary.xor.len());
    for (a, b) in resumed.xor.iter().zip(&summary.xor) {
        assert_eq!(a.success_rate, b.success_rate);
        assert_eq!(a.median_passes, b.median_passes);
    }
    let _ = std::fs::remove_dir_all(&out);
}
