//! The multi-layer perceptron: flat parameter layout, workspace, batch
//! forward pass and losses.

use core::ops::Range;

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use crate::cost::Cost;
use crate::init::Gaussian;
use crate::{Activation, Loss, NetError, Scalar, WeightInit, check};

/// Where one layer's weights and bias live in the flat parameter vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LayerLayout {
    pub(crate) fan_in: usize,
    pub(crate) fan_out: usize,
    /// Offset of the `fan_out x fan_in` column-major weight matrix.
    pub(crate) weights: usize,
    /// Offset of the `fan_out` bias values (right after the weights).
    pub(crate) bias: usize,
}

/// A fully connected feed-forward network `a_l = f_l(W_l a_{l-1} + b_l)`.
///
/// # Parameter layout
///
/// For `sizes = [n_0, n_1, ..., n_L]` the flat vector holds, for layer
/// `l = 1..=L` in order, the weight matrix `W_l` (`n_l x n_{l-1}`,
/// **column-major**: entry `(i, j)` at `offset + i + j * n_l`) immediately
/// followed by the bias `b_l` (`n_l` values):
///
/// `[W_1, b_1, W_2, b_2, ..., W_L, b_L]`, length
/// `sum_l n_l * (n_{l-1} + 1)`.
///
/// [`Mlp::layer_ranges`] gives the exact ranges; gradients use the same
/// layout.
///
/// # Data layout
///
/// A batch is a `faer::MatRef` with one **row per sample** (`batch x n_0`
/// inputs, `batch x n_L` targets). Any strides work; a row-major slice is
/// viewed with `MatRef::from_row_major_slice(&data, batch, n_0)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp<T> {
    sizes: Vec<usize>,
    activations: Vec<Activation>,
    layers: Vec<LayerLayout>,
    params: Vec<T>,
}

impl<T: Scalar> Mlp<T> {
    /// Number of parameters of a network with these layer sizes
    /// (`sum_l n_l * (n_{l-1} + 1)`).
    pub fn param_count(sizes: &[usize]) -> usize {
        sizes.windows(2).map(|w| w[1] * (w[0] + 1)).sum()
    }

    /// A network with all parameters zero.
    ///
    /// `sizes` lists the layer widths from input to output (at least two, all
    /// positive); `activations` has one entry per weight layer
    /// (`sizes.len() - 1`).
    pub fn zeros(sizes: &[usize], activations: &[Activation]) -> Result<Self, NetError> {
        if sizes.len() < 2 {
            return Err(NetError::TooFewLayers { got: sizes.len() });
        }
        if sizes.contains(&0) {
            return Err(NetError::ZeroSize { what: "layer size" });
        }
        if activations.len() != sizes.len() - 1 {
            return Err(NetError::ShapeMismatch {
                what: "number of activations",
                expected: sizes.len() - 1,
                got: activations.len(),
            });
        }
        let mut layers = Vec::with_capacity(sizes.len() - 1);
        let mut offset = 0;
        for w in sizes.windows(2) {
            let (fan_in, fan_out) = (w[0], w[1]);
            layers.push(LayerLayout {
                fan_in,
                fan_out,
                weights: offset,
                bias: offset + fan_in * fan_out,
            });
            offset += fan_out * (fan_in + 1);
        }
        Ok(Self {
            sizes: sizes.to_vec(),
            activations: activations.to_vec(),
            layers,
            params: vec![T::ZERO; offset],
        })
    }

    /// A network with Gaussian weights (scale from `init`, see
    /// [`WeightInit`]) drawn from a `Xoshiro256PlusPlus` seeded with `seed`,
    /// layer by layer in parameter order, and zero biases.
    pub fn new(
        sizes: &[usize],
        activations: &[Activation],
        init: WeightInit,
        seed: u64,
    ) -> Result<Self, NetError> {
        let mut net = Self::zeros(sizes, activations)?;
        let mut gauss = Gaussian::new(seed);
        for (layer, &act) in net.layers.iter().zip(&net.activations) {
            let std = init.std_dev(layer.fan_in, layer.fan_out, act);
            gauss.fill(&mut net.params[layer.weights..layer.bias], std);
        }
        Ok(net)
    }

