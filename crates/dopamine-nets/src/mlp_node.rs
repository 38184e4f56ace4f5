//! Dopamine-3's lockstep pass for the MLP: one pattern per time step, both copies layer by layer with neuron noise on every pre-activation (hidden and output), feeding the core's eligibility accumulator.
//!
//! Pattern `t` (row `t` of the batch) is time step `t`. Layer `l` of copy A
//! computes `a_l = f_l(W_l a_{l-1} + b_l + xi_l(t))`, copy B the same with
//! `-xi_l(t)` or without noise; the sums are taken in input order, one
//! rounding per operation. The presynaptic activity handed to the rule is
//! `[x_t; ā_1; ...; ā_{L-1}]` (the copies' mean, or copy B's), and the
//! per-step losses are the pattern's terms of [`Mlp::loss`] (divided by
//! `batch * outputs`), so a sweep's estimate is one of minus the gradient
//! of the batch loss. A feed-forward network's noise only affects its own
//! pattern's loss, so its layers are feed-forward in the rule's layout and
//! `lambda` does not apply to them.

use dopamine_core::{Dopamine3, Dopamine3Config, NodeLayer, NodeLayout, NoiseMode};
use faer::MatRef;

use crate::cost::NodeCost;
use crate::rnn_node::NodeSweep;
use crate::{Loss, Mlp, NetError, Scalar};

/// Scratch memory of [`Mlp::node_sweep`]: both copies' activations of
/// every layer for one pattern. Build it once; sweeps then allocate nothing.
#[derive(Debug, Clone)]
pub struct MlpNodeWorkspace<T> {
    sizes: Vec<usize>,
    /// Copy A's activations, layer after layer (layers 1..=L).
    a: Vec<T>,
    /// Copy B's.
    b: Vec<T>,
    /// Where each layer starts in `a` and `b`.
    offsets: Vec<usize>,
}

impl<T: Scalar> MlpNodeWorkspace<T> {
    /// A workspace for `net`.
    pub fn new(net: &Mlp<T>) -> Self {
        let sizes = net.layer_sizes().to_vec();
        let mut offsets = Vec::with_capacity(sizes.len());
        let mut total = 0;
        for &n in &sizes[1..] {
            offsets.push(total);
            total += n;
        }
        Self {
            sizes,
            a: vec![T::ZERO; total],
            b: vec![T::ZERO; total],
            offsets,
        }
    }
}

impl<T: Scalar> Mlp<T> {
    /// The network as layers of neurons for [`Dopamine3`]: layer `l` has
    /// `n_l` units and `n_{l-1}` inputs — exactly the flat parameter layout
    /// — and is feed-forward (one pattern per step: no noise reaches
    /// another pattern's loss, so no eligibility outlasts its step).
    ///
    /// # Errors
    /// [`NetError::Rule`] for a network of more than
    /// [`dopamine_core::MAX_NODE_LAYERS`] weight layers.
    pub fn node_layout(&self) -> Result<NodeLayout, NetError> {
        let sizes = self.layer_sizes();
        let mut layers = [NodeLayer::default(); dopamine_core::MAX_NODE_LAYERS];
        let n = sizes.len() - 1;
        if n > layers.len() {
            return Err(NetError::Rule(dopamine_core::Error::TooManyBlocks {
                requested: n,
                max: layers.len(),
            }));
        }
        for (layer, w) in layers.iter_mut().zip(sizes.windows(2)) {
            *layer = NodeLayer::feedforward(w[1], w[0]);
        }
        Ok(NodeLayout::new(&layers[..n])?)
    }

