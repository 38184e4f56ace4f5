//! B1 kernel throughput: `perturb` and the update `w += c z` (`add_scaled_noise`) for `P = 1e3 .. 1e7`, `f32`/`f64`, Gaussian/Rademacher, beside `memcpy` and an axpy over stored noise of the same length (the reference).

use std::fmt::Write as _;
use std::hint::black_box;

use dopamine_core::perturb::{add_scaled_noise, perturb};
use dopamine_core::{NoiseKey, NoiseKind, NoiseStream, Real};

use super::benchmark::{BenchContext, Benchmark};
use super::harness::{Sampling, TargetCheck, interleaved_medians, met, ratio};
use crate::error::BenchError;
use crate::markdown::{Table, fmt_sig};
use crate::mode::ByMode;

/// B1: the noise kernels' throughput against an axpy over stored noise; the update's ratios are targets.
pub struct KernelThroughput;

/// B1, as the list holds it.
pub const B1: KernelThroughput = KernelThroughput;

/// The lengths `P` measured.
const KERNEL_SIZES: ByMode<&[usize]> = ByMode {
    full: &[1_000, 10_000, 100_000, 1_000_000, 10_000_000],
    quick: &[1_000, 100_000],
};

/// `1e6` for a power of ten, the number otherwise.
fn size_label(p: usize) -> String {
    let e = (p as f64).log10().round() as i32;
    if 10usize.pow(e as u32) == p {
        format!("1e{e}")
    } else {
        p.to_string()
    }
}

/// Seconds per call of memcpy, axpy, perturb and update at length `p`.
fn kernel_point<T: Real>(p: usize, kind: NoiseKind, s: &Sampling) -> Vec<f64> {
    let stream = NoiseStream::new(NoiseKey::new(1, 2, 3), kind);
    let mut stored = vec![T::ZERO; p];
    stream.fill(0, &mut stored);
    let source: Vec<T> = (0..p)
        .map(|i| T::from_f64((i % 97) as f64 * 1e-2))
        .collect();
    let mut copy = vec![T::ZERO; p];
    let mut w_axpy = source.clone();
    let mut w_perturb = source.clone();
    let mut w_update = source.clone();
    let sigma = T::from_f64(1e-7);
    let c = T::from_f64(-1e-7);
    let mut memcpy = || copy.copy_from_slice(black_box(&source));
    let mut axpy = || {
        for (w, z) in w_axpy.iter_mut().zip(black_box(&stored)) {
            *w += c * *z;
        }
    };
    let mut perturb_call = || perturb(black_box(&mut w_perturb), &stream, sigma);
    let mut update = || {
        black_box(add_scaled_noise(black_box(&mut w_update), &stream, c));
    };
    interleaved_medians(
        s.samples,
        s.min_sample_seconds,
        &mut [&mut memcpy, &mut axpy, &mut perturb_call, &mut update],
    )
}

/// Whether this CPU runs the AVX2 generator, in words.
fn simd_note() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        return "this CPU has it";
    }
    "this CPU does not, so the scalar generator ran"
}

impl Benchmark for KernelThroughput {
    fn id(&self) -> &'static str {
        "B1"
    }

    fn name(&self) -> &'static str {
        "kernel throughput"
    }

    fn run(
        &self,
        context: &BenchContext<'_>,
        out: &mut String,
        checks: &mut Vec<TargetCheck>,
    ) -> Result<(), BenchError> {
        let s = &context.sampling;
        let mut table = Table::new([
            "P",
            "type",
            "noise",
            "axpy ns/elem (reference)",
            "memcpy / axpy",
            "perturb / axpy",
            "update / axpy",
            "target",
            "met",
        ]);
        for &p in KERNEL_SIZES.get(context.mode) {
            for (type_name, is_f32) in [("f32", true), ("f64", false)] {
                for (kind_name, kind, limit) in [
                    ("Gaussian", NoiseKind::Gaussian, 3.0),
                    ("Rademacher", NoiseKind::Rademacher, 1.5),
                ] {
                    let t = if is_f32 {
                        kernel_point::<f32>(p, kind, s)
                    } else {
                        kernel_point::<f64>(p, kind, s)
                    };
                    let update = t[3] / t[1];
                    let ok = update <= limit;
                    table.row([
                        size_label(p),
                        type_name.to_string(),
                        kind_name.to_string(),
                        fmt_sig(t[1] / p as f64 * 1e9, 3),
                        ratio(t[0] / t[1]),
                        ratio(t[2] / t[1]),
                        ratio(update),
                        format!("<= {limit}"),
                        met(ok).to_string(),
                    ]);
                    checks.push(TargetCheck {
                        name: format!("B1 {type_name} {kind_name} P={}", size_label(p)),
                        measured: update,
                        target: format!("<= {limit}"),
                        met: ok,
                    });
                }
            }
        }
        let _ = writeln!(
            out,
            "Seconds per call over the same length `P`, as ratios to an axpy \
         `w += c z` over noise stored in memory (the reference; its absolute time is in the fourth column). \
         `perturb` is `w += sigma z` and `update` is `w += c z` plus the finiteness check, both with `z` \
         regenerated from its key (never stored). Target: update <= 1.5x axpy for Rademacher, <= 3x for \
         Gaussian. The Gaussian kernels run the AVX2 generator when the CPU has it ({simd}); the axpy \
         is plain Rust compiled for the baseline target, as the rest of the workspace.\n\n{}",
            table.render(),
            simd = simd_note(),
        );
        Ok(())
    }
}
