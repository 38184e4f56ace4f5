//! Population forward passes of the MLP: every evaluation point of a step plan evaluated as one batch.
//!
//! * **Low-rank noise**: point `e` perturbs each weight matrix by `c_e A_e
//!   B_e^T` (`c_e = s_e / sqrt(r)`), so every point shares the base
//!   matrices: the `E` points' batches form one wide batch, each layer is
//!   one product `W [X_0 ... X_{E-1}]`, plus per point the correction
//!   `c_e A_e (B_e^T X_e)` and the point's own bias `b + s_e z_b`. Weight
//!   matrices given as vector blocks get dense noise `s_e Z_e X_e`.
//! * **Full-rank noise**: the points are built
//!   ([`dopamine_core::StepPlan::build_point`]) and evaluated one by one with
//!   [`Mlp::loss_at`], so each loss is bit-identical to that call.
//!
//! With low-rank noise the losses differ from the built points' by rounding
//! only (tested in `tests/population.rs`).

use dopamine_core::{Block, ParamLayout, Query, StepPlan};
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use crate::{Loss, Mlp, MlpWorkspace, NetError, Scalar};

/// Scratch memory of [`Mlp::plan_losses`]; grows on the first call of a
/// size, later calls of the same size allocate nothing.
#[derive(Debug, Clone)]
pub struct MlpPopulationWorkspace<T> {
    sizes: Vec<usize>,
    /// Each layer's outputs for every point, `n_l x (E batch)`, point `e`'s
    /// samples in columns `e batch .. (e + 1) batch`.
    layers: Vec<Vec<T>>,
    /// The last layer's pre-activations (for binary cross-entropy).
    logits: Vec<T>,
    /// Per layer and probe: factors `[A | B]` or dense noise of `W_l`.
    noise: Vec<Vec<T>>,
    /// Per layer: each point's bias, `n_l x E`.
    biases: Vec<Vec<T>>,
    /// One row of `B^T X`, `batch` values.
    row: Vec<T>,
    /// Full-rank path: a point, the walking base and a single-point workspace.
    point: Vec<T>,
    base: Vec<T>,
    single: Option<MlpWorkspace<T>>,
}

impl<T: Scalar> MlpPopulationWorkspace<T> {
    /// An empty workspace for `net`; it grows on first use.
    pub fn new(net: &Mlp<T>) -> Self {
        Self {
            sizes: net.layer_sizes().to_vec(),
            layers: Vec::new(),
            logits: Vec::new(),
            noise: Vec::new(),
            biases: Vec::new(),
            row: Vec::new(),
            point: Vec::new(),
            base: Vec::new(),
            single: None,
        }
    }
}

fn sized<T: Scalar>(v: &mut Vec<T>, len: usize) {
    v.clear();
    v.resize(len, T::ZERO);
}

/// How one weight matrix's noise enters the population: low-rank factors
/// (a matrix block) or dense noise (a vector block).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MatrixNoise {
    LowRank,
    Dense,
}

impl<T: Scalar> Mlp<T> {
    /// The layout of this model's parameters: `[W_1, b_1, ..., W_L, b_L]`,
    /// each weight matrix a matrix block where it can carry noise of rank
    /// `rank` (`min(rows, cols) >= rank`), otherwise a vector block (dense
    /// noise); the biases vector blocks.
    ///
    /// # Errors
    /// [`NetError::PlanLayout`] when the network has more layers than a
    /// layout holds (`dopamine_core::MAX_BLOCKS / 2`).
    pub fn param_layout(&self, rank: usize) -> Result<ParamLayout, NetError> {
        let mut blocks = Vec::with_capacity(2 * self.num_layers());
        for w in self.layer_sizes().windows(2) {
            let (fan_in, fan_out) = (w[0], w[1]);
            blocks.push(if fan_in.min(fan_out) >= rank.max(1) {
                Block::Matrix {
                    rows: fan_out,
                    cols: fan_in,
                }
            } else {
                Block::Vector {
                    len: fan_in * fan_out,
                }
            });
            blocks.push(Block::Vector { len: fan_out });
        }
        ParamLayout::new(&blocks).map_err(|_| NetError::PlanLayout {
            what: "more layers than a parameter layout holds",
        })
    }

