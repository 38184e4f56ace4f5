//! Full-rank population passes of the Elman RNN: the points, each a whole parameter vector, advanced through the sequence in small groups, interleaved or one point per SIMD lane.
//!
//! At small `H` one forward pass is latency-bound: each time step waits on
//! the previous one's `tanh`, and the CPU's vector units idle. A group of
//! points runs through the sequence together, in one of two ways:
//!
//! * **lanes** (`L` points, one AVX2 vector: 8 `f32` or 4 `f64`; small `H`):
//!   the group's parameters are copied point-minor (value `q` of every
//!   point side by side) and each vector operation advances all `L` points
//!   (`simd_lanes`). A vector of pre-activations then holds one unit of
//!   nearby points, which nearly always fall on the same side of the
//!   `tanh`'s branch point, so the `tanh` evaluates one branch per vector
//!   ([`crate::vmath::tanh_by_vector`]).
//! * **interleaved** (`G` = 2 or 4 points): per time step the rows of all
//!   `G` points are computed in one pass over register blocks (`G`
//!   independent chains of multiply-adds), then one vectorised `tanh` over
//!   the `G H` pre-activations and one interleaved readout.
//!
//! Either way every value of every point goes through exactly the
//! operations of the single-point kernel ([`crate::rnn_forward`]), so each
//! loss is bit-identical to [`crate::Rnn::loss_at`] of that point; only the
//! schedule differs. A group runs the whole sequence before the next group
//! starts, so its weights stay in cache.

use faer::MatRef;

use crate::Scalar;
use crate::rnn_forward::RnnParams;
use crate::vmath::{Isa, Kernel, avx2, tanh_by_vector};

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

/// The most points one group of a model with `h` hidden units holds (see
/// [`next_group`]), and whether its groups can be lane-parallel.
pub(crate) fn largest_group<T: Scalar>(h: usize) -> (usize, bool) {
    if h <= 4 * T::LANES {
        let lanes = avx2();
        (if lanes { T::LANES.max(4) } else { 4 }, lanes)
    } else {
        (1, false)
    }
}

/// How the next group of points is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    /// `T::LANES` points, one per SIMD lane.
    Lanes,
    /// This many points (1, 2 or 4), their chains interleaved.
    Interleaved(usize),
}

impl Group {
    /// Its number of points.
    pub(crate) fn len<T: Scalar>(self) -> usize {
        match self {
            Self::Lanes => T::LANES,
            Self::Interleaved(g) => g,
        }
    }
}

/// The next group for hidden size `h` with `left` points to go. At small
/// `H` (up to 4 vectors of rows: 32 `f32`, 16 `f64`), where one point's
/// chain leaves the vector units idle: lanes where a whole vector of points
/// is left, otherwise interleaved groups of 4 or 2. Above, single points:
/// the product is throughput-bound, and a group's weights leave the L1
/// cache (measured with `examples/population_profile.rs`: at H = 64 a lane
/// group of `f32` points ran 0.68 times as fast as one by one).
pub(crate) fn next_group<T: Scalar>(h: usize, left: usize) -> Group {
    let small = h <= 4 * T::LANES;
    if small && left >= T::LANES && avx2() {
        return Group::Lanes;
    }
    let best = if small { 4 } else { 1 };
    Group::Interleaved(if left >= best {
        best
    } else if left >= 2 && best >= 2 {
        2
    } else {
        1
    })
}

/// Copies points `e0..e0 + L` of `points` point-minor into `wt` (value `q` of
/// point `l` at `q L + l`).
fn transpose<T: Copy, const L: usize>(points: &PointSet<'_, T>, e0: usize, wt: &mut [T]) {
    let parts: [&[T]; L] = core::array::from_fn(|l| points.get(e0 + l));
    for (q, dst) in wt.chunks_exact_mut(L).enumerate() {
        for (d, part) in dst.iter_mut().zip(&parts) {
            *d = part[q];
        }
    }
}

