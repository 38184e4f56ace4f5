//! `summary.json`: everything the report says, without the curves; each experiment's outcome fills its part.

use serde::{Deserialize, Serialize};

use crate::claims::{Claim, Robustness};
use crate::experiments::cost::CostPoint;
use crate::experiments::forecast::ForecastSummary;
use crate::experiments::scaling::ScalingSummary;
use crate::experiments::xor::XorSummary;
use crate::machine::MachineInfo;
use crate::mode::Mode;

/// What `summary.json` holds: everything the report says, without the curves.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// Full or quick.
    pub mode: Mode,
    /// The command that produced it.
    pub command: String,
    /// Machine and revision.
    pub machine: MachineInfo,
    /// Seconds the whole run took.
    pub seconds: f64,
    /// Experiments reused from an earlier run's saved state (`--resume`),
    /// with the revision that produced each.
    #[serde(default)]
    pub resumed: Vec<(String, String)>,
    /// The claims and their verdicts.
    pub claims: Vec<Claim>,
    /// Robustness to settings of every method on E2 and E3 (from the tuning grids).
    #[serde(default)]
    pub robustness: Vec<Robustness>,
    /// E1 per hidden size and optimizer: (hidden, optimizer, chosen spec, success rate, median passes).
    pub xor: Vec<XorSummary>,
    /// E2 and E3.
    pub forecasts: Vec<ForecastSummary>,
    /// E4 sweep over H.
    pub cost_by_hidden: Vec<CostPoint>,
    /// E4 sweep over T.
    pub cost_by_seq_len: Vec<CostPoint>,
    /// E5: median cosines with the gradient and test NRMSE per hidden size.
    #[serde(default)]
    pub scaling: Vec<ScalingSummary>,
}
