//! Accuracy of the vectorised activations against `libm`: dense grids (every
//! `f32` of a range, 1e7 evenly spaced `f64` points), the limits and special
//! values, odd symmetry, and a property test over arbitrary bit patterns. The
//! bounds asserted here are the ones stated in `vmath`'s documentation.

use dopamine_nets::vmath::{sigmoid, sigmoid_in_place, tanh, tanh_in_place};
use proptest::prelude::*;

/// Largest error allowed, in units in the last place of the reference.
const TANH_ULPS: u64 = 2;
const SIGMOID_ULPS: u64 = 3;

/// Position of `x` on the number line of `f32`s (monotonic in `x`), so the
/// distance of two values in ulps is the difference of their positions.
fn order32(x: f32) -> i64 {
    let b = i64::from(x.to_bits() as i32);
    if b < 0 { i64::from(i32::MIN) - b } else { b }
}

fn order64(x: f64) -> i128 {
    let b = i128::from(x.to_bits() as i64);
    if b < 0 { i128::from(i64::MIN) - b } else { b }
}

fn ulps32(a: f32, b: f32) -> u64 {
    if a.is_nan() && b.is_nan() {
        return 0;
    }
    (order32(a) - order32(b)).unsigned_abs()
}

fn ulps64(a: f64, b: f64) -> u64 {
    if a.is_nan() && b.is_nan() {
        return 0;
    }
    u64::try_from((order64(a) - order64(b)).unsigned_abs()).unwrap_or(u64::MAX)
}

/// The sigmoid the models used before, from `libm`'s `exp`.
fn sigmoid_libm32(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + libm::expf(-x))
    } else {
        let e = libm::expf(x);
        e / (1.0 + e)
    }
}

fn sigmoid_libm64(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + libm::exp(-x))
    } else {
        let e = libm::exp(x);
        e / (1.0 + e)
    }
}

/// Worst error seen: ulps, absolute, and where.
#[derive(Debug, Default, Clone, Copy)]
struct Worst {
    ulps: u64,
    abs: f64,
    at: f64,
}

impl Worst {
    fn see(&mut self, ulps: u64, abs: f64, at: f64) {
        if ulps > self.ulps {
            self.ulps = ulps;
            self.at = at;
        }
        self.abs = self.abs.max(abs);
    }
}

/// Every `f32` with bit pattern in `[from, to]` (both of one sign), in
/// slices, through the slice function, against `reference`.
fn sweep32(
    from: f32,
    to: f32,
    slice: fn(&mut [f32]),
    reference: fn(f32) -> f32,
    stride: u32,
) -> Worst {
    let (a, b) = (
        from.to_bits().min(to.to_bits()),
        from.to_bits().max(to.to_bits()),
    );
    let mut worst = Worst::default();
    let mut buf = Vec::with_capacity(4096);
    let mut bits = a;
    while bits <= b {
        buf.clear();
        while buf.len() < 4096 && bits <= b {
            buf.push(f32::from_bits(bits));
            bits = bits.saturating_add(stride);
            if bits == u32::MAX {
                break;
            }
        }
        let xs = buf.clone();
        slice(&mut buf);
        for (&x, &y) in xs.iter().zip(&buf) {
            let r = reference(x);
            worst.see(
                ulps32(y, r),
                (f64::from(y) - f64::from(r)).abs(),
                f64::from(x),
            );
        }
    }
    worst
}

/// `n` evenly spaced `f64` points of `[from, to]` through the slice function.
fn sweep64(
    from: f64,
    to: f64,
    n: usize,
    slice: fn(&mut [f64]),
    reference: fn(f64) -> f64,
) -> Worst {
    let mut worst = Worst::default();
    let step = (to - from) / (n - 1) as f64;
    let mut buf = Vec::with_capacity(4096);
    let mut i = 0;
    while i < n {
        buf.clear();
        while buf.len() < 4096 && i < n {
            buf.push(from + step * i as f64);
            i += 1;
        }
        let xs = buf.clone();
        slice(&mut buf);
        for (&x, &y) in xs.iter().zip(&buf) {
            let r = reference(x);
            worst.see(ulps64(y, r), (y - r).abs(), x);
        }
    }
    worst
}

/// Every value in release builds; every 16th in debug builds (ten times
/// slower).
fn stride() -> u32 {
    if cfg!(debug_assertions) { 16 } else { 1 }
}

