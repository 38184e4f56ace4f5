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
//! # Generator
//!
//! The `n`-th 64-bit word of a stream is the `n`-th output of SplitMix64
//! (Steele, Lea and Flood, 2014) started from a 64-bit hash of the key; because
//! SplitMix64's state advances by a fixed constant, the `n`-th output is
//! computed directly, without the `n - 1` before it. The key hash chains the
//! same finaliser over `seed`, `step` and `probe`, so neighbouring keys give
//! unrelated streams.
//!
//! * **Gaussian** (exact Box-Muller): elements `2m` and `2m + 1` share words
//!   `2m` and `2m + 1`, which give `u1 ∈ (0, 1]` and `u2 ∈ [0, 1)` with 53 random
//!   bits each; then `r = sqrt(-2 ln u1)`, `z_{2m} = r cos(2π u2)`,
//!   `z_{2m+1} = r sin(2π u2)`. Computed in `f64`, rounded once to the target
//!   type. The largest possible `|z|` is `sqrt(-2 ln 2^-53) ≈ 8.5717`.
//! * **Rademacher**: element `i` is `+1` or `-1` from bit `i mod 64` of word
//!   `i / 64`.

use crate::real::Real;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
/// Domain separator so that key hashes differ from plain SplitMix64 seeds.
const KEY_DOMAIN: u64 = 0xD0FA_3141_5926_5358;
/// Elements produced per block by [`NoiseStream::for_each_block`].
pub const BLOCK_LEN: usize = 64;
/// The largest magnitude a Gaussian noise element can take (`sqrt(-2 ln 2^-53)`).
pub const GAUSSIAN_MAX_ABS: f64 = 8.571_674_348_652_906;

/// SplitMix64's output function: a bijective 64-bit finaliser.
#[inline(always)]
const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The distribution of the noise elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum NoiseKind {
    /// Standard normal `N(0, 1)` (exact Box-Muller). The default.
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
        Self {
            origin: key.hash(),
            kind,
        }
    }

    /// The distribution of this stream.
    pub const fn kind(&self) -> NoiseKind {
        self.kind
    }

    /// The `n`-th raw 64-bit word of the stream.
    #[inline(always)]
    pub(crate) fn word(&self, n: u64) -> u64 {
        mix64(
            self.origin
                .wrapping_add(n.wrapping_add(1).wrapping_mul(GOLDEN_GAMMA)),
        )
    }

    /// Element `i` as an `f64`.
    #[inline]
    pub fn value_f64(&self, i: usize) -> f64 {
        match self.kind {
            NoiseKind::Gaussian => {
                let pair = (i as u64) & !1;
                let (c, s) = gaussian_pair(self.word(pair), self.word(pair + 1));
                if i & 1 == 0 { c } else { s }
            }
            NoiseKind::Rademacher => {
                let w = self.word((i / 64) as u64);
                if (w >> (i % 64)) & 1 == 1 { 1.0 } else { -1.0 }
            }
        }
    }

    /// Element `i`, rounded once to `T`. This is the canonical value every
    /// kernel uses.
    #[inline]
    pub fn value<T: Real>(&self, i: usize) -> T {
        T::from_f64(self.value_f64(i))
    }

    /// Writes elements `start .. start + out.len()` into `out`.
    pub fn fill<T: Real>(&self, start: usize, out: &mut [T]) {
        let mut done = 0;
        self.for_each_block(start, out.len(), |offset, block| {
            for (o, z) in out[offset..offset + block.len()].iter_mut().zip(block) {
                *o = T::from_f64(*z);
            }
            done += block.len();
        });
        debug_assert_eq!(done, out.len());
    }

    /// Generates elements `start .. start + len` block by block (at most
    /// [`BLOCK_LEN`] at a time) on the stack and hands each block to `f`
    /// together with its offset from `start`.
    ///
    /// This is the fast path every kernel uses: a block costs one Box-Muller
    /// per pair of Gaussian elements or one word per 64 Rademacher elements.
    /// From an odd `start` the first block is one element shorter, so every
    /// later block starts on a pair boundary.
    #[inline]
    pub fn for_each_block(&self, start: usize, len: usize, mut f: impl FnMut(usize, &[f64])) {
        let mut buf = [0.0f64; BLOCK_LEN];
        let mut offset = 0;
        while offset < len {
            let room = BLOCK_LEN - ((start + offset) & 1);
            let n = (len - offset).min(room);
            self.generate_block(start + offset, &mut buf[..n]);
            f(offset, &buf[..n]);
            offset += n;
        }
    }

    /// Fills `out` (at most [`BLOCK_LEN`] elements) with elements `first .. first + out.len()`.
    ///
    /// Gaussian: one Box-Muller per pair, through `libm`'s scalar `log`,
    /// `sqrt` and `sincos`, which define the values. Rademacher: each sign is
    /// set from its bit without a branch.
    fn generate_block(&self, first: usize, out: &mut [f64]) {
        debug_assert!(out.len() <= BLOCK_LEN);
        match self.kind {
            NoiseKind::Gaussian => {
                let mut i = first;
                let end = first + out.len();
                let mut j = 0;
                // An odd start takes the sine half of its pair.
                if i & 1 == 1 && i < end {
                    out[j] = self.value_f64(i);
                    i += 1;
                    j += 1;
                }
                while i + 1 < end {
                    let (c, s) = gaussian_pair(self.word(i as u64), self.word(i as u64 + 1));
                    out[j] = c;
                    out[j + 1] = s;
                    i += 2;
                    j += 2;
                }
                if i < end {
                    out[j] = self.value_f64(i);
                }
            }
            NoiseKind::Rademacher => {
                let mut j = 0;
                while j < out.len() {
                    let i = first + j;
                    let word = self.word((i / 64) as u64);
                    let bit0 = i % 64;
                    let n = (64 - bit0).min(out.len() - j);
                    // Bit 1 gives +1, bit 0 gives -1: the sign bit is the complement.
                    let signs = !word >> bit0;
                    for (b, o) in out[j..j + n].iter_mut().enumerate() {
                        *o = f64::from_bits(ONE_BITS | (((signs >> b) & 1) << 63));
                    }
                    j += n;
                }
            }
        }
    }
}

/// The bits of `1.0f64`.
const ONE_BITS: u64 = 0x3ff0_0000_0000_0000;

/// Box-Muller on two raw words: `(r cos θ, r sin θ)`.
#[inline(always)]
fn gaussian_pair(a: u64, b: u64) -> (f64, f64) {
    const SCALE: f64 = 1.0 / ((1u64 << 53) as f64);
    // u1 in (0, 1]: never 0, so ln is finite; u2 in [0, 1).
    let u1 = ((a >> 11) + 1) as f64 * SCALE;
    let u2 = (b >> 11) as f64 * SCALE;
    let r = libm::sqrt(-2.0 * libm::log(u1));
    let theta = core::f64::consts::TAU * u2;
    let (s, c) = libm::sincos(theta);
    (r * c, r * s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_max_matches_smallest_u1() {
        let r = libm::sqrt(-2.0 * libm::log(1.0 / ((1u64 << 53) as f64)));
        assert!((r - GAUSSIAN_MAX_ABS).abs() < 1e-12, "{r}");
    }

    #[test]
    fn fill_matches_value_for_odd_start() {
        let s = NoiseStream::new(NoiseKey::new(1, 2, 3), NoiseKind::Gaussian);
        let mut out = [0.0f64; 7];
        s.fill(5, &mut out);
        for (j, o) in out.iter().enumerate() {
            assert_eq!(*o, s.value_f64(5 + j));
        }
    }
}
