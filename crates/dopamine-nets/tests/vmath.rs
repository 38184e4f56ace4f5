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