#[test]
fn tanh_f32_every_value_of_a_range_is_within_bound() {
    // Every f32 in [2^-12, 12] (130 million values); below 2^-12 every 7th
    // (tanh(x) = x there to within half an ulp); odd symmetry is tested
    // separately, so the positive half suffices.
    let mut worst = sweep32(2f32.powi(-12), 12.0, tanh_in_place, libm::tanhf, stride());
    let tiny = sweep32(
        f32::from_bits(1),
        2f32.powi(-12),
        tanh_in_place,
        libm::tanhf,
        7,
    );
    worst.see(tiny.ulps, tiny.abs, tiny.at);
    println!("tanh f32: {worst:?}");
    assert!(worst.ulps <= TANH_ULPS, "{worst:?}");
    assert!(worst.abs <= 1.2e-7, "{worst:?}");
}

#[test]
fn tanh_f64_dense_grid_is_within_bound() {
    let mut worst = sweep64(-25.0, 25.0, 10_000_000, tanh_in_place, libm::tanh);
    // Densely around the switch between the two formulas and near 0.
    let w = sweep64(0.6, 0.65, 1_000_000, tanh_in_place, libm::tanh);
    worst.see(w.ulps, w.abs, w.at);
    let w = sweep64(1e-300, 1e-3, 1_000_000, tanh_in_place, libm::tanh);
    worst.see(w.ulps, w.abs, w.at);
    println!("tanh f64: {worst:?}");
    assert!(worst.ulps <= TANH_ULPS, "{worst:?}");
    assert!(worst.abs <= 2.3e-16, "{worst:?}");
}

#[test]
fn sigmoid_f32_every_value_of_a_range_is_within_bound() {
    // Every f32 in [-120, -2^-12] and [2^-12, 30], every 7th between.
    let mut worst = sweep32(
        -120.0,
        -(2f32.powi(-12)),
        sigmoid_in_place,
        sigmoid_libm32,
        stride(),
    );
    let w = sweep32(
        2f32.powi(-12),
        30.0,
        sigmoid_in_place,
        sigmoid_libm32,
        stride(),
    );
    worst.see(w.ulps, w.abs, w.at);
    let w = sweep32(0.0, 2f32.powi(-12), sigmoid_in_place, sigmoid_libm32, 7);
    worst.see(w.ulps, w.abs, w.at);
    let w = sweep32(-0.0, -(2f32.powi(-12)), sigmoid_in_place, sigmoid_libm32, 7);
    worst.see(w.ulps, w.abs, w.at);
    println!("sigmoid f32: {worst:?}");
    assert!(worst.ulps <= SIGMOID_ULPS, "{worst:?}");
    assert!(worst.abs <= 1.2e-7, "{worst:?}");
}

#[test]
fn sigmoid_f64_dense_grid_is_within_bound() {
    let mut worst = sweep64(-760.0, 40.0, 10_000_000, sigmoid_in_place, sigmoid_libm64);
    let w = sweep64(-5.0, 5.0, 1_000_000, sigmoid_in_place, sigmoid_libm64);
    worst.see(w.ulps, w.abs, w.at);
    println!("sigmoid f64: {worst:?}");
    assert!(worst.ulps <= SIGMOID_ULPS, "{worst:?}");
    assert!(worst.abs <= 2.3e-16, "{worst:?}");
}

