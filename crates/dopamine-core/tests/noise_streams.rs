//! Noise streams: determinism per key, independence across keys, chunked generation, and the distributions' statistics.

use dopamine_core::noise::{BLOCK_LEN, GAUSSIAN_MAX_ABS};
use dopamine_core::{
    Block, NoiseKey, NoiseKind, NoiseStream, NoiseStructure, ParamLayout, StepNoise,
};
use proptest::prelude::*;

const KINDS: [NoiseKind; 2] = [NoiseKind::Gaussian, NoiseKind::Rademacher];

fn draws(key: NoiseKey, kind: NoiseKind, n: usize) -> Vec<f64> {
    let mut out = vec![0.0f64; n];
    NoiseStream::new(key, kind).fill(0, &mut out);
    out
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let mut sab = 0.0;
    let mut saa = 0.0;
    let mut sbb = 0.0;
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt()
}

#[test]
fn same_key_gives_same_values() {
    for kind in KINDS {
        let key = NoiseKey::new(123, 456, 7);
        let a = draws(key, kind, 10_000);
        let b = draws(NoiseKey::new(123, 456, 7), kind, 10_000);
        assert_eq!(a, b);
        let s = NoiseStream::new(key, kind);
        for (i, x) in a.iter().enumerate().step_by(97) {
            assert_eq!(s.value_f64(i).to_bits(), x.to_bits());
        }
    }
}

/// Keys that differ by one in the seed, the step or the probe give streams
/// whose sample correlation over 1e5 draws is within 5 standard errors
/// (`5 / sqrt(n)`, about 0.016) of zero, and that are not equal element-wise.
#[test]
fn neighbouring_keys_are_uncorrelated() {
    let n = 100_000;
    let tol = 5.0 / (n as f64).sqrt();
    let base = NoiseKey::new(1_000, 2_000, 3);
    let neighbours = [
        NoiseKey::new(1_001, 2_000, 3),
        NoiseKey::new(999, 2_000, 3),
        NoiseKey::new(1_000, 2_001, 3),
        NoiseKey::new(1_000, 1_999, 3),
        NoiseKey::new(1_000, 2_000, 4),
        NoiseKey::new(1_000, 2_000, 2),
        // The seed and the step swapped: the key hash is not symmetric.
        NoiseKey::new(2_000, 1_000, 3),
    ];
    for kind in KINDS {
        let a = draws(base, kind, n);
        for key in neighbours {
            let b = draws(key, kind, n);
            let equal = a.iter().zip(&b).filter(|(x, y)| x == y).count();
            let c = correlation(&a, &b);
            assert!(c.abs() < tol, "{kind:?} {key:?}: correlation {c}");
            match kind {
                // Continuous values: equal elements would mean a shared stream.
                NoiseKind::Gaussian => assert_eq!(equal, 0, "{key:?}"),
                // Independent signs agree half of the time.
                NoiseKind::Rademacher => {
                    let frac = equal as f64 / n as f64;
                    assert!((frac - 0.5).abs() < 5.0 * 0.5 / (n as f64).sqrt(), "{frac}");
                }
            }
        }
    }
}

/// Lagged elements of one stream are uncorrelated too (element `i` against `i + lag`).
#[test]
fn elements_within_a_stream_are_uncorrelated() {
    let n = 100_000;
    let tol = 5.0 / (n as f64).sqrt();
    for kind in KINDS {
        let a = draws(NoiseKey::new(5, 6, 0), kind, n + 128);
        for lag in [1, 2, 63, 64, 65, 127] {
            let c = correlation(&a[..n], &a[lag..n + lag]);
            assert!(c.abs() < tol, "{kind:?} lag {lag}: {c}");
        }
    }
}

