//! E2's config and the default protocol of `dopamine-forecast` (what `dopamine compare` runs on a user's series) are one protocol: the split, the model, the budgets, the tuning seeds and every tuning grid agree, so a change to one that is not made to the other fails here.

use dopamine_bench::Mode;
use dopamine_bench::config::parse;
use dopamine_bench::experiments::forecast::{ForecastConfig, MACKEY_GLASS_CONFIG};
use dopamine_forecast::Defaults;

#[test]
fn mackey_glass_json_and_the_default_protocol_agree() {
    let e2: ForecastConfig = parse("mackey_glass.json", MACKEY_GLASS_CONFIG).expect("E2 parses");
    let d = Defaults::builtin();
    let edit = "edit crates/dopamine-bench/configs/mackey_glass.json and \
                crates/dopamine-forecast/defaults.json together";
    assert_eq!(e2.train_fraction, d.train_fraction, "{edit}");
    assert_eq!(e2.validation_fraction, d.validation_fraction, "{edit}");
    assert_eq!(e2.hidden, d.hidden, "{edit}");
    assert_eq!(e2.spectral_radius, d.spectral_radius, "{edit}");
    assert_eq!(e2.washout, d.washout, "{edit}");
    assert_eq!(e2.record_every, d.record_every, "{edit}");
    assert_eq!(e2.budget.get(Mode::Full), d.passes, "{edit}");
    assert_eq!(e2.budget.get(Mode::Quick), d.quick_passes, "{edit}");
    assert_eq!(e2.tuning_seeds.get(Mode::Full), d.tuning_seeds, "{edit}");
    assert_eq!(e2.optimizers.len(), d.optimizers.len(), "{edit}");
    for (lab, default) in e2.optimizers.iter().zip(&d.optimizers) {
        assert_eq!(lab, default, "{}: {edit}", lab.base.name());
    }
}
