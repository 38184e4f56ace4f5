//! Dopamine-3's lockstep passes for the Elman RNN: two copies with antithetic (or clean and perturbed) neuron noise advance together through a sequence, one pass over the weights per time step for both, feeding the core's eligibility accumulator.
//!
//! # The pass
//!
//! At every step `t` both copies share the input product `u = b + W_in
//! x_t`; each adds its own recurrent product (`W_hh` is read once for both,
//! row block by row block, so the two accumulations interleave) and its
//! noise, then `tanh`:
//!
//! ```text
//! h_A(t) = tanh(u + W_hh h_A(t-1) + xi_h(t)),   y_A(t) = W_out h_A(t) + b_out + xi_y(t)
//! h_B(t) = tanh(u + W_hh h_B(t-1) + f xi_h(t)), y_B(t) = W_out h_B(t) + b_out + f xi_y(t)
//! ```
//!
//! with `f = -1` (antithetic) or `0` (clean copy B). Each row's sums are
//! taken in the order of [`Rnn::loss`] (bias, input products, recurrent
//! products, then the noise), so a copy without noise has the streamed
//! loss's bits. The presynaptic activity handed to the rule is
//! `[x_t; h̄(t-1); h̄(t)]` with `h̄` the mean of the copies (antithetic) or
//! copy B's state (clean), and the per-step losses are the copies'
//! contributions to the mean squared error, `sum_o (y_o - target_o)^2 /
//! ((T - washout) O)` on scored steps and 0 in the washout, so the summed
//! estimate is one of minus the gradient of [`Rnn::loss`].
//!
//! Memory: the workspace holds four hidden vectors and two outputs (O(H));
//! the rule's block buffer is O(C (H + I)), whatever the sequence length.

use dopamine_core::{Dopamine3, Dopamine3Config, NodeLayout, NodeUpdate, NoiseMode, UpdateEvery};
use faer::MatRef;

use crate::cost::NodeCost;
use crate::rnn_forward::RnnParams;
use crate::vmath::{Isa, Kernel, dispatch};
use crate::{NetError, Rnn, Scalar};

/// Scratch memory of the lockstep passes: both copies' hidden states and
/// outputs, O(H). Build it once per model shape; passes then allocate
/// nothing. Between [`Rnn::node_stream_predict`] calls it carries the
/// stream's hidden states.
#[derive(Debug, Clone)]
pub struct RnnNodeWorkspace<T> {
    dims: (usize, usize, usize),
    pub(crate) h_a: Vec<T>,
    pub(crate) h_b: Vec<T>,
    pub(crate) next_a: Vec<T>,
    pub(crate) next_b: Vec<T>,
    pub(crate) y_a: Vec<T>,
    pub(crate) y_b: Vec<T>,
}

impl<T: Scalar> RnnNodeWorkspace<T> {
    /// A workspace for `net`, both copies at `h = 0`.
    pub fn new(net: &Rnn<T>) -> Self {
        let (h, o) = (net.hidden_dim(), net.output_dim());
        Self {
            dims: (net.input_dim(), h, o),
            h_a: vec![T::ZERO; h],
            h_b: vec![T::ZERO; h],
            next_a: vec![T::ZERO; h],
            next_b: vec![T::ZERO; h],
            y_a: vec![T::ZERO; o],
            y_b: vec![T::ZERO; o],
        }
    }

    /// Copy A's hidden state (the one with `+xi`).
    pub fn hidden_a(&self) -> &[T] {
        &self.h_a
    }

    /// Copy B's hidden state.
    pub fn hidden_b(&self) -> &[T] {
        &self.h_b
    }

    /// Sets both copies' hidden states, e.g. to resume a stream from a
    /// checkpoint of [`RnnNodeWorkspace::hidden_a`] and
    /// [`RnnNodeWorkspace::hidden_b`].
    ///
    /// # Errors
    /// [`NetError::ShapeMismatch`] unless both have `H` values;
    /// [`NetError::NonFinite`] for a non-finite value. Nothing changes then.
    pub fn set_hidden(&mut self, h_a: &[T], h_b: &[T]) -> Result<(), NetError> {
        for h in [h_a, h_b] {
            if h.len() != self.h_a.len() {
                return Err(NetError::ShapeMismatch {
                    what: "hidden state length",
                    expected: self.h_a.len(),
                    got: h.len(),
                });
            }
            if let Some(col) = h.iter().position(|v| !v.is_finite()) {
                return Err(NetError::NonFinite {
                    what: "hidden state",
                    row: 0,
                    col,
                });
            }
        }
        self.h_a.copy_from_slice(h_a);
        self.h_b.copy_from_slice(h_b);
        Ok(())
    }