#[test]
fn limits_and_special_values() {
    for x in [f32::INFINITY, 1e30, 9.02, 10.0, 11.0, 100.0, f32::MAX] {
        assert_eq!(tanh(x), 1.0, "tanh({x})");
        assert_eq!(tanh(-x), -1.0, "tanh(-{x})");
        assert_eq!(libm::tanhf(x), 1.0, "libm saturates at {x} too");
    }
    for x in [f64::INFINITY, 1e300, 19.07, 20.0, 21.0, 100.0, f64::MAX] {
        assert_eq!(tanh(x), 1.0, "tanh({x})");
        assert_eq!(tanh(-x), -1.0, "tanh(-{x})");
        assert_eq!(libm::tanh(x), 1.0, "libm saturates at {x} too");
    }
    assert!(tanh(f32::NAN).is_nan() && tanh(f64::NAN).is_nan());
    assert!(sigmoid(f32::NAN).is_nan() && sigmoid(f64::NAN).is_nan());
    assert_eq!(tanh(0.0f32).to_bits(), 0.0f32.to_bits());
    assert_eq!(tanh(-0.0f32).to_bits(), (-0.0f32).to_bits());
    assert_eq!(tanh(-0.0f64).to_bits(), (-0.0f64).to_bits());
    assert_eq!(sigmoid(0.0f32), 0.5);
    assert_eq!(sigmoid(-0.0f64), 0.5);
    for x in [f32::INFINITY, 17.5, 20.0, 1e10] {
        assert_eq!(sigmoid(x), 1.0, "sigmoid({x})");
    }
    for x in [f64::INFINITY, 37.5, 40.0, 1e300] {
        assert_eq!(sigmoid(x), 1.0, "sigmoid({x})");
    }
    for x in [f32::NEG_INFINITY, -104.0, -110.0, -1e30] {
        assert_eq!(sigmoid(x), 0.0, "sigmoid({x})");
    }
    for x in [f64::NEG_INFINITY, -746.0, -750.0, -1e300] {
        assert_eq!(sigmoid(x), 0.0, "sigmoid({x})");
    }
    // Subnormal sigmoid values keep their relative accuracy.
    let x = -100.0f32;
    assert!(ulps32(sigmoid(x), sigmoid_libm32(x)) <= SIGMOID_ULPS);
    let x = -740.0f64;
    assert!(ulps64(sigmoid(x), sigmoid_libm64(x)) <= SIGMOID_ULPS);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn f32_any_bits(bits in any::<u32>()) {
        let x = f32::from_bits(bits);
        let t = tanh(x);
        prop_assert_eq!(tanh(-x).to_bits(), (-t).to_bits(), "odd at {}", x);
        prop_assert!(ulps32(t, libm::tanhf(x)) <= TANH_ULPS, "tanh {} {} {}", x, t, libm::tanhf(x));
        prop_assert!(x.is_nan() || (-1.0..=1.0).contains(&t));
        let s = sigmoid(x);
        prop_assert!(ulps32(s, sigmoid_libm32(x)) <= SIGMOID_ULPS, "sigmoid {} {}", x, s);
        prop_assert!(x.is_nan() || (0.0..=1.0).contains(&s));
    }

    #[test]
    fn f64_any_bits(bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        let t = tanh(x);
        prop_assert_eq!(tanh(-x).to_bits(), (-t).to_bits(), "odd at {}", x);
        prop_assert!(ulps64(t, libm::tanh(x)) <= TANH_ULPS, "tanh {} {} {}", x, t, libm::tanh(x));
        prop_assert!(x.is_nan() || (-1.0..=1.0).contains(&t));
        let s = sigmoid(x);
        prop_assert!(ulps64(s, sigmoid_libm64(x)) <= SIGMOID_ULPS, "sigmoid {} {}", x, s);
        prop_assert!(x.is_nan() || (0.0..=1.0).contains(&s));
    }

    #[test]
    fn f64_moderate_values(x in -30.0f64..30.0) {
        prop_assert!(ulps64(tanh(x), libm::tanh(x)) <= TANH_ULPS);
        prop_assert!(ulps64(sigmoid(x), sigmoid_libm64(x)) <= SIGMOID_ULPS);
        prop_assert_eq!(tanh(-x).to_bits(), (-tanh(x)).to_bits());
    }
}

/// The `tanh` as it was before issue 22 (its exponential scaled by `2^k` in
/// two exact steps, `p 2^(k/2) 2^(k - k/2)`), written out in scalar code: the
/// reference the faster one-step scaling must equal bit for bit.
mod previous_tanh {
    macro_rules! reference {
        ($name:ident, $t:ty, $bits:ty, $ibits:ty, mant: $mant:expr, bias: $bias:expr,
         ln2: ($hi:expr, $lo:expr), clamp: $clamp:expr, poly: [$($p:expr),+],
         exp_poly: |$r:ident| $body:expr) => {
            pub fn $name(x: $t) -> $t {
                const SIGN: $bits = 1 << (<$bits>::BITS - 1);
                const ROUND: $t = 1.5 * (1u64 << $mant) as $t;
                const LOG2_E: $t = core::f64::consts::LOG2_E as $t;
                let exp_poly = |$r: $t| -> $t { $body };
                let exp = |y: $t| {
                    let shifted = y * LOG2_E + ROUND;
                    let k = shifted - ROUND;
                    let ki = shifted.to_bits().wrapping_sub(ROUND.to_bits()) as $ibits;
                    let r = (y - k * $hi) - k * $lo;
                    let p = exp_poly(r);
                    let k1 = ki >> 1;
                    let k2 = ki.wrapping_sub(k1);
                    let s1 = <$t>::from_bits((k1.wrapping_add($bias) as $bits).wrapping_shl($mant));
                    let s2 = <$t>::from_bits((k2.wrapping_add($bias) as $bits).wrapping_shl($mant));
                    p * s1 * s2
                };
                let bits = x.to_bits();
                let sign = bits & SIGN;
                let a = <$t>::from_bits(bits & !SIGN);
                let z = a * a;
                let coefficients = [$($p),+];
                let mut acc = coefficients[0];
                for &c in &coefficients[1..] {
                    acc = acc * z + c;
                }
                let small = a + a * (z * acc);
                let clamped = if a > $clamp { $clamp } else { a };
                let e = exp(clamped + clamped);
                let large = 1.0 - 2.0 / (e + 1.0);
                let magnitude = if a < 0.625 { small } else { large };
                <$t>::from_bits(magnitude.to_bits() | sign)
            }
        };
    }