/// The parameter blocks of a group of `G` points, checked once so that the
/// time loop calls the unchecked group kernels.
struct GroupParams<'p, T, const G: usize> {
    p: [RnnParams<'p, T>; G],
    w_in: [&'p [T]; G],
    w_hh: [&'p [T]; G],
    bias: [&'p [T]; G],
    w_out: [&'p [T]; G],
}

impl<'p, T: Scalar, const G: usize> GroupParams<'p, T, G> {
    fn new(p: [RnnParams<'p, T>; G]) -> Self {
        Self {
            w_in: core::array::from_fn(|g| p[g].w_in),
            w_hh: core::array::from_fn(|g| p[g].w_hh),
            bias: core::array::from_fn(|g| p[g].bias),
            w_out: core::array::from_fn(|g| p[g].w_out),
            p,
        }
    }

    /// One recurrence step: `h_next[g H..] = tanh(b_g + W_in,g x + W_hh,g
    /// h_prev[g H..])`, row by row with the single-point operations. `x`
    /// holds `I` values, the states `G H`.
    #[inline(always)]
    fn step<I: Isa>(&self, x: &[T], h_prev: &[T], h_next: &mut [T]) {
        let h = self.p[0].hidden_dim;
        let mut done = 0;
        #[cfg(target_arch = "x86_64")]
        if I::AVX2 {
            // SAFETY: `I::AVX2` holds only inside `vmath::dispatch`'s AVX2
            // copy; the blocks' lengths follow from `RnnParams::new` and the
            // states' were checked by `LockstepSse::group`.
            done = unsafe {
                T::pre_activations_group::<G>(&self.w_in, x, &self.w_hh, &self.bias, h_prev, h_next)
            };
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
            let x = MatRef::from_column_major_slice(x, x.len(), 1);
            for (g, p) in self.p.iter().enumerate() {
                let prev = &h_prev[g * h..(g + 1) * h];
                let next = &mut h_next[g * h..(g + 1) * h];
                let r = p.step_rows::<8>(x, prev, next, done);
                p.step_rows::<1>(x, prev, next, r);
            }
        }
    }

    /// The readouts: `y[g O..] = W_out,g h[g H..] + b_out,g`, with the
    /// single-point readout's operations.
    #[inline(always)]
    fn readout<I: Isa>(&self, h: &[T], y: &mut [T]) {
        let (h_dim, o_dim) = (self.p[0].hidden_dim, self.p[0].output_dim);
        #[cfg(target_arch = "x86_64")]
        if I::AVX2 && o_dim == 1 {
            // SAFETY: as in `step`.
            let sums = unsafe { T::dot_group::<G>(&self.w_out, h, h_dim) };
            let whole = h_dim / 8 * 8;
            for (g, (mut sum, p)) in sums.into_iter().zip(&self.p).enumerate() {
                let hg = &h[g * h_dim..(g + 1) * h_dim];
                for (&w, &hj) in p.w_out[whole..].iter().zip(&hg[whole..]) {
                    sum += w * hj;
                }
                y[g] = p.bias_out[0] + sum;
            }
            return;
        }
        for (g, p) in self.p.iter().enumerate() {
            p.readout::<I>(
                &h[g * h_dim..(g + 1) * h_dim],
                &mut y[g * o_dim..(g + 1) * o_dim],
            );
        }
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
    /// `H` values per point of the largest group, each.
    pub(crate) hs: &'a mut [T],
    pub(crate) next: &'a mut [T],
    /// `O` values per point of the largest group.
    pub(crate) y: &'a mut [T],
    /// The input of a time step, `I` values.
    pub(crate) x: &'a mut [T],
    /// The lane-parallel group's parameters, point-minor, `L P` (empty
    /// where groups are not lane-parallel).
    pub(crate) wt: &'a mut [T],
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
        let x = &mut self.x[..i];
        hs.fill(T::ZERO);
        let mut sums = [T::ZERO; G];
        let group = GroupParams::new(p);
        for t in 0..self.inputs.nrows() {
            for (k, xk) in x.iter_mut().enumerate() {
                *xk = self.inputs[(t, k)];
            }
            if G == 1 {
                let x = MatRef::from_column_major_slice(x, i, 1);
                group.p[0].step::<I>(x, hs, next);
            } else {
                group.step::<I>(x, hs, next);
            }
            core::mem::swap(&mut hs, &mut next);
            if t >= self.washout {
                if G == 1 {
                    group.p[0].readout::<I>(hs, y);
                } else {
                    group.readout::<I>(hs, y);
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

impl<T: Scalar> LockstepSse<'_, '_, T> {
    /// Points `e0..e0 + L` through the whole sequence, one per lane (AVX2).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn lanes<const L: usize>(&mut self, e0: usize) {
        assert_eq!(L, T::LANES, "one point per AVX2 lane");
        let (i, h, o) = self.dims;
        let p = crate::Rnn::<T>::param_count(i, h, o);
        let wt = &mut self.wt[..L * p];
        transpose::<T, L>(&self.points, e0, wt);
        let (wt_in, rest) = wt.split_at(h * i * L);
        let (wt_hh, rest) = rest.split_at(h * h * L);
        let (bias_t, rest) = rest.split_at(h * L);
        let (wt_out, bias_out_t) = rest.split_at(o * h * L);
        let mut hs = &mut self.hs[..h * L];
        let mut next = &mut self.next[..h * L];
        let y = &mut self.y[..o * L];
        let x = &mut self.x[..i];
        hs.fill(T::ZERO);
        let mut sums = [T::ZERO; L];
        for t in 0..self.inputs.nrows() {
            for (k, xk) in x.iter_mut().enumerate() {
                *xk = self.inputs[(t, k)];
            }
            // SAFETY: `lanes` runs only in the AVX2 copy of the kernel
            // (`next_group` returns `Group::Lanes` only with AVX2).
            unsafe { T::lanes_pre_activations(wt_in, x, wt_hh, bias_t, hs, next) };
            tanh_by_vector(next);
            core::mem::swap(&mut hs, &mut next);
            if t >= self.washout {
                // SAFETY: as above.
                unsafe { T::lanes_readout(wt_out, bias_out_t, hs, y) };
                for (oi, yo) in y.chunks_exact(L).enumerate() {
                    let target = self.targets[(t, oi)];
                    for (sum, &yl) in sums.iter_mut().zip(yo) {
                        let d = yl - target;
                        *sum += d * d;
                    }
                }
            }
        }
        self.sse[e0..e0 + L].copy_from_slice(&sums);
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
            let group = next_group::<T>(h, n - e0);
            match group {
                #[cfg(target_arch = "x86_64")]
                Group::Lanes if I::AVX2 => match T::LANES {
                    8 => self.lanes::<8>(e0),
                    _ => self.lanes::<4>(e0),
                },
                Group::Lanes | Group::Interleaved(1) => {
                    for e in e0..e0 + group.len::<T>() {
                        self.group::<I, 1>(e);
                    }
                }
                Group::Interleaved(4) => self.group::<I, 4>(e0),
                Group::Interleaved(_) => self.group::<I, 2>(e0),
            }
            e0 += group.len::<T>();
        }
    }
}
