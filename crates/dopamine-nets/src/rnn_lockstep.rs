//! Full-rank population passes of the Elman RNN: the points, each a whole parameter vector, advanced through the sequence in small groups whose dependency chains interleave.
//!
//! At small `H` one forward pass is latency-bound: each time step waits on
//! the previous one's `tanh`, and the CPU's vector units idle. A group of `G`
//! points (2 or 4) runs through the sequence together: per time step the
//! rows of all `G` points are computed in one pass over register blocks
//! (`G` independent chains of multiply-adds), then one vectorised `tanh`
//! over the `G H` pre-activations and one interleaved readout. Every value
//! of every point goes through exactly the operations of the single-point
//! kernel ([`crate::rnn_forward`]), so each loss is bit-identical to
//! [`crate::Rnn::loss_at`] of that point; only the schedule differs. A
//! group runs the whole sequence before the next group starts, so its
//! weights stay in cache.

use faer::MatRef;

use crate::Scalar;
use crate::rnn_forward::{RnnParams, combine, row};
use crate::vmath::{Isa, Kernel};

/// The largest group (points interleaved in one pass).
pub(crate) const MAX_GROUP: usize = 4;

/// The points a lockstep pass evaluates.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PointSet<'a, T> {
    /// Points of `dim` values one after another.
    Flat { data: &'a [T], dim: usize },
    /// One slice per point.
    Slices(&'a [&'a [T]]),
}

impl<'a, T> PointSet<'a, T> {
    /// Number of points.
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Flat { data, dim } => data.len() / dim.max(&1),
            Self::Slices(s) => s.len(),
        }
    }

    /// Point `e`.
    pub(crate) fn get(&self, e: usize) -> &'a [T] {
        match *self {
            Self::Flat { data, dim } => &data[e * dim..(e + 1) * dim],
            Self::Slices(s) => s[e],
        }
    }
}

/// Points per group for hidden size `h` with `left` points to go: the
/// interleaving pays where one point's chain leaves the vector units idle.
pub(crate) fn group_size<T>(h: usize, left: usize) -> usize {
    // Elements per AVX2 vector.
    let lanes = 32 / core::mem::size_of::<T>();
    let best = if h <= 4 * lanes { 4 } else { 2 };
    if left >= best {
        best
    } else if left >= 2 {
        2
    } else {
        1
    }
}

