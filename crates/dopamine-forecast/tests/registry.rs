//! Every optimizer of the registry runs in the lab's harness: each has a default tuning grid in `defaults.json`, and one run of its base settings trains and is scored by the forecasting protocol.

use dopamine_forecast::{Defaults, ForecastData, RunBudget, run_one_with};
use dopamine_tasks::Series;
use dopamine_train::{OptimizerKind, tuning::check_grids};

/// A noise-free sum of two sines, 600 rows: easy enough for every method
/// to beat the untrained network in a short run.
fn series() -> Series {
    let data = (0..600)
        .map(|t| {
            let t = t as f64;
            (0.07 * t).sin() + 0.5 * (0.023 * t).sin()
        })
        .collect();
    Series::new(1, data).expect("a finite series")
}

#[test]
fn every_registry_entry_has_a_default_grid_and_runs_in_the_harness() {
    let defaults = Defaults::builtin();
    check_grids(&defaults.optimizers).expect("the default grids are fair");
    let settings = defaults.settings();
    let data = ForecastData::new(&series(), 0.5, 0.2).expect("splits");
    for kind in OptimizerKind::ALL {
        let grid = defaults
            .grid(kind)
            .unwrap_or_else(|| panic!("{kind} has no default grid in defaults.json"));
        let (run, net) = run_one_with::<f32, _>(
            &settings,
            &data,
            &grid.base,
            &grid.options,
            0,
            RunBudget::Passes(400),
            false,
        )
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(run.validation.is_finite(), "{kind}: validation NRMSE");
        assert!(run.test.teacher_forced.is_finite(), "{kind}: test NRMSE");
        assert!(!run.curve.is_empty(), "{kind}: no training record");
        let last = run.curve.last().expect("a record");
        assert!(
            last.forward_passes + last.backward_passes <= 400 + grid.base.passes_per_step(),
            "{kind}: spent {} passes of 400",
            last.forward_passes + last.backward_passes
        );
        assert_eq!(net.input_dim(), 1, "{kind}");
    }
}
