//! Unit tests of the Gaussian generator's internals: the bound on `|z|`, accuracy against `f64` Box-Muller, and AVX2 against scalar bit for bit.

extern crate std;

use super::gaussian::{self, pair};
use super::*;

/// Words that exercise the edges of [`pair`]: the smallest and largest
/// radius words, the boundaries of the logarithm's range reduction at every
/// scale, and every octant with the extreme angles.
fn edge_words() -> ([u32; 64], [u32; 64]) {
    let mut a = [0u32; 64];
    let mut b = [0u32; 64];
    // v = (a >> 1) | 1 near sqrt(1/2) 2^m and 2^m, the range boundaries.
    let mut n = 0;
    for m in [0u32, 1, 7, 15, 23, 24, 29, 30] {
        let boundary = (core::f64::consts::FRAC_1_SQRT_2 * (1u64 << (m + 1)) as f64) as u32;
        for v in [
            boundary.wrapping_sub(1),
            boundary,
            1u32 << m,
            (1u32 << m) - 1,
        ] {
            a[n] = v.wrapping_shl(1);
            n += 1;
        }
    }
    // The extremes of the radius word: v = 1 and v = 2^31 - 1.
    for (j, v) in [
        0u32,
        1,
        2,
        3,
        u32::MAX,
        u32::MAX - 2,
        0x8000_0000,
        0x7FFF_FFFF,
    ]
    .into_iter()
    .enumerate()
    {
        a[32 + j] = v;
    }
    for (j, w) in a[40..].iter_mut().enumerate() {
        *w = (j as u32).wrapping_mul(0x9E37_79B9);
    }
    // Every octant pattern (bits 29..31) with the smallest, largest and a middle angle.
    for (j, w) in b.iter_mut().enumerate() {
        let octant = (j as u32 % 8) << 29;
        let angle = match (j / 8) % 4 {
            0 => 0,
            1 => 0x007F_FFFF,
            2 => 0x0040_0000,
            _ => (j as u32).wrapping_mul(0x85EB_CA6B) & 0x007F_FFFF,
        };
        // Bits 23..28 are unused; set them in half the cases.
        let unused = if j % 2 == 0 { 0x1F80_0000 } else { 0 };
        *w = octant | angle | unused;
    }
    (a, b)
}

/// Pseudo-random words for the exhaustive-style comparisons.
fn random_words(seed: u64, n: usize) -> impl Iterator<Item = (u32, u32)> {
    (0..n as u64).map(move |i| {
        let x = splitmix_word(seed, i);
        (x as u32, (x >> 32) as u32)
    })
}

/// Exact Box-Muller (in `f64`) of the radius word `a` and angle word `b`,
/// as [`pair`] defines them: what each `f32` value approximates.
fn exact_pair(a: u32, b: u32) -> (f64, f64) {
    let v = f64::from((a >> 1) | 1);
    let r = libm::sqrt(-2.0 * libm::log(v / 2_147_483_648.0));
    let phi = f64::from(((b << 1) & 0x00FF_FFFF) | 1) * core::f64::consts::FRAC_PI_4 / 16_777_216.0;
    let (mut s, mut c) = libm::sincos(phi);
    if (b >> 29) & 1 == 1 {
        core::mem::swap(&mut c, &mut s);
    }
    if b >> 31 == 1 {
        c = -c;
    }
    if (b >> 30) & 1 == 1 {
        s = -s;
    }
    (r * c, r * s)
}

/// `|got - want|` in units of the `f32` ulp at `|want|`.
fn ulps(got: f32, want: f64) -> f64 {
    let w = (want.abs() as f32).max(f32::MIN_POSITIVE);
    let ulp = f32::from_bits(w.to_bits() + 1) - w;
    (f64::from(got) - want).abs() / f64::from(ulp)
}

/// Every value is within 5 `f32` ulps of the exact Box-Muller transform of
/// its words (measured maximum: 4.4 ulps over these 2 million pairs), at
/// every radius, small ones included (the reduced logarithm keeps 24
/// significant bits of `u1 - 1`).
#[test]
fn pairs_are_exact_box_muller_to_a_few_ulps() {
    let (ea, eb) = edge_words();
    let edges = ea.into_iter().zip(eb);
    let mut worst = 0.0f64;
    for (a, b) in edges.chain(random_words(7, 2_000_000)) {
        let (z0, z1) = pair(a, b);
        let (e0, e1) = exact_pair(a, b);
        for (got, want) in [(z0, e0), (z1, e1)] {
            let u = ulps(got, want);
            worst = worst.max(u);
            assert!(u <= 5.0, "a {a:#x} b {b:#x}: {got} vs {want} ({u} ulps)");
        }
    }
    std::println!("largest error: {worst} ulps");
    assert!(worst > 0.5, "the comparison measures something: {worst}");
}