/// One recurrence step of `G` points: `h_next[g H..] = tanh(b_g + W_in,g x
/// + W_hh,g h_prev[g H..])`, row by row with the single-point operations.
#[inline(always)]
fn step_group<I: Isa, T: Scalar, const G: usize>(
    p: &[RnnParams<'_, T>; G],
    x: MatRef<'_, T>,
    h_prev: &[T],
    h_next: &mut [T],
) {
    let h = p[0].hidden_dim;
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if I::AVX2 {
        let w_in = core::array::from_fn(|g| p[g].w_in);
        let w_hh = core::array::from_fn(|g| p[g].w_hh);
        let bias = core::array::from_fn(|g| p[g].bias);
        // SAFETY: `I::AVX2` holds only inside `vmath::dispatch`'s AVX2 copy.
        done = unsafe { T::pre_activations_group::<G>(&w_in, x, &w_hh, &bias, h_prev, h_next) };
        if done == h {
            for v in &mut h_next[..G * h] {
                *v = v.vtanh();
            }
        } else {
            for g in 0..G {
                for v in &mut h_next[g * h..g * h + done] {
                    *v = v.vtanh();
                }
            }
        }
    }
    if done < h {
        for (g, p) in p.iter().enumerate() {
            let prev = &h_prev[g * h..(g + 1) * h];
            let next = &mut h_next[g * h..(g + 1) * h];
            let r = p.step_rows::<8>(x, prev, next, done);
            p.step_rows::<1>(x, prev, next, r);
        }
    }
}

/// The readouts of `G` points: `y[g O..] = W_out,g h[g H..] + b_out,g`, with
/// the single-point readout's operations.
#[inline(always)]
fn readout_group<I: Isa, T: Scalar, const G: usize>(
    p: &[RnnParams<'_, T>; G],
    h: &[T],
    y: &mut [T],
) {
    let (h_dim, o_dim) = (p[0].hidden_dim, p[0].output_dim);
    #[cfg(target_arch = "x86_64")]
    if I::AVX2 && o_dim == 1 {
        let w = core::array::from_fn(|g| p[g].w_out);
        // SAFETY: as in `step_group`.
        let lanes = unsafe { T::dot_lanes_group::<G>(&w, h, h_dim) };
        let whole = h_dim / 8 * 8;
        for (g, (lanes, p)) in lanes.iter().zip(p).enumerate() {
            let mut sum = combine(lanes);
            let hg = &h[g * h_dim..(g + 1) * h_dim];
            for (&w, &hj) in p.w_out[whole..].iter().zip(&hg[whole..]) {
                sum += w * hj;
            }
            y[g] = p.bias_out[0] + sum;
        }
        return;
    }
    for (g, p) in p.iter().enumerate() {
        p.readout::<I>(
            &h[g * h_dim..(g + 1) * h_dim],
            &mut y[g * o_dim..(g + 1) * o_dim],
        );
    }
}

/// The streamed sums of squared errors (after the washout) of every point,
/// group after group, from zero states.
pub(crate) struct LockstepSse<'a, 'd, T> {
    pub(crate) dims: (usize, usize, usize),
    pub(crate) points: PointSet<'a, T>,
    pub(crate) inputs: MatRef<'d, T>,
    pub(crate) targets: MatRef<'d, T>,
    pub(crate) washout: usize,
    /// `MAX_GROUP H` values each.
    pub(crate) hs: &'a mut [T],
    pub(crate) next: &'a mut [T],
    /// `MAX_GROUP O` values.
    pub(crate) y: &'a mut [T],
    /// One per point.
    pub(crate) sse: &'a mut [T],
}

impl<T: Scalar> LockstepSse<'_, '_, T> {
    /// Points `e0..e0 + G` through the whole sequence.
    #[inline(always)]
    fn group<I: Isa, const G: usize>(&mut self, e0: usize) {
        let (i, h, o) = self.dims;
        let p: [RnnParams<'_, T>; G] =
            core::array::from_fn(|g| RnnParams::new(i, h, o, self.points.get(e0 + g)));
        let mut hs = &mut self.hs[..G * h];
        let mut next = &mut self.next[..G * h];
        let y = &mut self.y[..G * o];
        hs.fill(T::ZERO);
        let mut sums = [T::ZERO; G];
        for t in 0..self.inputs.nrows() {
            let x = row(self.inputs, t);
            if G == 1 {
                p[0].step::<I>(x, hs, next);
            } else {
                step_group::<I, T, G>(&p, x, hs, next);
            }
            core::mem::swap(&mut hs, &mut next);
            if t >= self.washout {
                if G == 1 {
                    p[0].readout::<I>(hs, y);
                } else {
                    readout_group::<I, T, G>(&p, hs, y);
                }
                for (g, sum) in sums.iter_mut().enumerate() {
                    for (oi, &yi) in y[g * o..(g + 1) * o].iter().enumerate() {
                        let d = yi - self.targets[(t, oi)];
                        *sum += d * d;
                    }
                }
            }
        }
        self.sse[e0..e0 + G].copy_from_slice(&sums);
    }
}

impl<T: Scalar> Kernel for LockstepSse<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(mut self) {
        let n = self.points.len();
        let h = self.dims.1;
        let mut e0 = 0;
        while e0 < n {
            let g = group_size::<T>(h, n - e0);
            match g {
                4 => self.group::<I, 4>(e0),
                2 => self.group::<I, 2>(e0),
                _ => self.group::<I, 1>(e0),
            }
            e0 += g;
        }
    }
}