fn check_chunking<T>(seed: u64, step: u64, probe: u32, kind: NoiseKind, start: usize, len: usize)
where
    T: dopamine_core::Real,
{
    let s = NoiseStream::new(NoiseKey::new(seed, step, probe), kind);
    let total = start + len;
    let mut whole = vec![T::ZERO; total];
    s.fill(0, &mut whole);
    // `fill` from an arbitrary offset.
    let mut part = vec![T::ZERO; len];
    s.fill(start, &mut part);
    assert_eq!(&whole[start..], &part[..], "fill({start}, {len})");
    // `value` element by element.
    for (i, w) in whole.iter().enumerate() {
        assert_eq!(s.value::<T>(i), *w, "value({i})");
    }
    // `for_each_block`: contiguous blocks of at most BLOCK_LEN, covering the range once.
    let mut next = 0;
    s.for_each_block(start, len, |offset, block| {
        assert_eq!(offset, next);
        assert!(!block.is_empty() && block.len() <= BLOCK_LEN);
        for (j, z) in block.iter().enumerate() {
            assert_eq!(T::from_f64(*z), whole[start + offset + j]);
            assert_eq!(z.to_bits(), s.value_f64(start + offset + j).to_bits());
        }
        next += block.len();
    });
    assert_eq!(next, len);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any chunking of a stream — `fill` from any start, `for_each_block`,
    /// `value` — gives exactly the elements of the whole vector.
    #[test]
    fn chunked_generation_equals_whole_vector(
        seed in any::<u64>(), step in any::<u64>(), probe in any::<u32>(),
        rademacher in any::<bool>(), start in 0usize..700, len in 0usize..400,
    ) {
        let kind = if rademacher { NoiseKind::Rademacher } else { NoiseKind::Gaussian };
        check_chunking::<f64>(seed, step, probe, kind, start, len);
        check_chunking::<f32>(seed, step, probe, kind, start, len);
    }

    /// Splitting a range into two `fill` calls at any point changes nothing.
    #[test]
    fn split_fill_equals_single_fill(
        seed in any::<u64>(), rademacher in any::<bool>(),
        start in 0usize..300, len in 1usize..300, cut_frac in 0.0f64..1.0,
    ) {
        let kind = if rademacher { NoiseKind::Rademacher } else { NoiseKind::Gaussian };
        let s = NoiseStream::new(NoiseKey::new(seed, 1, 0), kind);
        let cut = ((len as f64) * cut_frac) as usize;
        let mut one = vec![0.0f64; len];
        s.fill(start, &mut one);
        let mut two = vec![0.0f64; len];
        s.fill(start, &mut two[..cut]);
        s.fill(start + cut, &mut two[cut..]);
        prop_assert_eq!(one, two);
    }
}

/// Sample moments of 1e6 Gaussian draws, each within about 5 standard errors:
/// mean (SE `1/sqrt(n)`), variance (SE `sqrt(2/n)`), kurtosis (3 for a normal;
/// the sample excess kurtosis has variance about `24/n`, so SE `sqrt(24/n)`).
#[test]
fn gaussian_moments() {
    let n = 1_000_000;
    let nf = n as f64;
    let mut sum = 0.0;
    let mut max_abs = 0.0f64;
    let mut all = Vec::with_capacity(n);
    // Several keys so that the test does not hinge on one stream.
    for probe in 0..4u32 {
        let z = draws(NoiseKey::new(2024, 17, probe), NoiseKind::Gaussian, n / 4);
        all.extend_from_slice(&z);
    }
    for z in &all {
        sum += z;
        max_abs = max_abs.max(z.abs());
    }
    let mean = sum / nf;
    let (mut m2, mut m4) = (0.0, 0.0);
    for z in &all {
        let d = z - mean;
        m2 += d * d;
        m4 += d * d * d * d;
    }
    let var = m2 / nf;
    let kurtosis = (m4 / nf) / (var * var);
    println!(
        "gaussian n={n}: mean {mean:.3e}, variance {var:.5}, kurtosis {kurtosis:.4}, max |z| {max_abs:.4}"
    );
    assert!(mean.abs() < 5.0 / nf.sqrt(), "mean {mean}");
    assert!(
        (var - 1.0).abs() < 5.0 * (2.0 / nf).sqrt(),
        "variance {var}"
    );
    assert!(
        (kurtosis - 3.0).abs() < 5.0 * (24.0 / nf).sqrt(),
        "kurtosis {kurtosis}"
    );
    assert!(max_abs <= GAUSSIAN_MAX_ABS, "{max_abs}");
    // The tails are there: about 2,700 of 1e6 normal draws exceed 3 in magnitude.
    let beyond3 = all.iter().filter(|z| z.abs() > 3.0).count() as f64;
    let p = 0.002_699_796;
    assert!(
        (beyond3 - p * nf).abs() < 5.0 * (p * nf).sqrt(),
        "{beyond3}"
    );
    // Both halves of each Box-Muller pair are standard normal: in every group
    // of 16 elements, the first 8 are cosine halves and the last 8 sine halves.
    for half in 0..2 {
        let part: Vec<f64> = all
            .iter()
            .enumerate()
            .filter(|(i, _)| (i / 8) % 2 == half)
            .map(|(_, z)| *z)
            .collect();
        let m = part.iter().sum::<f64>() / part.len() as f64;
        let v = part.iter().map(|z| (z - m) * (z - m)).sum::<f64>() / part.len() as f64;
        let hn = part.len() as f64;
        assert!(m.abs() < 5.0 / hn.sqrt(), "half {half}: mean {m}");
        assert!(
            (v - 1.0).abs() < 5.0 * (2.0 / hn).sqrt(),
            "half {half}: var {v}"
        );
    }
}