/// `GAUSSIAN_MAX_ABS` bounds every value: `|z| = fl(r |c|)` with `r` the
/// radius and `c` a polynomial cosine or sine. The radius is largest for the
/// smallest radius word (checked exhaustively for `v < 2^22`; above, `u1 >
/// 2^-10` and the radius stays below 3.8, checked on a sample), and neither
/// polynomial exceeds 1 on any of the 2^23 angles (checked exhaustively).
#[test]
fn gaussian_max_abs_is_a_bound() {
    let mut r_max = 0.0f32;
    for v in 0..(1u32 << 22) {
        r_max = r_max.max(gaussian::radius(v << 1));
    }
    assert_eq!(
        r_max,
        gaussian::radius(0),
        "the smallest word gives the largest radius"
    );
    for (a, _) in random_words(3, 1_000_000) {
        assert!(a >> 1 < 1 << 22 || gaussian::radius(a) < 3.8);
    }
    let mut trig_max = 0.0f32;
    for angle in 0..(1u32 << 23) {
        let (c, s) = gaussian::circle(angle);
        trig_max = trig_max.max(c.abs()).max(s.abs());
    }
    assert!(trig_max <= 1.0, "{trig_max}");
    let bound = f64::from(r_max * trig_max);
    std::println!("max |z| = {bound} (radius {r_max}, trig {trig_max})");
    assert!(bound <= GAUSSIAN_MAX_ABS, "{bound}");
    assert!(
        GAUSSIAN_MAX_ABS - bound < 1e-4,
        "the bound is tight: {bound}"
    );
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

#[test]
fn portable_block_matches_elements() {
    let mut out = [0.0f32; BLOCK_LEN];
    for key in [0u64, 1, u64::MAX, 0x0123_4567_89AB_CDEF] {
        gaussian::block_portable(key, &mut out);
        for (j, z) in out.iter().enumerate() {
            assert_eq!(
                z.to_bits(),
                gaussian::element(key, j).to_bits(),
                "key {key} j {j}"
            );
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::*;

    /// The AVX2 lanes give the scalar definition's bits on the edge-case
    /// words and on a million random pairs.
    #[test]
    fn avx2_pairs_equal_scalar_pairs() {
        if !x86::has_avx2() {
            return;
        }
        let check = |a: &[u32; 64], b: &[u32; 64]| {
            // SAFETY: the CPU supports AVX2 (checked above).
            let (z0, z1) = unsafe { x86::pairs_for_test(a, b) };
            for j in 0..64 {
                let (s0, s1) = pair(a[j], b[j]);
                assert_eq!(z0[j].to_bits(), s0.to_bits(), "a {:#x} b {:#x}", a[j], b[j]);
                assert_eq!(z1[j].to_bits(), s1.to_bits(), "a {:#x} b {:#x}", a[j], b[j]);
            }
        };
        let (a, b) = edge_words();
        check(&a, &b);
        check(&b, &a);
        let mut words = random_words(11, 64 * 16_384);
        for _ in 0..16_384 {
            let mut a = [0u32; 64];
            let mut b = [0u32; 64];
            for (x, y) in a.iter_mut().zip(b.iter_mut()) {
                (*x, *y) = words.next().unwrap();
            }
            check(&a, &b);
        }
    }

    /// Whole blocks (words included) agree for many keys.
    #[test]
    fn avx2_blocks_equal_portable_blocks() {
        if !x86::has_avx2() {
            return;
        }
        let mut fast = [0.0f32; BLOCK_LEN];
        let mut slow = [0.0f32; BLOCK_LEN];
        for i in 0..20_000u64 {
            let key = splitmix_word(99, i);
            // SAFETY: the CPU supports AVX2 (checked above).
            unsafe { x86::block_avx2(key, &mut fast) };
            gaussian::block_portable(key, &mut slow);
            assert_eq!(
                fast.map(f32::to_bits),
                slow.map(f32::to_bits),
                "key {key:#x}"
            );
        }
    }

    /// The fused AVX2 loop applies exactly what the portable loop applies, in `f32` and `f64`.
    #[test]
    fn avx2_apply_equals_portable_apply() {
        if !x86::has_avx2() {
            return;
        }
        for len in [0usize, 1, 63, 64, 65, 1000] {
            let s = NoiseStream::new(NoiseKey::new(5, len as u64, 1), NoiseKind::Gaussian);
            let w32: [f32; 1000] = core::array::from_fn(|i| (i as f32 * 0.37).sin());
            let (mut a, mut b) = (w32, w32);
            s.apply_gaussian(&mut a[..len], 0.3f32, |w, x| *w += x);
            s.apply_gaussian_portable(&mut b[..len], 0.3f32, |w, x| *w += x);
            assert_eq!(a.map(f32::to_bits), b.map(f32::to_bits));
            let w64: [f64; 1000] = core::array::from_fn(|i| (i as f64 * 0.37).sin());
            let (mut a, mut b) = (w64, w64);
            s.apply_gaussian(&mut a[..len], -1e-3, |w, x| *w -= x);
            s.apply_gaussian_portable(&mut b[..len], -1e-3, |w, x| *w -= x);
            assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits));
        }
    }
}

/// The two factors separately: the radius within 2.5 ulps of
/// `sqrt(-2 ln u1)` (measured 2.2) on 2 million random words and every
/// `v < 2^16` (the tail), the polynomial cosine and sine within 2.5 ulps
/// (measured 2.3) on every third of the 2^23 angles.
#[test]
fn radius_and_angle_are_accurate() {
    let exact_radius = |a: u32| {
        let v = f64::from((a >> 1) | 1);
        libm::sqrt(-2.0 * libm::log(v / 2_147_483_648.0))
    };
    let small = (0..1u32 << 16).map(|v| v << 1);
    for a in small.chain(random_words(5, 2_000_000).map(|(a, _)| a)) {
        let u = ulps(gaussian::radius(a), exact_radius(a));
        assert!(u <= 2.5, "radius of {a:#x}: {u} ulps");
    }
    for angle in (0..(1u32 << 23)).step_by(3) {
        let phi = f64::from(((angle << 1) & 0x00FF_FFFF) | 1) * core::f64::consts::FRAC_PI_4
            / 16_777_216.0;
        let (c, s) = gaussian::circle(angle);
        let (uc, us) = (ulps(c, libm::cos(phi)), ulps(s, libm::sin(phi)));
        assert!(uc <= 2.5 && us <= 2.5, "angle {angle:#x}: {uc}, {us} ulps");
    }
}
