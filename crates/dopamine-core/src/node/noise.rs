//! The neuron noise of Dopamine-3: which stream element is `xi_i(t)`, and a cursor that hands out one time step's values at the generator's cost per value.
//!
//! # Key mapping
//!
//! Time steps are counted in *update intervals*: interval `k` (the `k`-th
//! interval since the rule was built, counting every interval that
//! recorded a step, whether its update was applied or refused) and step
//! `s` within it. With `N` neurons, the noise of neuron `i` at step `s` of
//! interval `k` is
//!
//! ```text
//! xi_i = sigma z,   z = element (s N + i) of NoiseStream(NoiseKey(seed ^ NODE_DOMAIN, k, 0))
//! ```
//!
//! (element index taken in `u64`). Both counters are `u64`: a stream of
//! updates never wraps (at one update per nanosecond, `2^64` updates take
//! 584 years), and an interval may hold up to `2^64 / N` steps, so the
//! mapping stays valid for an unbounded stream whatever `C`. The seed is
//! xored with a domain constant so that Dopamine-3's streams are unrelated
//! to the weight-perturbation streams `(seed, step, probe)` of the same
//! seed.
//!
//! The cursor keeps the last generated block of 64 values (a pure function
//! of the key, regenerated after a checkpoint), so a time step of `N`
//! neurons costs `N` generated values, not a block of 64.

use crate::noise::{BLOCK_LEN, NoiseKey, NoiseKind, NoiseStream};
use crate::real::Real;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Xored into the seed of every Dopamine-3 noise key.
pub const NODE_DOMAIN: u64 = 0x4E0D_E5EE_D000_0003;

/// The stream of update interval `interval`.
pub fn interval_stream(seed: u64, kind: NoiseKind, interval: u64) -> NoiseStream {
    NoiseStream::new(NoiseKey::new(seed ^ NODE_DOMAIN, interval, 0), kind)
}

/// `z` of neuron `unit` (of `neurons`) at step `step` of update interval
/// `interval`: the definition every kernel matches (`xi = sigma z`).
///
/// # Panics
/// When `step * neurons + unit` overflows `u64`.
pub fn node_noise(
    seed: u64,
    kind: NoiseKind,
    interval: u64,
    step: u64,
    neurons: usize,
    unit: usize,
) -> f64 {
    let element = step * neurons as u64 + unit as u64;
    let stream = interval_stream(seed, kind, interval);
    let mut block = [0.0f32; BLOCK_LEN];
    generate(&stream, element / BLOCK_LEN as u64, &mut block);
    f64::from(block[(element % BLOCK_LEN as u64) as usize])
}

/// Block `b` (elements `64 b ..`) of `stream` as `f32` values.
fn generate(stream: &NoiseStream, b: u64, out: &mut [f32; BLOCK_LEN]) {
    match stream.kind() {
        NoiseKind::Gaussian => stream.gaussian_block(b, out),
        NoiseKind::Rademacher => {
            let word = stream.word(b);
            for (j, o) in out.iter_mut().enumerate() {
                *o = if (word >> j) & 1 == 1 { 1.0 } else { -1.0 };
            }
        }
    }
}

/// 64 generated values; `Default` (an invalid cache) stands in for a
/// deserialised one.
#[derive(Debug, Clone, Copy)]
struct Block([f32; BLOCK_LEN]);

impl Default for Block {
    fn default() -> Self {
        Self([0.0; BLOCK_LEN])
    }
}

/// The last generated block of the current interval's stream.
///
/// Not part of a rule's state: it is skipped by serde, regenerated from
/// its key when needed, and every two cursors compare equal.
#[derive(Debug, Clone, Copy, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub(crate) struct NoiseCursor {
    /// The interval and its stream.
    #[cfg_attr(feature = "serde", serde(skip))]
    stream: Option<(u64, NoiseStream)>,
    /// The interval and block of `values`.
    #[cfg_attr(feature = "serde", serde(skip))]
    cached: Option<(u64, u64)>,
    #[cfg_attr(feature = "serde", serde(skip))]
    values: Block,
}

impl PartialEq for NoiseCursor {
    /// A cache: it never makes two rules differ.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl NoiseCursor {
    /// Writes `sigma z` of elements `start .. start + out.len()` of
    /// interval `interval`'s stream into `out`.
    pub(crate) fn fill<T: Real>(
        &mut self,
        seed: u64,
        kind: NoiseKind,
        interval: u64,
        start: u64,
        sigma: T,
        out: &mut [T],
    ) {
        let stream = match self.stream {
            Some((k, stream)) if k == interval && stream.kind() == kind => stream,
            _ => {
                let stream = interval_stream(seed, kind, interval);
                self.stream = Some((interval, stream));
                stream
            }
        };
        let n = BLOCK_LEN as u64;
        let mut done = 0usize;
        while done < out.len() {
            let e = start + done as u64;
            let (b, skip) = (e / n, (e % n) as usize);
            if self.cached != Some((interval, b)) {
                generate(&stream, b, &mut self.values.0);
                self.cached = Some((interval, b));
            }
            let take = (BLOCK_LEN - skip).min(out.len() - done);
            for (o, z) in out[done..done + take]
                .iter_mut()
                .zip(&self.values.0[skip..skip + take])
            {
                *o = sigma * T::from_f64(f64::from(*z));
            }
            done += take;
        }
    }
}