    /// The loss ([`Mlp::loss`]) of every point of `plan` around `params`,
    /// in plan order, evaluated as one population (see the [module
    /// docs](crate::mlp_population)).
    ///
    /// Errors: every error of [`Mlp::loss_at`]; `losses` or the plan of
    /// another length ([`NetError::ShapeMismatch`]); a low-rank plan whose
    /// layout does not follow the model's blocks ([`NetError::PlanLayout`];
    /// build it with [`Mlp::param_layout`]).
    #[allow(clippy::too_many_arguments)]
    pub fn plan_losses(
        &self,
        params: &[T],
        plan: &StepPlan<T>,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        loss: Loss,
        ws: &mut MlpPopulationWorkspace<T>,
        losses: &mut [T],
    ) -> Result<(), NetError> {
        if params.len() != self.num_params() || plan.dim() != self.num_params() {
            return Err(NetError::ShapeMismatch {
                what: "parameter count",
                expected: self.num_params(),
                got: if params.len() != self.num_params() {
                    params.len()
                } else {
                    plan.dim()
                },
            });
        }
        if losses.len() != plan.len() {
            return Err(NetError::ShapeMismatch {
                what: "losses (one per point of the plan)",
                expected: plan.len(),
                got: losses.len(),
            });
        }
        if ws.sizes != self.layer_sizes() {
            return Err(NetError::WorkspaceMismatch {
                what: "layer sizes",
            });
        }
        let batch = inputs.nrows();
        let single = match ws.single.take() {
            Some(s) if s.capacity() >= batch => s,
            _ => MlpWorkspace::new(self, batch.max(1)),
        };
        self.validate(inputs, Some(targets), loss, &single)?;
        let noise = plan.noise();
        match noise.layout().filter(|_| noise.rank().is_some()) {
            None => {
                // Full rank: build each point, evaluate it alone.
                let mut single = single;
                ws.base.clear();
                ws.base.extend_from_slice(params);
                sized(&mut ws.point, params.len());
                let mut out = Ok(());
                for (e, l) in losses.iter_mut().enumerate() {
                    if plan.build_point(e, &mut ws.base, &mut ws.point).is_err() {
                        out = Err(NetError::PlanLayout {
                            what: "the plan does not fit the parameters",
                        });
                        break;
                    }
                    self.forward_unchecked(&ws.point, inputs, &mut single);
                    *l = self.loss_of_outputs(targets, loss, &single);
                }
                ws.single = Some(single);
                out
            }
            Some(layout) => {
                ws.single = Some(single);
                let kinds = self.population_kinds(layout)?;
                let kinds = &kinds[..self.num_layers()];
                self.low_rank_sweep(params, plan, kinds, inputs, targets, loss, ws, losses);
                Ok(())
            }
        }
    }

    /// The noise kind of each weight matrix, checked against the layout.
    fn population_kinds(
        &self,
        layout: &ParamLayout,
    ) -> Result<[MatrixNoise; dopamine_core::MAX_BLOCKS / 2], NetError> {
        let blocks = layout.blocks();
        if blocks.len() != 2 * self.num_layers() {
            return Err(NetError::PlanLayout {
                what: "an MLP layout has a weight block and a bias block per layer",
            });
        }
        let mut kinds = [MatrixNoise::Dense; dopamine_core::MAX_BLOCKS / 2];
        for (l, w) in self.layer_sizes().windows(2).enumerate() {
            let (fan_in, fan_out) = (w[0], w[1]);
            kinds[l] = match blocks[2 * l] {
                Block::Matrix { rows, cols } if (rows, cols) == (fan_out, fan_in) => {
                    MatrixNoise::LowRank
                }
                Block::Vector { len } if len == fan_in * fan_out => MatrixNoise::Dense,
                _ => {
                    return Err(NetError::PlanLayout {
                        what: "a weight block does not match its layer",
                    });
                }
            };
            if blocks[2 * l + 1] != (Block::Vector { len: fan_out }) {
                return Err(NetError::PlanLayout {
                    what: "a bias block must be a vector of the layer's width",
                });
            }
        }
        Ok(kinds)
    }