    /// Puts both copies back at `h = 0` (a new stream).
    pub fn reset(&mut self) {
        self.h_a.fill(T::ZERO);
        self.h_b.fill(T::ZERO);
    }

    pub(crate) fn check_fits(&self, net: &Rnn<T>) -> Result<(), NetError> {
        if self.dims != (net.input_dim(), net.hidden_dim(), net.output_dim()) {
            return Err(NetError::WorkspaceMismatch {
                what: "model dimensions",
            });
        }
        Ok(())
    }
}

/// What a lockstep sweep did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeSweep<T> {
    /// Copy A's loss over the sweep ([`Rnn::loss`]'s mean squared error,
    /// with the weights as they were at each step).
    pub loss_a: T,
    /// Copy B's loss.
    pub loss_b: T,
    /// Time steps (each one step of both copies: a sweep of `T` steps is
    /// two forward passes).
    pub steps: u64,
    /// Updates applied during the sweep.
    pub updates: u64,
    /// Updates the rule refused.
    pub rejected_updates: u64,
    /// Steps whose losses were not finite.
    pub rejected_steps: u64,
}

impl<T: Scalar> NodeSweep<T> {
    /// The loss of the unperturbed network as the sweep saw it: the mean
    /// of the copies (antithetic; exact to second order in `sigma`) or copy
    /// B's (clean).
    pub fn loss(&self, mode: NoiseMode) -> T {
        mode.presynaptic(self.loss_a, self.loss_b)
    }
}

/// The weights a pass reads: trained in place, or fixed.
pub(crate) enum Weights<'a, T> {
    Train(&'a mut [T]),
    Fixed(&'a [T]),
}

impl<T> Weights<'_, T> {
    fn get(&self) -> &[T] {
        match self {
            Self::Train(w) => w,
            Self::Fixed(w) => w,
        }
    }
}

/// Rows `start..` of both copies' pre-activations (before the noise) in
/// blocks of `R` rows, as far as whole blocks fit; returns the first row
/// not done.
#[inline(always)]
fn rows_both<const R: usize, T: Scalar>(
    p: &RnnParams<'_, T>,
    x: &[T],
    ws: &mut RnnNodeWorkspace<T>,
    start: usize,
) -> usize {
    let h = p.hidden_dim;
    let mut i0 = start;
    while i0 + R <= h {
        let mut u = [T::ZERO; R];
        u.copy_from_slice(&p.bias[i0..i0 + R]);
        for (k, &xk) in x.iter().enumerate() {
            let col = &p.w_in[k * h + i0..k * h + i0 + R];
            for (a, &w) in u.iter_mut().zip(col) {
                *a += w * xk;
            }
        }
        let (mut a, mut b) = (u, u);
        for (j, (&ha, &hb)) in ws.h_a.iter().zip(&ws.h_b).enumerate() {
            let col = &p.w_hh[j * h + i0..j * h + i0 + R];
            for ((a, b), &w) in a.iter_mut().zip(b.iter_mut()).zip(col) {
                *a += w * ha;
                *b += w * hb;
            }
        }
        ws.next_a[i0..i0 + R].copy_from_slice(&a);
        ws.next_b[i0..i0 + R].copy_from_slice(&b);
        i0 += R;
    }
    i0
}

/// One step of both copies: hidden states advance with the noise
/// `xi[..H]` (`factor` times it on copy B), then the readouts with
/// `xi[H..]` when `readout` (scored steps only). Presynaptic means are the
/// caller's.
#[inline(always)]
pub(crate) fn lockstep_step<I: Isa, T: Scalar>(
    p: &RnnParams<'_, T>,
    x: &[T],
    ws: &mut RnnNodeWorkspace<T>,
    xi: &[T],
    factor: T,
    readout: bool,
) {
    let h = p.hidden_dim;
    let mut i = 0;
    #[cfg(target_arch = "x86_64")]
    if I::AVX2 {
        // SAFETY: `I::AVX2` holds only inside `vmath::dispatch`'s AVX2
        // copy, after the CPU was checked.
        i = unsafe {
            crate::rnn_node_simd::pre_activations_both(
                p.w_in,
                x,
                p.w_hh,
                p.bias,
                &ws.h_a,
                &ws.h_b,
                &mut ws.next_a,
                &mut ws.next_b,
            )
        };
    }
    i = rows_both::<16, T>(p, x, ws, i);
    i = rows_both::<8, T>(p, x, ws, i);
    rows_both::<1, T>(p, x, ws, i);
    let (xi_h, xi_y) = xi.split_at(h);
    for ((a, b), &z) in ws.next_a.iter_mut().zip(ws.next_b.iter_mut()).zip(xi_h) {
        *a = (*a + z).vtanh();
        *b = (*b + factor * z).vtanh();
    }
    core::mem::swap(&mut ws.h_a, &mut ws.next_a);
    core::mem::swap(&mut ws.h_b, &mut ws.next_b);
    if readout {
        p.readout::<I>(&ws.h_a, &mut ws.y_a);
        p.readout::<I>(&ws.h_b, &mut ws.y_b);
        for ((a, b), &z) in ws.y_a.iter_mut().zip(ws.y_b.iter_mut()).zip(xi_y) {
            *a += z;
            *b += factor * z;
        }
    }
}