/// Every position of a block (the generator works on blocks of 64 elements
/// in lanes) has mean 0 and variance 1, each within 5 standard errors over
/// 16,384 blocks.
#[test]
fn every_block_position_is_standard_normal() {
    let blocks = 16_384;
    let z = draws(
        NoiseKey::new(8, 9, 10),
        NoiseKind::Gaussian,
        blocks * BLOCK_LEN,
    );
    let n = blocks as f64;
    for j in 0..BLOCK_LEN {
        let col: Vec<f64> = z.iter().skip(j).step_by(BLOCK_LEN).copied().collect();
        let m = col.iter().sum::<f64>() / n;
        let v = col.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
        assert!(m.abs() < 5.0 / n.sqrt(), "position {j}: mean {m}");
        assert!(
            (v - 1.0).abs() < 5.0 * (2.0 / n).sqrt(),
            "position {j}: var {v}"
        );
    }
}

/// The two halves of a Box-Muller pair (elements `16 g + l` and
/// `16 g + 8 + l`) are independent normals: neither they nor their squares
/// (which would be tied through a shared radius if the angle were not
/// uniform) are correlated, within 5 standard errors over 5e5 pairs.
#[test]
fn halves_of_a_pair_are_independent() {
    let z = draws(NoiseKey::new(3, 1, 4), NoiseKind::Gaussian, 1 << 20);
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for (i, x) in z.iter().enumerate() {
        if (i / 8) % 2 == 0 {
            first.push(*x);
            second.push(z[i + 8]);
        }
    }
    let tol = 5.0 / (first.len() as f64).sqrt();
    let c = correlation(&first, &second);
    assert!(c.abs() < tol, "correlation {c}");
    let sq = |v: &[f64]| v.iter().map(|x| x * x).collect::<Vec<f64>>();
    let c2 = correlation(&sq(&first), &sq(&second));
    assert!(c2.abs() < tol, "correlation of squares {c2}");
}

/// Rademacher elements are exactly +1 or -1, balanced within 5 standard errors
/// (the mean of n signs has SE `1/sqrt(n)`), for every bit position of a word.
#[test]
fn rademacher_is_balanced_signs() {
    let n = 1_000_000;
    let z = draws(NoiseKey::new(77, 3, 1), NoiseKind::Rademacher, n);
    assert!(z.iter().all(|&x| x == 1.0 || x == -1.0));
    let mean = z.iter().sum::<f64>() / n as f64;
    println!("rademacher n={n}: mean {mean:.3e}");
    assert!(mean.abs() < 5.0 / (n as f64).sqrt(), "mean {mean}");
    // Each of the 64 bit positions is balanced on its own.
    let per_bit = n / 64;
    for bit in 0..64 {
        let m = z.iter().skip(bit).step_by(64).sum::<f64>() / per_bit as f64;
        assert!(m.abs() < 5.0 / (per_bit as f64).sqrt(), "bit {bit}: {m}");
    }
}

