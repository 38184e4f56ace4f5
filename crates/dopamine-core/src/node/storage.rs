//! The layout of a Dopamine-3 rule's storage: how many values it needs and where each region lies.

use crate::node::config::Dopamine3Config;
use crate::node::layout::NodeLayout;
use crate::real::Real;

impl<T: Real> Dopamine3Config<T> {
    /// Values of storage a rule with these settings needs for `layout`:
    /// `2P` (the accumulated estimate and the trace), `P` more with the
    /// second moment, and the step buffer `R (N + J + 3)` with `R` its
    /// rows ([`crate::Accumulation::rows`]).
    pub fn storage_len(&self, layout: &NodeLayout) -> usize {
        let p = layout.params();
        let moment = if self.second_moment.is_some() { p } else { 0 };
        let r = self.accumulation.rows();
        2 * p + moment + r * (layout.neurons() + layout.presynaptic() + 3)
    }
}

/// The storage's regions: `[g (P) | e (P) | u (P or 0) | rows (R (N + J)) |
/// signals (R) | discounted signals (R) | trace coefficients (R)]`.
pub(crate) struct Regions<'a, T> {
    pub(crate) g: &'a mut [T],
    pub(crate) e: &'a mut [T],
    pub(crate) u: &'a mut [T],
    pub(crate) rows: &'a mut [T],
    pub(crate) signals: &'a mut [T],
    pub(crate) discounted: &'a mut [T],
    pub(crate) trace_coef: &'a mut [T],
}

/// Splits `storage` into its regions.
pub(crate) fn split<'a, T: Real>(
    storage: &'a mut [T],
    layout: &NodeLayout,
    config: &Dopamine3Config<T>,
) -> Regions<'a, T> {
    let p = layout.params();
    let moment = if config.second_moment.is_some() { p } else { 0 };
    let r = config.accumulation.rows();
    let stride = layout.neurons() + layout.presynaptic();
    let (g, rest) = storage.split_at_mut(p);
    let (e, rest) = rest.split_at_mut(p);
    let (u, rest) = rest.split_at_mut(moment);
    let (rows, rest) = rest.split_at_mut(r * stride);
    let (signals, rest) = rest.split_at_mut(r);
    let (discounted, trace_coef) = rest.split_at_mut(r);
    Regions {
        g,
        e,
        u,
        rows,
        signals,
        discounted,
        trace_coef,
    }
}
