//! OpenES, SNES and the spec options (low rank, antithetic without a baseline, second moment, Adam's beta1): config parsing, honest pass counts, learning on XOR, and bit-identical checkpoint resume.

mod common;

use common::{assert_same_records, param_bits, xor_objective};
use dopamine_train::{
    AdamSettings, Budget, Checkpoint, Dopamine1Settings, Dopamine2Settings, NoObserver, Objective,
    OpenEsSettings, OptimizerSpec, PerturbSpec, SnesSettings, SpecOptions, TrainError, TrainSpec,
    Trainer, WpSettings, train,
};

const STEPS: u64 = 200;

fn train_spec(steps: u64) -> TrainSpec {
    TrainSpec {
        budget: Budget::steps(steps),
        record_every: 5,
        ..Default::default()
    }
}

fn antithetic() -> PerturbSpec {
    PerturbSpec {
        sigma: 1e-2,
        eta: 0.3,
        probes: 4,
        antithetic: true,
        cosine_to: None,
        ..Default::default()
    }
}

fn openes() -> OptimizerSpec {
    OptimizerSpec::OpenEs(OpenEsSettings {
        sigma: 0.05,
        eta: 0.05,
        pairs: 4,
        cosine_to: None,
        ..Default::default()
    })
}

fn snes() -> OptimizerSpec {
    OptimizerSpec::Snes(SnesSettings {
        sigma: 0.2,
        eta: 1.0,
        population: Some(10),
        ..Default::default()
    })
}

/// Every option case: spec, options.
fn cases() -> Vec<(OptimizerSpec, SpecOptions)> {
    let d1 = OptimizerSpec::Dopamine1(Dopamine1Settings::new(antithetic(), 0.9));
    let d2 = OptimizerSpec::Dopamine2(Dopamine2Settings::new(antithetic(), 0.9, 0.5));
    let no_baseline = SpecOptions {
        baseline_from_probes: true,
        ..Default::default()
    };
    vec![
        (openes(), SpecOptions::default()),
        (
            openes(),
            SpecOptions {
                rank: Some(1),
                ..Default::default()
            },
        ),
        (snes(), SpecOptions::default()),
        (d1, no_baseline),
        (
            d1,
            SpecOptions {
                second_moment: Some(0.99),
                rank: Some(1),
                ..no_baseline
            },
        ),
        (
            d2,
            SpecOptions {
                second_moment: Some(0.99),
                ..no_baseline
            },
        ),
        (
            OptimizerSpec::Adam(AdamSettings { lr: 0.05 }),
            SpecOptions {
                beta1: Some(0.5),
                ..Default::default()
            },
        ),
    ]
}

fn build(
    spec: OptimizerSpec,
    options: SpecOptions,
    obj: &dyn Objective<f64>,
) -> Box<dyn dopamine_train::Optimizer<f64>> {
    let layout = options.rank.and_then(|r| obj.param_layout(r));
    spec.build_with(&options, layout.as_ref(), obj.params().len(), 3, STEPS)
        .expect("valid spec")
}

