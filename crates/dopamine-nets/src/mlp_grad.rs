//! Backpropagation for the MLP: the gradient of the mean loss with respect to
//! the flat parameter vector.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use crate::{Loss, Mlp, MlpWorkspace, NetError, Scalar};

impl<T: Scalar> Mlp<T> {
    /// Mean loss on a batch and its gradient with respect to the flat
    /// parameter vector, written into `grad` (same length and layout as
    /// [`Mlp::params`]; overwritten, not accumulated).
    ///
    /// Runs one forward pass and one backprop pass in the workspace and
    /// allocates nothing. Returns the same loss value as [`Mlp::loss`].
    pub fn loss_and_gradient(
        &self,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        loss: Loss,
        ws: &mut MlpWorkspace<T>,
        grad: &mut [T],
    ) -> Result<T, NetError> {
        self.validate(inputs, Some(targets), loss, ws)?;
        if grad.len() != self.num_params() {
            return Err(NetError::ShapeMismatch {
                what: "gradient length",
                expected: self.num_params(),
                got: grad.len(),
            });
        }
        let params = self.params();
        self.forward_unchecked(params, inputs, ws);
        let value = self.loss_of_outputs(targets, loss, ws);
        let batch = inputs.nrows();
        let n_out = self.output_dim();
        let layout = self.layout();
        let last = layout.len() - 1;

        // dL/dz of the output layer, n_out x batch column-major.
        let count = T::from_usize(batch * n_out);
        let out_act = self.activations()[last];
        {
            let off = ws.offsets[last];
            let outputs = &ws.outputs[off..off + n_out * batch];
            let delta = &mut ws.delta[..n_out * batch];
            for (j, (d_col, y_col)) in delta
                .chunks_exact_mut(n_out)
                .zip(outputs.chunks_exact(n_out))
                .enumerate()
            {
                for (i, (d, &y)) in d_col.iter_mut().zip(y_col).enumerate() {
                    let t = targets[(j, i)];
                    *d = match loss {
                        Loss::Mse => {
                            let g = (T::ONE + T::ONE) * (y - t) / count;
                            if out_act.is_identity() {
                                g
                            } else {
                                g * out_act.derivative_from_output(y)
                            }
                        }
                        // d/dz of the logit form, with y = sigmoid(z).
                        Loss::BinaryCrossEntropy => (y - t) / count,
                    };
                }
            }
        }

        for l in (0..=last).rev() {
            let layer = layout[l];
            let (fan_in, fan_out) = (layer.fan_in, layer.fan_out);
            let delta =
                MatRef::from_column_major_slice(&ws.delta[..fan_out * batch], fan_out, batch);
            let prev_off = if l > 0 { ws.offsets[l - 1] } else { 0 };
            let a_prev = if l == 0 {
                inputs.transpose()
            } else {
                MatRef::from_column_major_slice(
                    &ws.outputs[prev_off..prev_off + fan_in * batch],
                    fan_in,
                    batch,
                )
            };
            let (g_w, g_b) =
                grad[layer.weights..layer.bias + fan_out].split_at_mut(fan_in * fan_out);
            matmul(
                MatMut::from_column_major_slice_mut(g_w, fan_out, fan_in),
                Accum::Replace,
                delta,
                a_prev.transpose(),
                T::ONE,
                Par::Seq,
            );
            g_b.fill(T::ZERO);
            for d_col in ws.delta[..fan_out * batch].chunks_exact(fan_out) {
                for (g, &d) in g_b.iter_mut().zip(d_col) {
                    *g += d;
                }
            }
            if l > 0 {
                let next = &mut ws.delta_next[..fan_in * batch];
                matmul(
                    MatMut::from_column_major_slice_mut(next, fan_in, batch),
                    Accum::Replace,
                    self.weights_in(params, l).transpose(),
                    delta,
                    T::ONE,
                    Par::Seq,
                );
                let act = self.activations()[l - 1];
                if !act.is_identity() {
                    let a = &ws.outputs[prev_off..prev_off + fan_in * batch];
                    for (d, &y) in next.iter_mut().zip(a) {
                        *d *= act.derivative_from_output(y);
                    }
                }
                core::mem::swap(&mut ws.delta, &mut ws.delta_next);
            }
        }
        Ok(value)
    }
}