#[test]
fn gaussian_bound_holds_in_f32_too() {
    let s = NoiseStream::new(NoiseKey::new(9, 9, 9), NoiseKind::Gaussian);
    let mut z = vec![0.0f32; 200_000];
    s.fill(0, &mut z);
    assert!(
        z.iter()
            .all(|x| x.is_finite() && (x.abs() as f64) <= GAUSSIAN_MAX_ABS)
    );
    assert_eq!(s.kind(), NoiseKind::Gaussian);
}

/// The block path (`fill`, through `for_each_block`) equals the scalar
/// definition `value_f64` on every element of long streams, f64 bit for bit.
#[test]
fn block_path_equals_scalar_definition_on_long_streams() {
    let mut buf = vec![0.0f64; 1 << 20];
    for (probe, kind) in [
        (0, NoiseKind::Gaussian),
        (1, NoiseKind::Gaussian),
        (2, NoiseKind::Gaussian),
        (3, NoiseKind::Gaussian),
        (4, NoiseKind::Gaussian),
        (5, NoiseKind::Gaussian),
        (6, NoiseKind::Gaussian),
        (7, NoiseKind::Gaussian),
        (0, NoiseKind::Rademacher),
    ] {
        let s = NoiseStream::new(NoiseKey::new(2024, 17, probe), kind);
        s.fill(0, &mut buf);
        for (i, z) in buf.iter().enumerate() {
            assert_eq!(
                z.to_bits(),
                s.value_f64(i).to_bits(),
                "{kind:?} probe {probe} element {i}"
            );
        }
    }
}

fn low_rank_layout() -> ParamLayout {
    ParamLayout::new(&[
        Block::Matrix { rows: 19, cols: 5 },
        Block::Vector { len: 7 },
        Block::Matrix { rows: 3, cols: 40 },
    ])
    .unwrap()
}

/// Low-rank noise: `for_each_scaled_indexed`, `fill` in any chunking and
/// the factors `A B^T / sqrt(r)` give the same values, bit for bit.
#[test]
fn low_rank_kernels_agree_with_fill_and_factors() {
    let layout = low_rank_layout();
    let p = layout.num_params();
    for rank in [1usize, 2, 3] {
        let noise = StepNoise::structured(
            5,
            9,
            NoiseKind::Gaussian,
            NoiseStructure::LowRank { rank },
            &layout,
        );
        let mut seen = [0.0f64; 19 * 5 + 7 + 3 * 40];
        noise.for_each_scaled_indexed(p, 2, 1.0, |i, z| seen[i] = z);
        let mut filled = [0.0f64; 19 * 5 + 7 + 3 * 40];
        noise.fill(2, 0, &mut filled);
        // Any chunking of `fill` gives the same values.
        let mut chunked = [0.0f64; 19 * 5 + 7 + 3 * 40];
        for (c, part) in chunked.chunks_mut(13).enumerate() {
            noise.fill(2, c * 13, part);
        }
        // Dense reference from the factors.
        let mut a = [0.0f64; 19 * 3];
        let mut b = [0.0f64; 5 * 3];
        noise.factors(2, 0, &mut a[..19 * rank], &mut b[..5 * rank]);
        let inv = 1.0 / (rank as f64).sqrt();
        for j in 0..5 {
            for i in 0..19 {
                let mut s = a[i] * b[j];
                for l in 1..rank {
                    s += a[i + l * 19] * b[j + l * 5];
                }
                assert_eq!((s * inv).to_bits(), seen[i + j * 19].to_bits());
            }
        }
        for i in 0..p {
            assert_eq!(seen[i].to_bits(), filled[i].to_bits(), "rank {rank}, {i}");
            assert_eq!(seen[i].to_bits(), chunked[i].to_bits(), "rank {rank}, {i}");
        }
        // The vector block is the probe's ordinary stream at its offset.
        assert_eq!(
            seen[95].to_bits(),
            noise.stream(2).value::<f64>(95).to_bits()
        );
    }
}
