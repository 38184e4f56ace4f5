//! In-place kernels over a parameter slice: perturb, restore and `w += c * z`, with `z` regenerated.

use crate::noise::NoiseStream;
use crate::real::Real;

/// `w[i] += c * z[i]` for every `i`, where `z` is `stream` from element 0.
///
/// The noise is generated in stack blocks and never stored. Returns `true`
/// when every updated weight is finite.
#[inline]
pub fn add_scaled_noise<T: Real>(params: &mut [T], stream: &NoiseStream, c: T) -> bool {
    let mut finite = true;
    stream.for_each_block(0, params.len(), |offset, block| {
        let chunk = &mut params[offset..offset + block.len()];
        for (w, z) in chunk.iter_mut().zip(block) {
            *w += c * T::from_f64(*z);
            finite &= w.is_finite();
        }
    });
    finite
}

/// `w[i] += sum_k coefs[k] * z_k[i]`, where `z_k` is the stream `streams(k)`.
///
/// One pass over the parameters per stream. Returns `true` when every weight
/// is finite afterwards.
pub fn add_noise_combination<T: Real>(
    params: &mut [T],
    coefs: &[T],
    streams: impl Fn(usize) -> NoiseStream,
) -> bool {
    // Each pass checks every weight, so the last pass decides.
    let mut finite = true;
    for (k, c) in coefs.iter().enumerate() {
        finite = add_scaled_noise(params, &streams(k), *c);
    }
    finite
}

/// Moves the parameters to `w + sigma * z` in place.
///
/// [`restore`] with the same stream and `sigma` brings them back. The scaled
/// noise `s = sigma * z` is rounded once, so the round trip is
/// `fl(fl(w + s) - s)`, whose error is at most one ulp of `max(|w|, |s|)`.
#[inline]
pub fn perturb<T: Real>(params: &mut [T], stream: &NoiseStream, sigma: T) {
    stream.for_each_block(0, params.len(), |offset, block| {
        for (w, z) in params[offset..offset + block.len()].iter_mut().zip(block) {
            *w += sigma * T::from_f64(*z);
        }
    });
}

/// Undoes [`perturb`]: `w -= sigma * z` in place, with `z` regenerated.
#[inline]
pub fn restore<T: Real>(params: &mut [T], stream: &NoiseStream, sigma: T) {
    stream.for_each_block(0, params.len(), |offset, block| {
        for (w, z) in params[offset..offset + block.len()].iter_mut().zip(block) {
            *w -= sigma * T::from_f64(*z);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noise::{NoiseKey, NoiseKind};

    #[test]
    fn restore_undoes_perturb_closely() {
        let s = NoiseStream::new(NoiseKey::new(9, 0, 0), NoiseKind::Gaussian);
        let orig: [f32; 100] = core::array::from_fn(|i| (i as f32) * 0.37 - 11.0);
        let mut w = orig;
        perturb(&mut w, &s, 0.05);
        assert!(w.iter().zip(&orig).any(|(a, b)| a != b));
        restore(&mut w, &s, 0.05);
        for (i, (a, b)) in w.iter().zip(&orig).enumerate() {
            let bound = f32::EPSILON * b.abs().max(0.05 * 9.0);
            assert!((a - b).abs() <= bound, "element {i}: {a} vs {b}");
        }
    }
}
