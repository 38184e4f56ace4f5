//! B6 scaling: time per step against `H` for Dopamine-1 and Adam-BPTT, achieved GFLOP/s beside faer's matrix-vector and matrix-matrix rates, and growth with `H` and `T`.

use std::fmt::Write as _;
use std::hint::black_box;

use dopamine_nets::Rnn;
use dopamine_train::Objective;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};

use super::benchmark::{BenchContext, Benchmark};
use super::fixtures::{adam, dopamine1, rnn_objective};
use super::harness::{Sampling, TargetCheck, interleaved_medians, ratio};
use crate::error::BenchError;
use crate::markdown::{Table, fmt_sig};
use crate::mode::ByMode;

/// B6: time per step and achieved rates against H and T (no targets).
pub struct Scaling;

/// B6, as the list holds it.
pub const B6: Scaling = Scaling;

/// The sizes of one mode.
#[derive(Clone, Copy)]
struct Sizes {
    /// Hidden sizes of the sweep over H.
    hidden: &'static [usize],
    /// T of the sweep over H.
    seq_len: usize,
    /// Sequence lengths of the sweep over T (at H = 64).
    seq_lens: &'static [usize],
}

const SIZES: ByMode<Sizes> = ByMode {
    full: Sizes {
        hidden: &[16, 32, 64, 128, 256, 512, 1024],
        seq_len: 200,
        seq_lens: &[250, 1000, 4000],
    },
    quick: Sizes {
        hidden: &[16, 64, 256],
        seq_len: 100,
        seq_lens: &[250, 1000],
    },
};

/// Seconds of one `H x H` by `H x cols` product with faer, sequential.
fn faer_product_seconds(hidden: usize, cols: usize, s: &Sampling) -> f64 {
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

/// The exponent `e` of `y ~ x^e` between the last two points.
fn growth(x: &[usize], y: &[f64]) -> f64 {
    let n = x.len();
    if n < 2 {
        return f64::NAN;
    }
    (y[n - 1] / y[n - 2]).ln() / (x[n - 1] as f64 / x[n - 2] as f64).ln()
}

impl Benchmark for Scaling {
    fn id(&self) -> &'static str {
        "B6"
    }

    fn name(&self) -> &'static str {
        "scaling"
    }

    fn run(
        &self,
        context: &BenchContext<'_>,
        out: &mut String,
        _checks: &mut Vec<TargetCheck>,
    ) -> Result<(), BenchError> {
        let s = &context.sampling;
        let sizes = SIZES.get(context.mode);
        let seq_len = sizes.seq_len;
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
        for &h in sizes.hidden {
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
        for &t in sizes.seq_lens {
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
            "Time per training step against the hidden size H at T = {seq_len} \
         (Dopamine-1: two forward passes and three noise passes; Adam-BPTT: one forward and one \
         backward pass), with the achieved rate (model FLOP accounting of `dopamine_nets::Cost`) \
         beside faer's sequential rate for the same shapes measured in the same run: `H x H` by \
         `H x 1` (matvec, what one recurrence step does) and `H x H` by `H x H` (matmul, the \
         machine's best case).\n\n{}\nGrowth exponent between the two largest H (time ~ H^e): \
         Dopamine-1 {}, Adam-BPTT {}.\n\nAgainst T at H = {hidden_fixed}:\n\n{}\nGrowth exponent \
         between the two largest T (time ~ T^e): Dopamine-1 {}, Adam-BPTT {}.\n",
            table.render(),
            fmt_sig(growth(sizes.hidden, &times[0]), 3),
            fmt_sig(growth(sizes.hidden, &times[1]), 3),
            by_t.render(),
            fmt_sig(growth(sizes.seq_lens, &times_t[0]), 3),
            fmt_sig(growth(sizes.seq_lens, &times_t[1]), 3),
        );
        Ok(())
    }
}
