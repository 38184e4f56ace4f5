//! The RNN's forward kernels on a borrowed parameter slice: one fused
//! recurrence step (bias, input product, recurrent product and `tanh` in one
//! pass over register blocks of rows), the readout, and the loops of the
//! streamed loss, teacher-forced prediction, free-running forecast and the
//! BPTT forward pass, each compiled with AVX2 when the CPU has it
//! ([`crate::vmath::dispatch`]).
//!
//! # Order of operations (the same bits on every CPU)
//!
//! Row `i` of a step is `tanh(((b_i + sum_k W_in[i,k] x_k) + sum_j W_hh[i,j]
//! h_j))`, each sum taken in index order, one rounding per multiplication
//! and per addition (no fused multiply-add). The rows are computed in
//! blocks (64/16/8/1 rows for `f32`, 32/8/4/1 for `f64`) whose accumulators
//! stay in registers, but a row's operations do not depend on its block, so
//! the values do not either. The readout `y_o = b_out_o + dot(W_out[o, :],
//! h)` sums the products in 8 interleaved partial sums (`j mod 8`), combined
//! as `((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7))`, then the
//! remaining `H mod 8` products in order.

use faer::MatRef;

use crate::vmath::{Isa, Kernel};
use crate::{RnnWorkspace, Scalar};

/// The parameter blocks of an [`crate::Rnn`], borrowed from a flat slice of
/// its layout (`[W_in, W_hh, b, W_out, b_out]`, matrices column-major).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RnnParams<'a, T> {
    pub(crate) hidden_dim: usize,
    pub(crate) output_dim: usize,
    /// `H x I`.
    pub(crate) w_in: &'a [T],
    /// `H x H`.
    pub(crate) w_hh: &'a [T],
    /// `H`.
    pub(crate) bias: &'a [T],
    /// `O x H`.
    pub(crate) w_out: &'a [T],
    /// `O`.
    pub(crate) bias_out: &'a [T],
}

impl<'a, T: Scalar> RnnParams<'a, T> {
    /// Splits `params` (whose length the caller has checked) into blocks.
    pub(crate) fn new(
        input_dim: usize,
        hidden_dim: usize,
        output_dim: usize,
        params: &'a [T],
    ) -> Self {
        let (i, h, o) = (input_dim, hidden_dim, output_dim);
        let (w_in, rest) = params.split_at(h * i);
        let (w_hh, rest) = rest.split_at(h * h);
        let (bias, rest) = rest.split_at(h);
        let (w_out, bias_out) = rest.split_at(o * h);
        debug_assert_eq!(bias_out.len(), o);
        Self {
            hidden_dim,
            output_dim,
            w_in,
            w_hh,
            bias,
            w_out,
            bias_out,
        }
    }