/// Writes `mode.presynaptic(a, b)` of two state vectors into `out`.
#[inline(always)]
pub(crate) fn presynaptic<T: Scalar>(mode: NoiseMode, a: &[T], b: &[T], out: &mut [T]) {
    for ((o, &a), &b) in out.iter_mut().zip(a).zip(b) {
        *o = mode.presynaptic(a, b);
    }
}

/// A sweep over a sequence from `h = 0`, as a dispatched kernel.
pub(crate) struct Sweep<'a, 'd, T, S> {
    pub(crate) dims: (usize, usize, usize),
    pub(crate) weights: Weights<'a, T>,
    pub(crate) rule: &'a mut Dopamine3<T, S>,
    pub(crate) inputs: MatRef<'d, T>,
    pub(crate) targets: MatRef<'d, T>,
    pub(crate) washout: usize,
    /// The time steps to run: from `h = 0` when it starts at 0 (else from
    /// the workspace's states), ending the sequence when it ends at `T`.
    pub(crate) steps: core::ops::Range<usize>,
    pub(crate) ws: &'a mut RnnNodeWorkspace<T>,
}

impl<T: Scalar, S: AsRef<[T]> + AsMut<[T]>> Kernel for Sweep<'_, '_, T, S> {
    type Output = Result<NodeSweep<T>, dopamine_core::Error>;

    #[inline(always)]
    fn run<I: Isa>(self) -> Self::Output {
        let Self {
            dims: (i_dim, h_dim, o_dim),
            mut weights,
            rule,
            inputs,
            targets,
            washout,
            steps,
            ws,
        } = self;
        let mode = rule.config().noise;
        let factor: T = mode.copy_b_factor();
        let len = inputs.nrows();
        let scale = T::ONE / T::from_usize((len - washout) * o_dim);
        let counters = *rule.counters();
        let (mut loss_a, mut loss_b) = (T::ZERO, T::ZERO);
        if steps.start == 0 {
            ws.reset();
        }
        let ends = steps.end == len;
        let count = steps.len() as u64;
        for t in steps {
            let step = rule.open_step()?;
            let (x, rest) = step.presynaptic.split_at_mut(i_dim);
            let (before, after) = rest.split_at_mut(h_dim);
            for (k, x) in x.iter_mut().enumerate() {
                *x = inputs[(t, k)];
            }
            presynaptic(mode, &ws.h_a, &ws.h_b, before);
            let scored = t >= washout;
            let p = RnnParams::new(i_dim, h_dim, o_dim, weights.get());
            lockstep_step::<I, T>(&p, x, ws, step.noise, factor, scored);
            presynaptic(mode, &ws.h_a, &ws.h_b, after);
            let (mut la, mut lb) = (T::ZERO, T::ZERO);
            if scored {
                for (o, (&ya, &yb)) in ws.y_a.iter().zip(&ws.y_b).enumerate() {
                    let target = targets[(t, o)];
                    let (ea, eb) = (ya - target, yb - target);
                    la += ea * ea;
                    lb += eb * eb;
                }
                la *= scale;
                lb *= scale;
                loss_a += la;
                loss_b += lb;
            }
            if rule.record(la, lb)?.update_due {
                if let Weights::Train(w) = &mut weights {
                    let _ = rule.update(w)?;
                }
            }
        }
        match &mut weights {
            Weights::Train(w) if ends => {
                let _: Option<NodeUpdate<T>> = rule.end_sequence(w)?;
            }
            _ => {}
        }
        let after = rule.counters();
        Ok(NodeSweep {
            loss_a,
            loss_b,
            steps: count,
            updates: after.updates - counters.updates,
            rejected_updates: after.rejected_updates - counters.rejected_updates,
            rejected_steps: after.rejected_steps - counters.rejected_steps,
        })
    }
}

