//! Backpropagation through time for the Elman RNN, full and truncated.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use crate::rnn_forward::{ChunkForward, RnnParams};
use crate::vmath::dispatch;
use crate::{NetError, Rnn, Scalar};

/// How far gradients flow back in time in [`Rnn::loss_and_gradient`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Bptt {
    /// Exact gradient of the sequence loss: every error reaches back to the
    /// first step. Keeps all `T` hidden states.
    #[default]
    Full,
    /// Truncated BPTT with chunks of `k` steps (`k >= 1`; `k1 = k2 = k` in
    /// Williams & Peng's terms). The sequence is cut into consecutive chunks
    /// `[0, k), [k, 2k), ...` (the last may be shorter). The forward pass
    /// carries the hidden state across chunk boundaries unchanged, but no
    /// gradient crosses a boundary: the hidden state entering a chunk is
    /// treated as a constant. So the error at step `t` flows back through
    /// `h_t, h_{t-1}, ..., h_s` where `s` is the first step of its chunk —
    /// at most `k` steps — and the result is the exact gradient of the loss
    /// with the chunk-entry states held fixed. All chunk gradients are summed
    /// into one gradient per call (parameters do not change between chunks).
    /// Keeps only `k + 1` hidden states: O(kH) memory.
    Truncated(usize),
}

impl Bptt {
    /// Length of the chunks a sequence of `seq_len` steps is cut into
    /// (`seq_len` for full BPTT, `min(k, seq_len)` when truncated).
    pub fn chunk_len(self, seq_len: usize) -> usize {
        match self {
            Self::Full => seq_len,
            Self::Truncated(k) => k.min(seq_len),
        }
    }
}

/// Scratch memory for [`Rnn::loss_and_gradient`]: the hidden states,
/// output errors and deltas of one chunk. Build it once; calls then allocate
/// nothing.
#[derive(Debug, Clone)]
pub struct RnnGradWorkspace<T> {
    dims: (usize, usize, usize),
    capacity: usize,
    /// Hidden states of a chunk, `H x (L + 1)` column-major; column 0 is the
    /// state entering the chunk.
    states: Vec<T>,
    /// Scaled output errors `dL/dy_t`, `O x L` (zero on washout steps).
    errors: Vec<T>,
    /// Pre-activation deltas `dL/dz_t`, `H x L`.
    deltas: Vec<T>,
    /// Gradient flowing into the current hidden state, `H`.
    dh: Vec<T>,
}

impl<T: Scalar> RnnGradWorkspace<T> {
    /// A workspace for `net`, sequences of up to `max_seq_len` steps and the
    /// given truncation (it holds `bptt.chunk_len(max_seq_len)` steps).
    pub fn new(net: &Rnn<T>, max_seq_len: usize, bptt: Bptt) -> Self {
        let (i, h, o) = (net.input_dim(), net.hidden_dim(), net.output_dim());
        let capacity = bptt.chunk_len(max_seq_len);
        Self {
            dims: (i, h, o),
            capacity,
            states: vec![T::ZERO; h * (capacity + 1)],
            errors: vec![T::ZERO; o * capacity],
            deltas: vec![T::ZERO; h * capacity],
            dh: vec![T::ZERO; h],
        }
    }

    /// The longest chunk (in steps) this workspace holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes of activations and scratch this workspace holds.
    pub fn bytes(&self) -> usize {
        (self.states.len() + self.errors.len() + self.deltas.len() + self.dh.len())
            * core::mem::size_of::<T>()
    }
}

impl<T: Scalar> Rnn<T> {
    /// Mean loss of a teacher-forced sequence (as [`Rnn::loss`], from
    /// `h_{-1} = 0`) and its gradient by backpropagation through time,
    /// written into `grad` (same length and layout as [`Rnn::params`];
    /// overwritten, not accumulated). With [`Bptt::Truncated`] the gradient
    /// is the truncated one described there; the loss value is exact either
    /// way.
    ///
    /// The workspace must hold `bptt.chunk_len(T)` steps. Allocates nothing.
    pub fn loss_and_gradient(
        &self,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        bptt: Bptt,
        ws: &mut RnnGradWorkspace<T>,
        grad: &mut [T],
    ) -> Result<T, NetError> {
        self.loss_and_gradient_with(
            self.view(self.params()),
            inputs,
            targets,
            washout,
            bptt,
            ws,
            grad,
        )
    }