    /// A network with the given parameters (layout as documented on [`Mlp`]).
    pub fn from_params(
        sizes: &[usize],
        activations: &[Activation],
        params: &[T],
    ) -> Result<Self, NetError> {
        let mut net = Self::zeros(sizes, activations)?;
        net.set_params(params)?;
        Ok(net)
    }

    /// Layer widths from input to output.
    pub fn layer_sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// Activation of each weight layer.
    pub fn activations(&self) -> &[Activation] {
        &self.activations
    }

    /// Number of weight layers (`layer_sizes().len() - 1`).
    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    /// Width of the input.
    pub fn input_dim(&self) -> usize {
        self.sizes[0]
    }

    /// Width of the output.
    pub fn output_dim(&self) -> usize {
        *self.sizes.last().expect("at least two sizes")
    }

    /// Length of the flat parameter vector.
    pub fn num_params(&self) -> usize {
        self.params.len()
    }

    /// The flat parameter vector.
    pub fn params(&self) -> &[T] {
        &self.params
    }

    /// The flat parameter vector, for in-place perturbation and updates.
    pub fn params_mut(&mut self) -> &mut [T] {
        &mut self.params
    }

    /// Copies `params` into the model; errors if the length differs.
    pub fn set_params(&mut self, params: &[T]) -> Result<(), NetError> {
        if params.len() != self.params.len() {
            return Err(NetError::ShapeMismatch {
                what: "parameter count",
                expected: self.params.len(),
                got: params.len(),
            });
        }
        self.params.copy_from_slice(params);
        Ok(())
    }

    /// Ranges of weight layer `layer`'s weight matrix and bias in the flat
    /// vector (0-based: layer 0 maps the input to the first hidden layer).
    ///
    /// # Panics
    /// If `layer >= num_layers()`.
    pub fn layer_ranges(&self, layer: usize) -> (Range<usize>, Range<usize>) {
        let l = self.layers[layer];
        (l.weights..l.bias, l.bias..l.bias + l.fan_out)
    }

