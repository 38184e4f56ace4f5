//! The noise of one step: each probe's perturbation, full-rank or low-rank, and the in-place kernels that apply it.
//!
//! # Full-rank noise
//!
//! Probe `k` of step `t` perturbs parameter `i` by `sigma * z_i`, where
//! `z = NoiseStream::new((seed, t, k), kind)` and `z_i = z.value::<T>(i)`.
//!
//! # Low-rank noise
//!
//! With [`NoiseStructure::LowRank`] and a [`ParamLayout`], each matrix block
//! `b` (`m x n`, column-major) gets the noise matrix `Z = A B^T / sqrt(r)`:
//! `A` (`m x r`) and `B` (`n x r`) are the first `(m + n) r` elements of the
//! *factor stream* `NoiseStream::new((seed, t, factor_probe(k, b)), kind)`,
//! `A[i, l]` at element `i + l m` and `B[j, l]` at element `m r + j + l n`.
//! Entry `(i, j)` is, in `T` arithmetic and in this order,
//! `z_ij = (A[i,0] B[j,0] + A[i,1] B[j,1] + ... + A[i,r-1] B[j,r-1]) * (1 / sqrt(r))`,
//! the same value in every kernel. Vector blocks get the probe's ordinary
//! stream at their own offsets, as with full-rank noise. The kernels never
//! build an `m x n` noise matrix: they regenerate `A` in tiles of
//! `TILE_ROWS x r` and `B` in tiles of `TILE_ROWS x r` values on the stack.
//!
//! # Overflow
//!
//! [`StepNoise::max_abs`] bounds `|z_ij|`; [`weight_limit`] is the largest
//! `|w|` an update may leave behind, far enough below the type's largest
//! value that the next probe's perturbation and an undo cannot overflow.

use crate::config::{MAX_PROBES, MAX_RANK, NoiseStructure};
use crate::layout::{Block, ParamLayout};
use crate::noise::{BLOCK_LEN, GAUSSIAN_MAX_ABS, NoiseKey, NoiseKind, NoiseStream};
use crate::perturb::{add_noise_combination, for_each_scaled_noise};
use crate::real::Real;

/// Rows of `A` (and columns of `B`) regenerated at a time by the low-rank kernels.
const TILE_ROWS: usize = 16;

/// The key `probe` field of the factor stream of matrix block `block` for probe `probe`.
///
/// Ordinary streams use `probe < MAX_PROBES`; factor streams set bits 16 and
/// up to `block + 1`, so the two never share a key.
#[inline]
pub const fn factor_probe(probe: usize, block: usize) -> u32 {
    (((block + 1) as u32) << 16) | probe as u32
}

/// The largest `|w|` an update may leave behind when probes have scale
/// `sigma` and noise bounded by `max_abs`: `MAX (1 - 2^-(digits - 8)) - |sigma| max_abs`.
///
/// The margin of 256 units in the last place below `T::MAX` absorbs the
/// rounding of an update applied (or undone) term by term; the headroom
/// `|sigma| max_abs` keeps the next probe's perturbation finite.
pub fn weight_limit<T: Real>(sigma: T, max_abs: f64) -> f64 {
    let max = T::MAX.to_f64();
    let margin = libm::ldexp(1.0, -(T::MANTISSA_DIGITS as i32 - 8));
    max * (1.0 - margin) - sigma.abs().to_f64() * max_abs
}

/// The largest update bound (`sum_k |c_k| max_abs`) that an undo by
/// regenerating the noise can take back when the weights are bounded by
/// `param_max_abs`: `2^(digits / 3) max(param_max_abs, 1)` (256 for `f32`,
/// 131,072 for `f64`, times the weights' scale).
///
/// Undoing `w + d` as `(w + d) - d` loses up to an ulp of `|d|`; an update
/// far larger than the weights themselves would leave nothing of them (a
/// WP update scaled by a loss of 1e300 cancels every weight to 0), and no
/// training step moves weights by hundreds of times their own scale. Such
/// an update is skipped like one that would overflow
/// ([`crate::Rejection::UpdateTooLarge`]), so the undo error stays within
/// `2^-(2 digits / 3)` of the weights' scale.
pub fn undo_limit<T: Real>(param_max_abs: f64) -> f64 {
    libm::ldexp(param_max_abs.max(1.0), T::MANTISSA_DIGITS as i32 / 3)
}

