//! Every bad experiment config the lab refuses — an empty or unequal tuning grid (either axis), a second axis that does not fit the method, an option that does not apply, zero seeds, a zero budget, unknown fields — as one table: the file, the field and the text of each error.

use dopamine_bench::config::{ExperimentConfig, parse};
use dopamine_bench::experiments::cost::CostConfig;
use dopamine_bench::experiments::forecast::ForecastConfig;
use dopamine_bench::experiments::scaling::ScalingConfig;
use dopamine_bench::experiments::xor::XorConfig;
use dopamine_bench::reproduce::{ReproduceOptions, reproduce};

/// The built-in configs.
mod builtin {
    pub use dopamine_bench::experiments::cost::CONFIG as COST;
    pub use dopamine_bench::experiments::forecast::{
        LORENZ_CONFIG as LORENZ, MACKEY_GLASS_CONFIG as MACKEY_GLASS,
    };
    pub use dopamine_bench::experiments::scaling::SCALING_CONFIG as SCALING;
    pub use dopamine_bench::experiments::xor::CONFIG as XOR;
}
use dopamine_bench::{BenchError, Mode};
use serde_json::{Value, json};

/// A built-in config with one change made by `edit`.
fn edited(builtin: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut value: Value = serde_json::from_str(builtin).expect("built-in configs parse");
    edit(&mut value);
    value.to_string()
}

/// Parses `text` as the config type of `file` and returns the error.
fn error_of(file: &str, text: &str) -> Option<BenchError> {
    fn get<C: ExperimentConfig>(file: &str, text: &str) -> Option<BenchError> {
        parse::<C>(file, text).err()
    }
    match file {
        "xor.json" => get::<XorConfig>(file, text),
        "mackey_glass.json" | "lorenz.json" => get::<ForecastConfig>(file, text),
        "cost.json" => get::<CostConfig>(file, text),
        "scaling.json" => get::<ScalingConfig>(file, text),
        other => panic!("no config type for {other}"),
    }
}

/// (what, file, config text, field, text the message must contain)
type Case = (
    &'static str,
    &'static str,
    String,
    &'static str,
    &'static str,
);

