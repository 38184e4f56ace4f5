//! In-place kernels over a parameter slice: perturb, restore and `w += c * z`, with `z` regenerated.

use crate::noise::{BLOCK_LEN, NoiseKind, NoiseStream};
use crate::real::Real;

/// Calls `op(w[i], scale * z[i])` for every weight, `z` the stream from
/// element 0 rounded once to `T` (exactly `T::from_f64(stream.value_f64(i))`),
/// and the product rounded as `T` arithmetic rounds it.
///
/// Gaussian noise is generated 64 elements at a time into a stack block and
/// applied at once; on CPUs with AVX2 the generator and this loop, `op`
/// included, run as AVX2 code (the same values: see `noise`'s module docs).
/// Rademacher noise skips the block: `scale * z` takes only the two values
/// `scale * 1` and `scale * -1`, so they are computed once, put in a table of
/// every pattern of four signs, and each group of four weights gets the row
/// picked by its four bits — no per-element branch, shift or multiply.
#[inline(always)]
pub(crate) fn for_each_scaled_noise<T: Real>(
    params: &mut [T],
    stream: &NoiseStream,
    scale: T,
    mut op: impl FnMut(&mut T, T),
) {
    match stream.kind() {
        NoiseKind::Gaussian => stream.apply_gaussian(params, scale, op),
        NoiseKind::Rademacher => {
            let plus = scale * T::ONE;
            let minus = scale * -T::ONE;
            let mut table = [[T::ZERO; 4]; 16];
            for (pattern, row) in table.iter_mut().enumerate() {
                for (bit, v) in row.iter_mut().enumerate() {
                    *v = if (pattern >> bit) & 1 == 1 {
                        plus
                    } else {
                        minus
                    };
                }
            }
            for (n, chunk) in params.chunks_mut(64).enumerate() {
                let word = stream.word(n as u64);
                if chunk.len() == 64 {
                    for (g, quad) in chunk.chunks_exact_mut(4).enumerate() {
                        let row = &table[((word >> (4 * g)) & 15) as usize];
                        for (w, v) in quad.iter_mut().zip(row) {
                            op(w, *v);
                        }
                    }
                } else {
                    for (bit, w) in chunk.iter_mut().enumerate() {
                        op(w, if (word >> bit) & 1 == 1 { plus } else { minus });
                    }
                }
            }
        }
    }
}

/// `w[i] += c * z[i]` for every `i`, where `z` is `stream` from element 0.
///
/// The noise is generated in stack blocks and never stored. Returns `true`
/// when every updated weight is finite.
#[inline]
pub fn add_scaled_noise<T: Real>(params: &mut [T], stream: &NoiseStream, c: T) -> bool {
    let mut finite = true;
    for_each_scaled_noise(params, stream, c, |w, cz| {
        *w += cz;
        finite &= w.is_finite();
    });
    finite
}

/// `w[i] += sum_k coefs[k] * z_k[i]`, where `z_k` is the stream `streams(k)`.
///
/// One pass over the parameters: each block of every stream is generated
/// once and the coefficients are applied to each weight in order `k = 0, 1,
/// ...`, so the result is bit for bit that of one [`add_scaled_noise`] pass
/// per stream. Returns `true` when every weight is finite afterwards.
pub fn add_noise_combination<T: Real>(
    params: &mut [T],
    coefs: &[T],
    streams: impl Fn(usize) -> NoiseStream,
) -> bool {
    match coefs {
        [] => true,
        [c] => add_scaled_noise(params, &streams(0), *c),
        _ if coefs.len() > crate::MAX_PROBES => {
            // Each pass checks every weight, so the last pass decides.
            let mut finite = true;
            for (k, c) in coefs.iter().enumerate() {
                finite = add_scaled_noise(params, &streams(k), *c);
            }
            finite
        }
        _ => {
            let mut all: [Option<NoiseStream>; crate::MAX_PROBES] = [None; crate::MAX_PROBES];
            let k = coefs.len();
            for (probe, s) in all[..k].iter_mut().enumerate() {
                *s = Some(streams(probe));
            }
            let mut finite = true;
            let mut block = [0.0f64; BLOCK_LEN];
            let mut gauss = [0.0f32; BLOCK_LEN];
            let mut offset = 0;
            while offset < params.len() {
                let n = (params.len() - offset).min(BLOCK_LEN);
                let chunk = &mut params[offset..offset + n];
                for (stream, c) in all[..k].iter().flatten().zip(coefs) {
                    if stream.kind() == NoiseKind::Gaussian {
                        stream.gaussian_block((offset / BLOCK_LEN) as u64, &mut gauss);
                        for (w, z) in chunk.iter_mut().zip(&gauss[..n]) {
                            *w += *c * T::from_f64(f64::from(*z));
                        }
                    } else {
                        stream.fill(offset, &mut block[..n]);
                        for (w, z) in chunk.iter_mut().zip(&block[..n]) {
                            *w += *c * T::from_f64(*z);
                        }
                    }
                }
                for w in chunk.iter() {
                    finite &= w.is_finite();
                }
                offset += n;
            }
            finite
        }
    }
}

/// Moves the parameters to `w + sigma * z` in place.
///
/// [`restore`] with the same stream and `sigma` brings them back. The scaled
/// noise `s = sigma * z` is rounded once, so the round trip is
/// `fl(fl(w + s) - s)`, whose error is at most one ulp of `max(|w|, |s|)`.
#[inline]
pub fn perturb<T: Real>(params: &mut [T], stream: &NoiseStream, sigma: T) {
    for_each_scaled_noise(params, stream, sigma, |w, s| *w += s);
}

/// Undoes [`perturb`]: `w -= sigma * z` in place, with `z` regenerated.
#[inline]
pub fn restore<T: Real>(params: &mut [T], stream: &NoiseStream, sigma: T) {
    for_each_scaled_noise(params, stream, sigma, |w, s| *w -= s);
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

    #[test]
    fn fused_combination_equals_one_pass_per_stream() {
        let streams =
            |k: usize| NoiseStream::new(NoiseKey::new(3, 5, k as u32), NoiseKind::Gaussian);
        for k in [0usize, 1, 2, 3, 8] {
            let coefs: [f64; 8] = core::array::from_fn(|j| 0.1 * (j as f64) - 0.35);
            let mut fused: [f64; 333] = core::array::from_fn(|i| (i as f64).sin());
            let mut passes = fused;
            let fused_finite = add_noise_combination(&mut fused, &coefs[..k], streams);
            let mut passes_finite = true;
            for (j, c) in coefs[..k].iter().enumerate() {
                passes_finite = add_scaled_noise(&mut passes, &streams(j), *c);
            }
            assert_eq!(fused_finite, passes_finite);
            for (a, b) in fused.iter().zip(&passes) {
                assert_eq!(a.to_bits(), b.to_bits(), "K = {k}");
            }
        }
    }
}
