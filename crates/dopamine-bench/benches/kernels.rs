//! Criterion micro benchmarks of B1: the noise kernels beside memcpy and an axpy over stored noise.
//!
//! For `P` in {1e3, 1e5, 1e6}, `f32` and `f64`, Gaussian and Rademacher
//! noise: `perturb` (`w += sigma z`) and the update `add_scaled_noise`
//! (`w += c z` plus the finiteness check), both regenerating `z` from its
//! key, beside `memcpy` of `P` values and `axpy` over `z` stored in memory —
//! the reference the targets are ratios to (Rademacher update <=
//! 1.5x axpy, Gaussian <= 3x). Throughput is in elements, so criterion's
//! "elem/s" compare directly. `cargo xtask bench` measures the same ratios
//! interleaved and writes them to `docs/benchmarks.md`; this is the quick
//! look. Sample sizes are small on purpose.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_main};
use dopamine_core::perturb::{add_scaled_noise, perturb};
use dopamine_core::{NoiseKey, NoiseKind, NoiseStream, Real};

const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

fn kernels<T: Real>(c: &mut Criterion, type_name: &str) {
    for (kind_name, kind) in [
        ("gaussian", NoiseKind::Gaussian),
        ("rademacher", NoiseKind::Rademacher),
    ] {
        let mut group = c.benchmark_group(format!("kernels_{type_name}_{kind_name}"));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(600));
        for &p in &SIZES {
            group.throughput(Throughput::Elements(p as u64));
            let stream = NoiseStream::new(NoiseKey::new(1, 2, 3), kind);
            let mut stored = vec![T::ZERO; p];
            stream.fill(0, &mut stored);
            let source: Vec<T> = (0..p)
                .map(|i| T::from_f64((i % 97) as f64 * 1e-2))
                .collect();
            let mut w = source.clone();
            let sigma = T::from_f64(1e-7);
            group.bench_function(BenchmarkId::new("memcpy", p), |b| {
                b.iter(|| w.copy_from_slice(black_box(&source)))
            });
            group.bench_function(BenchmarkId::new("axpy", p), |b| {
                b.iter(|| {
                    for (w, z) in w.iter_mut().zip(black_box(&stored)) {
                        *w += sigma * *z;
                    }
                })
            });
            group.bench_function(BenchmarkId::new("perturb", p), |b| {
                b.iter(|| perturb(black_box(&mut w), &stream, sigma))
            });
            group.bench_function(BenchmarkId::new("update", p), |b| {
                b.iter(|| black_box(add_scaled_noise(black_box(&mut w), &stream, sigma)))
            });
        }
        group.finish();
    }
}

fn bench_kernels(c: &mut Criterion) {
    kernels::<f32>(c, "f32");
    kernels::<f64>(c, "f64");
}

// `criterion_group!` generates an undocumented public function.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::bench_kernels);
}

criterion_main!(group::benches);