impl<T: Scalar> Rnn<T> {
    /// The network as layers of neurons for [`Dopamine3`]: the hidden
    /// layer (`H` units, inputs `[x_t; h_{t-1}]`) and the readout (`O`
    /// units, inputs `h_t`) — exactly the flat parameter layout.
    pub fn node_layout(&self) -> NodeLayout {
        NodeLayout::elman(self.input_dim(), self.hidden_dim(), self.output_dim())
            .expect("an RNN has positive sizes")
    }

    /// Errors unless `rule` was built for this network's layout.
    pub(crate) fn check_node_rule(&self, layout: &NodeLayout) -> Result<(), NetError> {
        if *layout != self.node_layout() {
            return Err(NetError::PlanLayout {
                what: "the Dopamine-3 rule was built for another layout than Rnn::node_layout",
            });
        }
        Ok(())
    }

    /// One Dopamine-3 sweep over a teacher-forced sequence (the shapes and
    /// washout of [`Rnn::loss`]): both copies start at `h = 0`, every
    /// update that falls due is applied to the model's weights in place
    /// (so later steps run at the new weights), and the sequence ends with
    /// [`Dopamine3::end_sequence`] (the once-per-sweep update, or the
    /// partial last interval). A sweep of `T` steps is two forward passes
    /// of work. Allocates nothing.
    ///
    /// # Errors
    /// Every error of [`Rnn::validate`], [`NetError::WorkspaceMismatch`],
    /// [`NetError::PlanLayout`] when the rule's layout is not
    /// [`Rnn::node_layout`], and [`NetError::Rule`] when the rule is in the
    /// middle of a step or an update.
    pub fn node_sweep<S: AsRef<[T]> + AsMut<[T]>>(
        &mut self,
        rule: &mut Dopamine3<T, S>,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        ws: &mut RnnNodeWorkspace<T>,
    ) -> Result<NodeSweep<T>, NetError> {
        self.check_node_sweep(rule.layout(), inputs, targets, washout, ws)?;
        Self::check_no_open_step(rule)?;
        let dims = (self.input_dim(), self.hidden_dim(), self.output_dim());
        Ok(dispatch(Sweep {
            dims,
            weights: Weights::Train(self.params_mut()),
            rule,
            inputs,
            targets,
            washout,
            steps: 0..inputs.nrows(),
            ws,
        })?)
    }

    /// One lockstep pass at fixed weights that writes the rule's estimate
    /// for the whole sequence into `out` (`P` values): an estimate of
    /// minus the gradient of [`Rnn::loss`] (see [`Dopamine3::estimate`]).
    /// The sequence is then discarded ([`Dopamine3::discard_sequence`]),
    /// so repeated calls draw fresh noise. The rule must update once per
    /// sweep. Allocates nothing.
    ///
    /// # Errors
    /// As [`Rnn::node_sweep`]; [`NetError::InvalidConfig`] unless the rule
    /// updates once per sweep; [`NetError::ShapeMismatch`] when `out`
    /// does not have [`Rnn::num_params`] values.
    pub fn node_estimate<S: AsRef<[T]> + AsMut<[T]>>(
        &self,
        rule: &mut Dopamine3<T, S>,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        ws: &mut RnnNodeWorkspace<T>,
        out: &mut [T],
    ) -> Result<NodeSweep<T>, NetError> {
        self.check_node_sweep(rule.layout(), inputs, targets, washout, ws)?;
        Self::check_no_open_step(rule)?;
        if rule.config().update_every != UpdateEvery::Sweep {
            return Err(NetError::InvalidConfig {
                what: "an estimate needs a Dopamine-3 rule that updates once per sweep",
            });
        }
        if out.len() != self.num_params() {
            return Err(NetError::ShapeMismatch {
                what: "estimate length",
                expected: self.num_params(),
                got: out.len(),
            });
        }
        let dims = (self.input_dim(), self.hidden_dim(), self.output_dim());
        let sweep = dispatch(Sweep {
            dims,
            weights: Weights::Fixed(self.params()),
            rule: &mut *rule,
            inputs,
            targets,
            washout,
            steps: 0..inputs.nrows(),
            ws,
        })?;
        rule.estimate(out)?;
        rule.discard_sequence()?;
        Ok(sweep)
    }

    pub(crate) fn check_node_sweep(
        &self,
        layout: &NodeLayout,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        ws: &RnnNodeWorkspace<T>,
    ) -> Result<(), NetError> {
        ws.check_fits(self)?;
        self.check_node_rule(layout)?;
        self.validate(inputs, Some(targets), washout)
    }

