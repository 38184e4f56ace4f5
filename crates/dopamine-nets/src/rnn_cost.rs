//! The Elman network's cost accounting: FLOPs of a forward pass, a BPTT backward pass and a free run, and the memory of each (the convention of [`crate::cost`]).

use crate::cost::Cost;
use crate::rnn_grad::Bptt;
use crate::{Rnn, Scalar};

impl<T: Scalar> Rnn<T> {
    /// FLOPs of one recurrence step (no readout): `2H^2 + 2HI + 2H`.
    fn step_flops(&self) -> u64 {
        let (i, h) = (self.input_dim() as u64, self.hidden_dim() as u64);
        2 * h * h + 2 * h * i + 2 * h
    }

    /// FLOPs of one readout `W_out h + b_out`: `2OH + O`.
    fn readout_flops(&self) -> u64 {
        let (h, o) = (self.hidden_dim() as u64, self.output_dim() as u64);
        2 * o * h + o
    }

    /// FLOPs of [`Rnn::loss`] on a sequence of `seq_len` steps with
    /// `washout` unscored steps: `T (2H^2 + 2HI + 2H) + S (2OH + O + 3O)`
    /// with `S = T - washout` (convention in [`crate::cost`]).
    pub fn forward_flops(&self, seq_len: usize, washout: usize) -> u64 {
        let scored = seq_len.saturating_sub(washout) as u64;
        let o = self.output_dim() as u64;
        seq_len as u64 * self.step_flops() + scored * (self.readout_flops() + 3 * o)
    }

    /// FLOPs of the BPTT backward pass of [`Rnn::loss_and_gradient`] (after
    /// its forward pass, which costs [`Rnn::forward_flops`]):
    ///
    /// `S O` (scale errors) `+ S 2OH` (`W_out^T g`) `+ T 3H` (tanh')
    /// `+ (T - chunks) 2H^2` (`W_hh^T dz`, not at a chunk's first step)
    /// `+ T (2OH + O + 2H^2 + 2HI + H)` (weight and bias gradients),
    /// with `chunks = ceil(T / chunk length)` (1 for full BPTT).
    pub fn backward_flops(&self, seq_len: usize, washout: usize, bptt: Bptt) -> u64 {
        let (i, h, o) = (
            self.input_dim() as u64,
            self.hidden_dim() as u64,
            self.output_dim() as u64,
        );
        let t = seq_len as u64;
        let s = seq_len.saturating_sub(washout) as u64;
        let chunk = bptt.chunk_len(seq_len).max(1) as u64;
        let chunks = t.div_ceil(chunk);
        s * o
            + s * 2 * o * h
            + t * 3 * h
            + (t - chunks) * 2 * h * h
            + t * (2 * o * h + o + 2 * h * h + 2 * h * i + h)
    }

    /// FLOPs of [`Rnn::free_run`] with `context_len` context steps and a
    /// horizon of `horizon` steps.
    pub fn free_run_flops(&self, context_len: usize, horizon: usize) -> u64 {
        let steps = (context_len + horizon.saturating_sub(1)) as u64;
        steps * self.step_flops() + horizon as u64 * self.readout_flops()
    }

    /// Parameter count, FLOPs and memory of a loss and of a BPTT gradient on
    /// a sequence of `seq_len` steps (see [`Cost`] and [`crate::cost`]).
    ///
    /// `forward_bytes` is the streamed loss's state: two hidden vectors and
    /// one output, `(2H + O) x size_of::<T>()`. `backward_bytes` is what
    /// BPTT keeps for a chunk of `L = bptt.chunk_len(seq_len)` steps: hidden
    /// states `(L + 1) x H`, scaled output errors `L x O`, tanh-derivative
    /// deltas `L x H`, and one `H` vector, times `size_of::<T>()`.
    pub fn cost(&self, seq_len: usize, washout: usize, bptt: Bptt) -> Cost {
        let size = core::mem::size_of::<T>() as u64;
        let (h, o) = (self.hidden_dim() as u64, self.output_dim() as u64);
        let l = bptt.chunk_len(seq_len) as u64;
        Cost {
            params: self.num_params(),
            forward_flops: self.forward_flops(seq_len, washout),
            backward_flops: self.backward_flops(seq_len, washout, bptt),
            forward_bytes: (2 * h + o) * size,
            backward_bytes: ((l + 1) * h + l * o + l * h + h) * size,
        }
    }
}
