//! E2 and E3 as [`Experiment`]s of the lab's list: one kind of experiment, two configs.

use std::path::Path;

use super::config::{ForecastConfig, LORENZ_CONFIG, MACKEY_GLASS_CONFIG};
use super::figures::write_figures;
use super::protocol::{run, run_count};
use super::report;
use super::results::ForecastReport;
use crate::claims::{Evidence, Robustness};
use crate::error::BenchError;
use crate::experiments::{Experiment, Outcome, RunContext};
use crate::mode::Mode;
use crate::reproduce::Summary;

/// A one-step forecasting experiment with an Elman RNN: its names and its
/// built-in config.
pub struct Forecast {
    key: &'static str,
    title: &'static str,
    config_file: &'static str,
    builtin: &'static str,
}

/// E2: Mackey-Glass.
pub const E2: Forecast = Forecast {
    key: "e2_mackey_glass",
    title: "E2 Mackey-Glass",
    config_file: "mackey_glass.json",
    builtin: MACKEY_GLASS_CONFIG,
};

/// E3: Lorenz-63.
pub const E3: Forecast = Forecast {
    key: "e3_lorenz",
    title: "E3 Lorenz-63",
    config_file: "lorenz.json",
    builtin: LORENZ_CONFIG,
};

impl Experiment for Forecast {
    type Config = ForecastConfig;
    type Results = ForecastReport;

    fn key(&self) -> &'static str {
        self.key
    }

    fn title(&self) -> &'static str {
        self.title
    }

    fn config_file(&self) -> &'static str {
        self.config_file
    }

    fn builtin_config(&self) -> &'static str {
        self.builtin
    }

    fn run_count(&self, config: &ForecastConfig, mode: Mode) -> Option<u64> {
        Some(run_count(config, mode))
    }

    fn run(
        &self,
        config: &ForecastConfig,
        context: &RunContext<'_>,
    ) -> Result<ForecastReport, BenchError> {
        run(config, context.mode, context.progress)
    }

    fn outcome(&self, config: ForecastConfig, results: ForecastReport) -> Box<dyn Outcome> {
        Box::new(ForecastOutcome { config, results })
    }
}

/// A forecasting experiment's results with its config.
struct ForecastOutcome {
    config: ForecastConfig,
    results: ForecastReport,
}

impl Outcome for ForecastOutcome {
    fn write_data(&self, out: &Path) -> Result<(), BenchError> {
        report::write_curves(out, &self.results)
    }

    fn write_figures(&self, out: &Path) -> Result<Vec<String>, BenchError> {
        write_figures(out, &self.results)
    }

    fn report_section(&self, mode: Mode) -> String {
        report::section(&report::summarize(&self.results), &self.config, mode)
    }

    fn summarize(&self, summary: &mut Summary) {
        summary.forecasts.push(report::summarize(&self.results));
    }

    fn robustness(&self) -> Vec<Robustness> {
        report::robustness(&self.results)
    }

    fn evidence<'a>(&'a self, evidence: &mut Evidence<'a>) {
        evidence.forecasts.push(&self.results);
    }
}
