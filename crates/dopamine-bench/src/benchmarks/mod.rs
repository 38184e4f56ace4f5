//! `cargo xtask bench`: how close the kernels and a training step come to what the machine allows (B1, B2, B4, B5, B6, B8).
//!
//! Every figure is a ratio against a reference measured in the same run, on
//! the same machine, interleaved with it: samples of the measured code and of
//! its reference alternate, so a change of load hits both alike, and each
//! figure is the median of its samples. These are benchmarks, not timed
//! tests: a missed target is reported (and explained in
//! `docs/benchmarks.md`), never a failure. B3 (no allocation per step) is a
//! test: `tests/no_alloc_training.rs`.
//!
//! * **B1** kernel throughput: `perturb` and the update `w += c z`
//!   (`add_scaled_noise`) for `P = 1e3 .. 1e7`, `f32`/`f64`,
//!   Gaussian/Rademacher, beside `memcpy` and an axpy over stored noise of the
//!   same length (the reference).
//! * **B2** step overhead: a Dopamine-1 step over two forward passes, RNN
//!   `H = 64`, `T = 1000`.
//! * **B4** memory: peak heap bytes of a training run, Dopamine-1 against
//!   Adam-BPTT, `H = 64`, `T` in {500, 2000, 8000} (needs the counting
//!   allocator installed by the binary).
//! * **B5** parallel probes: `K = 8` probes per step on 2 threads against 1,
//!   and bit-identity of the results.
//! * **B6** scaling: time per step against `H` for Dopamine-1 and Adam-BPTT,
//!   achieved GFLOP/s beside faer's matrix-vector and matrix-matrix rates,
//!   and growth with `H` and `T`.
//! * **B8** single forward pass (`forward.rs`): ns per time step of the RNN's
//!   streamed loss against faer's matvec plus the vectorised `tanh`, `H` in
//!   {16, 64, 256}, `f32` (targets) and `f64`.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Instant;

use dopamine_core::perturb::{add_scaled_noise, perturb};
use dopamine_core::{NoiseKey, NoiseKind, NoiseStream, Real};
use dopamine_nets::{Bptt, Rnn, RnnInit};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};

use dopamine_meter::CountingAllocator;
use dopamine_train::{
    AdamSettings, Dopamine1Settings, Objective, OptimizerSpec, ProbePool, RnnObjective,
};

use crate::error::BenchError;
use crate::experiments::cost::sine_sequence;
use crate::machine::MachineInfo;
use crate::markdown::{Table, fmt_sig};
use crate::mode::Mode;

mod forward;
mod population;

/// What `cargo xtask bench` was asked to do.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// `Quick` for CI: smaller sizes, fewer samples.
    pub mode: Mode,
    /// The command line, written into the report.
    pub command: String,
}

/// One target of the issue and what was measured against it.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetCheck {
    /// Benchmark id and case, e.g. `B1 f64 Gaussian P=1e6`.
    pub name: String,
    /// The measured ratio.
    pub measured: f64,
    /// The target, as text (`<= 1.5`).
    pub target: String,
    /// Whether the target is met.
    pub met: bool,
}

/// The report: Markdown for `docs/benchmarks.md` and the target checks.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// The whole document.
    pub markdown: String,
    /// Every target, met or not.
    pub checks: Vec<TargetCheck>,
}

struct Settings {
    samples: usize,
    /// Minimum time of one sample (calls are repeated until it is reached).
    min_sample_seconds: f64,
    kernel_sizes: Vec<usize>,
    b2_seq_len: usize,
    b4_seq_lens: Vec<usize>,
    b5_seq_len: usize,
    b6_hidden: Vec<usize>,
    b6_seq_len: usize,
    b6_seq_lens: Vec<usize>,
}

