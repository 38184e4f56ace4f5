//! What the claims are judged on: the finished experiments' results, gathered from their outcomes.

use crate::experiments::cost::CostPoint;
use crate::experiments::forecast::ForecastReport;
use crate::experiments::xor::XorResult;

/// The measurements behind the claims; each experiment's outcome adds its
/// part ([`crate::experiments::Outcome::evidence`]), and a claim judges
/// what is there (a check whose numbers are missing is not made).
#[derive(Debug, Clone, Default)]
pub struct Evidence<'a> {
    /// E1: every optimizer on every network size.
    pub xor: &'a [XorResult],
    /// E2, E3: the forecasting tasks, in the list's order.
    pub forecasts: Vec<&'a ForecastReport>,
    /// E4: the sweep over H.
    pub cost_by_hidden: &'a [CostPoint],
    /// E4: the sweep over T.
    pub cost_by_seq_len: &'a [CostPoint],
}
