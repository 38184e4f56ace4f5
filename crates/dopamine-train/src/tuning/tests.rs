//! Unit tests of fair tuning: the order of the cells, picks, variants and their refusals.

use super::*;
use crate::registry::AdamSettings;

/// A caller's error type for [`try_tune`]: a cell's failure or a variant
/// that does not apply.
#[derive(Debug, PartialEq)]
enum CellError {
    Failed(String),
    Variant(VariantError),
}

impl From<VariantError> for CellError {
    fn from(e: VariantError) -> Self {
        CellError::Variant(e)
    }
}

fn adam_grid() -> Candidate {
    Candidate {
        base: OptimizerSpec::Adam(AdamSettings { lr: 1.0 }),
        options: SpecOptions::default(),
        rates: vec![0.1, 0.01, 0.001],
        sigmas: vec![],
        momenta: vec![0.0, 0.5, 0.9],
        variants: vec![],
    }
}

fn dopamine_grid(variants: &str) -> Candidate {
    serde_json::from_str(&format!(
        r#"{{"base": {{"kind": "dopamine1", "sigma": 0.01, "eta": 0.1, "beta": 0.9, "antithetic": true}},
            "rates": [0.01, 0.1], "sigmas": [0.001, 0.01, 0.1], "variants": {variants}}}"#
    ))
    .expect("parses")
}

#[test]
fn picks_lowest_score_treats_nan_as_worst_and_flags_edges() {
    let c = adam_grid();
    assert_eq!(c.grid_size(), 9);
    let t = tune(&c, |s, o| {
        if s.rate() == 0.1 {
            f64::NAN
        } else if s.rate() == 0.01 && o.beta1 == Some(0.5) {
            1.0
        } else {
            2.0
        }
    })
    .expect("no variants to refuse");
    assert_eq!(t.chosen.rate(), 0.01);
    assert_eq!(t.options.beta1, Some(0.5));
    assert!(t.edge.is_empty(), "{:?}", t.edge);
    assert_eq!(t.scores.len(), 9);
    assert_eq!(t.shape(), "3 lr x 3 beta1");
    assert_eq!(t.scores[0].score, f64::INFINITY);
    // Three NaN cells diverged; the six others are within 2x of the best.
    assert_eq!(t.robustness(2.0), (6.0 / 9.0, 3));
    let t = tune(&c, |s, o| s.rate() + o.beta1.unwrap_or(0.0)).expect("tunes");
    assert_eq!(t.chosen.rate(), 0.001);
    assert_eq!(t.edge, vec!["lr".to_string(), "beta1".to_string()]);
}

#[test]
fn try_tune_returns_the_first_failing_cell_in_grid_order() {
    let c = adam_grid();
    // Cells fail at lr 0.01 (second in each row) and lr 0.001 with
    // beta1 0.9; the first in grid order is lr 0.01, beta1 0.
    let r = try_tune(&c, |s, o| {
        if s.rate() == 0.01 || (s.rate() == 0.001 && o.beta1 == Some(0.9)) {
            Err(CellError::Failed(format!(
                "lr {} beta1 {:?}",
                s.rate(),
                o.beta1
            )))
        } else {
            Ok(1.0)
        }
    });
    match r {
        Err(CellError::Failed(m)) => assert_eq!(m, "lr 0.01 beta1 Some(0.0)"),
        other => panic!("{other:?}"),
    }
    assert!(try_tune::<CellError>(&c, |_, _| Ok(1.0)).is_ok());
}