impl Settings {
    fn new(mode: Mode) -> Settings {
        match mode {
            Mode::Full => Settings {
                samples: 11,
                min_sample_seconds: 0.01,
                kernel_sizes: vec![1_000, 10_000, 100_000, 1_000_000, 10_000_000],
                b2_seq_len: 1000,
                b4_seq_lens: vec![500, 2000, 8000],
                b5_seq_len: 1000,
                b6_hidden: vec![16, 32, 64, 128, 256, 512, 1024],
                b6_seq_len: 200,
                b6_seq_lens: vec![250, 1000, 4000],
            },
            Mode::Quick => Settings {
                samples: 5,
                min_sample_seconds: 0.002,
                kernel_sizes: vec![1_000, 100_000],
                b2_seq_len: 1000,
                b4_seq_lens: vec![500, 2000],
                b5_seq_len: 300,
                b6_hidden: vec![16, 64, 256],
                b6_seq_len: 100,
                b6_seq_lens: vec![250, 1000],
            },
        }
    }
}

/// Median seconds per call of each closure. Each closure is first run once
/// and timed, to choose how many calls make one sample of at least
/// `min_sample_seconds`; then the samples are taken in turn — one of each
/// closure, `samples` times — so that a change of machine load during the
/// measurement hits every closure alike.
pub fn interleaved_medians(
    samples: usize,
    min_sample_seconds: f64,
    closures: &mut [&mut dyn FnMut()],
) -> Vec<f64> {
    let reps: Vec<u32> = closures
        .iter_mut()
        .map(|f| {
            let t0 = Instant::now();
            f();
            let once = t0.elapsed().as_secs_f64().max(1e-9);
            ((min_sample_seconds / once).ceil() as u32).clamp(1, 1_000_000)
        })
        .collect();
    let mut times = vec![Vec::with_capacity(samples); closures.len()];
    for _ in 0..samples.max(1) {
        for ((f, &n), t) in closures.iter_mut().zip(&reps).zip(&mut times) {
            let t0 = Instant::now();
            for _ in 0..n {
                f();
            }
            t.push(t0.elapsed().as_secs_f64() / f64::from(n));
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        })
        .collect()
}

/// The 1-minute load average, if the OS reports one.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

fn ratio(x: f64) -> String {
    fmt_sig(x, 3)
}

fn met(ok: bool) -> &'static str {
    if ok { "yes" } else { "**no**" }
}

fn size_label(p: usize) -> String {
    let e = (p as f64).log10().round() as i32;
    if 10usize.pow(e as u32) == p {
        format!("1e{e}")
    } else {
        p.to_string()
    }
}