fn cases() -> Vec<Case> {
    vec![
        (
            "an empty tuning grid",
            "xor.json",
            edited(builtin::XOR, |v| v["optimizers"][2]["rates"] = json!([])),
            "optimizers[2].rates",
            "the tuning grid is empty",
        ),
        (
            "tuning grids of unequal size",
            "mackey_glass.json",
            edited(builtin::MACKEY_GLASS, |v| {
                v["optimizers"][1]["rates"] = json!([0.001, 0.003])
            }),
            "optimizers[1]",
            "a grid of 2 rates x 2 sigma x 2 variants = 8 configurations where optimizers[0] has 3 rates x 2 sigma x 2 variants = 12 configurations",
        ),
        (
            "a second axis that makes one grid larger",
            "lorenz.json",
            edited(builtin::LORENZ, |v| {
                v["optimizers"][7]["momenta"] = json!([0.0, 0.5, 0.8, 0.9])
            }),
            "optimizers[7]",
            "a grid of 3 rates x 4 beta1 x 2 variants = 24 configurations where optimizers[0] has 3 rates x 2 sigma x 2 variants = 12",
        ),
        (
            "a variant that makes one grid larger",
            "mackey_glass.json",
            edited(builtin::MACKEY_GLASS, |v| {
                v["optimizers"][3]["variants"]
                    .as_array_mut()
                    .expect("a list")
                    .push(json!({"spec": {"probes": 2}}))
            }),
            "optimizers[3]",
            "a grid of 3 rates x 2 sigma x 3 variants = 18 configurations",
        ),
        (
            "a variant that changes the optimizer",
            "lorenz.json",
            edited(builtin::LORENZ, |v| {
                v["optimizers"][1]["variants"][1] = json!({"spec": {"kind": "snes"}})
            }),
            "optimizers[1].variants[1].spec.kind",
            "a variant cannot change the optimizer",
        ),
        (
            "a variant field the optimizer does not have",
            "mackey_glass.json",
            edited(builtin::MACKEY_GLASS, |v| {
                v["optimizers"][2]["variants"][1] = json!({"spec": {"pairs": 8}})
            }),
            "optimizers[2].variants[1].spec.pairs",
            "is not a field of the base",
        ),
        (
            "a variant option that does not fit the method",
            "lorenz.json",
            edited(builtin::LORENZ, |v| {
                v["optimizers"][2]["variants"][1] = json!({"options": {"rank": 1}})
            }),
            "optimizers[2].variants[1].options.rank",
            "SNES has no probes to make low-rank",
        ),
        (
            "a variant field of the wrong type",
            "mackey_glass.json",
            edited(builtin::MACKEY_GLASS, |v| {
                v["optimizers"][3]["variants"][1] = json!({"spec": {"probes": -4}})
            }),
            "optimizers[3].variants[1].spec",
            "invalid value",
        ),
        (
            "a grid without its second axis",
            "xor.json",
            edited(builtin::XOR, |v| {
                v["optimizers"][2]
                    .as_object_mut()
                    .expect("an object")
                    .remove("sigmas");
            }),
            "optimizers[2]",
            "a grid of 4 rates x 1 sigma = 4 configurations",
        ),
        (
            "a sigma axis on a gradient method",
            "mackey_glass.json",
            edited(builtin::MACKEY_GLASS, |v| {
                v["optimizers"][6]["sigmas"] = json!([0.1])
            }),
            "optimizers[6].sigmas",
            "SGD has no sigma",
        ),
        (
            "a momentum axis on a perturbation method",
            "xor.json",
            edited(builtin::XOR, |v| {
                v["optimizers"][0]["momenta"] = json!([0.9])
            }),
            "optimizers[0].momenta",
            "WP has no momentum",
        ),
        (
            "a momentum outside [0, 1)",
            "lorenz.json",
            edited(builtin::LORENZ, |v| {
                v["optimizers"][6]["momenta"][1] = json!(1.0)
            }),
            "optimizers[6].momenta",
            "1 is not in [0, 1)",
        ),
        (
            "a sigma that is not positive",
            "mackey_glass.json",
            edited(builtin::MACKEY_GLASS, |v| {
                v["optimizers"][1]["sigmas"][0] = json!(-0.01)
            }),
            "optimizers[1].sigmas",
            "sigma -0.01 is not a finite number > 0",
        ),
        (
            "an option that does not fit the method",
            "xor.json",
            edited(builtin::XOR, |v| {
                v["optimizers"][0]["options"] = json!({"second_moment": 0.99})
            }),
            "optimizers[0].options.second_moment",
            "is an option of Dopamine-1 and Dopamine-2, not WP",
        ),
        (
            "an unknown option",
            "lorenz.json",
            edited(builtin::LORENZ, |v| {
                v["optimizers"][3]["options"]["ranks"] = json!(1)
            }),
            "optimizers[3].options.ranks",
            "unknown field `ranks`",
        ),
        (
            "an ablation of a method that is not run",
            "mackey_glass.json",
            edited(builtin::MACKEY_GLASS, |v| {
                v["ablations"][0]["from"] = json!("SGD");
                v["optimizers"].as_array_mut().expect("a list").remove(6);
            }),
            "ablations[0].from",
            "SGD is not among the optimizers",
        ),
        (
            "an ablation option that does not fit",
            "mackey_glass.json",
            edited(builtin::MACKEY_GLASS, |v| {
                v["ablations"][0]["options"] = json!({"baseline_from_probes": true})
            }),
            "ablations[0].options.baseline_from_probes",
            "needs a perturbation rule with antithetic RPE, not Dopamine-1",
        ),
        (
            "a wall-time budget of zero",
            "mackey_glass.json",
            edited(builtin::MACKEY_GLASS, |v| {
                v["seconds"]["quick"] = json!(0.0)
            }),
            "seconds.quick",
            "must be a finite number of seconds > 0",
        ),
        (
            "a rate that is not positive",
            "lorenz.json",
            edited(builtin::LORENZ, |v| {
                v["optimizers"][4]["rates"][0] = json!(0.0)
            }),
            "optimizers[4].rates",
            "rate 0 is not a finite number > 0",
        ),
        (
            "no optimizer at all",
            "xor.json",
            edited(builtin::XOR, |v| v["optimizers"] = json!([])),
            "optimizers",
            "lists no optimizer",
        ),
        (
            "zero evaluation seeds",
            "xor.json",
            edited(builtin::XOR, |v| v["seeds"]["quick"] = json!(0)),
            "seeds.quick",
            "must be >= 1",
        ),
        (
            "zero tuning seeds",
            "lorenz.json",
            edited(builtin::LORENZ, |v| v["tuning_seeds"]["full"] = json!(0)),
            "tuning_seeds.full",
            "must be >= 1",
        ),
        (
            "a zero step budget",
            "xor.json",
            edited(builtin::XOR, |v| v["steps"]["full"] = json!(0)),
            "steps.full",
            "must be >= 1",
        ),
        (
            "a zero forward-pass budget",
            "mackey_glass.json",
            edited(builtin::MACKEY_GLASS, |v| v["budget"]["quick"] = json!(0)),
            "budget.quick",
            "must be >= 1",
        ),
        (
            "zero timed steps",
            "cost.json",
            edited(builtin::COST, |v| v["steps"]["quick"] = json!(0)),
            "steps.quick",
            "must be >= 1",
        ),
        (
            "an unknown top-level field",
            "xor.json",
            edited(builtin::XOR, |v| v["seed"] = json!(3)),
            "seed",
            "unknown field `seed`",
        ),
        (
            "an unknown field of an optimizer",
            "lorenz.json",
            edited(builtin::LORENZ, |v| {
                v["optimizers"][1]["base"]["sigmaa"] = json!(0.1)
            }),
            "optimizers[1].base.sigmaa",
            "unknown field `sigmaa`",
        ),
        (
            "an unknown field of a per-mode value",
            "cost.json",
            edited(builtin::COST, |v| v["steps"]["fast"] = json!(1)),
            "steps.fast",
            "unknown field `fast`",
        ),
        (
            "an unknown optimizer",
            "xor.json",
            edited(builtin::XOR, |v| {
                v["optimizers"][0]["base"]["kind"] = json!("rmsprop")
            }),
            "optimizers[0].base.kind",
            "unknown variant `rmsprop`",
        ),
        (
            "a missing field",
            "mackey_glass.json",
            edited(builtin::MACKEY_GLASS, |v| {
                v.as_object_mut().expect("an object").remove("washout");
            }),
            ".",
            "missing field `washout`",
        ),
        (
            "a hidden size of zero",
            "cost.json",
            edited(builtin::COST, |v| v["hidden"]["quick"][1] = json!(0)),
            "hidden.quick[1]",
            "must be >= 1",
        ),
        (
            "hidden sizes out of order",
            "scaling.json",
            edited(builtin::SCALING, |v| v["hidden_sizes"] = json!([64, 16])),
            "hidden_sizes",
            "strictly increasing",
        ),
        (
            "a trace decay of one",
            "scaling.json",
            edited(builtin::SCALING, |v| {
                v["alignment"]["dopamine3_lambda"] = json!(1.0)
            }),
            "alignment.dopamine3_lambda",
            "must be in [0, 1)",
        ),
        (
            "a bad setting of the protocol run at each size",
            "scaling.json",
            edited(builtin::SCALING, |v| {
                v["forecast"]["budget"]["full"] = json!(0)
            }),
            "forecast.budget.full",
            "must be >= 1",
        ),
    ]
}

