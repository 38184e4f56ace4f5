//! Unit tests of the claims: thresholds, peers, compute to accuracy, C3's targets and memory check, verdicts.

use dopamine_train::OptimizerKind;

use super::*;
use crate::experiments::cost::{CostPoint, Precision, StepShape};
use crate::experiments::forecast::ForecastReport;
use crate::experiments::xor::XorResult;

/// Evidence of E1 only.
fn of_xor(xor: &[XorResult]) -> Evidence<'_> {
    Evidence {
        xor,
        ..Default::default()
    }
}

/// Evidence of one forecasting task only.
fn of_forecast(report: &ForecastReport) -> Evidence<'_> {
    Evidence {
        forecasts: vec![report],
        ..Default::default()
    }
}

/// A tuning outcome that only carries its axis name and scores.
fn fixture_tuned(
    second_axis: &str,
    scores: Vec<crate::experiments::tuning::GridScore>,
) -> crate::experiments::tuning::Tuned {
    crate::experiments::tuning::Tuned {
        chosen_variant: 0,
        chosen: dopamine_train::OptimizerSpec::Adam(dopamine_train::AdamSettings { lr: 1.0 }),
        options: Default::default(),
        second_axis: second_axis.into(),
        scores,
        edge: vec![],
    }
}

fn check(passed: bool) -> Check {
    Check {
        what: String::new(),
        numbers: String::new(),
        passed,
    }
}

#[test]
fn a_threshold_half_the_seeds_never_reach_gives_an_infinite_median() {
    use crate::experiments::forecast::{ForecastResult, ForecastRun, ForecastScores};
    use dopamine_train::Record;
    let scores = ForecastScores {
        teacher_forced: 0.0,
        free_running: vec![],
    };
    let run = |seed, final_loss: f64| ForecastRun {
        seed,
        curve: vec![
            Record {
                loss: 1.0,
                forward_passes: 10,
                ..Default::default()
            },
            Record {
                loss: final_loss,
                forward_passes: 20,
                ..Default::default()
            },
        ],
        test: scores.clone(),
        validation: 0.0,
        test_curve: vec![],
    };
    let report = ForecastReport {
        name: "t".into(),
        precision: Precision::F32,
        persistence: scores.clone(),
        results: vec![ForecastResult {
            optimizer: OptimizerKind::Wp,
            tuned: fixture_tuned("beta1", vec![]),
            runs: vec![run(0, 0.1), run(1, 0.2), run(2, 0.3), run(3, 0.4)],
            median_teacher_forced: 0.0,
            median_free_running: vec![],
            example_teacher_forced: vec![],
            example_free_running: vec![],
            wall: None,
        }],
        example_truth: vec![],
        example_truth_free: vec![],
        params: 0,
        ablations: vec![],
    };
    assert_eq!(final_loss(&report, OptimizerKind::Wp), 0.25);
    assert_eq!(
        passes_to_threshold(&report, OptimizerKind::Wp, 0.25),
        f64::INFINITY
    );
    assert_eq!(passes_to_threshold(&report, OptimizerKind::Wp, 0.5), 20.0);
}

fn xor_result(optimizer: OptimizerKind, success_rate: f64, passes: f64) -> XorResult {
    XorResult {
        precision: Precision::F32,
        hidden: 2,
        optimizer,
        tuned: fixture_tuned("sigma", vec![]),
        runs: vec![],
        success_rate,
        median_passes: Some(passes),
        median_steps: None,
        curve_seed0: vec![],
    }
}

#[test]
fn c1_on_xor_is_judged_against_every_peer_with_dopamines_best_variant() {
    use OptimizerKind::*;
    // Dopamine-2 is the better variant; it beats WP but not OpenES.
    let xs = vec![
        xor_result(Wp, 0.8, 300.0),
        xor_result(OpenEs, 0.9, 100.0),
        xor_result(Dopamine1, 0.7, 90.0),
        xor_result(Dopamine2, 0.9, 150.0),
    ];
    let c = c1(&of_xor(&xs));
    assert_eq!(c.checks.len(), 1);
    assert!(!c.checks[0].passed, "{:?}", c.checks[0]);
    assert!(c.checks[0].numbers.starts_with("Dopamine-2 90.0%"));
    // Without OpenES it holds.
    let c = c1(&of_xor(&[xs[0].clone(), xs[2].clone(), xs[3].clone()]));
    assert_eq!(c.verdict, Verdict::Holds);
}

