//! Online Dopamine-3 for the Elman RNN: one sample at a time, prequentially (predict, then learn), with O(P + H) memory and no stored sequence; and a teacher-forced sweep in parts (`Rnn::node_sweep_steps`), whose state between parts is the workspace's hidden states.
//!
//! A stream is a sequence that never ends: [`Rnn::node_stream_predict`]
//! advances both copies by one input and returns the network's prediction
//! of the next target; [`Rnn::node_stream_learn`] takes that target when it
//! arrives, hands the copies' losses to the rule and applies an update
//! when an interval completes. With [`dopamine_core::Accumulation::Streaming`]
//! the rule keeps `3P + N + J + 3` values (estimate, trace, second
//! moments, one step) and the workspace `6H + 2O`: nothing grows with the
//! stream.

use dopamine_core::{Dopamine3, NodeUpdate};

use crate::rnn_forward::RnnParams;
use crate::rnn_node::{NodeSweep, RnnNodeWorkspace, Sweep, Weights, lockstep_step, presynaptic};
use crate::vmath::{Isa, Kernel, dispatch};
use crate::{NetError, Rnn, Scalar};
use faer::MatRef;

/// What [`Rnn::node_stream_learn`] did with a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreamStep<T> {
    /// Copy A's loss on the sample, `sum_o (y_o - target_o)^2 / O` (0
    /// without a target).
    pub loss_a: T,
    /// Copy B's loss.
    pub loss_b: T,
    /// The update applied (or refused) when the sample completed an
    /// interval.
    pub update: Option<NodeUpdate<T>>,
}

/// One step of both copies with the rule's open step, as a dispatched kernel.
struct Advance<'a, T, S> {
    dims: (usize, usize, usize),
    params: &'a [T],
    rule: &'a mut Dopamine3<T, S>,
    x: &'a [T],
    ws: &'a mut RnnNodeWorkspace<T>,
    prediction: &'a mut [T],
}

impl<T: Scalar, S: AsRef<[T]> + AsMut<[T]>> Kernel for Advance<'_, T, S> {
    type Output = Result<(), dopamine_core::Error>;

    #[inline(always)]
    fn run<I: Isa>(self) -> Self::Output {
        let Self {
            dims: (i_dim, h_dim, o_dim),
            params,
            rule,
            x,
            ws,
            prediction,
        } = self;
        let mode = rule.config().noise;
        let factor: T = mode.copy_b_factor();
        let step = rule.open_step()?;
        let (xs, rest) = step.presynaptic.split_at_mut(i_dim);
        let (before, after) = rest.split_at_mut(h_dim);
        xs.copy_from_slice(x);
        presynaptic(mode, &ws.h_a, &ws.h_b, before);
        let p = RnnParams::new(i_dim, h_dim, o_dim, params);
        lockstep_step::<I, T>(&p, x, ws, step.noise, factor, true);
        presynaptic(mode, &ws.h_a, &ws.h_b, after);
        presynaptic(mode, &ws.y_a, &ws.y_b, prediction);
        Ok(())
    }
}

impl<T: Scalar> Rnn<T> {
    /// Advances the stream by one input `x` (`I` values): both copies take
    /// one step with the rule's noise, and `prediction` (`O` values)
    /// receives the network's output, the mean of the copies'
    /// (antithetic) or the clean copy's — the forecast of the target that
    /// [`Rnn::node_stream_learn`] will receive. The copies' states live in
    /// `ws` ([`RnnNodeWorkspace::reset`] starts a new stream). Allocates
    /// nothing.
    ///
    /// # Errors
    /// [`NetError::ShapeMismatch`] for wrong lengths, [`NetError::NonFinite`]
    /// for a non-finite input (nothing changes), [`NetError::PlanLayout`]
    /// when the rule's layout is not [`Rnn::node_layout`],
    /// [`NetError::Rule`] when the previous prediction has not been learnt
    /// from yet.
    pub fn node_stream_predict<S: AsRef<[T]> + AsMut<[T]>>(
        &self,
        rule: &mut Dopamine3<T, S>,
        x: &[T],
        ws: &mut RnnNodeWorkspace<T>,
        prediction: &mut [T],
    ) -> Result<(), NetError> {
        ws.check_fits(self)?;
        self.check_node_rule(rule.layout())?;
        for (what, got, expected) in [
            ("input length", x.len(), self.input_dim()),
            ("prediction length", prediction.len(), self.output_dim()),
        ] {
            if got != expected {
                return Err(NetError::ShapeMismatch {
                    what,
                    expected,
                    got,
                });
            }
        }
        if rule.step_open() {
            return Err(NetError::Rule(dopamine_core::Error::NodeProtocol(
                "a predicted step waits for node_stream_learn",
            )));
        }
        if let Some(col) = x.iter().position(|v| !v.is_finite()) {
            return Err(NetError::NonFinite {
                what: "inputs",
                row: 0,
                col,
            });
        }
        let dims = (self.input_dim(), self.hidden_dim(), self.output_dim());
        dispatch(Advance {
            dims,
            params: self.params(),
            rule,
            x,
            ws,
            prediction,
        })?;
        Ok(())
    }