#[test]
fn config_text_parses_and_refuses_unknown_fields() {
    let s: OptimizerSpec =
        serde_json::from_str(r#"{"kind": "openes", "sigma": 0.02, "eta": 0.01, "pairs": 8}"#)
            .expect("parses");
    assert_eq!(s.passes_per_step(), 16);
    assert_eq!(s.name(), "OpenES");
    let s: OptimizerSpec =
        serde_json::from_str(r#"{"kind": "snes", "sigma": 0.1, "eta": 1.0, "population": 12}"#)
            .expect("parses");
    assert_eq!(s.passes_per_step(), 12);
    assert_eq!(s.name(), "SNES");
    for bad in [
        r#"{"kind": "openes", "sigma": 0.02, "eta": 0.01, "probes": 8}"#,
        r#"{"kind": "snes", "sigma": 0.1, "eta": 1.0, "population": 4, "beta": 1}"#,
    ] {
        assert!(serde_json::from_str::<OptimizerSpec>(bad).is_err(), "{bad}");
    }
    assert!(serde_json::from_str::<SpecOptions>(r#"{"rank": 1, "lambda": 2}"#).is_err());
    for (spec, options) in cases() {
        let text = serde_json::to_string(&spec).expect("encodes");
        assert_eq!(
            serde_json::from_str::<OptimizerSpec>(&text).expect("decodes"),
            spec
        );
        let text = serde_json::to_string(&options).expect("encodes");
        assert_eq!(
            serde_json::from_str::<SpecOptions>(&text).expect("decodes"),
            options
        );
    }
}

#[test]
fn options_that_do_not_fit_are_refused_naming_the_field() {
    let wp_forward = OptimizerSpec::Wp(WpSettings::from(PerturbSpec {
        antithetic: false,
        ..antithetic()
    }));
    let refused = [
        (
            wp_forward,
            "baseline_from_probes",
            SpecOptions {
                baseline_from_probes: true,
                ..Default::default()
            },
        ),
        (
            OptimizerSpec::Wp(WpSettings::from(antithetic())),
            "second_moment",
            SpecOptions {
                second_moment: Some(0.9),
                ..Default::default()
            },
        ),
        (
            snes(),
            "rank",
            SpecOptions {
                rank: Some(1),
                ..Default::default()
            },
        ),
        (
            openes(),
            "beta1",
            SpecOptions {
                beta1: Some(0.9),
                ..Default::default()
            },
        ),
    ];
    for (spec, field, options) in refused {
        match spec.build_with::<f64>(&options, None, 17, 0, 10) {
            Err(TrainError::Spec(e)) => assert_eq!(e.field, field, "{spec:?}"),
            Err(e) => panic!("{field}: {e}"),
            Ok(_) => panic!("{field}: accepted"),
        }
    }
    // A rank without the objective's layout.
    match openes().build_with::<f64>(
        &SpecOptions {
            rank: Some(1),
            ..Default::default()
        },
        None,
        17,
        0,
        10,
    ) {
        Err(TrainError::Spec(e)) => assert_eq!(e.field, "rank"),
        _ => panic!("a rank without a layout was accepted"),
    }
}

#[test]
fn every_step_is_charged_the_passes_it_evaluates() {
    for (spec, options) in cases() {
        let mut obj = xor_objective(1);
        let mut opt = build(spec, options, &obj);
        let run = train(&mut obj, opt.as_mut(), &train_spec(40), &mut NoObserver).expect("runs");
        let last = run.records.last().expect("records");
        let per_step = spec.passes_per_step_with(&options);
        let backward = u64::from(spec.kind().uses_gradients());
        assert_eq!(
            last.forward_passes + last.backward_passes,
            last.step * (per_step - backward) + last.step * backward,
            "{} {options:?}",
            spec.name()
        );
    }
    let d1 = OptimizerSpec::Dopamine1(Dopamine1Settings::new(antithetic(), 0.9));
    let no_baseline = SpecOptions {
        baseline_from_probes: true,
        ..Default::default()
    };
    assert_eq!(d1.passes_per_step(), 9);
    assert_eq!(d1.passes_per_step_with(&no_baseline), 8);
}

#[test]
fn openes_and_snes_learn_xor() {
    for spec in [openes(), snes()] {
        let mut obj = xor_objective(2);
        let start = obj.loss();
        let mut opt = spec
            .build::<f64>(obj.params().len(), 4, 1500)
            .expect("valid");
        train(&mut obj, opt.as_mut(), &train_spec(1500), &mut NoObserver).expect("runs");
        let end = obj.loss();
        assert!(end < 0.5 * start, "{}: {start} -> {end}", spec.name());
    }
}

#[test]
fn resume_with_options_is_bit_identical() {
    for (spec, options) in cases() {
        let mut reference = xor_objective(5);
        let mut opt = build(spec, options, &reference);
        let full = train(
            &mut reference,
            opt.as_mut(),
            &train_spec(STEPS),
            &mut NoObserver,
        )
        .expect("runs");
        for cut in [1, 77, STEPS - 1] {
            let mut obj = xor_objective(5);
            let mut first =
                Trainer::new(build(spec, options, &obj), train_spec(STEPS)).expect("valid");
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
            let mut fresh = xor_objective(99);
            let saved = Checkpoint::from_bytes(&bytes).expect("decodes");
            let opt = build(spec, options, &fresh);
            let mut resumed = Trainer::resume(saved, opt, &mut fresh).expect("resumes");
            let run = resumed.run(&mut fresh, &mut NoObserver).expect("runs");
            let what = format!("{} {options:?} cut at {cut}", spec.name());
            assert_eq!(
                param_bits(fresh.params()),
                param_bits(reference.params()),
                "{what}"
            );
            assert_same_records(&run.records, &full.records, &what);
        }
    }
}