    /// [`Rnn::loss_and_gradient`] at the parameters `p`.
    #[allow(clippy::too_many_arguments)]
    fn loss_and_gradient_with(
        &self,
        p: RnnParams<'_, T>,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        bptt: Bptt,
        ws: &mut RnnGradWorkspace<T>,
        grad: &mut [T],
    ) -> Result<T, NetError> {
        let (i_dim, h_dim, o_dim) = (self.input_dim(), self.hidden_dim(), self.output_dim());
        if ws.dims != (i_dim, h_dim, o_dim) {
            return Err(NetError::WorkspaceMismatch {
                what: "model dimensions",
            });
        }
        self.validate(inputs, Some(targets), washout)?;
        if bptt == Bptt::Truncated(0) {
            return Err(NetError::InvalidConfig {
                what: "truncation length must be >= 1",
            });
        }
        if grad.len() != self.num_params() {
            return Err(NetError::ShapeMismatch {
                what: "gradient length",
                expected: self.num_params(),
                got: grad.len(),
            });
        }
        let len = inputs.nrows();
        let chunk = bptt.chunk_len(len);
        if chunk > ws.capacity {
            return Err(NetError::CapacityExceeded {
                what: "BPTT chunk length",
                capacity: ws.capacity,
                requested: chunk,
            });
        }

        grad.fill(T::ZERO);
        let scored = (len - washout) * o_dim;
        let scale = (T::ONE + T::ONE) / T::from_usize(scored);
        let mut sum = T::ZERO;
        ws.states[..h_dim].fill(T::ZERO);

        let mut start = 0;
        while start < len {
            let n = chunk.min(len - start);

            sum = self.chunk_gradient(p, inputs, targets, washout, start, n, scale, sum, ws, grad);
            // The last state of this chunk enters the next one.
            ws.states.copy_within(n * h_dim..(n + 1) * h_dim, 0);
            start += n;
        }
        Ok(sum / T::from_usize(scored))
    }

    /// Truncated BPTT online: the gradient of the loss of time steps
    /// `steps` of a teacher-forced sequence (their share of [`Rnn::loss`]'s
    /// mean, `sum (y - target)^2 / ((T - washout) O)` over the range's
    /// scored steps), through the range only, from the hidden state
    /// `hidden` entering it (the state leaving it is written back). Parts
    /// `0..a, a..b, ...` from `h = 0` run the network over the sequence
    /// as [`Rnn::loss`] does, with the weights a caller updates between
    /// parts: truncated BPTT with an update every block, the hidden state
    /// carried over block boundaries. Returns the range's share of the
    /// loss; `grad` is overwritten. The workspace must hold
    /// `steps.len()` steps. Allocates nothing.
    ///
    /// # Errors
    /// As [`Rnn::loss_and_gradient`]; [`NetError::InvalidConfig`] for an
    /// empty range or one past the sequence's end;
    /// [`NetError::ShapeMismatch`] for `hidden` of a length other than `H`.
    #[allow(clippy::too_many_arguments)]
    pub fn loss_and_gradient_steps(
        &self,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        steps: core::ops::Range<usize>,
        hidden: &mut [T],
        ws: &mut RnnGradWorkspace<T>,
        grad: &mut [T],
    ) -> Result<T, NetError> {
        let (i_dim, h_dim, o_dim) = (self.input_dim(), self.hidden_dim(), self.output_dim());
        if ws.dims != (i_dim, h_dim, o_dim) {
            return Err(NetError::WorkspaceMismatch {
                what: "model dimensions",
            });
        }
        self.validate(inputs, Some(targets), washout)?;
        let len = inputs.nrows();
        if steps.is_empty() || steps.end > len {
            return Err(NetError::InvalidConfig {
                what: "a block must be a non-empty range of the sequence's steps",
            });
        }
        for (what, got, expected) in [
            ("hidden state length", hidden.len(), h_dim),
            ("gradient length", grad.len(), self.num_params()),
        ] {
            if got != expected {
                return Err(NetError::ShapeMismatch {
                    what,
                    expected,
                    got,
                });
            }
        }
        let n = steps.len();
        if n > ws.capacity {
            return Err(NetError::CapacityExceeded {
                what: "BPTT block length",
                capacity: ws.capacity,
                requested: n,
            });
        }
        grad.fill(T::ZERO);
        let scored = (len - washout) * o_dim;
        let scale = (T::ONE + T::ONE) / T::from_usize(scored);
        ws.states[..h_dim].copy_from_slice(hidden);
        let p = self.view(self.params());
        let sum = self.chunk_gradient(
            p,
            inputs,
            targets,
            washout,
            steps.start,
            n,
            scale,
            T::ZERO,
            ws,
            grad,
        );
        hidden.copy_from_slice(&ws.states[n * h_dim..(n + 1) * h_dim]);
        Ok(sum / T::from_usize(scored))
    }

