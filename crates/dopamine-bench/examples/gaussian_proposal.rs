//! A value-changing Gaussian proposal, kept out of the library: Box-Muller without `libm` and without branches, timed against the kernel's exact update and an axpy over stored noise.
//!
//! `docs/benchmarks.md` (Findings) explains why it was tried: on a chip
//! or a core where `ln`, `sin` and `cos` dominate a step, polynomial
//! approximations are several times faster. Its values are Gaussian to about
//! `1e-15` but differ from the pinned streams, so the kernel does not use it.
//!
//! Run: `cargo run --release -p dopamine-bench --example gaussian_proposal [-- P]`

use std::hint::black_box;

use dopamine_bench::benchmarks::interleaved_medians;
use dopamine_core::perturb::add_scaled_noise;
use dopamine_core::{NoiseKey, NoiseKind, NoiseStream};

/// A value-changing alternative to the exact generator, measured in B1 as a
/// proposal and used nowhere else: Box-Muller without `libm` and without
/// branches. `ln u1` from the exponent and `2 atanh((m - 1)/(m + 1))` of the
/// mantissa (series to `s^19`), the angle from the top two bits (quadrant)
/// and the next 51 bits (position in the quadrant, centred so that the sine
/// and cosine series of degree 17/16 work on `[-π/4, π/4]`). Its values are
/// Gaussian to about `1e-15` but differ from the pinned stream's.
mod proposal {
    const SCALE: f64 = 1.0 / ((1u64 << 53) as f64);
    const FRAC_1_SQRT_2: f64 = std::f64::consts::FRAC_1_SQRT_2;

    #[inline(always)]
    fn word(origin: u64, n: u64) -> u64 {
        let mut z = origin.wrapping_add(n.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `1 + n 2^-52` for a 52-bit `n`: an integer-to-float conversion that vectorises.
    #[inline(always)]
    fn one_plus(n: u64) -> f64 {
        f64::from_bits(0x3ff0_0000_0000_0000 | n)
    }

    #[inline(always)]
    fn pair(a: u64, b: u64) -> (f64, f64) {
        // -2 ln u1, u1 in (0, 1).
        let u1 = (one_plus(a >> 12) - 1.0) + SCALE;
        let bits = u1.to_bits();
        let m = one_plus(bits & 0x000f_ffff_ffff_ffff);
        let big = m > std::f64::consts::SQRT_2;
        let m = if big { m * 0.5 } else { m };
        let e = f64::from((bits >> 52) as i32 - 1023 + i32::from(big));
        let s = (m - 1.0) / (m + 1.0);
        let z = s * s;
        let series = 1.0
            + z * (1.0 / 3.0
                + z * (1.0 / 5.0
                    + z * (1.0 / 7.0
                        + z * (1.0 / 9.0
                            + z * (1.0 / 11.0
                                + z * (1.0 / 13.0
                                    + z * (1.0 / 15.0 + z * (1.0 / 17.0 + z * (1.0 / 19.0)))))))));
        let ln_u1 = e * std::f64::consts::LN_2 + 2.0 * s * series;
        let r = (-2.0 * ln_u1).sqrt();
        // Angle: quadrant from the top two bits, offset within it from the next 50.
        let f = one_plus((b << 2) >> 12) - 1.0;
        let x = (f - 0.5) * std::f64::consts::FRAC_PI_2;
        let x2 = x * x;
        let sin_x = x
            * (1.0
                + x2 * (-1.0 / 6.0
                    + x2 * (1.0 / 120.0
                        + x2 * (-1.0 / 5040.0
                            + x2 * (1.0 / 362_880.0
                                + x2 * (-1.0 / 39_916_800.0
                                    + x2 * (1.0 / 6_227_020_800.0
                                        + x2 * (-1.0 / 1_307_674_368_000.0
                                            + x2 * (1.0 / 355_687_428_096_000.0)))))))));
        let cos_x = 1.0
            + x2 * (-0.5
                + x2 * (1.0 / 24.0
                    + x2 * (-1.0 / 720.0
                        + x2 * (1.0 / 40_320.0
                            + x2 * (-1.0 / 3_628_800.0
                                + x2 * (1.0 / 479_001_600.0
                                    + x2 * (-1.0 / 87_178_291_200.0
                                        + x2 * (1.0 / 20_922_789_888_000.0))))))));
        // Rotate by π/4 (the centring), then by the quadrant q:
        // 0 (s, c), 1 (c, -s), 2 (-s, -c), 3 (-c, s) — selects and sign flips, no branch.
        let sin_t = (sin_x + cos_x) * FRAC_1_SQRT_2;
        let cos_t = (cos_x - sin_x) * FRAC_1_SQRT_2;
        let q = b >> 62;
        let (s, c) = if q & 1 == 1 {
            (cos_t, sin_t)
        } else {
            (sin_t, cos_t)
        };
        let sin_sign = (q >> 1) << 63;
        let cos_sign = ((q ^ (q >> 1)) & 1) << 63;
        let s = f64::from_bits(s.to_bits() ^ sin_sign);
        let c = f64::from_bits(c.to_bits() ^ cos_sign);
        (r * c, r * s)
    }

    /// [`update`] compiled for AVX2 (four lanes), when the CPU has it.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn update_avx2(params: &mut [f64], origin: u64, c: f64) -> bool {
        update_portable(params, origin, c)
    }

    /// `w += c z` with `z` from the proposal generator keyed by `origin`;
    /// the AVX2 build when the CPU supports it (same values either way).
    pub fn update(params: &mut [f64], origin: u64, c: f64) -> bool {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { update_avx2(params, origin, c) };
        }
        update_portable(params, origin, c)
    }

