//! E1 as an [`Experiment`] of the lab's list.

use std::path::Path;

use super::config::{CONFIG, XorConfig};
use super::report;
use super::run::{XorResult, run, run_count};
use crate::claims::Evidence;
use crate::error::BenchError;
use crate::experiments::{Experiment, Outcome, RunContext};
use crate::mode::Mode;
use crate::reproduce::Summary;

/// E1: XOR on an MLP 2-H-1, every optimizer tuned on held-out seeds.
pub struct Xor;

/// E1, as the list holds it.
pub const E1: Xor = Xor;

impl Experiment for Xor {
    type Config = XorConfig;
    type Results = Vec<XorResult>;

    fn key(&self) -> &'static str {
        "e1_xor"
    }

    fn title(&self) -> &'static str {
        "E1 XOR"
    }

    fn config_file(&self) -> &'static str {
        "xor.json"
    }

    fn builtin_config(&self) -> &'static str {
        CONFIG
    }

    fn run_count(&self, config: &XorConfig, mode: Mode) -> Option<u64> {
        Some(run_count(config, mode))
    }

    fn run(
        &self,
        config: &XorConfig,
        context: &RunContext<'_>,
    ) -> Result<Vec<XorResult>, BenchError> {
        run(config, context.mode, context.progress)
    }

    fn outcome(&self, config: XorConfig, results: Vec<XorResult>) -> Box<dyn Outcome> {
        Box::new(XorOutcome { config, results })
    }
}

/// E1's results with its config.
struct XorOutcome {
    config: XorConfig,
    results: Vec<XorResult>,
}

impl Outcome for XorOutcome {
    fn write_data(&self, out: &Path) -> Result<(), BenchError> {
        report::write_curves(out, &self.results)
    }

    fn write_figures(&self, out: &Path) -> Result<Vec<String>, BenchError> {
        report::write_figures(out, &self.results)
    }

    fn report_section(&self, mode: Mode) -> String {
        report::section(&report::summarize(&self.results), &self.config, mode)
    }

    fn summarize(&self, summary: &mut Summary) {
        summary.xor = report::summarize(&self.results);
    }

    fn evidence<'a>(&'a self, evidence: &mut Evidence<'a>) {
        evidence.xor = &self.results;
    }
}