    /// Forward and backward through steps `start..start + n` from the
    /// state in the workspace's column 0, adding the chunk's gradient to
    /// `grad` and its scaled squared errors to `sum`; the chunk's last
    /// state is left in column `n`.
    #[allow(clippy::too_many_arguments)]
    fn chunk_gradient(
        &self,
        p: RnnParams<'_, T>,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        start: usize,
        n: usize,
        scale: T,
        mut sum: T,
        ws: &mut RnnGradWorkspace<T>,
        grad: &mut [T],
    ) -> T {
        let (i_dim, h_dim, o_dim) = (self.input_dim(), self.hidden_dim(), self.output_dim());
        let layout = self.layout();
        // Forward through the chunk, storing states and scaled errors.
        sum = dispatch(ChunkForward {
            params: p,
            inputs,
            targets,
            washout,
            start,
            n,
            scale,
            sum,
            states: &mut ws.states,
            errors: &mut ws.errors,
        });

        // Backward through the chunk: deltas dL/dz_k, newest first.
        ws.dh.fill(T::ZERO);
        for k in (0..n).rev() {
            if start + k >= washout {
                matmul(
                    MatMut::from_column_major_slice_mut(&mut ws.dh, h_dim, 1),
                    Accum::Add,
                    p.w_out_mat().transpose(),
                    MatRef::from_column_major_slice(
                        &ws.errors[k * o_dim..(k + 1) * o_dim],
                        o_dim,
                        1,
                    ),
                    T::ONE,
                    Par::Seq,
                );
            }
            let h = &ws.states[(k + 1) * h_dim..(k + 2) * h_dim];
            let dz = &mut ws.deltas[k * h_dim..(k + 1) * h_dim];
            for ((d, &dh), &h) in dz.iter_mut().zip(&ws.dh).zip(h) {
                *d = dh * (T::ONE - h * h);
            }
            if k > 0 {
                matmul(
                    MatMut::from_column_major_slice_mut(&mut ws.dh, h_dim, 1),
                    Accum::Replace,
                    p.w_hh_mat().transpose(),
                    MatRef::from_column_major_slice(&*dz, h_dim, 1),
                    T::ONE,
                    Par::Seq,
                );
            }
        }

        // Weight and bias gradients of the whole chunk as matrix products.
        let errors = MatRef::from_column_major_slice(&ws.errors[..o_dim * n], o_dim, n);
        let deltas = MatRef::from_column_major_slice(&ws.deltas[..h_dim * n], h_dim, n);
        let states_after =
            MatRef::from_column_major_slice(&ws.states[h_dim..h_dim * (n + 1)], h_dim, n);
        let states_before = MatRef::from_column_major_slice(&ws.states[..h_dim * n], h_dim, n);
        matmul(
            MatMut::from_column_major_slice_mut(&mut grad[layout.w_out.clone()], o_dim, h_dim),
            Accum::Add,
            errors,
            states_after.transpose(),
            T::ONE,
            Par::Seq,
        );
        matmul(
            MatMut::from_column_major_slice_mut(&mut grad[layout.w_hh.clone()], h_dim, h_dim),
            Accum::Add,
            deltas,
            states_before.transpose(),
            T::ONE,
            Par::Seq,
        );
        matmul(
            MatMut::from_column_major_slice_mut(&mut grad[layout.w_in.clone()], h_dim, i_dim),
            Accum::Add,
            deltas,
            inputs.subrows(start, n),
            T::ONE,
            Par::Seq,
        );
        let g_bias_out = &mut grad[layout.bias_out.clone()];
        for col in ws.errors[..o_dim * n].chunks_exact(o_dim) {
            for (g, &e) in g_bias_out.iter_mut().zip(col) {
                *g += e;
            }
        }
        let g_bias = &mut grad[layout.bias.clone()];
        for col in ws.deltas[..h_dim * n].chunks_exact(h_dim) {
            for (g, &d) in g_bias.iter_mut().zip(col) {
                *g += d;
            }
        }
        sum
    }
}