    reference!(tanh32, f32, u32, i32, mant: 23, bias: 127,
    ln2: (0.693_359_4_f32, -2.121_944_4e-4_f32), clamp: 10.0,
    poly: [2.292_744_8e-3, -8.343_945e-3, 2.176_891_8e-2, -5.395_925_8e-2,
        1.333_330_4e-1, -3.333_333_4e-1],
    exp_poly: |r| {
        let r2 = r * r;
        let r4 = r2 * r2;
        let low = (1.0 + r) + r2 * (0.5 + r * (1.0 / 6.0));
        let high = (1.0 / 24.0 + r * (1.0 / 120.0)) + r2 * (1.0 / 720.0 + r * (1.0 / 5040.0));
        low + r4 * high
    });

    reference!(tanh64, f64, u64, i64, mant: 52, bias: 1023,
    ln2: (6.931_471_803_691_238e-1, 1.908_214_929_270_587_7e-10), clamp: 20.0,
    poly: [6.485_163_482_793_113e-6, -3.120_110_142_579_74e-5, 9.257_116_129_556_769e-5,
        -2.375_906_496_055_562e-4, 5.896_606_577_757_043e-4, -1.455_775_412_047_805_5e-3,
        3.592_121_751_154_962_2e-3, -8.863_235_103_240_878e-3, 2.186_948_851_900_830_5e-2,
        -5.396_825_396_789_699e-2, 1.333_333_333_333_304_2e-1, -3.333_333_333_333_333e-1],
    exp_poly: |r| {
        let mut p = 1.0 / 6_227_020_800.0;
        for c in [1.0 / 479_001_600.0, 1.0 / 39_916_800.0, 1.0 / 3_628_800.0,
            1.0 / 362_880.0, 1.0 / 40_320.0, 1.0 / 5_040.0, 1.0 / 720.0, 1.0 / 120.0,
            1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0] {
            p = p * r + c;
        }
        p
    });
}

#[test]
fn tanh_has_the_bits_it_had_before_its_exponential_was_rescaled() {
    // f32: bit patterns across the whole range (NaNs, infinities, subnormals
    // included), sliced and scalar.
    let step = 61 * stride();
    let xs: Vec<f32> = (0..=u32::MAX / step)
        .map(|k| f32::from_bits(k * step))
        .collect();
    let mut sliced = xs.clone();
    tanh_in_place(&mut sliced);
    for (&x, &y) in xs.iter().zip(&sliced) {
        let want = previous_tanh::tanh32(x).to_bits();
        assert_eq!(y.to_bits(), want, "f32 tanh({x:e}) changed");
        assert_eq!(tanh(x).to_bits(), want, "f32 scalar tanh({x:e}) changed");
    }
    // f64: pseudo-random bit patterns and a dense grid of [-25, 25].
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut xs: Vec<f64> = (0..2_000_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            f64::from_bits(state)
        })
        .collect();
    xs.extend((0..2_000_000).map(|k| -25.0 + 50.0 * k as f64 / 2e6));
    let mut sliced = xs.clone();
    tanh_in_place(&mut sliced);
    for (&x, &y) in xs.iter().zip(&sliced) {
        let want = previous_tanh::tanh64(x).to_bits();
        assert_eq!(y.to_bits(), want, "f64 tanh({x:e}) changed");
        assert_eq!(tanh(x).to_bits(), want, "f64 scalar tanh({x:e}) changed");
    }
}
