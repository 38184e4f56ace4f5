//! Counter-based noise streams keyed by `(seed, step, probe)`: regenerated on demand, never stored.
//!
//! # Why counter-based
//!
//! The rules perturb the weights, evaluate, restore, update and sometimes undo,
//! all with the same noise vector `z`. Storing `z` would double the optimizer's
//! memory; instead element `i` of a stream is a pure function of the stream's
//! key and `i`. Any slice can then be regenerated in any chunking, in any
//! order, on any thread, and the values are identical.
//!
//! # Generator (streams version 2, dopamine 0.2)
//!
//! A key is hashed to 64 bits by chaining SplitMix64's finaliser (Steele, Lea
//! and Flood, 2014) over `seed`, `step` and `probe` ([`NoiseKey::hash`]), so
//! neighbouring keys give unrelated streams. The `n`-th 64-bit word of a
//! stream is the `n`-th output of SplitMix64 started from that hash; because
//! SplitMix64's state advances by a fixed constant, the `n`-th output is
//! computed directly, without the `n - 1` before it.
//!
//! * **Rademacher** (unchanged since 0.1): element `i` is `+1` or `-1` from
//!   bit `i mod 64` of word `i / 64`.
//! * **Gaussian** (new in 0.2: every seeded result changed): Box-Muller in
//!   `f32` arithmetic, laid out so that eight pairs are computed at once with
//!   AVX2 and bit-identically one at a time elsewhere.
//!   - The stream's elements come in blocks of [`BLOCK_LEN`] = 64. Block `b`
//!     has the 64-bit key `K_b`, word `b` of the stream (whose hash is first
//!     re-mixed with a Gaussian domain constant, so that the Gaussian and
//!     Rademacher streams of one key are unrelated).
//!   - Word `n` (`0..64`) of block `b` is a keyed 32-bit hash: `x = lo(K_b) +
//!     n 0x9E3779B9`, then Wellons' `lowbias32` finaliser (xorshift-multiply
//!     twice) with `hi(K_b)` xored in between the two rounds.
//!   - Element `j` of a block, `g = j / 16`, `l = j mod 8`: words `a` =
//!     `16 g + l` and `b` = `16 g + 8 + l` make one Box-Muller pair, whose
//!     cosine half is element `16 g + l` and sine half element
//!     `16 g + 8 + l`.
//!   - The pair: `u1 = v 2^-31` with `v = (a >> 1) | 1` (31 random bits, odd,
//!     so `0 < u1 < 1`), `r = sqrt(-2 ln u1)` with a range-reduced polynomial
//!     logarithm; the angle is uniform on the circle: 23 bits place it in an
//!     octant `(0, pi/4)`, where `cos` and `sin` are polynomials, and three
//!     bits pick the octant (swap, and each sign). Every value is the exact
//!     Box-Muller transform of its 31-bit radius and 26-bit angle to within
//!     5 `f32` ulps (the polynomials' error and the rounding of about 40
//!     `f32` operations; tested), is exactly representable as an `f32`, and
//!     `|z| <= GAUSSIAN_MAX_ABS` (about 6.56: the smallest `u1` is `2^-31`; a
//!     normal variable exceeds it with probability 5.5e-11).
//!   - Only IEEE `+`, `-`, `*`, `sqrt` and correctly rounded conversions, in
//!     a fixed order, no fused multiply-add: the scalar path (every target, including
//!     `thumbv7em`) and the AVX2 path (x86-64 CPUs that have it, detected at
//!     run time) give the same bits, and [`NoiseStream::value_f64`] is the
//!     definition every kernel matches.
//!
//! Why this generator: the kernels regenerate the noise for every perturb,
//! restore and update, so its cost is the kernels' cost. The previous
//! Gaussian, `f64` Box-Muller through `libm`'s scalar `log`, `sqrt` and
//! `sincos`, cost about 7.5 ns per element, 20 to 130 times an axpy over
//! stored noise; this one costs 13 to 19 times less with AVX2 (B1 and its
//! findings in `docs/benchmarks.md`), and needs no `f64` arithmetic,
//! which matters on microcontrollers whose FPU is single precision. A
//! ziggurat was measured too and lost on this hardware (its table lookups;
//! the findings in `docs/benchmarks.md`).

mod gaussian;
#[cfg(target_arch = "x86_64")]
mod x86;

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::has_avx2;