/// Seconds per call of memcpy, axpy, perturb and update at length `p`.
fn kernel_point<T: Real>(p: usize, kind: NoiseKind, s: &Settings) -> Vec<f64> {
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

fn b1(s: &Settings, out: &mut String, checks: &mut Vec<TargetCheck>) {
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
    for &p in &s.kernel_sizes {
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
        "## B1 kernel throughput\n\nSeconds per call over the same length `P`, as ratios to an axpy \
         `w += c z` over noise stored in memory (the reference; its absolute time is in the fourth column). \
         `perturb` is `w += sigma z` and `update` is `w += c z` plus the finiteness check, both with `z` \
         regenerated from its key (never stored). Target: update <= 1.5x axpy for Rademacher, <= 3x for \
         Gaussian. The Gaussian kernels run the AVX2 generator when the CPU has it ({simd}); the axpy \
         is plain Rust compiled for the baseline target, as the rest of the workspace.\n\n{}",
        table.render(),
        simd = simd_note(),
    );
}

fn rnn_objective(hidden: usize, seq_len: usize) -> Result<RnnObjective<f64>, BenchError> {
    let (inputs, targets) = sine_sequence(seq_len);
    let net = Rnn::new(1, hidden, 1, &RnnInit::with_seed(1))?;
    Ok(RnnObjective::new(net, inputs, targets, 0, Bptt::Full)?)
}

fn dopamine1(probes: usize) -> OptimizerSpec {
    OptimizerSpec::Dopamine1(Dopamine1Settings {
        sigma: 1e-3,
        eta: 1e-3,
        probes,
        beta: 0.9,
        ..Default::default()
    })
}

fn adam() -> OptimizerSpec {
    OptimizerSpec::Adam(AdamSettings { lr: 1e-4 })
}

fn b2(s: &Settings, out: &mut String, checks: &mut Vec<TargetCheck>) -> Result<(), BenchError> {
    let hidden = 64;
    let seq_len = s.b2_seq_len;
    let obj = std::cell::RefCell::new(rnn_objective(hidden, seq_len)?);
    let dim = obj.borrow().params().len();
    let mut opt = dopamine1(1).build::<f64>(dim, 1, u64::MAX)?;
    let mut noise_params = obj.borrow().params().to_vec();
    let stream = NoiseStream::new(NoiseKey::new(1, 0, 0), NoiseKind::Gaussian);
    // The reference forward pass runs on the model being trained, at its
    // current parameters: the cost of `tanh` depends on where the
    // pre-activations fall, so an untrained copy would be a different reference.
    let mut forward = || {
        black_box(obj.borrow_mut().loss());
    };
    let mut step = || {
        black_box(
            opt.step(&mut *obj.borrow_mut())
                .map(|i| i.loss)
                .unwrap_or(f64::NAN),
        );
    };
    let mut noise = || {
        black_box(add_scaled_noise(&mut noise_params, &stream, 1e-12));
    };
    let t = interleaved_medians(
        s.samples,
        s.min_sample_seconds,
        &mut [&mut forward, &mut step, &mut noise],
    );
    let overhead = t[1] / (2.0 * t[0]);
    let ok = overhead <= 1.10;
    checks.push(TargetCheck {
        name: "B2 Dopamine-1 step / 2 forward passes".to_string(),
        measured: overhead,
        target: "<= 1.1".to_string(),
        met: ok,
    });
    let mut table = Table::new(["quantity", "value"]);
    table.row(["parameters P".to_string(), dim.to_string()]);
    table.row([
        "forward pass (reference), ms".to_string(),
        fmt_sig(t[0] * 1e3, 3),
    ]);
    table.row(["Dopamine-1 step, ms".to_string(), fmt_sig(t[1] * 1e3, 3)]);
    table.row([
        "step / (2 x forward)".to_string(),
        format!("{} (target <= 1.10, met: {})", ratio(overhead), met(ok)),
    ]);
    table.row([
        "one noise pass over P (perturb, restore or update) / forward".to_string(),
        ratio(t[2] / t[0]),
    ]);
    table.row([
        "three noise passes / (step - 2 x forward)".to_string(),
        ratio(3.0 * t[2] / (t[1] - 2.0 * t[0])),
    ]);
    let _ = writeln!(
        out,
        "## B2 step overhead\n\nA Dopamine-1 step (K = 1: baseline, one probe, update) on an RNN with \
         H = {hidden}, T = {seq_len}, against two forward passes of the same model measured in the same \
         run. The step's extra work is three passes of regenerated noise over the parameters \
         (perturb, restore, update).\n\n{}",
        table.render()
    );
    Ok(())
}

fn b4(
    s: &Settings,
    meter: Option<&CountingAllocator>,
    out: &mut String,
    checks: &mut Vec<TargetCheck>,
) -> Result<(), BenchError> {
    let hidden = 64;
    let steps = 3;
    let mut table = Table::new([
        "T",
        "Dopamine-1 peak heap (bytes)",
        "Adam-BPTT peak heap (bytes)",
        "Adam / Dopamine-1",
    ]);
    let Some(meter) = meter else {
        let _ = writeln!(
            out,
            "## B4 memory\n\nNot measured: the binary did not install the counting allocator.\n"
        );
        return Ok(());
    };
    let mut dopamine_peaks = Vec::new();
    for &seq_len in &s.b4_seq_lens {
        let mut peaks = [0u64; 2];
        for (peak, spec) in peaks.iter_mut().zip([dopamine1(1), adam()]) {
            // The data exists before the run: it is the task's, not the optimizer's.
            let (inputs, targets) = sine_sequence(seq_len);
            meter.reset_peak();
            let base = meter.snapshot().current_bytes;
            let net = Rnn::new(1, hidden, 1, &RnnInit::with_seed(1))?;
            let mut obj = RnnObjective::new(net, inputs, targets, 0, Bptt::Full)?;
            let mut opt = spec.build::<f64>(obj.params().len(), 1, steps)?;
            for _ in 0..steps {
                opt.step(&mut obj)?;
            }
            *peak = meter.snapshot().peak_bytes.saturating_sub(base);
        }
        dopamine_peaks.push(peaks[0]);
        table.row([
            seq_len.to_string(),
            peaks[0].to_string(),
            peaks[1].to_string(),
            ratio(peaks[1] as f64 / peaks[0] as f64),
        ]);
    }
    let flat = dopamine_peaks.windows(2).all(|w| w[0] == w[1]);
    checks.push(TargetCheck {
        name: "B4 Dopamine-1 peak heap independent of T".to_string(),
        measured: *dopamine_peaks.last().unwrap_or(&0) as f64
            / *dopamine_peaks.first().unwrap_or(&1) as f64,
        target: "== 1 (last T / first T)".to_string(),
        met: flat,
    });
    let _ = writeln!(
        out,
        "## B4 memory\n\nPeak heap bytes of building the model, the objective and the optimizer and \
         running {steps} steps, RNN H = {hidden}, measured with the counting global allocator \
         (the training data is allocated before the measurement starts). Dopamine-1's figure \
         does not depend on T: {}.\n\n{}",
        if flat {
            "yes, the same bytes at every T"
        } else {
            "**no**"
        },
        table.render()
    );
    Ok(())
}

fn b5(s: &Settings, out: &mut String, checks: &mut Vec<TargetCheck>) -> Result<(), BenchError> {
    let hidden = 64;
    let seq_len = s.b5_seq_len;
    let probes = 8;
    let base = rnn_objective(hidden, seq_len)?;
    let dim = base.params().len();
    // Bit-identity over a few steps.
    let check_steps = 4;
    let mut seq_obj = base.clone();
    let mut seq_opt = dopamine1(probes).build::<f64>(dim, 5, u64::MAX)?;
    let mut par_obj = base.clone();
    let mut par_opt = dopamine1(probes).build::<f64>(dim, 5, u64::MAX)?;
    let mut pool2 = ProbePool::new(&base, 2)?;
    let mut identical = true;
    for _ in 0..check_steps {
        let a = seq_opt.step(&mut seq_obj)?;
        let b = pool2.step(par_opt.as_mut(), &mut par_obj)?;
        identical &= a.loss.to_bits() == b.loss.to_bits();
    }
    identical &= seq_obj
        .params()
        .iter()
        .zip(par_obj.params())
        .all(|(a, b)| a.to_bits() == b.to_bits());
    identical &= seq_opt.save_state()? == par_opt.save_state()?;
    let mut pool1 = ProbePool::new(&base, 1)?;
    let mut obj1 = par_obj.clone();
    let mut opt1 = dopamine1(probes).build::<f64>(dim, 5, u64::MAX)?;
    opt1.load_state(&par_opt.save_state()?)?;
    let mut sequential = || {
        black_box(seq_opt.step(&mut seq_obj).map(|i| i.loss).ok());
    };
    let mut one_thread = || {
        black_box(pool1.step(opt1.as_mut(), &mut obj1).map(|i| i.loss).ok());
    };
    let mut two_threads = || {
        black_box(
            pool2
                .step(par_opt.as_mut(), &mut par_obj)
                .map(|i| i.loss)
                .ok(),
        );
    };
    // A same-run reference for the threads: the same 9 forward passes,
    // independent of each other (no replay, no noise), on 1 and 2 threads.
    let mut independent: Vec<RnnObjective<f64>> = (0..=probes).map(|_| base.clone()).collect();
    let mut independent_par = independent.clone();
    let reference_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .map_err(|e| BenchError::Setup(format!("thread pool: {e}")))?;
    let mut forwards_one = || {
        for o in &mut independent {
            black_box(o.loss());
        }
    };
    let mut forwards_two = || {
        use rayon::prelude::*;
        reference_pool.install(|| {
            independent_par
                .par_iter_mut()
                .with_max_len(1)
                .for_each(|o| {
                    black_box(o.loss());
                });
        });
    };
    // Samples of a few consecutive steps each (a sleeping pool thread wakes
    // once per sample, not once per step), interleaved between the runs.
    let t = interleaved_medians(
        s.samples,
        0.04,
        &mut [
            &mut sequential,
            &mut one_thread,
            &mut two_threads,
            &mut forwards_one,
            &mut forwards_two,
        ],
    );
    let speedup = t[0] / t[2];
    let ceiling = t[3] / t[4];
    let ok = speedup >= 1.7 && identical;
    checks.push(TargetCheck {
        name: "B5 K=8 probes, 2 threads vs 1".to_string(),
        measured: speedup,
        target: ">= 1.7, bit-identical".to_string(),
        met: ok,
    });
    let mut table = Table::new(["run", "ms per step", "speedup over sequential"]);
    table.row([
        "sequential `Optimizer::step` (reference)".to_string(),
        fmt_sig(t[0] * 1e3, 3),
        "1".to_string(),
    ]);
    table.row([
        "probe pool, 1 thread".to_string(),
        fmt_sig(t[1] * 1e3, 3),
        ratio(t[0] / t[1]),
    ]);
    table.row([
        "probe pool, 2 threads".to_string(),
        fmt_sig(t[2] * 1e3, 3),
        ratio(speedup),
    ]);
    table.row([
        format!(
            "reference: {} independent forward passes, 1 thread",
            probes + 1
        ),
        fmt_sig(t[3] * 1e3, 3),
        "-".to_string(),
    ]);
    table.row([
        format!(
            "reference: {} independent forward passes, 2 threads",
            probes + 1
        ),
        fmt_sig(t[4] * 1e3, 3),
        format!("{} (threads' gain on independent work)", ratio(ceiling)),
    ]);
    let _ = writeln!(
        out,
        "## B5 parallel probes\n\nDopamine-1 with K = {probes} probes per step, RNN H = {hidden}, \
         T = {seq_len}: the baseline and the {probes} probe losses of a step evaluated on a 2-thread \
         pool ([`ProbePool`](../crates/dopamine-train/src/probe_pool.rs)) against the \
         sequential step. Target: speedup >= 1.7 (met: {}). Results bit-identical to the \
         sequential run over {check_steps} steps (parameters, losses and the whole optimizer \
         state): {}. With 9 equal evaluations per step on 2 threads the best possible speedup is \
         9/5 = 1.8 on two full cores (see Findings). The \
         last two rows time the same {n} forward passes with nothing shared and nothing \
         serial, in the same run: what the two threads gave on independent work ({ceiling}x; \
         the pool got {share}% of it).\n\n{}",
        met(speedup >= 1.7),
        if identical { "yes" } else { "**no**" },
        table.render(),
        n = probes + 1,
        ceiling = ratio(ceiling),
        share = fmt_sig(100.0 * speedup / ceiling, 3),
    );
    Ok(())
}

/// Seconds of one `H x H` by `H x cols` product with faer, sequential.
fn faer_product_seconds(hidden: usize, cols: usize, s: &Settings) -> f64 {
    let a = Mat::<f64>::from_fn(hidden, hidden, |i, j| ((i * 7 + j * 3) % 11) as f64 * 0.01);
    let b = Mat::<f64>::from_fn(hidden, cols, |i, j| ((i + j) % 5) as f64 * 0.1);
    let mut c = Mat::<f64>::zeros(hidden, cols);
    let mut product = || {
        matmul(
            c.as_mut(),
            Accum::Replace,
            a.as_ref(),
            b.as_ref(),
            1.0,
            Par::Seq,
        );
        black_box(&c);
    };
    interleaved_medians(s.samples.min(5), s.min_sample_seconds, &mut [&mut product])[0]
}

/// Seconds per step and FLOPs per step of Dopamine-1 and Adam-BPTT.
fn step_costs(
    hidden: usize,
    seq_len: usize,
    samples: usize,
) -> Result<[(f64, u64); 2], BenchError> {
    let mut result = [(0.0, 0); 2];
    let mut objs = [
        rnn_objective(hidden, seq_len)?,
        rnn_objective(hidden, seq_len)?,
    ];
    let dim = objs[0].params().len();
    let mut opts = [
        dopamine1(1).build::<f64>(dim, 1, u64::MAX)?,
        adam().build::<f64>(dim, 1, u64::MAX)?,
    ];
    let mut flops = [0u64; 2];
    for ((opt, obj), f) in opts.iter_mut().zip(&mut objs).zip(&mut flops) {
        // Warm-up (Adam builds its BPTT workspace on the first step).
        let info = opt.step(obj)?;
        let c = obj.cost();
        *f = info.forward_passes * c.forward_flops + info.backward_passes * c.backward_flops;
    }
    let [o0, o1] = &mut opts;
    let [b0, b1] = &mut objs;
    let mut d1 = || {
        black_box(o0.step(b0).map(|i| i.loss).ok());
    };
    let mut ad = || {
        black_box(o1.step(b1).map(|i| i.loss).ok());
    };
    let t = interleaved_medians(samples, 0.0, &mut [&mut d1, &mut ad]);
    for (r, (t, f)) in result.iter_mut().zip(t.into_iter().zip(flops)) {
        *r = (t, f);
    }
    Ok(result)
}

fn growth(x: &[usize], y: &[f64]) -> f64 {
    let n = x.len();
    if n < 2 {
        return f64::NAN;
    }
    (y[n - 1] / y[n - 2]).ln() / (x[n - 1] as f64 / x[n - 2] as f64).ln()
}

fn b6(s: &Settings, out: &mut String) -> Result<(), BenchError> {
    let seq_len = s.b6_seq_len;
    let mut table = Table::new([
        "H",
        "P",
        "Dopamine-1 s/step",
        "Dopamine-1 GFLOP/s",
        "Adam-BPTT s/step",
        "Adam-BPTT GFLOP/s",
        "faer matvec GFLOP/s",
        "faer matmul GFLOP/s",
        "Dopamine-1 / matvec rate",
    ]);
    let mut times = [Vec::new(), Vec::new()];
    for &h in &s.b6_hidden {
        let samples = if h >= 512 { 3 } else { s.samples.min(7) };
        let [(td, fd), (ta, fa)] = step_costs(h, seq_len, samples)?;
        let matvec = 2.0 * (h * h) as f64 / faer_product_seconds(h, 1, s) / 1e9;
        let matmul_rate = 2.0 * (h * h * h) as f64 / faer_product_seconds(h, h, s) / 1e9;
        let gd = fd as f64 / td / 1e9;
        let ga = fa as f64 / ta / 1e9;
        times[0].push(td);
        times[1].push(ta);
        table.row([
            h.to_string(),
            Rnn::<f64>::param_count(1, h, 1).to_string(),
            fmt_sig(td, 3),
            fmt_sig(gd, 3),
            fmt_sig(ta, 3),
            fmt_sig(ga, 3),
            fmt_sig(matvec, 3),
            fmt_sig(matmul_rate, 3),
            ratio(gd / matvec),
        ]);
    }
    let hidden_fixed = 64;
    let mut by_t = Table::new([
        "T",
        "Dopamine-1 s/step",
        "Adam-BPTT s/step",
        "Adam / Dopamine-1",
    ]);
    let mut times_t = [Vec::new(), Vec::new()];
    for &t in &s.b6_seq_lens {
        let [(td, _), (ta, _)] = step_costs(hidden_fixed, t, s.samples.min(7))?;
        times_t[0].push(td);
        times_t[1].push(ta);
        by_t.row([
            t.to_string(),
            fmt_sig(td, 3),
            fmt_sig(ta, 3),
            ratio(ta / td),
        ]);
    }
    let _ = writeln!(
        out,
        "## B6 scaling\n\nTime per training step against the hidden size H at T = {seq_len} \
         (Dopamine-1: two forward passes and three noise passes; Adam-BPTT: one forward and one \
         backward pass), with the achieved rate (model FLOP accounting of `dopamine_nets::Cost`) \
         beside faer's sequential rate for the same shapes measured in the same run: `H x H` by \
         `H x 1` (matvec, what one recurrence step does) and `H x H` by `H x H` (matmul, the \
         machine's best case).\n\n{}\nGrowth exponent between the two largest H (time ~ H^e): \
         Dopamine-1 {}, Adam-BPTT {}.\n\nAgainst T at H = {hidden_fixed}:\n\n{}\nGrowth exponent \
         between the two largest T (time ~ T^e): Dopamine-1 {}, Adam-BPTT {}.\n",
        table.render(),
        fmt_sig(growth(&s.b6_hidden, &times[0]), 3),
        fmt_sig(growth(&s.b6_hidden, &times[1]), 3),
        by_t.render(),
        fmt_sig(growth(&s.b6_seq_lens, &times_t[0]), 3),
        fmt_sig(growth(&s.b6_seq_lens, &times_t[1]), 3),
    );
    Ok(())
}

/// Runs B1, B2, B4, B5, B6 and B8 and renders `docs/benchmarks.md`.
/// `meter` is the counting allocator the binary installed (B4 needs it).
pub fn run(
    options: &BenchOptions,
    meter: Option<&CountingAllocator>,
) -> Result<BenchReport, BenchError> {
    let s = Settings::new(options.mode);
    let machine = MachineInfo::detect();
    let load_before = load_average();
    let started = Instant::now();
    let mut body = String::new();
    let mut checks = Vec::new();
    b1(&s, &mut body, &mut checks);
    b2(&s, &mut body, &mut checks)?;
    b4(&s, meter, &mut body, &mut checks)?;
    b5(&s, &mut body, &mut checks)?;
    b6(&s, &mut body)?;
    population::b7(&s, &mut body, &mut checks)?;
    forward::b8(&s, &mut body, &mut checks)?;
    let load_after = load_average();
    let mut summary = Table::new(["target", "measured", "target value", "met"]);
    for c in &checks {
        summary.row([
            c.name.clone(),
            ratio(c.measured),
            c.target.clone(),
            met(c.met).to_string(),
        ]);
    }
    let mut markdown = String::new();
    let _ = writeln!(
        markdown,
        "# Benchmarks\n\nGenerated by `{}` ({} mode) in {:.0} s. Every figure is a ratio against a \
         reference measured in the same run, interleaved with it, median of {} samples. \
         1-minute load average before / after: {load_before} / {load_after} (on a machine with \
         {} logical cores; anything above 0 is other work competing for them).\n\n## Machine\n\n{}\n\
         ## Targets\n\n{}\n{body}\n{}",
        options.command,
        match options.mode {
            Mode::Full => "full",
            Mode::Quick => "quick",
        },
        started.elapsed().as_secs_f64(),
        s.samples,
        machine.logical_cores,
        machine.to_markdown(),
        summary.render(),
        include_str!("findings.md"),
    );
    Ok(BenchReport { markdown, checks })
}
