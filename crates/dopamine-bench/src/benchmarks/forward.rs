//! B8: one forward pass of the RNN (the streamed loss a perturbation
//! optimizer evaluates) against what one recurrence step must at least do.
//!
//! For `H` in {16, 64, 256} at `T = 1000` (1-D input and output, washout 0):
//! nanoseconds per time step of `Rnn::loss`, and of a same-run reference —
//! faer's `H x H` by `H x 1` product followed by
//! [`dopamine_nets::tanh_in_place`] over the `H` values, fed back as the next
//! step's vector, `T` times — interleaved with it, median of the samples.
//! The ratio is the forward pass's rate over the reference's (reference time
//! over forward time). Targets (`f32`): the ratio is at least 0.7 at
//! `H >= 64`, and at `H = 16` one time step costs at most 100 ns. The `f64`
//! figures are reported beside them, not as targets.

use std::fmt::Write as _;
use std::hint::black_box;

use dopamine_nets::{Rnn, RnnInit, RnnWorkspace, Scalar, tanh_in_place};
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use super::benchmark::{BenchContext, Benchmark};
use super::harness::{Sampling, TargetCheck, interleaved_medians, met, ratio};
use crate::error::BenchError;
use crate::markdown::{Table, fmt_sig};

/// Time steps of the sequence.
const SEQ_LEN: usize = 1000;
/// Hidden sizes measured.
const HIDDEN: [usize; 3] = [16, 64, 256];
/// At `H = 16`, the most one `f32` time step may cost (ns).
const SMALL_TARGET_NS: f64 = 100.0;
/// At `H >= 64`, the least rate of the forward pass relative to the reference.
const RATE_TARGET: f64 = 0.7;

/// Nanoseconds per time step of the forward pass and of the reference.
fn point<T: Scalar>(hidden: usize, s: &Sampling) -> Result<(f64, f64), BenchError> {
    let net = Rnn::<T>::new(1, hidden, 1, &RnnInit::with_seed(1))?;
    let x: Vec<T> = (0..=SEQ_LEN)
        .map(|t| T::from_f64((0.1 * t as f64).sin()))
        .collect();
    let inputs = MatRef::from_column_major_slice(&x[..SEQ_LEN], SEQ_LEN, 1);
    let targets = MatRef::from_column_major_slice(&x[1..], SEQ_LEN, 1);
    let mut ws = RnnWorkspace::new(&net);
    // Fails here, not inside the timing loop, if the data were invalid.
    net.loss(inputs, targets, 0, &mut ws)?;
    let mut forward = || {
        black_box(net.loss(black_box(inputs), targets, 0, &mut ws).ok());
    };
    let w = net.w_hh();
    let mut v = vec![T::from_f64(0.1); hidden];
    let mut next = vec![T::ZERO; hidden];
    let mut reference = || {
        for _ in 0..SEQ_LEN {
            matmul(
                MatMut::from_column_major_slice_mut(&mut next, hidden, 1),
                Accum::Replace,
                w,
                MatRef::from_column_major_slice(&v, hidden, 1),
                T::ONE,
                Par::Seq,
            );
            tanh_in_place(&mut next);
            core::mem::swap(&mut v, &mut next);
        }
        black_box(&v);
    };
    let t = interleaved_medians(
        s.samples,
        s.min_sample_seconds,
        &mut [&mut forward, &mut reference],
    );
    let per_step = 1e9 / SEQ_LEN as f64;
    Ok((t[0] * per_step, t[1] * per_step))
}

/// B8: one forward pass against a matvec-and-tanh reference; the `f32` figures are targets.
pub struct SingleForward;

/// B8, as the list holds it.
pub const B8: SingleForward = SingleForward;

impl Benchmark for SingleForward {
    fn id(&self) -> &'static str {
        "B8"
    }

    fn name(&self) -> &'static str {
        "single forward pass"
    }

    fn run(
        &self,
        context: &BenchContext<'_>,
        out: &mut String,
        checks: &mut Vec<TargetCheck>,
    ) -> Result<(), BenchError> {
        let s = &context.sampling;
        let mut table = Table::new([
            "H",
            "type",
            "forward ns/step",
            "reference ns/step",
            "forward rate / reference rate",
            "target",
            "met",
        ]);
        for &h in &HIDDEN {
            for is_f32 in [true, false] {
                let (fwd, reference) = if is_f32 {
                    point::<f32>(h, s)?
                } else {
                    point::<f64>(h, s)?
                };
                let rate = reference / fwd;
                let (target, ok) = if !is_f32 {
                    ("-".to_string(), None)
                } else if h < 64 {
                    (
                        format!("<= {SMALL_TARGET_NS} ns/step"),
                        Some(fwd <= SMALL_TARGET_NS),
                    )
                } else {
                    (format!("rate >= {RATE_TARGET}"), Some(rate >= RATE_TARGET))
                };
                if let Some(ok) = ok {
                    checks.push(if h < 64 {
                        TargetCheck {
                            name: format!("B8 f32 H={h} forward ns per time step"),
                            measured: fwd,
                            target: format!("<= {SMALL_TARGET_NS}"),
                            met: ok,
                        }
                    } else {
                        TargetCheck {
                            name: format!("B8 f32 H={h} forward rate / reference"),
                            measured: rate,
                            target: format!(">= {RATE_TARGET}"),
                            met: ok,
                        }
                    });
                }
                table.row([
                    h.to_string(),
                    if is_f32 { "f32" } else { "f64" }.to_string(),
                    fmt_sig(fwd, 3),
                    fmt_sig(reference, 3),
                    ratio(rate),
                    target,
                    ok.map_or_else(|| "-".to_string(), |ok| met(ok).to_string()),
                ]);
            }
        }
        let _ = writeln!(
            out,
            "Nanoseconds per time step of `Rnn::loss` (the streamed \
         loss, T = {SEQ_LEN}, 1-D input and output, washout 0) against a reference measured in \
         the same run, interleaved with it: faer's `H x H` by `H x 1` product (`Par::Seq`) and \
         the vectorised `tanh_in_place` over the `H` values, fed back, {SEQ_LEN} times. The \
         rate column is reference time over forward time. Targets (f32): rate >= \
         {RATE_TARGET} at H >= 64, at most {SMALL_TARGET_NS} ns per time step at H = 16; the \
         f64 rows are for comparison.\n\n{}",
            table.render()
        );
        Ok(())
    }
}