/// The noise streams of one step and how they map onto the parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepNoise<'a> {
    seed: u64,
    step: u64,
    kind: NoiseKind,
    /// `Some((rank, layout))` for low-rank noise.
    low_rank: Option<(usize, &'a ParamLayout)>,
}

impl<'a> StepNoise<'a> {
    /// Full-rank noise of step `step` of the run seeded `seed`.
    pub const fn new(seed: u64, step: u64, kind: NoiseKind) -> Self {
        Self {
            seed,
            step,
            kind,
            low_rank: None,
        }
    }

    /// The noise `structure` asks for over `layout` (the layout matters only
    /// for low-rank noise; it must have been validated for the rank).
    pub fn structured(
        seed: u64,
        step: u64,
        kind: NoiseKind,
        structure: NoiseStructure,
        layout: &'a ParamLayout,
    ) -> Self {
        Self {
            seed,
            step,
            kind,
            low_rank: match structure {
                NoiseStructure::Full => None,
                NoiseStructure::LowRank { rank } => Some((rank, layout)),
            },
        }
    }

    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The step.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// The distribution of the elements (and of low-rank factors).
    pub fn kind(&self) -> NoiseKind {
        self.kind
    }

    /// The rank of low-rank noise; `None` for full-rank noise.
    pub fn rank(&self) -> Option<usize> {
        self.low_rank.map(|(r, _)| r)
    }

