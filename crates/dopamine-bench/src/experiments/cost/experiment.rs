//! E4 as an [`Experiment`] of the lab's list.

use std::path::Path;

use super::config::{CONFIG, CostConfig};
use super::report;
use super::run::{CostSweeps, run};
use crate::claims::Evidence;
use crate::error::BenchError;
use crate::experiments::{Experiment, Outcome, RunContext};
use crate::mode::Mode;
use crate::reproduce::Summary;

/// E4: time, FLOPs and memory per training step against H and T.
pub struct Cost;

/// E4, as the list holds it.
pub const E4: Cost = Cost;

impl Experiment for Cost {
    type Config = CostConfig;
    type Results = CostSweeps;

    fn key(&self) -> &'static str {
        "e4_cost"
    }

    fn title(&self) -> &'static str {
        "E4 cost"
    }

    fn config_file(&self) -> &'static str {
        "cost.json"
    }

    fn builtin_config(&self) -> &'static str {
        CONFIG
    }

    /// Version 2: the peak heap is the training loop's above the heap after
    /// the model and the data are built (version 1 included the model's
    /// initialisation).
    fn version(&self) -> u32 {
        2
    }

    fn run_count(&self, _config: &CostConfig, _mode: Mode) -> Option<u64> {
        None
    }

    fn run(&self, config: &CostConfig, context: &RunContext<'_>) -> Result<CostSweeps, BenchError> {
        run(config, context.mode, context.meter)
    }

    fn outcome(&self, _config: CostConfig, results: CostSweeps) -> Box<dyn Outcome> {
        Box::new(CostOutcome { results })
    }
}

/// E4's results.
struct CostOutcome {
    results: CostSweeps,
}

impl Outcome for CostOutcome {
    fn write_data(&self, out: &Path) -> Result<(), BenchError> {
        report::write_csv_table(out, &self.results)
    }

    fn write_figures(&self, out: &Path) -> Result<Vec<String>, BenchError> {
        report::write_figures(out, &self.results)
    }

    fn report_section(&self, _mode: Mode) -> String {
        report::section(&self.results)
    }

    fn summarize(&self, summary: &mut Summary) {
        summary.cost_by_hidden = self.results.by_hidden.clone();
        summary.cost_by_seq_len = self.results.by_seq_len.clone();
    }

    fn evidence<'a>(&'a self, evidence: &mut Evidence<'a>) {
        evidence.cost_by_hidden = &self.results.by_hidden;
        evidence.cost_by_seq_len = &self.results.by_seq_len;
    }
}