use crate::real::Real;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
/// Domain separator so that key hashes differ from plain SplitMix64 seeds.
const KEY_DOMAIN: u64 = 0xD0FA_3141_5926_5358;
/// Domain separator of the Gaussian streams' words (see the module docs).
const GAUSSIAN_DOMAIN: u64 = 0x6A09_E667_F3BC_C909;
/// Elements per block: [`NoiseStream::for_each_block`] hands out at most this
/// many at a time, and a Gaussian stream is generated in blocks of this size.
pub const BLOCK_LEN: usize = 64;
/// The largest magnitude a Gaussian noise element can take: `sqrt(-2 ln 2^-31)`
/// (the smallest radius word) as the generator computes it, rounded up.
pub const GAUSSIAN_MAX_ABS: f64 = 6.555_55;

/// SplitMix64's output function: a bijective 64-bit finaliser.
#[inline(always)]
const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The `n`-th 64-bit word of the stream that starts from `origin`.
#[inline(always)]
const fn splitmix_word(origin: u64, n: u64) -> u64 {
    mix64(origin.wrapping_add(n.wrapping_add(1).wrapping_mul(GOLDEN_GAMMA)))
}

/// The key of Gaussian block `b` of the stream whose origin is `origin`.
#[inline(always)]
fn block_key(origin: u64, b: u64) -> u64 {
    splitmix_word(origin, b)
}

/// The distribution of the noise elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum NoiseKind {
    /// Standard normal `N(0, 1)` (Box-Muller in `f32`, see the module docs).
    /// The default.
    #[default]
    Gaussian,
    /// `+1` or `-1` with equal probability.
    Rademacher,
}

/// Identifies one noise vector: which run (`seed`), which step, which probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct NoiseKey {
    /// The run's seed.
    pub seed: u64,
    /// The optimizer step the noise belongs to.
    pub step: u64,
    /// The probe within the step (`0..K`).
    pub probe: u32,
}

impl NoiseKey {
    /// A key from its three parts.
    pub const fn new(seed: u64, step: u64, probe: u32) -> Self {
        Self { seed, step, probe }
    }

    /// The 64-bit hash that starts this key's stream.
    #[inline]
    pub const fn hash(self) -> u64 {
        let h = mix64(self.seed ^ KEY_DOMAIN);
        let h = mix64(h ^ self.step.wrapping_mul(GOLDEN_GAMMA));
        mix64(
            h ^ (self.probe as u64)
                .wrapping_add(1)
                .wrapping_mul(0xC2B2_AE3D_27D4_EB4F),
        )
    }
}

/// A noise vector of unbounded length, defined by its key and distribution.
///
/// It holds two words and allocates nothing; element `i` is computed on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoiseStream {
    origin: u64,
    kind: NoiseKind,
}

impl NoiseStream {
    /// The stream for `key` with elements drawn from `kind`.
    #[inline]
    pub const fn new(key: NoiseKey, kind: NoiseKind) -> Self {
        let origin = match kind {
            NoiseKind::Gaussian => mix64(key.hash() ^ GAUSSIAN_DOMAIN),
            NoiseKind::Rademacher => key.hash(),
        };
        Self { origin, kind }
    }

    /// The distribution of this stream.
    pub const fn kind(&self) -> NoiseKind {
        self.kind
    }

    /// The `n`-th raw 64-bit word of the stream.
    #[inline(always)]
    pub(crate) fn word(&self, n: u64) -> u64 {
        splitmix_word(self.origin, n)
    }

    /// Element `i` as an `f64`.
    ///
    /// This is the definition every kernel matches. Gaussian elements are
    /// computed in `f32` and are exactly representable as `f32`, so
    /// [`value::<f32>`](Self::value) loses nothing.
    #[inline]
    pub fn value_f64(&self, i: usize) -> f64 {
        match self.kind {
            NoiseKind::Gaussian => {
                let key = block_key(self.origin, (i / BLOCK_LEN) as u64);
                f64::from(gaussian::element(key, i % BLOCK_LEN))
            }
            NoiseKind::Rademacher => {
                let w = self.word((i / 64) as u64);
                if (w >> (i % 64)) & 1 == 1 { 1.0 } else { -1.0 }
            }
        }
    }

    /// Element `i`, rounded once to `T` (exact for both `f32` and `f64`).
    /// This is the canonical value every kernel uses.
    #[inline]
    pub fn value<T: Real>(&self, i: usize) -> T {
        T::from_f64(self.value_f64(i))
    }