#[test]
fn compute_to_accuracy_takes_the_first_point_at_the_target_per_seed() {
    use crate::experiments::forecast::{ForecastResult, ForecastRun, ForecastScores, TestPoint};
    use crate::experiments::tuning::GridScore;
    let scores = ForecastScores {
        teacher_forced: 0.1,
        free_running: vec![],
    };
    let point = |seconds: f64, nrmse: f64| TestPoint {
        seconds,
        passes: 0,
        flops: (seconds * 100.0) as u64,
        nrmse,
    };
    let run = |curve: Vec<TestPoint>| ForecastRun {
        seed: 0,
        curve: vec![],
        test: scores.clone(),
        validation: 0.0,
        test_curve: curve,
    };
    let cell = |score| GridScore {
        variant: 0,
        rate: 1.0,
        second: 1.0,
        score,
    };
    let report = ForecastReport {
        name: "t".into(),
        precision: Precision::F32,
        persistence: scores.clone(),
        results: vec![ForecastResult {
            optimizer: OptimizerKind::Adam,
            tuned: fixture_tuned(
                "beta1",
                vec![cell(1.0), cell(1.5), cell(3.0), cell(f64::INFINITY)],
            ),
            runs: vec![
                run(vec![point(1.0, 0.5), point(2.0, 0.2), point(3.0, 0.1)]),
                run(vec![point(1.0, 0.3), point(4.0, 0.15)]),
                run(vec![point(1.0, 0.9)]),
            ],
            median_teacher_forced: 0.1,
            median_free_running: vec![],
            example_teacher_forced: vec![],
            example_free_running: vec![],
            wall: None,
        }],
        example_truth: vec![],
        example_truth_free: vec![],
        params: 0,
        ablations: vec![],
    };
    // Seeds reach 0.2 at 2 s and 4 s; the third never does.
    assert_eq!(
        compute_to_accuracy(&report, OptimizerKind::Adam, 0.2),
        (4.0, 400.0)
    );
    assert!(
        compute_to_accuracy(&report, OptimizerKind::Wp, 0.2)
            .0
            .is_nan()
    );
    let r = Robustness::of("t", OptimizerKind::Adam, &report.results[0].tuned);
    assert_eq!((r.grid, r.within_2x, r.diverged), (4, 0.5, 1));
}

#[test]
fn c3_aims_at_the_worst_method_that_beat_persistence() {
    use crate::experiments::forecast::{ForecastResult, ForecastRun, ForecastScores, TestPoint};
    let scores = |nrmse| ForecastScores {
        teacher_forced: nrmse,
        free_running: vec![],
    };
    let result = |optimizer, median: f64, curve: Vec<(f64, f64)>| ForecastResult {
        optimizer,
        tuned: fixture_tuned("beta1", vec![]),
        runs: vec![ForecastRun {
            seed: 0,
            curve: vec![],
            test: scores(median),
            validation: 0.0,
            test_curve: curve
                .into_iter()
                .map(|(seconds, nrmse)| TestPoint {
                    seconds,
                    passes: 0,
                    flops: (seconds * 100.0) as u64,
                    nrmse,
                })
                .collect(),
        }],
        median_teacher_forced: median,
        median_free_running: vec![],
        example_teacher_forced: vec![],
        example_free_running: vec![],
        wall: None,
    };
    // WP ends far worse than persistence (0.15): it has not learned the
    // task, so the target is Dopamine-1's final 0.05, which Adam reaches
    // at 1 s and Dopamine-1 at 3 s.
    let report = ForecastReport {
        name: "t".into(),
        precision: Precision::F32,
        persistence: scores(0.15),
        results: vec![
            result(OptimizerKind::Wp, 22.5, vec![(1.0, 30.0), (2.0, 22.5)]),
            result(
                OptimizerKind::Dopamine1,
                0.05,
                vec![(1.0, 0.2), (3.0, 0.05)],
            ),
            result(OptimizerKind::Adam, 0.01, vec![(1.0, 0.04), (2.0, 0.01)]),
        ],
        example_truth: vec![],
        example_truth_free: vec![],
        params: 0,
        ablations: vec![],
    };
    let c = c3(&of_forecast(&report));
    assert_eq!(c.checks.len(), 1);
    assert!(
        c.checks[0].what.contains("test NRMSE 0.0500"),
        "{:?}",
        c.checks[0]
    );
    assert!(!c.checks[0].passed);
    // No method beat persistence: no target, no check.
    let mut none = report.clone();
    none.persistence = scores(0.001);
    assert!(c3(&of_forecast(&none)).checks.is_empty());
}

