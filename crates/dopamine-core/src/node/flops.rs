//! FLOP accounting of Dopamine-3's eligibility arithmetic and updates, by the convention of `dopamine-nets`' `cost` module, exactly as the rule executes them.

use crate::node::config::{Accumulation, Dopamine3Config, Signal, UpdateEvery};
use crate::node::layout::NodeLayout;
use crate::node::product::{product_flops, stream_flops};
use crate::node::update::apply_flops;
use crate::real::Real;

impl<T: Real> Dopamine3Config<T> {
    /// Rows kept of a block of `len` rows when the trace is folded in: the
    /// last `W` rows, `W` the fewest with `lambda^W / (1 - lambda)` below
    /// `2^-digits` (every older term together weighs less than one unit in
    /// the last place of the newest one), at least 1.
    pub fn trace_rows(&self, len: usize) -> usize {
        let lambda = self.lambda.to_f64();
        let threshold = libm::ldexp(1.0 - lambda, -(T::MANTISSA_DIGITS as i32));
        let mut w = 1;
        let mut weight = 1.0;
        while w < len {
            weight *= lambda;
            if weight < threshold {
                break;
            }
            w += 1;
        }
        w
    }

    /// FLOPs of folding a block of `len` rows into the estimate and trace:
    /// the discounted signals (2 per row but the last) and the trace
    /// coefficients (1 per kept row but the last) when a layer is
    /// recurrent; per recurrent layer the carried trace (`G += c e`: 2 per
    /// parameter; `e *= lambda^L`: 1) and the trace product over the kept
    /// rows (with its scaling); per layer the scaling of its noise (1 per
    /// unit and row) and its product with the signals. The whole-interval
    /// signal needs only the products, unscaled.
    pub(crate) fn block_flops(&self, layout: &NodeLayout, len: usize) -> u64 {
        let rows = len as u64;
        if matches!(self.signal, Signal::WholeInterval) {
            return layout
                .placed()
                .map(|l| product_flops(&l, rows, false))
                .sum();
        }
        let w = self.trace_rows(len) as u64;
        let mut flops = 0;
        let mut recurrent = false;
        for l in layout.placed() {
            flops += l.layer.units as u64 * rows + product_flops(&l, rows, false);
            if l.layer.recurrent {
                recurrent = true;
                let p = l.layer.params() as u64;
                let carried = if self.lambda > T::ZERO { 3 * p } else { 0 };
                flops += carried + product_flops(&l, w, true);
            }
        }
        if recurrent {
            flops += 2 * (rows - 1) + (w - 1);
        }
        flops
    }

    /// FLOPs of the eligibility arithmetic of one streamed step.
    pub(crate) fn stream_flops(&self, layout: &NodeLayout) -> u64 {
        let whole = matches!(self.signal, Signal::WholeInterval);
        layout.placed().map(|l| stream_flops(&l, whole)).sum()
    }

    /// The [`crate::NodeCounters::eligibility_flops`] of one sequence of `len`
    /// steps that starts an interval and ends with
    /// [`crate::Dopamine3::end_sequence`] (every interval's updates included): the
    /// eligibility arithmetic as executed, block by block.
    pub fn sequence_flops(&self, layout: &NodeLayout, len: u64) -> u64 {
        let p = layout.params() as u64;
        let interval = match self.update_every {
            UpdateEvery::Steps(c) => u64::from(c),
            UpdateEvery::Sweep => len.max(1),
        };
        let mut flops = 0;
        let mut left = len;
        while left > 0 {
            let steps = interval.min(left);
            left -= steps;
            flops += apply_flops(p, self.second_moment.is_some());
            match self.accumulation {
                Accumulation::Streaming => flops += steps * self.stream_flops(layout),
                Accumulation::Blocks(r) => {
                    let mut rest = steps;
                    while rest > 0 {
                        let n = rest.min(u64::from(r));
                        flops += self.block_flops(layout, n as usize);
                        rest -= n;
                    }
                }
            }
        }
        flops
    }
}