    /// One Dopamine-3 sweep over a batch, one pattern (row) per time step
    /// in row order, applying every update that falls due to the model's
    /// weights and ending the sequence ([`Dopamine3::end_sequence`]). A
    /// sweep over `B` patterns is two forward passes of the batch.
    /// Allocates nothing.
    ///
    /// # Errors
    /// Every error of [`Mlp::validate`]'s shape and value checks,
    /// [`NetError::WorkspaceMismatch`], [`NetError::PlanLayout`] when the
    /// rule's layout is not [`Mlp::node_layout`], [`NetError::Rule`] when
    /// the rule is in the middle of a step or an update.
    pub fn node_sweep<S: AsRef<[T]> + AsMut<[T]>>(
        &mut self,
        rule: &mut Dopamine3<T, S>,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        loss: Loss,
        ws: &mut MlpNodeWorkspace<T>,
    ) -> Result<NodeSweep<T>, NetError> {
        if ws.sizes != self.layer_sizes() {
            return Err(NetError::WorkspaceMismatch {
                what: "layer sizes",
            });
        }
        if *rule.layout() != self.node_layout()? {
            return Err(NetError::PlanLayout {
                what: "the Dopamine-3 rule was built for another layout than Mlp::node_layout",
            });
        }
        self.validate_data(inputs, Some(targets), loss)?;
        if rule.step_open() {
            return Err(NetError::Rule(dopamine_core::Error::NodeProtocol(
                "a step is open: a sweep starts a sequence of its own",
            )));
        }
        let batch = inputs.nrows();
        let (n_in, n_out) = (self.input_dim(), self.output_dim());
        let layers = self.num_layers();
        let last_act = self.activations()[layers - 1];
        let mode = rule.config().noise;
        let factor: T = mode.copy_b_factor();
        let scale = T::ONE / T::from_usize(batch * n_out);
        let before = *rule.counters();
        let (mut loss_a, mut loss_b) = (T::ZERO, T::ZERO);
        for t in 0..batch {
            let step = rule.open_step()?;
            for (k, x) in step.presynaptic[..n_in].iter_mut().enumerate() {
                *x = inputs[(t, k)];
            }
            let (mut neuron, mut pre) = (0, 0);
            for l in 0..layers {
                let (fan_in, fan_out) = (ws.sizes[l], ws.sizes[l + 1]);
                let (w_range, b_range) = self.layer_ranges(l);
                let params = self.params();
                let (w, bias) = (&params[w_range], &params[b_range]);
                let xi = &step.noise[neuron..neuron + fan_out];
                let o = ws.offsets[l];
                let (prev_a, cur_a) = ws.a.split_at_mut(o);
                let (prev_b, cur_b) = ws.b.split_at_mut(o);
                let (in_a, in_b) = if l == 0 {
                    (&step.presynaptic[..n_in], &step.presynaptic[..n_in])
                } else {
                    let p = ws.offsets[l - 1];
                    (&prev_a[p..p + fan_in], &prev_b[p..p + fan_in])
                };
                for i in 0..fan_out {
                    let (mut za, mut zb) = (bias[i], bias[i]);
                    for j in 0..fan_in {
                        let wij = w[i + j * fan_out];
                        za += wij * in_a[j];
                        zb += wij * in_b[j];
                    }
                    cur_a[i] = za + xi[i];
                    cur_b[i] = zb + factor * xi[i];
                }
                neuron += fan_out;
                pre += fan_in;
                if l + 1 < layers {
                    let act = self.activations()[l];
                    let (a, b) = (&mut cur_a[..fan_out], &mut cur_b[..fan_out]);
                    act.apply_in_place(a);
                    act.apply_in_place(b);
                    for ((x, &a), &b) in step.presynaptic[pre..pre + fan_out]
                        .iter_mut()
                        .zip(a.iter())
                        .zip(b.iter())
                    {
                        *x = mode.presynaptic(a, b);
                    }
                }
            }
            // The last layer holds the noisy logits.
            let o = ws.offsets[layers - 1];
            let (mut la, mut lb) = (T::ZERO, T::ZERO);
            for k in 0..n_out {
                let target = targets[(t, k)];
                la += pattern_loss(loss, last_act, ws.a[o + k], target);
                lb += pattern_loss(loss, last_act, ws.b[o + k], target);
            }
            la *= scale;
            lb *= scale;
            loss_a += la;
            loss_b += lb;
            if rule.record(la, lb)?.update_due {
                let _ = rule.update(self.params_mut())?;
            }
        }
        let _ = rule.end_sequence(self.params_mut())?;
        let after = rule.counters();
        Ok(NodeSweep {
            loss_a,
            loss_b,
            steps: batch as u64,
            updates: after.updates - before.updates,
            rejected_updates: after.rejected_updates - before.rejected_updates,
            rejected_steps: after.rejected_steps - before.rejected_steps,
        })
    }

    /// FLOPs of one [`Mlp::node_sweep`] over `batch` patterns (convention
    /// in [`crate::cost`]): per pattern and copy, every layer's product and
    /// bias (`2 n_l n_{l-1} + n_l`), noise (`n_l`) and activation (`n_l`,
    /// 0 for identity), the loss terms and the scaling (1); the presynaptic
    /// means of the hidden layers (antithetic: 2 per value); and the rule's
    /// [`Dopamine3Config::sequence_flops`].
    pub fn node_sweep_cost(
        &self,
        batch: usize,
        loss: Loss,
        config: &Dopamine3Config<T>,
    ) -> Result<NodeCost, NetError> {
        let sizes = self.layer_sizes();
        let mut per_copy = 0u64;
        let mut means = 0u64;
        for (l, w) in sizes.windows(2).enumerate() {
            let (n_in, n_out) = (w[0] as u64, w[1] as u64);
            let act = if self.activations()[l].is_identity() {
                0
            } else {
                n_out
            };
            per_copy += 2 * n_out * n_in + 2 * n_out + act;
            if l + 1 < sizes.len() - 1 && config.noise == NoiseMode::Antithetic {
                means += 2 * n_out;
            }
        }
        let out = self.output_dim() as u64;
        let loss_flops = match loss {
            // The output activation is counted above.
            Loss::Mse => 3 * out,
            // From the logit: the activation above is not used by the loss.
            Loss::BinaryCrossEntropy => 8 * out,
        };
        let b = batch as u64;
        let layout = self.node_layout()?;
        Ok(NodeCost {
            passes: 2,
            forward_flops: b * (2 * (per_copy + loss_flops + 1) + means),
            eligibility_flops: config.sequence_flops(&layout, b),
            noise_values: b * layout.neurons() as u64,
        })
    }
}

/// One output's loss term from its (noisy) logit `z`.
#[inline]
fn pattern_loss<T: Scalar>(loss: Loss, act: crate::Activation, z: T, target: T) -> T {
    match loss {
        Loss::Mse => {
            let e = act.apply(z) - target;
            e * e
        }
        Loss::BinaryCrossEntropy => z.max(T::ZERO) - target * z + (T::ONE + (-z.abs()).exp()).ln(),
    }
}