    /// Writes elements `start .. start + out.len()` into `out`.
    pub fn fill<T: Real>(&self, start: usize, out: &mut [T]) {
        match self.kind {
            NoiseKind::Gaussian => {
                let mut block = [0.0f32; BLOCK_LEN];
                let mut done = 0;
                while done < out.len() {
                    let i = start + done;
                    let skip = i % BLOCK_LEN;
                    let n = (BLOCK_LEN - skip).min(out.len() - done);
                    self.gaussian_block((i / BLOCK_LEN) as u64, &mut block);
                    for (o, z) in out[done..done + n].iter_mut().zip(&block[skip..]) {
                        *o = T::from_f64(f64::from(*z));
                    }
                    done += n;
                }
            }
            NoiseKind::Rademacher => {
                self.for_each_block(start, out.len(), |offset, block| {
                    for (o, z) in out[offset..offset + block.len()].iter_mut().zip(block) {
                        *o = T::from_f64(*z);
                    }
                });
            }
        }
    }

    /// Generates elements `start .. start + len` block by block (at most
    /// [`BLOCK_LEN`] at a time) on the stack and hands each block to `f`
    /// together with its offset from `start`.
    ///
    /// Blocks follow the stream's own blocks of [`BLOCK_LEN`] elements: the
    /// first one runs from `start` to the next multiple of [`BLOCK_LEN`] (or
    /// to `start + len`), every later one starts on such a multiple. A
    /// Gaussian block costs one vectorised generation of 64 elements; a
    /// Rademacher block one word.
    #[inline]
    pub fn for_each_block(&self, start: usize, len: usize, mut f: impl FnMut(usize, &[f64])) {
        let mut buf = [0.0f64; BLOCK_LEN];
        let mut gauss = [0.0f32; BLOCK_LEN];
        let mut offset = 0;
        while offset < len {
            let i = start + offset;
            let skip = i % BLOCK_LEN;
            let n = (len - offset).min(BLOCK_LEN - skip);
            match self.kind {
                NoiseKind::Gaussian => {
                    self.gaussian_block((i / BLOCK_LEN) as u64, &mut gauss);
                    for (o, z) in buf[..n].iter_mut().zip(&gauss[skip..]) {
                        *o = f64::from(*z);
                    }
                }
                NoiseKind::Rademacher => {
                    // Bit 1 gives +1, bit 0 gives -1: the sign bit is the complement.
                    let signs = !self.word((i / 64) as u64) >> skip;
                    for (b, o) in buf[..n].iter_mut().enumerate() {
                        *o = f64::from_bits(ONE_BITS | (((signs >> b) & 1) << 63));
                    }
                }
            }
            f(offset, &buf[..n]);
            offset += n;
        }
    }

    /// Gaussian block `b` (elements `64 b .. 64 b + 64`) of this stream, on
    /// AVX2 when the CPU has it (the same bits either way).
    #[inline]
    pub(crate) fn gaussian_block(&self, b: u64, out: &mut [f32; BLOCK_LEN]) {
        debug_assert_eq!(self.kind, NoiseKind::Gaussian);
        let key = block_key(self.origin, b);
        #[cfg(target_arch = "x86_64")]
        if x86::has_avx2() {
            // SAFETY: the CPU supports AVX2 (checked just above).
            unsafe { x86::block_avx2(key, out) };
            return;
        }
        gaussian::block_portable(key, out);
    }

    /// Calls `op(&mut params[i], scale * z_i)` for every `i`, with `z_i =
    /// self.value::<T>(i)` and the product rounded in `T`; this stream must
    /// be Gaussian. On AVX2 CPUs the whole loop, `op` included, is compiled
    /// for AVX2.
    #[inline(always)]
    pub(crate) fn apply_gaussian<T: Real>(
        &self,
        params: &mut [T],
        scale: T,
        op: impl FnMut(&mut T, T),
    ) {
        debug_assert_eq!(self.kind, NoiseKind::Gaussian);
        #[cfg(target_arch = "x86_64")]
        if x86::has_avx2() {
            // SAFETY: the CPU supports AVX2 (checked just above).
            unsafe { x86::apply_avx2(self.origin, params, scale, op) };
            return;
        }
        self.apply_gaussian_portable(params, scale, op);
    }

    /// [`Self::apply_gaussian`] without SIMD. Kept out of line, like the
    /// AVX2 loop, so that the kernels that contain both branches stay small.
    #[inline(never)]
    pub(crate) fn apply_gaussian_portable<T: Real>(
        &self,
        params: &mut [T],
        scale: T,
        mut op: impl FnMut(&mut T, T),
    ) {
        let mut z = [0.0f32; BLOCK_LEN];
        for (b, chunk) in params.chunks_mut(BLOCK_LEN).enumerate() {
            gaussian::block_portable(block_key(self.origin, b as u64), &mut z);
            for (w, z) in chunk.iter_mut().zip(&z) {
                op(w, scale * T::from_f64(f64::from(*z)));
            }
        }
    }
}

/// The bits of `1.0f64`.
const ONE_BITS: u64 = 0x3ff0_0000_0000_0000;

#[cfg(test)]
mod tests;