    /// `W_hh` as a faer view (`H x H`).
    pub(crate) fn w_hh_mat(&self) -> MatRef<'a, T> {
        MatRef::from_column_major_slice(self.w_hh, self.hidden_dim, self.hidden_dim)
    }

    /// `W_out` as a faer view (`O x H`).
    pub(crate) fn w_out_mat(&self) -> MatRef<'a, T> {
        MatRef::from_column_major_slice(self.w_out, self.output_dim, self.hidden_dim)
    }

    /// Rows `start..` of one step in blocks of `R` rows, as far as whole
    /// blocks fit; returns the first row not done.
    #[inline(always)]
    pub(crate) fn step_rows<const R: usize>(
        &self,
        x: MatRef<'_, T>,
        h_prev: &[T],
        h_next: &mut [T],
        start: usize,
    ) -> usize {
        let h = self.hidden_dim;
        let mut i0 = start;
        while i0 + R <= h {
            let mut acc = [T::ZERO; R];
            acc.copy_from_slice(&self.bias[i0..i0 + R]);
            for k in 0..x.nrows() {
                let xk = x[(k, 0)];
                let col = &self.w_in[k * h + i0..k * h + i0 + R];
                for (a, &w) in acc.iter_mut().zip(col) {
                    *a += w * xk;
                }
            }
            for (j, &hj) in h_prev.iter().enumerate() {
                let col = &self.w_hh[j * h + i0..j * h + i0 + R];
                for (a, &w) in acc.iter_mut().zip(col) {
                    *a += w * hj;
                }
            }
            for (out, &a) in h_next[i0..i0 + R].iter_mut().zip(&acc) {
                *out = a.vtanh();
            }
            i0 += R;
        }
        i0
    }

    /// One recurrence step: `h_next = tanh(b + W_in x + W_hh h_prev)`, `x`
    /// an `I x 1` column. With AVX2, the rows that whole vectors cover run
    /// through the explicit kernels of `simd` (the same operations), the
    /// rest through the portable blocks.
    #[inline(always)]
    pub(crate) fn step<I: Isa>(&self, x: MatRef<'_, T>, h_prev: &[T], h_next: &mut [T]) {
        let mut i = 0;
        #[cfg(target_arch = "x86_64")]
        if I::AVX2 {
            // SAFETY: `I::AVX2` holds only inside `vmath::dispatch`'s AVX2
            // copy, after the CPU was checked.
            i = unsafe { T::pre_activations(self.w_in, x, self.w_hh, self.bias, h_prev, h_next) };
            for v in &mut h_next[..i] {
                *v = v.vtanh();
            }
        }
        i = self.step_rows::<8>(x, h_prev, h_next, i);
        self.step_rows::<1>(x, h_prev, h_next, i);
    }

    /// Readout: `y = W_out h + b_out`.
    #[inline(always)]
    pub(crate) fn readout<I: Isa>(&self, h: &[T], y: &mut [T]) {
        let o_dim = self.output_dim;
        if o_dim == 1 {
            y[0] = self.bias_out[0] + dot::<I, T>(self.w_out, h);
            return;
        }
        for (o, y) in y.iter_mut().enumerate() {
            let mut lanes = [T::ZERO; 8];
            let whole = h.len() / 8 * 8;
            for (c, hc) in h[..whole].chunks_exact(8).enumerate() {
                for (l, (s, &hj)) in lanes.iter_mut().zip(hc).enumerate() {
                    *s += self.w_out[o + (c * 8 + l) * o_dim] * hj;
                }
            }
            let mut sum = combine(&lanes);
            for (j, &hj) in h.iter().enumerate().skip(whole) {
                sum += self.w_out[o + j * o_dim] * hj;
            }
            *y = self.bias_out[o] + sum;
        }
    }
}

/// `sum_j w_j h_j` in 8 interleaved partial sums (see the module docs).
#[inline(always)]
fn dot<I: Isa, T: Scalar>(w: &[T], h: &[T]) -> T {
    let whole = h.len() / 8 * 8;
    let mut lanes = [T::ZERO; 8];
    #[cfg(target_arch = "x86_64")]
    if I::AVX2 {
        // SAFETY: as in `step`.
        lanes = unsafe { T::dot_lanes(w, h) };
    }
    if !I::AVX2 {
        for (wc, hc) in w[..whole].chunks_exact(8).zip(h[..whole].chunks_exact(8)) {
            for ((s, &w), &h) in lanes.iter_mut().zip(wc).zip(hc) {
                *s += w * h;
            }
        }
    }
    let mut sum = combine(&lanes);
    for (&w, &h) in w[whole..].iter().zip(&h[whole..]) {
        sum += w * h;
    }
    sum
}

#[inline(always)]
pub(crate) fn combine<T: Scalar>(s: &[T; 8]) -> T {
    ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]))
}

/// Row `t` of `m` as a column.
#[inline(always)]
pub(crate) fn row<'a, T>(m: MatRef<'a, T>, t: usize) -> MatRef<'a, T> {
    m.subrows(t, 1).transpose()
}