#[test]
fn the_second_axis_is_sigma_for_noise_methods_and_momentum_for_sgd() {
    let sgd = Candidate {
        base: OptimizerSpec::Sgd(SgdSettings {
            lr: 1.0,
            momentum: 0.9,
        }),
        momenta: vec![0.0, 0.9],
        ..adam_grid()
    };
    let (spec, _) = sgd.cell(0.3, 0.0);
    assert_eq!(
        spec,
        OptimizerSpec::Sgd(SgdSettings {
            lr: 0.3,
            momentum: 0.0
        })
    );
    let es: OptimizerSpec =
        serde_json::from_str(r#"{"kind": "openes", "sigma": 0.02, "eta": 0.01, "pairs": 8}"#)
            .expect("parses");
    let es = Candidate {
        base: es,
        momenta: vec![],
        sigmas: vec![0.01, 0.03],
        ..adam_grid()
    };
    assert_eq!(es.second_axis().name, "sigma");
    assert_eq!(es.cell(0.1, 0.03).0.sigma(), Some(0.03));
    assert_eq!(es.grid_size(), 6);
}

#[test]
fn variants_are_a_third_axis_applied_to_the_base_and_the_pick_can_be_any_variant() {
    let c = dopamine_grid(
        r#"[{}, {"spec": {"probes": 4}, "options": {"rank": 1, "baseline_from_probes": true}}]"#,
    );
    assert_eq!(c.grid_size(), 2 * 3 * 2);
    let bases = c.variant_bases().expect("both apply");
    assert_eq!(bases[0], (c.base, c.options));
    assert_eq!(bases[1].0.perturb().map(|p| p.probes), Some(4));
    assert_eq!(bases[1].1.rank, Some(1));
    assert!(bases[1].1.baseline_from_probes);
    // The best cell is the four-probe variant at eta 0.01, sigma 0.01:
    // the pick carries the variant's settings with the cell's rate and sigma.
    let t = tune(&c, |s, o| {
        let k = s.perturb().map_or(0, |p| p.probes) as f64;
        (s.rate() - 0.01).abs() + (s.sigma().unwrap_or(0.0) - 0.01).abs() + 1.0 / k
            - f64::from(u8::from(o.rank == Some(1)))
    })
    .expect("tunes");
    assert_eq!(t.scores.len(), 12);
    assert_eq!(t.shape(), "2 eta x 3 sigma x 2 variants");
    assert_eq!(t.chosen_variant, 1);
    assert_eq!(t.chosen.perturb().map(|p| p.probes), Some(4));
    assert_eq!(t.options.rank, Some(1));
    assert_eq!((t.chosen.rate(), t.chosen.sigma()), (0.01, Some(0.01)));
    // Variants outermost, then sigma, rates fastest.
    let order: Vec<(usize, f64, f64)> = t
        .scores
        .iter()
        .map(|g| (g.variant, g.second, g.rate))
        .collect();
    assert_eq!(order[0], (0, 0.001, 0.01));
    assert_eq!(order[1], (0, 0.001, 0.1));
    assert_eq!(order[2], (0, 0.01, 0.01));
    assert_eq!(order[6], (1, 0.001, 0.01));
    // The categorical axis is never an edge; eta 0.01 is its grid's lower edge.
    assert_eq!(t.edge, vec!["eta".to_string()]);
}

#[test]
fn a_variant_that_does_not_fit_its_base_is_refused_with_its_field() {
    let cases = [
        (
            r#"[{"spec": {"kind": "wp"}}]"#,
            "spec.kind",
            "cannot change",
        ),
        (r#"[{"spec": {"pairs": 4}}]"#, "spec.pairs", "not a field"),
        (
            r#"[{}, {"spec": {"probes": "four"}}]"#,
            "spec",
            "invalid type",
        ),
        (
            r#"[{"options": {"beta1": 0.5}}]"#,
            "options.beta1",
            "option of Adam",
        ),
        (r#"[{"options": {"rank": 0}}]"#, "options.rank", ">= 1"),
        (
            r#"[{"options": {"colour": 1}}]"#,
            "options.colour",
            "not a field",
        ),
    ];
    for (variants, field, reason) in cases {
        let c = dopamine_grid(variants);
        let e = c.variant_bases().expect_err(variants);
        assert_eq!(e.field, field, "{variants}");
        assert!(e.reason.contains(reason), "{variants}: {}", e.reason);
        assert_eq!(
            e.index,
            usize::from(variants.starts_with("[{}")),
            "{variants}"
        );
        match tune(&c, |_, _| 1.0) {
            Err(v) => {
                assert_eq!(v, e);
                let m = v.to_string();
                assert!(m.starts_with("Dopamine-1 variants["), "{m}");
                assert!(m.contains(field), "{m}");
            }
            other => panic!("{variants}: {other:?}"),
        }
    }
    // A variant key the variant itself does not know is a parse error.
    assert!(serde_json::from_str::<Variant>(r#"{"spec": {}, "extra": {}}"#).is_err());
}