    /// Errors when the rule has an open step (a streamed prediction that
    /// waits for its target): a sweep starts a sequence of its own.
    pub(crate) fn check_no_open_step<S: AsRef<[T]> + AsMut<[T]>>(
        rule: &Dopamine3<T, S>,
    ) -> Result<(), NetError> {
        if rule.step_open() {
            return Err(NetError::Rule(dopamine_core::Error::NodeProtocol(
                "a step is open: a sweep starts a sequence of its own",
            )));
        }
        Ok(())
    }

    /// FLOPs of one [`Rnn::node_sweep`] over `seq_len` steps with
    /// `washout` unscored steps (convention in [`crate::cost`]):
    ///
    /// * both copies: per step the shared `b + W_in x` (`2HI + H`), per
    ///   copy the recurrent product, the noise and `tanh`
    ///   (`2H^2 + 2H`); per scored step per copy the readout, its noise
    ///   and the loss term (`2OH + O + O + 3O`) and the scaling (1);
    /// * the presynaptic means (antithetic: `2 x 2H` per step);
    /// * the rule's eligibility arithmetic and updates,
    ///   [`Dopamine3Config::sequence_flops`].
    pub fn node_sweep_cost(
        &self,
        seq_len: usize,
        washout: usize,
        config: &Dopamine3Config<T>,
    ) -> NodeCost {
        let (i, h, o) = (
            self.input_dim() as u64,
            self.hidden_dim() as u64,
            self.output_dim() as u64,
        );
        let t = seq_len as u64;
        let scored = seq_len.saturating_sub(washout) as u64;
        let means = match config.noise {
            NoiseMode::Antithetic => 4 * h,
            NoiseMode::CleanPerturbed => 0,
        };
        let layout = self.node_layout();
        NodeCost {
            passes: 2,
            forward_flops: t * (2 * h * i + h + 2 * (2 * h * h + 2 * h) + means)
                + scored * 2 * (2 * o * h + 5 * o + 1),
            eligibility_flops: config.sequence_flops(&layout, t),
            noise_values: t * layout.neurons() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vmath::Portable;
    use crate::{RnnInit, RnnWorkspace};
    use faer::Mat;

    /// Without noise, both copies of the lockstep kernel compute the bits
    /// of `Rnn::predict` (the streamed forward pass), dispatched and
    /// portable, for hidden sizes that leave every block remainder.
    fn noiseless_copies_match_predict<T: Scalar>() {
        for &(i, h, o) in &[(1, 1, 1), (1, 7, 1), (2, 16, 3), (3, 25, 2), (1, 64, 1)] {
            let net = Rnn::<T>::new(i, h, o, &RnnInit::with_seed(h as u64)).unwrap();
            let len = 40;
            let x: Vec<T> = (0..len * i)
                .map(|k| T::from_f64((0.37 * k as f64).sin()))
                .collect();
            let inputs = MatRef::from_row_major_slice(&x, len, i);
            let mut want = Mat::<T>::zeros(len, o);
            net.predict(inputs, want.as_mut(), &mut RnnWorkspace::new(&net))
                .unwrap();
            let zeros = vec![T::ZERO; h + o];
            for portable in [false, true] {
                let mut ws = RnnNodeWorkspace::new(&net);
                let p = net.view(net.params());
                for t in 0..len {
                    let xt: Vec<T> = (0..i).map(|k| inputs[(t, k)]).collect();
                    if portable {
                        lockstep_step::<Portable, T>(&p, &xt, &mut ws, &zeros, -T::ONE, true);
                    } else {
                        struct Step<'a, T: Scalar>(
                            &'a RnnParams<'a, T>,
                            &'a [T],
                            &'a mut RnnNodeWorkspace<T>,
                            &'a [T],
                        );
                        impl<T: Scalar> Kernel for Step<'_, T> {
                            type Output = ();
                            #[inline(always)]
                            fn run<I: Isa>(self) {
                                lockstep_step::<I, T>(
                                    self.0,
                                    self.1,
                                    self.2,
                                    self.3,
                                    -T::ONE,
                                    true,
                                );
                            }
                        }
                        dispatch(Step(&p, &xt, &mut ws, &zeros));
                    }
                    for k in 0..o {
                        assert_eq!(ws.y_a[k], want[(t, k)], "H={h} t={t} portable={portable}");
                        assert_eq!(ws.y_b[k], want[(t, k)], "H={h} t={t} portable={portable}");
                    }
                }
            }
        }
    }

    #[test]
    fn noiseless_lockstep_copies_have_the_forward_pass_bits() {
        noiseless_copies_match_predict::<f32>();
        noiseless_copies_match_predict::<f64>();
    }
}