    /// The layout of low-rank noise; `None` for full-rank noise.
    pub fn layout(&self) -> Option<&'a ParamLayout> {
        self.low_rank.map(|(_, l)| l)
    }

    /// The ordinary stream of probe `probe`: the whole perturbation for
    /// full-rank noise, the vector blocks' noise for low-rank noise.
    #[inline]
    pub fn stream(&self, probe: usize) -> NoiseStream {
        NoiseStream::new(NoiseKey::new(self.seed, self.step, probe as u32), self.kind)
    }

    /// The factor stream of matrix block `block` for probe `probe` (see the
    /// [module docs](self)).
    #[inline]
    pub fn factor_stream(&self, probe: usize, block: usize) -> NoiseStream {
        NoiseStream::new(
            NoiseKey::new(self.seed, self.step, factor_probe(probe, block)),
            self.kind,
        )
    }

    /// `1 / sqrt(r)` in `T`, the scale of a low-rank product (1 for full rank).
    pub fn rank_scale<T: Real>(&self) -> T {
        match self.low_rank {
            None => T::ONE,
            Some((r, _)) => T::ONE / T::from_usize(r).sqrt(),
        }
    }

    /// Writes the factors of matrix block `block` for probe `probe`: `a`
    /// (`rows x r`, column-major, length `rows * r`) and `b` (`cols x r`,
    /// column-major). Its noise matrix is `a b^T * rank_scale()`.
    ///
    /// # Panics
    /// If the noise is not low-rank, `block` is not a matrix block of the
    /// layout, or a buffer has the wrong length.
    pub fn factors<T: Real>(&self, probe: usize, block: usize, a: &mut [T], b: &mut [T]) {
        let (rank, layout) = self.low_rank.expect("factors of full-rank noise");
        let Block::Matrix { rows, cols } = layout.blocks()[block] else {
            panic!("block {block} is not a matrix block");
        };
        assert_eq!(a.len(), rows * rank, "length of A");
        assert_eq!(b.len(), cols * rank, "length of B");
        let stream = self.factor_stream(probe, block);
        stream.fill(0, a);
        stream.fill(rows * rank, b);
    }

    /// A bound on `|z|` over every element of every probe: the stream's
    /// bound for full-rank noise, `max(M, sqrt(r) M^2)` for low-rank noise
    /// (`M` the stream's bound).
    pub fn max_abs(&self) -> f64 {
        let m = match self.kind {
            NoiseKind::Gaussian => GAUSSIAN_MAX_ABS,
            NoiseKind::Rademacher => 1.0,
        };
        match self.low_rank {
            None => m,
            Some((r, _)) => m.max(libm::sqrt(r as f64) * m * m),
        }
    }

    /// Calls `op(w_i, scale * z_i)` on every parameter for probe `probe`.
    /// The order over `i` is unspecified; each element is visited once.
    #[inline]
    pub fn for_each_scaled<T: Real>(
        &self,
        params: &mut [T],
        probe: usize,
        scale: T,
        mut op: impl FnMut(&mut T, T),
    ) {
        match self.low_rank {
            None => for_each_scaled_noise(params, &self.stream(probe), scale, op),
            Some((rank, layout)) => {
                let mut offset = 0;
                for (b, block) in layout.blocks().iter().enumerate() {
                    let part = &mut params[offset..offset + block.len()];
                    match *block {
                        Block::Vector { .. } => {
                            dense_at(&self.stream(probe), offset, part.len(), scale, |j, s| {
                                op(&mut part[j], s)
                            })
                        }
                        Block::Matrix { rows, cols } => low_rank_block(
                            &self.factor_stream(probe, b),
                            rows,
                            cols,
                            rank,
                            scale,
                            |j, s| op(&mut part[j], s),
                        ),
                    }
                    offset += block.len();
                }
            }
        }
    }

    /// Calls `op(i, scale * z_i)` for every `i` in `0..len` (`len` = the
    /// number of parameters), for probe `probe`. The order over `i` is
    /// unspecified; each index is visited once.
    pub fn for_each_scaled_indexed<T: Real>(
        &self,
        len: usize,
        probe: usize,
        scale: T,
        mut op: impl FnMut(usize, T),
    ) {
        match self.low_rank {
            None => dense_at(&self.stream(probe), 0, len, scale, op),
            Some((rank, layout)) => {
                let mut offset = 0;
                for (b, block) in layout.blocks().iter().enumerate() {
                    match *block {
                        Block::Vector { len } => {
                            dense_at(&self.stream(probe), offset, len, scale, |j, s| {
                                op(offset + j, s)
                            })
                        }
                        Block::Matrix { rows, cols } => low_rank_block(
                            &self.factor_stream(probe, b),
                            rows,
                            cols,
                            rank,
                            scale,
                            |j, s| op(offset + j, s),
                        ),
                    }
                    offset += block.len();
                }
            }
        }
    }

    /// The noise elements `z_i` of probe `probe` for `i` in `start .. start + out.len()`.
    pub fn fill<T: Real>(&self, probe: usize, start: usize, out: &mut [T]) {
        match self.low_rank {
            None => self.stream(probe).fill(start, out),
            Some((rank, layout)) => {
                let end = start + out.len();
                let mut offset = 0;
                for (b, block) in layout.blocks().iter().enumerate() {
                    let (lo, hi) = (start.max(offset), end.min(offset + block.len()));
                    if lo < hi {
                        let dst = &mut out[lo - start..hi - start];
                        match *block {
                            Block::Vector { .. } => self.stream(probe).fill(lo, dst),
                            Block::Matrix { rows, .. } => low_rank_range(
                                &self.factor_stream(probe, b),
                                rows,
                                block.len() / rows,
                                rank,
                                lo - offset,
                                dst,
                            ),
                        }
                    }
                    offset += block.len();
                }
            }
        }
    }

    /// Perturbs in place: `w += sigma * z` for probe `probe`.
    pub fn perturb<T: Real>(&self, params: &mut [T], probe: usize, sigma: T) {
        self.for_each_scaled(params, probe, sigma, |w, s| *w += s);
    }

    /// Undoes [`StepNoise::perturb`]: `w -= sigma * z`, regenerated.
    pub fn restore<T: Real>(&self, params: &mut [T], probe: usize, sigma: T) {
        self.for_each_scaled(params, probe, sigma, |w, s| *w -= s);
    }

    /// What evaluating probe `probe` in place leaves behind, without the
    /// evaluation: for each signed scale `sigma` in `sigmas`, in order,
    /// `w = (w + sigma z) - sigma z` in `T` arithmetic. A restore is exact
    /// only up to rounding, and this reproduces that rounding bit for bit.
    pub fn walk<T: Real>(&self, params: &mut [T], probe: usize, sigmas: &[T]) {
        match sigmas {
            [] => {}
            [s] => self.for_each_scaled(params, probe, *s, |w, d| *w = (*w + d) - d),
            [s, t] if *t == -*s => {
                // Both sides of an antithetic probe share one noise pass:
                // `(-sigma) z` is exactly `-(sigma z)`.
                self.for_each_scaled(params, probe, *s, |w, d| {
                    *w = (*w + d) - d;
                    *w = (*w - d) + d;
                })
            }
            _ => {
                for s in sigmas {
                    self.for_each_scaled(params, probe, *s, |w, d| *w = (*w + d) - d);
                }
            }
        }
    }

    /// `w += sum_k coefs[k] z_k`, the terms added to each weight in order
    /// `k = 0, 1, ...` (so the result is that of one pass per probe).
    /// Returns `true` when every weight is finite afterwards.
    pub fn add_combination<T: Real>(&self, params: &mut [T], coefs: &[T]) -> bool {
        match self.low_rank {
            None => add_noise_combination(params, coefs, |k| self.stream(k)),
            Some(_) => {
                for (k, c) in coefs.iter().enumerate() {
                    self.for_each_scaled(params, k, *c, |w, d| *w += d);
                }
                params.iter().all(|w| w.is_finite())
            }
        }
    }

    /// `w -= sum_k coefs[k] z_k` with the terms taken off in reverse order,
    /// so that every intermediate value is (up to rounding) one that
    /// [`StepNoise::add_combination`] passed through.
    pub fn subtract_combination<T: Real>(&self, params: &mut [T], coefs: &[T]) {
        let k = coefs.len();
        match self.low_rank {
            None if k <= MAX_PROBES => {
                let mut reversed = [T::ZERO; MAX_PROBES];
                for (r, c) in reversed.iter_mut().zip(coefs.iter().rev()) {
                    *r = -*c;
                }
                let _ = add_noise_combination(params, &reversed[..k], |j| self.stream(k - 1 - j));
            }
            _ => {
                for (j, c) in coefs.iter().enumerate().rev() {
                    self.for_each_scaled(params, j, *c, |w, d| *w -= d);
                }
            }
        }
    }

    /// `w += sum_k coefs[k] z_k` only if no weight would leave `[-limit,
    /// limit]` (nor any partial sum on the way) and the update is small
    /// enough to be undone ([`undo_limit`]): otherwise nothing is written
    /// and the result is `false`.
    ///
    /// `param_max_abs` must bound `|w|` over `params`. When
    /// `param_max_abs + sum_k |c_k| max_abs <= limit` the update cannot
    /// overflow and is applied in one pass; otherwise every weight is first
    /// checked without writing (one more noise pass), then written.
    pub fn add_combination_checked<T: Real>(
        &self,
        params: &mut [T],
        coefs: &[T],
        param_max_abs: T,
        limit: f64,
    ) -> bool {
        let mut bound = 0.0;
        for c in coefs {
            bound += c.abs().to_f64();
        }
        let bound = bound * self.max_abs();
        if !(bound.is_finite() && limit.is_finite() && limit > 0.0) {
            return false;
        }
        if bound > undo_limit::<T>(param_max_abs.to_f64()) {
            return false;
        }
        if param_max_abs.to_f64() + bound > limit && !self.fits(params, coefs, limit) {
            return false;
        }
        self.add_combination(params, coefs);
        true
    }

    /// Calls `f(start, d)` for consecutive chunks of the combination
    /// `d_i = sum_k coefs[k] z_k[i]` over `i in 0..len`: `d` holds
    /// `d_start .. d_start + d.len()`, chunks of at most [`BLOCK_LEN`]
    /// values, in increasing order. Each `d_i` is summed in `T` from zero
    /// in order `k = 0, 1, ...` (`((0 + c_0 z_0) + c_1 z_1) + ...`), so two
    /// calls with the same arguments give the same values bit for bit.
    ///
    /// The rules whose update is not a plain combination of the noise
    /// (OpenES's Adam step, the second-moment normalisation, SNES) read the
    /// combination through this, one stack chunk at a time.
    pub fn combination_chunks<T: Real>(
        &self,
        len: usize,
        coefs: &[T],
        mut f: impl FnMut(usize, &[T]),
    ) {
        let mut z = [T::ZERO; BLOCK_LEN];
        let mut d = [T::ZERO; BLOCK_LEN];
        let mut start = 0;
        while start < len {
            let n = (len - start).min(BLOCK_LEN);
            d[..n].fill(T::ZERO);
            for (k, c) in coefs.iter().enumerate() {
                self.fill(k, start, &mut z[..n]);
                for (acc, zi) in d[..n].iter_mut().zip(&z[..n]) {
                    *acc += *c * *zi;
                }
            }
            f(start, &d[..n]);
            start += n;
        }
    }

    /// `true` when adding `sum_k coefs[k] z_k` term by term keeps every
    /// weight and every partial sum within `[-limit, limit]`; writes nothing.
    fn fits<T: Real>(&self, params: &[T], coefs: &[T], limit: f64) -> bool {
        let within = |x: T| x.is_finite() && x.abs().to_f64() <= limit;
        let mut chunk = [T::ZERO; BLOCK_LEN];
        let mut z = [T::ZERO; BLOCK_LEN];
        let mut start = 0;
        while start < params.len() {
            let n = (params.len() - start).min(BLOCK_LEN);
            chunk[..n].copy_from_slice(&params[start..start + n]);
            if !chunk[..n].iter().all(|w| within(*w)) {
                return false;
            }
            for (k, c) in coefs.iter().enumerate() {
                self.fill(k, start, &mut z[..n]);
                for (w, zi) in chunk[..n].iter_mut().zip(&z[..n]) {
                    *w += *c * *zi;
                    if !within(*w) {
                        return false;
                    }
                }
            }
            start += n;
        }
        true
    }
}