    /// View of weight matrix `layer` (`fan_out x fan_in`) into the flat
    /// vector, without a copy.
    ///
    /// # Panics
    /// If `layer >= num_layers()`.
    pub fn weights(&self, layer: usize) -> MatRef<'_, T> {
        self.weights_in(&self.params, layer)
    }

    /// View of weight matrix `layer` in `params`, a flat vector of this
    /// model's layout (length checked by the caller).
    pub(crate) fn weights_in<'a>(&self, params: &'a [T], layer: usize) -> MatRef<'a, T> {
        let l = self.layers[layer];
        MatRef::from_column_major_slice(&params[l.weights..l.bias], l.fan_out, l.fan_in)
    }

    /// Bias of weight layer `layer` in `params` (as [`Mlp::weights_in`]).
    pub(crate) fn bias_in<'a>(&self, params: &'a [T], layer: usize) -> &'a [T] {
        let l = self.layers[layer];
        &params[l.bias..l.bias + l.fan_out]
    }

    /// Errors unless `params` has [`Mlp::num_params`] values.
    pub(crate) fn check_params(&self, params: &[T]) -> Result<(), NetError> {
        if params.len() != self.params.len() {
            return Err(NetError::ShapeMismatch {
                what: "parameter count",
                expected: self.params.len(),
                got: params.len(),
            });
        }
        Ok(())
    }

    /// Mutable view of weight matrix `layer` into the flat vector.
    ///
    /// # Panics
    /// If `layer >= num_layers()`.
    pub fn weights_mut(&mut self, layer: usize) -> MatMut<'_, T> {
        let l = self.layers[layer];
        MatMut::from_column_major_slice_mut(
            &mut self.params[l.weights..l.bias],
            l.fan_out,
            l.fan_in,
        )
    }

    /// Bias of weight layer `layer`.
    ///
    /// # Panics
    /// If `layer >= num_layers()`.
    pub fn bias(&self, layer: usize) -> &[T] {
        self.bias_in(&self.params, layer)
    }

    pub(crate) fn layout(&self) -> &[LayerLayout] {
        &self.layers
    }

    /// Checks that `inputs` (and `targets`, when given) fit the model and
    /// the workspace, and that every value is finite (and, for binary
    /// cross-entropy, that targets lie in `[0, 1]`). Every loss and gradient
    /// call runs this check; its cost, O(batch x (n_0 + n_L)), is small
    /// next to the forward pass.
    pub fn validate(
        &self,
        inputs: MatRef<'_, T>,
        targets: Option<MatRef<'_, T>>,
        loss: Loss,
        ws: &MlpWorkspace<T>,
    ) -> Result<(), NetError> {
        ws.check_fits(self)?;
        let batch = inputs.nrows();
        if batch > ws.capacity {
            return Err(NetError::CapacityExceeded {
                what: "batch size",
                capacity: ws.capacity,
                requested: batch,
            });
        }
        self.validate_data(inputs, targets, loss)
    }

    /// The data checks of [`Mlp::validate`], without a workspace.
    pub(crate) fn validate_data(
        &self,
        inputs: MatRef<'_, T>,
        targets: Option<MatRef<'_, T>>,
        loss: Loss,
    ) -> Result<(), NetError> {
        let batch = inputs.nrows();
        if batch == 0 {
            return Err(NetError::EmptyBatch);
        }
        check::shape(
            inputs,
            "input rows",
            None,
            "input columns",
            self.input_dim(),
        )?;
        check::finite(inputs, "inputs")?;
        if let Some(targets) = targets {
            check::shape(
                targets,
                "target rows",
                Some(batch),
                "target columns",
                self.output_dim(),
            )?;
            check::finite(targets, "targets")?;
            if loss == Loss::BinaryCrossEntropy {
                if *self.activations.last().expect("one layer") != Activation::Sigmoid {
                    return Err(NetError::LossNeedsSigmoidOutput);
                }
                for row in 0..targets.nrows() {
                    for col in 0..targets.ncols() {
                        let t = targets[(row, col)];
                        if t < T::ZERO || t > T::ONE {
                            return Err(NetError::TargetOutOfRange { row, col });
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs the network on a batch (`batch x n_0`, one row per sample) and
    /// returns a view of the outputs (`batch x n_L`) inside the workspace.
    pub fn forward<'w>(
        &self,
        inputs: MatRef<'_, T>,
        ws: &'w mut MlpWorkspace<T>,
    ) -> Result<MatRef<'w, T>, NetError> {
        self.validate(inputs, None, Loss::Mse, ws)?;
        self.forward_unchecked(&self.params, inputs, ws);
        Ok(ws.output(inputs.nrows()))
    }

    /// Mean loss of the network on a batch (see [`Loss`]).
    pub fn loss(
        &self,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        loss: Loss,
        ws: &mut MlpWorkspace<T>,
    ) -> Result<T, NetError> {
        self.validate(inputs, Some(targets), loss, ws)?;
        self.forward_unchecked(&self.params, inputs, ws);
        Ok(self.loss_of_outputs(targets, loss, ws))
    }

    /// [`Mlp::loss`] of the same architecture at another flat parameter
    /// vector `params` (the layout documented on [`Mlp`]), without copying
    /// it into the model: e.g. a probe point `w + sigma z` held in a buffer
    /// of its own, while the model keeps `w`. Bit-identical to
    /// [`Mlp::loss`] of a model whose parameters equal `params` (so to
    /// `self.loss` when `params == self.params()`). Allocates nothing.
    ///
    /// # Errors
    /// [`NetError::ShapeMismatch`] (`"parameter count"`) when `params` does
    /// not have [`Mlp::num_params`] values, and every error of
    /// [`Mlp::loss`].
    pub fn loss_at(
        &self,
        params: &[T],
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        loss: Loss,
        ws: &mut MlpWorkspace<T>,
    ) -> Result<T, NetError> {
        self.check_params(params)?;
        self.validate(inputs, Some(targets), loss, ws)?;
        self.forward_unchecked(params, inputs, ws);
        Ok(self.loss_of_outputs(targets, loss, ws))
    }

    /// Forward pass at the parameters `params` (a flat vector of this
    /// model's layout) into the workspace; inputs already validated. The
    /// activations run over each layer's whole output at once
    /// ([`Activation::apply_in_place`], vectorised).
    pub(crate) fn forward_unchecked(
        &self,
        params: &[T],
        inputs: MatRef<'_, T>,
        ws: &mut MlpWorkspace<T>,
    ) {
        let batch = inputs.nrows();
        let last = self.layers.len() - 1;
        for (l, layer) in self.layers.iter().enumerate() {
            let (before, rest) = ws.outputs.split_at_mut(ws.offsets[l]);
            let out = &mut rest[..layer.fan_out * batch];
            let weights = self.weights_in(params, l);
            let out_mat = MatMut::from_column_major_slice_mut(out, layer.fan_out, batch);
            if l == 0 {
                matmul(
                    out_mat,
                    Accum::Replace,
                    weights,
                    inputs.transpose(),
                    T::ONE,
                    Par::Seq,
                );
            } else {
                let prev = ws.offsets[l - 1];
                let prev = MatRef::from_column_major_slice(
                    &before[prev..prev + layer.fan_in * batch],
                    layer.fan_in,
                    batch,
                );
                matmul(out_mat, Accum::Replace, weights, prev, T::ONE, Par::Seq);
            }
            let bias = self.bias_in(params, l);
            for out_col in out.chunks_exact_mut(layer.fan_out) {
                for (v, &b) in out_col.iter_mut().zip(bias) {
                    *v += b;
                }
            }
            if l == last {
                ws.logits[..layer.fan_out * batch].copy_from_slice(out);
            }
            self.activations[l].apply_in_place(out);
        }
        ws.batch = batch;
    }

    /// Loss of the outputs of the last forward pass against `targets`.
    pub(crate) fn loss_of_outputs(
        &self,
        targets: MatRef<'_, T>,
        loss: Loss,
        ws: &MlpWorkspace<T>,
    ) -> T {
        let batch = ws.batch;
        let n_out = self.output_dim();
        let mut sum = T::ZERO;
        match loss {
            Loss::Mse => {
                let out = ws.output_slice(batch);
                for (j, col) in out.chunks_exact(n_out).enumerate() {
                    for (i, &y) in col.iter().enumerate() {
                        let e = y - targets[(j, i)];
                        sum += e * e;
                    }
                }
            }
            Loss::BinaryCrossEntropy => {
                let logits = &ws.logits[..n_out * batch];
                for (j, col) in logits.chunks_exact(n_out).enumerate() {
                    for (i, &z) in col.iter().enumerate() {
                        let t = targets[(j, i)];
                        sum += z.max(T::ZERO) - t * z + (T::ONE + (-z.abs()).exp()).ln();
                    }
                }
            }
        }
        sum / T::from_usize(batch * n_out)
    }

    /// FLOPs of one forward pass ending in `loss` for a batch of `batch`
    /// samples (convention in [`crate::cost`]).
    pub fn forward_flops(&self, batch: usize, loss: Loss) -> u64 {
        let b = batch as u64;
        let mut flops = 0;
        for (layer, act) in self.layers.iter().zip(&self.activations) {
            let (i, o) = (layer.fan_in as u64, layer.fan_out as u64);
            flops += 2 * o * i * b + o * b; // product, bias
            if !act.is_identity() {
                flops += o * b;
            }
        }
        flops + loss.flops_per_element() * self.output_dim() as u64 * b
    }

    /// FLOPs of one backprop pass (after the forward pass) for a batch of
    /// `batch` samples (convention in [`crate::cost`]).
    pub fn backward_flops(&self, batch: usize, loss: Loss) -> u64 {
        let b = batch as u64;
        let n_out = self.output_dim() as u64;
        // Output delta: error and scaling, plus the output activation's
        // derivative for MSE (BCE with a sigmoid output needs none).
        let mut flops = 2 * n_out * b;
        let out_act = *self.activations.last().expect("one layer");
        if loss == Loss::Mse && !out_act.is_identity() {
            flops += 2 * n_out * b;
        }
        for (l, layer) in self.layers.iter().enumerate() {
            let (i, o) = (layer.fan_in as u64, layer.fan_out as u64);
            flops += 2 * o * i * b + o * b; // weight and bias gradients
            if l > 0 {
                flops += 2 * i * o * b; // delta through W^T
                if !self.activations[l - 1].is_identity() {
                    flops += 2 * i * b;
                }
            }
        }
        flops
    }

    /// Parameter count, FLOPs and memory of a loss / gradient evaluation on a
    /// batch of `batch` samples (see [`Cost`] and [`crate::cost`]).
    ///
    /// Memory: a forward pass writes every layer's outputs plus the output
    /// logits (`(sum_{l>=1} n_l + n_L) x batch` values); backprop keeps those
    /// and two delta buffers of `max_l n_l x batch` values.
    pub fn cost(&self, batch: usize, loss: Loss) -> Cost {
        let size = core::mem::size_of::<T>() as u64;
        let b = batch as u64;
        let stored: u64 =
            self.sizes[1..].iter().map(|&n| n as u64).sum::<u64>() + self.output_dim() as u64;
        let widest = self.sizes[1..].iter().copied().max().unwrap_or(0) as u64;
        Cost {
            params: self.num_params(),
            forward_flops: self.forward_flops(batch, loss),
            backward_flops: self.backward_flops(batch, loss),
            forward_bytes: stored * b * size,
            backward_bytes: (stored + 2 * widest) * b * size,
        }
    }
}

/// Scratch memory for [`Mlp`] forward passes, losses and gradients on
/// batches of up to `capacity` samples. Build it once; calls then allocate
/// nothing.
#[derive(Debug, Clone)]
pub struct MlpWorkspace<T> {
    sizes: Vec<usize>,
    capacity: usize,
    /// Layer outputs: layer `l` (0-based weight layer) at `offsets[l]`, as a
    /// column-major `n_{l+1} x batch` matrix (one column per sample).
    pub(crate) outputs: Vec<T>,
    pub(crate) offsets: Vec<usize>,
    /// Pre-activation of the output layer, `n_L x batch`.
    pub(crate) logits: Vec<T>,
    /// Backprop deltas, `max width x batch` each.
    pub(crate) delta: Vec<T>,
    pub(crate) delta_next: Vec<T>,
    /// Batch size of the last forward pass.
    pub(crate) batch: usize,
}

impl<T: Scalar> MlpWorkspace<T> {
    /// A workspace for `net` and batches of at most `capacity` samples.
    pub fn new(net: &Mlp<T>, capacity: usize) -> Self {
        let mut offsets = Vec::with_capacity(net.num_layers());
        let mut total = 0;
        for &n in &net.sizes[1..] {
            offsets.push(total);
            total += n * capacity;
        }
        let widest = net.sizes[1..].iter().copied().max().unwrap_or(0);
        Self {
            sizes: net.sizes.clone(),
            capacity,
            outputs: vec![T::ZERO; total],
            offsets,
            logits: vec![T::ZERO; net.output_dim() * capacity],
            delta: vec![T::ZERO; widest * capacity],
            delta_next: vec![T::ZERO; widest * capacity],
            batch: 0,
        }
    }

    /// The largest batch this workspace takes.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    fn check_fits(&self, net: &Mlp<T>) -> Result<(), NetError> {
        if self.sizes != net.sizes {
            return Err(NetError::WorkspaceMismatch {
                what: "layer sizes",
            });
        }
        Ok(())
    }

    fn output_slice(&self, batch: usize) -> &[T] {
        let n_out = *self.sizes.last().expect("two sizes");
        let off = *self.offsets.last().expect("one layer");
        &self.outputs[off..off + n_out * batch]
    }

    /// Outputs of the last forward pass, `batch x n_L`.
    fn output(&self, batch: usize) -> MatRef<'_, T> {
        let n_out = *self.sizes.last().expect("two sizes");
        MatRef::from_row_major_slice(self.output_slice(batch), batch, n_out)
    }

    /// Outputs of weight layer `layer` from the last forward pass, as a
    /// `batch x width` view (one row per sample).
    ///
    /// # Panics
    /// If `layer` is not a layer of the model.
    pub fn layer_output(&self, layer: usize) -> MatRef<'_, T> {
        let n = self.sizes[layer + 1];
        let off = self.offsets[layer];
        MatRef::from_row_major_slice(&self.outputs[off..off + n * self.batch], self.batch, n)
    }
}
