//! The registry: every built-in optimizer is constructible from a config, trains through the trainer, round-trips its config form, and refuses unknown and renamed settings by name.

mod common;

use common::xor_objective;
use dopamine_train::{
    Budget, NoObserver, Objective, OptimizerKind, OptimizerSpec, SpecOptions, TrainSpec, train,
};

/// A config text of `kind` with a few settings given (the rest default).
fn config_text(kind: OptimizerKind) -> String {
    let fields = match kind.tag() {
        "sgd" => r#""lr": 0.3, "momentum": 0.5"#,
        "adam" => r#""lr": 0.05"#,
        "snes" => r#""sigma": 0.1, "eta": 1.0, "population": 8"#,
        "openes" => r#""sigma": 0.05, "eta": 0.05, "pairs": 3"#,
        "dopamine3" => r#""sigma": 0.05, "eta": 0.05, "lambda": 0.5, "update_every": 4"#,
        _ => r#""sigma": 0.01, "eta": 0.5, "probes": 2"#,
    };
    format!(r#"{{"kind": "{}", {fields}}}"#, kind.tag())
}

#[test]
fn every_entry_is_built_from_a_config_and_trains_through_the_trainer() {
    assert_eq!(OptimizerKind::ALL.len(), 8);
    for kind in OptimizerKind::ALL {
        let spec: OptimizerSpec =
            serde_json::from_str(&config_text(kind)).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(spec.kind(), kind);
        assert_eq!(spec.name(), kind.name());
        let mut objective = xor_objective(5);
        let dim = objective.params().len();
        let mut opt = spec.build::<f64>(dim, 3, 40).expect("builds");
        assert_eq!(opt.name(), kind.name());
        let start = objective.loss();
        let run = train(
            &mut objective,
            opt.as_mut(),
            &TrainSpec {
                budget: Budget::steps(40),
                ..Default::default()
            },
            &mut NoObserver,
        )
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(run.last.step, 40, "{kind}");
        assert!(run.last.loss.is_finite(), "{kind}");
        assert!(objective.loss() < start, "{kind} did not learn");
        // Every step was charged what the spec says.
        let per_step = spec.passes_per_step_with(&SpecOptions::default());
        assert_eq!(
            run.last.forward_passes + run.last.backward_passes,
            40 * per_step,
            "{kind}"
        );
    }
}

#[test]
fn every_spec_round_trips_through_its_config_form() {
    for kind in OptimizerKind::ALL {
        for spec in [
            kind.default_spec(),
            serde_json::from_str(&config_text(kind)).unwrap(),
        ] {
            let text = serde_json::to_string(&spec).expect("encodes");
            assert!(
                text.starts_with(&format!(r#"{{"kind":"{}""#, kind.tag())),
                "{text}"
            );
            let back: OptimizerSpec = serde_json::from_str(&text).expect("decodes");
            assert_eq!(back, spec, "{text}");
            let rated = spec.with_rate(0.125);
            assert_eq!(rated.rate(), 0.125, "{kind}");
            let sigma = spec.with_sigma(0.25).sigma();
            assert_eq!(sigma, spec.sigma().map(|_| 0.25), "{kind}");
            assert!(!spec.describe().is_empty());
        }
    }
}

#[test]
fn unknown_and_renamed_settings_are_refused_by_name() {
    for kind in OptimizerKind::ALL {
        let text = format!(r#"{{"kind": "{}", "sigmaa": 1.0}}"#, kind.tag());
        let err = serde_json::from_str::<OptimizerSpec>(&text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `sigmaa`"), "{kind}: {err}");
        for (old, new) in kind.renamed() {
            let text = format!(r#"{{"kind": "{}", "{old}": 1}}"#, kind.tag());
            let err = serde_json::from_str::<OptimizerSpec>(&text)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(&format!("`{old}`")) && err.contains(&format!("`{new}`")),
                "{kind}: {err}"
            );
        }
    }
    // The names SNES and OpenES had in Python are refused in configs too.
    let err = serde_json::from_str::<OptimizerSpec>(r#"{"kind": "snes", "sigma0": 0.1}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("it is called `sigma`"), "{err}");
    let err = serde_json::from_str::<OptimizerSpec>(r#"{"kind": "openes", "probes": 4}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("it is called `pairs`"), "{err}");
    let err = serde_json::from_str::<OptimizerSpec>(r#"{"kind": "nes"}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown variant `nes`"), "{err}");
}

#[test]
fn schedules_and_options_that_do_not_fit_are_refused() {
    let spec = |text: &str| serde_json::from_str::<OptimizerSpec>(text).expect("parses");
    let cases = [
        (
            r#"{"kind": "wp", "every": 10}"#,
            SpecOptions::default(),
            "factor",
        ),
        (
            r#"{"kind": "wp", "total_steps": 10}"#,
            SpecOptions::default(),
            "total_steps",
        ),
        (
            r#"{"kind": "dopamine1", "cosine_to": 0.1, "every": 5, "factor": 0.5}"#,
            SpecOptions::default(),
            "every",
        ),
        (
            r#"{"kind": "snes"}"#,
            SpecOptions {
                rank: Some(1),
                ..Default::default()
            },
            "rank",
        ),
        (
            r#"{"kind": "wp"}"#,
            SpecOptions {
                second_moment: Some(0.9),
                ..Default::default()
            },
            "second_moment",
        ),
        (
            r#"{"kind": "dopamine2"}"#,
            SpecOptions {
                baseline_from_probes: true,
                ..Default::default()
            },
            "baseline_from_probes",
        ),
    ];
    for (text, options, field) in cases {
        let err = spec(text).check_options(&options).expect_err(text);
        assert_eq!(err.field, field, "{text}: {err}");
    }
}