#[test]
fn every_bad_config_is_refused_with_its_file_field_and_reason() {
    // The built-in configs themselves pass.
    assert!(error_of("xor.json", builtin::XOR).is_none());
    assert!(error_of("mackey_glass.json", builtin::MACKEY_GLASS).is_none());
    assert!(error_of("lorenz.json", builtin::LORENZ).is_none());
    assert!(error_of("cost.json", builtin::COST).is_none());
    assert!(error_of("scaling.json", builtin::SCALING).is_none());
    let mut failures = Vec::new();
    for (what, file, text, field, reason) in cases() {
        match error_of(file, &text) {
            None => failures.push(format!("{what}: accepted")),
            Some(e) => {
                let message = e.to_string();
                let ok = matches!(
                    &e,
                    BenchError::Config { file: f, field: fd, reason: r }
                        if f == file && fd == field && r.contains(reason)
                );
                if !ok || !message.contains(file) || !message.contains(reason) {
                    failures.push(format!(
                        "{what}: got {e:?} ({message}), want {file} `{field}`: {reason}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn a_config_folder_names_the_file_by_its_path_and_an_unwritable_output_names_its_path() {
    let dir = std::env::temp_dir().join(format!("dopamine-bad-configs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creates");
    for (file, text) in [
        ("mackey_glass.json", builtin::MACKEY_GLASS),
        ("lorenz.json", builtin::LORENZ),
        ("cost.json", builtin::COST),
        ("scaling.json", builtin::SCALING),
    ] {
        std::fs::write(dir.join(file), text).expect("writes");
    }
    let bad = edited(builtin::XOR, |v| v["seeds"]["quick"] = json!(0));
    std::fs::write(dir.join("xor.json"), bad).expect("writes");
    let options = |out: std::path::PathBuf| ReproduceOptions {
        mode: Mode::Quick,
        out_dir: out,
        configs_dir: Some(dir.clone()),
        command: "bad config test".into(),
        resume: false,
    };
    let e = reproduce(&options(dir.join("out")), None).expect_err("refused");
    let path = dir.join("xor.json").display().to_string();
    assert_eq!(
        e.to_string(),
        format!("{path}: `seeds.quick`: must be >= 1"),
        "{e:?}"
    );
    // An output folder that cannot be created: the error names it.
    std::fs::write(dir.join("xor.json"), builtin::XOR).expect("writes");
    let e = reproduce(&options("/proc/x".into()), None).expect_err("no such folder");
    assert!(matches!(e, BenchError::Io { .. }), "{e:?}");
    assert!(e.to_string().starts_with("/proc/x/curves: "), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