    #[allow(clippy::too_many_arguments)]
    fn low_rank_sweep(
        &self,
        params: &[T],
        plan: &StepPlan<T>,
        kinds: &[MatrixNoise],
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        loss: Loss,
        ws: &mut MlpPopulationWorkspace<T>,
        losses: &mut [T],
    ) {
        let noise = plan.noise();
        let rank = noise.rank().unwrap_or(1);
        let inv = noise.rank_scale::<T>();
        let (points, probes, batch) = (plan.len(), plan.probes(), inputs.nrows());
        let layers = self.num_layers();
        ws.layers.resize_with(layers, Vec::new);
        ws.noise.resize_with(layers, Vec::new);
        ws.biases.resize_with(layers, Vec::new);
        sized(&mut ws.row, batch);
        // Each probe's noise of each weight matrix, each point's biases.
        for (l, kind) in kinds.iter().enumerate() {
            let (w_range, b_range) = self.layer_ranges(l);
            let (fan_in, fan_out) = (self.layer_sizes()[l], self.layer_sizes()[l + 1]);
            let per = match kind {
                MatrixNoise::LowRank => (fan_in + fan_out) * rank,
                MatrixNoise::Dense => fan_in * fan_out,
            };
            sized(&mut ws.noise[l], per * probes);
            for (k, chunk) in ws.noise[l].chunks_exact_mut(per).enumerate() {
                match kind {
                    MatrixNoise::LowRank => {
                        let (a, b) = chunk.split_at_mut(fan_out * rank);
                        noise.factors(k, 2 * l, a, b);
                    }
                    MatrixNoise::Dense => noise.fill(k, w_range.start, chunk),
                }
            }
            let bias = &params[b_range.clone()];
            sized(&mut ws.biases[l], fan_out * points);
            for (e, dst) in ws.biases[l].chunks_exact_mut(fan_out).enumerate() {
                dst.copy_from_slice(bias);
                if let Query::Probe { probe, .. } = plan.point(e) {
                    let s = plan.scale(e);
                    let mut z = [T::ZERO; 64];
                    for (c, part) in dst.chunks_mut(64).enumerate() {
                        let z = &mut z[..part.len()];
                        noise.fill(probe, b_range.start + c * 64, z);
                        for (w, zi) in part.iter_mut().zip(z.iter()) {
                            *w += s * *zi;
                        }
                    }
                }
            }
            sized(&mut ws.layers[l], fan_out * batch * points);
        }
        let last = layers - 1;
        for l in 0..layers {
            let (fan_in, fan_out) = (self.layer_sizes()[l], self.layer_sizes()[l + 1]);
            let w = self.weights_in(params, l);
            let (before, rest) = ws.layers.split_at_mut(l);
            let out = &mut rest[0];
            // The shared product: the input (one batch, copied to every
            // point) or the previous layer's outputs of every point.
            let prev: MatRef<'_, T> = if l == 0 {
                let first = &mut out[..fan_out * batch];
                matmul(
                    MatMut::from_column_major_slice_mut(first, fan_out, batch),
                    Accum::Replace,
                    w,
                    inputs.transpose(),
                    T::ONE,
                    Par::Seq,
                );
                let (head, tail) = out.split_at_mut(fan_out * batch);
                for block in tail.chunks_exact_mut(fan_out * batch) {
                    block.copy_from_slice(head);
                }
                inputs.transpose()
            } else {
                let prev = MatRef::from_column_major_slice(&before[l - 1], fan_in, batch * points);
                matmul(
                    MatMut::from_column_major_slice_mut(out, fan_out, batch * points),
                    Accum::Replace,
                    w,
                    prev,
                    T::ONE,
                    Par::Seq,
                );
                prev
            };
            // Per point: bias and correction.
            for e in 0..points {
                let block = &mut out[e * fan_out * batch..(e + 1) * fan_out * batch];
                let x = if l == 0 {
                    prev
                } else {
                    prev.subcols(e * batch, batch)
                };
                if let Query::Probe { probe, .. } = plan.point(e) {
                    let s = plan.scale(e);
                    let n = &ws.noise[l];
                    match kinds[l] {
                        MatrixNoise::LowRank => {
                            let per = (fan_in + fan_out) * rank;
                            let (a, b) = n[probe * per..(probe + 1) * per].split_at(fan_out * rank);
                            let c = s * inv;
                            for r in 0..rank {
                                for (col, u) in ws.row.iter_mut().enumerate() {
                                    let mut acc = T::ZERO;
                                    for j in 0..fan_in {
                                        acc += b[r * fan_in + j] * x[(j, col)];
                                    }
                                    *u = c * acc;
                                }
                                for (col, &u) in ws.row.iter().enumerate() {
                                    for i in 0..fan_out {
                                        block[col * fan_out + i] += u * a[r * fan_out + i];
                                    }
                                }
                            }
                        }
                        MatrixNoise::Dense => {
                            let per = fan_in * fan_out;
                            let z = &n[probe * per..(probe + 1) * per];
                            for col in 0..batch {
                                for j in 0..fan_in {
                                    let sx = s * x[(j, col)];
                                    for i in 0..fan_out {
                                        block[col * fan_out + i] += sx * z[j * fan_out + i];
                                    }
                                }
                            }
                        }
                    }
                }
                let bias = &ws.biases[l][e * fan_out..(e + 1) * fan_out];
                for col in block.chunks_exact_mut(fan_out) {
                    for (v, &b) in col.iter_mut().zip(bias) {
                        *v += b;
                    }
                }
            }
            if l == last {
                ws.logits.clear();
                ws.logits.extend_from_slice(out);
            }
            self.activations()[l].apply_in_place(out);
        }
        // Each point's loss, as `loss_of_outputs` computes it.
        let n_out = self.output_dim();
        let outputs = &ws.layers[last];
        for (e, l) in losses.iter_mut().enumerate() {
            let mut sum = T::ZERO;
            let span = e * n_out * batch..(e + 1) * n_out * batch;
            match loss {
                Loss::Mse => {
                    for (j, col) in outputs[span].chunks_exact(n_out).enumerate() {
                        for (i, &y) in col.iter().enumerate() {
                            let d = y - targets[(j, i)];
                            sum += d * d;
                        }
                    }
                }
                Loss::BinaryCrossEntropy => {
                    for (j, col) in ws.logits[span].chunks_exact(n_out).enumerate() {
                        for (i, &z) in col.iter().enumerate() {
                            let t = targets[(j, i)];
                            sum += z.max(T::ZERO) - t * z + (T::ONE + (-z.abs()).exp()).ln();
                        }
                    }
                }
            }
            *l = sum / T::from_usize(batch * n_out);
        }
    }
}