    #[inline(always)]
    fn update_portable(params: &mut [f64], origin: u64, c: f64) -> bool {
        let mut finite = true;
        let mut block = [0.0f64; 64];
        for (n, chunk) in params.chunks_mut(64).enumerate() {
            let first = (n * 64) as u64;
            for (p, out) in block.chunks_exact_mut(2).enumerate() {
                let i = first + 2 * p as u64;
                (out[0], out[1]) = pair(word(origin, i), word(origin, i + 1));
            }
            for (w, z) in chunk.iter_mut().zip(&block) {
                *w += c * *z;
                finite &= w.is_finite();
            }
        }
        finite
    }

    /// Mean and variance of `n` draws (a sanity check that it is N(0, 1)).
    pub fn moments(n: usize) -> (f64, f64) {
        let mut sum = 0.0;
        let mut sq = 0.0;
        for p in 0..(n / 2) as u64 {
            let (a, b) = pair(word(7, 2 * p), word(7, 2 * p + 1));
            sum += a + b;
            sq += a * a + b * b;
        }
        let mean = sum / n as f64;
        (mean, sq / n as f64 - mean * mean)
    }
}

fn main() {
    let p: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let (mean, var) = proposal::moments(1_000_000);
    println!("proposal: 1e6 draws, mean {mean:.2e}, variance {var:.6}");
    let stream = NoiseStream::new(NoiseKey::new(1, 2, 3), NoiseKind::Gaussian);
    let mut stored = vec![0.0f64; p];
    stream.fill(0, &mut stored);
    let mut w_axpy: Vec<f64> = (0..p).map(|i| (i % 97) as f64 * 1e-2).collect();
    let mut w_exact = w_axpy.clone();
    let mut w_proposal = w_axpy.clone();
    let c = -1e-7;
    let mut axpy = || {
        for (w, z) in w_axpy.iter_mut().zip(black_box(&stored)) {
            *w += c * *z;
        }
    };
    let mut exact = || {
        black_box(add_scaled_noise(black_box(&mut w_exact), &stream, c));
    };
    let mut proposed = || {
        black_box(proposal::update(black_box(&mut w_proposal), 99, c));
    };
    let t = interleaved_medians(7, 0.01, &mut [&mut axpy, &mut exact, &mut proposed]);
    println!(
        "P = {p}: exact update / axpy {:.3}, proposal update / axpy {:.3}",
        t[1] / t[0],
        t[2] / t[0]
    );
}