    /// Learns from the target of the step [`Rnn::node_stream_predict`]
    /// just predicted (`None`: no target, e.g. a washout step; the step
    /// then gives no credit): the copies' losses go to the rule, and when
    /// the step completes an update interval the update is applied to the
    /// model's weights. A non-finite target makes a rejected step, not an
    /// error. Allocates nothing.
    ///
    /// # Errors
    /// [`NetError::ShapeMismatch`] for a target of the wrong length,
    /// [`NetError::Rule`] when no step was predicted.
    pub fn node_stream_learn<S: AsRef<[T]> + AsMut<[T]>>(
        &mut self,
        rule: &mut Dopamine3<T, S>,
        target: Option<&[T]>,
        ws: &RnnNodeWorkspace<T>,
    ) -> Result<StreamStep<T>, NetError> {
        ws.check_fits(self)?;
        self.check_node_rule(rule.layout())?;
        let (mut la, mut lb) = (T::ZERO, T::ZERO);
        if let Some(target) = target {
            if target.len() != self.output_dim() {
                return Err(NetError::ShapeMismatch {
                    what: "target length",
                    expected: self.output_dim(),
                    got: target.len(),
                });
            }
            for ((&ya, &yb), &t) in ws.y_a.iter().zip(&ws.y_b).zip(target) {
                la += (ya - t) * (ya - t);
                lb += (yb - t) * (yb - t);
            }
            let scale = T::ONE / T::from_usize(self.output_dim());
            la *= scale;
            lb *= scale;
        }
        let update = if rule.record(la, lb)?.update_due {
            Some(rule.update(self.params_mut())?)
        } else {
            None
        };
        Ok(StreamStep {
            loss_a: la,
            loss_b: lb,
            update,
        })
    }

    /// Steps `steps` of a Dopamine-3 sweep over a teacher-forced sequence:
    /// [`Rnn::node_sweep`] in parts. A part that starts at 0 starts both
    /// copies at `h = 0`; any other continues from the states in `ws` (the
    /// previous part's, or [`RnnNodeWorkspace::set_hidden`]'s); the part
    /// that ends at `T` ends the sequence ([`Dopamine3::end_sequence`]).
    /// Parts `0..a, a..b, ..., ..T` in order give [`Rnn::node_sweep`]'s
    /// weights, rule state and per-step losses bit for bit; the returned
    /// losses are the part's share of the sweep's. Allocates nothing.
    ///
    /// # Errors
    /// As [`Rnn::node_sweep`]; [`NetError::InvalidConfig`] for a range
    /// that is empty or goes past the sequence's end.
    #[allow(clippy::too_many_arguments)]
    pub fn node_sweep_steps<S: AsRef<[T]> + AsMut<[T]>>(
        &mut self,
        rule: &mut Dopamine3<T, S>,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        ws: &mut RnnNodeWorkspace<T>,
        steps: core::ops::Range<usize>,
    ) -> Result<NodeSweep<T>, NetError> {
        self.check_node_sweep(rule.layout(), inputs, targets, washout, ws)?;
        Self::check_no_open_step(rule)?;
        if steps.is_empty() || steps.end > inputs.nrows() {
            return Err(NetError::InvalidConfig {
                what: "a part of a sweep must be a non-empty range of the sequence's steps",
            });
        }
        let dims = (self.input_dim(), self.hidden_dim(), self.output_dim());
        Ok(dispatch(Sweep {
            dims,
            weights: Weights::Train(self.params_mut()),
            rule,
            inputs,
            targets,
            washout,
            steps,
            ws,
        })?)
    }
}