#[test]
fn verdicts_follow_the_checks() {
    assert_eq!(
        Verdict::from_checks(&[check(true), check(true)]),
        Verdict::Holds
    );
    assert_eq!(
        Verdict::from_checks(&[check(true), check(false)]),
        Verdict::PartlyHolds
    );
    assert_eq!(Verdict::from_checks(&[check(false)]), Verdict::DoesNotHold);
    assert_eq!(Verdict::from_checks(&[]), Verdict::DoesNotHold);
}

/// One E4 point of `optimizer`'s one-probe step with `peak` bytes.
fn cost_point(optimizer: OptimizerKind, hidden: usize, seq_len: usize, peak: u64) -> CostPoint {
    CostPoint {
        optimizer,
        shape: StepShape::Single,
        precision: Precision::F32,
        hidden,
        seq_len,
        params: 0,
        seconds_per_step: 1.0,
        forward_passes: 1,
        flops_per_step: if optimizer == OptimizerKind::Adam {
            3
        } else {
            2
        },
        gflops: 1.0,
        accounted_bytes: 0,
        peak_heap_bytes: Some(peak),
    }
}

#[test]
fn c3s_memory_check_takes_every_h_and_t() {
    use OptimizerKind::{Adam, Dopamine1};
    // Half or less everywhere but at H = 1024, where Dopamine-1 needs 0.6x.
    let by_h = vec![
        cost_point(Dopamine1, 16, 100, 10),
        cost_point(Adam, 16, 100, 100),
        cost_point(Dopamine1, 1024, 100, 60),
        cost_point(Adam, 1024, 100, 100),
    ];
    let by_t = vec![
        cost_point(Dopamine1, 16, 100, 20),
        cost_point(Adam, 16, 100, 100),
        cost_point(Dopamine1, 16, 800, 5),
        cost_point(Adam, 16, 800, 100),
    ];
    let evidence = Evidence {
        cost_by_hidden: &by_h,
        cost_by_seq_len: &by_t,
        ..Default::default()
    };
    let c = c3(&evidence);
    let memory = &c.checks[0];
    assert!(memory.what.contains("(4 points)"), "{memory:?}");
    assert!(!memory.passed, "H = 1024 misses: {memory:?}");
    assert_eq!(
        memory.numbers,
        "ratio from 0.0500 at H=16, T=800 (5.00 vs 100 bytes) to 0.600 at H=1024, T=100 (60.0 vs 100 bytes)"
    );
    // The FLOPs check is made at the longest T.
    assert!(c.checks[1].what.contains("T=800"), "{:?}", c.checks[1]);
    assert!(c.checks[1].passed);
    // Without the large H, every point is at most half: the check passes.
    let evidence = Evidence {
        cost_by_hidden: &by_h[..2],
        ..evidence
    };
    assert!(c3(&evidence).checks[0].passed);
    assert!(c3(&evidence).checks[0].what.contains("(3 points)"));
}