/// The streamed loss's sum of squared errors over steps `t >= washout`,
/// from the state in `ws.h` (inputs already validated).
pub(crate) struct StreamedSse<'p, 'd, 'w, T> {
    pub(crate) params: RnnParams<'p, T>,
    pub(crate) inputs: MatRef<'d, T>,
    pub(crate) targets: MatRef<'d, T>,
    pub(crate) washout: usize,
    pub(crate) ws: &'w mut RnnWorkspace<T>,
}

impl<T: Scalar> Kernel for StreamedSse<'_, '_, '_, T> {
    type Output = T;
    #[inline(always)]
    fn run<I: Isa>(self) -> T {
        let Self {
            params: p,
            inputs,
            targets,
            washout,
            ws,
        } = self;
        let mut sum = T::ZERO;
        for t in 0..inputs.nrows() {
            p.step::<I>(row(inputs, t), &ws.h, &mut ws.h_next);
            core::mem::swap(&mut ws.h, &mut ws.h_next);
            if t >= washout {
                p.readout::<I>(&ws.h, &mut ws.y);
                for (o, &y) in ws.y.iter().enumerate() {
                    let e = y - targets[(t, o)];
                    sum += e * e;
                }
            }
        }
        sum
    }
}

/// Teacher-forced outputs of every step into `outputs`, from `ws.h`.
pub(crate) struct Predict<'p, 'd, 'w, T> {
    pub(crate) params: RnnParams<'p, T>,
    pub(crate) inputs: MatRef<'d, T>,
    pub(crate) outputs: faer::MatMut<'w, T>,
    pub(crate) ws: &'w mut RnnWorkspace<T>,
}

impl<T: Scalar> Kernel for Predict<'_, '_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self) {
        let Self {
            params: p,
            inputs,
            mut outputs,
            ws,
        } = self;
        for t in 0..inputs.nrows() {
            p.step::<I>(row(inputs, t), &ws.h, &mut ws.h_next);
            core::mem::swap(&mut ws.h, &mut ws.h_next);
            p.readout::<I>(&ws.h, &mut ws.y);
            for (o, &y) in ws.y.iter().enumerate() {
                outputs[(t, o)] = y;
            }
        }
    }
}

/// Teacher-forced over `context`, then `predictions.nrows()` outputs fed
/// back as inputs (`I == O`), from `ws.h`.
pub(crate) struct FreeRun<'p, 'd, 'w, T> {
    pub(crate) params: RnnParams<'p, T>,
    pub(crate) context: MatRef<'d, T>,
    pub(crate) predictions: faer::MatMut<'w, T>,
    pub(crate) ws: &'w mut RnnWorkspace<T>,
}

impl<T: Scalar> Kernel for FreeRun<'_, '_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self) {
        let Self {
            params: p,
            context,
            mut predictions,
            ws,
        } = self;
        for t in 0..context.nrows() {
            p.step::<I>(row(context, t), &ws.h, &mut ws.h_next);
            core::mem::swap(&mut ws.h, &mut ws.h_next);
        }
        for k in 0..predictions.nrows() {
            if k > 0 {
                let x = MatRef::from_column_major_slice(&ws.y, ws.y.len(), 1);
                p.step::<I>(x, &ws.h, &mut ws.h_next);
                core::mem::swap(&mut ws.h, &mut ws.h_next);
            }
            p.readout::<I>(&ws.h, &mut ws.y);
            for (o, &y) in ws.y.iter().enumerate() {
                predictions[(k, o)] = y;
            }
        }
    }
}