/// `op(j, scale * z_{start + j})` for `j in 0..len`, dense stream `stream`.
#[inline]
fn dense_at<T: Real>(
    stream: &NoiseStream,
    start: usize,
    len: usize,
    scale: T,
    mut op: impl FnMut(usize, T),
) {
    let mut buf = [T::ZERO; BLOCK_LEN];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(BLOCK_LEN);
        stream.fill(start + done, &mut buf[..n]);
        for (j, z) in buf[..n].iter().enumerate() {
            op(done + j, scale * *z);
        }
        done += n;
    }
}

/// `sum_l a[l * TILE_ROWS + i] * b[l * TILE_ROWS + j] * inv`, in order.
#[inline(always)]
fn low_rank_entry<T: Real>(a: &[T], b: &[T], i: usize, j: usize, rank: usize, inv: T) -> T {
    let mut s = a[i] * b[j];
    for l in 1..rank {
        s += a[l * TILE_ROWS + i] * b[l * TILE_ROWS + j];
    }
    s * inv
}

/// `op(i + j * rows, scale * z_ij)` for every entry of a `rows x cols`
/// low-rank block whose factors are `stream`'s first `(rows + cols) rank` elements.
fn low_rank_block<T: Real>(
    stream: &NoiseStream,
    rows: usize,
    cols: usize,
    rank: usize,
    scale: T,
    mut op: impl FnMut(usize, T),
) {
    debug_assert!((1..=MAX_RANK).contains(&rank));
    let inv = T::ONE / T::from_usize(rank).sqrt();
    let mut a = [T::ZERO; TILE_ROWS * MAX_RANK];
    let mut b = [T::ZERO; TILE_ROWS * MAX_RANK];
    let b_start = rows * rank;
    for i0 in (0..rows).step_by(TILE_ROWS) {
        let m = (rows - i0).min(TILE_ROWS);
        for l in 0..rank {
            stream.fill(i0 + l * rows, &mut a[l * TILE_ROWS..l * TILE_ROWS + m]);
        }
        for j0 in (0..cols).step_by(TILE_ROWS) {
            let n = (cols - j0).min(TILE_ROWS);
            for l in 0..rank {
                stream.fill(
                    b_start + j0 + l * cols,
                    &mut b[l * TILE_ROWS..l * TILE_ROWS + n],
                );
            }
            for jj in 0..n {
                let col = (j0 + jj) * rows + i0;
                for ii in 0..m {
                    op(col + ii, scale * low_rank_entry(&a, &b, ii, jj, rank, inv));
                }
            }
        }
    }
}

/// The entries `first .. first + out.len()` (column-major flat indices) of a
/// `rows x cols` low-rank block.
fn low_rank_range<T: Real>(
    stream: &NoiseStream,
    rows: usize,
    cols: usize,
    rank: usize,
    first: usize,
    out: &mut [T],
) {
    let inv = T::ONE / T::from_usize(rank).sqrt();
    let mut a = [T::ZERO; TILE_ROWS * MAX_RANK];
    let mut b = [T::ZERO; TILE_ROWS * MAX_RANK];
    let mut idx = first;
    let end = first + out.len();
    while idx < end {
        let (i, j) = (idx % rows, idx / rows);
        let m = (rows - i).min(TILE_ROWS).min(end - idx);
        for l in 0..rank {
            stream.fill(i + l * rows, &mut a[l * TILE_ROWS..l * TILE_ROWS + m]);
            stream.fill(
                rows * rank + j + l * cols,
                &mut b[l * TILE_ROWS..l * TILE_ROWS + 1],
            );
        }
        for ii in 0..m {
            out[idx - first + ii] = low_rank_entry(&a, &b, ii, 0, rank, inv);
        }
        idx += m;
    }
}
