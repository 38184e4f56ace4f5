//! E5 as an [`Experiment`] of the lab's list.

use std::path::Path;

use super::config::{SCALING_CONFIG, ScalingConfig};
use super::report;
use super::run::{ScalingResults, run, run_count};
use crate::error::BenchError;
use crate::experiments::{Experiment, Outcome, RunContext};
use crate::mode::Mode;
use crate::reproduce::Summary;

/// E5: alignment with the gradient and test NRMSE against hidden size.
pub struct Scaling;

/// E5, as the list holds it.
pub const E5: Scaling = Scaling;

impl Experiment for Scaling {
    type Config = ScalingConfig;
    type Results = ScalingResults;

    fn key(&self) -> &'static str {
        "e5_scaling"
    }

    fn title(&self) -> &'static str {
        "E5 scaling"
    }

    fn config_file(&self) -> &'static str {
        "scaling.json"
    }

    fn builtin_config(&self) -> &'static str {
        SCALING_CONFIG
    }

    fn run_count(&self, config: &ScalingConfig, mode: Mode) -> Option<u64> {
        Some(run_count(config, mode))
    }

    fn run(
        &self,
        config: &ScalingConfig,
        context: &RunContext<'_>,
    ) -> Result<ScalingResults, BenchError> {
        run(config, context.mode, context.progress)
    }

    fn outcome(&self, config: ScalingConfig, results: ScalingResults) -> Box<dyn Outcome> {
        Box::new(ScalingOutcome { config, results })
    }
}

/// E5's results with the config they came from.
struct ScalingOutcome {
    config: ScalingConfig,
    results: ScalingResults,
}

impl Outcome for ScalingOutcome {
    fn write_data(&self, out: &Path) -> Result<(), BenchError> {
        report::write_csv_tables(out, &self.results)
    }

    fn write_figures(&self, out: &Path) -> Result<Vec<String>, BenchError> {
        report::write_figures(out, &self.results)
    }

    fn report_section(&self, mode: Mode) -> String {
        report::section(&self.config, &self.results, mode)
    }

    fn summarize(&self, summary: &mut Summary) {
        summary.scaling = report::summary_rows(&self.results);
    }
}