/// The forward pass of one BPTT chunk: steps `start..start + n`, hidden
/// states into `states` (`H x (n + 1)`, column 0 the entering state),
/// scaled output errors `scale (y_t - target_t)` into `errors` (`O x n`,
/// zero before the washout); returns `sum` plus the chunk's squared errors,
/// added one by one (so the total has the streamed loss's bits).
pub(crate) struct ChunkForward<'p, 'd, 'w, T> {
    pub(crate) params: RnnParams<'p, T>,
    pub(crate) inputs: MatRef<'d, T>,
    pub(crate) targets: MatRef<'d, T>,
    pub(crate) washout: usize,
    pub(crate) start: usize,
    pub(crate) n: usize,
    pub(crate) scale: T,
    /// The squared errors of the earlier chunks.
    pub(crate) sum: T,
    pub(crate) states: &'w mut [T],
    pub(crate) errors: &'w mut [T],
}

impl<T: Scalar> Kernel for ChunkForward<'_, '_, '_, T> {
    type Output = T;
    #[inline(always)]
    fn run<I: Isa>(self) -> T {
        let Self {
            params: p,
            inputs,
            targets,
            washout,
            start,
            n,
            scale,
            mut sum,
            states,
            errors,
        } = self;
        let (h_dim, o_dim) = (p.hidden_dim, p.output_dim);
        for k in 0..n {
            let t = start + k;
            let (prev, next) = states.split_at_mut((k + 1) * h_dim);
            let prev = &prev[k * h_dim..];
            let next = &mut next[..h_dim];
            p.step::<I>(row(inputs, t), prev, next);
            let g = &mut errors[k * o_dim..(k + 1) * o_dim];
            if t >= washout {
                p.readout::<I>(next, g);
                for (o, g) in g.iter_mut().enumerate() {
                    let e = *g - targets[(t, o)];
                    sum += e * e;
                    *g = scale * e;
                }
            } else {
                g.fill(T::ZERO);
            }
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vmath::{Portable, dispatch};
    use crate::{Rnn, RnnInit};

    /// The dispatched (AVX2 where available) and portable kernels give the
    /// same bits, for hidden sizes that leave every kind of block
    /// remainder, several input and output sizes, `f32` and `f64`.
    fn same_bits<T: Scalar>(to_bits: fn(T) -> u64) {
        for &(i, h, o) in &[
            (1, 1, 1),
            (1, 3, 1),
            (2, 8, 3),
            (1, 13, 1),
            (3, 16, 3),
            (1, 40, 2),
            (1, 64, 1),
            (2, 67, 1),
            (1, 130, 1),
        ] {
            let mut net = Rnn::<T>::new(i, h, o, &RnnInit::with_seed(h as u64)).unwrap();
            for (k, p) in net.params_mut().iter_mut().enumerate() {
                *p += T::from_f64(1e-3 * (k % 7) as f64);
            }
            let len = 50;
            let x: Vec<T> = (0..len * i)
                .map(|k| T::from_f64((0.37 * k as f64).sin()))
                .collect();
            let y: Vec<T> = (0..len * o)
                .map(|k| T::from_f64((0.21 * k as f64).cos()))
                .collect();
            let inputs = MatRef::from_row_major_slice(&x, len, i);
            let targets = MatRef::from_row_major_slice(&y, len, o);
            let view = net.view(net.params());
            let mut ws_a = RnnWorkspace::new(&net);
            let mut ws_b = RnnWorkspace::new(&net);
            let a = dispatch(StreamedSse {
                params: view,
                inputs,
                targets,
                washout: 3,
                ws: &mut ws_a,
            });
            let b = StreamedSse {
                params: view,
                inputs,
                targets,
                washout: 3,
                ws: &mut ws_b,
            }
            .run::<Portable>();
            assert_eq!(to_bits(a), to_bits(b), "I={i} H={h} O={o}");
            for (a, b) in ws_a.hidden().iter().zip(ws_b.hidden()) {
                assert_eq!(to_bits(*a), to_bits(*b), "I={i} H={h} O={o}");
            }
        }
    }

    #[test]
    fn dispatched_and_portable_forward_passes_agree_bit_for_bit() {
        same_bits::<f32>(|v| u64::from(v.to_bits()));
        same_bits::<f64>(f64::to_bits);
    }
}
